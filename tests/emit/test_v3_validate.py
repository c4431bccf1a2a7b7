"""Table-driven tests of the spec 3.3.0-3.5.0 validator (emit/v3/validate.py)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hostiso.diagnostics import Severity
from hostiso.emit.v3.validate import validate_v3

E, W = Severity.ERROR, Severity.WARNING
SHA = "sha512-" + "0" * 128
UNIT = (
    "[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/true\n\n"
    "[Install]\nWantedBy=multi-user.target\n"
)


def full_config(version: str = "3.3.0") -> dict[str, Any]:
    """A valid config touching every section (Debian's ignition-validate accepts its 3.3.0)."""
    return {
        "ignition": {
            "config": {
                "merge": [{"source": "https://example.com/a.ign", "verification": {"hash": SHA}}]
            },
            "proxy": {"httpsProxy": "https://proxy.example:3128", "noProxy": ["example.com"]},
            "security": {"tls": {"certificateAuthorities": [{"source": "data:,ca"}]}},
            "timeouts": {"httpResponseHeaders": 10, "httpTotal": 30},
            "version": version,
        },
        "kernelArguments": {"shouldExist": ["console=ttyS0"], "shouldNotExist": ["quiet"]},
        "passwd": {
            "groups": [{"gid": 1500, "name": "ops"}],
            "users": [
                {"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA core@x"]},
                {"groups": ["ops"], "homeDir": "/home/ops", "name": "ops", "uid": 1500},
            ],
        },
        "storage": {
            "directories": [{"path": "/opt/bin", "mode": 0o755}],
            "disks": [
                {
                    "device": "/dev/sdb",
                    "partitions": [{"label": "DATA", "number": 1, "sizeMiB": 1024, "startMiB": 0}],
                    "wipeTable": True,
                }
            ],
            "files": [
                {
                    "group": {"id": 1500},
                    "overwrite": True,
                    "path": "/etc/motd",
                    "user": {"name": "ops"},
                    "contents": {"compression": "gzip", "source": "https://example.com/motd.gz"},
                    "mode": 0o644,
                },
                {"path": "/etc/log", "append": [{"source": "data:,x"}], "mode": 0o600},
            ],
            "filesystems": [
                {"device": "/dev/sdb1", "format": "xfs", "label": "DATA", "path": "/var/data"}
            ],
            "links": [{"path": "/etc/localtime", "target": "/usr/share/zoneinfo/UTC"}],
            "luks": [{"device": "/dev/sdc", "keyFile": {"source": "data:,k"}, "name": "crypt"}],
            "raid": [{"devices": ["/dev/sdd", "/dev/sde"], "level": "raid1", "name": "md0"}],
        },
        "systemd": {
            "units": [
                {
                    "contents": UNIT,
                    "dropins": [{"contents": "[Service]\nRestart=always\n", "name": "10.conf"}],
                    "enabled": True,
                    "name": "app.service",
                },
                {"mask": True, "name": "debug-shell.service"},
            ]
        },
    }


@pytest.mark.parametrize("version", ["3.3.0", "3.4.0", "3.5.0"])
def test_the_full_config_is_valid(version: str) -> None:
    assert validate_v3(full_config(version)) == []


@pytest.mark.skipif(shutil.which("ignition-validate") is None, reason="ignition-validate missing")
def test_ignition_validate_agrees_on_the_full_config(tmp_path: Path) -> None:
    path = tmp_path / "full.ign"
    path.write_text(json.dumps(full_config()))
    done = subprocess.run(["ignition-validate", str(path)], capture_output=True, text=True)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


Edit = Callable[[dict[str, Any]], None]


def _set(path: tuple[Any, ...], value: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        node = c
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return edit


def _append(path: tuple[Any, ...], value: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        node = c
        for part in path:
            node = node[part]
        node.append(value)

    return edit


CASES: list[tuple[str, Edit, Severity, str, tuple[Any, ...]]] = [
    (
        "wrong version",
        _set(("ignition", "version"), "3.2.0"),
        E,
        "ignition-version-unsupported",
        ("ignition", "version"),
    ),
    (
        "type error",
        _set(("storage", "files", 0, "mode"), "0644"),
        E,
        "ignition-type",
        ("storage", "files", 0, "mode"),
    ),
    (
        "unknown key",
        _set(("storage", "files", 0, "filesystem"), "root"),
        W,
        "ignition-unknown-key",
        ("storage", "files", 0, "filesystem"),
    ),
    (
        "relative path",
        _set(("storage", "files", 0, "path"), "etc/motd"),
        E,
        "ignition-path-relative",
        ("storage", "files", 0, "path"),
    ),
    (
        "dirty path",
        _set(("storage", "files", 0, "path"), "/etc//motd"),
        E,
        "ignition-path-not-clean",
        ("storage", "files", 0, "path"),
    ),
    (
        "same path twice",
        _append(("storage", "directories"), {"path": "/etc/motd"}),
        E,
        "ignition-duplicate",
        ("storage", "files", 0),
    ),
    (
        "key twice",
        _append(("passwd", "users", 0, "sshAuthorizedKeys"), "ssh-ed25519 AAAA core@x"),
        E,
        "ignition-duplicate",
        ("passwd", "users", 0, "sshAuthorizedKeys", 1),
    ),
    (
        "unit twice",
        _append(("systemd", "units"), {"name": "app.service"}),
        E,
        "ignition-duplicate",
        ("systemd", "units", 2),
    ),
    (
        "karg in both",
        _append(("kernelArguments", "shouldNotExist"), "console=ttyS0"),
        E,
        "ignition-duplicate",
        ("kernelArguments", "shouldNotExist", 1),
    ),
    (
        "through a link",
        _append(("storage", "files"), {"path": "/etc/localtime/x", "mode": 420}),
        E,
        "ignition-path-through-link",
        ("storage", "files", 2),
    ),
    (
        "unit path",
        _append(("storage", "files"), {"path": "/etc/systemd/system/app.service"}),
        E,
        "ignition-unit-path",
        ("storage", "files", 2, "path"),
    ),
    (
        "overwrite without source",
        _append(("storage", "files"), {"path": "/x", "overwrite": True}),
        E,
        "ignition-overwrite",
        ("storage", "files", 2, "overwrite"),
    ),
    (
        "setuid",
        _set(("storage", "files", 0, "mode"), 0o4755),
        W,
        "ignition-mode-special-bits",
        ("storage", "files", 0, "mode"),
    ),
    (
        "illegal mode",
        _set(("storage", "directories", 0, "mode"), 0o17777),
        E,
        "ignition-mode-illegal",
        ("storage", "directories", 0, "mode"),
    ),
    (
        "id and name",
        _set(("storage", "files", 0, "group"), {"id": 1, "name": "x"}),
        E,
        "ignition-owner-id-and-name",
        ("storage", "files", 0, "group"),
    ),
    (
        "bad scheme",
        _set(("storage", "files", 0, "contents", "source"), "ftp://x/y"),
        E,
        "ignition-url-scheme",
        ("storage", "files", 0, "contents", "source"),
    ),
    (
        "bad hash",
        _set(("ignition", "config", "merge", 0, "verification", "hash"), "sha512-00"),
        E,
        "ignition-hash",
        ("ignition", "config", "merge", 0, "verification", "hash"),
    ),
    (
        "no install",
        _set(("systemd", "units", 0, "contents"), "[Service]\nExecStart=/bin/true\n"),
        W,
        "ignition-unit-no-install",
        ("systemd", "units", 0, "contents"),
    ),
    (
        "bad unit name",
        _set(("systemd", "units", 1, "name"), "debug-shell"),
        E,
        "ignition-unit-name",
        ("systemd", "units", 1, "name"),
    ),
    (
        "dropin name",
        _set(("systemd", "units", 0, "dropins", 0, "name"), "10.txt"),
        E,
        "ignition-dropin-name",
        ("systemd", "units", 0, "dropins", 0, "name"),
    ),
    (
        "fs format",
        _set(("storage", "filesystems", 0, "format"), "zfs"),
        E,
        "ignition-filesystem-format",
        ("storage", "filesystems", 0, "format"),
    ),
    (
        "fs label",
        _set(("storage", "filesystems", 0, "label"), "LONGER-THAN-12"),
        E,
        "ignition-filesystem-label",
        ("storage", "filesystems", 0, "label"),
    ),
    (
        "partition colon",
        _set(("storage", "disks", 0, "partitions", 0, "label"), "a:b"),
        E,
        "ignition-partition-label",
        ("storage", "disks", 0, "partitions", 0, "label"),
    ),
    (
        "raid level",
        _set(("storage", "raid", 0, "level"), "raid7"),
        E,
        "ignition-raid-level",
        ("storage", "raid", 0, "level"),
    ),
    (
        "luks slash",
        _set(("storage", "luks", 0, "name"), "a/b"),
        E,
        "ignition-luks",
        ("storage", "luks", 0, "name"),
    ),
    (
        "luks device",
        _set(("storage", "luks", 0, "device"), None),
        E,
        "ignition-luks",
        ("storage", "luks", 0, "device"),
    ),
    (
        "http proxy",
        _set(("ignition", "proxy", "httpsProxy"), "http://proxy"),
        W,
        "ignition-proxy",
        ("ignition", "proxy", "httpsProxy"),
    ),
    (
        "hard link owner",
        _append(
            ("storage", "links"),
            {"path": "/h", "target": "/etc/motd", "hard": True, "user": {"id": 0}},
        ),
        W,
        "ignition-hard-link-owner",
        ("storage", "links", 1, "user", "id"),
    ),
]


@pytest.mark.parametrize(
    ("severity", "code", "where", "edit"),
    [(c[2], c[3], c[4], c[1]) for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_one_problem(severity: Severity, code: str, where: tuple[Any, ...], edit: Edit) -> None:
    config = copy.deepcopy(full_config())
    edit(config)
    found = [(d.severity, d.code, d.path) for d in validate_v3(config)]
    assert (severity, code, where) in found, found


def test_3_4_keys_are_unknown_in_3_3() -> None:
    config = full_config("3.3.0")
    config["storage"]["luks"][0]["discard"] = True
    found = [(d.severity, d.code, d.path) for d in validate_v3(config)]
    assert found == [(W, "ignition-unknown-key", ("storage", "luks", 0, "discard"))]
    config["ignition"]["version"] = "3.4.0"
    assert validate_v3(config) == []


def test_cex_only_in_3_5_and_not_with_a_key_file() -> None:
    config = full_config("3.5.0")
    config["storage"]["luks"][0]["cex"] = {"enabled": True}
    found = [(d.code, d.path) for d in validate_v3(config)]
    assert found == [("ignition-cex", ("storage", "luks", 0, "cex"))]
