"""Two hosts must not share a BMC system or a libvirt domain.

``hostiso attach`` would put both hosts' ISOs into the same machine, one
after the other: the last one wins and the other host is never installed.
A BMC address may serve several hosts when each names its own ``system``
(a chassis manager, a multi-node enclosure); without ``system`` a host
claims the BMC's only system, so it clashes with every other host there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from hostiso.check.rules.common import plain
from hostiso.check.rules.duplicates import Claim, clashes
from hostiso.check.rules.hostfacts import EXTRACTORS, HostFacts
from hostiso.diagnostics import Diagnostic, Path
from hostiso.load import fleet

Host = HostFacts
TARGET_PATHS: tuple[Path, ...] = (("bmc", "redfish"), ("libvirt", "domain"))


def _targets(host: fleet.Host) -> tuple[dict[str, Any], tuple[Path, ...]]:
    """What these rules read of a host: its ``bmc:`` and ``libvirt:`` settings."""
    clc = plain(host)
    value = {k: clc[k] for k in ("bmc", "libvirt") if isinstance(clc.get(k), dict)}
    return value, TARGET_PATHS


EXTRACTORS["attach"] = _targets


def _section(host: Host, key: str) -> Any:
    targets = host.get("attach") or {}
    return targets.get(key)


def bmc_address(bmc: Any) -> str | None:
    """The BMC's address as compared: scheme-less host and port, lower case."""
    if not isinstance(bmc, dict) or not isinstance(bmc.get("redfish"), str):
        return None
    try:
        parts = urlsplit(bmc["redfish"])
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return f"{(parts.hostname or '').lower()}:{port}" if parts.hostname else None


def _bmc_hosts(hosts: list[Host]) -> dict[str, list[tuple[Host, str | None]]]:
    by_address: dict[str, list[tuple[Host, str | None]]] = {}
    for host in hosts:
        bmc = _section(host, "bmc")
        address = bmc_address(bmc)
        if address is not None and isinstance(bmc, dict):
            system = bmc.get("system")
            by_address.setdefault(address, []).append(
                (host, None if system is None else str(system))
            )
    return by_address


def duplicate_bmc(hosts: list[Host]) -> Iterator[tuple[Host, Diagnostic]]:
    """No two hosts may attach through the same BMC system.

    Failing::

        # configs/a.yaml
        bmc: {redfish: "https://10.0.0.5", username: admin, password_file: secrets/bmc}
        # configs/b.yaml
        bmc: {redfish: "https://10.0.0.5/", username: admin, password_file: secrets/bmc}

    Passing::

        # configs/a.yaml
        bmc: {redfish: "https://10.0.0.5", username: admin, password_file: secrets/bmc, system: "1"}
        # configs/b.yaml
        bmc: {redfish: "https://10.0.0.5", username: admin, password_file: secrets/bmc, system: "2"}
    """
    by_address = _bmc_hosts(hosts)
    keys: dict[int, tuple[str, str | None]] = {}
    for address, owners in by_address.items():
        shared = any(system is None for _, system in owners)
        for host, system in owners:
            keys[id(host)] = (address, None if shared else system)

    def claims(host: Host) -> Iterator[Claim]:
        key = keys.get(id(host))
        if key is not None:
            shown = key[0] + (f" system {key[1]}" if key[1] else "")
            yield key, shown, ("bmc", "redfish")

    return clashes(hosts, claims, "duplicate-bmc", "BMC")


def _domain_claims(host: Host) -> Iterator[Claim]:
    virt = _section(host, "libvirt")
    if isinstance(virt, dict) and isinstance(virt.get("domain"), str):
        uri = str(virt.get("uri") or "")
        yield (uri, virt["domain"]), f"{virt['domain']} at {uri}", ("libvirt", "domain")


def duplicate_domain(hosts: list[Host]) -> Iterator[tuple[Host, Diagnostic]]:
    """No two hosts may attach to the same libvirt domain.

    Failing::

        # configs/a.yaml
        libvirt: {uri: "qemu:///system", domain: node}
        # configs/b.yaml
        libvirt: {uri: "qemu:///system", domain: node}

    Passing::

        # configs/a.yaml
        libvirt: {uri: "qemu:///system", domain: node-a}
        # configs/b.yaml
        libvirt: {uri: "qemu:///system", domain: node-b}
    """
    return clashes(hosts, _domain_claims, "duplicate-domain", "libvirt domain")


FLEET_RULES = {
    "duplicate-bmc": duplicate_bmc,
    "duplicate-domain": duplicate_domain,
}
