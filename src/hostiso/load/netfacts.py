"""What a host's network looks like, whichever way the config wrote it.

Facts come from the ``network:`` shorthand and from every raw networkd
``.network`` unit (``[Match]``, ``[Network]``, ``[Address]``, ``[Route]``),
so checks and templates see the same addresses either way.  Each fact keeps
the logical path of the value it came from, for diagnostics.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from hostiso.diagnostics import Path
from hostiso.load.formats import parse_interface, parse_ip
from hostiso.load.unitsections import NETWORK_SECTIONS

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Route(NamedTuple):
    """A ``[Route]`` (or a shorthand route); a tuple, as links have many and are
    made for every host."""

    destination: IPNetwork | None
    gateway: IPAddress | None
    path: Path


@dataclass
class Link:
    """One ``.network`` unit (or the shorthand): what it matches and configures."""

    unit: str
    path: Path
    names: list[str] = field(default_factory=list)
    macs: list[str] = field(default_factory=list)
    addresses: list[tuple[IPInterface, Path]] = field(default_factory=list)
    gateways: list[tuple[IPAddress, Path]] = field(default_factory=list)
    dns: list[tuple[IPAddress, Path]] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    unread: list[tuple[str, int]] = field(default_factory=list)
    """Sections networkd skips that hold an ``Address=``: (name, line of its header),
    or ``("", line)`` for an ``Address=`` before any section header."""


@dataclass
class NetFacts:
    links: list[Link] = field(default_factory=list)

    @property
    def addresses(self) -> list[tuple[IPInterface, Path]]:
        return [a for link in self.links for a in link.addresses]


def parse_ini(text: str) -> list[tuple[str, str, str, int, int]]:
    """``(section, key, value, line, header line)`` for each assignment of a systemd
    INI text (the header line is 0 before any section)."""
    out: list[tuple[str, str, str, int, int]] = []
    section, header = "", 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section, header = line[1:-1], lineno
        elif "=" in line:
            key, _, value = line.partition("=")
            out.append((section, key.strip(), value.strip(), lineno, header))
    return out


_ip = parse_ip
_iface = parse_interface


@functools.lru_cache(maxsize=65536)
def _net(value: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def link_from_unit(name: str, contents: str, path: Path) -> Link:
    link = Link(unit=name, path=path)
    route: dict[str, str] = {}
    cpath = (*path, "contents")

    def flush() -> None:
        if route:
            link.routes.append(
                Route(_net(route.get("Destination", "")), _ip(route.get("Gateway", "")), cpath)
            )
            route.clear()

    last_section = None
    for section, key, value, line, header in parse_ini(contents):
        if section != last_section or (section == "Route" and key in route):
            flush()
        last_section = section
        _assign(link, section, key, value, cpath, route)
        unread = (section, header or line)
        if key == "Address" and section not in NETWORK_SECTIONS and unread not in link.unread:
            link.unread.append(unread)
    flush()
    return link


def _assign(
    link: Link, section: str, key: str, value: str, cpath: Path, route: dict[str, str]
) -> None:
    if section == "Match" and key == "Name":
        link.names += value.split()
    elif section == "Match" and key == "MACAddress":
        link.macs += [m.lower() for m in value.split()]
    elif section in ("Network", "Address") and key == "Address":
        iface = _iface(value)
        if iface is not None:
            link.addresses.append((iface, cpath))
    elif section == "Network" and key in ("Gateway", "DNS"):
        for item in value.split():
            ip = _ip(item)
            if ip is not None:
                target = link.gateways if key == "Gateway" else link.dns
                target.append((ip, cpath))
    elif section == "Route":
        route[key] = value


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    """A list value, else nothing: a wrongly typed value is the schema check's to report."""
    return value if isinstance(value, list) else []


def _scalar(value: Any) -> str:
    """The text of a scalar value; nothing for a missing value, a mapping or a list."""
    if value is None or value is False or isinstance(value, (dict, list)):
        return ""
    return str(value)


def link_from_shorthand(net: dict[str, Any]) -> Link:
    """The shorthand's link; values of the wrong type are skipped, never trusted."""
    base: Path = ("network",)
    link = Link(unit="10-static.network", path=base)
    if _scalar(net.get("interface")):
        link.names.append(_scalar(net["interface"]))
    if _scalar(net.get("mac")):
        link.macs.append(_scalar(net["mac"]).lower().replace("-", ":"))
    for i, a in enumerate(_items(net.get("addresses"))):
        iface = _iface(_scalar(a))
        if iface is not None:
            link.addresses.append((iface, (*base, "addresses", i)))
    ip = _ip(_scalar(net.get("gateway")))
    if ip is not None:
        link.gateways.append((ip, (*base, "gateway")))
    for i, d in enumerate(_items(net.get("dns"))):
        dip = _ip(_scalar(d))
        if dip is not None:
            link.dns.append((dip, (*base, "dns", i)))
    for i, r in enumerate(_items(net.get("routes"))):
        if isinstance(r, dict):
            link.routes.append(
                Route(
                    _net(_scalar(r.get("destination"))),
                    _ip(_scalar(r.get("gateway"))),
                    (*base, "routes", i),
                )
            )
    return link


def network_facts(clc: Any) -> NetFacts:
    """Facts from a plain config: the shorthand (if any) and raw ``.network`` units.

    A raw unit named like the shorthand's replaces it, as it does in the output.
    Any shape is accepted (the config may have failed the schema check): a value
    of the wrong type contributes no fact.
    """
    facts = NetFacts()
    for source in _sources(clc):
        if isinstance(source, dict):
            facts.links.append(link_from_shorthand(source))
        else:
            facts.links.append(link_from_unit(*source))
    return facts


def addresses_of(clc: Any) -> list[IPInterface]:
    """The addresses of :func:`network_facts` (in its order), without its other facts."""
    out: list[IPInterface] = []
    for source in _sources(clc):
        if isinstance(source, dict):
            found = (_iface(_scalar(a)) for a in _items(source.get("addresses")))
            out += [iface for iface in found if iface is not None]
        else:
            out += [iface for iface, _ in link_from_unit(*source).addresses]
    return out


def _sources(clc: Any) -> Iterator[dict[str, Any] | tuple[str, str, Path]]:
    """What :func:`network_facts` reads, in order: the shorthand's mapping (unless a
    raw unit replaces it), then ``(name, contents, path)`` of each ``.network`` unit."""
    config = _mapping(clc)
    units = _items(_mapping(config.get("networkd")).get("units"))
    names = {_scalar(u.get("name")) for u in units if isinstance(u, dict)}
    net = config.get("network")
    if isinstance(net, dict) and "10-static.network" not in names:
        yield net
    for i, unit in enumerate(units):
        if not isinstance(unit, dict):
            continue
        name = _scalar(unit.get("name"))
        if name.endswith(".network") and isinstance(unit.get("contents"), str):
            yield name, unit["contents"], ("networkd", "units", i)


AddressText = tuple[str, str, str, int, int, bool]
"""ip, ip/prefix, network, prefix length, address bits, loopback."""


@functools.lru_cache(maxsize=65536)
def address_text(iface: IPInterface) -> AddressText:
    """An address as text, once per distinct address (parses return shared objects)."""
    network = iface.network
    return (
        str(iface.ip),
        str(iface),
        str(network),
        network.prefixlen,
        iface.max_prefixlen,
        iface.ip.is_loopback,
    )
