"""Ignition spec 3.3.0, 3.4.0 and 3.5.0: the schema tables and value sets.

Tables map an object type to ``{key: type}`` as in ``emit.ignition.tables``
("string", "int", "bool", a type name, any of them with "[]" for a list),
from coreos/ignition ``config/v3_x/types/schema.go``.  3.4.0 adds
``luks.discard``, ``luks.openOptions`` and ``tang.advertisement`` (and AWS
``arn:`` URLs); 3.5.0 adds ``luks.cex``.
"""

from __future__ import annotations

_NODE = {"group": "NodeGroup", "overwrite": "bool", "path": "string", "user": "NodeUser"}
_OWNER = {"id": "int", "name": "string"}

SCHEMA_3_3: dict[str, dict[str, str]] = {
    "Config": {
        "ignition": "Ignition",
        "kernelArguments": "KernelArguments",
        "passwd": "Passwd",
        "storage": "Storage",
        "systemd": "Systemd",
    },
    "Ignition": {
        "config": "IgnitionConfig",
        "proxy": "Proxy",
        "security": "Security",
        "timeouts": "Timeouts",
        "version": "string",
    },
    "IgnitionConfig": {"merge": "Resource[]", "replace": "Resource"},
    "Proxy": {"httpProxy": "string", "httpsProxy": "string", "noProxy": "string[]"},
    "Security": {"tls": "TLS"},
    "TLS": {"certificateAuthorities": "Resource[]"},
    "Timeouts": {"httpResponseHeaders": "int", "httpTotal": "int"},
    "Resource": {
        "compression": "string",
        "httpHeaders": "HTTPHeader[]",
        "source": "string",
        "verification": "Verification",
    },
    "HTTPHeader": {"name": "string", "value": "string"},
    "Verification": {"hash": "string"},
    "KernelArguments": {"shouldExist": "string[]", "shouldNotExist": "string[]"},
    "Passwd": {"groups": "PasswdGroup[]", "users": "PasswdUser[]"},
    "PasswdGroup": {
        "gid": "int",
        "name": "string",
        "passwordHash": "string",
        "shouldExist": "bool",
        "system": "bool",
    },
    "PasswdUser": {
        "gecos": "string",
        "groups": "string[]",
        "homeDir": "string",
        "name": "string",
        "noCreateHome": "bool",
        "noLogInit": "bool",
        "noUserGroup": "bool",
        "passwordHash": "string",
        "primaryGroup": "string",
        "sshAuthorizedKeys": "string[]",
        "shell": "string",
        "shouldExist": "bool",
        "system": "bool",
        "uid": "int",
    },
    "Storage": {
        "directories": "Directory[]",
        "disks": "Disk[]",
        "files": "File[]",
        "filesystems": "Filesystem[]",
        "links": "Link[]",
        "luks": "Luks[]",
        "raid": "Raid[]",
    },
    "Directory": {**_NODE, "mode": "int"},
    "File": {**_NODE, "append": "Resource[]", "contents": "Resource", "mode": "int"},
    "Link": {**_NODE, "hard": "bool", "target": "string"},
    "NodeUser": _OWNER,
    "NodeGroup": _OWNER,
    "Disk": {"device": "string", "partitions": "Partition[]", "wipeTable": "bool"},
    "Partition": {
        "guid": "string",
        "label": "string",
        "number": "int",
        "resize": "bool",
        "shouldExist": "bool",
        "sizeMiB": "int",
        "startMiB": "int",
        "typeGuid": "string",
        "wipePartitionEntry": "bool",
    },
    "Filesystem": {
        "device": "string",
        "format": "string",
        "label": "string",
        "mountOptions": "string[]",
        "options": "string[]",
        "path": "string",
        "uuid": "string",
        "wipeFilesystem": "bool",
    },
    "Raid": {
        "devices": "string[]",
        "level": "string",
        "name": "string",
        "options": "string[]",
        "spares": "int",
    },
    "Luks": {
        "clevis": "Clevis",
        "device": "string",
        "keyFile": "Resource",
        "label": "string",
        "name": "string",
        "options": "string[]",
        "uuid": "string",
        "wipeVolume": "bool",
    },
    "Clevis": {"custom": "ClevisCustom", "tang": "Tang[]", "threshold": "int", "tpm2": "bool"},
    "ClevisCustom": {"config": "string", "needsNetwork": "bool", "pin": "string"},
    "Tang": {"thumbprint": "string", "url": "string"},
    "Systemd": {"units": "Unit[]"},
    "Unit": {
        "contents": "string",
        "dropins": "Dropin[]",
        "enabled": "bool",
        "mask": "bool",
        "name": "string",
    },
    "Dropin": {"contents": "string", "name": "string"},
}
SCHEMA_3_4: dict[str, dict[str, str]] = {
    **SCHEMA_3_3,
    "Luks": {**SCHEMA_3_3["Luks"], "discard": "bool", "openOptions": "string[]"},
    "Tang": {**SCHEMA_3_3["Tang"], "advertisement": "string"},
}
SCHEMA_3_5: dict[str, dict[str, str]] = {
    **SCHEMA_3_4,
    "Luks": {**SCHEMA_3_4["Luks"], "cex": "Cex"},
    "Cex": {"enabled": "bool"},
}
SCHEMAS: dict[str, dict[str, dict[str, str]]] = {
    "3.3.0": SCHEMA_3_3,
    "3.4.0": SCHEMA_3_4,
    "3.5.0": SCHEMA_3_5,
}

# Flatcar's Ignition also reads oem:// in every 3.x spec (its patches
# "Partially revert drop OEM URI support" and "Support oem schema in newer
# config spec versions"); upstream's ignition-validate does not.
URL_SCHEMES: dict[str, frozenset[str]] = {
    "3.3.0": frozenset({"http", "https", "tftp", "gs", "s3", "data", "oem"}),
    "3.4.0": frozenset({"http", "https", "tftp", "gs", "s3", "arn", "data", "oem"}),
    "3.5.0": frozenset({"http", "https", "tftp", "gs", "s3", "arn", "data", "oem"}),
}

FILESYSTEM_FORMATS = frozenset({"ext4", "btrfs", "xfs", "swap", "vfat", "none"})
LUKS_LABEL_MAX = 47
CLEVIS_PINS = frozenset({"tpm2", "tang", "sss"})

DUPLICATE_IGNORED: dict[str, frozenset[str]] = {
    # Ignition's IgnoreDuplicates: lists whose entries may repeat.
    "File": frozenset({"append"}),
    "Filesystem": frozenset({"options", "mountOptions"}),
    "Luks": frozenset({"options"}),
    "Raid": frozenset({"options"}),
}
DUPLICATE_MERGED: dict[str, dict[str, str]] = {
    # Ignition's MergedKeys: lists checked together as one.
    "Storage": {"directories": "Node", "files": "Node", "links": "Node"},
    "KernelArguments": {"shouldExist": "KernelArgument", "shouldNotExist": "KernelArgument"},
}
