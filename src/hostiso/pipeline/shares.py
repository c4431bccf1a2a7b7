"""A run shared by a team of processes (see :mod:`hostiso.util.parallel`).

Each member loads, renders, checks and compiles its share of the hosts to
load (a contiguous slice, :func:`split`); clean hosts stay with rank 0.
Between the stages the members trade the small records the fleet steps read:

* after A, every loaded host's head, whether it is an etcd member, and the
  file of a host that does not load (:func:`trade_heads`);
* after B, every loaded host's view (:func:`trade_views`);
* after D, every host's claim and fleet-check record, for the fleet checks
  rank 0 runs and hands to everyone (:func:`fleet_post`).

etcd members belong to rank 0, and every member loads them all: the etcd
steps of any host read every member's tree, and there are few members.
The etcd steps then run in each member in turn, rank 0 first, so only one
process at a time may create the etcd CA.  A solo team does exactly the
serial run: every exchange returns what it was given.
"""

from __future__ import annotations

from typing import Any

from hostiso.check.rules.hostfacts import HostFacts
from hostiso.check.unique import Claimant
from hostiso.derive.etcd import tls
from hostiso.diagnostics import error
from hostiso.load.fleet import Host
from hostiso.load.fleetview import Head
from hostiso.pipeline.fleetcheck import Post, fleet_checks
from hostiso.pipeline.jobs import Job, Run
from hostiso.pipeline.stages import stage_a


def split(run: Run, dirty: list[Job]) -> list[Job]:
    """Give each host to load to a member; this member's share, in order."""
    team = run.team
    for index, job in enumerate(dirty):
        job.rank = team.owner(index, len(dirty)) if not team.solo else 0
    return [j for j in dirty if j.rank == team.rank]


def trade_heads(run: Run, mine: list[Job]) -> None:
    """Everyone's heads; etcd members go to rank 0, and every member loads them."""
    if run.team.solo:
        return
    sent = [(j.stem, j.head, _member(j), _unreadable(j)) for j in mine]
    for part in run.team.allgather(sent):
        for stem, head, member, unreadable in part:
            job = run.by_stem[stem]
            job.head = head
            if member:
                job.rank = 0
                if job.host is None:
                    stage_a(run, job)
            elif unreadable and job.host is None:
                run.unreadable[stem] = _stand_in(stem, head)


def _member(job: Job) -> bool:
    return job.host is not None and tls.is_member(job.host)


def _unreadable(job: Job) -> bool:
    return job.host is not None and job.host.user is None and job.host.failed


def _stand_in(stem: str, head: Head) -> Host:
    """A host file another member could not load, as the etcd steps see it."""
    host = Host(stem=stem, source=head.source, name=stem)
    host.diagnostics.append(error("file-unreadable", "does not load"))
    return host


def trade_views(run: Run) -> None:
    if run.team.solo:
        return
    sent = [(j.stem, j.view) for j in run.jobs if j.host is not None and j.rank == run.team.rank]
    for part in run.team.allgather(sent):
        for stem, view in part:
            job = run.by_stem[stem]
            if job.rank != run.team.rank or job.host is None:
                job.view = view


Record = tuple[str, Claimant | None, HostFacts | None, str]


def fleet_post(run: Run) -> Post:
    """The fleet checks, run by rank 0 over everyone's records."""
    if run.team.solo:
        return fleet_checks(run)
    team = run.team
    sent: list[Record] = [
        (j.stem, j.claim, j.facts, j.record)
        for j in run.jobs
        if j.host is not None and j.rank == team.rank
    ]
    parts = team.allgather(sent if team.rank else [])
    post: Post | None = None
    if team.rank == 0:
        for part in parts:
            for stem, claim, facts, record in part:
                job = run.by_stem[stem]
                job.claim, job.facts, job.record = claim, facts, record
        post = fleet_checks(run)
    found: Any = team.allgather(post)[0]
    return found  # type: ignore[no-any-return]
