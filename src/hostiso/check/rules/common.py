"""What several rules need from a host, computed once per lint run.

``host.plain()`` converts the whole tree, and network facts parse every
networkd unit; a 10,000-host fleet must not pay for either once per rule.
:func:`memo` caches per host (:func:`plain`, :func:`facts`) until
:func:`reset` (called by ``run_rules`` before and after the rules run);
texts many hosts share (flannel's network config, etcd URL lists) are parsed
once per distinct text.

Network facts here differ from ``netfacts.network_facts(host.plain())`` in
one way: when ``10-static.network`` was generated from the ``network:``
shorthand, its facts come from the shorthand itself, so a diagnostic points
at ``network.addresses[1]`` rather than at the ``network:`` mapping.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import urlsplit

from hostiso.derive.shorthands import STATIC_NETWORK_UNIT
from hostiso.diagnostics import Mark, Path
from hostiso.load.fleet import Host
from hostiso.load.netfacts import IPAddress, NetFacts, link_from_shorthand, link_from_unit
from hostiso.sections.options import scalar_text

_MEMO: dict[tuple[str, int], tuple[Host, Any]] = {}

NETCONFIG_PATH: Path = ("flannel", "network_config")
DEFAULT_SUBNET_LEN = 24
T = TypeVar("T")


def reset() -> None:
    """Forget every cached host (the next lint run may see new trees)."""
    _MEMO.clear()


def memo(kind: str, host: Host, compute: Callable[[Host], T]) -> T:
    """``compute(host)``, once per host and ``kind`` until :func:`reset`."""
    hit = _MEMO.get((kind, id(host)))
    if hit is None or hit[0] is not host:
        hit = (host, compute(host))
        _MEMO[(kind, id(host))] = hit
    value: T = hit[1]
    return value


def plain(host: Host) -> dict[str, Any]:
    """``host.plain()``, computed once per run (an expanded host caches its own)."""
    return host.plain() if host.tree is not None else memo("plain", host, Host.plain)


def facts(host: Host) -> NetFacts:
    """The host's network facts, with shorthand paths for the shorthand's unit."""
    return memo("facts", host, _facts)


def _user_unit_names(host: Host) -> set[str]:
    networkd = host.user.get("networkd") if host.user is not None else None
    units = networkd.get("units") if networkd is not None else None
    if units is None or not isinstance(units.value, list):
        return set()
    names = (u.get("name") for u in units.value)
    return {str(n.value) for n in names if n is not None}


def generated_static_unit(host: Host) -> bool:
    """``10-static.network`` comes from the ``network:`` shorthand, not a raw unit."""
    return memo("generated", host, _generated)


def _generated(host: Host) -> bool:
    net = plain(host).get("network")
    return isinstance(net, dict) and STATIC_NETWORK_UNIT not in _user_unit_names(host)


def _facts(host: Host) -> NetFacts:
    clc = plain(host)
    net = clc.get("network")
    generated = generated_static_unit(host)
    out = NetFacts()
    if generated and isinstance(net, dict):
        out.links.append(link_from_shorthand(net))
    units = (clc.get("networkd") or {}).get("units") or []
    for i, unit in enumerate(units):
        if not isinstance(unit, dict):
            continue
        name = str(unit.get("name") or "")
        if generated and name == STATIC_NETWORK_UNIT:
            continue
        if name.endswith(".network") and isinstance(unit.get("contents"), str):
            out.links.append(link_from_unit(name, unit["contents"], ("networkd", "units", i)))
    return out


def mark_of(host: Host, path: Path) -> Mark:
    """Where ``path`` was set (its nearest parent), else the host file."""
    return host.locate(path) or Mark(host.source, 1, 1)


# --- flannel ------------------------------------------------------------------


@dataclass(frozen=True)
class FlannelNet:
    """The parts of flannel's network config that decide addressing."""

    network: ipaddress.IPv4Network
    subnet_len: int
    subnet_min: ipaddress.IPv4Address | None = None
    subnet_max: ipaddress.IPv4Address | None = None

    @property
    def capacity(self) -> int:
        """How many host subnets flannel hands out.

        flannel skips the first subnet of ``Network`` unless ``SubnetMin`` is
        set (its subnet/config.go), and ends at the last one unless
        ``SubnetMax`` is set.
        """
        size = 1 << (32 - self.subnet_len)
        first = int(self.subnet_min or self.network.network_address + size)
        last = int(self.subnet_max or self.network.broadcast_address + 1 - size)
        return max(0, (last - first) // size + 1)


def runs_flannel(clc: dict[str, Any]) -> bool:
    """``flannel:`` is present (``flannel: ~`` enables it with defaults)."""
    return "flannel" in clc


def flannel_net(clc: dict[str, Any]) -> FlannelNet | None:
    """flannel's ``Network`` and subnet settings, when the config gives them validly."""
    section = clc.get("flannel")
    raw = section.get("network_config") if isinstance(section, dict) else None
    return parse_network_config(raw) if isinstance(raw, str) else None


@lru_cache(maxsize=1024)
def parse_network_config(raw: str) -> FlannelNet | None:
    """A network config JSON text (fleets share a few; each is parsed once)."""
    try:
        config = json.loads(raw)
        if not isinstance(config, dict):
            return None
        network = ipaddress.IPv4Network(config.get("Network"), strict=False)
    except (ValueError, TypeError):
        return None
    subnet_len = config.get("SubnetLen", DEFAULT_SUBNET_LEN)
    if isinstance(subnet_len, bool) or not isinstance(subnet_len, int):
        return None
    if not network.prefixlen < subnet_len <= 32:
        return None
    return FlannelNet(
        network, subnet_len, _v4(config.get("SubnetMin")), _v4(config.get("SubnetMax"))
    )


def _v4(raw: Any) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


# --- etcd ---------------------------------------------------------------------

ETCD_URL_KEYS = (
    "advertise_client_urls",
    "initial_advertise_peer_urls",
    "listen_client_urls",
    "listen_peer_urls",
)


@dataclass(frozen=True)
class Endpoint:
    """One URL of the config: its host part, as an address when it is one."""

    url: str
    host: str
    ip: IPAddress | None
    path: Path


def split_urls(value: Any, path: Path) -> tuple[Endpoint, ...]:
    """The URLs of a comma-separated etcd/flannel option (``name=url`` items too)."""
    return _split_urls(value, path) if isinstance(value, str) else ()


@lru_cache(maxsize=4096)
def _split_urls(value: str, path: Path) -> tuple[Endpoint, ...]:
    out = []
    for item in value.split(","):
        url = item.strip().partition("=")[2] if "=" in item.split("://")[0] else item.strip()
        if not url:
            continue
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            continue
        out.append(Endpoint(url, host, _ip(host), path))
    return tuple(out)


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def etcd_endpoints(clc: dict[str, Any]) -> list[Endpoint]:
    """Every URL of the ``etcd`` section and flannel's ``etcd_endpoints``."""
    out: list[Endpoint] = []
    etcd = clc.get("etcd")
    if isinstance(etcd, dict):
        for key in (*ETCD_URL_KEYS, "initial_cluster"):
            out += split_urls(etcd.get(key), ("etcd", key))
    flannel = clc.get("flannel")
    if isinstance(flannel, dict):
        out += split_urls(flannel.get("etcd_endpoints"), ("flannel", "etcd_endpoints"))
    return out


# --- docker -------------------------------------------------------------------

_CIDR4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}/[0-9]{1,2}")


@dataclass(frozen=True)
class Bip:
    """The ``--bip`` that dockerd uses (the last one), where it and its value are.

    ``value`` is None when ``--bip`` ends the flags (no value follows);
    ``path`` is the ``docker.flags`` item holding ``--bip``, ``value_path``
    the item holding its value (the next item for ``[--bip, X]``).
    """

    value: str | None
    path: Path
    value_path: Path

    @property
    def network(self) -> ipaddress.IPv4Network | None:
        """The bridge network, as dockerd's ``net.ParseCIDR`` reads it; None if malformed."""
        if self.value is None or not _CIDR4.fullmatch(self.value):
            return None
        try:
            return ipaddress.IPv4Interface(self.value).network
        except ValueError:
            return None


def _flag_tokens(flags: Any) -> list[tuple[str, Path]]:
    """Each word of ``docker.flags`` with its item's path: ct joins the items
    with spaces and systemd splits ``$DOCKER_OPTS`` on whitespace."""
    if not isinstance(flags, list):
        return []
    out: list[tuple[str, Path]] = []
    for i, item in enumerate(flags):
        text = scalar_text(item)
        if text is not None:
            out += [(word, ("docker", "flags", i)) for word in text.split()]
    return out


def docker_bip(clc: dict[str, Any]) -> Bip | None:
    """The last ``--bip=X`` / ``--bip X`` of ``docker.flags`` (pflag: the last one wins)."""
    docker = clc.get("docker")
    tokens = _flag_tokens(docker.get("flags") if isinstance(docker, dict) else None)
    found = None
    i = 0
    while i < len(tokens):
        word, path = tokens[i]
        if word.startswith("--bip="):
            found = Bip(word.removeprefix("--bip="), path, path)
        elif word == "--bip":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            found = Bip(nxt[0], path, nxt[1]) if nxt else Bip(None, path, path)
            i += 1
        i += 1
    return found
