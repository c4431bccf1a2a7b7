"""``hostiso build``: the files it writes, byte for byte, and the ISO read back."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    EMPTY_IGNITION,
    LOGIN,
    PASSWORD_HASH,
    REPO,
    SSH_KEY,
    build_ok,
    hostname_file,
    load_ign,
    needs_isoinfo,
    needs_xorriso,
    run,
    write_fleet,
)

WEB = f"""\
groups: [web]
hostname: web-01
network:
  interface: eth0
  addresses: [192.168.1.10/24]
  gateway: 192.168.1.1
passwd:
  users:
    - name: core
      password_hash: "{PASSWORD_HASH}"
"""

FLEET = {
    "overlays/all.yaml": f"passwd:\n  users:\n    - name: core\n"
    f"      ssh_authorized_keys:\n        - {SSH_KEY}\n",
    "overlays/web.yaml": (
        "storage:\n"
        "  directories:\n"
        "    - path: /srv/www\n"
        "  files:\n"
        "    - path: /etc/motd\n"
        "      mode: 0600\n"
        "      contents:\n"
        "        inline: |\n"
        "          web server\n"
        "systemd:\n"
        "  units:\n"
        "    - name: web.service\n"
        "      enabled: true\n"
        "      contents: |\n"
        "        [Service]\n"
        "        ExecStart=/usr/bin/true\n"
        "        [Install]\n"
        "        WantedBy=multi-user.target\n"
    ),
    "configs/web.yaml": WEB,
    "configs/db.yaml": "network:\n  interface: eth0\n  addresses: [192.168.1.20/24]\n",
}

WEB_IGNITION: dict[str, Any] = {
    "ignition": EMPTY_IGNITION,
    "networkd": {
        "units": [
            {
                "contents": "[Match]\nName=eth0\n\n[Network]\nAddress=192.168.1.10/24\n"
                "Gateway=192.168.1.1\n",
                "name": "10-static.network",
            }
        ]
    },
    "passwd": {
        "users": [
            {
                "name": "core",
                "passwordHash": PASSWORD_HASH,
                "sshAuthorizedKeys": [SSH_KEY],
            }
        ]
    },
    "storage": {
        "directories": [{"filesystem": "root", "path": "/srv/www", "mode": 0o755}],
        "files": [
            hostname_file("web-01"),
            {
                "filesystem": "root",
                "path": "/etc/motd",
                "contents": {"source": "data:,web%20server%0A", "verification": {}},
                "mode": 0o600,
            },
        ],
    },
    "systemd": {
        "units": [
            {
                "contents": "[Service]\nExecStart=/usr/bin/true\n[Install]\n"
                "WantedBy=multi-user.target\n",
                "enabled": True,
                "name": "web.service",
            }
        ]
    },
}

EPOCH = "1700000000"


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    return write_fleet(tmp_path, FLEET)


def build(root: Path, env: dict[str, str] | None = None) -> None:
    build_ok(root, env=env)


def artefacts(root: Path, host: str = "web") -> tuple[bytes, bytes]:
    return (root / f"build/{host}.ign").read_bytes(), (root / f"out/{host}.iso").read_bytes()


def iso_tool(*argv: str | Path) -> str:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=True)
    return done.stdout


def listed_names(listing: str) -> list[str]:
    rows = [line for line in listing.splitlines() if line.startswith(("-", "d"))]
    return [row.split("]", 1)[1].strip() for row in rows]


# --- what is written ---------------------------------------------------------------


def test_ignition_of_a_small_host(fleet: Path) -> None:
    build(fleet)
    assert load_ign(fleet, "web") == WEB_IGNITION


def test_outputs_are_private_and_nothing_else_is_left(fleet: Path) -> None:
    build(fleet)
    assert sorted(p.name for p in (fleet / "out").iterdir()) == ["db.iso", "web.iso"]
    written = sorted(p.name for p in (fleet / "build").iterdir() if not p.name.startswith("."))
    assert written == ["db.d", "db.ign", "web.d", "web.ign"]
    for path in [*(fleet / "out").iterdir(), *(fleet / "build").glob("*.ign")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.parametrize("umask", [0, 0o277], ids=["permissive", "owner-read-only"])
def test_outputs_are_0600_whatever_the_umask(fleet: Path, umask: int) -> None:
    build(fleet)
    for path in (fleet / "build/web.ign", fleet / "out/web.iso"):
        path.unlink()
    old = os.umask(umask)
    try:
        build(fleet)
    finally:
        os.umask(old)
    for path in (fleet / "build/web.ign", fleet / "out/web.iso"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_writing_outputs_makes_no_directories_per_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The output directories are made once per build, not once per file."""
    made: list[str] = []
    real_mkdir = os.mkdir

    def mkdir(path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> None:
        made.append(os.fspath(path))
        real_mkdir(path, *args, **kwargs)

    configs = {f"configs/h{i}.yaml": "{}\n" for i in range(4)}
    write_fleet(tmp_path, {"overlays/all.yaml": LOGIN, **configs})
    monkeypatch.setattr(os, "mkdir", mkdir)
    for _ in range(2):  # a fresh tree, then a rebuild over existing outputs
        build(tmp_path)
        assert sorted(made) == ["build", "out"]
        made.clear()


def test_depfile_lists_the_host_file_and_its_overlays(fleet: Path) -> None:
    build(fleet)
    assert (fleet / "build/web.d").read_text() == (
        "build/web.ign out/web.iso: configs/web.yaml overlays/all.yaml overlays/web.yaml\n"
        "overlays/all.yaml:\n"
        "overlays/web.yaml:\n"
    )
    assert (fleet / "build/db.d").read_text() == (
        "build/db.ign out/db.iso: configs/db.yaml overlays/all.yaml\noverlays/all.yaml:\n"
    )


def test_depfile_lists_local_files(fleet: Path) -> None:
    write_fleet(
        fleet,
        {
            "files/motd.txt": "hello\n",
            "configs/db.yaml": "storage:\n  files:\n    - path: /etc/motd\n"
            "      contents:\n        local: motd.txt\n",
        },
    )
    build(fleet)
    assert (fleet / "build/db.d").read_text() == (
        "build/db.ign out/db.iso: configs/db.yaml overlays/all.yaml files/motd.txt\n"
        "overlays/all.yaml:\n"
        "files/motd.txt:\n"
    )
    motd = load_ign(fleet, "db")["storage"]["files"][1]
    assert motd["contents"]["source"] == "data:,hello%0A"


def test_building_one_host_leaves_the_others_alone(fleet: Path) -> None:
    build_ok(fleet, "db")
    assert sorted(p.name for p in (fleet / "out").iterdir()) == ["db.iso"]


def test_unknown_host_stem(fleet: Path) -> None:
    rc, _, err = run(["build", "nope"], fleet)
    assert rc == 1
    assert err.splitlines()[0] == (
        "configs/nope.yaml: error: no host file configs/nope.yaml [no-such-host]"
    )


# --- reproducible ----------------------------------------------------------------------


def test_rebuild_is_byte_identical(fleet: Path) -> None:
    build(fleet)
    first = artefacts(fleet)
    for path in [*(fleet / "out").iterdir(), *(fleet / "build").iterdir()]:
        path.unlink()
    build(fleet)
    assert artefacts(fleet) == first


def test_source_date_epoch(fleet: Path) -> None:
    build(fleet, {"SOURCE_DATE_EPOCH": EPOCH})
    ign, iso = artefacts(fleet)
    build(fleet, {"SOURCE_DATE_EPOCH": EPOCH})
    assert artefacts(fleet) == (ign, iso)
    build(fleet, {"SOURCE_DATE_EPOCH": "1700000001"})
    ign2, iso2 = artefacts(fleet)
    assert ign2 == ign
    assert iso2 != iso
    build(fleet)
    assert artefacts(fleet)[1] not in (iso, iso2)


def test_bad_source_date_epoch_is_a_usage_error(fleet: Path) -> None:
    rc, out, err = run(["build"], fleet, env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert (rc, out) == (2, "")
    assert err == (
        "hostiso: error: SOURCE_DATE_EPOCH must be a whole number of seconds, not 'yesterday'\n"
    )
    assert not (fleet / "out").exists()


@pytest.mark.slow
@pytest.mark.parametrize("epoch", [None, EPOCH])
def test_same_bytes_in_any_timezone(fleet: Path, epoch: str | None) -> None:
    build(fleet, {"SOURCE_DATE_EPOCH": epoch} if epoch else None)
    expected = artefacts(fleet)
    for tz in ("Pacific/Kiritimati", "America/St_Johns"):
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        env.update({"TZ": tz, "PYTHONPATH": str(REPO / "src")})
        if epoch:
            env["SOURCE_DATE_EPOCH"] = epoch
        subprocess.run(
            [sys.executable, "-m", "hostiso", "build"],
            cwd=fleet,
            env=env,
            check=True,
            capture_output=True,
        )
        assert artefacts(fleet) == expected, tz


# --- the ISO, read back -------------------------------------------------------------------


@needs_isoinfo
def test_isoinfo_reads_label_rock_ridge_and_joliet(fleet: Path) -> None:
    build(fleet)
    iso = fleet / "out/web.iso"
    assert "Volume id: WEB_01\n" in iso_tool("isoinfo", "-d", "-i", iso)
    assert listed_names(iso_tool("isoinfo", "-R", "-l", "-i", iso)) == [".", "..", "config.json"]
    assert listed_names(iso_tool("isoinfo", "-J", "-l", "-i", iso)) == [".", "..", "config.json"]
    assert listed_names(iso_tool("isoinfo", "-l", "-i", iso)) == [".", "..", "CONFIG.JSO;1"]
    done = subprocess.run(
        ["isoinfo", "-R", "-x", "/config.json", "-i", str(iso)], capture_output=True, check=True
    )
    assert done.stdout == (fleet / "build/web.ign").read_bytes()


@needs_xorriso
def test_xorriso_finds_config_json(fleet: Path) -> None:
    build(fleet)
    done = subprocess.run(
        ["xorriso", "-indev", str(fleet / "out/web.iso"), "-find", "/"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["'/'", "'/config.json'"]
    extracted = fleet / "extracted.json"
    subprocess.run(
        [
            "xorriso",
            "-osirrox",
            "on",
            "-indev",
            str(fleet / "out/web.iso"),
            "-extract",
            "/config.json",
            str(extracted),
        ],
        capture_output=True,
        check=True,
    )
    assert extracted.read_bytes() == (fleet / "build/web.ign").read_bytes()


@needs_isoinfo
def test_iso_label_override(fleet: Path) -> None:
    write_fleet(fleet, {"configs/web.yaml": WEB + "iso_label: FRONT_1\n"})
    build(fleet)
    assert "Volume id: FRONT_1\n" in iso_tool("isoinfo", "-d", "-i", fleet / "out/web.iso")


def long_label(name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest().upper()
    return name.upper().replace("-", "_").replace(".", "_")[:11] + "_" + digest[:4]


@needs_isoinfo
def test_long_hostnames_are_shortened_and_stay_unique(tmp_path: Path) -> None:
    names = ["rack-07-worker-0001.dc1.example.com", "rack-07-worker-0002.dc1.example.com"]
    write_fleet(tmp_path, {f"configs/{n}.yaml": "{}\n" for n in names})
    write_fleet(tmp_path, {"overlays/all.yaml": LOGIN})
    build(tmp_path)
    labels = []
    for name in names:
        info = iso_tool("isoinfo", "-d", "-i", tmp_path / f"out/{name}.iso")
        (label,) = [ln.split(": ", 1)[1] for ln in info.splitlines() if ln.startswith("Volume id")]
        labels.append(label)
    assert labels == [long_label(n) for n in names]
    assert labels[0][:12] == "RACK_07_WOR_"
    assert len(set(labels)) == 2
    assert all(len(label) == 16 for label in labels)


def test_label_collision_is_an_error(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN,
            "configs/web-01.yaml": "{}\n",
            "configs/web.yaml": "iso_label: WEB_01\n",
        },
    )
    rc, _, err = run(["build"], tmp_path)
    assert rc == 1
    assert err.splitlines()[0] == (
        "configs/web-01.yaml:1:1: error: ISO volume label 'WEB_01' is also used by host web "
        "(configs/web.yaml:1:12) [duplicate-iso-label]"
    )
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


# --- removed and renamed hosts -------------------------------------------------------------


def output_names(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root))
        for d in ("build", "out")
        for p in (root / d).iterdir()
        if not p.name.startswith(".")
    )


def test_a_whole_fleet_build_removes_the_outputs_of_a_renamed_host(fleet: Path) -> None:
    build(fleet)
    (fleet / "configs/db.yaml").rename(fleet / "configs/db-2.yaml")
    build(fleet)
    assert output_names(fleet) == [
        "build/db-2.d",
        "build/db-2.ign",
        "build/web.d",
        "build/web.ign",
        "out/db-2.iso",
        "out/web.iso",
    ]


def test_only_exact_output_names_are_removed(fleet: Path) -> None:
    build(fleet)
    (fleet / "configs/db.yaml").unlink()
    keep = ["build/db.ign.bak", "build/db.log", "out/db.iso.old", "out/notes.txt", "out/db.img"]
    write_fleet(fleet, {name: "x\n" for name in keep})
    write_fleet(fleet, {"out/.old.iso": "x\n", "build/.db.ign": "x\n", "out/sub/db.iso": "x\n"})
    (fleet / "out/dir.iso").mkdir()
    (fleet / "out/link.iso").symlink_to(fleet / "out/notes.txt")
    build(fleet)
    left = ["build/web.d", "build/web.ign", "out/web.iso", "out/sub", "out/dir.iso", "out/link.iso"]
    assert output_names(fleet) == sorted([*left, *keep])
    assert (fleet / "out/.old.iso").exists() and (fleet / "build/.db.ign").exists()
    assert (fleet / "out/sub/db.iso").exists()


def test_building_named_hosts_leaves_other_outputs_alone(fleet: Path) -> None:
    build(fleet)
    (fleet / "configs/db.yaml").unlink()
    build_ok(fleet, "web")
    assert (fleet / "out/db.iso").exists() and (fleet / "build/db.ign").exists()
    assert host_list(fleet) == "db web\n"  # db is still recorded: a whole-fleet build prunes it
    build(fleet)
    assert output_names(fleet) == ["build/web.d", "build/web.ign", "out/web.iso"]
    assert host_list(fleet) == "web\n"


def host_list(root: Path) -> str:
    return (root / "build/.hosts").read_text()


FOREIGN = [
    "out/flatcar_production_iso_image.iso",
    "out/old-host.iso",
    "build/scratch.ign",
    "build/notes.d",
]


@pytest.mark.parametrize("remove_a_host", [False, True])
def test_a_whole_fleet_build_never_removes_files_it_did_not_record(
    fleet: Path, remove_a_host: bool
) -> None:
    write_fleet(fleet, {name: "operator's\n" for name in FOREIGN})
    build(fleet)
    if remove_a_host:
        (fleet / "configs/db.yaml").unlink()
    build(fleet)
    for name in FOREIGN:
        assert (fleet / name).read_text() == "operator's\n", name
    assert (fleet / "out/db.iso").exists() is not remove_a_host


@pytest.mark.parametrize(
    ("record", "depfile", "expected"),
    [
        ("", True, "db web\n"),  # no record (an older hostiso, or deleted): nothing is pruned
        ("db web ghost", True, "db web\n"),
        ("db web ghost", False, "db web\n"),  # recorded, but no depfile: hostiso did not build it
        ("../../victim .hidden db web", True, "db web\n"),
    ],
)
def test_only_recorded_stems_that_could_be_hosts_are_pruned(
    tmp_path: Path, record: str, depfile: bool, expected: str
) -> None:
    root = tmp_path / "fleet"
    write_fleet(root, FLEET)
    write_fleet(root, {"out/stray.iso": "x\n", "out/.hidden.iso": "x\n"})
    write_fleet(tmp_path, {"victim.iso": "x\n"})  # fleet/out/../../victim.iso
    build(root)
    write_fleet(root, {"build/.hosts": record + "\n", "out/ghost.iso": "x\n"})
    if depfile:
        write_fleet(root, {"build/ghost.d": "build/ghost.ign out/ghost.iso: configs/ghost.yaml\n"})
    build(root)
    assert host_list(root) == expected
    ghost_left = (root / "out/ghost.iso").exists()
    assert ghost_left is ("ghost" not in record or not depfile)
    assert (root / "out/stray.iso").exists() and (root / "out/.hidden.iso").exists()
    assert (tmp_path / "victim.iso").exists()


def test_an_empty_configs_directory_removes_every_output(fleet: Path) -> None:
    build(fleet)
    for path in (fleet / "configs").iterdir():
        path.unlink()
    build(fleet)
    assert output_names(fleet) == []
    assert run(["lint"], fleet) == (0, "", "")


# --- the command line points at no fleet, or outputs cannot be written --------------------


@pytest.mark.parametrize("command", ["build", "lint"])
@pytest.mark.parametrize(
    ("root", "message"),
    [
        ("missing", "missing: error: --root: no such directory\n"),
        ("empty", "empty/configs: error: no such directory (is --root the fleet directory?)\n"),
        ("a-file", "a-file: error: --root: no such directory\n"),
    ],
)
def test_a_root_without_configs_is_a_usage_error(
    tmp_path: Path, command: str, root: str, message: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "a-file").write_text("x\n")
    assert run([command, "--root", root], tmp_path) == (2, "", message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "empty"]
    assert list((tmp_path / "empty").iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--out-dir", "a-file/out"],
            "a-file/out: error: cannot create the directory: Not a directory [cannot-write]\n",
        ),
        (
            ["--build-dir", "a-file"],
            "a-file: error: cannot create the directory: Not a directory [cannot-write]\n",
        ),
    ],
)
def test_an_output_directory_that_cannot_be_made(
    fleet: Path, argv: list[str], message: str
) -> None:
    (fleet / "a-file").write_text("x\n")
    assert run(["build", *argv], fleet) == (1, "", message)
    assert not (fleet / "out").exists() or list((fleet / "out").iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_an_out_dir_under_proc(fleet: Path) -> None:
    message = (
        "/proc/x: error: cannot create the directory: No such file or directory [cannot-write]\n"
    )
    assert run(["build", "--out-dir", "/proc/x"], fleet) == (1, "", message)


def test_an_output_that_cannot_be_written_fails_that_host_only(fleet: Path) -> None:
    build(fleet)
    (fleet / "out/web.iso").unlink()
    (fleet / "out/web.iso").mkdir()
    rc, out, err = run(["build"], fleet)
    assert (rc, out) == (1, "")
    assert err == (
        "out/web.iso: error: cannot write: Is a directory [cannot-write]\n  = host: web-01\n"
    )
    assert not (fleet / "build/web.ign").exists()
    assert (fleet / "out/db.iso").exists()


# --- secrets/ stays private ----------------------------------------------------------------

ETCD_HOST = "groups: [etcd]\nnetwork:\n  interface: eth0\n  addresses: [192.168.1.31/24]\n"
PASSWORD_USER = "passwd:\n  users:\n    - name: core\n      password_file: secrets/core.password\n"


PASSWORD_FILES = {"configs/p1.yaml": PASSWORD_USER, "secrets/core.password": "pw\n"}


@pytest.mark.parametrize(
    ("files", "argv", "private"),
    [
        ({"configs/e1.yaml": ETCD_HOST}, ["build"], ["secrets", "secrets/pki"]),
        (PASSWORD_FILES, ["build"], ["secrets"]),
        (PASSWORD_FILES, ["lint"], ["secrets"]),
        ({}, ["pki", "init"], ["secrets", "secrets/pki"]),
    ],
    ids=["etcd-tls", "password-file", "lint-password-file", "pki-init"],
)
def test_an_existing_open_secrets_directory_is_made_private(
    tmp_path: Path, files: dict[str, str], argv: list[str], private: list[str]
) -> None:
    write_fleet(tmp_path, {"overlays/all.yaml": LOGIN, **files})
    (tmp_path / "secrets/pki").mkdir(parents=True)
    for name in ("secrets", "secrets/pki"):
        os.chmod(tmp_path / name, 0o755)
    rc, _, err = run(argv, tmp_path)
    assert rc == 0, err
    for name in private:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o700, name


def test_a_host_name_outside_configs_quotes_nothing(fleet: Path) -> None:
    """``build ../notes`` names a file outside configs/: no such host, and the
    file's text is never quoted."""
    (fleet / "notes.yaml").write_text("secret: hunter2\n")
    rc, out, err = run(["build", "../notes"], fleet)
    assert (rc, out) == (1, "")
    assert err == (
        "configs/../notes.yaml: error: no host file configs/../notes.yaml [no-such-host]\n"
    )
    assert not (fleet / "out").exists() or not list((fleet / "out").iterdir())
