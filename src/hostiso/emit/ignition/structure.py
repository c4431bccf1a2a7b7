"""The checking context and the structural pass: JSON types and unknown keys.

Table-driven from ``tables.SCHEMA_*``.  The pass also records every object it
walked, with its type and path, for the per-object rules that run after it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, error, warning

Obj = dict[str, Any]


Field = tuple[str, "type | None", "str | None", "str | None"]
"""A key's spec; the type its values plainly have (strings, bools: nothing more
to check); the object type of its value, or of its list's items."""
Fields = dict[str, dict[str, Field]]


@dataclass
class Ctx:
    version: str
    schema: Mapping[str, Mapping[str, str]]
    out: list[Diagnostic] = field(default_factory=list)
    objects: list[tuple[str, Obj, Path]] = field(default_factory=list)
    fields: Fields = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.fields = _fields(self.schema)


Rule = Callable[[Obj, Path, Ctx], Iterable[Diagnostic]]
RuleTable = dict[str, list[Rule]]
WholeRule = Callable[[Obj, Ctx], Iterable[Diagnostic]]


def registrar(table: RuleTable) -> Callable[..., Callable[[Rule], Rule]]:
    """A decorator ``@rule("File", "Link")`` that appends the function to ``table``."""

    def rule(*typenames: str) -> Callable[[Rule], Rule]:
        def register(fn: Rule) -> Rule:
            for name in typenames:
                table.setdefault(name, []).append(fn)
            return fn

        return register

    return rule


_SCALARS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    # Go's int is 64 bits: a bigger number is an unmarshal error.
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63,
}


def _check_value(value: Any, spec: str, path: Path, ctx: Ctx) -> None:
    if value is None:
        return  # Go's decoder leaves the zero value for null
    if spec.endswith("[]"):
        if not isinstance(value, list):
            ctx.out.append(_type_error(spec, value, path))
            return
        for i, item in enumerate(value):
            _check_value(item, spec[:-2], (*path, i), ctx)
        return
    scalar = _SCALARS.get(spec)
    if scalar is not None:
        if not scalar(value):
            ctx.out.append(_type_error(spec, value, path))
        return
    if not isinstance(value, dict):
        ctx.out.append(_type_error(spec, value, path))
        return
    check_object(value, spec, path, ctx)


def check_object(obj: Obj, typename: str, path: Path, ctx: Ctx) -> None:
    fields = ctx.fields[typename]
    for key, value in obj.items():
        spec = fields.get(key)
        if spec is None:
            ctx.out.append(_unknown_key(key, ctx.schema[typename], (*path, key)))
        elif type(value) is spec[1] or value is None:
            continue
        elif spec[2] is not None and type(value) is dict:
            check_object(value, spec[2], (*path, key), ctx)
        else:
            _check_field(value, spec, (*path, key), ctx)
    ctx.objects.append((typename, obj, path))


def _check_field(value: Any, spec: Field, path: Path, ctx: Ctx) -> None:
    """:func:`_check_value`, straight to a list's objects or a 64-bit int."""
    if spec[3] is not None and type(value) is list and all(type(x) is dict for x in value):
        for i, item in enumerate(value):
            check_object(item, spec[3], (*path, i), ctx)
    elif not (type(value) is int and spec[0] == "int" and value in _INT64):
        _check_value(value, spec[0], path, ctx)


_INT64 = range(-(2**63), 2**63)
_EXACT: dict[str, type] = {"string": str, "bool": bool}
_COMPILED: dict[int, tuple[Mapping[str, Mapping[str, str]], Fields]] = {}


def _fields(schema: Mapping[str, Mapping[str, str]]) -> Fields:
    """Each key of ``schema`` as a :data:`Field`; made once per schema table
    (the tables are constants)."""
    cached = _COMPILED.get(id(schema))
    if cached is None or cached[0] is not schema:
        fields = {
            name: {k: _field(spec, schema) for k, spec in keys.items()}
            for name, keys in schema.items()
        }
        cached = _COMPILED[id(schema)] = (schema, fields)
    return cached[1]


def _field(spec: str, schema: Mapping[str, Mapping[str, str]]) -> Field:
    item = spec.removesuffix("[]")
    return (
        spec,
        _EXACT.get(spec),
        spec if spec in schema else None,
        item if spec.endswith("[]") and item in schema else None,
    )


def _type_error(spec: str, value: Any, path: Path) -> Diagnostic:
    want = "list" if spec.endswith("[]") else (spec if spec in _SCALARS else "object")
    got = type(value).__name__
    if want == "int" and got == "int":
        got = f"{value}, which does not fit in a 64-bit integer"
    return error("ignition-type", f"expected {want}, got {got}", path)


def _unknown_key(key: str, known: Iterable[str], path: Path) -> Diagnostic:
    names = list(known)
    hint = [n for n in names if n.lower() == key.lower()] or difflib.get_close_matches(
        key, names, n=1
    )
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    return warning("ignition-unknown-key", f"Config has unrecognized key: {key}{extra}", path)
