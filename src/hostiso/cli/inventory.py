"""``hostiso inventory``: the fleet as an Ansible inventory.

An inventory script as Ansible runs one: ``--list`` (the default) prints
every group and ``_meta.hostvars``, ``--host NAME`` one host's variables.
``--format yaml|ini`` prints a static inventory instead (kubespray's
``inventory/<cluster>/hosts.yaml``).  Errors go to stderr and make the exit
code 1; without ``--partial`` nothing is printed then, and ``--output`` is
left as it was.  Warnings are ``hostiso lint``'s to show.
"""

from __future__ import annotations

import argparse
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

from hostiso.cli.io import CONFIG_EXIT, IO, USAGE_EXIT, check_root, emit
from hostiso.diagnostics import report

if TYPE_CHECKING:
    from hostiso.export.model import Inventory

HELP = "print the fleet as an Ansible inventory (a dynamic inventory script)"
INVENTORY_FORMATS = ("json", "yaml", "ini")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=".", help="the fleet directory (default: .)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--list", action="store_true", help="every group and host (the default)")
    what.add_argument("--host", metavar="NAME", help="one host's variables, as JSON")
    p.add_argument(
        "--format",
        choices=INVENTORY_FORMATS,
        default="json",
        help="json: what an inventory script prints (default); yaml, ini: a static inventory",
    )
    p.add_argument(
        "--partial",
        action="store_true",
        help="print the hosts without errors even when others have errors (exit code still 1)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write FILE (atomically), not stdout")
    p.add_argument(
        "--diagnostics", choices=sorted(report.FORMATS), help="format of the errors on stderr"
    )


def run(args: argparse.Namespace, io: IO) -> int:
    from hostiso.load.fleet import Layout
    from hostiso.pipeline.inventory import inventory

    if args.host is not None and args.format != "json":
        io.stderr.write("hostiso inventory: error: --host prints JSON; drop --format\n")
        return USAGE_EXIT
    if not check_root(args.root, io):
        return USAGE_EXIT
    from hostiso.util.collect import few_collections

    with few_collections():
        result = inventory(Layout(FsPath(args.root)), partial=args.partial)
    emit(result.errors, io, args.diagnostics, args.root)
    if result.inventory is None:
        return CONFIG_EXIT
    text = _render(result.inventory, args, io)
    if text is None or not _write(text, args.output, io):
        return CONFIG_EXIT
    return CONFIG_EXIT if result.errors else 0


def _render(inv: Inventory, args: argparse.Namespace, io: IO) -> str | None:
    from hostiso.export.formats import FORMATS, host_json

    if args.host is None:
        return FORMATS[args.format](inv)
    variables = inv.hostvars.get(args.host)
    if variables is None:
        io.stderr.write(f"hostiso inventory: error: no host named '{args.host}' in the inventory\n")
        return None
    return host_json(variables)


def _write(text: str, output: str | None, io: IO) -> bool:
    if output is None:
        io.stdout.write(text)
        return True
    from hostiso.util import fsutil

    try:
        fsutil.write_private(FsPath(output), text.encode("utf-8"))
    except OSError as exc:
        io.stderr.write(f"{output}: error: cannot write: {exc.strerror}\n")
        return False
    return True
