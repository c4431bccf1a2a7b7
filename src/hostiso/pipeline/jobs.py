"""A fleet run's state: one :class:`Job` per host file, in a :class:`Run`.

A job is either *clean* (``entry`` is its cache entry, ``host`` is None) or
*loaded* (``host`` holds its trees, and the stages fill in its head, view,
stand-in, claim, record...).  See :mod:`hostiso.pipeline.incremental`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hostiso.check.rules.hostfacts import HostFacts
from hostiso.check.unique import Claimant
from hostiso.diagnostics import Diagnostic
from hostiso.load import templates
from hostiso.load.fleet import Host, Layout, OverlayCache
from hostiso.load.fleetview import FleetFacts, Head, View
from hostiso.pipeline import records
from hostiso.pipeline.cache import Files
from hostiso.pipeline.records import Cold, Entry
from hostiso.util.parallel import Team

Hook = Callable[[str, int, int], None]
"""``(stage, done, total)``: progress and timings."""


class Job:
    """One host of the run.

    Not a dataclass: a run makes one per host file, and setting two dozen
    fields in ``__init__`` cost more than anything else of a clean host's
    start.  The defaults are class attributes (never mutable), so a job only
    holds what its run set."""

    def __init__(self, stem: str) -> None:
        self.stem = stem

    stem: str
    host: Host | None = None
    entry: Entry | None = None
    stage: str = ""
    head: Head | None = None
    view: View | None = None
    stub: dict[str, Any] | None = None
    effect: str = ""
    foreign: tuple[str, ...] = ()
    claim: Claimant | None = None
    facts: HostFacts | None = None
    record: str = ""
    """A digest of (claim, facts) of a loaded host ("" for none)."""
    rules: tuple[Diagnostic, ...] = ()
    compiled: Any = None
    extra: dict[str, Any] | None = None
    failed: bool = False
    member: bool = False
    """An etcd member (never cached)."""
    n_pre: int = 0
    """How many of the host's diagnostics came before the fleet checks."""
    label: str = ""
    json: bytes | None = None
    """The Ignition config, once compiled (the host's trees are dropped then)."""
    rank: int = 0
    """The member of the run's team that loads and finishes this host (clean: 0)."""
    deps: tuple[str, ...] | None = None
    """A finished loaded host's make inputs."""
    _cold: Cold | None = None

    def cold(self) -> Cold:
        """The cold part of a clean job's entry, decoded once."""
        assert self.entry is not None
        if self._cold is None:
            self._cold = records.cold_of(self.entry)
        return self._cold

    def head_of(self) -> Head:
        if self.head is not None:
            return self.head
        assert self.entry is not None
        return Head._make(self.entry.head)

    def view_of(self) -> View:
        return self.view if self.view is not None else View(*self.cold().view)


@dataclass
class Run:
    layout: Layout
    spec: str | None
    writes: bool
    files: Files
    overlays: OverlayCache
    jobs: list[Job]
    facts: FleetFacts | None = None
    timings: dict[str, float] = field(default_factory=dict)
    hook: Hook | None = None
    old: dict[str, Entry] = field(default_factory=dict)
    """The cache entries as read (a loaded host's entry is kept here)."""
    memo: dict[str, Any] = field(default_factory=dict)
    """What the last run found of the whole fleet (see :mod:`hostiso.pipeline.fleetcheck`)."""
    pretty: bool = False
    """Indented JSON (``BuildOptions.pretty``)."""
    team: Team = field(default_factory=Team)
    unreadable: dict[str, Host] = field(default_factory=dict)
    """Stand-ins of host files another member of the team could not load, by stem."""
    stores: bool = True
    """False when nothing keeps this run's cache (a lint without ``build/`` or with
    the cache off): its hosts then get neither a cache entry nor a record digest."""

    def __post_init__(self) -> None:
        self.by_stem = {j.stem: j for j in self.jobs}

    def live(self) -> list[Job]:
        """The loaded hosts (in a team, with the etcd members loaded by everyone)."""
        return [j for j in self.jobs if j.host is not None]

    def mine(self, job: Job) -> bool:
        """Whether this member of the team finishes the host."""
        return job.rank == self.team.rank

    def timed(self, name: str, start: float) -> float:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - start
        return now

    def close(self) -> None:
        """Break the run's reference cycles (host contexts, the facts' views)."""
        for job in self.jobs:
            if job.host is not None:
                templates.release(job.host)
        self.facts = None

    def tick(self, stage: str, done: int, total: int) -> None:
        """Progress of a stage over this member's hosts; in a team, rank 0 speaks
        for all (its partners have as many hosts and go as fast)."""
        if self.hook is not None and self.team.rank == 0:
            self.hook(stage, done * self.team.size, total * self.team.size)


class Views(dict[str, View]):
    """Every host's view by file stem, read from the cache when first asked for."""

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run = run

    def __missing__(self, stem: str) -> View:
        view = self[stem] = self.run.by_stem[stem].view_of()
        return view
