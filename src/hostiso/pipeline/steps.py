"""The fleet pipeline: a flat list of named steps over every host.

Each step takes the whole fleet (a list of hosts) and adds to the hosts'
trees and diagnostics; none raises.  ``lint`` and ``build`` both run
exactly these steps, so the build never skips a check lint would make.
"""

from __future__ import annotations

from collections.abc import Callable

from hostiso.check import rules, unique
from hostiso.derive import credentials, expand
from hostiso.derive.etcd import cluster, tls
from hostiso.load import fleet, templates
from hostiso.load.fleet import Host, Layout

Step = Callable[[list[Host]], None]


def _each(step: Callable[[Host], None]) -> Step:
    def run(hosts: list[Host]) -> None:
        for host in hosts:
            step(host)

    return run


STEPS: tuple[tuple[str, Step], ...] = (
    ("render-templates", templates.render_fleet),
    ("check-schema", _each(fleet.check_schema)),
    ("resolve-credentials", credentials.resolve_fleet),
    ("derive-etcd", cluster.derive_fleet),
    ("etcd-tls", tls.add_tls),
    ("expand", _each(expand.expand)),
    ("check-unique", unique.check_fleet),
    ("check-rules", rules.run_rules),
)


def load_checked(
    layout: Layout, stems: list[str] | None = None, *, writes: bool = True
) -> list[Host]:
    """Read the fleet and run every step on it (``writes=False``: create no files)."""
    hosts = fleet.read_fleet(layout, stems, writes=writes)
    for _name, step in STEPS:
        step(hosts)
    return hosts
