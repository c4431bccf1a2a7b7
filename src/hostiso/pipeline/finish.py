"""Finishing a host once the fleet checks are in: its outputs, or the reason it has none.

A clean host's outputs are the files an earlier build wrote (:class:`Outputs`
checked them); a loaded host is compiled (if its certificates were still to
come), written (``build/<host>.d``, then ``.ign`` and ``.iso`` unless it
failed) and gets its new cache entry.  Each host's :class:`Outcome` is plain
data, so a member of a team can hand it to rank 0.
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import NamedTuple

from hostiso.check.unique import iso_label
from hostiso.derive.etcd import tls
from hostiso.diagnostics import Diagnostic, error
from hostiso.diagnostics.report import file_mark
from hostiso.emit.compile import compile_host
from hostiso.emit.v2.common import to_json
from hostiso.load.fleet import Host, Layout
from hostiso.load.fleetview import Head
from hostiso.load.sources import stem_problem
from hostiso.media.iso import build_iso
from hostiso.pipeline import cache, depfile, records, stages
from hostiso.pipeline.fleetcheck import Post, finish_clean, finish_host
from hostiso.pipeline.jobs import Job, Run
from hostiso.pipeline.options import BuildOptions
from hostiso.pipeline.records import Entry
from hostiso.util import fsutil


class Outcome(NamedTuple):
    """What finishing one host found and made (plain data: a team member hands it
    to rank 0)."""

    diagnostics: list[Diagnostic]
    failed: bool
    entry: Entry | None
    """Its cache entry (None: the host is not cached)."""
    deps: tuple[str, ...] | None
    """A loaded host's make inputs."""
    name: str
    head: Head
    """Its host file and layers, for ``shared.one_per_problem``'s notes."""


def finish(run: Run, job: Job, post: Post, options: BuildOptions) -> Outcome:
    if job.host is None:
        entry = job.entry
        assert entry is not None
        found = finish_clean(job, post)
        if job.failed:
            found += remove_stale(run.layout, entry.hostname, *outputs_of(job.stem, options)[:2])
        kept = None if job.failed else entry
        return Outcome(found, job.failed, kept, None, entry.hostname, job.head_of())
    return build_host(run, job, post, options)


def outputs_of(stem: str, options: BuildOptions) -> tuple[FsPath, FsPath, FsPath]:
    return (
        options.build_dir / f"{stem}.ign",
        options.out_dir / f"{stem}.iso",
        options.build_dir / f"{stem}.d",
    )


class Outputs:
    """Whether a clean host's outputs are the files the build wrote: their inodes,
    from one listing of ``build/`` and ``out/`` (not three stats per host)."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        self.build: dict[str, int] | None = None
        self.out: dict[str, int] = {}

    def same(self, stem: str, entry: Entry) -> bool:
        if self.build is None:
            self.build = cache.output_inodes(self.options.build_dir)
            self.out = cache.output_inodes(self.options.out_dir)
        found = (
            self.build.get(f"{stem}.ign"),
            self.out.get(f"{stem}.iso"),
            self.build.get(f"{stem}.d"),
        )
        return found == entry.out


def build_host(run: Run, job: Job, post: Post, options: BuildOptions) -> Outcome:
    host = job.host
    assert host is not None and job.head is not None
    finish_host(job, post)
    if stem_problem(host.stem) is None:  # else a name make cannot take: no file at all
        _write_host(run, job, options)
    job.failed = host.failed
    deps = tuple(dict.fromkeys(host.inputs))
    kept = None if host.failed else job.entry
    return Outcome(host.diagnostics, host.failed, kept, deps, host.name, job.head)


def _write_host(run: Run, job: Job, options: BuildOptions) -> None:
    """Write the host's outputs, or remove stale ones when it has errors.  Nothing
    raises: an output that cannot be written, replaced or removed (an immutable
    ISO, a read-only ``out/``) is ``cannot-write`` on this host, and the build
    goes on with the next one."""
    host = job.host
    assert host is not None
    ign_path, iso_path, dep_path = outputs_of(host.stem, options)
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
            data, label = _config(job, options)
            old = run.old.get(host.stem) if options.prune else None
            _write_outputs(old, data, label, options, ign_path, iso_path)
    except OSError as exc:
        host.diagnostics.append(_cannot_write(run.layout, host, exc))
    if host.failed:
        _add_new(host, remove_stale(run.layout, host.name, ign_path, iso_path))
    else:
        out = tuple(cache.output_signature(p) for p in (ign_path, iso_path, dep_path))
        stages.new_entry(run, job, compiled, {"out": out, "until": until, "label": label})


def _add_new(host: Host, found: list[Diagnostic]) -> None:
    """``found``, but not a second error at a file already said to be unwritable."""
    for d in found:
        if not any(e.code == d.code and e.mark == d.mark for e in host.diagnostics):
            host.diagnostics.append(d)


def remove_stale(layout: Layout, name: str, *paths: FsPath) -> list[Diagnostic]:
    """Remove the outputs of a host with errors, so make never takes them as up to date."""
    try:
        fsutil.remove(*paths)
    except OSError as exc:
        return [cannot_write(layout, exc, "cannot remove the stale output").for_host(name)]
    return []


def _config(job: Job, options: BuildOptions) -> tuple[bytes, str]:
    """The JSON and ISO label, made in stage D (or now, for a host that needed its
    certificates first)."""
    if job.json is not None:
        return job.json, job.label
    assert job.host is not None and job.compiled is not None
    assert job.compiled.ignition is not None
    return to_json(job.compiled.ignition, options.pretty), iso_label(job.host)


def _write_outputs(
    old: Entry | None, data: bytes, label: str, options: BuildOptions, ign: FsPath, iso: FsPath
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
    keep = same and old is not None and _old_label(old) == label
    if keep and old is not None:
        keep = cache.output_signature(iso) == old.out[1]
    if not keep:
        image = build_iso({"config.json": data}, label, options.epoch)
        fsutil.write_private(iso, image, sparse=True)


def _old_label(old: Entry) -> str | None:
    try:
        return records.cold_of(old).label
    except (ValueError, TypeError, EOFError, IndexError):
        return None


def certificates_until(host: Host, layout: Layout) -> float:
    """When a certificate of the host is due for renewal (its entry expires then)."""
    return tls.renewal_time(layout.root, host.inputs)


def _cannot_write(
    layout: Layout, host: Host, exc: OSError, what: str = "cannot write"
) -> Diagnostic:
    """``out/web.iso: error: cannot write: Is a directory [cannot-write]``."""
    return cannot_write(layout, exc, what).for_host(host.name)


def cannot_write(layout: Layout, exc: OSError, what: str = "cannot write") -> Diagnostic:
    where = file_mark(layout.display(FsPath(exc.filename or "")))
    return error("cannot-write", f"{what}: {exc.strerror or exc}", mark=where)
