"""What the fleet rules read of one host, as a small record.

Fleet rules see every host at once; over 10,000 hosts they must not convert
trees or parse networkd units, and a build must be able to run them with
hosts it did not load (their records come from its cache).  A record holds
plain values only: the host's addresses and MAC addresses with their paths,
its flannel network config text, the URLs it advertises as an etcd member,
and the mark of every path a fleet diagnostic about it can stand at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from hostiso.check.rules.common import ETCD_URL_KEYS, NETCONFIG_PATH, facts, plain
from hostiso.diagnostics import Mark, Path
from hostiso.load.fleet import Host
from hostiso.load.netfacts import address_text

FLANNEL_PATH: Path = ("flannel",)
ADVERTISED = ("initial_advertise_peer_urls", "advertise_client_urls")
FIXED_PATHS: tuple[Path, ...] = (
    NETCONFIG_PATH,
    FLANNEL_PATH,
    *(("etcd", k) for k in ETCD_URL_KEYS),
)
"""Paths every record's fleet diagnostics may stand at."""

Addr = tuple[str, str, str, int, int, bool, Path]
"""ip, ip/prefix, network, prefix length, address bits, loopback, path."""


RawMark = tuple[str, int, int] | None
"""A mark as plain data: records are kept in the build cache as tuples."""


def raw(mark: Mark | None) -> RawMark:
    return None if mark is None else (mark.file, mark.line, mark.col)


def cooked(mark: RawMark) -> Mark | None:
    return None if mark is None else Mark(*mark)


class HostFacts(NamedTuple):
    stem: str
    name: str
    source: str
    groups: tuple[str, ...]
    addresses: tuple[Addr, ...]
    macs: tuple[tuple[str, Path], ...]
    flannel: bool
    netconfig: str | None
    member: bool
    urls: tuple[tuple[str, str | None], ...]
    marks: tuple[tuple[Path, RawMark], ...]
    """Where each path a fleet diagnostic may stand at was set, unless at ``root``."""
    root: RawMark = None
    """The mark of the host's tree (of every path it does not have)."""
    extra: dict[str, Any] | None = None
    """What the rules of other modules read (:data:`EXTRACTORS`), by name."""

    def get(self, name: str) -> Any:
        return None if self.extra is None else self.extra.get(name)

    def locate(self, path: Path) -> Mark | None:
        for known, mark in self.marks:
            if known == path:
                return cooked(mark)
        return cooked(self.root)


Extractor = Callable[[Host], tuple[Any, tuple[Path, ...]]]
EXTRACTORS: dict[str, Extractor] = {}
"""A fleet rule module that reads more of a host than the fields above adds
an extractor here: name -> ``host -> (plain value, paths its diagnostics may
stand at)``.  The value is kept in the build cache (marshal: plain data and
raw marks only), so a build can run the rule over hosts it did not load."""


def facts_of(host: Host) -> HostFacts:
    """The record of a host whose tree is expanded."""
    clc = plain(host)
    net = facts(host)
    addresses = tuple((*address_text(i), path) for i, path in net.addresses)
    macs = tuple(
        (mac.lower().replace("-", ":"), _mac_path(link.path))
        for link in net.links
        for mac in link.macs
    )
    section = clc.get("flannel")
    config = section.get("network_config") if isinstance(section, dict) else None
    etcd = clc.get("etcd")
    etcd = etcd if isinstance(etcd, dict) else {}
    urls = tuple((k, _text(etcd.get(k))) for k in ADVERTISED)
    paths = [a[6] for a in addresses] + [p for _, p in macs]
    paths += FIXED_PATHS
    extra = {}
    for name, extract in EXTRACTORS.items():
        value, more = extract(host)
        extra[name] = value
        paths += more
    root = raw(host.locate(()))
    return HostFacts(
        stem=host.stem,
        name=host.name,
        source=host.source,
        groups=tuple(host.groups),
        addresses=addresses,
        macs=macs,
        flannel="flannel" in clc,
        netconfig=config if isinstance(config, str) else None,
        member="etcd" in clc or "etcd" in host.groups,
        urls=urls,
        marks=_marks(host, paths, root),
        root=root,
        extra=extra,
    )


def _marks(host: Host, paths: list[Path], root: RawMark) -> tuple[tuple[Path, RawMark], ...]:
    """The marks of ``paths``, but for those at the tree's own mark (most of them:
    a host without etcd has no ``etcd.*``), so records stay small in the cache.

    A path whose first key the tree lacks stands at the tree's mark: not looked up."""
    tree = host.tree if host.tree is not None else host.user
    top = tree.value if tree is not None and isinstance(tree.value, dict) else {}
    found = ((p, raw(host.locate(p))) for p in dict.fromkeys(paths) if p and p[0] in top)
    return tuple((p, m) for p, m in found if m != root)


def _mac_path(path: Path) -> Path:
    return ("network", "mac") if path == ("network",) else (*path, "contents")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def mark_of(host: HostFacts, path: Path) -> Mark:
    """Where ``path`` was set (its nearest parent), else the host file."""
    return host.locate(path) or Mark(host.source, 1, 1)
