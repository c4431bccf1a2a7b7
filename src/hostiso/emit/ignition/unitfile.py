"""systemd unit syntax, as go-systemd's unit.Deserialize (used by Ignition) reads it.

Ignition 2.x vendors go-systemd v16: a lexer over a ``bufio.Reader`` (4096-byte
buffer).  Before every lexer step, and before every line of an option value, it
peeks: if at least ``LINE_MAX`` (2048) bytes are buffered and none of the next
2048 is a newline, the unit is rejected as "line too long".  Whether a long
line is seen therefore depends on how much happens to be buffered, so the
reader below keeps the same buffer positions as Go's.

A value continues onto the next line only when its line ends in a backslash
(a backslash elsewhere in the line is just a character); a blank line ends it.
"""

from __future__ import annotations

import functools
import re

LINE_MAX = 2048
_BUFSIZE = 4096
_GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)  # Go's unicode.IsSpace (Python's isspace also counts \x1c-\x1f)


def parse_unit(text: str) -> tuple[frozenset[str], str | None]:
    """Sections that have at least one option, and the parse error (or None).

    Cached: a fleet repeats the same units on many hosts."""
    return _parse_unit(text)


@functools.lru_cache(maxsize=4096)
def _parse_unit(text: str) -> tuple[frozenset[str], str | None]:
    if len(text) < LINE_MAX and text.isascii():
        return _parse_simple(text) or _parse_short(text)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: Go's JSON decoder makes them U+FFFD
        data = re.sub("[\ud800-\udfff]", "\ufffd", text).encode("utf-8")
    lexer = _UnitLexer(data)
    try:
        lexer.run()
    except _UnitError as exc:
        return frozenset(lexer.sections), str(exc)
    return frozenset(lexer.sections), None


class _UnitError(Exception):
    pass


def _rune_len(lead: int) -> int:
    if lead < 0xC0:
        return 1
    return 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4


class _Reader:
    """Go's ``bufio.Reader`` over a byte string, as absolute offsets.

    ``pos`` is the next unread byte, ``end`` the end of what is buffered."""

    def __init__(self, data: bytes) -> None:
        self.data, self.n = data, len(data)
        self.pos = self.end = self.last = 0

    def _fill(self) -> None:
        # Slide the unread bytes to the front, then one Read tops the buffer up.
        self.end = min(self.n, self.pos + _BUFSIZE)

    def check_line_length(self) -> None:
        if self.end - self.pos >= LINE_MAX:
            window = self.data[self.pos : self.pos + LINE_MAX]
            if b"\n" not in window and b"\r" not in window:
                raise _UnitError(f"line too long (max {LINE_MAX} bytes)")

    def read_rune(self) -> str:
        """The next character, or "" at EOF."""
        while self.end < self.n and (
            self.pos == self.end or self.end - self.pos < _rune_len(self.data[self.pos])
        ):
            self._fill()
        if self.pos >= self.end:
            return ""
        size = _rune_len(self.data[self.pos])
        raw = self.data[self.pos : self.pos + size]
        self.pos += size
        self.last = size
        return raw.decode("utf-8", "replace")[:1] or "\ufffd"

    def unread(self) -> None:
        self.pos -= self.last

    def read_until(self, delim: bytes) -> tuple[bytes, bool]:
        """Through ``delim`` (inclusive), or everything left; and whether it was found."""
        start, search = self.pos, self.pos
        while True:
            i = self.data.find(delim, search, self.end)
            if i >= 0:
                self.pos = i + 1
                return self.data[start : i + 1], True
            if self.end >= self.n:
                self.pos = self.end
                return self.data[start : self.end], False
            if self.end - self.pos >= _BUFSIZE:
                self.pos = search = self.end  # ErrBufferFull: ReadBytes keeps the fragment
            else:
                search = self.end
            self._fill()

    def to_eol(self) -> bytes:
        line, _ = self.read_until(b"\n")
        return line.removesuffix(b"\r").removesuffix(b"\n")


def _go_trim_space(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip("".join(_GO_SPACE))


class _UnitLexer:
    def __init__(self, data: bytes) -> None:
        self.buf = _Reader(data)
        self.sections: set[str] = set()

    def run(self) -> None:
        """go-systemd's state machine; the line-length check precedes each step."""
        buf = self.buf
        section: str | None = None  # None: before the first section header
        while True:
            buf.check_line_length()
            c = buf.read_rune()
            if c == "":
                return
            if section is not None and c in _GO_SPACE:
                continue
            if c == "[":
                buf.check_line_length()
                section = self._section_name()
                buf.check_line_length()
                self._section_suffix(section)
            elif c in "#;":
                buf.check_line_length()
                self._ignore_line()
            elif section is not None:
                buf.unread()
                buf.check_line_length()
                self._option_name()
                self._option_value(section)

    def _section_name(self) -> str:
        raw, found = self.buf.read_until(b"]")
        if not found:
            raise _UnitError("unable to find end of section")
        return raw[:-1].decode("utf-8", "replace")

    def _section_suffix(self, name: str) -> None:
        if _go_trim_space(self.buf.to_eol()):
            raise _UnitError(f"found garbage after section name {name}")

    def _ignore_line(self) -> None:
        while self.buf.to_eol().removesuffix(b" ").endswith(b"\\"):
            pass

    def _option_name(self) -> None:
        while True:
            c = self.buf.read_rune()
            if c == "":
                raise _UnitError("EOF")
            if c in "\r\n":
                raise _UnitError("unexpected newline encountered while parsing option name")
            if c == "=":
                return

    def _option_value(self, section: str) -> None:
        while True:
            self.buf.check_line_length()
            line = self.buf.to_eol()
            if not _go_trim_space(line) or not line.endswith(b"\\"):
                break
        self.sections.add(section)


_ASCII_SPACE = "".join(c for c in _GO_SPACE if c.isascii())


# A line of a plain unit: a section header alone, a comment, an option whose
# line starts with its name, or nothing; no carriage return, no backslash.
_PLAIN_LINE = r"(?:\[[^\]\n\r]*\]|[#;][^\n\r\\]*|[^\s\[#;=\\][^\n\r\\=]*=[^\n\r\\]*|)"
_PLAIN_UNIT = re.compile(f"(?:{_PLAIN_LINE}\n)*{_PLAIN_LINE}")


def _parse_simple(text: str) -> tuple[frozenset[str], None] | None:
    """:func:`_parse_short`'s result for a plain unit (one match and a pass over
    its lines, as hostiso writes units), or None for any other text."""
    if _PLAIN_UNIT.fullmatch(text) is None:
        return None
    sections: set[str] = set()
    section: str | None = None
    for line in text.split("\n"):
        first = line[:1]
        if first == "[":
            section = line[1:-1]
        elif first and first not in "#;":
            if section is None:
                return None  # an option before any section: not plain
            sections.add(section)
    return frozenset(sections), None


def _parse_short(text: str) -> tuple[frozenset[str], str | None]:
    """:class:`_UnitLexer`'s result for an ASCII unit shorter than ``LINE_MAX``, by
    string searches: no line can be too long, one buffer holds it all, and
    every character is one byte (most units: a host's own ``.network`` unit is
    parsed once per host, and the rune-by-rune lexer took half of validating)."""
    sections: set[str] = set()
    section: str | None = None
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        i += 1
        if section is not None and c in _ASCII_SPACE:
            continue
        if c == "[":
            end = text.find("]", i)
            if end < 0:
                return frozenset(sections), "unable to find end of section"
            section = text[i:end]
            line, i = _line(text, end + 1)
            if line.strip(_ASCII_SPACE):
                return frozenset(sections), f"found garbage after section name {section}"
        elif c in "#;":
            line, i = _line(text, i)
            while line.removesuffix(" ").endswith("\\"):
                line, i = _line(text, i)
        elif section is not None:
            i, problem = _option(text, i - 1)
            if problem is not None:
                return frozenset(sections), problem
            sections.add(section)
    return frozenset(sections), None


_OPTION_STOP = re.compile("[=\r\n]")


def _option(text: str, i: int) -> tuple[int, str | None]:
    """An option's name and value from ``i``: where the next step starts, or the error."""
    stop = _OPTION_STOP.search(text, i)
    if stop is None:
        return len(text), "EOF"
    if stop.group() != "=":
        return stop.start(), "unexpected newline encountered while parsing option name"
    line, i = _line(text, stop.end())
    while line.strip(_ASCII_SPACE) and line.endswith("\\"):
        line, i = _line(text, i)
    return i, None


def _line(text: str, i: int) -> tuple[str, int]:
    """:meth:`_Reader.to_eol` from ``i``: the line without its ending, and where the next starts."""
    end = text.find("\n", i)
    nxt = len(text) if end < 0 else end + 1
    return text[i:nxt].removesuffix("\r").removesuffix("\n"), nxt
