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

import time
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from hostiso.check.unique import iso_label
from hostiso.derive.etcd import tls
from hostiso.diagnostics import Diagnostic, Mark, error
from hostiso.diagnostics.report import file_mark
from hostiso.emit.compile import compile_host
from hostiso.emit.v2.common import to_json
from hostiso.load.fleet import Host, Layout
from hostiso.media.iso import build_iso
from hostiso.pipeline import cache, depfile, incremental, store
from hostiso.pipeline.incremental import Hook
from hostiso.util import fsutil


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
    cache: bool = True
    """Keep each host's result in ``build/.cache/`` and reuse it while its inputs hold."""
    hook: Hook | None = None


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def build(layout: Layout, stems: list[str] | None, options: BuildOptions) -> BuildResult:
    """Build the named hosts (all when None).

    One build at a time per build directory: ``make -j out/a.iso out/b.iso``
    starts two processes that may both create the etcd CA or rebuild the same
    stale host; the lock makes them take turns.  The build and out
    directories must exist (``cli.io.make_dirs``).
    """
    with fsutil.locked(options.build_dir / ".lock"):
        return _build(layout, stems, options)


def _kind(options: BuildOptions) -> str:
    return f"build-{options.spec}-{int(options.pretty)}-{options.epoch}"


def _build(layout: Layout, stems: list[str] | None, options: BuildOptions) -> BuildResult:
    kind = _kind(options)
    path = store.cache_path(options.build_dir, kind) if options.cache else None
    start = time.perf_counter()
    run = store.open_run(
        layout,
        spec=options.spec,
        writes=True,
        path=path,
        kind=kind,
        outputs_ok=lambda stem, entry: _outputs_ok(stem, entry, options),
        hook=options.hook,
        force=frozenset(stems or ()),
    )
    run.timed("cache-read", start)
    post = incremental.run_stages(run)
    start = time.perf_counter()
    result = BuildResult()
    wanted = set(run.by_stem) if stems is None else set(stems)
    for stem in [] if stems is None else stems:
        if stem not in run.by_stem:
            result.diagnostics.append(_no_such_host(layout, stem))
    wanted |= stale_by_fleet(run, wanted, options)
    for done, job in enumerate(run.jobs, 1):
        if job.stem in wanted:
            _finish(run, job, post, options, result)
        if options.hook is not None:
            options.hook("write", done, len(run.jobs))
    start = run.timed("write-outputs", start)
    update_host_list(set(run.by_stem), wanted & set(run.by_stem), options)
    if stems is None:
        write_fleet_depfile(run, options)
    store.save_run(run, path, kind, keep=set(run.by_stem) - wanted)
    run.timed("cache-write", start)
    result.timings = run.timings
    return result


def stale_by_fleet(run: incremental.Run, wanted: set[str], options: BuildOptions) -> set[str]:
    """Loaded hosts nobody asked for whose output depends on a fleet fact that changed
    (make cannot see that a new etcd member was added in another file)."""
    stale = set()
    for job in run.live():
        host = job.host
        if job.stem in wanted or host is None or host.failed:
            continue
        stored = depfile.stored_digest(outputs(host, options)[2])
        if stored is not None and stored != depfile.facts_digest(host):
            stale.add(job.stem)
    return stale


def _outputs_ok(stem: str, entry: Any, options: BuildOptions) -> bool:
    names = (options.build_dir / f"{stem}.ign", options.out_dir / f"{stem}.iso")
    found = tuple(cache.output_signature(p) for p in (*names, options.build_dir / f"{stem}.d"))
    return found == tuple(tuple(s) if s is not None else None for s in entry["out"])


def _finish(
    run: incremental.Run,
    job: incremental.Job,
    post: incremental.Post,
    options: BuildOptions,
    result: BuildResult,
) -> None:
    if job.host is None:
        found = incremental.finish_clean(job, post)
        if job.failed:
            fsutil.remove(*outputs_of(job.stem, options)[:2])
            result.failed.append(job.stem)
        else:
            result.built.append(job.stem)
        result.diagnostics += found
        return
    build_host(run, job, post, options, result)


def outputs_of(stem: str, options: BuildOptions) -> tuple[FsPath, FsPath, FsPath]:
    return (
        options.build_dir / f"{stem}.ign",
        options.out_dir / f"{stem}.iso",
        options.build_dir / f"{stem}.d",
    )


def outputs(host: Host, options: BuildOptions) -> tuple[FsPath, FsPath, FsPath]:
    return outputs_of(host.stem, options)


def build_host(
    run: incremental.Run,
    job: incremental.Job,
    post: incremental.Post,
    options: BuildOptions,
    result: BuildResult,
) -> None:
    host = job.host
    assert host is not None
    ign_path, iso_path, dep_path = outputs(host, options)
    incremental.finish_host(run, job, post)
    until = float("inf")
    if not host.failed:
        tls.materialize(host)
        until = certificates_until(host, run.layout)
    if not host.failed and job.compiled is None:
        job.compiled = compile_host(host, options.spec, run.layout)
    compiled = job.compiled.diagnostics if job.compiled is not None and not host.failed else []
    host.diagnostics += compiled
    label = ""
    try:
        fsutil.write_text_if_changed(dep_path, depfile.render(host, ign_path, iso_path))
        if not host.failed:
            assert job.compiled is not None and job.compiled.ignition is not None
            data = to_json(job.compiled.ignition, options.pretty)
            label = iso_label(host)
            old = run.old.get(host.stem) if options.prune else None
            _write_outputs(old, data, label, options, ign_path, iso_path)
    except OSError as exc:
        host.diagnostics.append(_cannot_write(run.layout, host, exc))
    job.failed = host.failed
    if host.failed:
        fsutil.remove(ign_path, iso_path)
        result.failed.append(host.stem)
    else:
        result.built.append(host.stem)
        out = tuple(cache.output_signature(p) for p in (ign_path, iso_path, dep_path))
        extra = {"out": out, "until": until, "label": label}
        incremental.new_entry(run, job, compiled, extra)
    result.diagnostics += host.diagnostics


def _write_outputs(
    old: Any, data: bytes, label: str, options: BuildOptions, ign: FsPath, iso: FsPath
) -> None:
    """Write what changed: an unchanged config and label keep the ISO as it is.

    Without ``old`` (a build of named hosts, as ``make out/HOST.iso`` runs) both
    are written, so make sees them as new."""
    try:
        same = old is not None and ign.read_bytes() == data
    except OSError:
        same = False
    if not same:
        fsutil.write_private(ign, data)
    keep = (
        same
        and isinstance(old, dict)
        and old.get("label") == label
        and cache.output_signature(iso) == _sig(old.get("out"), 1)
    )
    if not keep:
        fsutil.write_private(iso, build_iso({"config.json": data}, label, options.epoch))


def _sig(out: Any, index: int) -> Any:
    try:
        return tuple(out[index])
    except (TypeError, IndexError):
        return None


def certificates_until(host: Host, layout: Layout) -> float:
    """When a certificate of the host is due for renewal (its entry expires then)."""
    return tls.renewal_time(layout.root, host.inputs)


def write_fleet_depfile(run: incremental.Run, options: BuildOptions) -> None:
    """``build/.hosts.mk``: every input of every host, for make's ``hosts`` stamp."""
    deps: dict[str, None] = {}
    for job in run.jobs:
        if job.host is not None:
            deps.update(dict.fromkeys(job.host.inputs))
        elif job.entry is not None:
            deps.update(dict.fromkeys(job.entry["deps"]))
    text = depfile.render_stamp(options.build_dir / STAMP, list(deps))
    fsutil.write_text_if_changed(options.build_dir / FLEET_DEPFILE, text)


STAMP = ".stamp"
FLEET_DEPFILE = ".hosts.mk"


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


def _cannot_write(layout: Layout, host: Host, exc: OSError) -> Diagnostic:
    """``out/web.iso: error: cannot write: Is a directory [cannot-write]``."""
    where = file_mark(layout.display(FsPath(exc.filename)))
    return error("cannot-write", f"cannot write: {exc.strerror}", mark=where).for_host(host.name)
