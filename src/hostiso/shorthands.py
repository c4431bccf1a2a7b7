"""hostiso's shorthands, expanded into Container Linux Config nodes.

``hostname:`` becomes ``/etc/hostname``; ``network:`` becomes the networkd
unit ``10-static.network``; ct's service sections (etcd, flannel, docker,
update and locksmith) become their units, drop-ins and files.  The expansion
is a base layer under the host's own config, so a raw file or unit with the
same path or name overrides it.
Generated nodes carry the mark of the shorthand that produced them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hostiso import sections
from hostiso.diagnostics import Diagnostic, Mark, error
from hostiso.yamlload import Node, to_plain

STATIC_NETWORK_UNIT = "10-static.network"


def _build(value: Any, mark: Mark) -> Node:
    if isinstance(value, dict):
        return Node({k: _build(v, mark) for k, v in value.items()}, mark, mark)
    if isinstance(value, list):
        return Node([_build(v, mark) for v in value], mark)
    return Node(value, mark)


def expand(tree: Node, name: str | None) -> tuple[Node, list[Diagnostic]]:
    """The base layer generated from the shorthands of an effective host tree.

    ``name`` is the host name to write to ``/etc/hostname`` (None: write none).
    """
    problems: list[Diagnostic] = []
    hostname_node = tree.get("hostname")
    mark = hostname_node.mark if hostname_node else tree.mark
    base: dict[str, Node] = {}
    if name is not None:
        files = [_build(hostname_file(name), mark)]
        base["storage"] = Node({"files": Node(files, mark)}, mark)
    _expand_sections(tree, base, problems)
    network = tree.get("network")
    if network is not None and isinstance(network.value, dict):
        contents, found = network_unit(to_plain(network), network.mark)
        problems += found
        if contents is not None:
            unit = _build({"name": STATIC_NETWORK_UNIT, "contents": contents}, network.mark)
            base["networkd"] = Node({"units": Node([unit], network.mark)}, network.mark)
    return Node(base, tree.mark), problems


def _expand_sections(tree: Node, base: dict[str, Node], problems: list[Diagnostic]) -> None:
    """ct's service sections become units and files in the base layer."""
    units: list[Node] = []
    files: list[Node] = []
    for key, translate in SECTIONS:
        node = tree.get(key)
        if node is None and not (key == "update" and tree.get("locksmith") is not None):
            continue
        additions, found = translate(to_plain(tree))
        problems.extend(found)
        mark = node.mark if node is not None else tree.mark
        for item in additions:
            kind = item.pop("kind")
            if kind == "unit":
                units.append(_build(item, mark))
            else:
                item["contents"] = {"inline": item["contents"]}
                files.append(_build(item, mark))
    if units:
        base["systemd"] = Node({"units": Node(units, tree.mark)}, tree.mark)
    if files:
        storage = base.setdefault("storage", Node({}, tree.mark))
        existing = storage.value.get("files")
        storage.value["files"] = Node((existing.value if existing else []) + files, tree.mark)


def _etcd(clc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    return sections.translate_etcd(clc.get("etcd"))


def _flannel(clc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    return sections.translate_flannel(clc.get("flannel"))


def _docker(clc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    return sections.translate_docker(clc.get("docker"))


def _update(clc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    return sections.translate_update(clc.get("update"), clc.get("locksmith"))


Translator = Callable[[dict[str, Any]], tuple[list[dict[str, Any]], list[Diagnostic]]]

SECTIONS: tuple[tuple[str, Translator], ...] = (
    ("etcd", _etcd),
    ("flannel", _flannel),
    ("docker", _docker),
    ("update", _update),
)


def hostname_file(name: str) -> dict[str, Any]:
    return {
        "filesystem": "root",
        "path": "/etc/hostname",
        "mode": 0o644,
        "contents": {"inline": name + "\n"},
    }


def network_unit(net: dict[str, Any], mark: Mark) -> tuple[str | None, list[Diagnostic]]:
    """The text of ``10-static.network`` for a ``network:`` mapping."""
    if not net.get("interface") and not net.get("mac"):
        return None, [
            error(
                "missing-key",
                "network needs 'interface' or 'mac' to match a link",
                ("network",),
                mark,
            )
        ]
    lines = ["[Match]"]
    if net.get("interface"):
        lines.append(f"Name={net['interface']}")
    if net.get("mac"):
        lines.append(f"MACAddress={net['mac'].lower().replace('-', ':')}")
    lines += ["", "[Network]"]
    lines += [f"Address={a}" for a in net.get("addresses") or []]
    if net.get("gateway"):
        lines.append(f"Gateway={net['gateway']}")
    lines += [f"DNS={d}" for d in net.get("dns") or []]
    if net.get("domains"):
        lines.append("Domains=" + " ".join(net["domains"]))
    for route in net.get("routes") or []:
        lines += [
            "",
            "[Route]",
            f"Gateway={route['gateway']}",
            f"Destination={route['destination']}",
        ]
    return "\n".join(lines) + "\n", []
