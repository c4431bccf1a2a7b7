"""What each subcommand does, given parsed options."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import TextIO

from hostiso import report, secrets_cli
from hostiso.diagnostics import Diagnostic, Mark, error

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
    if not check_root(args.root, io):
        return USAGE_EXIT
    root = FsPath(args.root)
    options = BuildOptions(
        spec=args.spec,
        epoch=epoch,
        build_dir=root / args.build_dir,
        out_dir=root / args.out_dir,
        prune=not args.hosts,
    )
    try:
        make_dirs(options.build_dir, options.out_dir)
        result = build(Layout(root), _stems(args), options)
    except OSError as exc:
        io.stderr.write(f"{exc.filename}: error: {exc.strerror}\n")
        return CONFIG_EXIT
    items = emit(result.diagnostics, io, args.format, args.root)
    return CONFIG_EXIT if any(d.is_error for d in items) else 0


def make_dirs(*paths: FsPath) -> None:
    from hostiso import fsutil

    for path in paths:
        try:
            fsutil.make_dir(path)
        except OSError as exc:
            message = f"cannot create the directory: {exc.strerror}"
            raise OSError(exc.errno, message, str(path)) from exc


def cmd_lint(args: argparse.Namespace, io: IO) -> int:
    from hostiso.fleet import Layout
    from hostiso.lint import lint

    if not check_root(args.root, io):
        return USAGE_EXIT
    found = lint(Layout(FsPath(args.root)), args.spec)
    items = emit(found, io, args.format, args.root, documents=True)
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
    data = _read_config(args.input, io)
    if data is None:
        return CONFIG_EXIT
    try:
        image = build_iso({args.name: data}, label, epoch)
    except ValueError as exc:
        io.stderr.write(f"hostiso pack: error: {exc}\n")
        return USAGE_EXIT
    try:
        fsutil.write_private(FsPath(args.output), image)
    except OSError as exc:
        io.stderr.write(f"{args.output}: error: cannot write: {exc.strerror}\n")
        return CONFIG_EXIT
    return 0


def _read_config(name: str, io: IO) -> bytes | None:
    """The input of ``pack``, or None once the reason it is unusable is printed."""
    try:
        data = FsPath(name).read_bytes()
    except OSError as exc:
        io.stderr.write(f"hostiso pack: error: {name}: {exc.strerror}\n")
        return None
    problem = json_object_problem(data, name)
    if problem is not None:
        # No source line: an Ignition config is one line holding the host's
        # private keys and password hashes.
        emit([problem], io, None, quote=False)
        return None
    return data


def json_object_problem(data: bytes, name: str) -> Diagnostic | None:
    """Why ``data`` is not a UTF-8 JSON object (what Ignition reads), or None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = _mark_at(data[: exc.start].decode("utf-8"), name)
        return error("invalid-json", f"not UTF-8: byte 0x{data[exc.start]:02x}", mark=where)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        where = Mark(name, exc.lineno, exc.colno)
        return error("invalid-json", f"not JSON: {exc.msg}", mark=where)
    except RecursionError:
        return error("invalid-json", "not JSON: nested too deeply", mark=Mark(name, 1, 1))
    if not isinstance(value, dict):
        kind = _JSON_KINDS.get(type(value), "a value")
        message = f"expected a JSON object (an Ignition config), not {kind}"
        return error(
            "invalid-json", message, mark=_mark_at(text[: len(text) - len(text.lstrip())], name)
        )
    return None


_JSON_KINDS = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _mark_at(before: str, name: str) -> Mark:
    """The position just after ``before``, the text preceding it."""
    line = before.count("\n") + 1
    return Mark(name, line, len(before) - (before.rfind("\n") + 1) + 1)


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
