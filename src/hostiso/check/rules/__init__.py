"""Lint rules: small modules behind two registries.

A host rule sees one host (its effective tree, ``host.plain()``) and yields
diagnostics with logical paths; :func:`run_rules` places them at the
file:line:col of the layer whose value won.  A fleet rule sees every host at
once (and must stay linear in their number); it yields diagnostics already
placed (``host.locate(path)``) and tagged with their host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from hostiso.check.rules import (
    attach_duplicates,
    attach_target,
    bmc_password,
    bmc_tls,
    common,
    duplicates,
    etcd,
    fleetnet,
    install,
    inventory,
    login,
    modes,
    network,
    networkd,
    specs,
)
from hostiso.check.rules.hostfacts import HostFacts, facts_of
from hostiso.diagnostics import Diagnostic
from hostiso.load.fleet import Host

HostRule = Callable[[Host], Iterable[Diagnostic]]
FleetRule = Callable[[list[HostFacts]], Iterable[tuple[HostFacts, Diagnostic]]]

HOST_RULES: dict[str, HostRule] = {
    **modes.HOST_RULES,
    **networkd.HOST_RULES,
    **network.HOST_RULES,
    **login.HOST_RULES,
    **bmc_password.HOST_RULES,
    **bmc_tls.HOST_RULES,
    **attach_target.HOST_RULES,
    **install.HOST_RULES,
}
FLEET_RULES: dict[str, FleetRule] = {
    **duplicates.FLEET_RULES,
    **fleetnet.FLEET_RULES,
    **etcd.FLEET_RULES,
    **inventory.FLEET_RULES,
    **attach_duplicates.FLEET_RULES,
    **specs.FLEET_RULES,
    **install.FLEET_RULES,
}


def place(host: Host, diagnostic: Diagnostic) -> Diagnostic:
    d = diagnostic if diagnostic.host else diagnostic.for_host(host.name)
    return d if d.mark is not None else d.at(host.locate(d.path))


def usable(host: Host) -> bool:
    return host.tree is not None and not host.blocked


def run_rules(hosts: list[Host]) -> None:
    ready = [h for h in hosts if usable(h)]
    common.reset()
    try:
        for host in ready:
            host.diagnostics += host_rules(host)
        records = [facts_of(h) for h in ready]
    finally:
        common.reset()
    by_stem = {h.stem: h for h in ready}
    for stem, found in fleet_rules(records).items():
        by_stem[stem].diagnostics += found


def host_rules(host: Host) -> list[Diagnostic]:
    """Every host rule's diagnostics, placed (within one ``common.reset`` scope)."""
    return [place(host, d) for rule in HOST_RULES.values() for d in rule(host)]


def fleet_rules(records: list[HostFacts]) -> dict[str, list[Diagnostic]]:
    """Every fleet rule over the usable hosts' records: diagnostics by file stem."""
    out: dict[str, list[Diagnostic]] = {}
    for fleet_rule in FLEET_RULES.values():
        for record, d in fleet_rule(records):
            d = d if d.host else d.for_host(record.name)
            d = d if d.mark is not None else d.at(record.locate(d.path))
            out.setdefault(record.stem, []).append(d)
    return out


from hostiso.check.rules import users as _users  # noqa: E402  (needs the registries above)

HOST_RULES.update(_users.RULES)
