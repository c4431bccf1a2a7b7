"""Diagnostic output formats: one function per format, registered in FORMATS.

Each formatter takes ``(diagnostics, source)`` and returns the whole output,
newline-terminated (empty when there is nothing to say), in the order given;
call :func:`sort_diagnostics` first for file order.  ``text``/``colored`` are
for people (source line and caret), ``parsable`` (after yamllint) for editors
and grep, ``json`` and ``sarif`` for tools, ``github`` for Actions annotations.
A diagnostic without a mark is located as ``<host NAME>`` when it belongs to
one host and ``<fleet>`` otherwise.  A mark on line 0 (:func:`file_mark`) names
a whole file, an output that cannot be written: it is shown as ``FILE``, with no
source line, line or column.
"""

from __future__ import annotations

import functools
import json
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from hostiso import __version__
from hostiso.diagnostics import LINE_BREAK, Diagnostic, Mark, Severity, format_path
from hostiso.diagnostics.redact import redact
from hostiso.diagnostics.snippet import render_line, window

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/hostiso/hostiso"
SRCROOT = "%SRCROOT%"


def file_mark(file: str) -> Mark:
    """A mark for a whole file (``PATH: error: MESSAGE``), not a place in it."""
    return Mark(file, 0, 0)


def _has_position(mark: Mark) -> bool:
    return mark.line > 0


def _mark_text(mark: Mark) -> str:
    """``file:line:col``, or ``file`` for a :func:`file_mark`."""
    return str(mark) if _has_position(mark) else mark.file


class SourceReader:
    """Returns line N of a file, reading each file once; missing files give None.

    Relative names are looked up under ``root`` (default: the working
    directory).  ``texts`` supplies contents by name without touching disk
    (stdin, tests).
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        texts: Mapping[str, str] | None = None,
    ) -> None:
        self._root = Path(root) if root is not None else None
        self._cache: dict[str, list[str] | None] = {
            name: split_lines(text) for name, text in (texts or {}).items()
        }

    def line(self, file: str, number: int) -> str | None:
        """Line ``number`` (1-based) without its line break, or None."""
        if file not in self._cache:
            self._cache[file] = self._read(file)
        lines = self._cache[file]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]

    def _read(self, file: str) -> list[str] | None:
        path = Path(file)
        if self._root is not None and not path.is_absolute():
            path = self._root / path
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                return None  # a FIFO would hang the read: quote only regular files
            data = path.read_bytes()
        except OSError:
            return None
        return split_lines(data.decode("utf-8", errors="replace"))


class NoSource(SourceReader):
    """Quotes nothing: for inputs that must never be echoed (``pack``'s config
    is one line holding every key and password hash of the host)."""

    def line(self, file: str, number: int) -> str | None:
        return None


def split_lines(text: str) -> list[str]:
    """Lines as YAML counts them; a leading BOM is dropped (YAML skips it too)."""
    return LINE_BREAK.split(text.removeprefix("\ufeff"))


Formatter = Callable[[Sequence[Diagnostic], SourceReader], str]


# --- helpers shared by the formats ------------------------------------------


def where(diagnostic: Diagnostic) -> str:
    """``file:line:col``, else ``<host NAME>``, else ``<fleet>``."""
    if diagnostic.mark is not None:
        return _mark_text(diagnostic.mark)
    if diagnostic.host is not None:
        return f"<host {diagnostic.host}>"
    return "<fleet>"


def _one_line(message: str) -> str:
    return LINE_BREAK.sub(" ", message)


def _indent_continuation(message: str) -> str:
    return LINE_BREAK.sub("\n    ", message)


def _lines_output(lines: Sequence[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """By file, line, col, code (stable); diagnostics without a mark last."""

    def key(d: Diagnostic) -> tuple[bool, str, int, int, str]:
        m = d.mark
        return (m is None, m.file if m else "", m.line if m else 0, m.col if m else 0, d.code)

    return sorted(diagnostics, key=key)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary(diagnostics: Iterable[Diagnostic]) -> str:
    """``3 errors, 1 warning in 2 hosts``; zero counts are left out."""
    diagnostics = list(diagnostics)
    if not diagnostics:
        return "no problems"
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    parts = [_plural(n, noun) for n, noun in ((errors, "error"), (warnings, "warning")) if n]
    hosts = {d.host for d in diagnostics if d.host is not None}
    tail = f" in {_plural(len(hosts), 'host')}" if hosts else ""
    return ", ".join(parts) + tail


def pick_format(requested: str | None, *, isatty: bool, env: Mapping[str, str]) -> str:
    """The format to use.

    An explicit request wins (unknown names raise ValueError; the CLI offers
    the names of :data:`FORMATS` as choices).  Otherwise ``github`` inside
    GitHub Actions (``GITHUB_ACTIONS=true``), so problems become annotations;
    ``text`` otherwise, whose first line per problem is the classic
    ``FILE:LINE:COL: error: MESSAGE [code]`` that editors and make users
    expect, piped or not.  Colour is picked only on a terminal.
    """
    if requested is not None:
        if requested not in FORMATS:
            raise ValueError(f"unknown format {requested!r}; choose from {', '.join(FORMATS)}")
        return requested
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    return "colored" if isatty and not env.get("NO_COLOR") else "text"


# --- text ---------------------------------------------------------------------

_RESET = "\x1b[0m"
_STYLE = {
    "where": "\x1b[1m",
    "error": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "note": "\x1b[1;36m",
    "caret": "\x1b[1;32m",
    "code": "\x1b[2m",
}


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_STYLE[style]}{text}{_RESET}" if color else text


def _snippet(mark: Mark, source: SourceReader, color: bool, code: str = "") -> list[str]:
    line = source.line(mark.file, mark.line)
    if line is None:
        return []
    line, col = window(redact(line, mark.col, code), mark.col)
    shown, starts = render_line(line)
    gutter = " " * len(str(mark.line))
    pad = " " * starts[min(max(col, 1), len(starts)) - 1]
    return [
        f" {mark.line} | {shown}".rstrip(),
        f" {gutter} | {pad}{_paint('^', 'caret', color)}",
    ]


def _context(diagnostic: Diagnostic) -> list[str]:
    parts = []
    if diagnostic.host is not None and diagnostic.mark is not None:
        parts.append(f"host: {diagnostic.host}")
    if diagnostic.path:
        parts.append(f"path: {format_path(diagnostic.path)}")
    return [f"  = {', '.join(parts)}"] if parts else []


def _text_one(diagnostic: Diagnostic, source: SourceReader, color: bool) -> list[str]:
    severity = str(diagnostic.severity)
    message = _indent_continuation(diagnostic.message)
    head = (
        f"{_paint(where(diagnostic) + ':', 'where', color)} "
        f"{_paint(severity + ':', severity, color)} {message} "
        f"{_paint('[' + diagnostic.code + ']', 'code', color)}"
    )
    lines = [head]
    if diagnostic.mark is not None:
        lines += _snippet(diagnostic.mark, source, color, diagnostic.code)
    lines += _context(diagnostic)
    for note, mark in diagnostic.related:
        where_note = _paint(f"{mark}:", "where", color)
        lines.append(f"{where_note} {_paint('note:', 'note', color)} {_indent_continuation(note)}")
    return lines


def text(diagnostics: Sequence[Diagnostic], source: SourceReader, *, color: bool = False) -> str:
    """``file:line:col: error: message [code]``, then the source line with a caret
    under the column (tabs to multiples of 8), ``= host: .., path: ..``, and one
    ``note:`` line per related location.  Message continuation lines are indented."""
    return _lines_output([line for d in diagnostics for line in _text_one(d, source, color)])


# --- parsable -----------------------------------------------------------------


def parsable(diagnostics: Sequence[Diagnostic], source: SourceReader) -> str:
    """``file:line:col: [error] message (code)``: line breaks in a message become
    spaces; each related location follows as a ``[note]`` line."""
    lines: list[str] = []
    for d in diagnostics:
        lines.append(f"{where(d)}: [{d.severity}] {_one_line(d.message)} ({d.code})")
        lines += [f"{mark}: [note] {_one_line(note)} ({d.code})" for note, mark in d.related]
    return _lines_output(lines)


# --- json ---------------------------------------------------------------------


def _json_diagnostic(d: Diagnostic) -> dict[str, Any]:
    m = d.mark
    placed = m is not None and _has_position(m)
    return {
        "file": m.file if m else None,
        "line": m.line if m and placed else None,
        "col": m.col if m and placed else None,
        "severity": str(d.severity),
        "code": d.code,
        "message": d.message,
        "path": format_path(d.path) if d.path else None,
        "host": d.host,
        "related": [
            {"file": rm.file, "line": rm.line, "col": rm.col, "message": note}
            for note, rm in d.related
        ],
    }


def _dump(document: object) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def json_(diagnostics: Sequence[Diagnostic], source: SourceReader) -> str:
    """A JSON array; absent file/line/col/path/host are null."""
    return _dump([_json_diagnostic(d) for d in diagnostics])


# --- github -------------------------------------------------------------------


def escape_data(value: str) -> str:
    """Escape a workflow command's message, as actions/toolkit's escapeData."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow command property, as actions/toolkit's escapeProperty."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _workflow_command(name: str, mark: Mark | None, title: str, message: str) -> str:
    props: list[tuple[str, str]] = []
    if mark is not None:
        props.append(("file", mark.file))
    if mark is not None and _has_position(mark):
        props += [("line", str(mark.line)), ("col", str(mark.col))]
    props.append(("title", title))
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in props if value)
    return f"::{name} {joined}::{escape_data(message)}"


def github(diagnostics: Sequence[Diagnostic], source: SourceReader) -> str:
    """``::error file=F,line=L,col=C,title=CODE::MESSAGE``; notes as ``::notice``."""
    lines: list[str] = []
    for d in diagnostics:
        command = "error" if d.is_error else "warning"
        lines.append(_workflow_command(command, d.mark, d.code, d.message))
        lines += [_workflow_command("notice", m, d.code, note) for note, m in d.related]
    return _lines_output(lines)


# --- sarif --------------------------------------------------------------------


def _artifact_location(file: str, root: str | os.PathLike[str] | None) -> dict[str, str]:
    """A relative URI under %SRCROOT%; absolute paths outside ``root`` as file URIs."""
    path = PurePath(file)
    if path.is_absolute() and root is not None and path.is_relative_to(root):
        path = path.relative_to(root)
    if path.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path.as_posix()), "uriBaseId": SRCROOT}


def _physical(mark: Mark, root: str | os.PathLike[str] | None) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": _artifact_location(mark.file, root)}
    if _has_position(mark):
        location["region"] = {"startLine": mark.line, "startColumn": mark.col}
    return {"physicalLocation": location}


def _sarif_result(
    d: Diagnostic, rule_index: int, root: str | os.PathLike[str] | None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": "error" if d.is_error else "warning",
        "message": {"text": d.message},
        "locations": [_physical(d.mark, root)] if d.mark is not None else [],
    }
    if d.related:
        result["relatedLocations"] = [
            {"id": i, "message": {"text": note}, **_physical(m, root)}
            for i, (note, m) in enumerate(d.related, start=1)
        ]
    props = {"host": d.host, "path": format_path(d.path) if d.path else None}
    if any(props.values()):
        result["properties"] = {k: v for k, v in props.items() if v is not None}
    return result


def sarif(
    diagnostics: Sequence[Diagnostic],
    source: SourceReader,
    *,
    root: str | os.PathLike[str] | None = None,
    descriptions: Mapping[str, str] | None = None,
) -> str:
    """SARIF 2.1.0: one run, one rule per code used (sorted by code).

    ``descriptions`` maps a code to its rule's short description; by default
    the code's words (``unknown-key`` -> ``unknown key``).  Columns count
    Unicode code points, as YAML marks do.
    """
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    describe = descriptions or {}
    rules = [
        {"id": c, "shortDescription": {"text": describe.get(c, c.replace("-", " "))}} for c in codes
    ]
    driver = {
        "name": "hostiso",
        "version": __version__,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    run = {
        "tool": {"driver": driver},
        "columnKind": "unicodeCodePoints",
        "results": [_sarif_result(d, index[d.code], root) for d in diagnostics],
    }
    return _dump({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]})


FORMATS: dict[str, Formatter] = {
    "text": text,
    "colored": functools.partial(text, color=True),
    "parsable": parsable,
    "json": json_,
    "github": github,
    "sarif": sarif,
}
