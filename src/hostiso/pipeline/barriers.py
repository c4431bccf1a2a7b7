"""The fleet steps between the stages of a run (see :mod:`hostiso.pipeline.incremental`).

After A, every host's head (its name, groups, files) makes the fleet's facts;
after B, every host's view is frozen in (read from the cache only when a
template reads that host); after C, the etcd steps run over the loaded hosts
and stand-ins of the clean ones they concern.  At each barrier a clean host
whose reads of the fleet changed is loaded and caught up.
"""

from __future__ import annotations

from hostiso.derive.etcd import cluster, tls
from hostiso.load.fleet import Host
from hostiso.load.fleetview import FleetFacts
from hostiso.load.yamlload import Node
from hostiso.pipeline import records
from hostiso.pipeline.jobs import Job, Run, Views
from hostiso.pipeline.records import digest
from hostiso.pipeline.stages import catch_up, stage_a


def barrier_a(run: Run) -> None:
    run.facts = FleetFacts(j.head_of() for j in run.jobs)
    names = run.facts.names
    for job in _clean(run):
        assert job.entry is not None
        if job.entry.name != names.get(job.stem) or not _reads_ok(run.facts, job, "group"):
            stage_a(run, job)


def _clean(run: Run) -> list[Job]:
    """The clean hosts this member looks after (in a team, rank 0 has them all)."""
    return [j for j in run.jobs if j.entry is not None and run.mine(j)]


def barrier_b(run: Run) -> None:
    assert run.facts is not None
    run.facts.freeze(Views(run))
    for job in _clean(run):
        if not _reads_ok(run.facts, job, "host"):
            catch_up(run, job, "B")


def _reads_ok(facts: FleetFacts, job: Job, kind: str) -> bool:
    assert job.entry is not None
    reads = job.entry.reads  # most hosts' templates read nothing of the fleet
    return not reads or all(facts.read(k, key) == d for k, key, d in reads if k == kind)


Saved = tuple[Host, Node | None, int, int, int]


def barrier_c(run: Run) -> None:
    """derive-etcd and etcd-tls over the loaded hosts and stand-ins of clean ones."""
    while True:
        hosts = [h for h in (_etcd_host(run, j) for j in run.jobs) if h is not None]
        saved: list[Saved] = [
            (h, h.user, len(h.diagnostics), len(h.inputs), len(h.fleet_facts)) for h in hosts
        ]
        cluster.derive_fleet(hosts)
        tls.add_tls(hosts)
        stale = []
        for host, _user, n_diag, n_in, n_facts in saved:
            job = run.by_stem[host.stem]
            job.effect = _effect(host, n_diag, n_in, n_facts)
            if job.entry is not None and job.effect != job.entry.effect:
                stale.append(job)
        if not stale:
            for host, _user, _n_diag, n_in, _n_facts in saved:
                job = run.by_stem[host.stem]
                job.foreign = (*job.foreign, *host.inputs[n_in:])
            return
        _undo(saved)
        for job in stale:
            catch_up(run, job, "C")


def _undo(saved: list[Saved]) -> None:
    for host, user, n_diag, n_in, n_facts in saved:
        host.user, host.tls = user, None
        del host.diagnostics[n_diag:], host.inputs[n_in:], host.fleet_facts[n_facts:]


def _etcd_host(run: Run, job: Job) -> Host | None:
    """What the etcd steps see of a host: the loaded host, a stand-in of a clean one
    they concern (from its cached subtrees) or of one a partner could not load."""
    if job.host is not None:
        return job.host
    if job.stem in run.unreadable:
        return run.unreadable[job.stem]
    entry = job.entry
    if entry is None or not entry.stub or not run.mine(job):
        return None
    head = job.head_of()
    host = Host(stem=job.stem, source=head.source, name=entry.hostname)
    host.groups, host.root, host.writes = list(head.groups), run.layout.root, run.writes
    return records.stub_host(entry.stub, host)


def _effect(host: Host, n_diag: int, n_in: int, n_facts: int) -> str:
    """What the etcd steps did to a host.  Whether the CA was at hand is left out: a
    build always has it (or fails), a lint never, and an inventory takes a build's
    entry as it is (``lint._alike``)."""
    section = host.user.get("flannel") if host.user is not None else None
    endpoints = section.get("etcd_endpoints") if section is not None else None
    plan = host.tls
    return digest(
        records.plain_list(host.diagnostics[n_diag:]),
        host.inputs[n_in:],
        host.fleet_facts[n_facts:],
        None if endpoints is None else records.node_plain(endpoints),
        None if plan is None else (plan.member, sorted(plan.options.items())),
    )
