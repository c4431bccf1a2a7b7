"""Load YAML into a tree of nodes that remember where each value came from.

Values are plain Python scalars; every mapping value and list item is wrapped
in a :class:`Node` carrying the file, line and column that set it (the tree:
:mod:`hostiso.load.yamlnode`; made by :mod:`hostiso.load.yamlconvert`).
Problems (syntax errors, duplicate keys, non-string keys) come back as
diagnostics.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from hostiso.diagnostics import Diagnostic, Mark, error
from hostiso.diagnostics.report import file_mark
from hostiso.load import aliases, yamlerrors, yamltext
from hostiso.load.yamlconvert import Converter
from hostiso.load.yamlnode import Block as Block
from hostiso.load.yamlnode import Node as Node
from hostiso.load.yamlnode import from_plain as from_plain
from hostiso.load.yamlnode import line_mark as line_mark
from hostiso.load.yamlnode import node_at as node_at
from hostiso.load.yamlnode import to_plain as to_plain
from hostiso.load.yamlnode import unfolded_mark as unfolded_mark
from hostiso.util import fsutil

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """YAML 1.1 as ct reads it, minus base-60 numbers: ``52:54:00:12:34:56`` is a
    MAC address, not the integer 41135085296."""

    def resolve(self, kind: Any, value: Any, implicit: tuple[bool, bool]) -> str | None:
        """PyYAML's resolve (this loader has no path resolvers), with each first
        character's implicit resolvers looked up once: the parser asks for
        every key and value of every file."""
        if kind is yaml.ScalarNode and implicit[0]:
            for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                if regexp.match(value):
                    return tag
        return _DEFAULT_TAGS.get(kind)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Nothing to do: the composer calls this and :meth:`ascend_resolver` around
        every value for path resolvers, and this loader has none."""

    def ascend_resolver(self) -> None:
        """Nothing to do (see :meth:`descend_resolver`)."""


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
_Resolvers = tuple[tuple[str, re.Pattern[str]], ...]
_WILDCARD: _Resolvers = tuple(_Loader.yaml_implicit_resolvers.get(None, ()))
_IMPLICIT: dict[str, _Resolvers] = {
    first: (*resolvers, *_WILDCARD)
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
    if first is not None
}
_DEFAULT_TAGS: dict[type, str] = {
    yaml.ScalarNode: _Loader.DEFAULT_SCALAR_TAG,
    yaml.SequenceNode: _Loader.DEFAULT_SEQUENCE_TAG,
    yaml.MappingNode: _Loader.DEFAULT_MAPPING_TAG,
}


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


def _convert(node: yaml.Node, file: str, problems: list[Diagnostic], text: str) -> Node | None:
    try:
        if "&" in text:  # no anchor, no alias: nothing to expand
            aliases.check_expansion(node)
    except aliases.AliasError as exc:
        problems.append(error("yaml-alias", exc.message, mark=_mark(file, exc.node.start_mark)))
        return None
    return Converter(file, problems, text).convert(node)
