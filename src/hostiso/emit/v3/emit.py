"""The spec 3 emitter: host config -> 2.3.0 -> spec 3, checked, problems at the input.

1. the host config is transpiled to 2.3.0 exactly as for a 2.x build (ct's
   sections expanded, files read, templates rendered);
2. what Flatcar's converter refuses is an error (``refuse``);
3. the 2.3.0 config is translated (``translate``) and what only spec 3 has
   is added from the host config (``extras``);
4. two entries for one path, or a path through the config's own link, is an
   error (``refuse``), else the result is checked by ``validate_v3``.

Every diagnostic is reported at the host-file path its output came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, format_path
from hostiso.emit.paths import Origins, follow, nearest, snake
from hostiso.emit.v2.common import Context
from hostiso.emit.v2.convert import transpile
from hostiso.emit.v3.extras import add_extras
from hostiso.emit.v3.refuse import refuse_conflicts, refuse_removed
from hostiso.emit.v3.translate import translate
from hostiso.emit.v3.validate import validate_v3


class _Paths:
    """Spec 3 output path -> host-file path, through the 2.3.0 config."""

    def __init__(self, ctx: Context) -> None:
        self.v2_origins = ctx.origins
        self.locate = ctx.locate
        self.to_v2: Origins = {}
        self.direct: Origins = {}

    def from_v2(self, path: Path) -> Path:
        return follow(path, self.v2_origins)

    def from_v3(self, path: Path) -> Path:
        hit = nearest(path, self.direct)
        if hit is not None:
            return hit[0] + tuple(snake(p) for p in hit[1])
        hit = nearest(path, self.to_v2)
        return self.from_v2(hit[0] + hit[1] if hit is not None else path)

    def describe(self, path: Path) -> str:
        """Where the output entry at ``path`` was set: ``FILE:LINE:COL`` when known."""
        where = self.from_v3(path)
        mark = self.locate(where) if self.locate is not None else None
        return str(mark) if mark is not None else format_path(where)


def _add(ctx: Context, found: Iterable[Diagnostic], where: Any) -> bool:
    """Add ``found`` at their input paths; whether any is an error."""
    items = [replace(d, path=where(d.path)) for d in found]
    ctx.diagnostics.extend(items)
    return any(d.is_error for d in items)


def emit_v3(clc: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    """The spec ``ctx.spec`` config for ``clc``, or None when it has errors."""
    ign2 = transpile(clc, ctx)
    if any(d.is_error for d in ctx.diagnostics):
        return None
    paths = _Paths(ctx)
    if _add(ctx, refuse_removed(ign2, ctx.spec), paths.from_v2):
        return None
    config = translate(ign2, ctx.spec, paths.to_v2)
    add_extras(clc, config, ctx, paths.direct)
    if any(d.is_error for d in ctx.diagnostics):
        return None
    if _add(ctx, refuse_conflicts(config, ctx.spec, paths.describe), paths.from_v3):
        return None
    if _add(ctx, _named(validate_v3(config), ctx.spec), paths.from_v3):
        return None
    return config


def _named(found: list[Diagnostic], spec: str) -> list[Diagnostic]:
    """Ignition's own messages, with the spec they are about."""
    return [replace(d, message=f"spec {spec}: {d.message}") for d in found]
