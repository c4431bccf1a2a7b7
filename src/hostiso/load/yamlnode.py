"""The tree a YAML file loads into: values that remember where they came from.

Values are plain Python scalars; every mapping value and list item is a
:class:`Node` carrying the file, line and column that set it (see
:mod:`hostiso.load.yamlload`, which makes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hostiso.diagnostics import Mark


@dataclass(slots=True)
class Node:
    """A YAML value with its position.

    ``value`` is ``dict[str, Node]``, ``list[Node]`` or a scalar.  ``key_mark``
    is where the key of a mapping entry stands (for unknown-key errors).
    ``text`` is the source text of a scalar that loaded as a number or a
    boolean (ct's string options take that text, ``on`` stays ``on``).
    ``block`` says where the lines of a literal (``|``) or folded (``>``)
    block scalar stand in the file (see :func:`line_mark`).
    """

    value: Any
    mark: Mark
    key_mark: Mark | None = None
    text: str | None = None
    block: Block | None = None

    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def get(self, key: str) -> Node | None:
        if isinstance(self.value, dict):
            child: Node | None = self.value.get(key)
            return child
        return None


@dataclass(frozen=True, slots=True)
class Block:
    """A block scalar's layout: ``lines[k - 1]`` is the file line where line k of
    its value starts (a folded line may continue on the next file lines), and
    ``col`` the column of its text.

    A folded (``>``) block also keeps its text unfolded, ``unfolded``: line k
    of that text is file line ``first + k - 1``.  It differs from the value
    only in whitespace, so a template error in the value is the same error in
    it, on the line that holds the mistake (see :func:`unfolded_mark`).
    """

    lines: tuple[int, ...]
    col: int
    unfolded: str | None = None
    first: int = 0


def line_mark(node: Node, line: int) -> Mark | None:
    """Where line ``line`` (1-based) of a block scalar's value stands in its file.

    None for every other value (plain or quoted scalars, rendered templates),
    whose lines do not map to file lines: callers keep the value's own mark.
    """
    block = node.block
    if block is None or not block.lines or line < 1:
        return None
    return Mark(node.mark.file, block.lines[min(line, len(block.lines)) - 1], block.col)


def unfolded_mark(node: Node, line: int) -> Mark | None:
    """Where line ``line`` of a folded block's unfolded text stands in its file."""
    block = node.block
    if block is None or block.unfolded is None or line < 1:
        return None
    last = block.first + block.unfolded.count("\n")
    return Mark(node.mark.file, min(block.first + line - 1, last), block.col)


def node_at(root: Node | None, path: tuple[str | int, ...]) -> Node | None:
    """The node at ``path`` exactly, or None."""
    node = root
    for part in path:
        if node is None:
            return None
        if isinstance(part, str) and isinstance(node.value, dict):
            node = node.value.get(part)
        elif isinstance(part, int) and isinstance(node.value, list) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node


def to_plain(node: Node | None) -> Any:
    """The node tree as plain dicts, lists and scalars."""
    if node is None:
        return None
    if isinstance(node.value, dict):
        return {k: to_plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [to_plain(v) for v in node.value]
    return node.value


def from_plain(value: Any, mark: Mark) -> Node:
    """Plain dicts, lists and scalars as a node tree whose every value has ``mark``
    (what hostiso generates: shorthands, ct's sections, certificates)."""
    if isinstance(value, dict):
        return Node({k: from_plain(v, mark) for k, v in value.items()}, mark, mark)
    if isinstance(value, list):
        return Node([from_plain(v, mark) for v in value], mark)
    return Node(value, mark)
