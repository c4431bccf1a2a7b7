"""systemd unit syntax, as go-systemd's unit.Deserialize (used by Ignition) reads it."""

from __future__ import annotations

import functools


def parse_unit(text: str) -> tuple[frozenset[str], str | None]:
    """Sections that have at least one option, and the parse error (or None).

    Cached: a fleet repeats the same units on many hosts."""
    return _parse_unit(text)


@functools.lru_cache(maxsize=4096)
def _parse_unit(text: str) -> tuple[frozenset[str], str | None]:
    lexer = _UnitLexer(text)
    try:
        lexer.run()
    except _UnitError as exc:
        return frozenset(lexer.sections), str(exc)
    return frozenset(lexer.sections), None


class _UnitError(Exception):
    pass


class _UnitLexer:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0
        self.sections: set[str] = set()

    def _read(self) -> str:
        if self.pos >= len(self.text):
            return ""
        self.pos += 1
        return self.text[self.pos - 1]

    def _to_eol(self) -> str:
        end = self.text.find("\n", self.pos)
        end = len(self.text) if end < 0 else end + 1
        line, self.pos = self.text[self.pos : end], end
        return line.removesuffix("\r").removesuffix("\n")

    def _skip_comment(self) -> None:
        while self._to_eol().removesuffix(" ").endswith("\\"):
            pass

    def run(self) -> None:
        section: str | None = None
        while True:
            c = self._read()
            if c == "":
                return
            if c == "[":
                section = self._section_name()
            elif c in "#;":
                self._skip_comment()
            elif section is not None and not c.isspace():
                self.pos -= 1
                self._option(section)

    def _section_name(self) -> str:
        end = self.text.find("]", self.pos)
        if end < 0:
            raise _UnitError("unable to find end of section")
        name, self.pos = self.text[self.pos : end], end + 1
        if self._to_eol().strip():
            raise _UnitError(f"found garbage after section name {name}")
        return name

    def _option(self, section: str) -> None:
        while True:
            c = self._read()
            if c == "":
                raise _UnitError("EOF")
            if c in "\r\n":
                raise _UnitError("unexpected newline encountered while parsing option name")
            if c == "=":
                break
        while "\\" in self._to_eol():
            pass
        self.sections.add(section)
