"""The expand step: a host's effective tree, its shorthands and ct's sections
under the user's layers."""

from __future__ import annotations

from hostiso.derive import shorthands
from hostiso.load import merge
from hostiso.load.fleet import Host, place_at


def expand(host: Host) -> None:
    """The effective tree: shorthands and ct's sections under the user's layers."""
    if host.user is None or host.blocked:
        return
    base, problems = shorthands.expand(host.user, host.name)
    host.diagnostics += [place_at(host.user, d) for d in problems]
    host.tree = merge.merge(base, host.user, (), generated=True)
