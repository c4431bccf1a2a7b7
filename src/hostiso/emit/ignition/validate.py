"""Check an emitted Ignition config the way Ignition 2.2/2.3 checks it.

``validate_ignition`` mirrors Ignition's own validator (``config/v2_x/types``
``Validate*`` methods, ``config/validate``): a JSON type error is fatal and
stops there, as Ignition's unmarshal does; an unknown key is a warning; then
every rule Ignition applies to each object, and the whole-config rules.
Severity follows Ignition: errors where it rejects the config, warnings where
it only warns.  A few extra checks catch transpiler bugs that Ignition 2.x
lets through but that break the host (duplicate paths or units, empty link
targets, setuid bits that 2.x silently drops); they are warnings unless the
result cannot work.

Paths are JSON paths in the *output* config: ``("storage", "files", 0, "path")``.

The checks live in: ``tables`` (schemas and value sets), ``structure`` (types
and unknown keys), ``rules`` and ``storage`` (per-object rules), ``crossref``
(whole-config rules), ``dataurl`` (RFC 2397) and ``unitfile`` (unit syntax).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, error
from hostiso.emit.ignition import crossref, rules, storage
from hostiso.emit.ignition.dataurl import decode_data_url
from hostiso.emit.ignition.structure import Ctx, RuleTable, check_object
from hostiso.emit.ignition.tables import (
    DUPLICATE_SEVERITY,
    FS_LABEL_MAX,
    NETWORKD_SUFFIXES,
    RAID_LEVELS,
    RAID_LEVELS_NO_SPARES,
    SCHEMA_2_2,
    SCHEMA_2_3,
    SCHEMAS,
    UNIT_SUFFIXES,
    URL_SCHEMES,
)
from hostiso.emit.ignition.unitfile import parse_unit

__all__ = [
    "DUPLICATE_SEVERITY",
    "FS_LABEL_MAX",
    "NETWORKD_SUFFIXES",
    "RAID_LEVELS",
    "RAID_LEVELS_NO_SPARES",
    "SCHEMAS",
    "SCHEMA_2_2",
    "SCHEMA_2_3",
    "UNIT_SUFFIXES",
    "URL_SCHEMES",
    "decode_data_url",
    "parse_unit",
    "validate_ignition",
]

_SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")


def _merged(*tables: RuleTable) -> RuleTable:
    """One rule table; a type's rules run in module order, then registration order."""
    merged: RuleTable = {}
    for table in tables:
        for typename, fns in table.items():
            merged.setdefault(typename, []).extend(fns)
    return merged


_RULES = _merged(rules.RULES, storage.RULES)
_WHOLE_RULES = crossref.WHOLE_RULES


def validate_ignition(config: Mapping[str, Any]) -> list[Diagnostic]:
    """Every problem Ignition (spec 2.2.0/2.3.0) would report for ``config``."""
    if not isinstance(config, Mapping):
        return [error("ignition-type", "config must be a JSON object")]
    version = _version_of(config)
    problem = _version_problem(version)
    if problem is not None:
        return [problem]
    assert version is not None
    ctx, whole_config = Ctx(version, SCHEMAS[version]), dict(config)
    check_object(whole_config, "Config", (), ctx)
    if ctx.out and any(d.is_error for d in ctx.out):
        return ctx.out  # Ignition stops at an unmarshal (type) error.
    rules_of, out = _RULES.get, ctx.out
    for typename, obj, path in ctx.objects:
        for rule in rules_of(typename, ()):
            out.extend(rule(obj, path, ctx))
    for whole in _WHOLE_RULES:  # they only read the config
        out.extend(whole(whole_config, ctx))
    return out


def _version_of(config: Mapping[str, Any]) -> Any:
    ign = config.get("ignition")
    return ign.get("version") if isinstance(ign, Mapping) else None


def _version_problem(version: Any) -> Diagnostic | None:
    where: Path = ("ignition", "version")
    if not isinstance(version, str) or not version:
        return error("ignition-version-missing", "ignition.version is not set", where)
    if version in SCHEMAS:
        return None
    if not _SEMVER.match(version):
        return error(
            "ignition-version-invalid",
            f"invalid config version (couldn't parse): {version!r}",
            where,
        )
    return error(
        "ignition-version-unsupported",
        f"unsupported config version {version!r} (checked: {', '.join(SCHEMAS)})",
        where,
    )
