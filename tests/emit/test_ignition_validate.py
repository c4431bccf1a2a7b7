"""Table-driven tests of the Ignition 2.2/2.3 validator."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from hostiso.diagnostics import Severity
from hostiso.emit.ignition.validate import decode_data_url, parse_unit, validate_ignition

E, W = Severity.ERROR, Severity.WARNING
SHA = "sha512-" + "0" * 128
UNIT = (
    "[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/true\n\n"
    "[Install]\nWantedBy=multi-user.target\n"
)


def full_config(version: str = "2.3.0") -> dict[str, Any]:
    """A valid config touching every section, shaped like ct output."""
    part: dict[str, Any] = {
        "label": "DATA",
        "number": 1,
        "sizeMiB": 1024,
        "startMiB": 0,
        "typeGuid": "0fc63daf-8483-4772-8e79-3d69d8477de4",
    }
    if version == "2.2.0":
        part = {
            "label": "DATA",
            "number": 1,
            "size": 2097152,
            "start": 2048,
            "typeGuid": "0fc63daf-8483-4772-8e79-3d69d8477de4",
        }
    return {
        "ignition": {
            "config": {
                "append": [{"source": "https://example.com/a.ign", "verification": {"hash": SHA}}]
            },
            "security": {
                "tls": {
                    "certificateAuthorities": [
                        {"source": "data:,-----BEGIN%20CERTIFICATE-----%0A", "verification": {}}
                    ]
                }
            },
            "timeouts": {"httpResponseHeaders": 10, "httpTotal": 30},
            "version": version,
        },
        "networkd": {
            "units": [
                {
                    "contents": "[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n",
                    "dropins": [{"contents": "[Network]\nDNS=10.0.0.1\n", "name": "dns.conf"}],
                    "name": "00-eth0.network",
                }
            ]
        },
        "passwd": {
            "groups": [{"gid": 1500, "name": "ops"}],
            "users": [
                {"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA core@x"]},
                {
                    "groups": ["ops"],
                    "homeDir": "/home/ops",
                    "name": "ops",
                    "passwordHash": "$6$abc$def",
                    "shell": "/bin/bash",
                    "uid": 1500,
                },
            ],
        },
        "storage": {
            "directories": [{"filesystem": "root", "path": "/opt/bin", "mode": 493}],
            "disks": [{"device": "/dev/sdb", "partitions": [part], "wipeTable": True}],
            "files": [
                {
                    "filesystem": "root",
                    "path": "/etc/hostname",
                    "contents": {"source": "data:,node1%0A", "verification": {}},
                    "mode": 420,
                },
                {
                    "filesystem": "data",
                    "group": {"name": "ops"},
                    "overwrite": True,
                    "path": "/srv/x.gz",
                    "user": {"id": 1500},
                    "contents": {
                        "compression": "gzip",
                        "source": "http://example.com:8080/x.gz",
                        "verification": {"hash": SHA},
                    },
                    "mode": 384,
                },
                {
                    "append": True,
                    "filesystem": "root",
                    "path": "/etc/motd",
                    "contents": {
                        "source": "data:text/plain;charset=utf-8;base64,aGk=",
                        "verification": {},
                    },
                    "mode": 420,
                },
            ],
            "filesystems": [
                {
                    "mount": {
                        "device": "/dev/disk/by-partlabel/DATA",
                        "format": "ext4",
                        "label": "DATA",
                        "wipeFilesystem": True,
                    },
                    "name": "data",
                },
                {"name": "sysroot", "path": "/sysroot"},
            ],
            "links": [
                {
                    "filesystem": "root",
                    "path": "/etc/localtime",
                    "target": "/usr/share/zoneinfo/UTC",
                },
                {
                    "filesystem": "root",
                    "hard": True,
                    "path": "/opt/bin/h",
                    "target": "/opt/bin/real",
                },
            ],
            "raid": [
                {"devices": ["/dev/sdc", "/dev/sdd"], "level": "raid1", "name": "md0", "spares": 1}
            ],
        },
        "systemd": {
            "units": [
                {"contents": UNIT, "enabled": True, "name": "app.service"},
                {
                    "dropins": [{"contents": "[Service]\nEnvironment=A=1\n", "name": "10-a.conf"}],
                    "name": "docker.service",
                },
                {"mask": True, "name": "update-engine.service"},
            ]
        },
    }


@pytest.mark.parametrize("version", ["2.2.0", "2.3.0"])
def test_full_config_is_clean(version: str) -> None:
    assert validate_ignition(full_config(version)) == []


def test_ct_empty_skeleton_is_clean() -> None:
    skeleton = {
        "ignition": {"config": {}, "security": {"tls": {}}, "timeouts": {}, "version": "2.3.0"},
        "networkd": {},
        "passwd": {},
        "storage": {},
        "systemd": {},
    }
    assert validate_ignition(skeleton) == []


def at(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets (or, with value DELETE, removes) the item at path."""

    def mutate(cfg: dict[str, Any]) -> None:
        target: Any = cfg
        for part in path[:-1]:
            target = target[part]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


def append(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(cfg: dict[str, Any]) -> None:
        target: Any = cfg
        for part in path:
            target = target[part]
        target.append(copy.deepcopy(value))

    return mutate


DELETE = object()
F0 = ("storage", "files", 0)
U0 = ("systemd", "units", 0)
P0 = ("storage", "disks", 0, "partitions", 0)
MOUNT = ("storage", "filesystems", 0, "mount")

# (id, mutations, expected [(severity, code, path)], version)
CASES: list[
    tuple[
        str,
        list[Callable[[dict[str, Any]], None]],
        list[tuple[Severity, str, tuple[Any, ...]]],
        str,
    ]
] = [
    (
        "version-missing",
        [at(("ignition", "version"), DELETE)],
        [(E, "ignition-version-missing", ("ignition", "version"))],
        "2.3.0",
    ),
    (
        "version-garbage",
        [at(("ignition", "version"), "2.3")],
        [(E, "ignition-version-invalid", ("ignition", "version"))],
        "2.3.0",
    ),
    (
        "version-other",
        [at(("ignition", "version"), "3.0.0")],
        [(E, "ignition-version-unsupported", ("ignition", "version"))],
        "2.3.0",
    ),
    (
        "unknown-key",
        [at((*F0, "mdoe"), 420)],
        [(W, "ignition-unknown-key", (*F0, "mdoe"))],
        "2.3.0",
    ),
    ("unknown-top", [at(("etcd",), {})], [(W, "ignition-unknown-key", ("etcd",))], "2.3.0"),
    (
        "sizeMiB-in-2.2",
        [at((*P0, "sizeMiB"), 10)],
        [(W, "ignition-unknown-key", (*P0, "sizeMiB"))],
        "2.2.0",
    ),
    (
        "type-mode-string",
        [at((*F0, "mode"), "0644"), at((*F0, "path"), "rel")],
        [(E, "ignition-type", (*F0, "mode"))],
        "2.3.0",
    ),
    ("type-mode-float", [at((*F0, "mode"), 420.0)], [(E, "ignition-type", (*F0, "mode"))], "2.3.0"),
    (
        "type-bool",
        [at(("storage", "links", 1, "hard"), 1)],
        [(E, "ignition-type", ("storage", "links", 1, "hard"))],
        "2.3.0",
    ),
    (
        "type-list",
        [at(("passwd", "users", 0, "sshAuthorizedKeys"), "ssh-ed25519 A")],
        [(E, "ignition-type", ("passwd", "users", 0, "sshAuthorizedKeys"))],
        "2.3.0",
    ),
    (
        "path-relative",
        [at((*F0, "path"), "etc/hostname")],
        [(E, "ignition-path-relative", (*F0, "path"))],
        "2.3.0",
    ),
    (
        "path-dirty",
        [at((*F0, "path"), "/etc//hostname")],
        [(W, "ignition-path-not-clean", (*F0, "path"))],
        "2.3.0",
    ),
    (
        "no-filesystem",
        [at((*F0, "filesystem"), "")],
        [(E, "ignition-filesystem-missing", (*F0, "filesystem"))],
        "2.3.0",
    ),
    (
        "undefined-filesystem",
        [at(("storage", "directories", 0, "filesystem"), "nope")],
        [(W, "ignition-filesystem-undefined", ("storage", "directories", 0, "filesystem"))],
        "2.3.0",
    ),
    (
        "shadowed-filesystem",
        [append(("storage", "filesystems"), {"name": "root", "path": "/sysroot"})],
        [(W, "ignition-filesystem-shadowed", ("storage", "filesystems", 2, "name"))],
        "2.3.0",
    ),
    (
        "mode-too-big",
        [at((*F0, "mode"), 4096)],
        [(E, "ignition-mode-illegal", (*F0, "mode"))],
        "2.3.0",
    ),
    (
        "mode-negative",
        [at((*F0, "mode"), -1)],
        [(E, "ignition-mode-illegal", (*F0, "mode"))],
        "2.3.0",
    ),
    (
        "mode-setuid",
        [at((*F0, "mode"), 0o4755)],
        [(W, "ignition-mode-special-bits", (*F0, "mode"))],
        "2.3.0",
    ),
    (
        "mode-unset",
        [at(("storage", "directories", 0, "mode"), DELETE)],
        [(W, "ignition-mode-unset", ("storage", "directories", 0, "mode"))],
        "2.3.0",
    ),
    (
        "scheme",
        [at((*F0, "contents", "source"), "ftp://example.com/x")],
        [(E, "ignition-url-scheme", (*F0, "contents", "source"))],
        "2.3.0",
    ),
    (
        "no-scheme",
        [at((*F0, "contents", "source"), "/etc/x")],
        [(E, "ignition-url-scheme", (*F0, "contents", "source"))],
        "2.3.0",
    ),
    (
        "data-url-space",
        [at((*F0, "contents", "source"), "data:,a b")],
        [(E, "ignition-data-url", (*F0, "contents", "source"))],
        "2.3.0",
    ),
    (
        "data-url-escape",
        [at((*F0, "contents", "source"), "data:,50%")],
        [(E, "ignition-data-url", (*F0, "contents", "source"))],
        "2.3.0",
    ),
    (
        "data-url-base64",
        [at((*F0, "contents", "source"), "data:;base64,aGk")],
        [(E, "ignition-data-url", (*F0, "contents", "source"))],
        "2.3.0",
    ),
    (
        "url-host",
        [at((*F0, "contents", "source"), "http://exa mple.com/x")],
        [(E, "ignition-url-invalid", (*F0, "contents", "source"))],
        "2.3.0",
    ),
    (
        "url-port",
        [at((*F0, "contents", "source"), "http://example.com:http/x")],
        [(E, "ignition-url-invalid", (*F0, "contents", "source"))],
        "2.3.0",
    ),
    (
        "url-escape",
        [at((*F0, "contents", "source"), "https://example.com/%zz")],
        [(E, "ignition-url-invalid", (*F0, "contents", "source"))],
        "2.3.0",
    ),
    (
        "s3-version",
        [at((*F0, "contents", "source"), "s3://bucket/key?versionId=")],
        [(E, "ignition-url-invalid", (*F0, "contents", "source"))],
        "2.3.0",
    ),
    (
        "hash-short",
        [at((*F0, "contents", "verification", "hash"), "sha512-abc")],
        [(E, "ignition-hash", (*F0, "contents", "verification", "hash"))],
        "2.3.0",
    ),
    (
        "hash-function",
        [at((*F0, "contents", "verification", "hash"), "sha256-" + "0" * 64)],
        [(E, "ignition-hash", (*F0, "contents", "verification", "hash"))],
        "2.3.0",
    ),
    (
        "hash-malformed",
        [at((*F0, "contents", "verification", "hash"), "0" * 128)],
        [(E, "ignition-hash", (*F0, "contents", "verification", "hash"))],
        "2.3.0",
    ),
    (
        "hash-not-hex",
        [at((*F0, "contents", "verification", "hash"), "sha512-" + "z" * 128)],
        [(E, "ignition-hash", (*F0, "contents", "verification", "hash"))],
        "2.3.0",
    ),
    (
        "config-hash",
        [at(("ignition", "config", "append", 0, "verification", "hash"), "x-1")],
        [(E, "ignition-hash", ("ignition", "config", "append", 0, "verification", "hash"))],
        "2.3.0",
    ),
    (
        "config-source",
        [at(("ignition", "config", "replace"), {"source": ""})],
        [(E, "ignition-required", ("ignition", "config", "replace", "source"))],
        "2.3.0",
    ),
    (
        "compression",
        [at((*F0, "contents", "compression"), "bzip2")],
        [(E, "ignition-compression", (*F0, "contents", "compression"))],
        "2.3.0",
    ),
    (
        "append-overwrite",
        [at(("storage", "files", 2, "overwrite"), True)],
        [(E, "ignition-append-overwrite", ("storage", "files", 2, "append"))],
        "2.3.0",
    ),
    (
        "owner-id-and-name",
        [at((*F0, "user"), {"id": 0, "name": "root"})],
        [(E, "ignition-owner-id-and-name", (*F0, "user"))],
        "2.3.0",
    ),
    (
        "duplicate-file",
        [
            append(
                ("storage", "files"),
                {
                    "filesystem": "root",
                    "path": "/etc/hostname",
                    "contents": {"source": ""},
                    "mode": 420,
                },
            )
        ],
        [(W, "ignition-duplicate", ("storage", "files", 3, "path"))],
        "2.3.0",
    ),
    (
        "file-vs-directory",
        [at(("storage", "directories", 0, "path"), "/etc/hostname")],
        [(W, "ignition-duplicate", ("storage", "directories", 0, "path"))],
        "2.3.0",
    ),
    (
        "through-link",
        [at((*F0, "path"), "/etc/localtime/x")],
        [(W, "ignition-path-through-link", (*F0, "path"))],
        "2.3.0",
    ),
    (
        "link-target",
        [at(("storage", "links", 0, "target"), "")],
        [(E, "ignition-required", ("storage", "links", 0, "target"))],
        "2.3.0",
    ),
    (
        "hard-link-owner",
        [at(("storage", "links", 1, "user"), {"name": "core"})],
        [(W, "ignition-hard-link-owner", ("storage", "links", 1, "user"))],
        "2.3.0",
    ),
    (
        "unit-suffix",
        [at((*U0, "name"), "app.serv")],
        [(E, "ignition-unit-name", (*U0, "name"))],
        "2.3.0",
    ),
    (
        "unit-no-suffix",
        [at(("systemd", "units", 2, "name"), "update-engine")],
        [(E, "ignition-unit-name", ("systemd", "units", 2, "name"))],
        "2.3.0",
    ),
    (
        "unit-section",
        [at((*U0, "contents"), "[Unit\nA=b\n")],
        [(E, "ignition-unit-contents", (*U0, "contents"))],
        "2.3.0",
    ),
    (
        "unit-line",
        [at((*U0, "contents"), "[Unit]\nnot an option\n[Install]\nA=b\n")],
        [(E, "ignition-unit-contents", (*U0, "contents"))],
        "2.3.0",
    ),
    (
        "unit-no-install",
        [at((*U0, "contents"), "[Service]\nExecStart=/bin/true\n")],
        [(W, "ignition-unit-no-install", (*U0, "contents"))],
        "2.3.0",
    ),
    (
        "unit-no-install-enable",
        [
            at((*U0, "enabled"), DELETE),
            at((*U0, "enable"), True),
            at((*U0, "contents"), "[Service]\nExecStart=/bin/true\n"),
        ],
        [(W, "ignition-unit-no-install", (*U0, "contents"))],
        "2.3.0",
    ),
    (
        "dropin-suffix",
        [at(("systemd", "units", 1, "dropins", 0, "name"), "10-a.cfg")],
        [(E, "ignition-dropin-name", ("systemd", "units", 1, "dropins", 0, "name"))],
        "2.3.0",
    ),
    (
        "dropin-contents",
        [at(("systemd", "units", 1, "dropins", 0, "contents"), "[Service] x\n")],
        [(E, "ignition-unit-contents", ("systemd", "units", 1, "dropins", 0, "contents"))],
        "2.3.0",
    ),
    (
        "duplicate-unit",
        [append(("systemd", "units"), {"name": "app.service", "mask": True})],
        [(W, "ignition-duplicate", ("systemd", "units", 3, "name"))],
        "2.3.0",
    ),
    (
        "duplicate-dropin",
        [append(("systemd", "units", 1, "dropins"), {"name": "10-a.conf"})],
        [(W, "ignition-duplicate", ("systemd", "units", 1, "dropins", 1, "name"))],
        "2.3.0",
    ),
    (
        "networkd-suffix",
        [at(("networkd", "units", 0, "name"), "00-eth0.net")],
        [(E, "ignition-networkd-name", ("networkd", "units", 0, "name"))],
        "2.3.0",
    ),
    (
        "networkd-contents",
        [at(("networkd", "units", 0, "contents"), "[Match]\nName")],
        [(E, "ignition-unit-contents", ("networkd", "units", 0, "contents"))],
        "2.3.0",
    ),
    (
        "duplicate-user",
        [append(("passwd", "users"), {"name": "core"})],
        [(W, "ignition-duplicate", ("passwd", "users", 2, "name"))],
        "2.3.0",
    ),
    (
        "duplicate-group",
        [append(("passwd", "groups"), {"name": "ops"})],
        [(W, "ignition-duplicate", ("passwd", "groups", 1, "name"))],
        "2.3.0",
    ),
    (
        "user-name",
        [at(("passwd", "users", 0, "name"), "")],
        [(E, "ignition-required", ("passwd", "users", 0, "name"))],
        "2.3.0",
    ),
    (
        "user-create",
        [at(("passwd", "users", 1, "create"), {"uid": 1500})],
        [
            (W, "ignition-user-create-deprecated", ("passwd", "users", 1, "create")),
            *[
                (E, "ignition-user-create-conflict", ("passwd", "users", 1, k))
                for k in ("groups", "homeDir", "shell", "uid")
            ],
        ],
        "2.3.0",
    ),
    (
        "user-create-uid-0",
        [at(("passwd", "users", 0, "uid"), 0), at(("passwd", "users", 0, "create"), {})],
        [
            (W, "ignition-user-create-deprecated", ("passwd", "users", 0, "create")),
            (E, "ignition-user-create-conflict", ("passwd", "users", 0, "uid")),
        ],
        "2.3.0",
    ),
    (
        "fs-mount-and-path",
        [at(("storage", "filesystems", 0, "path"), "/x")],
        [(E, "ignition-filesystem-mount-path", ("storage", "filesystems", 0))],
        "2.3.0",
    ),
    (
        "fs-neither",
        [at(("storage", "filesystems", 1, "path"), DELETE)],
        [(E, "ignition-filesystem-mount-path", ("storage", "filesystems", 1))],
        "2.3.0",
    ),
    (
        "fs-path-relative",
        [at(("storage", "filesystems", 1, "path"), "sysroot")],
        [(E, "ignition-path-relative", ("storage", "filesystems", 1, "path"))],
        "2.3.0",
    ),
    (
        "fs-format",
        [at((*MOUNT, "format"), "ext3")],
        [(E, "ignition-filesystem-format", (*MOUNT, "format"))],
        "2.3.0",
    ),
    (
        "fs-label",
        [at((*MOUNT, "label"), "A" * 17)],
        [(E, "ignition-filesystem-label", (*MOUNT, "label"))],
        "2.3.0",
    ),
    (
        "fs-device",
        [at((*MOUNT, "device"), "sdb1")],
        [(E, "ignition-path-relative", (*MOUNT, "device"))],
        "2.3.0",
    ),
    (
        "fs-create",
        [at((*MOUNT, "create"), {"force": True})],
        [
            (W, "ignition-create-deprecated", (*MOUNT, "create")),
            (E, "ignition-create-conflict", (*MOUNT, "create")),
        ],
        "2.3.0",
    ),
    (
        "part-label-long",
        [at((*P0, "label"), "L" * 37)],
        [(E, "ignition-partition-label", (*P0, "label"))],
        "2.3.0",
    ),
    (
        "part-label-colon",
        [at((*P0, "label"), "a:b")],
        [(W, "ignition-partition-label", (*P0, "label"))],
        "2.3.0",
    ),
    (
        "part-guid-alias",
        [at((*P0, "typeGuid"), "raid_containing_root")],
        [(E, "ignition-guid", (*P0, "typeGuid"))],
        "2.3.0",
    ),
    (
        "part-number",
        [append(("storage", "disks", 0, "partitions"), {"number": 1})],
        [(E, "ignition-partition-number", ("storage", "disks", 0, "partitions", 1, "number"))],
        "2.3.0",
    ),
    (
        "part-overlap",
        [
            at((*P0, "startMiB"), 1),
            append(
                ("storage", "disks", 0, "partitions"), {"number": 2, "startMiB": 100, "sizeMiB": 10}
            ),
        ],
        [(E, "ignition-partition-overlap", ("storage", "disks", 0, "partitions", 1))],
        "2.3.0",
    ),
    (
        "part-misaligned",
        [at((*P0, "start"), 34)],
        [(E, "ignition-partition-misaligned", (*P0, "start"))],
        "2.2.0",
    ),
    (
        "part-units",
        [at((*P0, "size"), 2048)],
        [
            (W, "ignition-partition-deprecated", (*P0, "size")),
            (E, "ignition-partition-units", ("storage", "disks", 0, "partitions")),
        ],
        "2.3.0",
    ),
    (
        "part-should-exist",
        [at((*P0, "shouldExist"), False)],
        [(E, "ignition-partition-should-exist", (*P0, "shouldExist"))],
        "2.3.0",
    ),
    (
        "disk-device",
        [at(("storage", "disks", 0, "device"), "")],
        [(E, "ignition-disk-device", ("storage", "disks", 0, "device"))],
        "2.3.0",
    ),
    (
        "raid-level",
        [at(("storage", "raid", 0, "level"), "raid7")],
        [(E, "ignition-raid-level", ("storage", "raid", 0, "level"))],
        "2.3.0",
    ),
    (
        "raid-spares",
        [at(("storage", "raid", 0, "level"), "raid0")],
        [(E, "ignition-raid-spares", ("storage", "raid", 0, "spares"))],
        "2.3.0",
    ),
    (
        "raid-device",
        [at(("storage", "raid", 0, "devices", 1), "sdd")],
        [(E, "ignition-path-relative", ("storage", "raid", 0, "devices", 1))],
        "2.3.0",
    ),
    (
        "timeout",
        [at(("ignition", "timeouts", "httpTotal"), -1)],
        [(W, "ignition-timeout-negative", ("ignition", "timeouts", "httpTotal"))],
        "2.3.0",
    ),
]


@pytest.mark.parametrize(
    ("mutations", "expected", "version"), [pytest.param(m, e, v, id=i) for i, m, e, v in CASES]
)
def test_rule(
    mutations: list[Callable[[dict[str, Any]], None]],
    expected: list[tuple[Severity, str, tuple[Any, ...]]],
    version: str,
) -> None:
    cfg = full_config(version)
    for mutate in mutations:
        mutate(cfg)
    got = sorted((d.severity, d.code, d.path) for d in validate_ignition(cfg))
    assert got == sorted(expected)


def test_unknown_key_suggests() -> None:
    cfg = full_config()
    cfg["storage"]["files"][0]["Mode"] = 420
    [diag] = validate_ignition(cfg)
    assert diag.message == "Config has unrecognized key: Mode; did you mean 'mode'?"


def test_not_an_object() -> None:
    [diag] = validate_ignition([])  # type: ignore[arg-type]
    assert (diag.code, diag.path) == ("ignition-type", ())


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("data:,", b""),
        ("data:,hello%20world%0A", b"hello world\n"),
        ("data:,%23!%2Fbin%2Fbash%0A", b"#!/bin/bash\n"),
        ("data:,caf%C3%A9", "café".encode()),
        ("data:,a-_.!~*'()", b"a-_.!~*'()"),
        ("data:;base64,aGk=", b"hi"),
        ("data:text/plain;charset=utf-8;base64,aGk=", b"hi"),
        ("data:application/octet-stream,%00%FF", b"\x00\xff"),
        ('data:text/plain;name="a,b",x', b"x"),
        ("data:x-custom/thing,y", b"y"),
    ],
)
def test_decode_data_url(url: str, data: bytes) -> None:
    assert decode_data_url(url) == data


@pytest.mark.parametrize(
    "url",
    [
        "data:",
        "data:hello",
        "DATA:,x",
        "http://x",
        "data:,a b",
        "data:,a\nb",
        "data:,50%",
        "data:,%G0",
        "data:,café",
        "data:,a#b",
        "data:;base64,aGk",
        "data:;base64,a b=",
        "data:foo/bar,x",
        "data:text,x",
        "data:text/plain;charset,x",
        "data:text/plain;=x,y",
        "data:;base64;a=b,aGk=",
        'data:text/plain;a="x,y',
        "data:text/plain;a=,x",
    ],
)
def test_decode_data_url_rejects(url: str) -> None:
    assert decode_data_url(url) is None


@pytest.mark.parametrize(
    ("text", "sections", "problem"),
    [
        ("", set(), None),
        ("# comment \\\ncontinued\n[Unit]\nA=b \\\n c\n; x\n[Install]\n", {"Unit"}, None),
        ("junk before\n[Unit]\nA=b", {"Unit"}, None),
        ("[Unit]\n\n  A = b\n", {"Unit"}, None),
        ("[Unit", set(), "unable to find end of section"),
        ("[Unit] trailing\n", set(), "found garbage after section name Unit"),
        ("[Unit]\nA\nB=c\n", set(), "unexpected newline encountered while parsing option name"),
        ("[Unit]\nA", set(), "EOF"),
    ],
)
def test_parse_unit(text: str, sections: set[str], problem: str | None) -> None:
    assert parse_unit(text) == (sections, problem)
