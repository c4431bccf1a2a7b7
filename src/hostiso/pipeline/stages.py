"""The per-host work of a run, stage by stage (see :mod:`hostiso.pipeline.incremental`).

A. load the host's layers (parse, merge); its head;
B. render ``vars`` and addresses; its view;
C. render the rest, check the schema, resolve passwords; its etcd stand-in;
D. expand, host rules, its fleet-check record, compile.

:func:`new_entry` makes the cache entry of a host that built without errors.
"""

from __future__ import annotations

import marshal
import sys
from collections.abc import Callable
from typing import Any

from hostiso.check import rules, unique
from hostiso.check.rules import common
from hostiso.check.rules.hostfacts import facts_of
from hostiso.check.unique import iso_label
from hostiso.derive import credentials, expand
from hostiso.derive.etcd import tls
from hostiso.diagnostics import Diagnostic
from hostiso.emit.compile import compile_host
from hostiso.emit.v2.common import to_json
from hostiso.export.model import record_of
from hostiso.load import fleet, templates
from hostiso.load.fleet import Host
from hostiso.load.fleetview import head_of, view_of
from hostiso.pipeline import records
from hostiso.pipeline.jobs import Job, Run
from hostiso.pipeline.records import Cold, Entry, digest

Extra = dict[str, Any]


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
    job.foreign = tuple(host.inputs[before:])
    fleet.check_schema(host)
    if host.user is not None:
        credentials.resolve_host(host, run.layout.root)
    job.stub = records.stub_nodes(host) or None
    job.stage = "C"


def catch_up(run: Run, job: Job, stage: str) -> None:
    """Load a host that was clean and run it through the stages already run."""
    stage_a(run, job)
    if stage in "BC":
        stage_b(run, job)
    if stage == "C":
        stage_c(run, job)


EXTRACTORS: dict[str, Callable[[Host], Any]] = {"inventory": record_of}
"""What other commands read of a checked host (name -> ``host -> plain value``):
builds and lints take it in stage D and keep it in their cache, so ``hostiso
inventory`` reads clean hosts' parts from there (``pipeline.inventory``)."""


def stage_d(run: Run, job: Job, extract: tuple[str, ...] = ()) -> None:
    """Expand, host rules, the fleet-check record and (unless TLS certificates are
    still to come) compile."""
    host = job.host
    assert host is not None
    expand.expand(host)
    job.claim = unique.claimant(host)
    if rules.usable(host):
        common.reset()
        job.rules = tuple(rules.host_rules(host))
        job.facts = facts_of(host)
        common.reset()
    job.record = record_digest(job) if run.stores else ""
    if not host.failed and not _needs_certificates(host):
        job.compiled = compile_host(host, run.spec, run.layout)
    job.extra = {name: EXTRACTORS[name](host) for name in extract if not host.failed}
    job.member, job.n_pre = tls.is_member(host), len(host.diagnostics)
    if not _needs_certificates(host):
        _lighten(run, job)


def _lighten(run: Run, job: Job) -> None:
    """Keep what finishing the host needs (its JSON, label, diagnostics, inputs) and
    drop its trees, most of its memory: a 100,000-host build holds every host
    until the fleet checks are in."""
    host = job.host
    assert host is not None
    compiled = job.compiled
    if compiled is not None and compiled.ignition is not None and run.writes:
        job.label = _label(job, host)
        job.json = to_json(compiled.ignition, run.pretty)
    if compiled is not None:
        compiled.ignition = None
    host.user = host.tree = None
    host.forget_plain()


def _label(job: Job, host: Host) -> str:
    """The ISO label, as the host claimed it for the uniqueness check."""
    claims = job.claim.claims if job.claim is not None else ()
    found = [value for code, value, *_ in claims if code == "duplicate-iso-label"]
    return found[0] if found and isinstance(found[0], str) else iso_label(host)


def record_digest(job: Job) -> str:
    """A digest of the host's fleet-check record, by its content alone: marshal's
    version 0 writes no back-references and no interning, which its newer formats
    add wherever an object is shared, so the same record (from a whole-fleet run,
    a team partner or a one-host run) would digest differently and every edit
    would run the fleet checks again."""
    if job.claim is None and job.facts is None:
        return ""
    claim: Any = None if job.claim is None else tuple(job.claim)
    facts: Any = None if job.facts is None else tuple(job.facts)
    return records.digest_bytes(marshal.dumps((claim, facts), 0))


def _needs_certificates(host: Host) -> bool:
    return host.tls is not None and host.tls.ca is not None and host.writes


def new_entry(run: Run, job: Job, compiled: list[Diagnostic], extra: Extra) -> None:
    """The cache entry of a loaded host that built without errors (not for members)."""
    host = job.host
    assert host is not None and job.head is not None and job.view is not None
    if host.failed or job.member or run.facts is None:
        return
    ctx = templates.host_context(host)
    foreign = set(job.foreign) | {i for n in ctx.reads.hosts for i in run.facts.inputs(n)}
    overlays = [run.overlays.display(g) for g in ("all", *host.groups)]
    inputs = tuple(sorted({*(set(host.inputs) - foreign), *job.head.inputs, *overlays}))
    n_pre = job.n_pre
    deps = _interned(dict.fromkeys(host.inputs))
    cold = Cold(
        view=tuple(job.view),
        claim=None if job.claim is None else tuple(job.claim),
        facts=None if job.facts is None else tuple(job.facts),
        deps=deps,
        label=extra.get("label", ""),
    )
    job.entry = Entry(
        inputs=_interned(inputs),
        digests=tuple(run.files.digest(p) for p in inputs),
        out=extra.get("out", (None, None, None)),
        until=extra.get("until", float("inf")),
        head=tuple(job.head),
        name=run.facts.names[job.stem],
        reads=tuple(ctx.reads.digests(run.facts)),
        hostname=host.name,
        stub=job.stub,
        effect=job.effect,
        diags=(
            records.plain_list(host.diagnostics[:n_pre]),
            records.plain_list(list(job.rules)),
            records.plain_list(compiled),
        ),
        record=job.record,
        deps=digest(deps),
        cold=records.pack(cold),
        extra=marshal.dumps(job.extra),
    )


def _interned(paths: Any) -> tuple[str, ...]:
    """Paths as interned strings: the cache stores each shared path (an overlay) once."""
    return tuple(sys.intern(p) for p in paths)
