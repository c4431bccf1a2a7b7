"""What each subcommand does, given parsed options."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import TextIO

from hostiso import report, secrets_cli
from hostiso.diagnostics import Diagnostic

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


def emit(
    diagnostics: Iterable[Diagnostic],
    io: IO,
    fmt: str | None,
    root: str = ".",
    texts: dict[str, str] | None = None,
) -> list[Diagnostic]:
    items = report.sort_diagnostics(dedupe(diagnostics))
    if items:
        name = report.pick_format(fmt, isatty=io.isatty(), env=io.env)
        io.stderr.write(report.FORMATS[name](items, report.SourceReader(root, texts)))
    return items


def source_date_epoch(env: dict[str, str]) -> int | str:
    raw = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return 0
    if not raw.isdigit():
        return f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {raw!r}"
    return int(raw)


def _stems(args: argparse.Namespace) -> list[str] | None:
    stems: list[str] = list(args.hosts)
    if args.queue:
        queue = FsPath(args.queue)
        try:
            stems += [s for s in queue.read_text().split() if s]
            queue.unlink()
        except FileNotFoundError:
            pass
        return list(dict.fromkeys(stems))
    return stems or None


def cmd_build(args: argparse.Namespace, io: IO) -> int:
    from hostiso.build import BuildOptions, build
    from hostiso.fleet import Layout

    epoch = source_date_epoch(io.env)
    if isinstance(epoch, str):
        io.stderr.write(f"hostiso: error: {epoch}\n")
        return USAGE_EXIT
    stems = _stems(args)
    root = FsPath(args.root)
    options = BuildOptions(
        spec=args.spec, epoch=epoch, build_dir=root / args.build_dir, out_dir=root / args.out_dir
    )
    result = build(Layout(root), stems, options)
    items = emit(result.diagnostics, io, args.format, args.root)
    return CONFIG_EXIT if any(d.is_error for d in items) else 0


def cmd_lint(args: argparse.Namespace, io: IO) -> int:
    from hostiso.fleet import Layout
    from hostiso.lint import lint

    items = emit(lint(Layout(FsPath(args.root)), args.spec), io, args.format, args.root)
    failing = [d for d in items if d.is_error or args.strict]
    if items and io.isatty():
        io.stderr.write(report.summary(items) + "\n")
    return CONFIG_EXIT if failing else 0


def cmd_pack(args: argparse.Namespace, io: IO) -> int:
    from hostiso import fsutil
    from hostiso.iso import build_iso, validate_label, volume_label

    epoch = source_date_epoch(io.env)
    if isinstance(epoch, str):
        io.stderr.write(f"hostiso: error: {epoch}\n")
        return USAGE_EXIT
    label = args.label
    if label is None:
        label = volume_label(FsPath(args.input).name.split(".")[0])
    problem = validate_label(label)
    if problem:
        io.stderr.write(f"hostiso pack: error: --label: {problem}\n")
        return USAGE_EXIT
    try:
        data = FsPath(args.input).read_bytes()
    except OSError as exc:
        io.stderr.write(f"hostiso pack: error: {args.input}: {exc.strerror}\n")
        return CONFIG_EXIT
    try:
        image = build_iso({args.name: data}, label, epoch)
    except ValueError as exc:
        io.stderr.write(f"hostiso pack: error: {exc}\n")
        return USAGE_EXIT
    fsutil.write_private(FsPath(args.output), image)
    return 0


def cmd_show(args: argparse.Namespace, io: IO) -> int:
    from hostiso.show import show

    return show(args, io)


def cmd_schema(args: argparse.Namespace, io: IO) -> int:
    from hostiso.clc_schema import HOST

    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://hostiso.invalid/host.schema.json",
        "title": "hostiso host file",
        **HOST.json_schema(),
    }
    io.stdout.write(json.dumps(schema, indent=2) + "\n")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, IO], int]] = {
    "build": cmd_build,
    "lint": cmd_lint,
    "pack": cmd_pack,
    "show": cmd_show,
    "schema": cmd_schema,
    "passwd": secrets_cli.cmd_passwd,
    "pki": secrets_cli.cmd_pki,
}
