"""A fleet run that only does the work whose inputs changed.

The steps of :mod:`hostiso.pipeline.steps` run in stages (:mod:`.stages`),
with the fleet steps between them (:mod:`.barriers`) running over small
records: heads and views for templates, claims for unique names,
:class:`HostFacts` for the fleet rules (:mod:`.fleetcheck`):

A. load every host that is not clean; the fleet's names and groups;
B. render ``vars`` and addresses; every host's view for ``fleet.hosts``;
C. render the rest, check the schema, resolve passwords; derive etcd and TLS;
D. expand, host rules, compile;
post: unique names and fleet rules over every host's record.

A host is *clean* when the cache has its entry, every input of its own
(host file, overlays, files, secrets) has the digest it had, its outputs
are the files the build wrote, and everything it read of the fleet is
unchanged: its name and the groups its templates read (after A), the views
of the hosts they read (after B), what the etcd steps did to it (after C).
A clean host that fails one of these checks is loaded and caught up with the
stages already run.  etcd members are always loaded (the cluster is made
from their trees).  A host with an error is never cached.  Results are the
same with or without a cache: the same steps, over the same records.

What a run costs per clean host is a few dict lookups and one stat of its
host file: its entry's cold part (:mod:`.records`) is read only when a
template reads it, a record changed, or its make inputs are needed.
"""

from __future__ import annotations

import time

from hostiso.pipeline import shares
from hostiso.pipeline.barriers import barrier_a, barrier_b, barrier_c
from hostiso.pipeline.fleetcheck import Post
from hostiso.pipeline.jobs import Hook, Job, Run
from hostiso.pipeline.stages import stage_a, stage_b, stage_c, stage_d

__all__ = ["Hook", "Job", "Post", "Run", "run_stages"]


def run_stages(run: Run, extract: tuple[str, ...] = ()) -> Post:
    """Every stage up to and including the fleet checks (in a team: this member's
    share of the hosts to load, see :mod:`.shares`)."""
    start = time.perf_counter()
    dirty = [j for j in run.jobs if j.entry is None]
    mine = shares.split(run, dirty)
    for done, job in enumerate(mine, 1):
        stage_a(run, job)
        run.tick("load", done, len(mine))
    shares.trade_heads(run, mine)
    start = run.timed("load", start)
    barrier_a(run)
    for job in run.live():
        stage_b(run, job)
    shares.trade_views(run)
    barrier_b(run)
    start = run.timed("render-templates", start)
    for job in run.live():
        if job.stage == "B":
            stage_c(run, job)
    start = run.timed("check-schema+credentials", start)
    with run.team.in_turn():
        barrier_c(run)
    start = run.timed("derive-etcd+tls", start)
    live = [j for j in run.live() if run.mine(j)]
    for done, job in enumerate(live, 1):
        stage_d(run, job, extract)
        run.tick("check", done, len(live))
    start = run.timed("expand+rules+compile", start)
    post = shares.fleet_post(run)
    run.timed("fleet-checks", start)
    return post
