"""The Ansible inventory mapping (``inventory:`` in ``overlays/all.yaml``).

Names and structure are checked with the host file's schema
(``load.inventoryschema``); what needs the whole fleet is here: a group the
mapping names that no host is in, which is nearly always a typo that leaves
an Ansible group (and every play aimed at it) empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hostiso.check.rules.common import plain
from hostiso.check.rules.hostfacts import EXTRACTORS, HostFacts, RawMark, cooked, raw
from hostiso.derive.inventory import (
    ALL,
    Mapping,
    ansible_groups,
    host_mapping,
    hostiso_groups,
    populated,
    section,
)
from hostiso.diagnostics import Diagnostic, warning
from hostiso.load import fleet, shared
from hostiso.load.inventoryschema import group_list
from hostiso.load.yamlload import node_at

CODE = "inventory-empty-group"
Host = HostFacts


def _facts(host: fleet.Host) -> tuple[dict[str, Any], tuple[()]]:
    """What this rule reads of a host: its groups (hostiso's and Ansible's)
    and, where it has the mapping, the mapping with the marks of its names."""
    mapping = host_mapping(host)
    value: dict[str, Any] = {
        "own": hostiso_groups(host),
        "direct": ansible_groups(host, mapping),
    }
    if section(plain(host)) and host.user is not None:
        value.update(_mapping_marks(host, mapping))
    return value, ()


def _mapping_marks(host: fleet.Host, mapping: Mapping) -> dict[str, Any]:
    """The mapping with the marks of its names: once per shared ``inventory:`` section."""
    assert host.user is not None
    node = host.user.get("inventory")

    def marks() -> dict[str, Any]:
        return {
            "groups": {g: _key_mark(host, ("inventory", "groups", g)) for g in mapping.groups},
            "children": mapping.children,
            "child_marks": _child_marks(host),
        }

    return (
        shared.once(node, "marks", marks)
        if node is not None and shared.is_shared(node)
        else marks()
    )


def _key_mark(host: fleet.Host, path: tuple[str, ...]) -> RawMark:
    node = node_at(host.user, path)
    return raw(node.key_mark) if node is not None else None


def _child_marks(host: fleet.Host) -> list[tuple[str, str, RawMark]]:
    children = node_at(host.user, ("inventory", "children"))
    if children is None or not isinstance(children.value, dict):
        return []
    return [
        (str(parent), str(item.value), raw(item.mark))
        for parent, node in children.value.items()
        for item in group_list(node)
    ]


EXTRACTORS["inventory"] = _facts


def inventory_empty_group(hosts: list[Host]) -> Iterator[tuple[Host, Diagnostic]]:
    """Every group the inventory mapping names must have a host.

    A hostiso group under ``inventory.groups`` that no host is in maps
    nothing, and a child group under ``inventory.children`` without hosts
    leaves its parent short: both are usually a typo.  The etcd members
    count as the group ``etcd``; ``all`` always has hosts.

    Failing::

        # overlays/all.yaml
        inventory:
          groups:
            controler: kube_control_plane
        # overlays/controller.yaml
        vars: {role: controller}
        # configs/a.yaml
        groups: [controller]

    Passing::

        # overlays/all.yaml
        inventory:
          groups:
            controller: kube_control_plane
          children:
            k8s_cluster: [kube_control_plane]
        # overlays/controller.yaml
        vars: {role: controller}
        # configs/a.yaml
        groups: [controller]
    """
    holder = next((h for h in hosts if "groups" in (h.get("inventory") or {})), None)
    if holder is None:
        return
    own: set[str] = {ALL}
    direct: set[str] = set()
    for host in hosts:
        facts = host.get("inventory") or {}
        own.update(facts.get("own", ()))
        direct.update(facts.get("direct", ()))
    mapping = holder.get("inventory")
    for group, mark in mapping["groups"].items():
        if group not in own:
            message = f"no host is in group '{group}', which the inventory mapping names"
            yield holder, warning(CODE, message, ("inventory", "groups", group), cooked(mark))
    full = populated(direct, {p: tuple(k) for p, k in mapping["children"].items()})
    for parent, item, mark in mapping["child_marks"]:
        if item not in full:
            message = f"no host is in group '{item}', a child of '{parent}'"
            yield holder, warning(CODE, message, ("inventory", "children", parent), cooked(mark))


FLEET_RULES = {CODE: inventory_empty_group}
