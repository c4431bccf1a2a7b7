"""Opening a run from the cache and saving it back (see :mod:`hostiso.pipeline.incremental`).

The cache body is ``{"files": ..., "hosts": {stem: entry}, "memo": ...}``:
the digests of input files by stat signature, each host's entry
(:class:`hostiso.pipeline.records.Entry`) and what the last run found of
the whole fleet (:mod:`hostiso.pipeline.fleetcheck`, the make depfile).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from pathlib import Path as FsPath
from typing import Any

from hostiso.load.fleet import Layout, OverlayCache
from hostiso.pipeline import cache
from hostiso.pipeline.cache import Files
from hostiso.pipeline.jobs import Hook, Job, Run
from hostiso.pipeline.records import Entry, entry_of

CACHE_PREFIX = ".cache-"


def cache_path(build_dir: FsPath, kind: str) -> FsPath:
    """``build/.cache-KIND``: one file per kind of run (build options, lint)."""
    return build_dir / f"{CACHE_PREFIX}{kind}"


def header(kind: str) -> str:
    return f"{cache.FORMAT} {cache.tool_digest()} {kind}"


def open_run(
    layout: Layout,
    *,
    spec: str | None,
    writes: bool,
    path: FsPath | None,
    kind: str,
    outputs_ok: Callable[[str, Entry], bool],
    hook: Hook | None = None,
    force: frozenset[str] = frozenset(),
) -> Run:
    """A run over every host file, with the clean hosts' entries from the cache."""
    body = (cache.load(path, header(kind)) if path is not None else None) or {}
    files = Files(str(layout.root), _dict(body.get("files")))
    jobs = [Job(stem) for stem in layout.host_stems()]
    run = Run(layout, spec, writes, files, OverlayCache(layout), jobs, hook=hook)
    run.memo = _dict(body.get("memo"))
    entries = _dict(body.get("hosts"))
    found = [entry_of(entries.get(job.stem)) for job in jobs]
    run.files.digest_all(
        _inputs(e for job, e in zip(jobs, found, strict=True) if job.stem not in force)
    )
    now = time.time()
    for job, entry in zip(jobs, found, strict=True):
        if entry is None:
            continue
        run.old[job.stem] = entry
        if job.stem not in force and _clean(run, job.stem, entry, now, outputs_ok):
            job.entry = entry
    return run


def _inputs(entries: Iterable[Entry | None]) -> set[str]:
    """Every input the entries name (a damaged entry's names are left to :func:`_clean`)."""
    paths: set[str] = set()
    for entry in entries:
        if entry is not None and isinstance(entry.inputs, tuple):
            with contextlib.suppress(TypeError):  # a name that is not hashable
                paths.update(entry.inputs)
    return {p for p in paths if isinstance(p, str)}


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _clean(
    run: Run, stem: str, entry: Entry, now: float, outputs_ok: Callable[[str, Entry], bool]
) -> bool:
    try:
        return (
            run.files.same(entry.inputs, entry.digests)
            and entry.until > now
            and outputs_ok(stem, entry)
        )
    except (TypeError, ValueError):
        return False


def save_run(run: Run, path: FsPath | None, kind: str, keep: set[str]) -> None:
    """Store the clean and rebuilt hosts' entries; ``keep``: stems whose old entry stays."""
    if path is None:
        return
    hosts = {}
    needed: set[str] = set()
    for job in run.jobs:
        entry = job.entry if not job.failed else None
        if entry is None and job.stem in keep:
            entry = run.old.get(job.stem)
        if entry is not None:
            hosts[job.stem] = tuple(entry)
            needed.update(entry.inputs)
    run.files.digest_all(needed)  # dump() keeps the files digested in this run
    body = {"files": run.files.dump(), "hosts": hosts, "memo": run.memo}
    cache.save(path, header(kind), body)


def drop(path: FsPath) -> None:
    cache.remove(path)
