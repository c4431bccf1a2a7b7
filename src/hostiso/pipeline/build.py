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
from hostiso.load.fleetview import Head
from hostiso.load.sources import stem_problem
from hostiso.media.iso import build_iso
from hostiso.pipeline import cache, depfile, incremental, shared, store
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
    found: list[shared.Found] = field(default_factory=list)
    """Each host's diagnostics with its name, before :func:`shared.one_per_problem`."""
    layers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The files of each built host's layers, for the notes of ``one_per_problem``."""


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
    return f"build-{options.spec or 'pinned'}-{int(options.pretty)}-{options.epoch}"


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
    result = BuildResult(diagnostics=_remove_temp_files(layout, options))
    post = incremental.run_stages(run)
    start = time.perf_counter()
    wanted = set(run.by_stem) if stems is None else set(stems)
    for stem in [] if stems is None else stems:
        if stem not in run.by_stem:
            result.diagnostics.append(_no_such_host(layout, stem))
    wanted |= stale_by_fleet(run, wanted, options)
    if options.prune:  # a host file name make cannot take: say so on every whole-fleet build
        wanted |= {stem for stem in run.by_stem if stem_problem(stem) is not None}
    for done, job in enumerate(run.jobs, 1):
        if job.stem in wanted:
            _finish(run, job, post, options, result)
        if options.hook is not None:
            options.hook("write", done, len(run.jobs))
    start = run.timed("write-outputs", start)
    result.diagnostics += shared.one_per_problem(result.found, result.layers)
    recordable = {stem for stem in run.by_stem if stem_problem(stem) is None}
    result.diagnostics += update_host_list(layout, recordable, wanted & recordable, options)
    if stems is None:
        result.diagnostics += write_fleet_depfile(run, options)
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
        assert job.entry is not None
        found = incremental.finish_clean(job, post)
        name = str(job.entry["hostname"])
        if job.failed:
            found += _remove_stale(run.layout, name, *outputs_of(job.stem, options)[:2])
        _record(result, job, name, found, Head(*job.entry["head"]))
        return
    build_host(run, job, post, options, result)


def _record(
    result: BuildResult, job: incremental.Job, name: str, found: list[Diagnostic], head: Head
) -> None:
    (result.failed if job.failed else result.built).append(job.stem)
    result.found += [(name, head.source, d) for d in found]
    if not job.failed:
        result.layers[name] = head.inputs


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
    assert host is not None and job.head is not None
    incremental.finish_host(run, job, post)
    if stem_problem(host.stem) is None:  # else a name make cannot take: no file at all
        _write_host(run, job, options)
    job.failed = host.failed
    _record(result, job, host.name, host.diagnostics, job.head)


def _write_host(run: incremental.Run, job: incremental.Job, options: BuildOptions) -> None:
    """Write the host's outputs, or remove stale ones when it has errors.  Nothing
    raises: an output that cannot be written, replaced or removed (an immutable
    ISO, a read-only ``out/``) is ``cannot-write`` on this host, and the build
    goes on with the next one."""
    host = job.host
    assert host is not None
    ign_path, iso_path, dep_path = outputs(host, options)
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
    if host.failed:
        _add_new(host, _remove_stale(run.layout, host.name, ign_path, iso_path))
    else:
        out = tuple(cache.output_signature(p) for p in (ign_path, iso_path, dep_path))
        extra = {"out": out, "until": until, "label": label}
        incremental.new_entry(run, job, compiled, extra)


def _add_new(host: Host, found: list[Diagnostic]) -> None:
    """``found``, but not a second error at a file already said to be unwritable."""
    for d in found:
        if not any(e.code == d.code and e.mark == d.mark for e in host.diagnostics):
            host.diagnostics.append(d)


def _remove_stale(layout: Layout, name: str, *paths: FsPath) -> list[Diagnostic]:
    """Remove the outputs of a host with errors, so make never takes them as up to date."""
    try:
        fsutil.remove(*paths)
    except OSError as exc:
        return [cannot_write(layout, exc, "cannot remove the stale output").for_host(name)]
    return []


def _remove_temp_files(layout: Layout, options: BuildOptions) -> list[Diagnostic]:
    """Temp files a killed build left behind (``.web.iso.4711.tmp``); under the
    build lock no other build of these directories is writing any."""
    stale = fsutil.stale_temp_files(options.build_dir, options.out_dir)
    try:
        fsutil.remove(*stale)
    except OSError as exc:
        return [cannot_write(layout, exc, "cannot remove a temp file of a killed build")]
    return []


def _write_outputs(
    old: Any, data: bytes, label: str, options: BuildOptions, ign: FsPath, iso: FsPath
) -> None:
    """Write what changed: an unchanged config and label keep the ISO as it is.

    Without ``old`` (a build of named hosts, as ``make out/HOST.iso`` runs) both
    are written, so make sees them as new."""
    try:
        same = old is not None and fsutil.read_regular(ign, len(data) + 1) == data
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


def write_fleet_depfile(run: incremental.Run, options: BuildOptions) -> list[Diagnostic]:
    """``build/.hosts.mk``: every input of every host, for make's ``hosts`` stamp
    (not of a host file whose name make cannot take: it would break the file)."""
    deps: dict[str, None] = {}
    for job in run.jobs:
        if stem_problem(job.stem) is not None:
            continue
        if job.host is not None:
            deps.update(dict.fromkeys(job.host.inputs))
        elif job.entry is not None:
            deps.update(dict.fromkeys(job.entry["deps"]))
    text = depfile.render_stamp(options.build_dir / STAMP, list(deps))
    try:
        fsutil.write_text_if_changed(options.build_dir / FLEET_DEPFILE, text)
    except OSError as exc:
        return [cannot_write(run.layout, exc)]
    return []


STAMP = ".stamp"
FLEET_DEPFILE = ".hosts.mk"


HOST_LIST = ".hosts"
MAX_HOST_LIST = 64 << 20
"""Read at most this much of ``build/.hosts`` (a million hosts with long names)."""


def update_host_list(
    layout: Layout, current: set[str], built: set[str], options: BuildOptions
) -> list[Diagnostic]:
    """Record the stems that may have outputs in ``build/.hosts``.

    A whole-fleet build first removes the outputs of recorded stems that no
    longer have a host file (if their depfile says hostiso built them: a
    damaged record never costs an operator's ISO), then records exactly
    ``current``; a build of named hosts only adds ``built``, so a removed host
    stays recorded (and make, seeing the record differ from ``configs/``, runs
    a whole-fleet build).
    """
    recorded = read_host_list(options)
    problems: list[Diagnostic] = []
    stems = recorded | built
    if options.prune:
        gone = {s for s in recorded - current if depfile.built(*_proof(s, options))}
        try:
            fsutil.remove(*fsutil.orphaned_outputs(options.build_dir, options.out_dir, gone))
            stems = current
        except OSError as exc:  # stay recorded: the next whole-fleet build tries again
            problems.append(cannot_write(layout, exc, "cannot remove the output of a removed host"))
            stems = current | recorded
    try:
        fsutil.write_text_if_changed(options.build_dir / HOST_LIST, _host_list_text(stems))
    except OSError as exc:
        problems.append(cannot_write(layout, exc))
    return problems


def _proof(stem: str, options: BuildOptions) -> tuple[FsPath, FsPath]:
    """The depfile that proves hostiso built ``out/<stem>.iso``, and that ISO."""
    return options.build_dir / f"{stem}.d", options.out_dir / f"{stem}.iso"


def _host_list_text(stems: set[str]) -> str:
    return " ".join(sorted(stems)) + "\n"


def read_host_list(options: BuildOptions) -> set[str]:
    """The recorded stems; only names a host file can have (see ``fleet.stem_problem``),
    so a damaged record never names a file hostiso did not build."""
    try:
        data = fsutil.read_regular(options.build_dir / HOST_LIST, MAX_HOST_LIST)
    except OSError:
        return set()
    text = data.decode("utf-8", errors="replace")
    return {stem for stem in text.split() if stem_problem(stem) is None}


def _no_such_host(layout: Layout, stem: str) -> Diagnostic:
    path = layout.display(layout.configs / f"{stem}.yaml")
    return error("no-such-host", f"no host file {path}", mark=Mark(path, 1, 1))


def _cannot_write(
    layout: Layout, host: Host, exc: OSError, what: str = "cannot write"
) -> Diagnostic:
    """``out/web.iso: error: cannot write: Is a directory [cannot-write]``."""
    return cannot_write(layout, exc, what).for_host(host.name)


def cannot_write(layout: Layout, exc: OSError, what: str = "cannot write") -> Diagnostic:
    where = file_mark(layout.display(FsPath(exc.filename or "")))
    return error("cannot-write", f"{what}: {exc.strerror or exc}", mark=where)
