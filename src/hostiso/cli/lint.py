"""``hostiso lint``: check the whole fleet, build nothing."""

from __future__ import annotations

import argparse
from pathlib import Path as FsPath

from hostiso.cli.build import add_jobs_option, add_spec_option
from hostiso.cli.io import CONFIG_EXIT, IO, USAGE_EXIT, add_fleet_options, check_root, emit
from hostiso.diagnostics import report

HELP = "check the whole fleet without building"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_fleet_options(p)
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    add_spec_option(p)
    add_jobs_option(p)


def run(args: argparse.Namespace, io: IO) -> int:
    from hostiso.load.fleet import Layout
    from hostiso.pipeline.lint import lint
    from hostiso.util.collect import few_collections

    if not check_root(args.root, io):
        return USAGE_EXIT
    with few_collections():
        found = lint(Layout(FsPath(args.root)), args.spec, jobs=args.jobs)
    items = emit(found, io, args.format, args.root, documents=True)
    failing = [d for d in items if d.is_error or args.strict]
    if items and io.isatty():
        io.stderr.write(report.summary(items) + "\n")
    return CONFIG_EXIT if failing else 0
