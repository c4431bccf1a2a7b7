"""Per-object rules for storage devices: filesystems, mounts, RAID, disks, partitions."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hostiso.diagnostics import Diagnostic, Path, error, warning
from hostiso.emit.ignition.rules import abs_path
from hostiso.emit.ignition.structure import Ctx, Obj, RuleTable, registrar
from hostiso.emit.ignition.tables import FS_LABEL_MAX, RAID_LEVELS, RAID_LEVELS_NO_SPARES

RULES: RuleTable = {}
_rule = registrar(RULES)

_GUID = re.compile(
    r"^(|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12})$"
)


@_rule("Filesystem")
def _filesystem(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    mount, fs_path = obj.get("mount"), obj.get("path")
    if mount is None and fs_path is None:
        yield error("ignition-filesystem-mount-path", "filesystem is missing mount or path", path)
    if mount is not None and fs_path is not None:
        yield error(
            "ignition-filesystem-mount-path", "filesystem has both mount and path defined", path
        )
    if fs_path is not None:
        yield from abs_path(fs_path, (*path, "path"), "filesystem")
    if mount is not None and mount.get("create") is not None:
        where = (*path, "mount", "create")
        yield warning(
            "ignition-create-deprecated",
            "the create object has been deprecated in favor of mount-level options",
            where,
        )
        if mount.get("wipeFilesystem"):
            yield error(
                "ignition-create-conflict",
                "cannot use both create object and wipeFilesystem field",
                where,
            )
        if mount.get("options"):
            yield error(
                "ignition-create-conflict",
                "cannot use both create object and mount-level options field",
                where,
            )


@_rule("Mount")
def _mount(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    fmt = obj.get("format") or ""
    if fmt not in FS_LABEL_MAX:
        yield error(
            "ignition-filesystem-format", f"invalid filesystem format {fmt!r}", (*path, "format")
        )
    yield from abs_path(obj.get("device"), (*path, "device"), "device")
    label = obj.get("label")
    if label is not None and fmt in FS_LABEL_MAX and len(label.encode()) > FS_LABEL_MAX[fmt]:
        yield error(
            "ignition-filesystem-label",
            f"filesystem labels cannot be longer than "
            f"{FS_LABEL_MAX[fmt]} characters when using {fmt}",
            (*path, "label"),
        )


@_rule("Raid")
def _raid(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if not obj.get("name"):
        yield error("ignition-required", "raid name is required", (*path, "name"))
    level = obj.get("level") or ""
    if level not in RAID_LEVELS:
        yield error("ignition-raid-level", f"unrecognized raid level {level!r}", (*path, "level"))
    elif level in RAID_LEVELS_NO_SPARES and obj.get("spares"):
        yield error(
            "ignition-raid-spares",
            "spares unsupported for arrays with a level greater than 0",
            (*path, "spares"),
        )
    devices = obj.get("devices") or []
    if not devices:
        yield error("ignition-required", "raid devices are required", (*path, "devices"))
    for i, device in enumerate(devices):
        yield from abs_path(device, (*path, "devices", i), "raid device")


@_rule("Partition")
def _partition(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    label = obj.get("label")
    if label is not None and len(label.encode()) > 36:
        yield error(
            "ignition-partition-label",
            "partition labels may not exceed 36 characters",
            (*path, "label"),
        )
    elif label is not None and ":" in label:
        yield warning(
            "ignition-partition-label",
            "partition label will be truncated to text before the colon",
            (*path, "label"),
        )
    for key in ("guid", "typeGuid"):
        if not _GUID.match(obj.get(key) or ""):
            yield error(
                "ignition-guid",
                'doesn\'t match the form "01234567-89AB-CDEF-EDCB-A98765432101"',
                (*path, key),
            )
    if ctx.version == "2.3.0":
        yield from _partition_2_3(obj, path)


def _partition_2_3(obj: Obj, path: Path) -> Iterator[Diagnostic]:
    for key, new in (("size", "sizeMiB"), ("start", "startMiB")):
        if obj.get(key) is not None:
            yield warning(
                "ignition-partition-deprecated",
                f"{key} is deprecated; use {new} instead",
                (*path, key),
            )
    # Ignition looks at these five only (sizeMiB/startMiB may be given), and
    # an empty typeGuid/guid counts as unset; a zero number is a disk check.
    if obj.get("shouldExist") is False and (
        obj.get("label") is not None
        or obj.get("start") is not None
        or obj.get("size") is not None
        or obj.get("guid")
        or obj.get("typeGuid")
    ):
        yield error(
            "ignition-partition-should-exist",
            "shouldExist specified false with other options also specified",
            (*path, "shouldExist"),
        )


def _sectors(part: Obj, key: str, mib: bool) -> int:
    """A partition's start or size in 512-byte sectors (0 = let sgdisk choose)."""
    if mib and part.get(key + "MiB") is not None:
        return int(part[key + "MiB"]) * 2048
    return int(part.get(key) or 0)


@_rule("Disk")
def _disk(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if not obj.get("device"):
        yield error("ignition-disk-device", "disk device is required", (*path, "device"))
    else:
        yield from abs_path(obj["device"], (*path, "device"), "disk")
    parts: list[Obj] = [p for p in obj.get("partitions") or [] if isinstance(p, dict)]
    where = (*path, "partitions")
    seen: set[int] = set()
    for i, part in enumerate(parts):
        number = part.get("number") or 0
        if number and number in seen:
            yield error(
                "ignition-partition-number", "partition numbers collide", (*where, i, "number")
            )
        seen.add(number)
        if (part.get("start") or 0) % 2048:
            yield error(
                "ignition-partition-misaligned",
                "partitions misaligned (start is not a multiple of 2048 sectors)",
                (*where, i, "start"),
            )
    mib = "sizeMiB" in ctx.schema["Partition"]
    units = {
        ("MiB" if k.endswith("MiB") else "sectors")
        for p in parts
        for k in ("size", "start", "sizeMiB", "startMiB")
        if p.get(k) is not None
    }
    if mib and len(units) > 1:
        yield error("ignition-partition-units", "cannot mix MiBs and sectors within a disk", where)
    if (
        mib
        and any(p.get("shouldExist") is False for p in parts)
        and any(not p.get("number") for p in parts)
    ):
        yield error(
            "ignition-partition-should-exist",
            "shouldExist is false for a partition and other partition(s) have number 0 "
            "(every partition on this disk needs an explicit number)",
            where,
        )
    for j in _overlapping(parts, mib):
        yield error("ignition-partition-overlap", "partitions overlap", (*where, j))


def _overlapping(parts: list[Obj], mib: bool) -> Iterator[int]:
    """Index of each partition that overlaps an earlier one (explicit starts only)."""
    spans = [
        (_sectors(p, "start", mib), _sectors(p, "start", mib) + _sectors(p, "size", mib))
        for p in parts
    ]
    for j, (start, end) in enumerate(spans):
        if start and any(
            o_start and (o_start <= start < o_end or start <= o_start < end)
            for o_start, o_end in spans[:j]
        ):
            yield j
