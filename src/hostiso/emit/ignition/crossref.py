"""Whole-config rules: references between objects, and duplicates.

These see the config at once: filesystems named by nodes, nodes under links,
and paths/units/users defined twice (Ignition 2.x keeps the last one).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, Severity, warning
from hostiso.emit.ignition.rules import go_clean
from hostiso.emit.ignition.structure import Ctx, Obj, WholeRule
from hostiso.emit.ignition.tables import DUPLICATE_SEVERITY

_NODE_KINDS = ("files", "directories", "links")


def _storage_list(config: Obj, key: str) -> list[Obj]:
    return _items(config, "storage", key)


def _filesystem_refs(config: Obj, ctx: Ctx) -> Iterator[Diagnostic]:
    names = {"root"}
    for i, fs in enumerate(_storage_list(config, "filesystems")):
        name = fs.get("name") or ""
        if name in names:
            yield warning(
                "ignition-filesystem-shadowed",
                f"Filesystem {name!r} shadows existing filesystem definition",
                ("storage", "filesystems", i, "name"),
            )
        names.add(name)
    for kind in _NODE_KINDS:
        for i, node in enumerate(_storage_list(config, kind)):
            fs_name = node.get("filesystem") or ""
            if fs_name and fs_name not in names:
                yield warning(
                    "ignition-filesystem-undefined",
                    f"{node.get('path')!r} references nonexistent filesystem {fs_name!r}",
                    ("storage", kind, i, "filesystem"),
                )


def _paths_through_links(config: Obj, ctx: Ctx) -> Iterator[Diagnostic]:
    links = [str(link.get("path") or "") for link in _storage_list(config, "links")]
    if not links:
        return
    for kind in _NODE_KINDS:
        for i, node in enumerate(_storage_list(config, kind)):
            node_path = str(node.get("path") or "")
            if any(node_path.startswith(link + "/") for link in links):
                # Ignition 2.x does not check this: the node is written through
                # the link, which works only if the link's target is a directory.
                yield warning(
                    "ignition-path-through-link",
                    f"{node_path!r} includes a link defined in this config; "
                    "Ignition writes it through the link, into the link's target",
                    ("storage", kind, i, "path"),
                )


def _duplicates(config: Obj, ctx: Ctx) -> Iterator[Diagnostic]:
    severity = DUPLICATE_SEVERITY[ctx.version]
    nodes = [(k, i, n) for k in _NODE_KINDS for i, n in enumerate(_storage_list(config, k))]
    keys = [(n.get("filesystem"), go_clean(str(n.get("path") or ""))) for _, _, n in nodes]
    if len(set(keys)) < len(keys):  # else none can be a duplicate
        yield from _dups(
            [(key, ("storage", k, i)) for key, (k, i, _) in zip(keys, nodes, strict=True)],
            severity,
            "path",
        )
    for section in ("systemd", "networkd"):
        units = _items(config, section, "units")
        yield from _named_dups(units, (section, "units"), severity)
        for i, unit in enumerate(units):
            if unit.get("dropins"):
                dropins = [d for d in unit["dropins"] if isinstance(d, dict)]
                yield from _named_dups(dropins, (section, "units", i, "dropins"), severity)
    for key in ("users", "groups"):
        yield from _named_dups(_items(config, "passwd", key), ("passwd", key), severity)


def _items(config: Obj, section: str, key: str) -> list[Obj]:
    """The objects listed at ``config[section][key]``."""
    found = (config.get(section) or {}).get(key)
    return [x for x in found if isinstance(x, dict)] if found else []


def _named_dups(items: list[Obj], where: Path, severity: Severity) -> Iterable[Diagnostic]:
    if len(items) < 2:
        return ()
    names = [x.get("name") for x in items]
    if len(set(names)) == len(names):
        return ()  # no two alike
    return _dups([(n, (*where, i)) for i, n in enumerate(names)], severity, "name")


def _dups(items: Iterable[tuple[Any, Path]], severity: Severity, leaf: str) -> Iterator[Diagnostic]:
    first: dict[Any, Path] = {}
    for key, where in items:
        if key in first:
            yield Diagnostic(
                severity,
                "ignition-duplicate",
                f"{key!r} is already defined at {'.'.join(map(str, first[key]))}",
                (*where, leaf),
            )
        else:
            first[key] = where


WHOLE_RULES: list[WholeRule] = [
    _filesystem_refs,
    _paths_through_links,
    _duplicates,
]
