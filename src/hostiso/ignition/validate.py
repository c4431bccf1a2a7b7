"""Check an emitted Ignition config the way Ignition 2.2/2.3 checks it.

``validate_ignition`` mirrors Ignition's own validator (``config/v2_x/types``
``Validate*`` methods, ``config/validate``): a JSON type error is fatal and
stops there, as Ignition's unmarshal does; an unknown key is a warning; then
every rule Ignition applies to each object, and the whole-config rules.
Severity follows Ignition: errors where it rejects the config, warnings where
it only warns.  A few extra checks catch transpiler bugs that Ignition 2.x
lets through but that break the host (duplicate paths or units, empty link
targets, setuid bits that 2.x silently drops); they are warnings unless the
result cannot work.

Paths are JSON paths in the *output* config: ``("storage", "files", 0, "path")``.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import functools
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, Severity, error, warning

Obj = dict[str, Any]

# --------------------------------------------------------------------------
# Schema tables: object type -> {key: type}.  "string", "int", "bool", an
# object type name, or any of those with "[]" for a list.

_OWNER = {"id": "int", "name": "string"}
_NODE = {
    "filesystem": "string",
    "path": "string",
    "overwrite": "bool",
    "user": "Owner",
    "group": "Owner",
}
_USER_FIELDS = {
    "gecos": "string",
    "groups": "string[]",
    "homeDir": "string",
    "noCreateHome": "bool",
    "noLogInit": "bool",
    "noUserGroup": "bool",
    "primaryGroup": "string",
    "shell": "string",
    "system": "bool",
    "uid": "int",
}

SCHEMA_2_2: dict[str, dict[str, str]] = {
    "Config": {
        "ignition": "Ignition",
        "networkd": "Networkd",
        "passwd": "Passwd",
        "storage": "Storage",
        "systemd": "Systemd",
    },
    "Ignition": {
        "config": "IgnitionConfig",
        "security": "Security",
        "timeouts": "Timeouts",
        "version": "string",
    },
    "IgnitionConfig": {"append": "ConfigReference[]", "replace": "ConfigReference"},
    "ConfigReference": {"source": "string", "verification": "Verification"},
    "Verification": {"hash": "string"},
    "Security": {"tls": "TLS"},
    "TLS": {"certificateAuthorities": "ConfigReference[]"},
    "Timeouts": {"httpResponseHeaders": "int", "httpTotal": "int"},
    "Storage": {
        "directories": "Directory[]",
        "disks": "Disk[]",
        "files": "File[]",
        "filesystems": "Filesystem[]",
        "links": "Link[]",
        "raid": "Raid[]",
    },
    "Disk": {"device": "string", "partitions": "Partition[]", "wipeTable": "bool"},
    "Partition": {
        "guid": "string",
        "label": "string",
        "number": "int",
        "size": "int",
        "start": "int",
        "typeGuid": "string",
    },
    "Raid": {
        "devices": "string[]",
        "level": "string",
        "name": "string",
        "options": "string[]",
        "spares": "int",
    },
    "Filesystem": {"mount": "Mount", "name": "string", "path": "string"},
    "Mount": {
        "create": "Create",
        "device": "string",
        "format": "string",
        "label": "string",
        "options": "string[]",
        "uuid": "string",
        "wipeFilesystem": "bool",
    },
    "Create": {"force": "bool", "options": "string[]"},
    "File": {**_NODE, "append": "bool", "contents": "FileContents", "mode": "int"},
    "FileContents": {"compression": "string", "source": "string", "verification": "Verification"},
    "Owner": _OWNER,
    "Directory": {**_NODE, "mode": "int"},
    "Link": {**_NODE, "hard": "bool", "target": "string"},
    "Systemd": {"units": "Unit[]"},
    "Unit": {
        "contents": "string",
        "dropins": "Dropin[]",
        "enable": "bool",
        "enabled": "bool",
        "mask": "bool",
        "name": "string",
    },
    "Dropin": {"contents": "string", "name": "string"},
    "Networkd": {"units": "NetworkdUnit[]"},
    "NetworkdUnit": {"contents": "string", "dropins": "Dropin[]", "name": "string"},
    "Passwd": {"groups": "Group[]", "users": "User[]"},
    "Group": {"gid": "int", "name": "string", "passwordHash": "string", "system": "bool"},
    "User": {
        **_USER_FIELDS,
        "create": "UserCreate",
        "name": "string",
        "passwordHash": "string",
        "sshAuthorizedKeys": "string[]",
    },
    "UserCreate": _USER_FIELDS,
}
SCHEMA_2_3: dict[str, dict[str, str]] = {
    **SCHEMA_2_2,
    "Partition": {
        **SCHEMA_2_2["Partition"],
        "sizeMiB": "int",
        "startMiB": "int",
        "shouldExist": "bool",
        "wipePartitionEntry": "bool",
    },
}
SCHEMAS: dict[str, dict[str, dict[str, str]]] = {"2.2.0": SCHEMA_2_2, "2.3.0": SCHEMA_2_3}

URL_SCHEMES: dict[str, frozenset[str]] = {
    "2.2.0": frozenset({"http", "https", "tftp", "s3", "data", "oem"}),
    "2.3.0": frozenset({"http", "https", "tftp", "s3", "data", "oem"}),
}
# Ignition 2.x accepts duplicate nodes/units (last one wins); 3.x rejects them.
DUPLICATE_SEVERITY: dict[str, Severity] = {"2.2.0": Severity.WARNING, "2.3.0": Severity.WARNING}

UNIT_SUFFIXES = frozenset(
    {
        ".service",
        ".socket",
        ".device",
        ".mount",
        ".automount",
        ".swap",
        ".target",
        ".path",
        ".timer",
        ".snapshot",
        ".slice",
        ".scope",
    }
)
NETWORKD_SUFFIXES = frozenset({".link", ".netdev", ".network"})
FS_LABEL_MAX = {"ext4": 16, "btrfs": 256, "xfs": 12, "swap": 15, "vfat": 11}
RAID_LEVELS_NO_SPARES = frozenset({"linear", "raid0", "0", "stripe"})
RAID_LEVELS = RAID_LEVELS_NO_SPARES | {
    "raid1",
    "1",
    "mirror",
    "raid4",
    "4",
    "raid5",
    "5",
    "raid6",
    "6",
    "raid10",
    "10",
}

_SCALARS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
}
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
_GUID = re.compile(
    r"^(|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12})$"
)
_HEX = re.compile(r"^[0-9a-fA-F]*$")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]*\]|[^/:\s{}|\\^`\[\]]*)(:\d*)?")


@dataclass
class _Ctx:
    version: str
    schema: Mapping[str, Mapping[str, str]]
    out: list[Diagnostic] = field(default_factory=list)
    objects: list[tuple[str, Obj, Path]] = field(default_factory=list)


def validate_ignition(config: Mapping[str, Any]) -> list[Diagnostic]:
    """Every problem Ignition (spec 2.2.0/2.3.0) would report for ``config``."""
    if not isinstance(config, Mapping):
        return [error("ignition-type", "config must be a JSON object")]
    version = _version_of(config)
    problem = _version_problem(version)
    if problem is not None:
        return [problem]
    assert version is not None
    ctx = _Ctx(version, SCHEMAS[version])
    _check_object(dict(config), "Config", (), ctx)
    if any(d.is_error for d in ctx.out):
        return ctx.out  # Ignition stops at an unmarshal (type) error.
    for typename, obj, path in ctx.objects:
        for rule in _RULES.get(typename, ()):
            ctx.out.extend(rule(obj, path, ctx))
    for whole in _WHOLE_RULES:
        ctx.out.extend(whole(dict(config), ctx))
    return ctx.out


def _version_of(config: Mapping[str, Any]) -> Any:
    ign = config.get("ignition")
    return ign.get("version") if isinstance(ign, Mapping) else None


def _version_problem(version: Any) -> Diagnostic | None:
    where: Path = ("ignition", "version")
    if not isinstance(version, str) or not version:
        return error("ignition-version-missing", "ignition.version is not set", where)
    if version in SCHEMAS:
        return None
    if not _SEMVER.match(version):
        return error(
            "ignition-version-invalid",
            f"invalid config version (couldn't parse): {version!r}",
            where,
        )
    return error(
        "ignition-version-unsupported",
        f"unsupported config version {version!r} (checked: {', '.join(SCHEMAS)})",
        where,
    )


# --------------------------------------------------------------------------
# Structure: JSON types and unknown keys, table-driven.


def _check_value(value: Any, spec: str, path: Path, ctx: _Ctx) -> None:
    if value is None:
        return  # Go's decoder leaves the zero value for null
    if spec.endswith("[]"):
        if not isinstance(value, list):
            ctx.out.append(_type_error(spec, value, path))
            return
        for i, item in enumerate(value):
            _check_value(item, spec[:-2], (*path, i), ctx)
        return
    scalar = _SCALARS.get(spec)
    if scalar is not None:
        if not scalar(value):
            ctx.out.append(_type_error(spec, value, path))
        return
    if not isinstance(value, dict):
        ctx.out.append(_type_error(spec, value, path))
        return
    _check_object(value, spec, path, ctx)


def _check_object(obj: Obj, typename: str, path: Path, ctx: _Ctx) -> None:
    keys = ctx.schema[typename]
    for key, value in obj.items():
        if key in keys:
            _check_value(value, keys[key], (*path, key), ctx)
        else:
            ctx.out.append(_unknown_key(key, keys, (*path, key)))
    ctx.objects.append((typename, obj, path))


def _type_error(spec: str, value: Any, path: Path) -> Diagnostic:
    want = "list" if spec.endswith("[]") else (spec if spec in _SCALARS else "object")
    return error("ignition-type", f"expected {want}, got {type(value).__name__}", path)


def _unknown_key(key: str, known: Iterable[str], path: Path) -> Diagnostic:
    names = list(known)
    hint = [n for n in names if n.lower() == key.lower()] or difflib.get_close_matches(
        key, names, n=1
    )
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    return warning("ignition-unknown-key", f"Config has unrecognized key: {key}{extra}", path)


# --------------------------------------------------------------------------
# Per-object rules.

Rule = Callable[[Obj, Path, _Ctx], Iterable[Diagnostic]]
_RULES: dict[str, list[Rule]] = {}


def _rule(*typenames: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for name in typenames:
            _RULES.setdefault(name, []).append(fn)
        return fn

    return register


def _go_ext(name: str) -> str:
    """Go's ``path.Ext``: the suffix from the last dot of the last element."""
    for i in range(len(name) - 1, -1, -1):
        if name[i] == "/":
            break
        if name[i] == ".":
            return name[i:]
    return ""


def _go_clean(p: str) -> str:
    parts: list[str] = []
    for part in p.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/" + "/".join(parts)


def _abs_path(value: Any, path: Path, what: str) -> Iterator[Diagnostic]:
    p = value if isinstance(value, str) else ""
    if not p.startswith("/"):
        yield error("ignition-path-relative", f"{what}: path not absolute: {p!r}", path)
    elif _go_clean(p) != p:
        yield warning(
            "ignition-path-not-clean",
            f"{what}: path is not fully simplified: {p!r} (clean: {_go_clean(p)!r})",
            path,
        )


@_rule("Timeouts")
def _timeouts(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    for key in ("httpResponseHeaders", "httpTotal"):
        if isinstance(obj.get(key), int) and obj[key] < 0:
            yield error("ignition-timeout-negative", f"{key} must not be negative", (*path, key))


@_rule("ConfigReference")
def _config_reference(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    source = obj.get("source") or ""
    if not source:
        yield error("ignition-required", "source is required", (*path, "source"))
    else:
        yield from _url(source, (*path, "source"), ctx)


@_rule("FileContents")
def _file_contents(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    if (obj.get("compression") or "") not in ("", "gzip"):
        yield error(
            "ignition-compression",
            f"invalid compression method {obj['compression']!r} (only gzip)",
            (*path, "compression"),
        )
    if obj.get("source"):
        yield from _url(obj["source"], (*path, "source"), ctx)


@_rule("Verification")
def _verification(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    value = obj.get("hash")
    if value is None:
        return
    where = (*path, "hash")
    function, sep, digest = value.partition("-")
    if not sep:
        yield error("ignition-hash", f"malformed hash specifier {value!r}", where)
    elif function != "sha512":
        yield error("ignition-hash", f"unrecognized hash function {function!r}", where)
    elif len(digest) != 128:
        yield error(
            "ignition-hash", f"incorrect size for hash sum ({len(digest)}, want 128)", where
        )
    elif not _HEX.match(digest):
        yield error("ignition-hash", "hash sum is not hexadecimal", where)


@_rule("File", "Directory", "Link")
def _node(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    if not obj.get("filesystem"):
        yield error("ignition-filesystem-missing", "no filesystem specified", (*path, "filesystem"))
    yield from _abs_path(obj.get("path"), (*path, "path"), "node")


@_rule("File", "Directory")
def _mode(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    mode = obj.get("mode")
    where = (*path, "mode")
    if mode is None:
        yield warning("ignition-mode-unset", "permissions unset", where)
    elif not 0 <= mode <= 0o7777:
        yield error("ignition-mode-illegal", f"illegal file mode {mode} (0..4095)", where)
    elif mode & 0o7000:
        yield warning(
            "ignition-mode-special-bits",
            f"mode {mode:#o} has setuid/setgid/sticky bits, which Ignition 2.x silently drops",
            where,
        )


@_rule("File")
def _file(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    if obj.get("append") and obj.get("overwrite"):
        yield error(
            "ignition-append-overwrite",
            "cannot set both append and overwrite to true",
            (*path, "append"),
        )


@_rule("Link")
def _link(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    if not obj.get("target"):
        yield error("ignition-required", "link target is required", (*path, "target"))
    if obj.get("hard"):
        for key in ("user", "group"):
            if obj.get(key):
                yield warning(
                    "ignition-hard-link-owner",
                    "user/group of a hard link changes the owner of its target",
                    (*path, key),
                )


@_rule("Owner")
def _owner(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    if obj.get("id") is not None and obj.get("name"):
        yield error("ignition-owner-id-and-name", "cannot set both id and name", path)


@_rule("Unit")
def _unit(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    name = obj.get("name") or ""
    if _go_ext(name) not in UNIT_SUFFIXES:
        yield error(
            "ignition-unit-name", f"invalid systemd unit extension: {name!r}", (*path, "name")
        )
    contents = obj.get("contents") or ""
    sections, problem = parse_unit(contents)
    if problem is not None:
        yield error(
            "ignition-unit-contents", f"invalid unit content: {problem}", (*path, "contents")
        )
    enabled = bool(obj.get("enable")) or obj.get("enabled") is True
    if enabled and contents and problem is None and "Install" not in sections:
        yield warning(
            "ignition-unit-no-install",
            f"unit {name!r} is enabled, but has no install section so enable does nothing",
            (*path, "contents"),
        )


@_rule("NetworkdUnit")
def _networkd_unit(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    name = obj.get("name") or ""
    if _go_ext(name) not in NETWORKD_SUFFIXES:
        yield error(
            "ignition-networkd-name", f"invalid networkd unit extension: {name!r}", (*path, "name")
        )
    yield from _unit_contents(obj, path)


@_rule("Dropin")
def _dropin(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    name = obj.get("name") or ""
    if _go_ext(name) != ".conf":
        yield error(
            "ignition-dropin-name",
            f"invalid drop-in extension: {name!r} (want .conf)",
            (*path, "name"),
        )
    yield from _unit_contents(obj, path)


def _unit_contents(obj: Obj, path: Path) -> Iterator[Diagnostic]:
    _, problem = parse_unit(obj.get("contents") or "")
    if problem is not None:
        yield error(
            "ignition-unit-contents", f"invalid unit content: {problem}", (*path, "contents")
        )


@_rule("Filesystem")
def _filesystem(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    mount, fs_path = obj.get("mount"), obj.get("path")
    if mount is None and fs_path is None:
        yield error("ignition-filesystem-mount-path", "filesystem is missing mount or path", path)
    if mount is not None and fs_path is not None:
        yield error(
            "ignition-filesystem-mount-path", "filesystem has both mount and path defined", path
        )
    if fs_path is not None:
        yield from _abs_path(fs_path, (*path, "path"), "filesystem")
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
def _mount(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    fmt = obj.get("format") or ""
    if fmt not in FS_LABEL_MAX:
        yield error(
            "ignition-filesystem-format", f"invalid filesystem format {fmt!r}", (*path, "format")
        )
    yield from _abs_path(obj.get("device"), (*path, "device"), "device")
    label = obj.get("label")
    if label is not None and fmt in FS_LABEL_MAX and len(label.encode()) > FS_LABEL_MAX[fmt]:
        yield error(
            "ignition-filesystem-label",
            f"filesystem labels cannot be longer than "
            f"{FS_LABEL_MAX[fmt]} characters when using {fmt}",
            (*path, "label"),
        )


@_rule("Raid")
def _raid(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
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
        yield from _abs_path(device, (*path, "devices", i), "raid device")


@_rule("User", "Group")
def _named(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    if not obj.get("name"):
        yield error("ignition-required", "name is required", (*path, "name"))


@_rule("User")
def _user(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    if obj.get("create") is None:
        return
    yield warning(
        "ignition-user-create-deprecated",
        "the create object has been deprecated in favor of user-level options",
        (*path, "create"),
    )
    for key in _USER_FIELDS:
        value = obj.get(key)
        if value is not None and (key == "uid" or value not in ("", False, [])):
            yield error(
                "ignition-user-create-conflict",
                f"cannot use both the create object and the user-level {key} field",
                (*path, key),
            )


@_rule("Partition")
def _partition(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
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
    if obj.get("shouldExist") is False:
        others = ("label", "size", "start", "sizeMiB", "startMiB", "guid", "typeGuid")
        if any(obj.get(k) is not None for k in others):
            yield error(
                "ignition-partition-should-exist",
                "shouldExist specified false with other options also specified",
                (*path, "shouldExist"),
            )
        if not obj.get("number"):
            yield error(
                "ignition-partition-should-exist",
                "shouldExist false needs a non-zero partition number",
                (*path, "number"),
            )


def _sectors(part: Obj, key: str, mib: bool) -> int:
    """A partition's start or size in 512-byte sectors (0 = let sgdisk choose)."""
    if mib and part.get(key + "MiB") is not None:
        return int(part[key + "MiB"]) * 2048
    return int(part.get(key) or 0)


@_rule("Disk")
def _disk(obj: Obj, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    if not obj.get("device"):
        yield error("ignition-disk-device", "disk device is required", (*path, "device"))
    else:
        yield from _abs_path(obj["device"], (*path, "device"), "disk")
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


# --------------------------------------------------------------------------
# Whole-config rules.

_NODE_KINDS = ("files", "directories", "links")


def _storage_list(config: Obj, key: str) -> list[Obj]:
    storage = config.get("storage") or {}
    return [x for x in storage.get(key) or [] if isinstance(x, dict)]


def _filesystem_refs(config: Obj, ctx: _Ctx) -> Iterator[Diagnostic]:
    names = {"root"}
    for i, fs in enumerate(_storage_list(config, "filesystems")):
        name = fs.get("name") or ""
        if name in names:
            yield warning(
                "ignition-filesystem-shadowed",
                f"Filesystem {name!r} shadows existing filesystem definition",
                ("storage", "filesystems", i, "name"),
            )
        names.add(name)
    for kind in _NODE_KINDS:
        for i, node in enumerate(_storage_list(config, kind)):
            fs_name = node.get("filesystem") or ""
            if fs_name and fs_name not in names:
                yield warning(
                    "ignition-filesystem-undefined",
                    f"{node.get('path')!r} references nonexistent filesystem {fs_name!r}",
                    ("storage", kind, i, "filesystem"),
                )


def _paths_through_links(config: Obj, ctx: _Ctx) -> Iterator[Diagnostic]:
    links = [str(link.get("path") or "") for link in _storage_list(config, "links")]
    for kind in _NODE_KINDS:
        for i, node in enumerate(_storage_list(config, kind)):
            node_path = str(node.get("path") or "")
            if any(node_path.startswith(link + "/") for link in links):
                yield error(
                    "ignition-path-through-link",
                    f"{node_path!r} includes a link defined in this config",
                    ("storage", kind, i, "path"),
                )


def _duplicates(config: Obj, ctx: _Ctx) -> Iterator[Diagnostic]:
    severity = DUPLICATE_SEVERITY[ctx.version]
    nodes = [
        ((n.get("filesystem"), _go_clean(str(n.get("path") or ""))), ("storage", k, i))
        for k in _NODE_KINDS
        for i, n in enumerate(_storage_list(config, k))
    ]
    yield from _dups(nodes, severity, "path")
    for section in ("systemd", "networkd"):
        units = [u for u in (config.get(section) or {}).get("units") or [] if isinstance(u, dict)]
        yield from _dups(
            [(u.get("name"), (section, "units", i)) for i, u in enumerate(units)], severity, "name"
        )
        for i, unit in enumerate(units):
            dropins = [d for d in unit.get("dropins") or [] if isinstance(d, dict)]
            yield from _dups(
                [
                    (d.get("name"), (section, "units", i, "dropins", j))
                    for j, d in enumerate(dropins)
                ],
                severity,
                "name",
            )
    for key in ("users", "groups"):
        items = [x for x in (config.get("passwd") or {}).get(key) or [] if isinstance(x, dict)]
        yield from _dups(
            [(x.get("name"), ("passwd", key, i)) for i, x in enumerate(items)], severity, "name"
        )


def _dups(items: Iterable[tuple[Any, Path]], severity: Severity, leaf: str) -> Iterator[Diagnostic]:
    first: dict[Any, Path] = {}
    for key, where in items:
        if key in first:
            yield Diagnostic(
                severity,
                "ignition-duplicate",
                f"{key!r} is already defined at {'.'.join(map(str, first[key]))}",
                (*where, leaf),
            )
        else:
            first[key] = where


_WHOLE_RULES: list[Callable[[Obj, _Ctx], Iterable[Diagnostic]]] = [
    _filesystem_refs,
    _paths_through_links,
    _duplicates,
]


# --------------------------------------------------------------------------
# URLs.


def _url(url: str, path: Path, ctx: _Ctx) -> Iterator[Diagnostic]:
    if _CONTROL.search(url):
        yield error("ignition-url-invalid", "unable to parse url (control character)", path)
        return
    match = _URL_SCHEME.match(url)
    scheme = match.group(1).lower() if match else ""
    if scheme not in URL_SCHEMES[ctx.version]:
        allowed = ", ".join(sorted(URL_SCHEMES[ctx.version]))
        yield error(
            "ignition-url-scheme",
            f"invalid url scheme {scheme!r} in {url[:60]!r} (allowed: {allowed})",
            path,
        )
        return
    if scheme == "data":
        if decode_data_url(url) is None:
            yield error("ignition-data-url", f"invalid data URL {url[:60]!r}", path)
        return
    rest = url[len(scheme) + 1 :]
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    if _BAD_ESCAPE.search(rest) or _BAD_ESCAPE.search(fragment):
        yield error("ignition-url-invalid", f"unable to parse url {url[:60]!r} (bad escape)", path)
    elif rest.startswith("//") and not _HOST_PORT.fullmatch(
        rest[2:].split("/", 1)[0].rpartition("@")[2]
    ):
        yield error(
            "ignition-url-invalid", f"unable to parse url {url[:60]!r} (bad host/port)", path
        )
    if scheme == "s3" and re.search(r"(^|&)versionId=?(&|$)", query):
        yield error("ignition-url-invalid", "invalid S3 object VersionId", path)


# --------------------------------------------------------------------------
# RFC 2397 data URLs, accepted exactly as Ignition's dataurl parser does.

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TSPECIALS = frozenset('()<>@,;:\\"/[]?=')
_URL_UNSAFE = frozenset(' <>#"{}|\\^[]`')
_MEDIA_TYPES = ("text", "image", "audio", "video", "application", "message", "multipart")
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def _is_token(c: str) -> bool:
    return "\x21" <= c <= "\x7e" and c not in _TSPECIALS


def _percent_decode(text: str) -> bytes | None:
    if _BAD_ESCAPE.search(text):
        return None
    return urllib.parse.unquote_to_bytes(text)


def decode_data_url(url: str) -> bytes | None:
    """The bytes of a ``data:[<mediatype>][;base64],<data>`` URL, or None if invalid.

    Media type, parameters (token or quoted values) and ``;base64`` follow
    RFC 2397; non-base64 data must be URL characters with valid ``%XX``
    escapes; base64 data must be canonical padded base64.
    """
    if not url.startswith("data:"):
        return None
    header_end = _scan_header(url, 5)
    if header_end is None:
        return None
    end, is_base64 = header_end
    data = url[end + 1 :]
    if is_base64:
        if not set(data) <= _BASE64_CHARS:
            return None
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return None
    if any(not ("\x20" < c < "\x7f") or c in _URL_UNSAFE for c in data):
        return None
    return _percent_decode(data)


def _scan_header(s: str, i: int) -> tuple[int, bool] | None:
    """Index of the comma that ends the header, and whether ``;base64`` was given."""
    n = len(s)
    if i < n and s[i] not in ";,":
        slash = i
        while slash < n and s[slash] != "/":
            if not _is_token(s[slash]):
                return None
            slash += 1
        top = s[i:slash]
        if slash == n or not (top[:2] in ("x-", "X-") or top.startswith(_MEDIA_TYPES)):
            return None
        i = slash + 1
        while i < n and s[i] not in ";,":
            if not _is_token(s[i]):
                return None
            i += 1
    while i < n and s[i] == ";":
        param = _scan_param(s, i + 1)
        if param is None:
            return None
        i, is_base64 = param
        if is_base64:
            return (i, True) if i < n and s[i] == "," else None
    return (i, False) if i < n and s[i] == "," else None


def _scan_param(s: str, i: int) -> tuple[int, bool] | None:
    """Scan ``attr=value`` (or a bare ``base64``) from ``i``; return the index after it."""
    n, start = len(s), i
    while i < n and s[i] not in "=,":
        if not _is_token(s[i]):
            return None
        i += 1
    if i in (start, n):
        return None
    if s[i] == ",":
        return (i, True) if s[start:i] == "base64" else None
    i += 1
    if i < n and s[i] == '"':
        i += 1
        while i < n and s[i] != '"':
            if not s[i].isascii():
                return None
            i += 2 if s[i] == "\\" else 1
        i += 1
        return (i, False) if i < n and s[i] in ";," else None
    value_start = i
    while i < n and s[i] not in ";,":
        if not _is_token(s[i]):
            return None
        i += 1
    if i in (value_start, n) or _percent_decode(s[value_start:i]) is None:
        return None
    return i, False


# --------------------------------------------------------------------------
# systemd unit syntax, as go-systemd's unit.Deserialize (used by Ignition) reads it.


def parse_unit(text: str) -> tuple[frozenset[str], str | None]:
    """Sections that have at least one option, and the parse error (or None).

    Cached: a fleet repeats the same units on many hosts."""
    return _parse_unit(text)


@functools.lru_cache(maxsize=4096)
def _parse_unit(text: str) -> tuple[frozenset[str], str | None]:
    lexer = _UnitLexer(text)
    try:
        lexer.run()
    except _UnitError as exc:
        return frozenset(lexer.sections), str(exc)
    return frozenset(lexer.sections), None


class _UnitError(Exception):
    pass


class _UnitLexer:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0
        self.sections: set[str] = set()

    def _read(self) -> str:
        if self.pos >= len(self.text):
            return ""
        self.pos += 1
        return self.text[self.pos - 1]

    def _to_eol(self) -> str:
        end = self.text.find("\n", self.pos)
        end = len(self.text) if end < 0 else end + 1
        line, self.pos = self.text[self.pos : end], end
        return line.removesuffix("\r").removesuffix("\n")

    def _skip_comment(self) -> None:
        while self._to_eol().removesuffix(" ").endswith("\\"):
            pass

    def run(self) -> None:
        section: str | None = None
        while True:
            c = self._read()
            if c == "":
                return
            if c == "[":
                section = self._section_name()
            elif c in "#;":
                self._skip_comment()
            elif section is not None and not c.isspace():
                self.pos -= 1
                self._option(section)

    def _section_name(self) -> str:
        end = self.text.find("]", self.pos)
        if end < 0:
            raise _UnitError("unable to find end of section")
        name, self.pos = self.text[self.pos : end], end + 1
        if self._to_eol().strip():
            raise _UnitError(f"found garbage after section name {name}")
        return name

    def _option(self, section: str) -> None:
        while True:
            c = self._read()
            if c == "":
                raise _UnitError("EOF")
            if c in "\r\n":
                raise _UnitError("unexpected newline encountered while parsing option name")
            if c == "=":
                break
        while "\\" in self._to_eol():
            pass
        self.sections.add(section)
