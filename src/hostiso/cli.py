"""The command line: parse options, hand them to a command, return an exit code.

Exit codes: 0 success (warnings allowed), 1 problems in the configs,
2 usage errors.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from hostiso import commands, secrets_cli
from hostiso.report import FORMATS

USAGE_EXIT = 2


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=".", help="the fleet directory (default: .)")
    p.add_argument("--format", choices=sorted(FORMATS), help="diagnostic output format")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hostiso",
        description=("Per-host Ignition configs and config ISOs for air-gapped fleets."),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="build build/<host>.ign and out/<host>.iso")
    _common(p)
    p.add_argument("hosts", nargs="*", metavar="HOST", help="host stems (default: all)")
    p.add_argument("--queue", help="read host stems from this file, then remove it")
    p.add_argument("--spec", choices=("2.2.0", "2.3.0"), default="2.3.0")
    p.add_argument("--build-dir", default="build")
    p.add_argument("--out-dir", default="out")

    p = sub.add_parser("lint", help="check the whole fleet without building")
    _common(p)
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument("--spec", choices=("2.2.0", "2.3.0"), default="2.3.0")

    p = sub.add_parser("pack", help="pack one Ignition file into a config ISO")
    p.add_argument("input", metavar="FILE.json")
    p.add_argument("-o", "--output", required=True, metavar="OUT.iso")
    p.add_argument("--label", help="volume label (default: from the file name)")
    p.add_argument("--name", default="config.json", help="file name on the ISO")

    p = sub.add_parser("show", help="print a host's effective config")
    _common(p)
    p.add_argument("host")
    p.add_argument("--origin", action="store_true", help="say which file:line set each value")
    p.add_argument("--ignition", action="store_true", help="print the Ignition JSON instead")
    p.add_argument("--spec", choices=("2.2.0", "2.3.0"), default="2.3.0")

    sub.add_parser("schema", help="print the host file's JSON Schema")
    secrets_cli.add_parsers(sub)
    sub.add_parser(
        "transpile", help="ct drop-in: one CLC file to one Ignition file", add_help=False
    )
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    io = commands.IO(
        stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr, dict(os.environ)
    )
    if args_list and args_list[0] == "transpile":
        from hostiso import transpile_cli

        return transpile_cli.main(args_list[1:], io)
    parser = _build_parser()
    try:
        with contextlib.redirect_stderr(io.stderr), contextlib.redirect_stdout(io.stdout):
            args = parser.parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else USAGE_EXIT
    return int(commands.COMMANDS[args.command](args, io))
