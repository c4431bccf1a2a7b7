"""hostiso: per-host Ignition configs and config ISOs for air-gapped fleets."""

from __future__ import annotations

__version__ = "0.1.0"
