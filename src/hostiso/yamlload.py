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

from hostiso.diagnostics import Diagnostic, Mark, error

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
    """

    value: Any
    mark: Mark
    key_mark: Mark | None = None

    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def get(self, key: str) -> Node | None:
        if isinstance(self.value, dict):
            child: Node | None = self.value.get(key)
            return child
        return None


def to_plain(node: Node | None) -> Any:
    """The node tree as plain dicts, lists and scalars."""
    if node is None:
        return None
    if isinstance(node.value, dict):
        return {k: to_plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [to_plain(v) for v in node.value]
    return node.value


def _mark(file: str, m: Any) -> Mark:
    return Mark(file, m.line + 1, m.column + 1)


def load_text(text: str, file: str) -> tuple[Node | None, list[Diagnostic]]:
    """Parse one YAML document.  An empty document is an empty mapping."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        return None, [_tab_error(exc, text, file) or _syntax_error(exc, text, file)]
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        return None, [error("yaml-syntax", str(exc), mark=Mark(file, 1, 1))]
    if root is None:
        return Node({}, Mark(file, 1, 1)), []
    problems: list[Diagnostic] = []
    return _convert(root, file, problems), problems


def load_file(path: str, display: str | None = None) -> tuple[Node | None, list[Diagnostic]]:
    name = display or path
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text: {exc.reason}"
        return None, [error("yaml-encoding", message, mark=Mark(name, 1, 1))]
    except OSError as exc:
        return None, [error("file-unreadable", exc.strerror or str(exc), mark=Mark(name, 1, 1))]
    return load_text(text, name)


def _tab_error(exc: yaml.MarkedYAMLError, text: str, file: str) -> Diagnostic | None:
    """Tabs in indentation are the classic mistake; say so plainly."""
    mark = exc.problem_mark
    if mark is None:
        return None
    lines = text.splitlines()
    for lineno in (mark.line + 1, mark.line):
        if not 0 < lineno <= len(lines):
            continue
        line = lines[lineno - 1]
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            return error(
                "yaml-tab",
                "tab character used for indentation; YAML allows only spaces here",
                mark=Mark(file, lineno, len(line) - len(stripped) + 1),
            )
    return None


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, file: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    where = _mark(file, mark) if mark is not None else Mark(file, 1, 1)
    message = exc.problem or "invalid YAML"
    if exc.context:
        message = f"{message} ({exc.context})"
    hint = _block_scalar_hint(text, where.line)
    if hint:
        message = f"{message}; {hint}"
    return error("yaml-syntax", message, mark=where)


_BLOCK_KEY = re.compile(r"^(\s*)(?:-\s+)?[^#\s][^:#]*:\s*[|>][-+0-9]*\s*(#.*)?$")


def _block_scalar_hint(text: str, error_line: int) -> str | None:
    """Explain the easy mistake of a ``key: |`` block not indented under its key."""
    lines = text.splitlines()
    for i in range(min(error_line, len(lines)) - 1, -1, -1):
        match = _BLOCK_KEY.match(lines[i])
        if not match:
            continue
        key_indent = len(lines[i]) - len(lines[i].lstrip(" "))
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if following.strip() and len(following) - len(following.lstrip(" ")) <= key_indent:
            return (
                f"the block scalar started on line {i + 1} needs its text indented "
                "further than its key"
            )
        return None
    return None


def _convert(node: yaml.Node, file: str, problems: list[Diagnostic]) -> Node:
    mark = _mark(file, node.start_mark)
    if isinstance(node, yaml.MappingNode):
        return Node(_convert_mapping(node, file, problems), mark)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, file, problems) for item in node.value], mark)
    return Node(_scalar(node, file, problems), mark)


def _convert_mapping(
    node: yaml.MappingNode, file: str, problems: list[Diagnostic]
) -> dict[str, Node]:
    out: dict[str, Node] = {}
    for key_node, value_node in node.value:
        key_mark = _mark(file, key_node.start_mark)
        if key_node.tag == "tag:yaml.org,2002:merge":
            problems.append(
                error("yaml-merge-key", "YAML merge keys (<<) are not supported", mark=key_mark)
            )
            continue
        key = _scalar(key_node, file, problems) if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            problems.append(error("key-not-string", "mapping keys must be strings", mark=key_mark))
            continue
        if key in out:
            first = out[key].key_mark or out[key].mark
            problems.append(
                Diagnostic(
                    error("duplicate-key", f"duplicate key '{key}'").severity,
                    "duplicate-key",
                    f"duplicate key '{key}' (first set at line {first.line})",
                    mark=key_mark,
                    related=(("first set here", first),),
                )
            )
            continue
        child = _convert(value_node, file, problems)
        child.key_mark = key_mark
        out[key] = child
    return out


def _scalar(node: yaml.Node, file: str, problems: list[Diagnostic]) -> Any:
    if node.tag == "tag:yaml.org,2002:timestamp":
        return node.value  # ct reads dates as plain strings; so do we
    try:
        return _CONSTRUCTOR.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problems.append(
            error("yaml-value", str(exc).splitlines()[0], mark=_mark(file, node.start_mark))
        )
        return None
