"""Overlay sections many hosts share unchanged, and what was worked out of them once.

A host's merged tree holds an overlay's top-level section as the very same
node when no later layer sets that key: the merge shares nodes, and templates
copy a container before they render into it.  Overlays are never changed once
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

LIMIT = 4096
"""At most this many sections are remembered (then all are forgotten)."""

_SECTIONS: dict[int, Node] = {}
_FOUND: dict[tuple[int, Hashable], Any] = {}


def share_sections(root: Node) -> None:
    """Mark the top-level sections of a freshly loaded overlay as shared."""
    if len(_SECTIONS) > LIMIT:
        _SECTIONS.clear()
        _FOUND.clear()
    if isinstance(root.value, dict):
        _SECTIONS.update((id(child), child) for child in root.value.values())


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
