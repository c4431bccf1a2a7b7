"""``hostiso lint``: every problem in the fleet, building nothing.

Lint runs the build's stages (:mod:`hostiso.pipeline.incremental`); with a
cache file (``build/.cache-lint-SPEC``, kept when ``build/`` exists) it only
checks again the hosts whose inputs or fleet facts changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any, NamedTuple

from hostiso.diagnostics import Diagnostic
from hostiso.load.fleet import Layout
from hostiso.load.fleetview import Head
from hostiso.pipeline import incremental, records, shared, stages, store
from hostiso.pipeline.fleetcheck import Post, finish_clean, finish_host
from hostiso.pipeline.jobs import Hook, Job, Run
from hostiso.pipeline.records import Entry
from hostiso.util import parallel


def lint(
    layout: Layout,
    spec: str | None = None,
    *,
    cache: bool = True,
    hook: Hook | None = None,
    timings: dict[str, float] | None = None,
    jobs: int | None = None,
) -> list[Diagnostic]:
    """The same checks the build runs, for every host; no output is written."""
    return lint_run(layout, spec, cache=cache, hook=hook, timings=timings, jobs=jobs).diagnostics


@dataclass
class LintResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What the extractors took of every host without errors, by stem."""


def lint_run(
    layout: Layout,
    spec: str | None = None,
    *,
    cache: bool = True,
    hook: Hook | None = None,
    timings: dict[str, float] | None = None,
    jobs: int | None = None,
    extras: bool = False,
) -> LintResult:
    """:func:`lint`; with ``extras``, what every extractor (``stages.EXTRACTORS``)
    took of each host without errors (from the cache for clean ones).  Every
    lint takes them of the hosts it loads, so its cache always has them."""
    extract = tuple(stages.EXTRACTORS)
    kind = f"lint-{spec or 'pinned'}"
    build_dir = layout.root / "build"
    path: FsPath | None = store.cache_path(build_dir, kind)
    if not cache or not build_dir.is_dir():
        path = None
    source = None if path is None else _source(build_dir, spec, path)
    want = extract if extras else ()
    run = _open(layout, spec, source, hook, want, stores=path is not None)
    read, memo = [j.entry for j in run.jobs], dict(run.memo)
    try:
        dirty = sum(1 for e in read if e is None)
        outcomes = _work(run, parallel.workers(dirty, jobs), extract, extras)
    except parallel.TeamError:  # a member died: start over alone
        run = _open(layout, spec, source, hook, want, stores=path is not None)
        outcomes = _work(run, 1, extract, extras)
    start = time.perf_counter()
    result = _collect(run, outcomes)
    if _changed(run, read, memo):  # else the cache read (lint's or a build's) says it all
        store.save_run(run, path, kind, keep=set())
    run.timed("cache-write", start)
    run.close()
    if timings is not None:
        timings.update(run.timings)
    return result


def _changed(run: Run, read: list[Entry | None], memo: dict[str, Any]) -> bool:
    """Whether the run found anything its cache did not say: an entry made or dropped,
    a file hashed (new, changed or racy), new fleet findings.  Else saving would
    only write the same 10 MB again."""
    if run.files.hashed or run.memo != memo or len(read) != len(run.jobs):
        return True
    return any(job.entry is not entry for job, entry in zip(run.jobs, read, strict=True))


def _collect(run: Run, outcomes: dict[str, Checked]) -> LintResult:
    """Every host's outcome into the run and the result, in host order."""
    result = LintResult()
    found: list[shared.Found] = []
    unstopped: dict[str, tuple[str, ...]] = {}
    for job in run.jobs:
        checked = outcomes[job.stem]
        job.entry, job.failed = checked.entry, checked.failed
        found += [(checked.name, checked.head.source, d) for d in checked.diagnostics]
        if not checked.failed:
            unstopped[checked.name] = checked.head.inputs
            if checked.extra is not None:
                result.extras[job.stem] = checked.extra
    result.diagnostics = shared.one_per_problem(found, unstopped)
    return result


def _source(build_dir: FsPath, spec: str | None, own: FsPath) -> FsPath:
    """The cache a lint starts from: its own, or a build's of the same spec when that
    one is newer (``make hosts`` has just checked every host, so a lint or an
    inventory after it loads none).  Entries are alike in every kind of cache
    (:func:`_alike` says where not); a lint saves to its own file either way."""
    found = [own, *build_dir.glob(f"{store.CACHE_PREFIX}build-{spec or 'pinned'}-*")]
    return max(found, key=_mtime)


def _mtime(path: FsPath) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _open(
    layout: Layout,
    spec: str | None,
    source: FsPath | None,
    hook: Hook | None,
    extract: tuple[str, ...],
    *,
    stores: bool,
) -> Run:
    """A run from the ``source`` cache; clean hosts lack none of ``extract``;
    ``stores``: whether its cache is written (else hosts get no entries)."""
    kind = "" if source is None else source.name.removeprefix(store.CACHE_PREFIX)
    alike = _any if extract else _alike
    run = store.open_run(
        layout, spec=spec, writes=False, path=source, kind=kind, outputs_ok=alike, hook=hook
    )
    run.stores = stores
    for job in run.jobs:
        if job.entry is not None and extract and not _extracted(job, extract):
            job.entry = None
    return run


def _any(stem: str, entry: Entry) -> bool:
    return True


def _alike(stem: str, entry: Entry) -> bool:
    """Whether the entry says what a lint would: a build's entry does unless the host
    has certificates (a finite renewal date; lint's own entries have none).  The
    build compiled such a host with its certificates, a lint (which creates nothing)
    without, so their warnings may differ.  Not their errors: the build's work is
    the lint's plus the certificates, which only add files, so a host the build
    cached (no error) has none in a lint either, and the same inventory record
    (taken before the certificates).  A run for the extractors (the inventory,
    which reads records and errors) so trusts every entry."""
    return entry.until == float("inf")


def _extracted(job: Job, extract: tuple[str, ...]) -> bool:
    """Whether a clean host's entry has what every extractor took (else it is loaded);
    it is kept in the job as a loaded host's is."""
    assert job.entry is not None
    try:
        extra = records.extra_of(job.entry)
    except (ValueError, EOFError, TypeError):
        return False
    if not isinstance(extra, dict) or any(name not in extra for name in extract):
        return False
    job.extra = extra
    return True


class Checked(NamedTuple):
    """One host's lint (plain data: a team member hands it to rank 0)."""

    diagnostics: list[Diagnostic]
    failed: bool
    entry: Entry | None
    extra: dict[str, Any] | None
    name: str
    head: Head


def _work(run: Run, size: int, extract: tuple[str, ...], extras: bool) -> dict[str, Checked]:
    def body(team: parallel.Team) -> dict[str, Checked]:
        run.team = team
        post = incremental.run_stages(run, extract)
        return {j.stem: _finish(run, j, post, extras) for j in run.jobs if run.mine(j)}

    outcomes: dict[str, Checked] = {}
    for part in parallel.run_team(size, body):
        outcomes.update(part)
    run.team = parallel.Team()
    return outcomes


def _finish(run: Run, job: Job, post: Post, extras: bool) -> Checked:
    """A host's every diagnostic, cached or found now, with its name and head."""
    if job.host is None:
        entry = job.entry
        assert entry is not None
        found = finish_clean(job, post)
        extra = job.extra if extras and not job.failed else None
        kept = None if job.failed else entry
        return Checked(found, job.failed, kept, extra, entry.hostname, job.head_of())
    host = job.host
    assert job.head is not None
    finish_host(job, post)
    compiled = job.compiled.diagnostics if job.compiled is not None else []
    host.diagnostics += compiled
    job.failed = host.failed
    if not host.failed and run.stores:
        stages.new_entry(run, job, compiled, {})
    kept = None if host.failed else job.entry
    return Checked(host.diagnostics, host.failed, kept, job.extra, host.name, job.head)
