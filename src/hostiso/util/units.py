"""File-name suffixes of systemd units and networkd units.

The one table shared by the host-file schema (``clc_schema``) and the Ignition
validator (``ignition.tables``).  Order matters: messages list them as written.
"""

from __future__ import annotations

UNIT_SUFFIXES: tuple[str, ...] = (
    ".service",
    ".socket",
    ".device",
    ".mount",
    ".automount",
    ".swap",
    ".target",
    ".path",
    ".timer",
    ".snapshot",
    ".slice",
    ".scope",
)
NETWORKD_SUFFIXES: tuple[str, ...] = (".network", ".netdev", ".link")
