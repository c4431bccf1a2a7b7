"""Load YAML into a tree of nodes that remember where each value came from.

Values are plain Python scalars; every mapping value and list item is wrapped
in a :class:`Node` carrying the file, line and column that set it.  Problems
(syntax errors, duplicate keys, non-string keys) come back as diagnostics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from hostiso.diagnostics import LINE_BREAK, Diagnostic, Mark, error
from hostiso.diagnostics.report import file_mark
from hostiso.load import aliases, yamlerrors, yamltext
from hostiso.util import fsutil

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """YAML 1.1 as ct reads it, minus base-60 numbers: ``52:54:00:12:34:56`` is a
    MAC address, not the integer 41135085296."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0[0-7_]+
        |[-+]?(?:0|[1-9][0-9_]*)
        |[-+]?0x[0-9a-fA-F_]+)$""",
        re.X,
    ),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
        |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)

_CONSTRUCTOR = yaml.constructor.SafeConstructor()


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


# The line breaks YAML counts (as report.split_lines), so line numbers agree.


def _mark(file: str, m: Any) -> Mark:
    return Mark(file, m.line + 1, m.column + 1)


def load_text(text: str, file: str) -> tuple[Node | None, list[Diagnostic]]:
    """Parse one YAML document.  An empty document is an empty mapping."""
    refused = yamltext.refused_characters(text, file)
    if refused:
        return None, refused
    try:
        past = aliases.first_past_limit(text, _Loader)
        if past is not None:
            message = f"the file holds more than {aliases.MAX_NODES:,} values"
            return None, [error("yaml-too-large", message, mark=_mark(file, past))]
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        return None, [yamlerrors.syntax_error(exc, text, file)]
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        return None, [error("yaml-syntax", str(exc), mark=Mark(file, 1, 1))]
    except RecursionError:
        return None, [error("yaml-syntax", "the document nests too deeply", mark=Mark(file, 1, 1))]
    if root is None:
        return Node({}, Mark(file, 1, 1)), []
    problems: list[Diagnostic] = []
    try:
        return _convert(root, file, problems, text), problems
    except RecursionError:
        return None, [error("yaml-syntax", "the document nests too deeply", mark=Mark(file, 1, 1))]


MAX_FILE_BYTES = 16 << 20
"""A host file or overlay larger than this is refused before it is parsed (a
YAML document's nodes take many times its size in memory)."""


def load_file(path: str, display: str | None = None) -> tuple[Node | None, list[Diagnostic]]:
    """One host file or overlay, a regular file (never a FIFO: no hang) of at
    most :data:`MAX_FILE_BYTES`; a problem reading it is at the file as a whole."""
    name = display or path
    try:
        data = fsutil.read_regular(path, MAX_FILE_BYTES + 1)
    except OSError as exc:
        message = f"cannot read: {exc.strerror or exc}"
        return None, [error("file-unreadable", message, mark=file_mark(name))]
    if len(data) > MAX_FILE_BYTES:
        message = f"the file is over {MAX_FILE_BYTES >> 20} MiB, more than hostiso reads"
        return None, [error("file-too-large", message, mark=file_mark(name))]
    return load_bytes(data, name)


def load_bytes(data: bytes, file: str) -> tuple[Node | None, list[Diagnostic]]:
    """Parse one YAML document from a file's bytes, which must be UTF-8."""
    text, problems = yamltext.text_of(data, file)
    return (None, problems) if problems else load_text(text, file)


class _Converter:
    """yaml nodes to :class:`Node` trees (aliases were checked by _check_expansion)."""

    def __init__(self, file: str, problems: list[Diagnostic], text: str) -> None:
        self.file = file
        self.problems = problems
        self.text = text
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        """The file's lines, split once, on the first block scalar."""
        if self._lines is None:
            self._lines = LINE_BREAK.split(self.text)
        return self._lines

    def convert(self, node: yaml.Node) -> Node:
        mark = _mark(self.file, node.start_mark)
        if isinstance(node, yaml.CollectionNode) and node.tag not in PLAIN_COLLECTIONS:
            self.problems.append(_collection_tag(node.tag, mark))
        if isinstance(node, yaml.MappingNode):
            return Node(self.mapping(node), mark)
        if isinstance(node, yaml.SequenceNode):
            return Node([self.convert(item) for item in node.value], mark)
        value = _scalar(node, self.file, self.problems)
        text = node.value if isinstance(value, bool | int | float) else None
        block = None
        if (
            isinstance(node, yaml.ScalarNode)
            and node.style in ("|", ">")
            and isinstance(value, str)
        ):
            block = _block(self.lines, node, value)
        return Node(value, mark, text=text, block=block)

    def mapping(self, node: yaml.MappingNode) -> dict[str, Node]:
        out: dict[str, Node] = {}
        merged: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key_mark = _mark(self.file, key_node.start_mark)
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.merge_into(merged, value_node, key_mark)
                continue
            key = (
                _scalar(key_node, self.file, self.problems)
                if isinstance(key_node, yaml.ScalarNode)
                else None
            )
            if not isinstance(key, str):
                self.problems.append(
                    error("key-not-string", "mapping keys must be strings", mark=key_mark)
                )
                continue
            if key in out:
                self.problems.append(_duplicate_key(key, out[key], key_mark))
                continue
            child = self.convert(value_node)
            child.key_mark = key_mark
            out[key] = child
        return {**out, **{k: v for k, v in merged.items() if k not in out}}

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


PLAIN_COLLECTIONS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


def _collection_tag(tag: str, mark: Mark) -> Diagnostic:
    """A tag on a mapping or list (``!!set``, ``!!python/object/apply:...``, ``!custom``):
    nothing in a host file reads it, so it would be dropped without a word."""
    shown = tag.replace("tag:yaml.org,2002:", "!!", 1)[:80]
    message = f"the YAML tag '{shown}' is not supported: write a plain mapping or list"
    return error("yaml-tag", message, mark=mark)


def _duplicate_key(key: str, earlier: Node, key_mark: Mark) -> Diagnostic:
    first = earlier.key_mark or earlier.mark
    return Diagnostic(
        error("duplicate-key", "").severity,
        "duplicate-key",
        f"duplicate key '{key}' (first set at line {first.line})",
        mark=key_mark,
        related=(("first set here", first),),
    )


def _convert(node: yaml.Node, file: str, problems: list[Diagnostic], text: str) -> Node | None:
    try:
        if "&" in text:  # no anchor, no alias: nothing to expand
            aliases.check_expansion(node)
    except aliases.AliasError as exc:
        problems.append(error("yaml-alias", exc.message, mark=_mark(file, exc.node.start_mark)))
        return None
    return _Converter(file, problems, text).convert(node)


def _block(lines: list[str], node: yaml.ScalarNode, value: str) -> Block | None:
    """The layout of a block scalar: its text starts on the line after the indicator."""
    first = node.start_mark.line + 1  # 0-based index of the first content line
    body = lines[first : max(node.end_mark.line + 1, first)]
    text = next((line for line in body if line.strip(" ")), None)
    indent = _indent(text, value.lstrip("\n")) if text is not None else None
    if indent is None:
        return None
    folded = node.style == ">"
    starts = _line_starts(body, indent, folded=folded)
    where = tuple(first + i + 1 for i in starts)
    if not folded or not starts:
        return Block(where, indent + 1)
    inside = next((i for i, line in enumerate(body) if line[:indent].strip(" ")), len(body))
    unfolded = "\n".join(line[indent:] for line in body[:inside])
    return Block(where, indent + 1, unfolded, first + 1)


def _indent(text: str, content: str) -> int | None:
    """The indentation of a block's first text line: the blanks ``content`` lacks."""
    return next(
        (
            i
            for i in range(len(text) + 1)
            if content.startswith(text[i:]) and not text[:i].strip(" ")
        ),
        None,
    )


def _line_starts(body: list[str], indent: int, *, folded: bool) -> list[int]:
    """For each line of the value, the index in ``body`` of the line it starts on.

    Follows PyYAML's scanner: every line break is kept, except that in a
    folded scalar the break between two text lines that do not start with a
    blank becomes a space (and is dropped when empty lines follow it).
    """
    starts: list[int] = []
    empty: list[int] = []  # empty lines since the last text line
    previous: bool | None = None  # did the previous text line start with a blank?
    for i, line in enumerate(body):
        if len(line) <= indent and not line.strip(" "):
            empty.append(i)
            continue
        if line[:indent].strip(" "):
            break  # less indented: the block ended
        blank = line[indent] in " \t"
        if folded and previous is False and not blank:
            starts += [*empty[1:], i] if empty else []
        else:
            starts += [*empty, i]
        previous, empty = blank, []
    return starts + empty  # trailing empty lines (kept by ``|+``)


def _scalar(node: yaml.Node, file: str, problems: list[Diagnostic]) -> Any:
    if node.tag == "tag:yaml.org,2002:timestamp":
        return node.value  # ct reads dates as plain strings; so do we
    try:
        return _CONSTRUCTOR.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        message = str(exc).splitlines()[0]
    except Exception:  # an explicit tag on a value it cannot read: !!int x, !!bool maybe
        message = f"{node.value!r} is not a valid {node.tag.rsplit(':', 1)[-1]}"
    problems.append(error("yaml-value", message, mark=_mark(file, node.start_mark)))
    return None
