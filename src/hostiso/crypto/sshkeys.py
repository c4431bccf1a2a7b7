"""SSH public keys in authorized_keys form: ``[options] type base64 [comment]``.

Keys are parsed with ``cryptography``.  Security-key types (``sk-ssh-ed25519@openssh.com``,
``sk-ecdsa-sha2-nistp256@openssh.com``) are checked here by their wire structure instead
(type, public key, application string), since not every ``cryptography`` release reads them.
DSA keys and RSA keys under 2048 bits are refused as weak (OpenSSH itself disables DSA).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import struct
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from hostiso.diagnostics import Diagnostic, error

BAD = "bad-ssh-key"
WEAK = "weak-ssh-key"
MIN_RSA_BITS = 2048

SK_ED25519 = "sk-ssh-ed25519@openssh.com"
SK_ECDSA = "sk-ecdsa-sha2-nistp256@openssh.com"
KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "ssh-rsa",
        "ssh-dss",
        SK_ED25519,
        SK_ECDSA,
    }
)
# sshd's authorized_keys options; those in VALUE_OPTIONS take ="...".
FLAG_OPTIONS = frozenset(
    {
        "agent-forwarding",
        "cert-authority",
        "no-agent-forwarding",
        "no-port-forwarding",
        "no-pty",
        "no-touch-required",
        "no-user-rc",
        "no-x11-forwarding",
        "port-forwarding",
        "pty",
        "restrict",
        "touch-required",
        "user-rc",
        "verify-required",
        "x11-forwarding",
    }
)
VALUE_OPTIONS = frozenset(
    {
        "command",
        "environment",
        "expiry-time",
        "from",
        "permitlisten",
        "permitopen",
        "principals",
        "tunnel",
    }
)
_FORMAT = "expected [options] type base64 [comment]"


class _BadKey(Exception):
    """Internal: why a line is not a usable key; turned into a diagnostic at the boundary."""

    def __init__(self, reason: str, code: str = BAD) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class AuthorizedKey:
    options: str
    key_type: str
    blob: bytes
    comment: str


def check_authorized_key(line: str) -> list[Diagnostic]:
    """Problems with one authorized_keys line: ``bad-ssh-key`` or ``weak-ssh-key`` errors."""
    return list(_check(line))


@functools.lru_cache(maxsize=1024)
def _check(line: str) -> tuple[Diagnostic, ...]:
    """Once per distinct line: a fleet gives the same operator keys to every host."""
    try:
        key = _parse(line)
        _check_key_material(key)
    except _BadKey as bad:
        return (error(bad.code, bad.reason),)
    return ()


@functools.lru_cache(maxsize=1024)
def key_fingerprint(line: str) -> str | None:
    """``SHA256:...`` as ``ssh-keygen -l`` prints it, or None if the line does not parse."""
    try:
        key = _parse(line)
    except _BadKey:
        return None
    digest = hashlib.sha256(key.blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def find_duplicate_keys(keys: Sequence[str]) -> list[tuple[int, int]]:
    """``(first, duplicate)`` index pairs of lines holding the same key (options ignored)."""
    return list(_duplicates(tuple(keys)))


@functools.lru_cache(maxsize=1024)
def _duplicates(keys: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Once per distinct list: overlays give most hosts the same keys."""
    first_seen: dict[str, int] = {}
    pairs: list[tuple[int, int]] = []
    for index, line in enumerate(keys):
        fingerprint = key_fingerprint(line)
        if fingerprint is None:
            continue
        if fingerprint in first_seen:
            pairs.append((first_seen[fingerprint], index))
        else:
            first_seen[fingerprint] = index
    return tuple(pairs)


def _parse(line: str) -> AuthorizedKey:
    """Split and base64-decode one line; raises _BadKey."""
    text = line.strip()
    if not text:
        raise _BadKey("the key is empty")
    if text.startswith("#"):
        raise _BadKey("this is a comment, not a key")
    options, key_type, data, comment = _split_line(text)
    blob = _decode(data)
    embedded = _read_string(_Reader(blob), "key type").decode("ascii", "replace")
    if embedded != key_type:
        raise _BadKey(f"the line says {key_type} but the key data is a {embedded!r} key")
    return AuthorizedKey(options, key_type, blob, comment)


def _split_line(text: str) -> tuple[str, str, str, str]:
    fields = text.split(None, 2)
    if fields[0] in KEY_TYPES:
        return ("", *_type_data_comment(fields))
    if not _starts_with_option(fields[0]):
        _refuse_unknown_type(fields)
    options, rest = _take_options(text)
    _check_options(options)
    fields = rest.split(None, 2)
    if not fields or fields[0] not in KEY_TYPES:
        _refuse_unknown_type(fields)
        raise _BadKey(f"no key type after the options; {_FORMAT}")
    return (options, *_type_data_comment(fields))


def _starts_with_option(field: str) -> bool:
    name = field.split(",", 1)[0].split("=", 1)[0].lower()
    return name in FLAG_OPTIONS or name in VALUE_OPTIONS


def _type_data_comment(fields: list[str]) -> tuple[str, str, str]:
    if len(fields) < 2:
        raise _BadKey(f"the {fields[0]} key has no base64 key data; {_FORMAT}")
    return fields[0], fields[1], fields[2] if len(fields) > 2 else ""


def _refuse_unknown_type(fields: list[str]) -> None:
    """Name the problem when a line starts with key data or a type we do not support."""
    if fields and _embedded_type(fields[0]) is not None:
        raise _BadKey(
            f"the key type is missing before the key data (a {_embedded_type(fields[0])} key)"
        )
    if len(fields) >= 2 and _embedded_type(fields[1]) is not None:
        raise _BadKey(
            f"unsupported key type {fields[0]!r}; use ssh-ed25519, ecdsa-sha2-nistp*, "
            "ssh-rsa (2048 bits or more) or an sk-* security key"
        )


def _embedded_type(data: str) -> str | None:
    try:
        blob = base64.b64decode(data, validate=True)
        return _read_string(_Reader(blob), "key type").decode("ascii")
    except (binascii.Error, _BadKey, UnicodeDecodeError):
        return None


def _take_options(text: str) -> tuple[str, str]:
    """Split off the options field: everything up to the first unquoted blank."""
    quoted = escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char in " \t":
            return text[:index], text[index:].lstrip()
    if quoted:
        raise _BadKey("unterminated quote in the options")
    raise _BadKey(f"no key type found; {_FORMAT}")


def _check_options(options: str) -> None:
    for option in _split_options(options):
        name, has_value, value = option.partition("=")
        lowered = name.lower()
        if lowered in FLAG_OPTIONS and not has_value:
            continue
        if lowered in VALUE_OPTIONS and len(value) >= 2 and value[0] == value[-1] == '"':
            continue
        if lowered in VALUE_OPTIONS:
            raise _BadKey(f'option {name!r} needs a quoted value: {lowered}="..."')
        if lowered in FLAG_OPTIONS:
            raise _BadKey(f"option {name!r} takes no value")
        raise _BadKey(f"unknown option {name!r}; sshd would ignore this key")


def _split_options(options: str) -> list[str]:
    parts: list[str] = []
    current, quoted, escaped = "", False, False
    for char in options:
        if char == "," and not quoted:
            parts.append(current)
            current = ""
            continue
        current += char
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
    parts.append(current)
    if "" in parts:
        raise _BadKey("empty option in the options list (stray comma?)")
    return parts


def _decode(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error:
        raise _BadKey("the key data is not valid base64") from None


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def at_end(self) -> bool:
        return self.pos == len(self.data)


def _read_string(reader: _Reader, what: str) -> bytes:
    if len(reader.data) - reader.pos < 4:
        raise _BadKey(f"the key data is truncated (no room for the {what})")
    (length,) = struct.unpack(">I", reader.data[reader.pos : reader.pos + 4])
    start = reader.pos + 4
    if len(reader.data) - start < length:
        raise _BadKey(f"the key data is truncated (in the {what})")
    reader.pos = start + length
    return reader.data[start : reader.pos]


def _check_key_material(key: AuthorizedKey) -> None:
    if key.key_type == "ssh-dss":
        raise _BadKey("DSA keys (ssh-dss) are weak and disabled by OpenSSH; use ssh-ed25519", WEAK)
    if key.key_type in (SK_ED25519, SK_ECDSA):
        _check_security_key(key)
        return
    # cryptography is imported here: most runs check no key (a clean host's
    # result is cached), and its import costs more than a one-host rebuild
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_ssh_public_key

    data = base64.b64encode(key.blob)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            public_key = load_ssh_public_key(key.key_type.encode() + b" " + data)
    except (ValueError, UnsupportedAlgorithm):
        raise _BadKey(f"the {key.key_type} key data is corrupt or truncated") from None
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < MIN_RSA_BITS:
        raise _BadKey(
            f"the RSA key has {public_key.key_size} bits; at least {MIN_RSA_BITS} are required",
            WEAK,
        )


def _check_security_key(key: AuthorizedKey) -> None:
    """Structure of an sk-* key: type, [curve,] public key, application (e.g. "ssh:")."""
    reader = _Reader(key.blob)
    _read_string(reader, "key type")
    if key.key_type == SK_ECDSA:
        if _read_string(reader, "curve name") != b"nistp256":
            raise _BadKey(f"the {SK_ECDSA} key names a curve other than nistp256")
        point = _read_string(reader, "public key")
        if len(point) != 65 or point[0] != 4:
            raise _BadKey(f"the {SK_ECDSA} public key is not an uncompressed P-256 point")
    elif len(_read_string(reader, "public key")) != 32:
        raise _BadKey(f"the {SK_ED25519} public key is not 32 bytes")
    _read_string(reader, "application")
    if not reader.at_end():
        raise _BadKey(f"the {key.key_type} key data has trailing bytes")
