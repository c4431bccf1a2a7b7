"""``hostiso build [HOST...]``: build build/<host>.ign and out/<host>.iso."""

from __future__ import annotations

import argparse
import contextlib
import errno
from pathlib import Path as FsPath

from hostiso.cli import progress
from hostiso.cli.io import (
    CONFIG_EXIT,
    IO,
    USAGE_EXIT,
    add_fleet_options,
    check_root,
    emit,
    make_dirs,
    source_date_epoch,
)
from hostiso.diagnostics import Diagnostic, error
from hostiso.diagnostics.report import file_mark

HELP = "build build/<host>.ign and out/<host>.iso"
SPEC_HELP = (
    "Ignition spec to write: %(choices)s (default: each host's ignition.version, "
    "else 2.3.0; see docs/spec3.md)"
)


def add_spec_option(p: argparse.ArgumentParser) -> None:
    """``--spec``: the flag wins over every host's ``ignition.version``."""
    from hostiso.load.specs import SPECS

    p.add_argument("--spec", choices=SPECS, default=None, help=SPEC_HELP)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_fleet_options(p)
    p.add_argument("hosts", nargs="*", metavar="HOST", help="host stems (default: all)")
    p.add_argument("--queue", help="read host stems from this file, then remove it")
    add_spec_option(p)
    p.add_argument("--build-dir", default="build")
    p.add_argument("--out-dir", default="out")
    p.add_argument("--timings", action="store_true", help="print the time each step took")
    p.add_argument("--no-cache", action="store_true", help="build every host from scratch")
    add_jobs_option(p)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a number of processes (1 or more), not {text!r}"
        )
    return value


def add_jobs_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-j",
        "--jobs",
        type=_count,
        default=None,
        metavar="N",
        help="processes for the hosts to load (default: one per CPU, up to 8; 1: no fork)",
    )


MAX_QUEUE = 64 << 20
"""Read at most this much of a queue file (a million long host names)."""


def _stems(args: argparse.Namespace) -> list[str] | Diagnostic | None:
    """The hosts to build: the arguments and the queue's names (None: all hosts).

    The queue file is removed once read; one that is not a list of host names
    (not UTF-8, a NUL byte, not a regular file) is an error, builds nothing,
    and is removed too (whoever wrote it writes the names again).
    """
    stems: list[str] = list(args.hosts)
    if not args.queue:
        return stems or None
    queue = FsPath(args.queue)
    try:
        stems += _read_queue(queue)
    except FileNotFoundError:
        pass
    except OSError as exc:
        return error("bad-queue", exc.strerror or str(exc), mark=file_mark(args.queue))
    finally:
        with contextlib.suppress(OSError):
            if queue.is_file():
                queue.unlink()
    return list(dict.fromkeys(stems))


def _read_queue(queue: FsPath) -> list[str]:
    from hostiso.util import fsutil

    data = fsutil.read_regular(queue, MAX_QUEUE + 1)
    problem = None
    if len(data) > MAX_QUEUE:
        problem = f"not a list of host names: longer than {MAX_QUEUE >> 20} MiB"
    elif b"\0" in data:
        problem = "not a list of host names: it holds a NUL byte"
    else:
        try:
            return data.decode("utf-8").split()
        except UnicodeDecodeError as exc:
            problem = f"not a list of host names: not UTF-8 ({exc.reason} at byte {exc.start})"
    raise OSError(errno.EINVAL, problem, str(queue))


def run(args: argparse.Namespace, io: IO) -> int:
    from hostiso.load.fleet import Layout
    from hostiso.pipeline.build import BuildOptions, build
    from hostiso.util.collect import few_collections

    epoch = source_date_epoch(io)
    if epoch is None or not check_root(args.root, io):
        return USAGE_EXIT
    root = FsPath(args.root)
    options = BuildOptions(
        spec=args.spec,
        epoch=epoch,
        build_dir=root / args.build_dir,
        out_dir=root / args.out_dir,
        prune=not args.hosts,
        cache=not args.no_cache,
        hook=progress.hook(io.stderr, io.env),
        jobs=args.jobs,
    )
    stems = _stems(args)
    if isinstance(stems, Diagnostic):
        emit([stems], io, args.format, args.root)
        return CONFIG_EXIT
    try:
        make_dirs(options.build_dir, options.out_dir)
        with few_collections():
            result = build(Layout(root), stems, options)
    except OSError as exc:  # the build or out directory, or the lock: nothing can be built
        where = file_mark(str(exc.filename or args.build_dir))
        emit([error("cannot-write", exc.strerror or str(exc), mark=where)], io, args.format)
        return CONFIG_EXIT
    progress.clear(io.stderr, io.env)
    if args.timings:
        io.stderr.write(progress.timings(result.timings))
    items = emit(result.diagnostics, io, args.format, args.root)
    return CONFIG_EXIT if any(d.is_error for d in items) else 0
