"""Check a spec 3.3.0/3.4.0/3.5.0 config the way Ignition checks it.

As for 2.x (``emit.ignition.validate``): a JSON type error is fatal and stops
there, as Ignition's unmarshal does; an unknown key is a warning; then the
rules of each object (``rules``, ``storage``) and of the whole config
(``whole``).  Errors where Ignition rejects the config, warnings where it
warns.  Paths are JSON paths in the spec 3 config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hostiso.diagnostics import Diagnostic, error
from hostiso.emit.ignition.structure import Ctx, RuleTable, check_object
from hostiso.emit.v3 import rules, storage, whole
from hostiso.emit.v3.tables import SCHEMAS


def _merged(*tables: RuleTable) -> RuleTable:
    merged: RuleTable = {}
    for table in tables:
        for typename, fns in table.items():
            merged.setdefault(typename, []).extend(fns)
    return merged


_RULES = _merged(rules.RULES, storage.RULES)


def validate_v3(config: Mapping[str, Any]) -> list[Diagnostic]:
    """Every problem Ignition (spec 3.3.0-3.5.0) would report for ``config``."""
    ign = config.get("ignition")
    version = ign.get("version") if isinstance(ign, Mapping) else None
    if version not in SCHEMAS:
        supported = ", ".join(SCHEMAS)
        return [
            error(
                "ignition-version-unsupported",
                f"unsupported config version {version!r} (checked: {supported})",
                ("ignition", "version"),
            )
        ]
    ctx = Ctx(version, SCHEMAS[version])
    check_object(dict(config), "Config", (), ctx)
    if any(d.is_error for d in ctx.out):
        return ctx.out
    for typename, obj, path in ctx.objects:
        for rule in _RULES.get(typename, ()):
            ctx.out.extend(rule(obj, path, ctx))
    for whole_rule in whole.WHOLE_RULES:
        ctx.out.extend(whole_rule(dict(config), ctx))
    return ctx.out
