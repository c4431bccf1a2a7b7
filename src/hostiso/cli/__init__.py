"""The command line: parse options, hand them to a subcommand, return an exit code.

Each subcommand is one module of this package with ``HELP``,
``add_arguments(parser)`` and ``run(args, io) -> int`` (a module with
``RAW_ARGUMENTS = True`` parses its own arguments: ``run(argv, io)``).
Adding one is one module plus one line in :data:`COMMANDS`.  Only the
module of the command given is imported, so ``hostiso passwd`` never loads
the pipeline.

Exit codes: 0 success (warnings allowed), 1 problems in the configs,
2 usage errors.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TextIO

from hostiso.cli.io import IO, USAGE_EXIT, template_limits

COMMANDS: dict[str, str] = {
    "build": "hostiso.cli.build",
    "lint": "hostiso.cli.lint",
    "pack": "hostiso.cli.pack",
    "show": "hostiso.cli.show",
    "schema": "hostiso.cli.schema",
    "passwd": "hostiso.cli.passwd",
    "pki": "hostiso.cli.pki",
    "transpile": "hostiso.cli.transpile",
    "inventory": "hostiso.cli.inventory",
    "serve": "hostiso.cli.serve",
    "attach": "hostiso.cli.attach",
    "installer": "hostiso.cli.installer",
}
"""Subcommand name -> the module that implements it."""


def _modules(wanted: str | None) -> dict[str, ModuleType]:
    names = [wanted] if wanted in COMMANDS else list(COMMANDS)
    return {name: importlib.import_module(COMMANDS[name]) for name in names}


def _build_parser(modules: dict[str, ModuleType]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hostiso",
        description="Per-host Ignition configs and config ISOs for air-gapped fleets.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in modules.items():
        raw = getattr(module, "RAW_ARGUMENTS", False)
        p = sub.add_parser(name, help=module.HELP, add_help=not raw)
        if not raw:
            module.add_arguments(p)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    io = IO(stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr, dict(os.environ))
    modules = _modules(args_list[0] if args_list else None)
    if args_list and getattr(modules.get(args_list[0]), "RAW_ARGUMENTS", False):
        return int(modules[args_list[0]].run(args_list[1:], io))
    parser = _build_parser(modules)
    try:
        with contextlib.redirect_stderr(io.stderr), contextlib.redirect_stdout(io.stdout):
            args = parser.parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else USAGE_EXIT
    try:
        limits = template_limits(args, io)
    except ValueError as exc:
        io.stderr.write(f"hostiso: error: {exc}\n")
        return USAGE_EXIT
    with limits:
        return int(modules[args.command].run(args, io))


def run() -> None:
    """The ``hostiso`` command: :func:`main`, then exit without tearing the heap down.

    A build of 10,000 hosts leaves millions of objects; freeing them one by
    one (and the collector's last pass over them) took longer at exit than a
    one-host rebuild itself.  Output is flushed first; every file the
    commands write is closed (and renamed into place) before they return.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
