"""The one diagnostic type, carried through every stage and never raised.

Stages speak in logical paths (``("passwd", "users", 0, "password_hash")``);
positions are attached at the edge by a locator that knows which layer set
each value.  A diagnostic with a position already (YAML syntax errors) keeps
it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from hostiso.diagnostics.clip import LONG_WORD, clip_text, one_line, printable
from hostiso.diagnostics.redact import hide_url_password

Path = tuple[str | int, ...]

LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
"""What YAML (and so every mark's line number) counts as a line break."""


class Severity(enum.IntEnum):
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Mark:
    """A position in a file; line and col are 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    path: Path = ()
    mark: Mark | None = None
    host: str | None = None
    related: tuple[tuple[str, Mark], ...] = ()
    blocking: bool = field(default=True, compare=False)
    """An error that leaves the host's tree unfit for the later steps (a wrong
    type, a missing value).  Errors about one value that leave the tree well
    typed (an unknown key, a relative path, a plaintext password, another
    member's fault) are made with ``blocking=False``: the host still goes
    through every check, so all its problems are reported at once."""
    at_key: bool = field(default=False, compare=False)
    """A problem with a key itself: placed at the key rather than its value."""

    def __post_init__(self) -> None:
        """A message never carries a URL's password (a value quoted as is), a
        control character, nor a long value whole (:mod:`.clip`); nor does a
        related note."""
        message = printable(self.message)
        if "://" in message:
            message = hide_url_password(message)
        if len(message) > LONG_WORD:
            message = clip_text(message)
        if message is not self.message:
            object.__setattr__(self, "message", message)
        if any(len(note) > LONG_WORD or not note.isprintable() for note, _ in self.related):
            related = tuple((clip_text(printable(note)), mark) for note, mark in self.related)
            object.__setattr__(self, "related", related)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def at(self, mark: Mark | None) -> Diagnostic:
        return replace(self, mark=mark)

    def prefixed(self, prefix: Path) -> Diagnostic:
        return replace(self, path=prefix + self.path)

    def for_host(self, host: str) -> Diagnostic:
        return replace(self, host=host)

    def format(self) -> str:
        where = str(self.mark) if self.mark else "<unknown>"
        return f"{where}: {self.severity}: {self.message}"


def error(
    code: str,
    message: str,
    path: Path = (),
    mark: Mark | None = None,
    *,
    blocking: bool = True,
    at_key: bool = False,
) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, path, mark, blocking=blocking, at_key=at_key)


def warning(
    code: str, message: str, path: Path = (), mark: Mark | None = None, *, at_key: bool = False
) -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, message, path, mark, at_key=at_key)


@dataclass
class Diagnostics:
    """An ordered collection that stages append to."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)


def format_path(path: Path) -> str:
    """``("passwd", "users", 0, "name")`` -> ``passwd.users[0].name``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return clip_text(one_line(out))
