"""What every subcommand shares: the streams, exit codes, printing diagnostics.

Each subcommand is one module of this package with ``HELP``,
``add_arguments(parser)`` and ``run(args, io) -> int``, registered in
``hostiso.cli.COMMANDS``.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import TextIO

from hostiso.diagnostics import Diagnostic, report
from hostiso.util import fsutil

CONFIG_EXIT = 1
USAGE_EXIT = 2


@dataclass
class IO:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    env: dict[str, str]

    def isatty(self) -> bool:
        return hasattr(self.stderr, "isatty") and self.stderr.isatty()


def dedupe(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One copy of each problem: an overlay's error shows once, not once per host."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for d in diagnostics:
        key = (
            d.code,
            d.message,
            d.mark,
            d.path if d.mark is None else None,
            d.host if d.mark is None else None,
        )
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


DOCUMENT_FORMATS = frozenset({"json", "sarif"})
"""Formats that are one document, meant for redirection (``> hostiso.sarif``)."""


def emit(
    diagnostics: Iterable[Diagnostic],
    io: IO,
    fmt: str | None,
    root: str = ".",
    texts: dict[str, str] | None = None,
    *,
    documents: bool = False,
    quote: bool = True,
) -> list[Diagnostic]:
    """Print the diagnostics on stderr; with ``documents``, a json or sarif
    report goes to stdout instead, and is written even when it is empty.
    ``quote=False`` never shows source lines (inputs that hold secrets)."""
    items = report.sort_diagnostics(dedupe(diagnostics))
    if not items and not documents:
        return items
    name = report.pick_format(fmt, isatty=io.isatty(), env=io.env)
    document = documents and name in DOCUMENT_FORMATS
    if items or document:
        stream = io.stdout if document else io.stderr
        source = report.SourceReader(root, texts) if quote else report.NoSource()
        stream.write(report.FORMATS[name](items, source))
    return items


def check_root(root: str, io: IO) -> bool:
    """A fleet directory is one with ``configs/``; say so when --root is not one."""
    path = FsPath(root)
    if not path.is_dir():
        io.stderr.write(f"{root}: error: --root: no such directory\n")
        return False
    if not (path / "configs").is_dir():
        configs = path / "configs"
        io.stderr.write(f"{configs}: error: no such directory (is --root the fleet directory?)\n")
        return False
    return True


def source_date_epoch(io: IO) -> int | None:
    """``SOURCE_DATE_EPOCH`` (0 when unset); None, said on stderr, when it is no
    whole number of seconds (a usage error: nothing is built)."""
    raw = io.env.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return 0
    if not raw.isdigit():
        io.stderr.write(
            f"hostiso: error: SOURCE_DATE_EPOCH must be a whole number of seconds, not {raw!r}\n"
        )
        return None
    return int(raw)


def make_dirs(*paths: FsPath) -> None:
    for path in paths:
        try:
            fsutil.make_dir(path)
        except OSError as exc:
            message = f"cannot create the directory: {exc.strerror}"
            raise OSError(exc.errno, message, str(path)) from exc


def add_fleet_options(p: argparse.ArgumentParser) -> None:
    """``--root``, ``--format`` and ``--template-limit``, for the commands that read a fleet."""
    p.add_argument("--root", default=".", help="the fleet directory (default: .)")
    p.add_argument("--format", choices=sorted(report.FORMATS), help="diagnostic output format")
    p.add_argument(
        "--template-limit",
        metavar="SIZE",
        help=f"the most text one template value may build, like 4M (default: ${LIMIT_ENV} or 1M)",
    )


LIMIT_ENV = "HOSTISO_TEMPLATE_LIMIT"


def template_limits(args: argparse.Namespace, io: IO) -> contextlib.AbstractContextManager[None]:
    """The template limits of a command (``--template-limit`` where it has one,
    else ``$HOSTISO_TEMPLATE_LIMIT``); raises ValueError, saying why, for a bad size."""
    flag = getattr(args, "template_limit", None)
    raw = flag or io.env.get(LIMIT_ENV, "")
    if not raw.strip():
        return contextlib.nullcontext()
    from hostiso.load import limits

    size = limits.parse_size(raw)
    if size is None:
        where = "--template-limit" if flag else LIMIT_ENV
        raise ValueError(f"{where}: {raw!r} is not a size (a number of characters, like 4M)")
    return limits.limited(limits.Limits(size=size))
