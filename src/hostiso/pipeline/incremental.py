"""A fleet run that only does the work whose inputs changed.

The steps of :mod:`hostiso.pipeline.steps` run in stages, with the fleet
steps between them running over small records (heads and views for
templates, claims for unique names, :class:`HostFacts` for the fleet rules):

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
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hostiso.check import rules, unique
from hostiso.check.rules import common
from hostiso.check.rules.hostfacts import HostFacts, facts_of
from hostiso.derive import credentials, expand
from hostiso.derive.etcd import cluster, tls
from hostiso.diagnostics import Diagnostic
from hostiso.emit.compile import compile_host
from hostiso.load import fleet, templates
from hostiso.load.fleet import Host, Layout, OverlayCache
from hostiso.load.fleetview import FleetFacts, Head, View, head_of, view_of
from hostiso.pipeline import records
from hostiso.pipeline.cache import Files
from hostiso.pipeline.records import digest

Hook = Callable[[str, int, int], None]
"""``(stage, done, total)``: progress and timings."""


@dataclass
class Job:
    stem: str
    host: Host | None = None
    entry: dict[str, Any] | None = None
    stage: str = ""
    head: Head | None = None
    view: View | None = None
    stub: dict[str, Any] = field(default_factory=dict)
    effect: str = ""
    foreign: list[str] = field(default_factory=list)
    claim: unique.Claimant | None = None
    facts: HostFacts | None = None
    rules: list[Diagnostic] = field(default_factory=list)
    compiled: Any = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: bool = False


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
    old: dict[str, Any] = field(default_factory=dict)
    """The cache entries as read (a loaded host's entry is kept here)."""

    def __post_init__(self) -> None:
        self.by_stem = {j.stem: j for j in self.jobs}

    def live(self) -> list[Job]:
        return [j for j in self.jobs if j.host is not None]

    def timed(self, name: str, start: float) -> float:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - start
        return now


# --- validity -------------------------------------------------------------------


def key_of(stem: str, inputs: list[str], files: Files) -> str:
    return digest(stem, sorted((p, files.digest(p)) for p in inputs))


def clean_entry(run: Run, stem: str, entry: Any, outputs_ok: Callable[[str, Any], bool]) -> bool:
    try:
        return (
            entry["key"] == key_of(stem, list(entry["inputs"]), run.files)
            and entry["until"] > time.time()
            and outputs_ok(stem, entry)
        )
    except (KeyError, TypeError, ValueError, IndexError):
        return False


# --- the stages -------------------------------------------------------------------


def stage_a(run: Run, job: Job) -> None:
    host = fleet.load_host(run.layout, job.stem, run.overlays)
    host.root, host.writes = run.layout.root, run.writes
    job.host, job.entry, job.stage = host, None, "A"
    job.head = head_of(host)


def stage_b(run: Run, job: Job) -> None:
    assert job.host is not None and run.facts is not None
    templates.start(job.host, run.facts)
    templates.render_early(job.host)
    job.view = view_of(job.host)
    job.stage = "B"


def stage_c(run: Run, job: Job) -> None:
    host = job.host
    assert host is not None
    before = len(host.inputs)
    templates.render_rest(host)
    job.foreign = host.inputs[before:]
    fleet.check_schema(host)
    if host.user is not None:
        credentials.resolve_host(host, run.layout.root)
    job.stub = records.stub_nodes(host)
    job.stage = "C"


def catch_up(run: Run, job: Job, stage: str) -> None:
    """Load a host that was clean and run it through the stages already run."""
    stage_a(run, job)
    if stage in "BC":
        stage_b(run, job)
    if stage == "C":
        stage_c(run, job)


def barrier_a(run: Run) -> None:
    run.facts = FleetFacts(j.head or Head(*j.entry["head"]) for j in run.jobs)  # type: ignore[index]
    for job in run.jobs:
        if job.entry is not None and not _reads_ok(run.facts, job, "group"):
            stage_a(run, job)


def barrier_b(run: Run) -> None:
    assert run.facts is not None
    run.facts.freeze({j.stem: j.view or View(*j.entry["view"]) for j in run.jobs})  # type: ignore[index]
    for job in run.jobs:
        if job.entry is not None and not _reads_ok(run.facts, job, "host"):
            catch_up(run, job, "B")


def _reads_ok(facts: FleetFacts, job: Job, kind: str) -> bool:
    entry = job.entry
    assert entry is not None
    if kind == "group" and entry["name"] != facts.names.get(job.stem):
        return False
    return all(facts.read(k, key) == d for k, key, d in entry["reads"] if k == kind)


def barrier_c(run: Run) -> None:
    """derive-etcd and etcd-tls over the loaded hosts and stand-ins of clean ones."""
    while True:
        hosts = [_etcd_host(run, j) for j in run.jobs if j.host is not None or j.entry["stub"]]  # type: ignore[index]
        saved = [(h, h.user, len(h.diagnostics), len(h.inputs), len(h.fleet_facts)) for h in hosts]
        cluster.derive_fleet(hosts)
        tls.add_tls(hosts)
        stale = []
        for host, _user, n_diag, n_in, n_facts in saved:
            job = _job(run, host.stem)
            job.effect = _effect(host, n_diag, n_in, n_facts)
            if job.entry is not None and job.effect != job.entry["effect"]:
                stale.append(job)
        if not stale:
            for host, _user, _n_diag, n_in, _n_facts in saved:
                _job(run, host.stem).foreign += host.inputs[n_in:]
            return
        for host, user, n_diag, n_in, n_facts in saved:
            host.user, host.tls = user, None
            del host.diagnostics[n_diag:], host.inputs[n_in:], host.fleet_facts[n_facts:]
        for job in stale:
            catch_up(run, job, "C")


def _job(run: Run, stem: str) -> Job:
    return run.by_stem[stem]


def _etcd_host(run: Run, job: Job) -> Host:
    if job.host is not None:
        return job.host
    assert job.entry is not None and job.head is None
    head = Head(*job.entry["head"])
    host = Host(stem=job.stem, source=head.source, name=job.entry["hostname"])
    host.groups, host.root, host.writes = list(head.groups), run.layout.root, run.writes
    return records.stub_host(job.entry, host)


def _effect(host: Host, n_diag: int, n_in: int, n_facts: int) -> str:
    section = host.user.get("flannel") if host.user is not None else None
    endpoints = section.get("etcd_endpoints") if section is not None else None
    plan = host.tls
    return digest(
        records.plain_list(host.diagnostics[n_diag:]),
        host.inputs[n_in:],
        host.fleet_facts[n_facts:],
        None if endpoints is None else records.node_plain(endpoints),
        None if plan is None else (plan.member, plan.ca is not None, sorted(plan.options.items())),
    )


def stage_d(run: Run, job: Job) -> None:
    """Expand, host rules and (unless TLS certificates are still to come) compile."""
    host = job.host
    assert host is not None
    expand.expand(host)
    job.claim = unique.claimant(host)
    if rules.usable(host):
        common.reset()
        job.rules = rules.host_rules(host)
        job.facts = facts_of(host)
        common.reset()
    if not host.failed and not _needs_certificates(host):
        job.compiled = compile_host(host, run.spec, run.layout)


def _needs_certificates(host: Host) -> bool:
    return host.tls is not None and host.tls.ca is not None and host.writes


# --- the whole run ----------------------------------------------------------------


@dataclass
class Post:
    """The post stage's findings: unique names, usable hosts, fleet rules."""

    unique: dict[str, list[Diagnostic]]
    usable: set[str]
    fleet: dict[str, list[Diagnostic]]


def run_stages(run: Run) -> Post:
    """Every stage up to and including the fleet checks."""
    start = time.perf_counter()
    dirty = [j for j in run.jobs if j.entry is None]
    for done, job in enumerate(dirty, 1):
        stage_a(run, job)
        _tick(run, "load", done, len(dirty))
    start = run.timed("load", start)
    barrier_a(run)
    for job in run.live():
        stage_b(run, job)
    barrier_b(run)
    start = run.timed("render-templates", start)
    for job in run.live():
        if job.stage == "B":
            stage_c(run, job)
    start = run.timed("check-schema+credentials", start)
    barrier_c(run)
    start = run.timed("derive-etcd+tls", start)
    live = run.live()
    for done, job in enumerate(live, 1):
        stage_d(run, job)
        _tick(run, "check", done, len(live))
    start = run.timed("expand+rules+compile", start)
    post = fleet_checks(run)
    run.timed("fleet-checks", start)
    return post


def _tick(run: Run, stage: str, done: int, total: int) -> None:
    if run.hook is not None:
        run.hook(stage, done, total)


def fleet_checks(run: Run) -> Post:
    """check-unique, then the fleet rules over every usable host's record."""
    claims = [c for c in (_claim(j) for j in run.jobs) if c is not None]
    found = unique.unique_errors(claims)
    usable = []
    for job in run.jobs:
        errors = found.get(job.stem, ())
        blocking = any(d.is_error and d.blocking for d in errors)
        record = _facts(job)
        if record is not None and not blocking:
            usable.append(record)
    return Post(found, {r.stem for r in usable}, rules.fleet_rules(usable))


def _claim(job: Job) -> unique.Claimant | None:
    if job.host is not None:
        return job.claim
    raw = job.entry["claim"] if job.entry is not None else None
    return None if raw is None else unique.Claimant(*raw)


def _facts(job: Job) -> HostFacts | None:
    if job.host is not None:
        return job.facts
    raw = job.entry["facts"] if job.entry is not None else None
    return None if raw is None else HostFacts(*raw)


def finish_host(run: Run, job: Job, post: Post) -> list[Diagnostic]:
    """A loaded host's diagnostics in step order, once the fleet checks are in
    (``job.compiled`` is set unless the host failed or still needs certificates)."""
    host = job.host
    assert host is not None
    host.diagnostics += post.unique.get(job.stem, [])
    if job.stem in post.usable:
        host.diagnostics += job.rules
    host.diagnostics += post.fleet.get(job.stem, [])
    if host.failed:
        job.compiled = None
    return host.diagnostics


def finish_clean(job: Job, post: Post) -> list[Diagnostic]:
    entry = job.entry
    assert entry is not None
    pre, rules_found, compiled = (records.diagnostics(d) for d in entry["diags"])
    found = pre + post.unique.get(job.stem, [])
    found += rules_found if job.stem in post.usable else []
    found += post.fleet.get(job.stem, [])
    job.failed = any(d.is_error for d in found)
    return found if job.failed else found + compiled


def new_entry(run: Run, job: Job, compiled: list[Diagnostic], extra: dict[str, Any]) -> None:
    """The cache entry of a loaded host that built without errors (not for members)."""
    host = job.host
    assert host is not None and job.head is not None and job.view is not None
    if host.failed or tls.is_member(host) or run.facts is None:
        return
    ctx = templates.host_context(host)
    foreign = set(job.foreign) | {i for n in ctx.reads.hosts for i in run.facts.inputs.get(n, [])}
    overlays = [
        run.layout.display(run.layout.overlays / f"{g}.yaml") for g in ("all", *host.groups)
    ]
    inputs = sorted({*(set(host.inputs) - foreign), *job.head.inputs, *overlays})
    n_pre = len(host.diagnostics) - len(compiled)
    job.entry = {
        "key": key_of(job.stem, inputs, run.files),
        "inputs": tuple(inputs),
        "until": extra.pop("until", float("inf")),
        "head": tuple(job.head),
        "view": tuple(job.view),
        "name": run.facts.names[job.stem],
        "reads": tuple(ctx.reads.digests(run.facts)),
        "hostname": host.name,
        "stub": job.stub,
        "effect": job.effect,
        "claim": None if job.claim is None else tuple(job.claim),
        "facts": None if job.facts is None else tuple(job.facts),
        "diags": (
            records.plain_list(host.diagnostics[:n_pre]),
            records.plain_list(job.rules),
            records.plain_list(compiled),
        ),
        "deps": tuple(dict.fromkeys(host.inputs)),
        **extra,
    }
