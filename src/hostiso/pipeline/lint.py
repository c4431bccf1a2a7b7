"""``hostiso lint``: every problem in the fleet, building nothing."""

from __future__ import annotations

from hostiso.diagnostics import Diagnostic
from hostiso.emit.compile import compile_host
from hostiso.load.fleet import Host, Layout
from hostiso.pipeline.steps import load_checked


def checked_hosts(layout: Layout, spec: str | None = None) -> list[Host]:
    """Every host with every problem the build would find (``spec``: as for
    the build, None for each host's own pin); nothing is written."""
    hosts = load_checked(layout, writes=False)
    for host in hosts:
        if not host.failed:
            host.diagnostics += compile_host(host, spec, layout).diagnostics
    return hosts


def lint(layout: Layout, spec: str | None = None) -> list[Diagnostic]:
    """The same checks the build runs, for every host; nothing is written."""
    return [d for host in checked_hosts(layout, spec) for d in host.diagnostics]
