"""Values two hosts must not share: addresses and MAC addresses.

(Hostnames and ISO labels are checked earlier, by ``fleetcheck``.)  One dict
pass over the fleet: linear in the number of hosts.  Every host in a clash
gets an error that cites another host's location (the first host cites the
second, the others cite the first), so identical overlay lines collapse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from hostiso.check.rules.hostfacts import HostFacts, mark_of
from hostiso.diagnostics import Diagnostic, Path, Severity

Host = HostFacts

Claim = tuple[object, str, Path]
"""A value a host claims (as a dict key), how to show it, and where it is set."""


def address_claims(host: Host) -> Iterator[Claim]:
    for ip, _iface, _net, _len, _bits, loopback, path in host.addresses:
        if not loopback:
            yield ip, ip, path


def mac_claims(host: Host) -> Iterator[Claim]:
    for canonical, path in host.macs:
        yield canonical, canonical, path


def clashes(
    hosts: Iterable[Host], claims: Callable[[Host], Iterable[Claim]], code: str, what: str
) -> Iterator[tuple[Host, Diagnostic]]:
    """An error for every host whose claim another host makes too."""
    table: dict[object, list[tuple[Host, str, Path]]] = {}
    for host in hosts:
        for key, value, path in claims(host):
            owners = table.setdefault(key, [])
            if not owners or owners[-1][0] is not host:
                owners.append((host, value, path))
    for owners in table.values():
        if len(owners) < 2:
            continue
        for i, (host, value, path) in enumerate(owners):
            other, _, other_path = owners[1] if i == 0 else owners[0]
            where = mark_of(other, other_path)
            message = f"{what} {value} is also used by host {other.stem} ({where})"
            yield (
                host,
                Diagnostic(
                    Severity.ERROR,
                    code,
                    message,
                    path,
                    related=((f"{what} {value} of host {other.stem}", where),),
                ),
            )


def duplicate_address(hosts: list[Host]) -> Iterator[tuple[Host, Diagnostic]]:
    """No two hosts may have the same IP address.

    Failing::

        # configs/a.yaml
        network: {interface: eth0, addresses: [192.168.1.11/24]}
        # configs/b.yaml
        network: {interface: eth0, addresses: [192.168.1.11/24]}

    Passing::

        # configs/a.yaml
        network: {interface: eth0, addresses: [192.168.1.11/24]}
        # configs/b.yaml
        network: {interface: eth0, addresses: [192.168.1.12/24]}
    """
    return clashes(hosts, address_claims, "duplicate-address", "address")


def duplicate_mac(hosts: list[Host]) -> Iterator[tuple[Host, Diagnostic]]:
    """No two hosts may match the same MAC address (a copy-pasted host file).

    Failing::

        # configs/a.yaml
        network: {mac: "52:54:00:00:00:01", addresses: [192.168.1.11/24]}
        # configs/b.yaml
        network: {mac: "52:54:00:00:00:01", addresses: [192.168.1.12/24]}

    Passing::

        # configs/a.yaml
        network: {mac: "52:54:00:00:00:01", addresses: [192.168.1.11/24]}
        # configs/b.yaml
        network: {mac: "52:54:00:00:00:02", addresses: [192.168.1.12/24]}
    """
    return clashes(hosts, mac_claims, "duplicate-mac", "MAC address")


FLEET_RULES = {
    "duplicate-address": duplicate_address,
    "duplicate-mac": duplicate_mac,
}
