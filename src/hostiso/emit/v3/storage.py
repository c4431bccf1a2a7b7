"""Spec 3 rules for storage devices: disks, partitions, filesystems, RAID."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hostiso.diagnostics import Diagnostic, Path, error, warning
from hostiso.emit.ignition.structure import Ctx, Obj, RuleTable, registrar
from hostiso.emit.ignition.tables import FS_LABEL_MAX, RAID_LEVELS, RAID_LEVELS_NO_SPARES
from hostiso.emit.v3.rules import check_path
from hostiso.emit.v3.tables import FILESYSTEM_FORMATS

RULES: RuleTable = {}
_rule = registrar(RULES)
_GUID = re.compile(
    r"^(|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)


@_rule("Disk")
def _disk(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if not obj.get("device"):
        yield error("ignition-disk-device", "disk device is required", (*path, "device"))
        return
    yield from check_path(obj["device"], (*path, "device"), "disk")
    parts: list[Obj] = list(obj.get("partitions") or [])
    where = (*path, "partitions")
    numbers = [p.get("number") or 0 for p in parts]
    for i, number in enumerate(numbers):
        if number and number in numbers[:i]:
            yield error("ignition-partition-number", "partition numbers collide", (*where, i))
            break
    for j in _overlapping(parts):
        yield error("ignition-partition-overlap", "partitions overlap", (*where, j))
        break
    labels = [p.get("label") for p in parts]
    for i, label in enumerate(labels):
        if label is not None and label in labels[:i]:
            yield error(
                "ignition-partition-label", "cannot use the same partition label twice", (*where, i)
            )
            break


def _end(part: Obj) -> int:
    size, start = int(part["sizeMiB"]), int(part["startMiB"])
    return start if size == 0 else start + size - 1


def _overlapping(parts: list[Obj]) -> Iterator[int]:
    """Ignition's ``partitionsOverlap``: explicit start (not 0) and size only."""
    sized = [p for p in parts if p.get("sizeMiB") is not None and p.get("startMiB")]
    for p in sized:
        for i, o in enumerate(parts):
            if o is p or o not in sized:
                continue
            ps, os_ = int(p["startMiB"]), int(o["startMiB"])
            if (
                os_ <= ps <= _end(o)
                or os_ <= _end(p) <= _end(o)
                or (ps < os_ and _end(p) > _end(o))
            ):
                yield i


@_rule("Partition")
def _partition(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    others = ("label", "startMiB", "sizeMiB")
    if obj.get("shouldExist") is False and (
        any(obj.get(k) is not None for k in others) or obj.get("typeGuid") or obj.get("guid")
    ):
        yield error(
            "ignition-partition-should-exist",
            "shouldExist specified false with other options also specified",
            path,
        )
    if not obj.get("number") and obj.get("label") is None:
        yield error(
            "ignition-partition-number",
            "a partition number >= 1 or a label must be specified",
            path,
        )
    yield from _partition_label(obj.get("label"), (*path, "label"))
    for key in ("guid", "typeGuid"):
        if obj.get(key) is not None and not _GUID.match(obj[key]):
            yield error(
                "ignition-guid",
                'doesn\'t match the form "01234567-89AB-CDEF-EDCB-A98765432101"',
                (*path, key),
            )


def _partition_label(label: str | None, where: Path) -> Iterator[Diagnostic]:
    if label is not None and len(label.encode()) > 36:
        yield error(
            "ignition-partition-label", "partition labels may not exceed 36 characters", where
        )
    elif label is not None and ":" in label:
        yield error(
            "ignition-partition-label",
            "partition label will be truncated to text before the colon",
            where,
        )


@_rule("Filesystem")
def _filesystem(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if obj.get("path"):
        yield from check_path(obj["path"], (*path, "path"), "filesystem")
    yield from check_path(obj.get("device"), (*path, "device"), "filesystem device")
    fmt = obj.get("format") or ""
    others = ("path", "label", "uuid", "wipeFilesystem", "mountOptions", "options")
    if not fmt and any(obj.get(k) for k in others):
        yield error(
            "ignition-filesystem-format",
            "format cannot be empty when path, label, uuid, wipeFilesystem, options, "
            "or mountOptions is specified",
            (*path, "format"),
        )
    elif fmt and fmt not in FILESYSTEM_FORMATS:
        yield error("ignition-filesystem-format", "invalid filesystem format", (*path, "format"))
    yield from _filesystem_label(obj.get("label") or "", fmt, (*path, "label"))


def _filesystem_label(label: str, fmt: str, where: Path) -> Iterator[Diagnostic]:
    if label and not fmt:
        yield error(
            "ignition-filesystem-label",
            "filesystem must specify format if label is specified",
            where,
        )
    elif label and len(label) > FS_LABEL_MAX.get(fmt, len(label)):
        yield error(
            "ignition-filesystem-label",
            f"filesystem labels cannot be longer than {FS_LABEL_MAX[fmt]} characters "
            f"when using {fmt}",
            where,
        )


@_rule("Raid")
def _raid(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    level = obj.get("level") or ""
    if not level:
        yield error("ignition-raid-level", "raid level is required", (*path, "level"))
    elif level not in RAID_LEVELS:
        yield error("ignition-raid-level", "unrecognized raid level", (*path, "level"))
    elif level in RAID_LEVELS_NO_SPARES and obj.get("spares"):
        yield error(
            "ignition-raid-spares",
            "spares unsupported for linear and raid0 arrays",
            (*path, "level"),
        )
    devices = obj.get("devices") or []
    if not devices:
        yield error("ignition-required", "raid devices required", (*path, "devices"))
    for i, device in enumerate(devices):
        yield from check_path(device, (*path, "devices", i), "raid device")


def filesystem_warnings(storage: Obj, path: Path) -> Iterator[Diagnostic]:
    """A filesystem on a whole disk that is partitioned or wiped (Ignition warns)."""
    disks = {d.get("device"): d for d in storage.get("disks") or []}
    for i, fs in enumerate(storage.get("filesystems") or []):
        disk = disks.get(fs.get("device"))
        where = (*path, "filesystems", i, "device")
        if disk is not None and disk.get("partitions"):
            yield warning("ignition-filesystem", "filesystem overwrites partitioned device", where)
        elif disk is not None and disk.get("wipeTable") and not fs.get("wipeFilesystem"):
            yield warning(
                "ignition-filesystem",
                "device matches disk with wipeTable enabled; filesystem will be wiped",
                where,
            )
