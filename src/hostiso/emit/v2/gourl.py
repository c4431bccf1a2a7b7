"""Go's ``url.Parse(s).String()``: how ct re-serialises ``contents.remote.url``.

Only the parts a remote URL can exercise: scheme (lower-cased), opaque
(``data:``), authority, path (escaped unless the given encoding is a valid
one for the same path), raw query (verbatim) and fragment (like the path).
"""

from __future__ import annotations

import re

_HEX = "0123456789ABCDEF"
_UNRESERVED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")
_SUBDELIMS = frozenset("$&+,/:;=?@")
_VALID_ENCODED_EXTRA = frozenset("!$&'()*+,;=:@[]%")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")
_PORT = re.compile(r"^(:[0-9]*)?$")


class URLError(ValueError):
    """url.Parse failed; the message is Go's."""


def _should_escape(c: str, mode: str) -> bool:
    if c in _UNRESERVED:
        return False
    if mode == "host" and c in "!$&'()*+,;=:[]<>\"":
        return False
    if c in _SUBDELIMS:
        if mode == "path":
            return c == "?"
        if mode == "userinfo":
            return c in "@/?:"
        return False  # fragment
    return not (mode == "fragment" and c in "!()*")


def _escape(s: str, mode: str) -> str:
    out = []
    for byte in s.encode("utf-8"):
        c = chr(byte)
        if byte < 0x80 and not _should_escape(c, mode):
            out.append(c)
        else:
            out.append(f"%{_HEX[byte >> 4]}{_HEX[byte & 15]}")
    return "".join(out)


def _unescape(s: str, mode: str) -> str:
    raw = s.encode("utf-8")
    i = 0
    while i < len(raw):
        if raw[i] == 0x25:  # %
            piece = raw[i : i + 3].decode("latin-1")
            if len(piece) < 3 or not all(ch in "0123456789abcdefABCDEF" for ch in piece[1:]):
                raise URLError(f'invalid URL escape "{piece}"')
            i += 3
        else:
            if mode == "host" and raw[i] < 0x80 and _should_escape(chr(raw[i]), mode):
                raise URLError(f'invalid character "{chr(raw[i])}" in host name')
            i += 1
    data = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == 0x25:
            data.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            data.append(raw[i])
            i += 1
    return data.decode("utf-8", errors="surrogateescape")


def _valid_encoded(s: str, mode: str) -> bool:
    return all(c in _VALID_ENCODED_EXTRA or not _should_escape(c, mode) for c in s)


def _escaped(value: str, raw: str, mode: str) -> str:
    """Go's EscapedPath / EscapedFragment: the given spelling if it is valid."""
    if raw != _escape(value, mode) and _valid_encoded(raw, mode):
        try:
            if _unescape(raw, mode) == value:
                return raw
        except URLError:
            pass
    return _escape(value, mode)


def go_url_string(url: str) -> str:
    """``url.Parse(url).String()``, or URLError with Go's message."""
    rest, hash_, frag = url.partition("#")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in rest):
        raise URLError("net/url: invalid control character in URL")
    scheme = ""
    colon = rest.find(":")
    if colon == 0:
        raise URLError("missing protocol scheme")
    if colon > 0 and _SCHEME.match(rest[:colon]):
        scheme, rest = rest[:colon].lower(), rest[colon + 1 :]
    force_query = rest.endswith("?") and rest.count("?") == 1
    if force_query:
        rest, query = rest[:-1], ""
    else:
        rest, _, query = rest.partition("?")
    out = f"{scheme}:" if scheme else ""
    if not rest.startswith("/") and scheme:
        out += rest
    else:
        if not rest.startswith("/") and ":" in rest.split("/", 1)[0]:
            raise URLError("first path segment in URL cannot contain colon")
        userinfo: str | None = None
        host = ""
        if rest.startswith("//"):
            authority, slash, path_rest = rest[2:].partition("/")
            rest = slash + path_rest
            userinfo, host = _authority(authority)
        path = _unescape(rest, "path")
        if scheme or host or userinfo is not None:
            if host or path or userinfo is not None:
                out += "//"
            if userinfo is not None:
                out += userinfo + "@"
            out += _escape(host, "host")
        escaped_path = _escaped(path, rest, "path")
        if escaped_path and not escaped_path.startswith("/") and host:
            out += "/"
        out += escaped_path
    if force_query or query:
        out += "?" + query
    if hash_ and frag:
        fragment = _unescape(frag, "fragment")
        if fragment:
            out += "#" + _escaped(fragment, frag, "fragment")
    return out


def _authority(authority: str) -> tuple[str | None, str]:
    at = authority.rfind("@")
    host = authority[at + 1 :]
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            raise URLError("missing ']' in host")
        if not _PORT.match(host[end + 1 :]):
            raise URLError(f'invalid port "{host[end + 1 :]}" after host')
    elif ":" in host:
        port = host[host.rfind(":") :]
        if not _PORT.match(port):
            raise URLError(f'invalid port "{port}" after host')
    host = _unescape(host, "host")
    if at < 0:
        return None, host
    info = authority[:at]
    user, colon, password = info.partition(":")
    text = _escape(_unescape(user, "userinfo"), "userinfo")
    if colon:
        text += ":" + _escape(_unescape(password, "userinfo"), "userinfo")
    return text, host
