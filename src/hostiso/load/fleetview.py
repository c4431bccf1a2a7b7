"""What templates may know of other hosts, as small records.

A host's *head* (its file stem, the name templates use, its groups and the
files it was loaded from) is known once its layers are loaded; its *view*
(its addresses, or why templates cannot read it) once the values that define
addresses are rendered.  :class:`FleetFacts` is made from every host's head,
then frozen with every host's view; templates read other hosts only through
it, and it remembers what each host read, so a build can tell when a host
must be rendered again (``fleet_reads``).  Heads and views are plain data:
a build keeps them in its cache instead of loading every host again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from hostiso.diagnostics import Diagnostic, Mark
from hostiso.diagnostics import plain as plain_diagnostics
from hostiso.diagnostics.plain import RawDiagnostic
from hostiso.load import hostschema, netfacts
from hostiso.load.fleet import BUILTIN_GROUPS, Host
from hostiso.load.merge import pattern
from hostiso.load.schema import validate
from hostiso.load.templatetext import is_template
from hostiso.load.yamlload import Node, to_plain

ADDRESS_PATHS = frozenset({("network", "addresses", "*"), ("networkd", "units", "*", "contents")})
"""Values that define addresses: rendered before addresses are known."""


def round_of(path: tuple[str | int, ...]) -> str:
    if path and path[0] == "vars":
        return "vars"
    return "addresses" if pattern(path) in ADDRESS_PATHS else "rest"


@dataclass(frozen=True, repr=False)
class Address:
    """One address of a host, for templates: renders as ``192.168.1.11/24``."""

    ip: str
    network: str
    prefixlen: int

    def __str__(self) -> str:
        return f"{self.ip}/{self.prefixlen}"

    def __repr__(self) -> str:  # how a list of addresses renders
        return repr(str(self))


def address(iface: netfacts.IPInterface) -> Address:
    ip, _, network, prefixlen, *_ = netfacts.address_text(iface)
    return Address(ip, network, prefixlen)


class Head(NamedTuple):
    """A host as templates see it before anything is rendered."""

    stem: str
    source: str
    tname: str
    groups: tuple[str, ...]
    inputs: tuple[str, ...]


class View(NamedTuple):
    """A host's addresses after round 2, or why templates cannot read it (plain data)."""

    addresses: tuple[tuple[str, str, int], ...]
    broken: RawDiagnostic | None = None
    no_addresses: tuple[str, tuple[str, int, int]] | None = None
    """Why the host has no addresses (a note for a template that needed one)."""


def template_name(host: Host) -> str:
    """The name templates use: a literal ``hostname:``, else the file stem."""
    node = host.user.get("hostname") if host.user is not None else None
    if node is not None and isinstance(node.value, str) and not is_template(node.value):
        return node.value
    return host.stem


def head_of(host: Host) -> Head:
    return Head(host.stem, host.source, template_name(host), tuple(host.groups), tuple(host.inputs))


def view_of(host: Host) -> View:
    """The host's view, taken after the values that define addresses are rendered."""
    texts = map(netfacts.address_text, addresses(host.user))
    found = tuple((ip, network, prefixlen) for ip, _, network, prefixlen, *_ in texts)
    note = None
    if not found:
        text, mark = _no_addresses(host)
        note = (text, (mark.file, mark.line, mark.col))
    broken = _unusable(host)
    return View(found, None if broken is None else plain_diagnostics.to_plain(broken), note)


def addresses(tree: Node | None) -> list[netfacts.IPInterface]:
    """A host's addresses; none while its tree is malformed (check-schema says why)."""
    if tree is None:
        return []
    part = {"networkd": to_plain(tree.get("networkd"))}
    network = tree.get("network")
    if network is not None and isinstance(network.value, dict):
        # of the shorthand, only its addresses make addresses
        part["network"] = {"addresses": to_plain(network.get("addresses"))}
    try:
        return netfacts.addresses_of(part)
    except (AttributeError, TypeError):  # not yet schema-checked: wrong types in network
        return []


def _unusable(host: Host) -> Diagnostic | None:
    errors = [d for d in host.diagnostics if d.is_error]
    if host.user is None:
        return errors[0] if errors else None
    return next((d for d in errors if d.path and round_of(d.path) != "rest"), None)


def _no_addresses(host: Host) -> tuple[str, Mark]:
    """Why a host has no addresses: a schema error in its network, if there is one."""
    name = template_name(host)
    for key in ("network", "networkd"):
        node = host.user.get(key) if host.user is not None else None
        if node is None:
            continue
        problems = validate(node, hostschema.HOST.fields[key], (key,))
        if problems:
            mark = problems[0].mark or node.mark
            return f"host {name} has no addresses: {problems[0].message}", mark
        return f"host {name} has no addresses", node.mark
    return f"host {name} has no addresses", Mark(host.source, 1, 1)


ANY = "*"
"""A read of every key (iterating ``groups`` or ``fleet.hosts``)."""


class FleetFacts:
    """What templates may know of the fleet: made from heads, frozen with views.

    Everything past the names is computed when first asked for: a build that
    renders one host of 10,000 reads a few views, not all of them.
    """

    def __init__(self, heads: Iterable[Head]) -> None:
        self.heads: dict[str, Head] = {}
        for i, h in enumerate(heads):  # a duplicate hostname (an error later): the stem
            name = h.stem if h.tname in self.heads else h.tname
            self.heads[f"{name}#{i}" if name in self.heads else name] = h
        self.names = {h.stem: name for name, h in self.heads.items()}
        self._views: Mapping[str, View] = {}
        self._dicts: dict[str, dict[str, Any]] = {}
        self._broken: dict[str, Diagnostic | None] = {}

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Every name, and every file stem, to the host's name."""
        out = {name: name for name in self.heads}
        for name, h in self.heads.items():
            out.setdefault(h.stem, name)
        return out

    @cached_property
    def groups(self) -> dict[str, list[str]]:
        return _groups(self.heads)

    def inputs(self, name: str) -> list[str]:
        """The files the host was loaded from ([] for a name not in the fleet)."""
        head = self.heads.get(name)
        return [] if head is None else list(head.inputs)

    def freeze(self, views: Mapping[str, View]) -> None:
        """Before round 3: every host's view, by file stem (looked up when read)."""
        self._views = views

    def views(self, name: str) -> View:
        return self._views[self.heads[name].stem]

    def broken(self, name: str) -> Diagnostic | None:
        """The first error of a host whose data templates cannot use (see freeze)."""
        if name not in self._broken:
            raw = self.views(name).broken if name in self.heads else None
            self._broken[name] = None if raw is None else plain_diagnostics.from_plain(raw)
        return self._broken[name]

    def view(self, name: str) -> dict[str, Any]:
        """``{name, groups, addresses}`` of a host."""
        if name not in self._dicts:
            self._dicts[name] = {
                "name": name,
                "groups": list(self.heads[name].groups),
                "addresses": [Address(*a) for a in self.views(name).addresses],
            }
        return self._dicts[name]

    def no_addresses(self, name: str) -> tuple[str, Mark]:
        note = self.views(name).no_addresses
        assert note is not None
        return note[0], Mark(*note[1])

    def read(self, kind: str, key: str) -> str:
        """The value a template read (``kind`` group or host), as a digest."""
        if kind == "group":
            value: Any = list(self.groups) if key == ANY else self.groups.get(key)
        elif key == ANY:
            value = list(self.aliases)
        else:
            name = self.aliases.get(key)
            value = None if name is None else (self.view(name), self.broken(name))
            value = (value, self.inputs(name or ""))
        return hashlib.sha256(repr(value).encode()).hexdigest()[:24]


def _groups(heads: Mapping[str, Head]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {g: [] for g in BUILTIN_GROUPS}
    groups["all"] = sorted(heads)
    for name, head in heads.items():
        for group in dict.fromkeys(head.groups):
            groups.setdefault(group, []).append(name)
    return {g: sorted(members) for g, members in sorted(groups.items())}


@dataclass
class Reads:
    """Every fleet value one host's templates read (never cleared)."""

    groups: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)

    def digests(self, facts: FleetFacts) -> list[tuple[str, str, str]]:
        out = [("group", g, facts.read("group", g)) for g in sorted(self.groups)]
        return out + [("host", h, facts.read("host", h)) for h in sorted(self.hosts)]
