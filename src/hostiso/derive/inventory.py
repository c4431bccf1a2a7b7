"""A host's Ansible groups: its hostiso groups, and what the fleet's mapping adds.

The mapping is ``inventory:`` in ``overlays/all.yaml`` (checked by
``load.inventoryschema``), so every host's effective tree carries the same
one.  A host's hostiso groups are the ones its file lists plus the built-in
``etcd`` when it is an etcd member (by the group or by an ``etcd:`` key).
``inventory.groups`` adds the Ansible groups mapped from those groups (and
from ``all``, which every host is in); ``inventory.children`` nests groups.
The export (``hostiso inventory``) and the lint rule that warns about
mapped groups no host is in both read it from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hostiso.derive.etcd.members import membership
from hostiso.load import shared
from hostiso.load.fleet import Host
from hostiso.load.yamlload import to_plain

ETCD_GROUP = "etcd"
"""The built-in group of etcd members (``load.fleet.BUILTIN_GROUPS``)."""
ALL = "all"


@dataclass(frozen=True)
class Mapping:
    """The fleet's ``inventory:`` mapping, as plain names."""

    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """hostiso group (or ``all``) -> the Ansible groups its hosts join."""
    children: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Ansible group -> its child groups."""
    python_interpreter: str | None = None
    bin_dir: str | None = None


def section(plain: dict[str, Any]) -> dict[str, Any]:
    """The effective ``inventory:`` mapping of a host (empty when it has none)."""
    value = plain.get("inventory")
    return value if isinstance(value, dict) else {}


def mapping_of(plain: dict[str, Any]) -> Mapping:
    inventory = section(plain)
    return Mapping(
        groups=_table(inventory.get("groups")),
        children=_table(inventory.get("children")),
        python_interpreter=_text(inventory.get("python_interpreter")),
        bin_dir=_text(inventory.get("bin_dir")),
    )


def host_mapping(host: Host) -> Mapping:
    """:func:`mapping_of` the host's config, once per shared ``inventory:`` section
    (``overlays/all.yaml``'s, which most hosts hold unchanged); do not change it."""
    tree = host.tree if host.tree is not None else host.user
    node = tree.get("inventory") if tree is not None else None
    if node is not None and shared.is_shared(node):
        return shared.once(node, "mapping", lambda: mapping_of({"inventory": to_plain(node)}))
    return mapping_of(host.plain())


def _table(value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        return {}
    return {str(key): names(item) for key, item in value.items()}


def names(value: Any) -> tuple[str, ...]:
    """One group name or a list of them, as a tuple (the schema checked the types)."""
    if isinstance(value, str):
        return (value,)
    items = value if isinstance(value, list) else []
    return tuple(dict.fromkeys(item for item in items if isinstance(item, str)))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def hostiso_groups(host: Host) -> list[str]:
    """The groups the host file lists, plus ``etcd`` for every etcd member."""
    groups = list(host.groups)
    if ETCD_GROUP not in groups and membership(host) is not None:
        groups.append(ETCD_GROUP)
    return list(dict.fromkeys(groups))


def ansible_groups(host: Host, mapping: Mapping) -> list[str]:
    """Every group the host is in directly: its hostiso groups and the mapped ones, sorted."""
    own = hostiso_groups(host)
    mapped = [target for group in [ALL, *own] for target in mapping.groups.get(group, ())]
    return sorted({*own, *mapped})


def merge_children(mappings: Iterable[Mapping]) -> dict[str, tuple[str, ...]]:
    """The children of every parent across hosts' mappings (the same one, unless reset)."""
    out: dict[str, dict[str, None]] = {}
    for mapping in mappings:
        for parent, kids in mapping.children.items():
            out.setdefault(parent, {}).update(dict.fromkeys(kids))
    return {parent: tuple(sorted(kids)) for parent, kids in sorted(out.items())}


def populated(with_hosts: set[str], children: dict[str, tuple[str, ...]]) -> set[str]:
    """The groups that hold a host, directly or through their children.

    One pass per level of nesting, at most one per parent (the schema refuses loops).
    """
    found = set(with_hosts)
    for _ in range(len(children) + 1):
        grown = {p for p, kids in children.items() if p not in found and found.intersection(kids)}
        if not grown:
            break
        found |= grown
    return found
