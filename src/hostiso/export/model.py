"""The Ansible inventory of a checked fleet: hosts, their variables, their groups.

Only hosts without errors belong here (the caller decides).  A host's
variables are, later ones winning: ``ansible_host`` (its first address),
``ip`` and ``access_ip`` (its first IPv4 address; ``ip6`` and ``access_ip6``
the first IPv6 one, kubespray's names), ``etcd_member_name`` for an etcd
member (the name hostiso derived), ``ansible_user`` (the first user with SSH
keys), ``ansible_python_interpreter`` and ``bin_dir`` from the mapping, then
the host's ``inventory.vars``.  Nothing else of the config is read: no
password hash, no key, nothing from ``secrets/``.

Groups are every hostiso group (``etcd`` holds every etcd member), the
mapped Ansible groups, and the parents of ``inventory.children``.  Names,
hosts and variables are sorted, so the same fleet gives the same inventory.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hostiso.derive.etcd.members import membership
from hostiso.derive.inventory import (
    Mapping,
    ansible_groups,
    host_mapping,
    merge_children,
    section,
)
from hostiso.load.fleet import Host
from hostiso.load.fleetview import addresses
from hostiso.load.inventoryschema import RESERVED_GROUPS
from hostiso.load.netfacts import address_text


@dataclass
class Group:
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


@dataclass
class Inventory:
    hostvars: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Host name -> its variables; every host of the inventory, sorted by name."""
    groups: dict[str, Group] = field(default_factory=dict)
    """Every group but ``all``, sorted by name."""

    @property
    def top(self) -> list[str]:
        """The groups that are no group's child: the children of ``all``."""
        nested = {child for group in self.groups.values() for child in group.children}
        return [name for name in self.groups if name not in nested]


Record = tuple[str, dict[str, Any], list[str], dict[str, list[str]]]
"""What the inventory takes of one host, as plain data (a build's cache keeps it):
its name, variables, Ansible groups and its mapping's ``children``."""


def record_of(host: Host) -> Record:
    """One checked host's part of the inventory."""
    mapping = host_mapping(host)
    children = {parent: list(kids) for parent, kids in mapping.children.items()}
    return (host.name, host_vars(host, mapping), ansible_groups(host, mapping), children)


def build(hosts: Iterable[Host]) -> Inventory:
    """The inventory of ``hosts`` (hosts without errors, once the pipeline ran)."""
    return from_records(record_of(h) for h in hosts)


def from_records(records: Iterable[Record]) -> Inventory:
    """The inventory of the hosts these records were taken of."""
    members: dict[str, set[str]] = {}
    hostvars: dict[str, dict[str, Any]] = {}
    mappings: list[Mapping] = []
    for name, variables, groups, children in sorted(records, key=lambda r: r[0]):
        mappings.append(Mapping(children={p: tuple(k) for p, k in children.items()}))
        hostvars[name] = variables
        for group in groups:
            members.setdefault(group, set()).add(name)
    return Inventory(hostvars, _groups(members, merge_children(mappings)))


def _groups(members: dict[str, set[str]], children: dict[str, tuple[str, ...]]) -> dict[str, Group]:
    names = {*members, *children, *(c for kids in children.values() for c in kids)}
    return {
        name: Group(sorted(members.get(name, ())), list(children.get(name, ())))
        for name in sorted(names - RESERVED_GROUPS)
    }


def host_vars(host: Host, mapping: Mapping) -> dict[str, Any]:
    """The variables of one host, sorted by name (see the module docstring)."""
    plain = host.plain()
    out: dict[str, Any] = dict(_addresses(host))
    if membership(host) is not None:
        out["etcd_member_name"] = _etcd_name(host, plain)
    user = _login_user(plain)
    if user is not None:
        out["ansible_user"] = user
    if mapping.python_interpreter is not None:
        out["ansible_python_interpreter"] = mapping.python_interpreter
    if mapping.bin_dir is not None:
        out["bin_dir"] = mapping.bin_dir
    own = section(plain).get("vars")
    if isinstance(own, dict):
        out.update({key: plain_value(value) for key, value in own.items()})
    return dict(sorted(out.items()))


def _addresses(host: Host) -> Iterable[tuple[str, str]]:
    """From the same addresses as templates' ``host.addresses`` and etcd's URLs."""
    found = [(iface.version, address_text(iface)[0]) for iface in addresses(host.user)]
    if found:
        yield "ansible_host", found[0][1]
    v4 = next((ip for version, ip in found if version == 4), None)
    v6 = next((ip for version, ip in found if version == 6), None)
    if v4 is not None:
        yield from (("ip", v4), ("access_ip", v4))
    if v6 is not None:
        yield from (("ip6", v6), ("access_ip6", v6))


def _etcd_name(host: Host, plain: dict[str, Any]) -> str:
    etcd = plain.get("etcd")
    name = etcd.get("name") if isinstance(etcd, dict) else None
    return name if isinstance(name, str) and name else host.name


def _login_user(plain: dict[str, Any]) -> str | None:
    passwd = plain.get("passwd")
    users = passwd.get("users") if isinstance(passwd, dict) else None
    for user in users if isinstance(users, list) else []:
        if isinstance(user, dict) and user.get("ssh_authorized_keys"):
            name = user.get("name")
            if isinstance(name, str):
                return name
    return None


def plain_value(value: Any) -> Any:
    """``value`` as JSON, YAML and INI all carry it: a YAML date becomes its ISO text."""
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)
