"""Which Ignition spec a host is built for.

The versions hostiso writes, the default, and how a host picks one: the
``--spec`` flag when given, else the host's ``ignition.version`` (set once for
the fleet in ``overlays/all.yaml``, merged like any value), else
:data:`DEFAULT_SPEC`.  The emitters for each version are registered in
``hostiso.emit.targets``; this module only knows the names, so the schema and
the lint rules (which sit below ``emit``) can check them too.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from hostiso.diagnostics import Path

SPECS = ("2.2.0", "2.3.0", "3.3.0", "3.4.0", "3.5.0")
DEFAULT_SPEC = "2.3.0"
PIN_PATH: Path = ("ignition", "version")
"""Where a host file or overlay pins its spec: ``ignition: {version: 3.4.0}``."""


def supported() -> str:
    return ", ".join(SPECS)


def check_spec(value: str) -> str | None:
    """The schema's check for ``ignition.version``."""
    if value in SPECS:
        return None
    return f"unsupported Ignition spec {value!r}; hostiso writes {supported()}"


def pinned(plain: Mapping[str, Any] | None) -> str | None:
    """The spec a host's effective config pins, if it pins a supported one."""
    ignition = (plain or {}).get("ignition")
    version = ignition.get("version") if isinstance(ignition, Mapping) else None
    return version if isinstance(version, str) and version in SPECS else None


def choose(flag: str | None, plain: Mapping[str, Any] | None) -> str:
    """The spec to build: the flag wins, then the host's pin, then the default."""
    return flag or pinned(plain) or DEFAULT_SPEC


def is_v3(spec: str) -> bool:
    return spec.startswith("3.")


def at_least(spec: str, minimum: str) -> bool:
    """``spec`` is ``minimum`` or newer (both dotted triples of numbers)."""
    return _triple(spec) >= _triple(minimum)


@functools.cache
def _triple(spec: str) -> tuple[int, ...]:
    return tuple(int(part) for part in spec.split("."))
