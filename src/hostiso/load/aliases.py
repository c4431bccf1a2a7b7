"""Bounds on a YAML document's values: no alias cycles, and no document that
holds or expands to more than :data:`MAX_NODES` values.

Aliases are copied when a document becomes a tree, so ``&a [*a, *a]`` chains
(a "billion laughs") would otherwise eat the machine's memory; and a file of
a few megabytes (``[x,x,x,...]``) holds millions of values, each a node of a
few hundred bytes: both are refused before a tree is built.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_NODES = 250_000
"""Values one file may hold or expand to (a large overlay holds a few thousand)."""
_VALUES = (yaml.ScalarEvent, yaml.CollectionStartEvent, yaml.AliasEvent)


class AliasError(Exception):
    """Internal: a recursive or runaway alias; becomes a diagnostic in :func:`_convert`."""

    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


def first_past_limit(text: str, loader: Any) -> Any:
    """The start mark of the value past :data:`MAX_NODES` in ``text``, or None,
    from the parser's events, one at a time (no node is built).  YAML errors
    propagate, as composing the document would raise them."""
    if len(text) < MAX_NODES // 2:  # a value takes at least two characters
        return None
    count = 0
    for event in yaml.parse(text, Loader=loader):
        count += isinstance(event, _VALUES)
        if count > MAX_NODES:
            return event.start_mark
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _sizes(root: yaml.Node) -> dict[int, int]:
    """How many values each collection expands to once aliases are copied.

    Raises AliasError at the anchored value of a cycle (``&a [*a]``).
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        if not isinstance(node, yaml.CollectionNode):
            return 1
        if id(node) in active:
            raise AliasError("this anchored value contains an alias to itself (a cycle)", node)
        if id(node) not in sizes:
            active.add(id(node))
            sizes[id(node)] = min(1 + sum(size(c) for c in _children(node)), MAX_NODES + 1)
            active.discard(id(node))
        return sizes[id(node)]

    size(root)
    return sizes


def check_expansion(root: yaml.Node) -> None:
    """Refuse a document that expands past MAX_NODES, at the smallest value that does."""
    sizes = _sizes(root)
    node = root
    if sizes.get(id(node), 1) <= MAX_NODES:
        return
    while True:
        big = [c for c in _children(node) if sizes.get(id(c), 1) > MAX_NODES]
        if not big:
            break
        node = big[0]
    raise AliasError(f"this value expands to more than {MAX_NODES:,} values (aliases)", node)
