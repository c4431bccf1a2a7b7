"""``hostiso lint``: every problem in the fleet, building nothing."""

from __future__ import annotations

from hostiso.diagnostics import Diagnostic
from hostiso.emit.compile import compile_host
from hostiso.emit.v2.common import DEFAULT_SPEC
from hostiso.load.fleet import Layout
from hostiso.pipeline.steps import load_checked


def lint(layout: Layout, spec: str = DEFAULT_SPEC) -> list[Diagnostic]:
    """The same checks the build runs, for every host; nothing is written."""
    out: list[Diagnostic] = []
    for host in load_checked(layout, writes=False):
        if not host.failed:
            host.diagnostics += compile_host(host, spec, layout).diagnostics
        out += host.diagnostics
    return out
