"""The emitters, registered by Ignition spec version.

An emitter takes a checked host config (plain dicts) and a
``emit.v2.common.Context`` whose ``spec`` is its version, adds every problem
to ``ctx.diagnostics`` at host-file paths, and returns the config (None when
it cannot).  ``TARGETS`` has one entry per version in ``load.specs.SPECS``:
the 2.x family (``emit.v2`` + the 2.x validator in ``emit.ignition``) and the
spec 3 family (``emit.v3``: the 2.3.0 config translated as Flatcar does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hostiso.emit.ignition.validate import validate_ignition
from hostiso.emit.paths import input_path
from hostiso.emit.v2.common import Context
from hostiso.emit.v2.convert import transpile
from hostiso.load.specs import SPECS

Emitter = Callable[[dict[str, Any], Context], "dict[str, Any] | None"]


def emit_v2(clc: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    """ct's transpiler, then Ignition 2.x's checks."""
    ignition = transpile(clc, ctx)
    for problem in validate_ignition(ignition):
        ctx.diagnostics.append(replace(problem, path=input_path(problem.path, ctx.origins)))
    return ignition


def emit_v3(clc: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    """The spec 3 family (``emit.v3``, imported on first use: twelve modules a
    2.x build never needs)."""
    from hostiso.emit.v3.emit import emit_v3 as emit

    return emit(clc, ctx)


TARGETS: dict[str, Emitter] = {
    "2.2.0": emit_v2,
    "2.3.0": emit_v2,
    "3.3.0": emit_v3,
    "3.4.0": emit_v3,
    "3.5.0": emit_v3,
}
assert tuple(TARGETS) == SPECS, "every spec hostiso names needs an emitter"
