"""Merging layers, with provenance.

The rules, written down once (the README repeats them):

* mappings merge key by key;
* lists of named things merge by their key (``NAMED_LISTS``): an entry whose
  key matches an earlier one is merged into it, a new key is appended;
* every other list, and every scalar, is replaced by the later layer;
* ``key: null`` in a later layer removes what earlier layers set; an empty
  list ``[]`` resets a named list.

Every node keeps the mark of the layer that set it, so diagnostics and
``show --origin`` can name the file and line whose value won.
"""

from __future__ import annotations

from collections.abc import Mapping

from hostiso.diagnostics import Path
from hostiso.load.yamlload import Node

NAMED_LISTS: dict[tuple[str, ...], str] = {
    ("storage", "files"): "path",
    ("storage", "directories"): "path",
    ("storage", "links"): "path",
    ("storage", "filesystems"): "name",
    ("storage", "disks"): "device",
    ("storage", "raid"): "name",
    ("storage", "luks"): "name",
    ("systemd", "units"): "name",
    ("systemd", "units", "*", "dropins"): "name",
    ("networkd", "units"): "name",
    ("networkd", "units", "*", "dropins"): "name",
    ("passwd", "users"): "name",
    ("passwd", "groups"): "name",
}


def pattern(path: Path) -> tuple[str, ...]:
    """A logical path with list indices folded to ``*``."""
    return tuple("*" if isinstance(p, int) else p for p in path)


def merge_layers(layers: list[Node]) -> Node | None:
    """Merge layers in order; later layers win."""
    result: Node | None = None
    for layer in layers:
        result = merge(result, layer, ())
    return result


def merge(base: Node | None, over: Node, path: Path, *, generated: bool = False) -> Node:
    """``over`` merged onto ``base``.

    ``generated=True`` puts the user's layers over a base hostiso generated
    (shorthands, sections): there an empty named list resets only what the
    user's own layers set, never the generated entries.
    """
    if base is None or base.value is None or over.value is None:
        return over
    if isinstance(base.value, dict) and isinstance(over.value, dict):
        return _merge_maps(base, over, path, generated)
    if isinstance(base.value, list) and isinstance(over.value, list):
        key = NAMED_LISTS.get(pattern(path))
        if key is not None and (over.value or generated):
            return _merge_named(base, over, path, key, generated)
    return over


def _merge_maps(base: Node, over: Node, path: Path, generated: bool) -> Node:
    merged = dict(base.value)
    for key, child in over.value.items():
        old = merged.get(key)
        if old is None or old.value is None or child.value is None:
            if child.value is None and old is not None:
                del merged[key]  # an explicit null resets what earlier layers set
            else:
                merged[key] = child  # as merge() has it, without building the path
        else:
            merged[key] = merge(old, child, (*path, key), generated=generated)
    return Node(merged, over.mark, over.key_mark or base.key_mark)


def _item_key(item: Node, key: str) -> object:
    if isinstance(item.value, dict):
        named = item.value.get(key)
        if named is not None and isinstance(named.value, str | int):
            return named.value
    return None


def _merge_named(base: Node, over: Node, path: Path, key: str, generated: bool) -> Node:
    items = list(base.value)
    index: dict[object, int] = {}
    for i, item in enumerate(items):
        name = _item_key(item, key)
        if name is not None:
            index.setdefault(name, i)
    for item in over.value:
        name = _item_key(item, key)
        if name is not None and name in index:
            pos = index[name]
            items[pos] = merge(items[pos], item, (*path, pos), generated=generated)
        else:
            if name is not None:
                index[name] = len(items)
            items.append(item)
    return Node(items, over.mark, over.key_mark or base.key_mark)


def replace_values(root: Node, replacements: Mapping[Path, Node]) -> Node:
    """A copy of ``root`` with the nodes at the given paths replaced.

    Only the containers on the way are copied: merged trees share nodes with
    the overlays (and so with every other host), which must stay untouched.
    """
    copies: dict[Path, Node] = {(): _shallow(root)}
    for path, new in replacements.items():
        parent = copies[()]
        for depth in range(1, len(path)):
            prefix = path[:depth]
            if prefix not in copies:
                copies[prefix] = _shallow(parent.value[path[depth - 1]])
                parent.value[path[depth - 1]] = copies[prefix]
            parent = copies[prefix]
        parent.value[path[-1]] = new
    return copies[()]


def _shallow(node: Node) -> Node:
    value = node.value
    copied = dict(value) if isinstance(value, dict) else list(value)
    return Node(copied, node.mark, node.key_mark)
