"""The options of a build (:func:`hostiso.pipeline.build.build`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FsPath

from hostiso.pipeline.jobs import Hook


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
    jobs: int | None = None
    """At most this many processes (None: one per CPU); see ``util.parallel``."""


def kind(options: BuildOptions) -> str:
    """Which build cache a build with these options reads (``build/.cache-KIND``)."""
    return f"build-{options.spec or 'pinned'}-{int(options.pretty)}-{options.epoch}"
