"""The ``install:`` section: where the installer ISO puts a host, and how it knows the machine.

::

    install:
      device: /dev/disk/by-path/pci-0000:00:1f.2-ata-1   # required: a whole disk
      wipe: false                 # true: overwrite a disk that has partitions
      match:                      # any of these; network.mac counts as a MAC too
        mac: 52:54:00:12:34:56    # or a list
        serial: CZ2A1B0C3D        # DMI product serial (/sys/class/dmi/id/product_serial)
        uuid: 4c4c4544-0042-3510-8052-b4c04f5a4d32   # DMI system UUID

It merges through overlays like every other section.  The schema checks
types and the device path; the formats of MACs and UUIDs are lint rules
(``check/rules/install.py``).  :func:`install_settings` gives the section
with its identifiers normalized as the install script compares them: MACs
lower-case with colons, UUIDs lower-case, serials without surrounding blanks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, error
from hostiso.load.schema import ListOf, Obj, Scalar, Type
from hostiso.load.yamlload import Node

MATCH_KINDS = ("mac", "serial", "uuid")
_DEVICE = re.compile(r"/dev/[A-Za-z0-9._:+@/-]+")
_PARTITION = re.compile(
    r"(/dev/([sv]d[a-z]+|xvd[a-z]+|hd[a-z]+)[0-9]+|.*[0-9]p[0-9]+|.*-part[0-9]+)"
)


def check_install_device(value: str) -> str | None:
    if not _DEVICE.fullmatch(value) or "/../" in value + "/" or "/./" in value + "/":
        return (
            f"'{value}' is not a disk path under /dev (like /dev/disk/by-path/... or /dev/sda; "
            "letters, digits and . _ : + @ / - only)"
        )
    if _PARTITION.fullmatch(value):
        return f"'{value}' names a partition; install.device must be a whole disk"
    return None


@dataclass(frozen=True)
class OneOrMany(Type):
    """A string or a list of strings (``mac: X`` or ``mac: [X, Y]``)."""

    item: Scalar = field(default_factory=Scalar)

    def validate(self, node: Node, path: Path, out: list[Diagnostic]) -> None:
        if isinstance(node.value, list):
            ListOf(item=self.item).validate(node, path, out)
        elif isinstance(node.value, dict):
            out.append(
                error("wrong-type", "expected a string or a list, got mapping", path, node.mark)
            )
        else:
            self.item.validate(node, path, out)

    def json_schema(self) -> dict[str, Any]:
        one = self.item.json_schema()
        out: dict[str, Any] = {"anyOf": [one, {"type": "array", "items": one}]}
        if self.doc:
            out["description"] = self.doc
        return out


INSTALL = Obj(
    doc="how the installer ISO (hostiso installer) installs this host",
    fields={
        "device": Scalar(
            kind="string",
            check=check_install_device,
            code="bad-install-device",
            doc="the whole disk to install to; /dev/disk/by-path/... or by-id/... is best",
        ),
        "wipe": Scalar(kind="boolean", doc="overwrite a disk that already has partitions"),
        "match": Obj(
            doc="what identifies this machine (network.mac counts as a MAC)",
            fields={
                "mac": OneOrMany(doc="MAC address(es) of this machine's NICs"),
                "serial": OneOrMany(doc="DMI product serial (/sys/class/dmi/id/product_serial)"),
                "uuid": OneOrMany(doc="DMI system UUID (/sys/class/dmi/id/product_uuid)"),
            },
        ),
    },
)


@dataclass(frozen=True)
class Identifier:
    kind: str  # mac | serial | uuid
    value: str  # normalized
    raw: str
    path: Path


@dataclass(frozen=True)
class InstallSettings:
    device: str | None
    wipe: bool
    identifiers: tuple[Identifier, ...]


def normalize(kind: str, raw: str) -> str:
    if kind == "mac":
        return raw.strip().lower().replace("-", ":")
    if kind == "uuid":
        return raw.strip().lower()
    return raw.strip()


def identifiers(clc: dict[str, Any]) -> list[Identifier]:
    """``install.match`` entries and ``network.mac``, in that order."""
    out: list[Identifier] = []
    section = clc.get("install")
    match = section.get("match") if isinstance(section, dict) else None
    for kind in MATCH_KINDS:
        raw = match.get(kind) if isinstance(match, dict) else None
        items = list(enumerate(raw)) if isinstance(raw, list) else [(None, raw)]
        for i, item in items:
            if isinstance(item, str):
                path: Path = ("install", "match", kind) + (() if i is None else (i,))
                out.append(Identifier(kind, normalize(kind, item), item, path))
    network = clc.get("network")
    mac = network.get("mac") if isinstance(network, dict) else None
    if isinstance(mac, str):
        out.append(Identifier("mac", normalize("mac", mac), mac, ("network", "mac")))
    return out


def install_settings(clc: dict[str, Any]) -> InstallSettings | None:
    """The host's ``install:`` section, or None without one."""
    section = clc.get("install")
    if not isinstance(section, dict):
        return None
    device = section.get("device")
    return InstallSettings(
        device if isinstance(device, str) else None,
        section.get("wipe") is True,
        tuple(identifiers(clc)),
    )
