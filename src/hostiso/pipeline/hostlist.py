"""``build/.hosts``: the stems that have (or may have) outputs, and the fleet's depfile.

A build of named hosts adds the stems it built to the list; a build of the
whole fleet removes the outputs of recorded stems whose host file is gone
(when their depfile proves hostiso built them), then records the current
stems.  make compares the list with ``configs/`` to know when a whole-fleet
build is due.  ``build/.hosts.mk`` lists every input make does not already
name (see :func:`hostiso.pipeline.depfile.render_stamp`).
"""

from __future__ import annotations

from pathlib import Path as FsPath

from hostiso.diagnostics import Diagnostic
from hostiso.load.fleet import Layout
from hostiso.load.sources import stem_problem
from hostiso.pipeline import cache, depfile
from hostiso.pipeline.finish import cannot_write
from hostiso.pipeline.jobs import Job, Run
from hostiso.pipeline.options import BuildOptions
from hostiso.pipeline.records import digest
from hostiso.util import fsutil

STAMP = ".stamp"
FLEET_DEPFILE = ".hosts.mk"
HOST_LIST = ".hosts"
MAX_HOST_LIST = 64 << 20
"""Read at most this much of ``build/.hosts`` (a million hosts with long names)."""


def write_fleet_depfile(run: Run, options: BuildOptions) -> list[Diagnostic]:
    """``build/.hosts.mk``: every input of every host, for make's ``hosts`` stamp
    (not of a host file whose name make cannot take: it would break the file).

    Written again only when a host's inputs changed (or the file did): the
    cache keeps a digest of every host's inputs."""
    path = options.build_dir / FLEET_DEPFILE
    jobs = [j for j in run.jobs if stem_problem(j.stem) is None]
    key = digest(tuple((j.stem, _deps_digest(j)) for j in jobs))
    if run.memo.get("depfile") == (key, cache.output_signature(path)):
        return []
    deps: dict[str, None] = {}
    for job in jobs:
        if job.deps is not None:
            deps.update(dict.fromkeys(job.deps))
        elif job.entry is not None:
            deps.update(dict.fromkeys(job.cold().deps))
    try:
        fsutil.write_text_if_changed(
            path, depfile.render_stamp(options.build_dir / STAMP, list(deps))
        )
    except OSError as exc:
        return [cannot_write(run.layout, exc)]
    run.memo["depfile"] = (key, cache.output_signature(path))
    return []


def _deps_digest(job: Job) -> str:
    if job.deps is not None:
        return digest(job.deps)
    return job.entry.deps if job.entry is not None else ""


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
