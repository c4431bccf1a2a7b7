"""``hostiso inventory``: the fleet as an Ansible inventory, hosts with errors left out.

The hosts go through exactly the checks ``hostiso lint`` makes, as a lint
run (:func:`hostiso.pipeline.lint.lint_run`, with its cache): a host that
lint reports an error for is never in the inventory, and a host whose
inputs did not change is not loaded again, its part of the inventory
(``export.model.record_of``, no secret in it) comes from the cache.  That
cache is lint's, or the build's when ``make hosts`` ran since (both keep
every host's part); a fleet with no ``build/`` yet gets one, so only the
first inventory of a fresh checkout loads every host.  The output is the
same whichever way each host's part was found.
Without ``partial`` any error leaves no inventory at all: Ansible must not
run against half a fleet because the other half failed to load.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from hostiso.diagnostics import Diagnostic
from hostiso.export.model import Inventory, from_records
from hostiso.load.fleet import Layout
from hostiso.pipeline.jobs import Hook
from hostiso.pipeline.lint import lint_run
from hostiso.util import fsutil


@dataclass
class Export:
    inventory: Inventory | None
    """None when a host has errors and ``partial`` was not asked for."""
    errors: list[Diagnostic] = field(default_factory=list)
    """Every error of every host left out."""


def inventory(
    layout: Layout,
    *,
    partial: bool = False,
    jobs: int | None = None,
    cache: bool = True,
    hook: Hook | None = None,
) -> Export:
    if cache:
        _cache_dir(layout)
    checked = lint_run(layout, jobs=jobs, extras=True, cache=cache, hook=hook)
    errors = [d for d in checked.diagnostics if d.is_error]
    if errors and not partial:
        return Export(None, errors)
    return Export(from_records(e["inventory"] for e in checked.extras.values()), errors)


def _cache_dir(layout: Layout) -> None:
    """``build/``, where the cache lives, as ``make hosts`` would make it (a fleet
    that cannot have one, read-only, is only slower)."""
    with contextlib.suppress(OSError):
        fsutil.make_dir(layout.root / "build")
