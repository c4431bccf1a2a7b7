"""hostiso's shorthands, expanded into Container Linux Config nodes.

``hostname:`` becomes ``/etc/hostname``; ``network:`` becomes the networkd
unit ``10-static.network``; ct's service sections (etcd, flannel, docker,
update and locksmith) become their units, drop-ins and files.  The expansion
is a base layer under the host's own config, so a raw file or unit with the
same path or name overrides it.
Generated nodes carry the mark of the shorthand that produced them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from hostiso import sections
from hostiso.diagnostics import Diagnostic, Mark, error
from hostiso.load.yamlload import Node, from_plain, to_plain

STATIC_NETWORK_UNIT = "10-static.network"


def expand(tree: Node, name: str | None) -> tuple[Node, list[Diagnostic]]:
    """The base layer generated from the shorthands of an effective host tree.

    ``name`` is the host name to write to ``/etc/hostname`` (None: write none).
    """
    problems: list[Diagnostic] = []
    hostname_node = tree.get("hostname")
    mark = hostname_node.mark if hostname_node else tree.mark
    base: dict[str, Node] = {}
    if name is not None:
        files = [*_user_files_before(tree, "/etc/hostname"), from_plain(hostname_file(name), mark)]
        base["storage"] = Node({"files": Node(files, mark)}, mark)
    _expand_sections(tree, base, problems)
    network = tree.get("network")
    if network is not None and isinstance(network.value, dict):
        contents, found = network_unit(to_plain(network), network.mark)
        problems += found
        if contents is not None:
            unit = from_plain({"name": STATIC_NETWORK_UNIT, "contents": contents}, network.mark)
            base["networkd"] = Node({"units": Node([unit], network.mark)}, network.mark)
    return Node(base, tree.mark), problems


def _expand_sections(tree: Node, base: dict[str, Node], problems: list[Diagnostic]) -> None:
    """ct's service sections become units and files in the base layer.

    ct appends its units in the order of its source files (docker, etcd,
    flannel) before the user's units, and ``/etc/coreos/update.conf`` after
    the user's files; the base layer keeps that order (see ``_files_after_user``).
    """
    units: list[Node] = []
    files: list[Node] = []
    for entry in translate_sections(tree, problems):
        if entry.kind == "unit":
            units.append(yield_enable(entry.node, _user_unit(tree, entry.node.value["name"].value)))
        else:
            files.append(entry.node)
    if units:
        base["systemd"] = Node({"units": Node(units, tree.mark)}, tree.mark)
    if files:
        storage = base.setdefault("storage", Node({}, tree.mark))
        existing = storage.value.get("files")
        made = {_path_of(node) for node in files}  # ct's files stay after the user's
        mine = [n for n in (existing.value if existing else []) if _path_of(n) not in made]
        ours = mine + _files_after_user(tree, files, {_path_of(node) for node in mine})
        storage.value["files"] = Node(ours + files, tree.mark)


@dataclass(frozen=True)
class Generated:
    """A unit or file one of ct's sections generates, in CLC shape."""

    section: str  # the section's key: "etcd"
    kind: str  # "unit" or "file"
    node: Node  # marked at the section


def translate_sections(
    tree: Node, problems: list[Diagnostic], platform: str | None = None
) -> list[Generated]:
    """What ct's sections (:data:`SECTIONS`, in ct's order) generate from ``tree``;
    ``platform`` (``hostiso transpile -platform``) fills in ct's placeholders."""
    out: list[Generated] = []
    # the translators read their own sections only (the whole tree is many times larger)
    clc = {key: to_plain(node) for key in SECTION_KEYS if (node := tree.get(key)) is not None}
    for key, translate in SECTIONS:
        node = tree.get(key)
        if node is None and not (key == "update" and tree.get("locksmith") is not None):
            continue
        additions, found = translate(clc, platform)
        problems.extend(found)
        mark = node.mark if node is not None else tree.mark
        for item in additions:
            kind = item.pop("kind")
            if kind != "unit":
                kind = "file"
                item["contents"] = {"inline": item["contents"]}
            out.append(Generated(key, kind, from_plain(item, mark)))
    return out


ENABLE_KEYS = ("enabled", "enable")


def yield_enable(generated: Node, user: Node | None) -> Node:
    """ct's generated unit without its ``enable: true`` when the user's unit of
    that name says ``enabled`` or ``enable`` itself: the user's choice wins.

    Ignition 2.x enables a unit whose (deprecated) ``enable`` is true and, for
    ``enabled: false``, then also writes a disable preset; systemd takes the
    first preset that matches, so ``enable: true`` next to ``enabled: false``
    would leave the unit enabled.
    """
    if user is None or not any(_set(user, key) for key in ENABLE_KEYS):
        return generated
    if not isinstance(generated.value, dict) or "enable" not in generated.value:
        return generated
    rest = {k: v for k, v in generated.value.items() if k != "enable"}
    return Node(rest, generated.mark, generated.key_mark)


def _set(node: Node, key: str) -> bool:
    child = node.get(key)
    return child is not None and child.value is not None


def _user_unit(tree: Node, name: object) -> Node | None:
    """The user's ``systemd.units`` entry named ``name`` (the merge's key), if any."""
    systemd = tree.get("systemd")
    units = systemd.get("units") if systemd is not None else None
    if units is None or not isinstance(units.value, list):
        return None
    entries: list[Node] = units.value
    for unit in entries:
        key = unit.get("name")
        if key is not None and key.value == name:
            return unit
    return None


def _files_after_user(tree: Node, generated: list[Node], listed: set[object]) -> list[Node]:
    """The user's own files, to stand in the base layer before *generated*.

    The merge keeps base entries first and appends the user's new ones, so
    listing each user file here (the first entry per path; merging a node
    into itself changes nothing) puts ct's generated files after them.
    """
    storage = tree.get("storage")
    user = storage.get("files") if storage is not None else None
    if user is None or not isinstance(user.value, list):
        return []
    taken = {_path_of(node) for node in generated} | {"/etc/hostname"} | listed
    out: list[Node] = []
    for node in user.value:
        path = _path_of(node)
        if isinstance(path, str) and path not in taken:
            taken.add(path)
            out.append(node)
    return out


def _user_files_before(tree: Node, path: str) -> list[Node]:
    """The user's files listed before their entry for ``path`` (none without
    one), to stand before the shorthand's: the file keeps the user's place, as
    ct writes it."""
    storage = tree.get("storage")
    user = storage.get("files") if storage is not None else None
    nodes: list[Node] = user.value if user is not None and isinstance(user.value, list) else []
    paths = [_path_of(node) for node in nodes]
    if path not in paths:
        return []
    seen: dict[object, Node] = {}
    for node, at in zip(nodes[: paths.index(path)], paths, strict=False):
        if isinstance(at, str):
            seen.setdefault(at, node)
    return list(seen.values())


def _path_of(node: Node) -> object:
    child = node.get("path")
    return child.value if child is not None else None


Additions = tuple[list[dict[str, Any]], list[Diagnostic]]


def _etcd(clc: dict[str, Any], platform: str | None) -> Additions:
    return sections.translate_etcd(clc.get("etcd"), platform)


def _flannel(clc: dict[str, Any], platform: str | None) -> Additions:
    return sections.translate_flannel(clc.get("flannel"), platform)


def _docker(clc: dict[str, Any], platform: str | None) -> Additions:
    return sections.translate_docker(clc.get("docker"))


def _update(clc: dict[str, Any], platform: str | None) -> Additions:
    return sections.translate_update(clc.get("update"), clc.get("locksmith"))


class Translator(Protocol):
    """``(clc, platform) -> (additions, diagnostics)``; the host schema has
    already put the source text of numbers and booleans given to string options
    in place (``on`` stays ``on``; see ``load.schema.keep_text``)."""

    def __call__(self, clc: dict[str, Any], platform: str | None, /) -> Additions: ...


#: In ct's order: its converters run in the order of their source files.
SECTIONS: tuple[tuple[str, Translator], ...] = (
    ("docker", _docker),
    ("etcd", _etcd),
    ("flannel", _flannel),
    ("update", _update),
)


SECTION_KEYS = ("docker", "etcd", "flannel", "update", "locksmith")
"""What the translators of :data:`SECTIONS` read of a config."""


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
