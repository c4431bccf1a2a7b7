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
    common,
    duplicates,
    etcd,
    fleetnet,
    inventory,
    login,
    modes,
    network,
    networkd,
    specs,
)
from hostiso.diagnostics import Diagnostic
from hostiso.load.fleet import Host

HostRule = Callable[[Host], Iterable[Diagnostic]]
FleetRule = Callable[[list[Host]], Iterable[tuple[Host, Diagnostic]]]

HOST_RULES: dict[str, HostRule] = {
    **modes.HOST_RULES,
    **networkd.HOST_RULES,
    **network.HOST_RULES,
    **login.HOST_RULES,
}
FLEET_RULES: dict[str, FleetRule] = {
    **duplicates.FLEET_RULES,
    **fleetnet.FLEET_RULES,
    **etcd.FLEET_RULES,
    **inventory.FLEET_RULES,
    **specs.FLEET_RULES,
}


def place(host: Host, diagnostic: Diagnostic) -> Diagnostic:
    d = diagnostic if diagnostic.host else diagnostic.for_host(host.name)
    return d if d.mark is not None else d.at(host.locate(d.path))


def run_rules(hosts: list[Host]) -> None:
    usable = [h for h in hosts if h.tree is not None and not h.blocked]
    common.reset()
    try:
        for host in usable:
            for rule in HOST_RULES.values():
                host.diagnostics += [place(host, d) for d in rule(host)]
        for fleet_rule in FLEET_RULES.values():
            for host, d in fleet_rule(usable):
                host.diagnostics.append(place(host, d))
    finally:
        common.reset()


from hostiso.check.rules import users as _users  # noqa: E402  (needs the registries above)

HOST_RULES.update(_users.RULES)
