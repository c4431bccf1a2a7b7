"""Per-host network checks on the effective config: overlaps and gateways.

They run on network facts (the ``network:`` shorthand and raw ``.network``
units alike), so a network written either way is checked the same way.
The fleet-wide ones (flannel capacity, prefix lengths) are in ``fleetnet``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import NamedTuple

from hostiso.check.rules.common import (
    NETCONFIG_PATH,
    Bip,
    docker_bip,
    etcd_endpoints,
    facts,
    flannel_net,
    mark_of,
    memo,
    plain,
)
from hostiso.diagnostics import Diagnostic, Path, Severity
from hostiso.load.fleet import Host
from hostiso.load.netfacts import IPAddress, IPNetwork, Link

DOCKER_BRIDGE = ipaddress.IPv4Network("172.17.0.0/16")
BRIDGE_SPAN = (4, int(DOCKER_BRIDGE.network_address), int(DOCKER_BRIDGE.broadcast_address))
OVERLAY_CONSEQUENCE = "host traffic, sshd included, would be routed into the overlay"

Span = tuple[int, int, int]
"""(IP version, first address, last address) as integers: overlap tests without objects."""


def span(network: IPNetwork) -> Span:
    first = int(network.network_address)
    return network.version, first, first | ((1 << (network.max_prefixlen - network.prefixlen)) - 1)


def ip_span(ip: IPAddress) -> Span:
    return ip.version, int(ip), int(ip)


def overlaps(a: Span, b: Span) -> bool:
    return a[0] == b[0] and a[1] <= b[2] and b[1] <= a[2]


class Claim(NamedTuple):
    """Addresses a host uses, what they are, and where the config sets them.

    ``what`` is only formatted when a message needs it: most claims never
    clash, and a 10,000-host fleet has ~10 claims per host (a tuple: made fast).
    """

    span: Span
    kind: str
    value: object
    unit: str
    path: Path

    @property
    def what(self) -> str:
        where = f" ({self.unit})" if self.unit else ""
        if self.kind == "subnet":
            iface = self.value
            assert isinstance(iface, ipaddress.IPv4Interface | ipaddress.IPv6Interface)
            return f"subnet {iface.network} of address {iface}{where}"
        return f"{self.kind} {self.value}{where}"


def _link_claims(link: Link) -> Iterator[Claim]:
    unit = link.unit if link.path[0] != "network" else ""
    for iface, path in link.addresses:
        yield Claim(span(iface.network), "subnet", iface, unit, path)
    for route in link.routes:
        if route.destination is not None and route.destination.prefixlen > 0:
            yield Claim(
                span(route.destination), "route destination", route.destination, unit, route.path
            )
        if route.gateway is not None:
            yield Claim(ip_span(route.gateway), "route gateway", route.gateway, unit, route.path)
    for ip, path in link.gateways:
        yield Claim(ip_span(ip), "gateway", ip, unit, path)
    for ip, path in link.dns:
        yield Claim(ip_span(ip), "DNS server", ip, unit, path)


def _host_claims(host: Host) -> tuple[Claim, ...]:
    """A default route (``0.0.0.0/0``, ``::/0``) claims nothing: it overlaps every
    network by definition, and any more specific route (flannel's, Docker's) wins."""
    return tuple(c for link in facts(host).links for c in _link_claims(link))


def host_networks(host: Host) -> tuple[Claim, ...]:
    """Every subnet, route destination and gateway/DNS address of the host's links."""
    return memo("claims", host, _host_claims)


def _etcd_claims(host: Host) -> Iterator[Claim]:
    """One claim per etcd endpoint address (the first option that names it)."""
    seen: set[object] = set()
    for endpoint in etcd_endpoints(plain(host)):
        ip = endpoint.ip
        if ip is not None and not ip.is_unspecified and ip not in seen:
            seen.add(ip)
            yield Claim(ip_span(ip), "etcd endpoint", ip, str(endpoint.path[-1]), endpoint.path)


def _overlap(
    host: Host, code: str, mine: tuple[IPNetwork, str, Path], other: Claim, tail: str
) -> Diagnostic:
    network, what, path = mine
    where = mark_of(host, other.path)
    message = f"{what} {network} overlaps {other.what} at {where}; {tail}"
    return Diagnostic(
        Severity.ERROR, code, message, path, related=((f"{other.what} is set here", where),)
    )


def flannel_overlap(host: Host) -> Iterator[Diagnostic]:
    """flannel's ``Network`` must not overlap any network the host itself uses.

    Checked against every address's subnet, route destination, gateway, DNS
    server and etcd endpoint (etcd URLs, flannel's ``etcd_endpoints``): flannel
    routes its whole ``Network`` into the overlay, so host traffic, sshd
    included, would go there.  The error stands at ``network_config``; a note
    points at the host's value.

    Failing::

        # configs/a.yaml
        network:
          interface: eth0
          addresses: [10.1.2.11/24]
        flannel:
          network_config: '{"Network": "10.1.0.0/16"}'

    Passing::

        # configs/a.yaml
        network:
          interface: eth0
          addresses: [192.168.1.11/24]
        flannel:
          network_config: '{"Network": "10.1.0.0/16"}'
    """
    config = flannel_net(plain(host))
    if config is None:
        return
    mine = (config.network, "flannel network", NETCONFIG_PATH)
    flannel = span(config.network)
    for claim in (*host_networks(host), *_etcd_claims(host)):
        if overlaps(claim.span, flannel):
            yield _overlap(host, "flannel-overlap", mine, claim, OVERLAY_CONSEQUENCE)


NETWORK_KINDS = frozenset({"subnet", "route destination"})


def _within(inner: Span, outer: Span) -> bool:
    return inner[0] == outer[0] and outer[1] <= inner[1] and inner[2] <= outer[2]


def _clashes(claims: tuple[Claim, ...], bridge: Span) -> list[Claim]:
    """The claims overlapping ``bridge``; an address (gateway, DNS server) is
    left out when a subnet or route already reported contains it."""
    hits = [c for c in claims if overlaps(c.span, bridge)]
    nets = [c.span for c in hits if c.kind in NETWORK_KINDS]
    return [c for c in hits if c.kind in NETWORK_KINDS or not any(_within(c.span, n) for n in nets)]


def docker_bridge_overlap(host: Host) -> Iterator[Diagnostic]:
    """Docker's bridge network must not overlap the host's or flannel's network.

    Docker creates ``docker0`` on 172.17.0.0/16, or on the network of
    ``--bip=ADDR/LEN`` when ``docker.flags`` sets one (``--bip=X``,
    ``"--bip X"`` or ``[--bip, X]``; the last one wins).  Checked against
    every address's subnet, route destination, gateway and DNS server, and
    flannel's ``Network``: an overlapping host network becomes unreachable
    from the host once Docker starts.  A warning at the ``--bip`` flag (at
    the host's value, or at flannel's ``network_config``, for the default
    bridge), naming both networks and where they are set.

    Failing::

        # configs/a.yaml
        network:
          interface: eth0
          addresses: [192.168.1.11/24]
        docker:
          flags: [--bip=192.168.1.1/24]

    Passing::

        # configs/a.yaml
        network:
          interface: eth0
          addresses: [172.17.5.10/24]
        docker:
          flags: [--bip=10.99.0.1/24]
    """
    clc = plain(host)
    bip = docker_bip(clc)
    if bip is not None and bip.value:
        yield from _bip_overlap(host, bip)
        return
    tail = "the host loses its route there once Docker starts; set --bip in docker.flags"
    for claim in _clashes(host_networks(host), BRIDGE_SPAN):
        yield _warn_bridge(claim, tail)
    config = flannel_net(clc)
    if config is not None and config.network.overlaps(DOCKER_BRIDGE):
        claim = Claim(span(config.network), "flannel network", config.network, "", NETCONFIG_PATH)
        yield _warn_bridge(
            claim, "containers would not reach the overlay; set --bip in docker.flags"
        )


def _bip_overlap(host: Host, bip: Bip) -> Iterator[Diagnostic]:
    network = bip.network
    if network is None:
        return  # docker-bip-invalid reports it
    bridge = span(network)
    claims = _clashes(host_networks(host), bridge)
    config = flannel_net(plain(host))
    if config is not None and overlaps(span(config.network), bridge):
        claims.append(
            Claim(span(config.network), "flannel network", config.network, "", NETCONFIG_PATH)
        )
    mine = f"Docker's bridge {network} (--bip={bip.value} at {mark_of(host, bip.path)})"
    for claim in claims:
        where = mark_of(host, claim.path)
        if claim.kind == "flannel network":
            tail = "containers would not reach the overlay"
        else:
            tail = "the host loses its route there once Docker starts"
        yield Diagnostic(
            Severity.WARNING,
            "docker-bridge-overlap",
            f"{mine} overlaps {claim.what} at {where}; {tail}; choose another --bip",
            bip.path,
            related=((f"{claim.what} is set here", where),),
        )


def _warn_bridge(claim: Claim, tail: str) -> Diagnostic:
    return Diagnostic(
        Severity.WARNING,
        "docker-bridge-overlap",
        f"Docker's default bridge {DOCKER_BRIDGE} overlaps {claim.what}; {tail}",
        claim.path,
    )


def docker_bip_invalid(host: Host) -> Iterator[Diagnostic]:
    """``--bip`` in ``docker.flags`` must be an IPv4 address with a prefix length.

    ct passes the flags to dockerd as they are, and dockerd refuses to start
    on a ``--bip`` it cannot parse (or one without a value).  An error at the
    flag's value.

    Failing::

        # configs/a.yaml
        docker:
          flags: [--bip=10.99.0.1]

    Passing::

        # configs/a.yaml
        docker:
          flags: [--bip, 10.99.0.1/24]
    """
    bip = docker_bip(plain(host))
    if bip is None or bip.value == "" or bip.network is not None:
        return
    if bip.value is None:
        problem = "--bip needs a value"
    else:
        problem = f"--bip value '{bip.value}' is not an IPv4 address with a prefix length"
    yield Diagnostic(
        Severity.ERROR,
        "docker-bip-invalid",
        f"{problem} (the bridge's address, like 10.99.0.1/24); dockerd would not start",
        bip.value_path,
    )


def _unreachable(link: Link) -> Iterator[tuple[str, Path]]:
    subnets = [span(iface.network) for iface, _ in link.addresses]

    def outside(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        mine = ip_span(ip)
        versions = (n[0] for n in subnets)
        if mine[0] not in versions or any(_within(mine, n) for n in subnets):
            return False
        return not ip.is_link_local

    for ip, path in link.gateways:
        if outside(ip):
            yield f"gateway {ip} is outside every subnet of {link.unit} ({_nets(link)})", path
    for route in link.routes:
        if route.gateway is not None and outside(route.gateway):
            dest = route.destination or "default"
            yield (
                (
                    f"the route to {dest} goes through {route.gateway}, which is outside "
                    f"every subnet of {link.unit} ({_nets(link)})"
                ),
                route.path,
            )


def _nets(link: Link) -> str:
    """The link's subnets, for a message (only made when one is needed)."""
    return ", ".join(str(iface.network) for iface, _ in link.addresses)


def _onlink(host: Host, link: Link) -> bool:
    """A raw unit that declares ``GatewayOnLink=`` reaches gateways its own way."""
    if link.path[0] != "networkd":
        return False
    units = (plain(host).get("networkd") or {}).get("units") or []
    contents = units[link.path[2]].get("contents") if isinstance(link.path[2], int) else None
    return isinstance(contents, str) and "GatewayOnLink=" in contents


def gateway_unreachable(host: Host) -> Iterator[Diagnostic]:
    """A gateway (of the link, or of a route) must lie in a subnet of its link.

    The kernel refuses a gateway it has no on-link route to, so the default
    route, or the route, is never installed.  Links without a static address
    of the gateway's IP version (DHCP) and IPv6 link-local gateways are not
    checked; neither are raw units that use ``GatewayOnLink=``.

    Failing::

        # configs/a.yaml
        network:
          interface: eth0
          addresses: [192.168.1.11/24]
          gateway: 192.168.2.1

    Passing::

        # configs/a.yaml
        network:
          interface: eth0
          addresses: [192.168.1.11/24]
          gateway: 192.168.1.1
    """
    for link in facts(host).links:
        if link.addresses and not _onlink(host, link):
            for message, path in _unreachable(link):
                yield Diagnostic(
                    Severity.ERROR,
                    "gateway-unreachable",
                    f"{message}; the kernel will not install the route",
                    path,
                )


HOST_RULES = {
    "flannel-overlap": flannel_overlap,
    "docker-bridge-overlap": docker_bridge_overlap,
    "docker-bip-invalid": docker_bip_invalid,
    "gateway-unreachable": gateway_unreachable,
}
