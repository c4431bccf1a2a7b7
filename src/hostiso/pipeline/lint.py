"""``hostiso lint``: every problem in the fleet, building nothing.

Lint runs the build's stages (:mod:`hostiso.pipeline.incremental`); with a
cache file (``build/.cache-lint-SPEC``, kept when ``build/`` exists) it only
checks again the hosts whose inputs or fleet facts changed.
"""

from __future__ import annotations

import time
from pathlib import Path as FsPath

from hostiso.diagnostics import Diagnostic
from hostiso.emit.compile import compile_host
from hostiso.load.fleet import Host, Layout
from hostiso.load.fleetview import Head
from hostiso.pipeline import incremental, shared, store
from hostiso.pipeline.incremental import Hook
from hostiso.pipeline.steps import load_checked


def checked_hosts(layout: Layout, spec: str | None = None) -> list[Host]:
    """Every host with every problem the build would find (``spec``: as for
    the build, None for each host's own pin); nothing is written."""
    hosts = load_checked(layout, writes=False)
    for host in hosts:
        if not host.failed:
            host.diagnostics += compile_host(host, spec, layout).diagnostics
    return hosts


def lint(
    layout: Layout,
    spec: str | None = None,
    *,
    cache: bool = True,
    hook: Hook | None = None,
    timings: dict[str, float] | None = None,
) -> list[Diagnostic]:
    """The same checks the build runs, for every host; no output is written."""
    kind = f"lint-{spec or 'pinned'}"
    build_dir = layout.root / "build"
    path: FsPath | None = store.cache_path(build_dir, kind)
    if not cache or not build_dir.is_dir():
        path = None
    run = store.open_run(
        layout,
        spec=spec,
        writes=False,
        path=path,
        kind=kind,
        outputs_ok=lambda s, e: True,
        hook=hook,
    )
    post = incremental.run_stages(run)
    start = time.perf_counter()
    found: list[shared.Found] = []
    unstopped: dict[str, tuple[str, ...]] = {}
    for job in run.jobs:
        name, head, diagnostics = _finish(run, job, post)
        found += [(name, head.source, d) for d in diagnostics]
        if not job.failed:
            unstopped[name] = head.inputs
    store.save_run(run, path, kind, keep=set())
    run.timed("cache-write", start)
    if timings is not None:
        timings.update(run.timings)
    return shared.one_per_problem(found, unstopped)


def _finish(
    run: incremental.Run, job: incremental.Job, post: incremental.Post
) -> tuple[str, Head, list[Diagnostic]]:
    """A host's name, head and every diagnostic, cached or found now."""
    if job.host is None:
        assert job.entry is not None
        found = incremental.finish_clean(job, post)
        return str(job.entry["hostname"]), Head(*job.entry["head"]), found
    host = job.host
    assert job.head is not None
    incremental.finish_host(run, job, post)
    compiled = job.compiled.diagnostics if job.compiled is not None else []
    host.diagnostics += compiled
    job.failed = host.failed
    if not host.failed:
        incremental.new_entry(run, job, compiled, {"out": (None, None, None)})
    return host.name, job.head, host.diagnostics
