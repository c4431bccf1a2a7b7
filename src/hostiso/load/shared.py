"""Overlay sections many hosts share unchanged, and what was worked out of them once.

A host's merged tree holds an overlay's section (a mapping or list at any
depth) as the very same node when no later layer sets it: the merge shares
nodes, and templates copy a container before they render into it.  Overlays are never changed once
loaded (``schema.keep_text`` only puts a scalar's own text in place, the same
every time), so what is worked out of such a section alone (its schema
findings, the inventory mapping) is the same for every host that holds it,
and is worked out once.  The sections are held here, so their ids stay theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from hostiso.load.yamlload import Node

T = TypeVar("T")

LIMIT = 65536
"""At most this many sections are remembered (then all are forgotten)."""

_SECTIONS: dict[int, Node] = {}
_FOUND: dict[tuple[int, Hashable], Any] = {}


def share_sections(root: Node) -> None:
    """Mark the sections (mappings and lists) of a freshly loaded overlay as shared."""
    if len(_SECTIONS) > LIMIT:
        _SECTIONS.clear()
        _FOUND.clear()
    todo = [root]
    while todo and len(_SECTIONS) <= LIMIT:
        node = todo.pop()
        children = node.value.values() if isinstance(node.value, dict) else node.value
        found = [c for c in children if isinstance(c.value, dict | list)]
        _SECTIONS.update((id(child), child) for child in found)
        todo += found


def is_shared(node: Node) -> bool:
    return _SECTIONS.get(id(node)) is node


def once(node: Node, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, a function of the shared ``node`` (and of ``key``) alone,
    worked out once per node and key."""
    slot = (id(node), key)
    if slot in _FOUND:
        found: T = _FOUND[slot]
        return found
    value = _FOUND[slot] = compute()
    return value
