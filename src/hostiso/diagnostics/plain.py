"""Diagnostics as plain tuples (for the build cache) and back."""

from __future__ import annotations

from typing import Any

from hostiso.diagnostics import Diagnostic, Mark, Severity

RawDiagnostic = tuple[Any, ...]


def _mark(mark: Mark | None) -> tuple[str, int, int] | None:
    return None if mark is None else (mark.file, mark.line, mark.col)


def to_plain(d: Diagnostic) -> RawDiagnostic:
    related = tuple((text, _mark(mark)) for text, mark in d.related)
    return (int(d.severity), d.code, d.message, d.path, _mark(d.mark), d.host, related, d.blocking)


def from_plain(raw: RawDiagnostic) -> Diagnostic:
    """Raises ValueError or TypeError on data that is not a diagnostic."""
    severity, code, message, path, mark, host, related, blocking = raw
    if not (isinstance(code, str) and isinstance(message, str) and isinstance(path, tuple)):
        raise TypeError("not a diagnostic")
    return Diagnostic(
        Severity(severity),
        code,
        message,
        path,
        None if mark is None else Mark(*mark),
        host,
        tuple((text, Mark(*m)) for text, m in related),
        bool(blocking),
    )
