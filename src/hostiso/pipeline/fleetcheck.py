"""The post stage of a run: unique names and the fleet rules over every host's record.

Their findings are a function of the records alone, so a run keeps them in
its cache with a digest of every host's record: when no record changed (an
edit that moves no address and renames nothing), they are taken from there
and no clean host's record is read.  Otherwise every record is read (from
the cache for clean hosts) and the checks run again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from hostiso.check import rules, unique
from hostiso.check.rules.hostfacts import HostFacts
from hostiso.diagnostics import Diagnostic
from hostiso.pipeline import records
from hostiso.pipeline.jobs import Job, Run


@dataclass
class Post:
    """The post stage's findings: unique names, usable hosts, fleet rules."""

    unique: dict[str, list[Diagnostic]]
    usable: set[str]
    fleet: dict[str, list[Diagnostic]]


def fleet_checks(run: Run) -> Post:
    """check-unique, then the fleet rules over every usable host's record."""
    key = _key(run)
    memo = run.memo.get("post")
    if isinstance(memo, tuple) and len(memo) == 4 and memo[0] == key:
        post = _from_plain(memo)
    else:
        post = _check(run)
    run.memo["post"] = (key, _plain(post.unique), _plain(post.fleet), tuple(sorted(post.usable)))
    return post


def _key(run: Run) -> str:
    lines = (f"{j.stem} {record(j)}" for j in run.jobs)
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def record(job: Job) -> str:
    """Its fleet-check record's digest: from the stages (or a partner) unless clean."""
    return job.record if job.entry is None else job.entry.record


def _check(run: Run) -> Post:
    claims = [c for c in (_claim(j) for j in run.jobs) if c is not None]
    found = unique.unique_errors(claims)
    usable = []
    for job in run.jobs:
        errors = found.get(job.stem, ())
        blocking = any(d.is_error and d.blocking for d in errors)
        facts = _facts(job)
        if facts is not None and not blocking:
            usable.append(facts)
    return Post(found, {r.stem for r in usable}, rules.fleet_rules(usable))


def _claim(job: Job) -> unique.Claimant | None:
    if job.entry is None:
        return job.claim
    raw = job.cold().claim if job.entry.record else None
    return None if raw is None else unique.Claimant(*raw)


def _facts(job: Job) -> HostFacts | None:
    if job.entry is None:
        return job.facts
    raw = job.cold().facts if job.entry.record else None
    return None if raw is None else HostFacts(*raw)


def _plain(found: dict[str, list[Diagnostic]]) -> dict[str, Any]:
    return {stem: records.plain_list(items) for stem, items in found.items()}


def _from_plain(memo: tuple[Any, ...]) -> Post:
    _, unique_found, fleet_found, usable = memo
    return Post(
        {stem: records.diagnostics(raw) for stem, raw in unique_found.items()},
        set(usable),
        {stem: records.diagnostics(raw) for stem, raw in fleet_found.items()},
    )


def finish_host(job: Job, post: Post) -> list[Diagnostic]:
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


def fails(job: Job, post: Post) -> bool:
    """A clean host the fleet checks give an error (its entry has none of its own)."""
    if job.host is not None or job.entry is None:
        return False
    found = [*post.unique.get(job.stem, ()), *post.fleet.get(job.stem, ())]
    return any(d.is_error for d in found)


NONE: tuple[tuple[()], tuple[()], tuple[()]] = ((), (), ())


def finish_clean(job: Job, post: Post) -> list[Diagnostic]:
    entry = job.entry
    assert entry is not None
    if entry.diags == NONE and job.stem not in post.unique and job.stem not in post.fleet:
        return []  # most hosts: nothing to say
    pre, rules_found, compiled = (records.diagnostics(d) for d in entry.diags)
    found = pre + post.unique.get(job.stem, [])
    found += rules_found if job.stem in post.usable else []
    found += post.fleet.get(job.stem, [])
    job.failed = any(d.is_error for d in found)
    return found if job.failed else found + compiled
