"""The Ansible inventory mapping (``inventory:`` in ``overlays/all.yaml``).

Names and structure are checked with the host file's schema
(``load.inventoryschema``); what needs the whole fleet is here: a group the
mapping names that no host is in, which is nearly always a typo that leaves
an Ansible group (and every play aimed at it) empty.
"""

from __future__ import annotations

from collections.abc import Iterator

from hostiso.check.rules.common import plain
from hostiso.derive.inventory import (
    ALL,
    ansible_groups,
    hostiso_groups,
    mapping_of,
    populated,
    section,
)
from hostiso.diagnostics import Diagnostic, Path, warning
from hostiso.load.fleet import Host
from hostiso.load.inventoryschema import group_list
from hostiso.load.yamlload import node_at

CODE = "inventory-empty-group"


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
    holder = next((h for h in hosts if section(plain(h)) and h.user is not None), None)
    if holder is None:
        return
    own: set[str] = {ALL}
    direct: set[str] = set()
    for host in hosts:
        own.update(hostiso_groups(host))
        direct.update(ansible_groups(host, mapping_of(plain(host))))
    mapping = mapping_of(plain(holder))
    for group in mapping.groups:
        if group not in own:
            where = ("inventory", "groups", group)
            message = f"no host is in group '{group}', which the inventory mapping names"
            yield holder, _at_key(holder, where, message)
    yield from _empty_children(holder, populated(direct, mapping.children))


def _empty_children(holder: Host, full: set[str]) -> Iterator[tuple[Host, Diagnostic]]:
    children = node_at(holder.user, ("inventory", "children"))
    if children is None or not isinstance(children.value, dict):
        return
    for parent, node in children.value.items():
        for item in group_list(node):
            if item.value not in full:
                message = f"no host is in group '{item.value}', a child of '{parent}'"
                path = ("inventory", "children", parent)
                yield holder, warning(CODE, message, path, item.mark)


def _at_key(host: Host, path: Path, message: str) -> Diagnostic:
    node = node_at(host.user, path)
    mark = node.key_mark if node is not None else None
    return warning(CODE, message, path, mark)


FLEET_RULES = {CODE: inventory_empty_group}
