"""A libvirt domain's boot order with one CD drive first, as domain XML.

libvirt has two ways to say the order, and refuses a domain that mixes them:
``<os><boot dev='hd'/><boot dev='cdrom'/></os>`` (by kind of device), or
``<boot order='N'/>`` inside each device.  :func:`cd_first` rewrites either
into per-device order with the given CD drive at 1 and every device that
could boot before keeping its relative order after it:

* per-device orders already there: kept, shifted after the CD;
* ``<os><boot dev=...>``: ``hd`` is the disks, ``cdrom`` the other CD drives,
  ``network`` the interfaces, ``fd`` the floppies, in the order written;
* neither: libvirt's default, ``hd``.

libvirt has no one-time boot order: the CD stays first until it is changed,
and a CD drive left empty (``hostiso attach --eject``) is skipped by the
firmware, so the disk boots next.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

BOOTABLE = ("disk", "interface", "hostdev", "redirdev")
"""Device elements that may carry ``<boot order=...>``."""


class BootOrderError(ValueError):
    """The domain XML cannot be rewritten (no such CD drive)."""


def cd_first(domain_xml: str, target: str) -> str:
    """*domain_xml* with the CD drive *target* (``hdc``, ``sdb``) first to boot."""
    root = ET.fromstring(domain_xml)
    devices = root.find("devices")
    if devices is None:
        raise BootOrderError("the domain has no <devices>")
    cd = find_disk(devices, target)
    if cd is None:
        raise BootOrderError(f"the domain has no disk with target {target}")
    rest = [d for d in _previous_order(root, devices) if d is not cd]
    _clear(root, devices)
    for number, device in enumerate([cd, *rest], start=1):
        ET.SubElement(device, "boot", {"order": str(number)})
    return ET.tostring(root, encoding="unicode")


def boot_order(domain_xml: str) -> list[str]:
    """The per-device boot order, as disk targets (or device tags): for tests and output."""
    root = ET.fromstring(domain_xml)
    devices = root.find("devices")
    found = [(_order(d), _name(d)) for d in devices or [] if _order(d) is not None]
    return [name for _, name in sorted(found, key=lambda item: item[0] or 0)]


def find_disk(devices: ET.Element, target: str) -> ET.Element | None:
    for disk in devices.findall("disk"):
        node = disk.find("target")
        if node is not None and node.get("dev") == target:
            return disk
    return None


def _previous_order(root: ET.Element, devices: ET.Element) -> list[ET.Element]:
    ordered = [d for d in devices if d.tag in BOOTABLE and _order(d) is not None]
    if ordered:
        return sorted(ordered, key=lambda d: _order(d) or 0)
    os_node = root.find("os")
    kinds = [b.get("dev", "") for b in os_node.findall("boot")] if os_node is not None else []
    out: list[ET.Element] = []
    for kind in kinds or ["hd"]:
        out += [d for d in devices if _kind(d) == kind]
    return out


def _kind(device: ET.Element) -> str | None:
    if device.tag == "interface":
        return "network"
    if device.tag == "disk":
        return {"disk": "hd", "cdrom": "cdrom", "floppy": "fd"}.get(device.get("device", "disk"))
    return None


def _order(device: ET.Element) -> int | None:
    node = device.find("boot")
    value = node.get("order") if node is not None else None
    return int(value) if value is not None and value.isdigit() else None


def _name(device: ET.Element) -> str:
    target = device.find("target")
    return target.get("dev", device.tag) if target is not None else device.tag


def _clear(root: ET.Element, devices: ET.Element) -> None:
    os_node = root.find("os")
    for parent in [os_node, *devices] if os_node is not None else list(devices):
        for boot in parent.findall("boot"):
            parent.remove(boot)
