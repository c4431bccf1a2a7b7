"""RFC 2397 data URLs, accepted exactly as Ignition's dataurl parser does."""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse

BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TSPECIALS = frozenset('()<>@,;:\\"/[]?=')
_URL_UNSAFE = frozenset(' <>#"{}|\\^[]`')
_MEDIA_TYPES = ("text", "image", "audio", "video", "application", "message", "multipart")
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
# Non-base64 data: printable ASCII but the URL-unsafe characters, and "%" only
# as the start of a valid escape (the checks of decode_data_url in one pass).
_URL_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in _URL_UNSAFE | {"%"})
_PLAIN_DATA = re.compile(f"(?:[{re.escape(_URL_CHARS)}]|%[0-9A-Fa-f]{{2}})*")


def _is_token(c: str) -> bool:
    return "\x21" <= c <= "\x7e" and c not in _TSPECIALS


def _percent_decode(text: str) -> bytes | None:
    if BAD_ESCAPE.search(text):
        return None
    return urllib.parse.unquote_to_bytes(text)


def plain_data_url(url: str) -> bool:
    """Whether ``url`` is ``data:,`` and valid percent-escaped data, as hostiso
    writes data URLs (one match; these have no control character either)."""
    return url.startswith("data:,") and _PLAIN_DATA.fullmatch(url, 6) is not None


def valid_data_url(url: str) -> bool:
    """Whether :func:`decode_data_url` accepts ``url``, without decoding it."""
    if url.startswith("data:,"):
        return plain_data_url(url)
    return decode_data_url(url) is not None


def decode_data_url(url: str) -> bytes | None:
    """The bytes of a ``data:[<mediatype>][;base64],<data>`` URL, or None if invalid.

    Media type, parameters (token or quoted values) and ``;base64`` follow
    RFC 2397; non-base64 data must be URL characters with valid ``%XX``
    escapes; base64 data must be canonical padded base64.
    """
    if not url.startswith("data:"):
        return None
    header_end = _scan_header(url, 5)
    if header_end is None:
        return None
    end, is_base64 = header_end
    data = url[end + 1 :]
    if is_base64:
        if not set(data) <= _BASE64_CHARS:
            return None
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return None
    if any(not ("\x20" < c < "\x7f") or c in _URL_UNSAFE for c in data):
        return None
    return _percent_decode(data)


def _scan_header(s: str, i: int) -> tuple[int, bool] | None:
    """Index of the comma that ends the header, and whether ``;base64`` was given."""
    n = len(s)
    if i < n and s[i] not in ";,":
        slash = i
        while slash < n and s[slash] != "/":
            if not _is_token(s[slash]):
                return None
            slash += 1
        top = s[i:slash]
        if slash == n or not (top[:2] in ("x-", "X-") or top.startswith(_MEDIA_TYPES)):
            return None
        i = slash + 1
        while i < n and s[i] not in ";,":
            if not _is_token(s[i]):
                return None
            i += 1
    while i < n and s[i] == ";":
        param = _scan_param(s, i + 1)
        if param is None:
            return None
        i, is_base64 = param
        if is_base64:
            return (i, True) if i < n and s[i] == "," else None
    return (i, False) if i < n and s[i] == "," else None


def _scan_param(s: str, i: int) -> tuple[int, bool] | None:
    """Scan ``attr=value`` (or a bare ``base64``) from ``i``; return the index after it."""
    n, start = len(s), i
    while i < n and s[i] not in "=,":
        if not _is_token(s[i]):
            return None
        i += 1
    if i in (start, n):
        return None
    if s[i] == ",":
        return (i, True) if s[start:i] == "base64" else None
    i += 1
    if i < n and s[i] == '"':
        i += 1
        while i < n and s[i] != '"':
            if not s[i].isascii():
                return None
            i += 2 if s[i] == "\\" else 1
        i += 1
        return (i, False) if i < n and s[i] in ";," else None
    value_start = i
    while i < n and s[i] not in ";,":
        if not _is_token(s[i]):
            return None
        i += 1
    if i in (value_start, n) or _percent_decode(s[value_start:i]) is None:
        return None
    return i, False
