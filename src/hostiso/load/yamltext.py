"""The text of a YAML file: bytes that are not UTF-8, characters YAML refuses.

PyYAML reports either problem once, at ``1:1``, in its own words (a codec
message, ``position 90``).  Here each one is a diagnostic at its own line
and column, in plain words, counted as YAML and the report count them (one
column per character; an invalid byte sequence counts as the one U+FFFD
that the report's source excerpt shows in its place).  At most
:data:`MAX_REPORTED` are listed per file, then how many more there are.
"""

from __future__ import annotations

import re

from hostiso.diagnostics import LINE_BREAK, Diagnostic, Mark, error

MAX_REPORTED = 10
"""Problems listed per file; a binary file named .yaml has thousands."""

REFUSED = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""What YAML 1.1 (and so PyYAML and libyaml) does not allow anywhere in a stream."""

_C0_NAMES = [
    "NUL",
    "SOH",
    "STX",
    "ETX",
    "EOT",
    "ENQ",
    "ACK",
    "BEL",
    "BS",
    "HT",
    "LF",
    "VT",
    "FF",
    "CR",
    "SO",
    "SI",
    "DLE",
    "DC1",
    "DC2",
    "DC3",
    "DC4",
    "NAK",
    "SYN",
    "ETB",
    "CAN",
    "EM",
    "SUB",
    "ESC",
    "FS",
    "GS",
    "RS",
    "US",
]


def text_of(data: bytes, file: str) -> tuple[str, list[Diagnostic]]:
    """A YAML file's text; when it is not UTF-8, why, with every refused character too
    (a clean decode leaves those to :func:`refused_characters`, before parsing)."""
    text, problems = decode(data, file)
    return text, problems + refused_characters(text, file) if problems else problems


def decode(data: bytes, file: str) -> tuple[str, list[Diagnostic]]:
    """``data`` as text, with one ``yaml-encoding`` error per invalid UTF-8 sequence.

    Each invalid sequence becomes U+FFFD in the text, as the report's source
    excerpt decodes it, so the columns of later problems agree with it.
    """
    parts: list[str] = []
    bad: list[tuple[int, bytes]] = []  # (offset in the text, the bytes)
    start = 0
    while True:
        try:
            parts.append(data[start:].decode("utf-8"))
            break
        except UnicodeDecodeError as exc:
            parts.append(data[start : start + exc.start].decode("utf-8") + "\ufffd")
            bad.append((sum(map(len, parts)) - 1, exc.object[exc.start : exc.end]))
            start += exc.end
            if len(bad) > MAX_REPORTED:
                parts.append(data[start:].decode("utf-8", errors="replace"))
                break
    text = "".join(parts)
    problems = [_encoding_error(Mark(file, *_position(text, at)), seq) for at, seq in bad]
    return text, _bounded(problems, "bytes that are not UTF-8")


def _encoding_error(mark: Mark, seq: bytes) -> Diagnostic:
    shown = " ".join(f"0x{b:02X}" for b in seq)
    what = f"byte {shown} is" if len(seq) == 1 else f"bytes {shown} are an incomplete character,"
    return error("yaml-encoding", f"{what} not valid UTF-8; save the file as UTF-8", mark=mark)


ALLOWED_ASCII = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])
"""The ASCII characters :data:`REFUSED` lets through."""


def refused_characters(text: str, file: str) -> list[Diagnostic]:
    """One ``yaml-character`` error per character YAML does not allow in ``text``."""
    if text.isascii() and not text.encode("ascii").translate(None, ALLOWED_ASCII):
        return []  # nothing left once the allowed characters are taken out (at C speed)
    found: list[Diagnostic] = []
    for match in REFUSED.finditer(text):
        mark = Mark(file, *_position(text, match.start()))
        found.append(error("yaml-character", _character_message(match.group()), mark=mark))
        if len(found) > MAX_REPORTED:
            break
    return _bounded(found, "characters YAML does not allow")


def _character_message(char: str) -> str:
    code = ord(char)
    if code < 0x20 or code == 0x7F:
        name = _C0_NAMES[code] if code < 0x20 else "DEL"
        what = f"control character {name} (U+{code:04X})"
    elif 0x80 <= code <= 0x9F:
        what = f"control character U+{code:04X}"
    else:
        what = f"character U+{code:04X}"
    escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    return (
        f"{what} is not allowed in a YAML file; to put it in a value, "
        f"write {escape} inside a double-quoted string"
    )


def _bounded(problems: list[Diagnostic], what: str) -> list[Diagnostic]:
    """The first :data:`MAX_REPORTED` problems; past them, one line where the next
    one stands, saying that more follow."""
    if len(problems) <= MAX_REPORTED:
        return problems
    first_unlisted = problems[MAX_REPORTED]
    message = f"more {what} from here on; only the first {MAX_REPORTED} are listed"
    return [*problems[:MAX_REPORTED], error(first_unlisted.code, message, mark=first_unlisted.mark)]


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` with YAML's line breaks; a BOM that
    starts the file takes no column (YAML skips it, the report does not show it)."""
    line, start = 1, 1 if text.startswith("\ufeff") else 0
    for match in LINE_BREAK.finditer(text, 0, offset):
        line, start = line + 1, match.end()
    return line, offset - start + 1
