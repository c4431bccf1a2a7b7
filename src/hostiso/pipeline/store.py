"""Opening a run from the cache and saving it back (see :mod:`hostiso.pipeline.incremental`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path as FsPath
from typing import Any

from hostiso.load.fleet import Layout, OverlayCache
from hostiso.pipeline import cache
from hostiso.pipeline.cache import Files
from hostiso.pipeline.incremental import Hook, Job, Run, clean_entry

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
    outputs_ok: Callable[[str, Any], bool],
    hook: Hook | None = None,
    force: frozenset[str] = frozenset(),
) -> Run:
    """A run over every host file, with the clean hosts' entries from the cache."""
    body = (cache.load(path, header(kind)) if path is not None else None) or {}
    known = body.get("files")
    entries = body.get("hosts")
    files = Files(layout.root, dict(known) if isinstance(known, dict) else {})
    entries = entries if isinstance(entries, dict) else {}
    jobs = [Job(stem) for stem in layout.host_stems()]
    run = Run(layout, spec, writes, files, OverlayCache(layout), jobs, hook=hook, old=entries)
    for job in jobs:
        entry = entries.get(job.stem)
        if entry is None or job.stem in force:
            continue
        if clean_entry(run, job.stem, entry, outputs_ok):
            job.entry = entry
    return run


def save_run(run: Run, path: FsPath | None, kind: str, keep: set[str]) -> None:
    """Store the clean and rebuilt hosts' entries; ``keep``: stems whose old entry stays."""
    if path is None:
        return
    hosts = {}
    for job in run.jobs:
        entry = job.entry if not job.failed else None
        if entry is None and job.stem in keep:
            entry = run.old.get(job.stem)
        if entry is not None:
            hosts[job.stem] = entry
            for p in entry["inputs"]:
                run.files.digest(p)
    cache.save(path, header(kind), {"files": run.files.dump(), "hosts": hosts})


def drop(path: FsPath) -> None:
    cache.remove(path)
