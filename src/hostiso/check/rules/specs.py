"""One Ignition spec for the fleet.

A fleet pins its spec once (``ignition: {version: 3.4.0}`` in
``overlays/all.yaml``); a host that ends up with another one, through its
own file or a group overlay, is most likely a mistake.  One pass over the
fleet: the most common spec wins (ties: the newest), every other host gets a
warning at the value that set its spec.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from hostiso.check.rules.common import plain
from hostiso.check.rules.hostfacts import EXTRACTORS, HostFacts
from hostiso.diagnostics import Diagnostic, Path, warning
from hostiso.load import fleet
from hostiso.load.specs import DEFAULT_SPEC, PIN_PATH, SPECS, pinned

Host = HostFacts


def _pin(host: fleet.Host) -> tuple[str | None, tuple[Path, ...]]:
    """What this rule reads of a host: the spec it pins, if any."""
    return pinned(plain(host)), (PIN_PATH,)


EXTRACTORS["spec"] = _pin


def _spec(host: Host) -> str:
    pin: str | None = host.get("spec")
    return pin or DEFAULT_SPEC


def spec_mismatch(hosts: list[Host]) -> Iterator[tuple[Host, Diagnostic]]:
    """Every host is built for the spec the rest of the fleet pins.

    Failing::

        # overlays/all.yaml
        ignition: {version: 3.4.0}
        # configs/a.yaml
        hostname: a
        # configs/b.yaml
        hostname: b
        # configs/c.yaml
        ignition: {version: 3.3.0}

    Passing::

        # overlays/all.yaml
        ignition: {version: 3.4.0}
        # configs/a.yaml
        hostname: a
        # configs/b.yaml
        hostname: b
    """
    specs = {host.stem: _spec(host) for host in hosts}
    counts = Counter(specs.values())
    if len(counts) < 2:
        return
    fleet = max(counts, key=lambda s: (counts[s], SPECS.index(s)))
    for host in hosts:
        own = specs[host.stem]
        if own == fleet:
            continue
        how = "pins Ignition spec" if host.get("spec") else "pins no spec, so gets"
        message = (
            f"this host {how} {own} where {counts[fleet]} of {len(hosts)} hosts pin "
            f"{fleet}; pin one spec for the fleet in overlays/all.yaml (ignition.version)"
        )
        yield host, warning("spec-mismatch", message, PIN_PATH)


FLEET_RULES = {"spec-mismatch": spec_mismatch}
