"""Fleet-wide network rules: flannel's capacity and prefix lengths per subnet.

Both are linear in the number of hosts: one dict pass, then a sort of the
distinct networks (there are far fewer networks than hosts).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from hostiso.check.rules.common import NETCONFIG_PATH, FlannelNet, parse_network_config
from hostiso.check.rules.hostfacts import HostFacts, mark_of
from hostiso.diagnostics import Diagnostic, Mark, Path, Severity
from hostiso.load.netfacts import IPNetwork

Host = HostFacts


@lru_cache(maxsize=4096)
def _network(text: str) -> IPNetwork:
    return ipaddress.ip_network(text)


@dataclass(frozen=True)
class Seen:
    host: Host
    path: Path
    mark: Mark


def flannel_capacity(hosts: list[Host]) -> Iterator[tuple[Host, Diagnostic]]:
    """No more hosts may run flannel than its network has host subnets.

    flannel leases one ``SubnetLen`` subnet per host between ``SubnetMin``
    (default: the second subnet of ``Network``; flannel skips the first) and
    ``SubnetMax`` (default: the last), so ``10.1.0.0/16`` with SubnetLen 24
    has room for 255 hosts, not 256.  Hosts with ``flannel:`` but no
    ``network_config`` count toward the fleet's network when the fleet has
    exactly one.  Every host on a network that is too small gets the error
    (which hosts would go without a lease depends on the order they boot, so
    none is built); hosts sharing a ``network_config`` line share the message.

    Failing::

        # overlays/all.yaml
        flannel:
          network_config: '{"Network": "10.1.0.0/29", "SubnetLen": 30}'
        # configs/a.yaml
        network: {interface: eth0, addresses: [192.168.1.11/24]}
        # configs/b.yaml
        network: {interface: eth0, addresses: [192.168.1.12/24]}

    Passing::

        # overlays/all.yaml
        flannel:
          network_config: '{"Network": "10.1.0.0/28", "SubnetLen": 30}'
        # configs/a.yaml
        network: {interface: eth0, addresses: [192.168.1.11/24]}
        # configs/b.yaml
        network: {interface: eth0, addresses: [192.168.1.12/24]}
    """
    groups: dict[FlannelNet, list[Seen]] = {}
    unconfigured: list[Seen] = []
    for host in hosts:
        if not host.flannel:
            continue
        config = parse_network_config(host.netconfig) if host.netconfig is not None else None
        if config is None:
            unconfigured.append(Seen(host, ("flannel",), mark_of(host, ("flannel",))))
            continue
        groups.setdefault(config, []).append(
            Seen(host, NETCONFIG_PATH, mark_of(host, NETCONFIG_PATH))
        )
    for config, members in groups.items():
        if len(groups) == 1:
            members = members + unconfigured
        if len(members) > config.capacity:
            yield from _capacity_errors(members, config)


def _capacity_errors(members: list[Seen], config: FlannelNet) -> Iterator[tuple[Host, Diagnostic]]:
    room = f"{config.capacity} host subnet" + ("" if config.capacity == 1 else "s")
    message = (
        f"{len(members)} hosts run flannel on {config.network} with SubnetLen "
        f"{config.subnet_len}, but it has room for only {room}; flannel on the "
        "others cannot get a lease (widen Network or lengthen SubnetLen)"
    )
    for member in members:
        yield (
            member.host,
            Diagnostic(Severity.ERROR, "flannel-capacity", message, member.path, member.mark),
        )


def _address_table(hosts: Iterable[Host]) -> dict[IPNetwork, list[tuple[Host, str, Path]]]:
    table: dict[IPNetwork, list[tuple[Host, str, Path]]] = {}
    for host in hosts:
        for _ip, iface, network, prefixlen, bits, _loop, path in host.addresses:
            if prefixlen < bits:
                table.setdefault(_network(network), []).append((host, iface, path))
    return table


def _clusters(networks: Iterable[IPNetwork]) -> list[list[IPNetwork]]:
    """Networks grouped under their outermost containing network (CIDRs nest or are disjoint)."""
    ordered = sorted(networks, key=lambda n: (n.version, int(n.network_address), n.prefixlen))
    out: list[list[IPNetwork]] = []
    for net in ordered:
        root = out[-1][0] if out else None
        if root is not None and root.version == net.version and net.subnet_of(root):  # type: ignore[arg-type]
            out[-1].append(net)
        else:
            out.append([net])
    return out


def prefix_mismatch(hosts: list[Host]) -> Iterator[tuple[Host, Diagnostic]]:
    """Hosts in one subnet should agree on its prefix length.

    With ``192.168.1.11/24`` on one host and ``192.168.1.12/16`` on another,
    the second sends replies for all of 192.168.0.0/16 on-link while the
    first routes them: asymmetric and half-broken.  The hosts whose prefix
    differs from the one most hosts of that range use get a warning, citing
    one that uses the common prefix.  Host routes (/32, /128) are ignored.

    Failing::

        # configs/a.yaml
        network: {interface: eth0, addresses: [192.168.1.11/24]}
        # configs/b.yaml
        network: {interface: eth0, addresses: [192.168.1.12/24]}
        # configs/c.yaml
        network: {interface: eth0, addresses: [192.168.1.13/16]}

    Passing::

        # configs/a.yaml
        network: {interface: eth0, addresses: [192.168.1.11/24]}
        # configs/b.yaml
        network: {interface: eth0, addresses: [192.168.1.12/24]}
    """
    table = _address_table(hosts)
    for cluster in _clusters(table):
        prefixes = {n.prefixlen for n in cluster}
        if len(prefixes) < 2:
            continue
        counts = {p: sum(len(table[n]) for n in cluster if n.prefixlen == p) for p in prefixes}
        common = max(sorted(prefixes), key=lambda p: counts[p])
        example = next(table[n][0] for n in cluster if n.prefixlen == common)
        yield from _mismatches(cluster, table, common, example)


def _mismatches(
    cluster: list[IPNetwork],
    table: dict[IPNetwork, list[tuple[Host, str, Path]]],
    common: int,
    example: tuple[Host, str, Path],
) -> Iterator[tuple[Host, Diagnostic]]:
    other, other_addr, other_path = example
    where = mark_of(other, other_path)
    for net in cluster:
        if net.prefixlen == common:
            continue
        for host, addr, path in table[net]:
            message = (
                f"address {addr} has prefix length /{net.prefixlen}, but hosts in the "
                f"same range use /{common} (host {other.stem} has {other_addr} at {where})"
            )
            yield (
                host,
                Diagnostic(
                    Severity.WARNING,
                    "prefix-mismatch",
                    message,
                    path,
                    related=((f"{other_addr} is set here", where),),
                ),
            )


FLEET_RULES = {
    "flannel-capacity": flannel_capacity,
    "prefix-mismatch": prefix_mismatch,
}
