"""The ``install:`` sections: what the installer ISO matches machines on.

On a machine, the install script compares its MACs, DMI serial and DMI UUID
with every host's ``install.match`` (and ``network.mac``); exactly one host
must match.  These rules catch, before an ISO is burned, what would make a
machine match no host or several.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hostiso.check.rules.common import memo, plain
from hostiso.check.rules.hostfacts import EXTRACTORS, HostFacts, mark_of
from hostiso.diagnostics import Diagnostic, Mark, Path, Severity, error, warning
from hostiso.load.fleet import Host
from hostiso.load.formats import check_mac
from hostiso.load.installschema import Identifier, identifiers

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PLACEHOLDER_SERIALS = frozenset(
    {
        "",
        "0",
        "0123456789",
        "default string",
        "n/a",
        "none",
        "not applicable",
        "not specified",
        "system serial number",
        "to be filled by o.e.m.",
    }
)
"""Serials many boards ship with: matching on one matches every such machine."""
PLACEHOLDER_UUIDS = frozenset(
    {
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "03000200-0400-0500-0006-000700080009",
    }
)


def _identifiers(host: Host) -> list[Identifier]:
    """The host's identifiers, once per host for the rules and its fleet record."""
    return memo("identifiers", host, lambda h: identifiers(plain(h)))


def _matching(host: Host) -> list[Identifier]:
    return [i for i in _identifiers(host) if i.path[0] == "install"]


def bad_install_id(host: Host) -> Iterator[Diagnostic]:
    """``install.match`` values must be a MAC address, a DMI UUID, a non-empty serial.

    A malformed value can never equal what the machine reports, so the
    machine would match no host.

    Failing::

        # configs/a.yaml
        install:
          device: /dev/sda
          match: {mac: "52:54:00:12:34", uuid: not-a-uuid}

    Passing::

        # configs/a.yaml
        install:
          device: /dev/sda
          match:
            mac: ["52:54:00:12:34:56", "52-54-00-12-34-57"]
            uuid: 4C4C4544-0042-3510-8052-B4C04F5A4D32
            serial: CZ2A1B0C3D
    """
    for ident in _matching(host):
        problem = _format_problem(ident)
        if problem:
            yield error("bad-install-id", problem, ident.path, blocking=False)


def _format_problem(ident: Identifier) -> str | None:
    if ident.kind == "mac":
        return check_mac(ident.raw)
    if ident.kind == "uuid" and not _UUID.fullmatch(ident.value):
        return f"'{ident.raw}' is not a UUID like 4c4c4544-0042-3510-8052-b4c04f5a4d32"
    if ident.kind == "serial" and (not ident.value or "\n" in ident.value):
        return "a serial must be one line of text, not empty"
    return None


def placeholder_install_id(host: Host) -> Iterator[Diagnostic]:
    """A serial or UUID that boards ship as a placeholder identifies no one machine.

    Failing::

        # configs/a.yaml
        install:
          device: /dev/sda
          match: {serial: To Be Filled By O.E.M.}

    Passing::

        # configs/a.yaml
        install:
          device: /dev/sda
          match: {serial: CZ2A1B0C3D}
    """
    for ident in _matching(host):
        junk = (ident.kind == "serial" and ident.value.lower() in PLACEHOLDER_SERIALS) or (
            ident.kind == "uuid" and ident.value in PLACEHOLDER_UUIDS
        )
        if junk and ident.value:
            message = (
                f"{ident.kind} '{ident.raw}' is a placeholder many machines report; "
                "match on a MAC address instead"
            )
            yield warning("placeholder-install-id", message, ident.path)


Claim = tuple[str, str, Path]
"""(mac|serial|uuid, normalized value, where it is set) as the fleet rules keep it."""


def _install_facts(host: Host) -> tuple[dict[str, Any], tuple[Path, ...]]:
    """What the fleet rules read of a host: has it ``install:``, what it matches on."""
    clc = plain(host)
    claims = [(i.kind, i.value, i.path) for i in _identifiers(host)]
    value = {"install": isinstance(clc.get("install"), dict), "claims": claims}
    return value, (("install",), *(path for _, _, path in claims))


EXTRACTORS["install"] = _install_facts


def _claims(host: HostFacts) -> list[Claim]:
    value = host.get("install") or {}
    return [(kind, text, tuple(path)) for kind, text, path in value.get("claims", [])]


def _has_install(host: HostFacts) -> bool:
    value = host.get("install") or {}
    return bool(value.get("install"))


def duplicate_install_id(hosts: list[HostFacts]) -> Iterator[tuple[HostFacts, Diagnostic]]:
    """No two hosts may match the same MAC, serial or UUID on an installer.

    ``network.mac`` counts: a machine whose NIC has a host's ``network.mac``
    would also match another host's ``install.match.mac``.  (Two hosts with
    the same ``network.mac`` are ``duplicate-mac``.)

    Failing::

        # configs/a.yaml
        network: {mac: "52:54:00:00:00:01", addresses: [192.168.1.11/24]}
        install: {device: /dev/sda}
        # configs/b.yaml
        install:
          device: /dev/sda
          match: {mac: "52:54:00:00:00:01"}

    Passing::

        # configs/a.yaml
        network: {mac: "52:54:00:00:00:01", addresses: [192.168.1.11/24]}
        install: {device: /dev/sda}
        # configs/b.yaml
        install:
          device: /dev/sda
          match: {mac: "52:54:00:00:00:02"}
    """
    owners: dict[tuple[str, str], list[tuple[HostFacts, Claim]]] = {}
    for host in hosts:
        for claim in _claims(host):
            claims = owners.setdefault(claim[:2], [])
            if all(h is not host for h, _ in claims):
                claims.append((host, claim))
    for claims in owners.values():
        if len(claims) > 1 and any(c[2][0] == "install" for _, c in claims):
            yield from _clash(claims)


def _clash(claims: list[tuple[HostFacts, Claim]]) -> Iterator[tuple[HostFacts, Diagnostic]]:
    for n, (host, (kind, value, path)) in enumerate(claims):
        other, theirs = claims[1] if n == 0 else claims[0]
        where = mark_of(other, theirs[2])
        message = (
            f"{kind} {value} is also matched by host {other.stem} ({where}): "
            "a machine with it would match both"
        )
        related = ((f"{kind} {value} of host {other.stem}", where),)
        yield (
            host,
            Diagnostic(
                Severity.ERROR,
                "duplicate-install-id",
                message,
                path,
                related=related,
                blocking=False,
            ),
        )


def install_no_match(hosts: list[HostFacts]) -> Iterator[tuple[HostFacts, Diagnostic]]:
    """With several hosts to install, each needs something to match the machine on.

    ``install.match`` (``mac``, ``serial``, ``uuid``) or ``network.mac``.  (An
    installer ISO for one host, ``hostiso installer ... HOST``, needs none.)

    Failing::

        # configs/a.yaml
        install: {device: /dev/sda}
        # configs/b.yaml
        install: {device: /dev/sda, match: {serial: CZ2A1B0C3D}}

    Passing::

        # configs/a.yaml
        install: {device: /dev/sda, match: {serial: CZ2A1B0C3E}}
        # configs/b.yaml
        install: {device: /dev/sda, match: {serial: CZ2A1B0C3D}}
    """
    installed = [h for h in hosts if _has_install(h)]
    if len(installed) < 2:
        return
    for host in installed:
        if not _claims(host):
            yield host, no_match_diagnostic(host.source)


def no_match_diagnostic(source: str) -> Diagnostic:
    """At the host file ``source``: the fix (what identifies this machine) belongs there."""
    return error(
        "install-no-match",
        "nothing to match this host on: with several hosts on one installer ISO, give "
        "install.match (mac, serial or uuid) or network.mac",
        ("install",),
        Mark(source, 1, 1),
        blocking=False,
    )


HOST_RULES = {
    "bad-install-id": bad_install_id,
    "placeholder-install-id": placeholder_install_id,
}
FLEET_RULES = {
    "duplicate-install-id": duplicate_install_id,
    "install-no-match": install_no_match,
}
