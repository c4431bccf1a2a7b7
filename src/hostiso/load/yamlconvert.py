"""PyYAML's composed document to a :class:`Node` tree, in one walk.

Each value gets the mark of where it starts; each mapping value also the
mark of its key.  A plain or quoted string (nearly every value and key) is
taken as the parser left it; numbers, booleans, nulls and explicit tags go
through PyYAML's constructor, so they read as ct reads them.  Problems
(duplicate keys, keys that are not strings, unsupported tags, values a tag
cannot read) are collected as diagnostics, in document order.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode

from hostiso.diagnostics import LINE_BREAK, Diagnostic, Mark, error
from hostiso.load.yamlnode import Block, Node

STR = "tag:yaml.org,2002:str"
MERGE = "tag:yaml.org,2002:merge"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
PLAIN_COLLECTIONS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
BLOCK_STYLES = frozenset({"|", ">"})


_FIELDS = vars(Mark)
_SET_FILE, _SET_LINE, _SET_COL = (_FIELDS[f].__set__ for f in ("file", "line", "col"))


def _mark(file: str, at: Any) -> Mark:
    """``Mark(file, at.line + 1, at.column + 1)`` (``at``: PyYAML's 0-based mark), its
    slots set directly: the frozen dataclass's __init__ goes through
    object.__setattr__ for each field, three times slower, and a file takes a
    mark for every key and value."""
    mark: Mark = object.__new__(Mark)
    _SET_FILE(mark, file)
    _SET_LINE(mark, at.line + 1)
    _SET_COL(mark, at.column + 1)
    return mark


class Converter:
    """One file's yaml nodes to Node trees (aliases were checked by check_expansion)."""

    def __init__(self, file: str, problems: list[Diagnostic], text: str) -> None:
        self.file = file
        self.problems = problems
        self.text = text
        self._lines: list[str] | None = None
        self._constructor: SafeConstructor | None = None

    @property
    def lines(self) -> list[str]:
        """The file's lines, split once, on the first block scalar."""
        if self._lines is None:
            text = self.text
            plain = text.isascii() and "\r" not in text  # then "\n" is its one line break
            self._lines = text.split("\n") if plain else LINE_BREAK.split(text)
        return self._lines

    def convert(self, node: yaml.Node) -> Node:
        mark = _mark(self.file, node.start_mark)
        if isinstance(node, ScalarNode):
            if node.tag == STR and node.style not in BLOCK_STYLES:
                return Node(node.value, mark)  # the common value, as scalar() has it
            return self.scalar(node, mark)
        if node.tag not in PLAIN_COLLECTIONS:
            self.problems.append(_collection_tag(node.tag, mark))
        if isinstance(node, MappingNode):
            return Node(self.mapping(node), mark)
        return Node([self.convert(item) for item in node.value], mark)

    def scalar(self, node: yaml.ScalarNode, mark: Mark) -> Node:
        """A scalar; a number or boolean keeps its text, a block scalar its layout."""
        if node.tag == STR:
            value: Any = node.value
            text = None
        else:
            value = self.construct(node)
            text = node.value if isinstance(value, bool | int | float) else None
        if node.style in BLOCK_STYLES and isinstance(value, str):
            return Node(value, mark, None, text, _block(self.lines, node, value))
        return Node(value, mark, None, text)

    def mapping(self, node: yaml.MappingNode) -> dict[str, Node]:
        out: dict[str, Node] = {}
        merged: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key_mark = _mark(self.file, key_node.start_mark)
            if key_node.tag == MERGE:
                self.merge_into(merged, value_node, key_mark)
            elif (key := self.key(key_node, key_mark, out)) is not None:
                child = out[key] = self.convert(value_node)
                child.key_mark = key_mark
        return {**out, **{k: v for k, v in merged.items() if k not in out}} if merged else out

    def key(self, node: yaml.Node, mark: Mark, out: dict[str, Node]) -> str | None:
        """A mapping key's text, or None where it cannot be one (the problem is noted)."""
        if not isinstance(node, ScalarNode):
            key = None
        else:
            key = node.value if node.tag == STR else self.construct(node)
        if not isinstance(key, str):
            self.problems.append(error("key-not-string", "mapping keys must be strings", mark=mark))
            return None
        if key in out:
            self.problems.append(_duplicate_key(key, out[key], mark))
            return None
        return key

    def merge_into(self, merged: dict[str, Node], value: yaml.Node, key_mark: Mark) -> None:
        """``<<: *base`` (or ``<<: [*a, *b]``): the keys of the merged mappings that the
        mapping does not set itself, the first source winning, as YAML 1.1 (and ct) has it."""
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                message = "a merge key (<<) takes a mapping or a list of mappings"
                self.problems.append(error("yaml-merge-key", message, mark=key_mark))
                return
            for key, child in self.mapping(source).items():
                merged.setdefault(key, child)

    def construct(self, node: yaml.ScalarNode) -> Any:
        """A scalar that is not a plain string, as PyYAML reads it (a constructor per
        file: it remembers every node it built, an aliased one is built once)."""
        if node.tag == TIMESTAMP:
            return node.value  # ct reads dates as plain strings; so do we
        if self._constructor is None:
            self._constructor = SafeConstructor()
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            message = str(exc).splitlines()[0]
        except Exception:  # an explicit tag on a value it cannot read: !!int x, !!bool maybe
            message = f"{node.value!r} is not a valid {node.tag.rsplit(':', 1)[-1]}"
        self.problems.append(error("yaml-value", message, mark=_mark(self.file, node.start_mark)))
        return None


def _collection_tag(tag: str, mark: Mark) -> Diagnostic:
    """A tag on a mapping or list (``!!set``, ``!!python/object/apply:...``, ``!custom``):
    nothing in a host file reads it, so it would be dropped without a word."""
    shown = tag.replace("tag:yaml.org,2002:", "!!", 1)[:80]
    message = f"the YAML tag '{shown}' is not supported: write a plain mapping or list"
    return error("yaml-tag", message, mark=mark)


def _duplicate_key(key: str, earlier: Node, key_mark: Mark) -> Diagnostic:
    first = earlier.key_mark or earlier.mark
    message = f"duplicate key '{key}' (first set at line {first.line})"
    found = error("duplicate-key", message, mark=key_mark)
    return replace(found, related=(("first set here", first),))


def _block(lines: list[str], node: yaml.ScalarNode, value: str) -> Block | None:
    """The layout of a block scalar: its text starts on the line after the indicator."""
    first = node.start_mark.line + 1  # 0-based index of the first content line
    body = lines[first : max(node.end_mark.line + 1, first)]
    indent = _indent(body, value.lstrip("\n"))
    if indent is None:
        return None
    body = body[: _inside(body, indent)]
    if node.style != ">":  # each line of a literal block is a line of its value
        return Block(tuple(range(first + 1, first + 1 + len(body))), indent + 1)
    where = tuple([first + i + 1 for i in _folded_starts(body, indent)])
    unfolded = "\n".join([line[indent:] for line in body])
    return Block(where, indent + 1, unfolded, first + 1)


def _indent(body: list[str], content: str) -> int | None:
    """The indentation of a block: the blanks its first text line has and
    ``content`` (the value without its leading line breaks) lacks."""
    for text in body:
        if text.strip(" "):
            # text[i:] must start with as many blanks as content does, then the same
            blanks = len(text) - len(text.lstrip(" "))
            indent = blanks - (len(content) - len(content.lstrip(" ")))
            return indent if indent >= 0 and content.startswith(text[indent:]) else None
    return None


def _inside(body: list[str], indent: int) -> int:
    """How many lines of ``body`` the block holds: those before the first one
    that is less indented (empty lines and blank ones belong to it)."""
    for i, line in enumerate(body):
        if line[:indent].strip(" "):
            return i
    return len(body)


def _folded_starts(body: list[str], indent: int) -> list[int]:
    """For each line of a folded block's value, the index in ``body`` of the line
    it starts on.

    Follows PyYAML's scanner: every line break is kept, except that the break
    between two text lines that do not start with a blank becomes a space (and
    is dropped when empty lines follow it).
    """
    starts: list[int] = []
    empty: list[int] = []  # empty lines since the last text line
    previous: bool | None = None  # did the previous text line start with a blank?
    for i, line in enumerate(body):
        if len(line) <= indent and not line.strip(" "):
            empty.append(i)
            continue
        blank = line[indent] in " \t"
        if previous is False and not blank:
            starts += [*empty[1:], i] if empty else []
        else:
            starts += [*empty, i]
        previous, empty = blank, []
    return starts + empty  # trailing empty lines (kept by ``|+``)
