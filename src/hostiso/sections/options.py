"""Option tables and how ct renders them: the machinery shared by the sections.

ct declares each section's options as a struct whose fields carry a ``cli``
(or ``locksmith``) tag; it walks the fields in declaration order and, for
every option that is set, emits ``--FLAG=VALUE``.  Strings are quoted the
way Go's ``%q`` quotes them, integers and booleans are written bare.  A set
option is emitted even when it is ``false``, ``0`` or ``""``.

Here a table is an ordered ``dict`` from option name to :class:`Option`;
the dict order *is* ct's field order, so rendering is a walk over the table.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hostiso.diagnostics import Diagnostic, Path, error, warning
from hostiso.sections.platform import METADATA_ENV_FILE, METADATA_UNIT_LINES

Kind = Literal["string", "int", "bool"]
OptionTable = dict[str, "Option"]

_KINDS: dict[str, Kind] = {"s": "string", "i": "int", "b": "bool"}
_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}
_SEMVER = re.compile(
    r"([0-9]+)\.([0-9]+)\.([0-9]+)"
    r"(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?"
)


@dataclass(frozen=True, slots=True)
class Option:
    """One option: the flag (or variable) ct writes, its value type, and extras."""

    flag: str
    kind: Kind
    deprecated: str | None = None
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class Version:
    """A dotted-triple version, as go-semver parses it."""

    major: int
    minor: int
    patch: int
    pre: str = ""
    meta: str = ""

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        text += f"-{self.pre}" if self.pre else ""
        return text + (f"+{self.meta}" if self.meta else "")

    @property
    def minor_key(self) -> str:
        return f"{self.major}.{self.minor}"

    def __lt__(self, other: Version) -> bool:
        """go-semver's LessThan, enough to compare with a release: a
        pre-release (``2.3.0-rc.1``) comes before its release."""
        if (self.major, self.minor, self.patch) != (other.major, other.minor, other.patch):
            return (self.major, self.minor, self.patch) < (other.major, other.minor, other.patch)
        return bool(self.pre) and (not other.pre or self.pre < other.pre)


def parse_table(
    spec: str, flags: Mapping[str, str] | None = None, extras: Mapping[str, Option] | None = None
) -> OptionTable:
    """Build a table from ``"name:k name:k ..."`` (k is s, i or b), in order.

    The flag defaults to the name with ``_`` turned into ``-``; *flags*
    overrides it per name; *extras* replaces whole entries (deprecations).
    """
    table: OptionTable = {}
    for item in spec.split():
        name, kind = item.split(":")
        flag = (flags or {}).get(name, name.replace("_", "-"))
        table[name] = (extras or {}).get(name, Option(flag, _KINDS[kind]))
    return table


def go_quote(text: str) -> str:
    """Quote *text* exactly as Go's ``strconv.Quote`` (``%q``) does."""
    out = []
    for char in text:
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif char == " " or char.isprintable():
            out.append(char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        elif 0xD800 <= ord(char) <= 0xDFFF:
            out.append("\\ufffd")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def render_value(value: str | int | bool) -> str:
    """A value as ct's ``%v`` after quoting strings: ``"x"``, ``5``, ``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return go_quote(value)


def render_args(
    table: OptionTable, values: Mapping[str, str | int | bool], fmt: str = "--{flag}={value}"
) -> list[str]:
    """Render the set options in table order."""
    return [
        fmt.format(flag=option.flag, value=render_value(values[name]))
        for name, option in table.items()
        if name in values
    ]


def assemble_dropin(
    exec_start: str, args: Iterable[str], env: Iterable[str] = (), metadata: bool = False
) -> str:
    """The drop-in ct assembles: environment, then ExecStart; with ``metadata``
    (a platform placeholder was filled in) it first waits for coreos-metadata
    and reads its environment file."""
    lines = (
        ["[Unit]", *METADATA_UNIT_LINES, "", "[Service]", METADATA_ENV_FILE]
        if metadata
        else ["[Service]"]
    )
    lines += [f'Environment="{var}"' for var in env]
    lines += ["ExecStart=", "ExecStart=" + "".join([exec_start, *(f" \\\n  {a}" for a in args)])]
    return "\n".join(lines)


def parse_version(raw: Any, path: Path) -> tuple[Version | None, list[Diagnostic]]:
    """Parse ``MAJOR.MINOR.PATCH`` (optional ``-pre``/``+meta``, no ``v``).

    Leading zeros are allowed and dropped, as go-semver does (``3.03.0`` is
    printed ``3.3.0``).
    """
    text = raw if isinstance(raw, str) else None
    match = _SEMVER.fullmatch(text) if text is not None else None
    if match is None:
        shown = repr(raw) if not isinstance(raw, str) else f'"{raw}"'
        return None, [
            error(
                "invalid-version",
                f"version {shown} is not a dotted triple like 3.5.0 "
                "(no leading 'v', no wildcards; quote it in YAML)",
                path,
            )
        ]
    major, minor, patch, pre, meta = match.groups()
    return Version(int(major), int(minor), int(patch), pre or "", meta or ""), []


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def string_keys(table: OptionTable) -> frozenset[str]:
    """The options of *table* that read a scalar's source text (kind string)."""
    return frozenset(name for name, option in table.items() if option.kind == "string")


#: yaml.v3 (ct's YAML library) reads these strings into a bool field as YAML 1.1 did.
_YAML11_TRUE = frozenset({"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"})
_YAML11_FALSE = frozenset({"n", "N", "no", "No", "NO", "off", "Off", "OFF"})


def scalar_text(value: Any, text: str | None = None) -> str | None:
    """The text ct's YAML library puts into a string field, or None if it refuses.

    yaml.v3 stores the scalar's source text (``on``, ``1.50``, ``0x10``);
    *text* is that text when hostiso's loader kept it, else it is rebuilt.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        if text is not None:
            return text
        return render_value(value) if not isinstance(value, float) else repr(value)
    return None


def check_value(
    name: str, option: Option, value: Any, path: Path
) -> tuple[str | int | bool | None, list[Diagnostic]]:
    """Type-check one value; returns the value to render (or None) and diagnostics.

    As in ct (yaml.v3): a string option takes any scalar and uses its source
    text (the host schema already put the text of ``on`` or ``1.50`` in
    place, see :func:`text_keys`); an int option takes integers, and floats truncated toward
    zero; a bool option takes booleans and the YAML 1.1 words ``y``/``yes``/
    ``on`` and ``n``/``no``/``off``.  A null value is left unset.
    """
    if value is None:
        return None, []
    if option.kind == "bool":
        if isinstance(value, bool):
            return value, []
        if isinstance(value, str) and value in _YAML11_TRUE | _YAML11_FALSE:
            return value in _YAML11_TRUE, []
    if option.kind == "int" and not isinstance(value, bool):
        if isinstance(value, int):
            return value, []
        if isinstance(value, float) and math.isfinite(value) and abs(value) < 2.0**63:
            return int(value), []
    if option.kind == "string":
        shown = scalar_text(value)
        if shown is not None:
            if option.pattern and not re.fullmatch(option.pattern, shown):
                return None, [
                    error(
                        "invalid-value",
                        f"{name} must match {option.pattern}, got {go_quote(shown)}",
                        path,
                    )
                ]
            return shown, []
    want = {"string": "a string", "int": "an integer", "bool": "true or false"}[option.kind]
    return None, [error("wrong-type", f"{name} must be {want}, got {type(value).__name__}", path)]


def check_options(
    section: Mapping[str, Any],
    table: OptionTable,
    path: Path,
    skip: Iterable[str] = (),
    elsewhere: Mapping[str, str] | None = None,
) -> tuple[dict[str, str | int | bool], list[Diagnostic]]:
    """Validate a section's keys against *table*; return the usable values.

    *skip* names keys handled by the caller (``version``).  *elsewhere*
    maps an option that this table lacks to a note on where it is valid.
    A key set to null
    is left out, as ct leaves the option's pointer nil.
    """
    values: dict[str, str | int | bool] = {}
    diags: list[Diagnostic] = []
    skipped = set(skip)
    for key, raw in section.items():
        key_path = (*path, str(key))
        if key in skipped:
            continue
        option = table.get(str(key))
        if option is None:
            diags.append(_unknown(str(key), table, skipped, key_path, elsewhere or {}))
            continue
        value, found = check_value(str(key), option, raw, key_path)
        diags += found
        if value is not None:
            values[str(key)] = value
        if option.deprecated and value is not None:
            diags.append(warning("deprecated-option", option.deprecated, key_path))
    return values, diags


def _unknown(
    key: str, table: OptionTable, skipped: set[str], path: Path, elsewhere: Mapping[str, str]
) -> Diagnostic:
    if key in elsewhere:
        message = f"'{key}' is not an option of {elsewhere[key]}"
        return error("unknown-key", message, path, blocking=False, at_key=True)
    hint = did_you_mean(key, [*table, *skipped])
    return error("unknown-key", f"unknown key '{key}'{hint}", path, blocking=False, at_key=True)


def as_section(section: Any, path: Path) -> tuple[Mapping[str, Any] | None, list[Diagnostic]]:
    """Accept a mapping (or None for an empty one); anything else is wrong-type."""
    if section is None:
        return {}, []
    if isinstance(section, Mapping):
        return section, []
    got = type(section).__name__
    return None, [error("wrong-type", f"{path[-1]} must be a mapping, got {got}", path)]
