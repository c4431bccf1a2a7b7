"""PyYAML's syntax errors as diagnostics, at the line where the construct began.

PyYAML gives two marks: the *context*, where the construct it was reading
started (an opening quote or bracket, a key), and the *problem*, where it
noticed that something is wrong (often the end of the file, or the next
line).  The mistake is almost always at the context: the error stands
there, and a note at the problem says where PyYAML stopped.  Inside a block
mapping or list the context is the start of that whole mapping, which can be
hundreds of lines up: there the problem line is the error and the context
the note.  No mark ever points past the file's last line: the end of the
file is the end of its last line.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import yaml

from hostiso.diagnostics import LINE_BREAK, Diagnostic, Mark, error

_ENCLOSING = frozenset({"while parsing a block mapping", "while parsing a block collection"})
"""Contexts that name the enclosing block, not the construct that went wrong."""

_UNCLOSED = {
    "while parsing a flow sequence": ("this '[' is never closed", "its ']'"),
    "while parsing a flow mapping": ("this '{' is never closed", "its '}'"),
    "while scanning a quoted scalar": ("this quoted string is never closed", "its closing quote"),
}
"""Constructs the end of the file interrupted: what to say, and what is missing."""

SECOND_DOCUMENT = (
    "a second YAML document starts here; a host file or overlay must hold exactly "
    "one document (remove this '---' and what follows, or merge it into the first)"
)


class _Text:
    """The file's lines as marks count them (a leading BOM takes no column)."""

    def __init__(self, text: str) -> None:
        self.lines = LINE_BREAK.split(text.removeprefix("\ufeff"))
        if len(self.lines) > 1 and self.lines[-1] == "":
            self.lines.pop()  # the break that ends the last line starts no line

    def mark(self, file: str, m: Any) -> Mark:
        """``m`` as a 1-based mark; past the last line is the end of the last line."""
        if m.line < len(self.lines):
            return Mark(file, m.line + 1, m.column + 1)
        return Mark(file, len(self.lines), len(self.lines[-1]) + 1)

    def at_end(self, m: Any) -> bool:
        """Only blanks follow ``m``: the file ended while something was open."""
        if m.line >= len(self.lines):
            return True
        rest = [self.lines[m.line][m.column :], *self.lines[m.line + 1 :]]
        return not "".join(rest).strip()


def syntax_error(exc: yaml.MarkedYAMLError, text: str, file: str) -> Diagnostic:
    """The diagnostic for a YAML syntax error (see the module docstring)."""
    tab = _tab_error(exc, text, file)
    if tab is not None:
        return tab
    lines = _Text(text)
    problem = lines.mark(file, exc.problem_mark) if exc.problem_mark else Mark(file, 1, 1)
    words = exc.problem or "invalid YAML"
    context = exc.context or ""
    if "single document" in context:
        return error("yaml-syntax", SECOND_DOCUMENT, mark=problem)
    if exc.context_mark is None or not context:
        return error("yaml-syntax", _with_hint(words, text, problem.line), mark=problem)
    begun = lines.mark(file, exc.context_mark)
    if context in _ENCLOSING:
        message = f"{words} ({context} that starts at line {begun.line})"
        return _at(message, problem, (f"the {context.split()[-1]} starts here", begun))
    if context in _UNCLOSED and exc.problem_mark and lines.at_end(exc.problem_mark):
        what, missing = _UNCLOSED[context]
        message = f"{what}: the file ends before {missing}"
        return _at(message, begun, ("the file ends here", problem))
    message = _with_hint(f"{words} ({context} that starts here)", text, begun.line)
    return _at(message, begun, (f"noticed here: {words}", problem))


def _at(message: str, mark: Mark, note: tuple[str, Mark]) -> Diagnostic:
    found = error("yaml-syntax", message, mark=mark)
    return found if note[1] == mark else replace(found, related=(note,))


def _with_hint(message: str, text: str, line: int) -> str:
    hint = _block_scalar_hint(text, line)
    return f"{message}; {hint}" if hint else message


def _tab_error(exc: yaml.MarkedYAMLError, text: str, file: str) -> Diagnostic | None:
    """Tabs in indentation are the classic mistake; say so plainly."""
    mark = exc.problem_mark
    if mark is None:
        return None
    lines = text.splitlines()
    for lineno in (mark.line + 1, mark.line):
        if not 0 < lineno <= len(lines):
            continue
        line = lines[lineno - 1]
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            return error(
                "yaml-tab",
                "tab character used for indentation; YAML allows only spaces here",
                mark=Mark(file, lineno, len(line) - len(stripped) + 1),
            )
    return None


_BLOCK_KEY = re.compile(r"^(\s*)(?:-\s+)?[^#\s][^:#]*:\s*[|>][-+0-9]*\s*(#.*)?$")


def _block_scalar_hint(text: str, error_line: int) -> str | None:
    """Explain the easy mistake of a ``key: |`` block not indented under its key."""
    lines = text.splitlines()
    for i in range(min(error_line, len(lines)) - 1, -1, -1):
        match = _BLOCK_KEY.match(lines[i])
        if not match:
            continue
        key_indent = len(lines[i]) - len(lines[i].lstrip(" "))
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if following.strip() and len(following) - len(following.lstrip(" ")) <= key_indent:
            return (
                f"the block scalar started on line {i + 1} needs its text indented "
                "further than its key"
            )
        return None
    return None
