"""What went wrong with one host, in a line an operator can act on.

Every failure of a BMC or hypervisor call becomes a :class:`DeliverError`:
a one-line message (never a traceback, never a password) and whether the
same call may succeed if tried again (a timeout, a refused connection, a 5xx
answer: *transient*), which the runner retries with backoff.
"""

from __future__ import annotations

import requests
from sushy import exceptions as sx


class DeliverError(Exception):
    """A host failed; ``str()`` is the line to show."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


def redact(text: str, secret: str | None) -> str:
    """*text* with every occurrence of *secret* masked: defence in depth, since no
    message is built from the password, none should contain it."""
    return text.replace(secret, "****") if secret else text


def from_sushy(exc: Exception, address: str) -> DeliverError:
    """A :class:`DeliverError` for an exception raised by sushy talking to *address*."""
    if isinstance(exc, sx.AccessError):
        return DeliverError(
            f"the BMC at {address} refused the username or password "
            f"(HTTP {exc.status_code}); check bmc.username and bmc.password_file"
        )
    if isinstance(exc, sx.HTTPError):
        return _http(exc)
    if isinstance(exc, sx.ConnectionError):
        return _connection(exc, address)
    return DeliverError(_first_line(str(exc)) or type(exc).__name__)


def _http(exc: sx.HTTPError) -> DeliverError:
    detail = _first_line(exc.detail or exc.code or "no detail")
    message = f"the BMC answered HTTP {exc.status_code}: {detail}"
    return DeliverError(message, transient=isinstance(exc, sx.ServerSideError))


def _connection(exc: sx.ConnectionError, address: str) -> DeliverError:
    cause = exc.__context__
    if isinstance(cause, requests.exceptions.SSLError):
        return DeliverError(
            f"TLS to {address} failed: {_tls_reason(cause)}; give the CA that signed the "
            "BMC's certificate in bmc.ca_file"
        )
    if isinstance(cause, requests.exceptions.Timeout):
        return DeliverError(f"the BMC at {address} did not answer in time", transient=True)
    if isinstance(cause, requests.exceptions.ConnectionError):
        return DeliverError(
            f"cannot connect to the BMC at {address}: {_reason(cause)}", transient=True
        )
    return DeliverError(f"cannot talk to the BMC at {address}", transient=True)


def _tls_reason(cause: Exception) -> str:
    text = str(cause)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return "its certificate is not signed by a trusted CA"
    if "hostname" in text.lower() and "match" in text.lower():
        return "its certificate does not name this address"
    return "handshake failed"


REASONS = (
    ("Connection refused", "connection refused"),
    ("No route to host", "no route to host"),
    ("Name or service not known", "unknown host name"),
    ("Network is unreachable", "network unreachable"),
    ("Connection reset", "connection reset"),
    ("RemoteDisconnected", "the BMC closed the connection without answering"),
    ("Connection aborted", "connection aborted"),
)


def _reason(cause: Exception) -> str:
    text = str(cause)
    return next(
        (said for known, said in REASONS if known in text), f"connection failed ({text[:200]})"
    )


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 300 else line[:297] + "..."
