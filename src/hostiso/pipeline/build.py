"""The build: a flat list of named steps over the whole fleet.

1. load every host (layers merged, schema checked);
2. run the fleet checks;
3. for each requested host without errors: compile to Ignition, pack the
   ISO, write ``build/<host>.ign``, ``out/<host>.iso`` and ``build/<host>.d``.

A host with an error gets no output at all: stale files from an earlier
build are removed, so make never takes them as up to date.

``build/.hosts`` records every stem that has (or may have) outputs.  A build
of named hosts adds the stems it built to it; a build of the whole fleet
(``BuildOptions.prune``) removes the outputs of recorded stems whose host file
is gone, so a renamed or removed host leaves no ISO behind, and records the
current stems.  Files hostiso never recorded (an installer ISO kept in
``out/``) are never touched.  make compares the record with ``configs/`` to
know when a whole-fleet build is due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath

from hostiso.check.unique import iso_label
from hostiso.derive.etcd import tls
from hostiso.diagnostics import Diagnostic, Mark, error
from hostiso.diagnostics.report import file_mark
from hostiso.emit.compile import compile_host
from hostiso.emit.v2.common import to_json
from hostiso.load.fleet import Host, Layout
from hostiso.media.iso import build_iso
from hostiso.pipeline import depfile
from hostiso.pipeline.steps import load_checked
from hostiso.util import fsutil, parallel


@dataclass(frozen=True)
class BuildOptions:
    spec: str | None = None
    """The Ignition spec; None: each host's ``ignition.version``, else the default."""
    epoch: int = 0
    build_dir: FsPath = FsPath("build")
    out_dir: FsPath = FsPath("out")
    pretty: bool = False
    prune: bool = False
    """Remove ``build/<stem>.{ign,d}`` and ``out/<stem>.iso`` of recorded stems with no
    host file, and record the current stems."""


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def build(layout: Layout, stems: list[str] | None, options: BuildOptions) -> BuildResult:
    """Build the named hosts (all when None), plus any whose fleet facts changed.

    One build at a time per build directory: ``make -j out/a.iso out/b.iso``
    starts two processes that may both create the etcd CA or rebuild the same
    stale host; the lock makes them take turns.  The build and out
    directories must exist (``cli.io.make_dirs``).
    """
    with fsutil.locked(options.build_dir / ".lock"):
        return _build(layout, stems, options)


def _build(layout: Layout, stems: list[str] | None, options: BuildOptions) -> BuildResult:
    hosts = load_checked(layout)
    by_stem = {h.stem: h for h in hosts}
    result = BuildResult()
    wanted = list(by_stem) if stems is None else list(stems)
    wanted += stale_by_fleet(hosts, set(wanted), options)
    for stem in wanted:
        if stem not in by_stem:
            result.diagnostics.append(_no_such_host(layout, stem))
    todo = [by_stem[s] for s in dict.fromkeys(wanted) if s in by_stem]
    for part in parallel.split_run(todo, lambda chunk: _build_chunk(layout, chunk, options)):
        result.built += part.built
        result.failed += part.failed
        result.diagnostics += part.diagnostics
    update_host_list(set(by_stem), {h.stem for h in todo}, options)
    return result


def _build_chunk(layout: Layout, hosts: list[Host], options: BuildOptions) -> BuildResult:
    result = BuildResult()
    for host in hosts:
        build_host(layout, host, options, result)
    return result


def stale_by_fleet(hosts: list[Host], wanted: set[str], options: BuildOptions) -> list[str]:
    """Hosts make did not ask for whose output depends on a fleet fact that changed."""
    stale = []
    for host in hosts:
        if host.stem in wanted or host.failed:
            continue
        stored = depfile.stored_digest(outputs(host, options)[2])
        if stored is not None and stored != depfile.facts_digest(host):
            stale.append(host.stem)
    return stale


HOST_LIST = ".hosts"


def update_host_list(current: set[str], built: set[str], options: BuildOptions) -> None:
    """Record the stems that may have outputs in ``build/.hosts``.

    A whole-fleet build first removes the outputs of recorded stems that no
    longer have a host file, then records exactly ``current``; a build of
    named hosts only adds ``built``, so a removed host stays recorded (and
    make, seeing the record differ from ``configs/``, runs a whole-fleet build).
    """
    recorded = read_host_list(options)
    if options.prune:
        gone = recorded - current
        fsutil.remove(*fsutil.orphaned_outputs(options.build_dir, options.out_dir, gone))
        stems = current
    else:
        stems = recorded | built
    fsutil.write_text_if_changed(options.build_dir / HOST_LIST, " ".join(sorted(stems)) + "\n")


def read_host_list(options: BuildOptions) -> set[str]:
    try:
        text = (options.build_dir / HOST_LIST).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    return set(text.split())


def _no_such_host(layout: Layout, stem: str) -> Diagnostic:
    path = layout.display(layout.configs / f"{stem}.yaml")
    return error("no-such-host", f"no host file {path}", mark=Mark(path, 1, 1))


def outputs(host: Host, options: BuildOptions) -> tuple[FsPath, FsPath, FsPath]:
    return (
        options.build_dir / f"{host.stem}.ign",
        options.out_dir / f"{host.stem}.iso",
        options.build_dir / f"{host.stem}.d",
    )


def build_host(layout: Layout, host: Host, options: BuildOptions, result: BuildResult) -> None:
    ign_path, iso_path, dep_path = outputs(host, options)
    tls.materialize(host)
    if not host.failed:
        compiled = compile_host(host, options.spec, layout)
        host.diagnostics += compiled.diagnostics
    try:
        fsutil.write_text_if_changed(dep_path, depfile.render(host, ign_path, iso_path))
        if not host.failed:
            assert compiled.ignition is not None
            data = to_json(compiled.ignition, options.pretty)
            fsutil.write_private(ign_path, data)
            iso = build_iso({"config.json": data}, iso_label(host), options.epoch)
            fsutil.write_private(iso_path, iso)
    except OSError as exc:
        host.diagnostics.append(_cannot_write(layout, host, exc))
    if host.failed:
        fsutil.remove(ign_path, iso_path)
        result.failed.append(host.stem)
    else:
        result.built.append(host.stem)
    result.diagnostics += host.diagnostics


def _cannot_write(layout: Layout, host: Host, exc: OSError) -> Diagnostic:
    """``out/web.iso: error: cannot write: Is a directory [cannot-write]``."""
    where = file_mark(layout.display(FsPath(exc.filename)))
    return error("cannot-write", f"cannot write: {exc.strerror}", mark=where).for_host(host.name)
