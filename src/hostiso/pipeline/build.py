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

from hostiso.diagnostics import Diagnostic, error
from hostiso.diagnostics.report import file_mark
from hostiso.load.fleet import Layout
from hostiso.load.sources import stem_problem
from hostiso.media import iso
from hostiso.pipeline import depfile, finish, incremental, shared, stages, store
from hostiso.pipeline import options as build_options
from hostiso.pipeline.finish import Outcome, Outputs, cannot_write
from hostiso.pipeline.fleetcheck import fails
from hostiso.pipeline.hostlist import update_host_list, write_fleet_depfile
from hostiso.pipeline.jobs import Run
from hostiso.pipeline.options import BuildOptions
from hostiso.util import fsutil, parallel

__all__ = ["BuildOptions", "BuildResult", "build"]


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
    workers: int = 1
    """How many processes built the hosts to load."""


def build(layout: Layout, stems: list[str] | None, options: BuildOptions) -> BuildResult:
    """Build the named hosts (all when None).

    One build at a time per build directory: ``make -j out/a.iso out/b.iso``
    starts two processes that may both create the etcd CA or rebuild the same
    stale host; the lock makes them take turns.  The build and out
    directories must exist (``cli.io.make_dirs``).
    """
    with fsutil.locked(options.build_dir / ".lock"):
        return _build(layout, stems, options)


def _open(
    layout: Layout, stems: list[str] | None, options: BuildOptions, more: frozenset[str]
) -> Run:
    """A run; the named hosts and ``more`` are loaded whether clean or not."""
    kind = build_options.kind(options)
    path = store.cache_path(options.build_dir, kind) if options.cache else None
    start = time.perf_counter()
    run = store.open_run(
        layout,
        spec=options.spec,
        writes=True,
        path=path,
        kind=kind,
        outputs_ok=Outputs(options).same,
        hook=options.hook,
        force=frozenset(stems or ()) | more,
    )
    iso.keep_templates(run.memo.get("iso"))
    run.timed("cache-read", start)
    run.pretty = options.pretty
    return run


def _build(layout: Layout, stems: list[str] | None, options: BuildOptions) -> BuildResult:
    result = BuildResult(diagnostics=_remove_temp_files(layout, options))
    run, outcomes = _runs(layout, stems, options, result)
    start = time.perf_counter()
    _collect(run, outcomes, result)
    result.diagnostics += shared.one_per_problem(result.found, result.layers)
    recordable = {stem for stem in run.by_stem if stem_problem(stem) is None}
    result.diagnostics += update_host_list(layout, recordable, set(outcomes) & recordable, options)
    if stems is None:
        result.diagnostics += write_fleet_depfile(run, options)
    kind = build_options.kind(options)
    path = store.cache_path(options.build_dir, kind) if options.cache else None
    run.memo["iso"] = iso.kept_templates()
    store.save_run(run, path, kind, keep=set(run.by_stem) - set(outcomes))
    run.timed("cache-write", start)
    run.close()
    result.timings = run.timings
    return result


def _runs(
    layout: Layout, stems: list[str] | None, options: BuildOptions, result: BuildResult
) -> tuple[Run, dict[str, Outcome]]:
    """The run that finished every wanted host.

    A clean host the fleet checks now fail (another host took its address) is
    built again from its files, as a cold build would: its depfile lists what
    it read up to the failure.  Such a run starts over before writing anything,
    with those hosts loaded; so does a run whose team lost a member (alone)."""
    doomed: frozenset[str] = frozenset()
    size = options.jobs
    while True:
        run = _open(layout, stems, options, doomed)
        wanted = set(run.by_stem) if stems is None else set(stems)
        if options.prune:  # a host file name make cannot take: say so on every whole-fleet build
            wanted |= {stem for stem in run.by_stem if stem_problem(stem) is not None}
        result.workers = parallel.workers(sum(1 for j in run.jobs if j.entry is None), size)
        try:
            outcomes, again = _work(run, wanted, options, result.workers)
        except parallel.TeamError:  # a member died (out of memory?)
            size = 1
            continue
        if not again:
            break
        doomed |= again
    for stem in [] if stems is None else stems:
        if stem not in run.by_stem:
            result.diagnostics.append(_no_such_host(layout, stem))
    return run, outcomes


def _work(
    run: Run, wanted: set[str], options: BuildOptions, size: int
) -> tuple[dict[str, Outcome], frozenset[str]]:
    """The stages and every wanted host's outputs, by a team of ``size`` processes;
    or nothing and the clean hosts that now fail (see :func:`_runs`)."""

    def body(team: parallel.Team) -> tuple[dict[str, Outcome], frozenset[str]]:
        run.team = team
        post = incremental.run_stages(run, tuple(stages.EXTRACTORS))
        flagged = (post.unique.keys() | post.fleet.keys()) & wanted  # few: not every job
        doomed = frozenset(s for s in flagged if s in run.by_stem and fails(run.by_stem[s], post))
        if doomed:
            return {}, doomed
        start = time.perf_counter()
        mine = wanted | stale_by_fleet(run, wanted, options)
        jobs = [j for j in run.jobs if j.stem in mine and run.mine(j)]
        out = {}
        for done, job in enumerate(jobs, 1):
            out[job.stem] = finish.finish(run, job, post, options)
            run.tick("write", done, len(jobs))
        run.timed("write-outputs", start)
        return out, frozenset()

    outcomes: dict[str, Outcome] = {}
    doomed: frozenset[str] = frozenset()
    for part, again in parallel.run_team(size, body):
        outcomes.update(part)
        doomed |= again
    run.team = parallel.Team()
    return outcomes, doomed


def _collect(run: Run, outcomes: dict[str, Outcome], result: BuildResult) -> None:
    """Every finished host's outcome into the run and the result, in host order."""
    for job in run.jobs:
        found = outcomes.get(job.stem)
        if found is None:
            continue
        job.entry, job.failed, job.deps = found.entry, found.failed, found.deps
        (result.failed if found.failed else result.built).append(job.stem)
        result.found += [(found.name, found.head.source, d) for d in found.diagnostics]
        if not found.failed:
            result.layers[found.name] = found.head.inputs


def stale_by_fleet(run: Run, wanted: set[str], options: BuildOptions) -> set[str]:
    """Loaded hosts nobody asked for whose output depends on a fleet fact that changed
    (make cannot see that a new etcd member was added in another file)."""
    stale = set()
    for job in run.live():
        host = job.host
        if job.stem in wanted or host is None or host.failed or not run.mine(job):
            continue
        stored = depfile.stored_digest(finish.outputs_of(host.stem, options)[2])
        if stored is not None and stored != depfile.facts_digest(host):
            stale.add(job.stem)
    return stale


def _remove_temp_files(layout: Layout, options: BuildOptions) -> list[Diagnostic]:
    """Temp files a killed build left behind (``.web.iso.4711.tmp``); under the
    build lock no other build of these directories is writing any."""
    stale = fsutil.stale_temp_files(options.build_dir, options.out_dir)
    try:
        fsutil.remove(*stale)
    except OSError as exc:
        return [cannot_write(layout, exc, "cannot remove a temp file of a killed build")]
    return []


def _no_such_host(layout: Layout, stem: str) -> Diagnostic:
    """At the file as a whole: there is no line to quote (and a name like
    ``../notes`` must not quote a file outside configs/)."""
    path = layout.display(layout.configs / f"{stem}.yaml")
    return error("no-such-host", f"no host file {path}", mark=file_mark(path))
