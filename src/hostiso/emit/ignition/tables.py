"""Ignition 2.2/2.3 schema tables and the value sets its rules check against.

Schema tables map an object type to ``{key: type}``: "string", "int", "bool",
an object type name, or any of those with "[]" for a list.
"""

from __future__ import annotations

from hostiso.diagnostics import Severity
from hostiso.util import units

_OWNER = {"id": "int", "name": "string"}
_NODE = {
    "filesystem": "string",
    "path": "string",
    "overwrite": "bool",
    "user": "Owner",
    "group": "Owner",
}
USER_FIELDS = {
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
        **USER_FIELDS,
        "create": "UserCreate",
        "name": "string",
        "passwordHash": "string",
        "sshAuthorizedKeys": "string[]",
    },
    "UserCreate": USER_FIELDS,
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

# Ignition checks membership only, so sets; the names themselves live in hostiso.util.units.
UNIT_SUFFIXES = frozenset(units.UNIT_SUFFIXES)
NETWORKD_SUFFIXES = frozenset(units.NETWORKD_SUFFIXES)
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
