"""The 2.x -> spec 3 translation, rule by rule (docs/spec3.md), through ``hostiso transpile``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import heads, run
from hostiso.emit.v3.fsmap import join, mount_points


def transpile(yaml: str, spec: str = "3.3.0", tmp: Path = Path(".")) -> dict[str, Any]:
    rc, out, err = run(["transpile", "-spec", spec], tmp, stdin=yaml)
    assert rc == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def refused(yaml: str, spec: str = "3.3.0", tmp: Path = Path(".")) -> list[str]:
    rc, out, err = run(["transpile", "-spec", spec], tmp, stdin=yaml)
    assert (rc, out) == (1, ""), out
    return heads(err)


def test_a_file_gets_overwrite_and_a_clean_path() -> None:
    out = transpile("storage:\n  files:\n    - path: /etc//motd\n      mode: 0600\n")
    assert out == {
        "ignition": {"version": "3.3.0"},
        "storage": {
            "files": [
                {
                    "overwrite": True,
                    "path": "/etc/motd",
                    "contents": {"source": "data:,"},
                    "mode": 0o600,
                }
            ]
        },
    }


def test_explicit_overwrite_false_and_append() -> None:
    yaml = """\
storage:
  files:
    - path: /etc/a
      mode: 0644
      overwrite: false
      contents: {inline: a}
    - path: /etc/b
      mode: 0644
      append: true
      contents: {inline: b}
"""
    files = transpile(yaml)["storage"]["files"]
    assert files[0]["overwrite"] is False and files[0]["contents"] == {"source": "data:,a"}
    assert files[1] == {
        "overwrite": False,
        "path": "/etc/b",
        "append": [{"source": "data:,b"}],
        "mode": 0o644,
    }


def test_directories_and_links_keep_overwrite_as_given() -> None:
    yaml = """\
storage:
  directories:
    - {path: /var/x, mode: 0700, user: {id: 232}, group: {name: etcd}}
  links:
    - {path: /etc/localtime, target: /usr/share/zoneinfo/UTC, overwrite: true}
"""
    storage = transpile(yaml)["storage"]
    assert storage["directories"] == [
        {"group": {"name": "etcd"}, "path": "/var/x", "user": {"id": 232}, "mode": 0o700}
    ]
    assert storage["links"] == [
        {"overwrite": True, "path": "/etc/localtime", "target": "/usr/share/zoneinfo/UTC"}
    ]


def test_networkd_units_and_dropins_become_files() -> None:
    yaml = """\
storage:
  files:
    - {path: /etc/first, mode: 0644}
networkd:
  units:
    - name: 10-eth0.network
      contents: "[Match]\\nName=eth0\\n"
      dropins:
        - {name: 50-dns.conf, contents: "[Network]\\nDNS=10.0.0.1\\n"}
    - name: 20-only-dropins.network
      dropins:
        - {name: empty.conf}
"""
    out = transpile(yaml)
    assert "networkd" not in out
    paths = [(f["path"], f["contents"]["source"], f["mode"]) for f in out["storage"]["files"]]
    assert paths == [
        ("/etc/first", "data:,", 0o644),
        ("/etc/systemd/network/10-eth0.network", "data:,%5BMatch%5D%0AName%3Deth0%0A", 0o644),
        (
            "/etc/systemd/network/10-eth0.network.d/50-dns.conf",
            "data:,%5BNetwork%5D%0ADNS%3D10.0.0.1%0A",
            0o644,
        ),
        ("/etc/systemd/network/20-only-dropins.network.d/empty.conf", "data:,", 0o644),
    ]
    assert all(f["overwrite"] is True for f in out["storage"]["files"])


@pytest.mark.parametrize(
    ("unit", "enabled"),
    [
        ("enable: true", True),
        ("enabled: true", True),
        ("enabled: false", False),
        ("{enable: true, enabled: false}", False),  # the converter: enabled: false wins
        ("mask: true", None),
    ],
)
def test_enable_becomes_enabled(unit: str, enabled: bool | None) -> None:
    fields = unit.strip("{}").split(", ")
    body = "".join(f"      {f}\n" for f in fields)
    out = transpile(f"systemd:\n  units:\n    - name: a.service\n{body}")
    got = out["systemd"]["units"][0]
    assert "enable" not in got
    assert got.get("enabled") is enabled


def test_ct_sections_are_expanded_then_translated() -> None:
    out = transpile("etcd:\n  name: e1\nflannel: ~\nupdate:\n  group: stable\n")
    units = {u["name"]: u for u in out["systemd"]["units"]}
    assert units["etcd-member.service"]["enabled"] is True
    assert units["etcd-member.service"]["dropins"][0]["name"] == "20-clct-etcd-member.conf"
    assert units["flanneld.service"]["enabled"] is True
    update = [f for f in out["storage"]["files"] if f["path"] == "/etc/coreos/update.conf"]
    assert update and update[0]["overwrite"] is True


def test_duplicate_unit_entries_merge_as_flatcar_does() -> None:
    yaml = """\
flannel: ~
systemd:
  units:
    - name: flanneld.service
      dropins:
        - {name: 50-mine.conf, contents: "[Service]\\nRestart=always\\n"}
"""
    units = transpile(yaml)["systemd"]["units"]
    assert [u["name"] for u in units] == ["flanneld.service"]
    assert [d["name"] for d in units[0]["dropins"]] == ["20-clct-flannel.conf", "50-mine.conf"]


def test_filesystems_get_flatcars_mount_points() -> None:
    yaml = """\
storage:
  filesystems:
    - {name: root, mount: {device: /dev/disk/by-label/ROOT, format: ext4}}
    - {name: oem, mount: {device: /dev/disk/by-label/OEM, format: ext4}}
    - {name: data, mount: {device: /dev/sdb1, format: xfs, wipe_filesystem: true, label: D}}
  files:
    - {path: /grub.cfg, filesystem: oem, mode: 0644}
    - {path: /x/y, filesystem: data, mode: 0644}
  directories:
    - {path: /etc/d, filesystem: root, mode: 0755}
"""
    storage = transpile(yaml)["storage"]
    assert storage["filesystems"] == [
        {"device": "/dev/disk/by-label/OEM", "format": "btrfs", "path": "/usr/share/oem"},
        {
            "device": "/dev/sdb1",
            "format": "xfs",
            "label": "D",
            "path": "/tmp/data-ign2",
            "wipeFilesystem": True,
        },
    ]
    assert [f["path"] for f in storage["files"]] == [
        "/usr/share/oem/grub.cfg",
        "/tmp/data-ign2/x/y",
    ]
    assert storage["directories"][0]["path"] == "/etc/d"


def test_mount_points_and_join() -> None:
    found = mount_points([{"name": "root"}, {}, {"name": "oem"}, {"name": "a"}, {"name": "a"}])
    assert found == {"root": "/", "oem": "/usr/share/oem", "a": "/tmp/a-ign3"}
    assert join("/tmp/a-ign3", "/x//y/../z") == "/tmp/a-ign3/x/z"
    assert join("/", "/etc/hostname") == "/etc/hostname"


def test_users_groups_and_ignition_section() -> None:
    yaml = """\
ignition:
  config:
    append:
      - source: https://example.com/extra.ign
  timeouts: {http_total: 30}
  proxy: {https_proxy: "https://proxy:3128", no_proxy: [example.com]}
passwd:
  groups:
    - {name: ops, gid: 1500}
  users:
    - name: ops
      uid: 1500
      groups: [wheel]
      home_dir: /home/ops
      no_create_home: false
      password_hash: ""
"""
    out = transpile(yaml)
    assert out["ignition"] == {
        "config": {"merge": [{"source": "https://example.com/extra.ign"}]},
        "proxy": {"httpsProxy": "https://proxy:3128", "noProxy": ["example.com"]},
        "timeouts": {"httpTotal": 30},
        "version": "3.3.0",
    }
    assert out["passwd"] == {
        "groups": [{"gid": 1500, "name": "ops"}],
        "users": [
            {
                "groups": ["wheel"],
                "homeDir": "/home/ops",
                "name": "ops",
                "passwordHash": "",
                "uid": 1500,
            }
        ],
    }


def test_version_follows_the_flag_then_the_pin() -> None:
    pinned = "ignition:\n  version: 3.5.0\n"
    assert transpile(pinned, spec="3.4.0")["ignition"]["version"] == "3.4.0"
    rc, out, err = run(["transpile"], Path("."), stdin=pinned)
    assert (rc, json.loads(out)["ignition"]["version"]) == (0, "3.5.0"), err
    rc, out, err = run(["transpile"], Path("."), stdin="hostname: a\n")
    assert json.loads(out)["ignition"]["version"] == "2.3.0"


# -- refused ---------------------------------------------------------------------------

REFUSED = [
    (
        "storage:\n  files:\n    - {path: /a, mode: 0644}\n"
        "  links:\n    - {path: /a/, target: /b}\n",
        "<stdin>:5:14: error: Ignition spec 3.3.0 allows one entry per path: /a is also "
        "written by <stdin>:3:7 [spec3-refused]",
    ),
    (
        "storage:\n  links:\n    - {path: /opt/app, target: /srv}\n"
        "  directories:\n    - {path: /opt/app/x, mode: 0755}\n",
        "<stdin>:5:14: error: Ignition spec 3.3.0 cannot write /opt/app/x through the link "
        "/opt/app that this config creates: use the link's target in the path [spec3-refused]",
    ),
    (
        "passwd:\n  users:\n    - name: u\n      create: {uid: 5}\n",
        "<stdin>:4:7: error: Ignition spec 3.3.0 has no passwd.users[].create: write its "
        "fields (uid, groups, home_dir, shell, ...) on the user itself [spec3-removed]",
    ),
    (
        "storage:\n  files:\n    - {path: /x, filesystem: nope, mode: 0644}\n",
        "<stdin>:3:30: error: file '/x' is on filesystem 'nope', which this config does not "
        "define; Ignition spec 3.3.0 needs its mount point [spec3-refused]",
    ),
    (
        "systemd:\n  units:\n    - name: a.service\n      dropins:\n"
        "        - {name: x.conf, contents: ''}\n        - {name: x.conf, contents: ''}\n",
        "<stdin>:6:18: error: Ignition spec 3.3.0 allows one drop-in 'x.conf' per unit "
        "(a.service): merge the two [spec3-refused]",
    ),
]


@pytest.mark.parametrize(("yaml", "message"), REFUSED)
def test_refused_at_the_line_naming_the_spec(yaml: str, message: str) -> None:
    assert message in refused(yaml)


def test_2_x_builds_what_spec_3_refuses() -> None:
    rc, _, err = run(["transpile"], Path("."), stdin=REFUSED[0][0])
    assert rc == 0, err


@pytest.mark.parametrize(
    ("yaml", "spec", "message"),
    [
        (
            "kernel_arguments:\n  should_exist: [quiet]\n",
            "2.3.0",
            "<stdin>:1:1: error: 'kernel_arguments' needs Ignition spec 3.3.0 or newer "
            "(this host is built for 2.3.0; pin ignition.version or pass --spec) [spec-feature]",
        ),
        (
            "storage:\n  luks:\n    - {name: d, device: /dev/sdb, open_options: [-q]}\n",
            "3.3.0",
            "<stdin>:3:35: error: 'open_options' needs Ignition spec 3.4.0 or newer",
        ),
        (
            "storage:\n  luks:\n    - name: d\n      device: /dev/sdb\n"
            "      clevis: {tpm2: true}\n",
            "3.4.0",
            "<stdin>:5:7: error: 'clevis' needs Ignition spec 3.5.0 or newer on Flatcar",
        ),
        (
            "storage:\n  luks:\n    - name: d\n      device: /dev/sdb\n"
            "      cex: {enabled: true}\n",
            "3.5.0",
            "<stdin>:5:7: error: 'cex' cannot be used with any Ignition spec hostiso writes",
        ),
    ],
)
def test_spec_3_features_only_where_the_spec_has_them(yaml: str, spec: str, message: str) -> None:
    found = refused(yaml, spec)
    assert any(line.startswith(message) for line in found), found


def test_luks_and_kernel_arguments() -> None:
    yaml = """\
kernel_arguments:
  should_exist: [console=ttyS0]
  should_not_exist: [quiet]
storage:
  luks:
    - name: data
      device: /dev/disk/by-partlabel/data
      wipe_volume: true
      options: [--cipher, aes-xts-plain64]
      discard: true
      key_file:
        remote:
          url: https://keys.example/data
          verification:
            hash: {function: sha512, sum: "%s"}
""" % ("ab" * 64)
    out = transpile(yaml, "3.4.0")
    assert out["kernelArguments"] == {"shouldExist": ["console=ttyS0"], "shouldNotExist": ["quiet"]}
    assert out["storage"]["luks"] == [
        {
            "device": "/dev/disk/by-partlabel/data",
            "discard": True,
            "keyFile": {
                "source": "https://keys.example/data",
                "verification": {"hash": "sha512-" + "ab" * 64},
            },
            "name": "data",
            "options": ["--cipher", "aes-xts-plain64"],
            "wipeVolume": True,
        }
    ]


def test_validator_problems_point_at_the_input(tmp_path: Path) -> None:
    """A problem only spec 3 has (a key listed twice) is found in the output
    and reported at the host-file line of the second key."""
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBJv5RvDoHOF7k93AMhnKTiy7cVnTf59Ljd4YO3Fy0rR a@b"
    yaml = "passwd:\n  users:\n    - name: core\n      ssh_authorized_keys:\n"
    yaml += f"        - {key}\n        - {key}\n"
    found = refused(yaml)
    assert any(
        line.startswith("<stdin>:6:11: error: spec 3.3.0: duplicate entry defined")
        for line in found
    ), found


@pytest.mark.parametrize("command", [["build"], ["lint"], ["show", "a", "--ignition"]])
def test_an_unknown_spec_is_a_usage_error(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "a.yaml").write_text("hostname: a\n")
    rc, _, err = run([*command, "--spec", "3.9.0"], tmp_path)
    assert rc == 2
    assert (
        "invalid choice: '3.9.0' (choose from '2.2.0', '2.3.0', '3.3.0', '3.4.0', '3.5.0')" in err
    )


def test_transpile_unknown_spec_is_a_usage_error() -> None:
    rc, _, err = run(["transpile", "-spec", "3.9.0"], Path("."), stdin="")
    assert rc == 2
    assert err.startswith("-spec must be one of 2.2.0, 2.3.0, 3.3.0, 3.4.0, 3.5.0\n")


def test_show_ignition_uses_the_pin(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "overlays").mkdir()
    (tmp_path / "overlays" / "all.yaml").write_text("ignition: {version: 3.4.0}\n")
    (tmp_path / "configs" / "a.yaml").write_text("hostname: a\n")
    rc, out, _ = run(["show", "a", "--ignition"], tmp_path)
    assert (rc, json.loads(out)["ignition"]["version"]) == (0, "3.4.0")
    rc, out, _ = run(["show", "a", "--ignition", "--spec", "2.3.0"], tmp_path)
    assert json.loads(out)["ignition"]["version"] == "2.3.0"
