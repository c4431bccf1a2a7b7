"""``hostiso inventory``: the fleet as an Ansible inventory, hosts with errors left out.

The hosts go through exactly the checks ``hostiso lint`` makes (the pipeline
steps, then compiling each host's Ignition config), so a host that lint
reports an error for is never in the inventory.  Without ``partial`` any
error leaves no inventory at all: Ansible must not run against half a fleet
because the other half failed to load.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hostiso.diagnostics import Diagnostic
from hostiso.export.model import Inventory, build
from hostiso.load.fleet import Layout
from hostiso.pipeline.lint import checked_hosts


@dataclass
class Export:
    inventory: Inventory | None
    """None when a host has errors and ``partial`` was not asked for."""
    errors: list[Diagnostic] = field(default_factory=list)
    """Every error of every host left out."""


def inventory(layout: Layout, *, partial: bool = False) -> Export:
    hosts = checked_hosts(layout)
    errors = [d for host in hosts for d in host.diagnostics if d.is_error]
    if errors and not partial:
        return Export(None, errors)
    return Export(build(h for h in hosts if not h.failed), errors)
