"""The ``inventory:`` key: the fleet's Ansible group mapping and a host's variables.

::

    inventory:
      groups:                     # hostiso group -> Ansible group(s)
        controller: kube_control_plane
        worker: [kube_node]
      children:                   # Ansible group -> its child groups
        k8s_cluster: [kube_control_plane, kube_node]
      python_interpreter: /opt/bin/python   # every host's ansible_python_interpreter
      bin_dir: /opt/bin                     # every host's bin_dir (kubespray)
      vars:                       # this host's own variables (any layer, templates allowed)
        node_labels: {rack: r1}

Everything but ``vars`` is the *mapping*: one for the fleet, written once in
``overlays/all.yaml``; a group overlay or a host file that sets it is an error
(``all-only-key``), so no host can quietly disagree.  Ansible's rules for
names are checked here, at the key or item that breaks them: group names are
letters, digits and ``_`` (Ansible warns about anything else and INI cannot
carry it), ``all``, ``ungrouped`` and ``_meta`` are Ansible's own, child groups
must not form a loop, and variable names are what Ansible accepts.  Password
variables are refused: the inventory is plain text, like the fleet in git.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, error
from hostiso.load.formats import check_abs_path
from hostiso.load.schema import MapOf, Obj, Scalar, Type, type_name
from hostiso.load.yamlload import Node

MAPPING_KEYS = ("groups", "children", "python_interpreter", "bin_dir")
"""The fleet-wide part of ``inventory:``, set in ``overlays/all.yaml`` only."""
ALL_OVERLAY = "all"
RESERVED_GROUPS = frozenset({"all", "ungrouped", "_meta"})
"""Ansible's own groups, and the key of an inventory script's host variables."""
_GROUP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_JINJA_NAMES = frozenset({"true", "false", "none", "True", "False", "None", "not"})
SECRET_VARIABLES = frozenset(
    {
        "ansible_password",
        "ansible_ssh_pass",
        "ansible_ssh_password",
        "ansible_become_password",
        "ansible_become_pass",
        "ansible_sudo_pass",
        "ansible_su_pass",
    }
)
"""Ansible's connection and privilege passwords: never written in the fleet."""


def check_group_name(value: object) -> str | None:
    """Why ``value`` cannot be an Ansible group this mapping defines, or None."""
    if not isinstance(value, str) or not _GROUP_NAME.match(value):
        return (
            f"'{value}' is not a valid Ansible group name "
            "(letters, digits and _, not starting with a digit)"
        )
    if value in RESERVED_GROUPS:
        return f"'{value}' is reserved by Ansible (all, ungrouped, _meta are not groups to map)"
    return None


def check_variable_name(value: object) -> str | None:
    """Why Ansible would refuse ``value`` as a variable name, or None."""
    if not isinstance(value, str) or not value.isascii() or not value.isidentifier():
        return f"'{value}' is not a valid Ansible variable name (letters, digits and _)"
    if value in _JINJA_NAMES:
        return f"'{value}' is a Jinja keyword; Ansible cannot use it as a variable name"
    return None


def check_host_variable(value: object) -> str | None:
    if value in SECRET_VARIABLES:
        return None  # reported by check_secret_variable, as plaintext-password
    return check_variable_name(value)


def check_secret_variable(value: object) -> str | None:
    if value in SECRET_VARIABLES:
        return (
            f"'{value}' would put a password in the inventory in plain text; "
            "keep it in Ansible Vault or pass it with --ask-pass / --ask-become-pass"
        )
    return None


@dataclass(frozen=True)
class GroupNames(Type):
    """One Ansible group name, or a list of them."""

    def validate(self, node: Node, path: Path, out: list[Diagnostic]) -> None:
        items = [(node, path)]
        if isinstance(node.value, list):
            items = [(child, (*path, i)) for i, child in enumerate(node.value)]
        for child, where in items:
            if not isinstance(child.value, str):
                expected = "a group name or a list of group names"
                message = f"expected {expected}, got {type_name(child.value)}"
                out.append(error("wrong-type", message, where, child.mark))
                continue
            problem = check_group_name(child.value)
            if problem:
                out.append(error("bad-group-name", problem, where, child.mark, blocking=False))

    def json_schema(self) -> dict[str, Any]:
        name = {"type": "string", "pattern": _GROUP_NAME.pattern}
        return {"anyOf": [name, {"type": "array", "items": name}], "description": self.doc}


def group_list(node: Node | None) -> list[Node]:
    """The items of a :class:`GroupNames` value (one name or a list)."""
    if node is None:
        return []
    return list(node.value) if isinstance(node.value, list) else [node]


@dataclass(frozen=True)
class ChildGroups(MapOf):
    """``children:``, whose groups must not contain themselves (Ansible refuses a loop)."""

    def validate(self, node: Node, path: Path, out: list[Diagnostic]) -> None:
        super().validate(node, path, out)
        if isinstance(node.value, dict):
            out += _loops(node.value, path)


def _loops(children: dict[str, Node], path: Path) -> list[Diagnostic]:
    """One error per group whose children lead back to it (a walk per group)."""
    edges = {
        parent: [str(item.value) for item in group_list(node)] for parent, node in children.items()
    }
    out = []
    for parent, node in children.items():
        if _reaches(edges, parent):
            message = f"group '{parent}' contains itself through its children (Ansible refuses)"
            where = (*path, parent)
            out.append(error("inventory-group-loop", message, where, node.key_mark, blocking=False))
    return out


def _reaches(edges: dict[str, list[str]], start: str) -> bool:
    seen: set[str] = set()
    stack = list(edges.get(start, ()))
    while stack:
        group = stack.pop()
        if group == start:
            return True
        if group not in seen:
            seen.add(group)
            stack.extend(edges.get(group, ()))
    return False


@dataclass(frozen=True)
class HostVariables(MapOf):
    """``vars:``: names Ansible accepts, and never a password variable."""

    def validate(self, node: Node, path: Path, out: list[Diagnostic]) -> None:
        super().validate(node, path, out)
        if isinstance(node.value, dict):
            for key, child in node.value.items():
                problem = check_secret_variable(key)
                if problem:
                    where = (*path, key)
                    mark = child.key_mark
                    out.append(error("plaintext-password", problem, where, mark, blocking=False))


INVENTORY = Obj(
    doc="hostiso inventory: the Ansible group mapping (overlays/all.yaml) and host variables",
    fields={
        "groups": MapOf(
            doc="hostiso group (or all) -> the Ansible group(s) its hosts join",
            value=GroupNames(doc="Ansible group names"),
        ),
        "children": ChildGroups(
            doc="Ansible group -> its child groups (k8s_cluster: [kube_control_plane, kube_node])",
            value=GroupNames(doc="child group names"),
            key_check=check_group_name,
            key_code="bad-group-name",
        ),
        "python_interpreter": Scalar(
            kind="string",
            check=check_abs_path,
            code="relative-path",
            blocking=False,
            doc="ansible_python_interpreter of every host (Flatcar has no Python)",
        ),
        "bin_dir": Scalar(
            kind="string",
            check=check_abs_path,
            code="relative-path",
            blocking=False,
            doc="kubespray's bin_dir for every host (/opt/bin on Flatcar)",
        ),
        "vars": HostVariables(
            doc="this host's Ansible variables (templates allowed)",
            key_check=check_host_variable,
            key_code="bad-variable-name",
        ),
    },
)


def check_all_only(node: Node) -> list[Diagnostic]:
    """The mapping set in a layer other than ``overlays/all.yaml`` (a raw layer's node)."""
    section = node.get("inventory")
    if section is None or not isinstance(section.value, dict):
        return []
    out = []
    for key in MAPPING_KEYS:
        child = section.get(key)
        if child is not None:
            message = (
                f"'inventory.{key}' is the fleet's Ansible mapping: set it once, "
                "in overlays/all.yaml (a host's own variables go under inventory.vars)"
            )
            where = child.key_mark or child.mark
            out.append(error("all-only-key", message, ("inventory", key), where))
    return out
