"""Which files may be read as host files and overlays, and which names they may have.

A host file's stem becomes make targets (``out/<stem>.iso``), words of
``build/.hosts`` and of depfiles, and the argument of ``hostiso build
<stem>`` in make's shell recipe; a group's name becomes ``overlays/<group>.yaml``
in every depfile of its hosts.  So both are limited to what make and the
shell take as they are: ASCII letters, digits, ``.``, ``_``, ``-``, ``+``,
``@``, not starting with ``.`` or ``-``.  The host's own name can still be
anything ``hostname:`` allows.

A host file or overlay must be a regular file (a FIFO would hang the read)
and must not be a symbolic link that leads outside the fleet directory
(its lines would end up quoted in error messages).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path as FsPath

from hostiso.diagnostics import Diagnostic, error
from hostiso.diagnostics.report import file_mark
from hostiso.util import fsutil

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+@-]*")
MAX_NAME = 200
"""Bytes: ``.<stem>.yaml.<pid>.tmp`` and friends must fit in a 255-byte file name."""

_WHY = {
    " ": "make splits names at spaces",
    "\t": "make splits names at tabs",
    ":": "make reads ':' as the end of a rule's targets",
    "#": "make reads '#' as the start of a comment",
    "%": "make reads '%' as a pattern",
    "$": "make reads '$' as a variable",
    ";": "make reads ';' as the start of a recipe",
    "=": "make reads '=' as an assignment",
    "\\": "make reads '\\' as an escape",
    "*": "make and the shell read '*' as a wildcard",
    "?": "make and the shell read '?' as a wildcard",
    "[": "make and the shell read '[' as a wildcard",
    "]": "make and the shell read '[...]' as a wildcard",
}
ALLOWED = "ASCII letters, digits, '.', '_', '-', '+' and '@' (not first: '.' or '-')"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a host file's stem or a group's name, or None."""
    if len(name) <= MAX_NAME and NAME.fullmatch(name):  # ASCII: as many bytes as characters
        return None
    if not name:
        return "it is empty"
    if len(name.encode("utf-8", "replace")) > MAX_NAME:
        return f"it is longer than {MAX_NAME} bytes"
    if name[0] in ".-":
        return f"it starts with {name[0]!r}"
    return _why_char(next(c for c in name if not NAME.fullmatch("a" + c)))


def _why_char(bad: str) -> str:
    if bad in _WHY:
        return _WHY[bad]
    if "\udc80" <= bad <= "\udcff":  # os.listdir's stand-in for a byte that is not UTF-8
        return f"it holds the byte 0x{ord(bad) - 0xDC00:02X}, which is not UTF-8"
    if not bad.isprintable():
        return f"it holds the control character U+{ord(bad):04X}"
    return f"make or the shell cannot take {bad!r} in a file name"


UNSAFE_IN_DEPFILE = frozenset(";%=*?[]\\")
"""What a depfile cannot say even escaped (``:``, ``#``, ``$`` and spaces it can)."""


def input_name_problem(name: str) -> str | None:
    """Why a file a build reads (under ``files/`` or ``secrets/``) cannot be named
    in the host's depfile, or None."""
    bad = next((c for c in name if c in UNSAFE_IN_DEPFILE or not c.isprintable()), None)
    return None if bad is None else _why_char(bad)


def stem_problem(stem: str) -> str | None:
    """Why ``configs/<stem>.yaml`` cannot be a host file (see the module doc), or None."""
    if len(stem) <= MAX_NAME and NAME.fullmatch(stem):  # a run asks 4 times per host
        return None
    return name_problem(stem)


def bad_stem(stem: str, display: str) -> Diagnostic | None:
    """``configs/a b.yaml: error: ... [bad-file-name]`` for a stem make cannot take."""
    why = stem_problem(stem)
    if why is None:
        return None
    shown = stem.encode("unicode_escape").decode("ascii") if not stem.isprintable() else stem
    message = (
        f"the host file name '{shown}' cannot be used: {why}; "
        f"name host files with {ALLOWED} and set the host's name with 'hostname:'"
    )
    return error("bad-file-name", message, mark=file_mark(printable(display)))


def bad_group(name: str) -> str | None:
    """Why ``name`` cannot be a group (its overlay is ``overlays/<name>.yaml``), or None."""
    why = name_problem(name)
    if why is None:
        return None
    shown = printable(name if len(name) <= 40 else name[:37] + "...")
    return f"the group name '{shown}' cannot be used: {why}; name groups with {ALLOWED}"


def printable(text: str) -> str:
    """``text`` with control characters escaped (a file name with a newline, say)."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def source_problem(root: FsPath, path: FsPath, display: str) -> Diagnostic | None:
    """Why the host file or overlay ``path`` cannot be read, or None (missing: None too)."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            if not _inside(root, path):
                return error(
                    "path-escape",
                    "a symbolic link that leads outside the fleet directory; "
                    "host files and overlays must stay inside it",
                    mark=file_mark(printable(display)),
                )
            mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None  # missing: the caller says what that means
    except OSError as exc:  # a symbolic link loop, say
        message = f"cannot read: {exc.strerror or exc}"
        return error("file-unreadable", message, mark=file_mark(printable(display)))
    if stat.S_ISREG(mode):
        return None
    kind = fsutil.file_kind(mode)
    return error("file-unreadable", f"{kind}, not a regular file", mark=file_mark(display))


def _inside(root: FsPath, path: FsPath) -> bool:
    """Whether the link ``path`` leads into the fleet, or into its own directory
    (``configs/`` may itself be a link to a checkout elsewhere)."""
    target = fsutil.real(path)
    return any(target.is_relative_to(fsutil.real(d)) for d in (root, path.parent))
