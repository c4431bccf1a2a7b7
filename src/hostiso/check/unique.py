"""Checks that need the whole fleet: names and labels that must be unique.

Each check sees every host at once and runs in linear time (one dict pass),
so a 10,000-host fleet costs no more per host than a 10-host one.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from hostiso.check.rules.hostfacts import RawMark, cooked, raw
from hostiso.diagnostics import Diagnostic, Mark, Path, Severity
from hostiso.load.fleet import Host
from hostiso.media.iso import volume_label

Claim = tuple[Any, Path, str]
"""A value a host claims for itself, where it set it, and how to describe it."""


def hostname_claims(host: Host) -> Iterable[Claim]:
    yield host.name, ("hostname",), "hostname"


def label_claims(host: Host) -> Iterable[Claim]:
    yield iso_label(host), ("iso_label",), "ISO volume label"


def iso_label(host: Host) -> str:
    explicit = host.plain().get("iso_label")
    return explicit if isinstance(explicit, str) and explicit else volume_label(host.name)


UNIQUE_CHECKS: dict[str, Callable[[Host], Iterable[Claim]]] = {
    "duplicate-hostname": hostname_claims,
    "duplicate-iso-label": label_claims,
}


class Claimant(NamedTuple):
    """A host's claims, by check code: what the uniqueness checks read of it."""

    stem: str
    name: str
    claims: tuple[tuple[str, Any, Path, str, RawMark], ...]
    """(code, value, path, what, mark as plain data)."""


def claimant(host: Host) -> Claimant | None:
    """The host's claims; None before its tree is expanded (it claims nothing)."""
    if host.tree is None:
        return None
    found = [
        (code, value, path, what, raw(_mark(host, path)))
        for code, claims in UNIQUE_CHECKS.items()
        for value, path, what in claims(host)
    ]
    return Claimant(host.stem, host.name, tuple(found))


def check_unique(hosts: list[Claimant], code: str) -> Iterator[tuple[Claimant, Diagnostic]]:
    """Every host in a group claiming the same value gets an error citing another."""
    groups: dict[Any, list[tuple[Claimant, Path, str, RawMark]]] = {}
    for host in hosts:
        for kind, value, path, what, where in host.claims:
            if kind == code:
                groups.setdefault(value, []).append((host, path, what, where))
    for value, members in groups.items():
        if len({id(m[0]) for m in members}) < 2:
            continue
        if code != "duplicate-hostname" and len({m[0].name for m in members}) < 2:
            continue  # the same hostname twice: that error already says it all
        names = collections.Counter(m[0].name for m in members)  # not list.count per member
        for i, (host, path, what, where) in enumerate(members):
            other, _, _, other_where = members[1] if i == 0 else members[0]
            mark, other_mark = cooked(where), cooked(other_where)
            # hosts that share a hostname are told apart by their file stems
            tag = host.stem if names[host.name] > 1 else host.name
            related = (("also claimed here", other_mark),) if other_mark else ()
            message = f"{what} '{value}' is also used by host {other.stem} ({other_mark})"
            yield host, Diagnostic(Severity.ERROR, code, message, path, mark, tag, related)


def _mark(host: Host, path: Path) -> Mark | None:
    node = host.tree.get(str(path[0])) if host.tree else None
    if node is not None and len(path) == 1:
        return node.mark
    return Mark(host.source, 1, 1)


def unique_errors(hosts: list[Claimant]) -> dict[str, list[Diagnostic]]:
    """Every uniqueness error, by file stem (hostname errors first)."""
    out: dict[str, list[Diagnostic]] = {}
    for code in UNIQUE_CHECKS:
        for host, d in check_unique(hosts, code):
            out.setdefault(host.stem, []).append(d)
    return out


def check_fleet(hosts: list[Host]) -> None:
    by_stem = {h.stem: h for h in hosts}
    found = [c for c in (claimant(h) for h in hosts) if c is not None]
    for stem, problems in unique_errors(found).items():
        by_stem[stem].diagnostics += problems
