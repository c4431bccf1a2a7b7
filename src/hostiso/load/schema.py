"""The host file's schema, declared once.

The same table checks the merged node tree (types, unknown keys with a
did-you-mean, required keys, value formats) and produces the JSON Schema
that ``hostiso schema`` prints.  Everything that is not a hostiso shorthand
is a Container Linux Config section, as ``ct`` reads it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, error
from hostiso.load import shared
from hostiso.load.yamlload import Node

Check = Callable[[Any], str | None]
"""A value check: returns an error message or None."""


@dataclass(frozen=True)
class Type:
    doc: str = ""

    def validate(self, node: Node, path: Path, out: list[Diagnostic]) -> None:
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        raise NotImplementedError


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _wrong(node: Node, path: Path, expected: str) -> Diagnostic:
    got = type_name(node.value)
    return error("wrong-type", f"expected {expected}, got {got}", path, node.mark)


def keep_text(node: Node) -> None:
    """Where text is expected, a scalar that loaded as a number or a boolean
    becomes the text written: ct's YAML library reads `reboot_strategy: off`
    as "off" and `inline: 0644` as "0644".  This is the one place that
    happens; later stages read plain strings."""
    if node.text is not None:
        node.value = node.text


@dataclass(frozen=True)
class Scalar(Type):
    kind: str = "string"  # string | integer | boolean | number
    check: Check | None = None
    enum: tuple[Any, ...] = ()
    code: str = "bad-value"
    blocking: bool = True
    """False where a bad value still leaves the tree well typed (a relative path)."""

    def validate(self, node: Node, path: Path, out: list[Diagnostic]) -> None:
        if self.kind == "string":
            keep_text(node)
        value = node.value
        if not self._type_ok(value):
            out.append(_wrong(node, path, self.kind))
            return
        if self.enum and value not in self.enum:
            choices = ", ".join(str(e) for e in self.enum)
            message = f"'{value}' is not one of: {choices}"
            out.append(error(self.code, message, path, node.mark, blocking=self.blocking))
            return
        if self.check is not None:
            problem = self.check(value)
            if problem:
                out.append(error(self.code, problem, path, node.mark, blocking=self.blocking))

    def _type_ok(self, value: Any) -> bool:
        if self.kind == "string":
            return isinstance(value, str)
        if self.kind == "boolean":
            return isinstance(value, bool)
        if self.kind == "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if self.kind == "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        return True  # "any"

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.kind == "any" else {"type": self.kind}
        if self.enum:
            out["enum"] = list(self.enum)
        if self.doc:
            out["description"] = self.doc
        return out


@dataclass(frozen=True)
class Nullable(Type):
    """A value that may also be null (``flannel: ~``)."""

    inner: Type = field(default_factory=Type)

    def validate(self, node: Node, path: Path, out: list[Diagnostic]) -> None:
        if node.value is not None:
            self.inner.validate(node, path, out)

    def json_schema(self) -> dict[str, Any]:
        return {"anyOf": [self.inner.json_schema(), {"type": "null"}]}


@dataclass(frozen=True)
class ListOf(Type):
    item: Type = field(default_factory=Type)

    def validate(self, node: Node, path: Path, out: list[Diagnostic]) -> None:
        if not isinstance(node.value, list):
            out.append(_wrong(node, path, "a list"))
            return
        for i, child in enumerate(node.value):
            if shared.is_shared(child):
                out += _shared_found(self.item, child, (*path, i))
            else:
                self.item.validate(child, (*path, i), out)

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.json_schema()}
        if self.doc:
            out["description"] = self.doc
        return out


@dataclass(frozen=True)
class MapOf(Type):
    """A mapping with free-form keys (``vars:``)."""

    value: Type = field(default_factory=lambda: Scalar(kind="any"))
    key_check: Check | None = None
    """Checks each key (a name the user chose), reported at the key with ``key_code``."""
    key_code: str = "bad-value"

    def validate(self, node: Node, path: Path, out: list[Diagnostic]) -> None:
        if not isinstance(node.value, dict):
            out.append(_wrong(node, path, "a mapping"))
            return
        for key, child in node.value.items():
            problem = self.key_check(key) if self.key_check is not None else None
            if problem:
                where = (*path, key)
                # a bad name leaves the tree well typed: the later stages still run
                out.append(error(self.key_code, problem, where, child.key_mark, blocking=False))
            self.value.validate(child, (*path, key), out)

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object", "additionalProperties": self.value.json_schema()}
        if self.doc:
            out["description"] = self.doc
        return out


@dataclass(frozen=True)
class Obj(Type):
    fields: Mapping[str, Type] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    notes: Mapping[str, str] = field(default_factory=dict)
    """Unknown keys known from other formats -> what to write instead."""

    def validate(self, node: Node, path: Path, out: list[Diagnostic]) -> None:
        if not isinstance(node.value, dict):
            out.append(_wrong(node, path, "a mapping"))
            return
        for key, child in node.value.items():
            spec = self.fields.get(key)
            if spec is None:
                out.append(self._unknown(key, child, path))
            elif shared.is_shared(child):
                out += _shared_found(spec, child, (*path, key))
            elif child.value is not None or isinstance(spec, Nullable):
                spec.validate(child, (*path, key), out)
        for key in self.required:
            if node.value.get(key) is None:
                out.append(error("missing-key", f"'{key}' is required here", path, node.mark))

    def _unknown(self, key: str, child: Node, path: Path) -> Diagnostic:
        message = f"unknown key '{key}'"
        close = difflib.get_close_matches(key, list(self.fields), n=1, cutoff=0.6)
        if key in self.notes:
            message += f": {self.notes[key]}"
        elif close:
            message += f"; did you mean '{close[0]}'?"
        else:
            message += f" (known keys: {', '.join(sorted(self.fields))})"
        mark = child.key_mark or child.mark
        return error("unknown-key", message, (*path, key), mark, blocking=False, at_key=True)

    def json_schema(self) -> dict[str, Any]:
        # validate() skips a null value (the merge rules' reset), so every key takes null
        out: dict[str, Any] = {
            "type": "object",
            "properties": {k: _or_null(v.json_schema()) for k, v in self.fields.items()},
            "additionalProperties": False,
        }
        if self.required:
            out["required"] = list(self.required)
        if self.doc:
            out["description"] = self.doc
        return out


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` that also accepts null: ``key: null`` resets what earlier layers set."""
    kind = schema.get("type")
    if isinstance(kind, str | list):
        kinds = [kind] if isinstance(kind, str) else kind
        out = {**schema, "type": kinds if "null" in kinds else [*kinds, "null"]}
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    if kind is None and not schema.keys() & {"anyOf", "enum", "const"}:
        return schema  # no type: null is already valid
    if {"type": "null"} in schema.get("anyOf", []):
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _shared_found(spec: Type, node: Node, path: Path) -> tuple[Diagnostic, ...]:
    """What validating a shared overlay section finds, once per section, type and path
    (the type is held with its findings: its id names no other type while they live)."""

    def found() -> tuple[Type, tuple[Diagnostic, ...]]:
        out: list[Diagnostic] = []
        if node.value is not None or isinstance(spec, Nullable):
            spec.validate(node, path, out)
        return spec, tuple(out)

    held, diagnostics = shared.once(node, ("schema", id(spec), path), found)
    return diagnostics if held is spec else found()[1]


def validate(node: Node, schema: Type, path: Path = ()) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    schema.validate(node, path, out)
    return out
