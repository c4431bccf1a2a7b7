"""The transpiler entry point: a plain CLC dict in, an Ignition dict out."""

from __future__ import annotations

from typing import Any

from hostiso.emit.v2.common import Context
from hostiso.emit.v2.sections import (
    convert_ignition,
    convert_networkd,
    convert_passwd,
    convert_systemd,
)
from hostiso.emit.v2.storage import convert_storage

CONVERTERS = (  # Ignition's top-level keys, in ct's output order
    ("ignition", convert_ignition),
    ("networkd", convert_networkd),
    ("passwd", convert_passwd),
    ("storage", convert_storage),
    ("systemd", convert_systemd),
)


def transpile(clc: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Ignition for a CLC whose shape the schema has already checked."""
    return {key: convert(clc, ctx) for key, convert in CONVERTERS}
