"""Secrets in quoted source lines and messages: what a report never shows as is."""

from __future__ import annotations

import re

SECRET_CODES = frozenset({"plaintext-password", "bad-password-hash"})
"""Problems whose value is a secret (or may be: a plaintext pasted as
``password_hash``): the source line is quoted with the value (from the mark's
column on) replaced by :data:`REDACTED`, never as is."""
REDACTED = "********"
SECRET_LINE = re.compile(
    r"""(?P<key>^[ \t]*(?:-[ \t]+)?(?P<q>["']?)(?:password|password_hash)(?P=q)[ \t]*:[ \t]*)\S"""
)
"""A line that sets ``password`` or ``password_hash``: whatever the problem
quoted with it, its value is shown as :data:`REDACTED`."""


URL_PASSWORD = re.compile(r"(://[^/\s?#:@]*):[^/\s?#]*@")
"""The password of a URL's ``user:password@`` (a BMC's, a libvirt host's): one
scan from each ``://``, in linear time even on a line of megabytes."""


def redact(line: str, col: int, code: str) -> str:
    """``line`` as it may be quoted for a problem ``code`` at column ``col``."""
    if code in SECRET_CODES:
        line = line[: max(col - 1, 0)] + REDACTED
    found = SECRET_LINE.match(line)
    return hide_url_password(line) if found is None else found["key"] + REDACTED


def hide_url_password(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` replaced
    by :data:`REDACTED` (the user stays: it names the account)."""
    return URL_PASSWORD.sub(rf"\1:{REDACTED}@", text) if "://" in text else text
