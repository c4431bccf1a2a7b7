"""The ``install:`` sections: what the installer ISO matches machines on.

On a machine, the install script compares its MACs, DMI serial and DMI UUID
with every host's ``install.match`` (and ``network.mac``); exactly one host
must match.  These rules catch, before an ISO is burned, what would make a
machine match no host or several.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hostiso.check.rules.common import mark_of, plain
from hostiso.diagnostics import Diagnostic, Mark, Severity, error, warning
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


def _matching(host: Host) -> list[Identifier]:
    return [i for i in identifiers(plain(host)) if i.path[0] == "install"]


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


def duplicate_install_id(hosts: list[Host]) -> Iterator[tuple[Host, Diagnostic]]:
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
    owners: dict[tuple[str, str], list[tuple[Host, Identifier]]] = {}
    for host in hosts:
        for ident in identifiers(plain(host)):
            claims = owners.setdefault((ident.kind, ident.value), [])
            if all(h is not host for h, _ in claims):
                claims.append((host, ident))
    for claims in owners.values():
        if len(claims) > 1 and any(i.path[0] == "install" for _, i in claims):
            yield from _clash(claims)


def _clash(claims: list[tuple[Host, Identifier]]) -> Iterator[tuple[Host, Diagnostic]]:
    for n, (host, ident) in enumerate(claims):
        other, theirs = claims[1] if n == 0 else claims[0]
        where = mark_of(other, theirs.path)
        message = (
            f"{ident.kind} {ident.value} is also matched by host {other.stem} ({where}): "
            "a machine with it would match both"
        )
        related = ((f"{ident.kind} {ident.value} of host {other.stem}", where),)
        yield (
            host,
            Diagnostic(
                Severity.ERROR, "duplicate-install-id", message, ident.path, related=related
            ),
        )


def install_no_match(hosts: list[Host]) -> Iterator[tuple[Host, Diagnostic]]:
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
    installed = [h for h in hosts if isinstance(plain(h).get("install"), dict)]
    if len(installed) < 2:
        return
    for host in installed:
        if not identifiers(plain(host)):
            yield host, no_match_diagnostic(host)


def no_match_diagnostic(host: Host) -> Diagnostic:
    """At the host file: the fix (what identifies this machine) belongs there."""
    return error(
        "install-no-match",
        "nothing to match this host on: with several hosts on one installer ISO, give "
        "install.match (mac, serial or uuid) or network.mac",
        ("install",),
        Mark(host.source, 1, 1),
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
