"""``hostiso transpile``: a drop-in for ``ct`` in existing Makefiles."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from conftest import EMPTY_IGNITION, PASSWORD_HASH, SSH_KEY, heads, run

EXEC_START_PRE = (
    'ExecStartPre=/usr/bin/etcdctl set /coreos.com/network/config \'{"Network": "10.1.0.0/16"}\''
)
# The reference host from shared/BACKGROUND.md, written correctly indented.
REFERENCE = f"""\
passwd:
  users:
    - name: core
      ssh_authorized_keys:
        - {SSH_KEY}
      password_hash: "{PASSWORD_HASH}"
storage:
  files:
    - path: /etc/hostname
      filesystem: root
      mode: 0644
      contents:
        inline: coreos1
networkd:
  units:
    - name: 10-static.network
      contents: |
        [Match]
        Name=eth0

        [Network]
        Address=192.168.1.10/24
        Gateway=192.168.1.1
        DNS=192.168.1.1
        DNS=192.168.1.2

        [Route]
        Gateway=192.168.1.124
        Destination=10.45.0.0/16
etcd:
  name: coreos1
  listen_client_urls: http://192.168.1.10:2379
  advertise_client_urls: http://192.168.1.10:2379
  listen_peer_urls: http://192.168.1.10:2380
  initial_advertise_peer_urls: http://192.168.1.10:2380
  initial_cluster: coreos1=http://192.168.1.10:2380,coreos2=http://192.168.1.11:2380
  initial_cluster_token: my-etcd-token
  initial_cluster_state: new
flannel: ~
systemd:
  units:
    - name: flanneld.service
      dropins:
        - name: 50-network-config.conf
          contents: |
            [Service]
            {EXEC_START_PRE}
"""

ETCD_DROPIN = (
    "[Service]\n"
    "ExecStart=\n"
    "ExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n"
    '  --name="coreos1" \\\n'
    '  --listen-peer-urls="http://192.168.1.10:2380" \\\n'
    '  --listen-client-urls="http://192.168.1.10:2379" \\\n'
    '  --initial-advertise-peer-urls="http://192.168.1.10:2380" \\\n'
    '  --initial-cluster="coreos1=http://192.168.1.10:2380,coreos2=http://192.168.1.11:2380" \\\n'
    '  --initial-cluster-state="new" \\\n'
    '  --initial-cluster-token="my-etcd-token" \\\n'
    '  --advertise-client-urls="http://192.168.1.10:2379"'
)

# ct writes `"enable": true` for the units of its etcd and flannel sections, as
# here, and a second flanneld.service entry for the user's drop-in; hostiso
# merges the two entries (ct's drop-in first).  Ignition leaves the machine in
# the same state, and the output stays valid for Ignition 3.
REFERENCE_IGNITION: dict[str, Any] = {
    "ignition": EMPTY_IGNITION,
    "networkd": {
        "units": [
            {
                "contents": "[Match]\nName=eth0\n\n[Network]\nAddress=192.168.1.10/24\n"
                "Gateway=192.168.1.1\nDNS=192.168.1.1\nDNS=192.168.1.2\n\n[Route]\n"
                "Gateway=192.168.1.124\nDestination=10.45.0.0/16\n",
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
        "files": [
            {
                "filesystem": "root",
                "path": "/etc/hostname",
                "contents": {"source": "data:,coreos1", "verification": {}},
                "mode": 0o644,
            }
        ]
    },
    "systemd": {
        "units": [
            {
                "dropins": [{"contents": ETCD_DROPIN, "name": "20-clct-etcd-member.conf"}],
                "enable": True,
                "name": "etcd-member.service",
            },
            {
                "dropins": [
                    {
                        "contents": "[Service]\nExecStart=\n"
                        "ExecStart=/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS",
                        "name": "20-clct-flannel.conf",
                    },
                    {
                        "contents": "[Service]\nExecStartPre=/usr/bin/etcdctl set "
                        '/coreos.com/network/config \'{"Network": "10.1.0.0/16"}\'\n',
                        "name": "50-network-config.conf",
                    },
                ],
                "enable": True,
                "name": "flanneld.service",
            },
        ]
    },
}

ENABLED_NO_INSTALL = (
    "systemd:\n  units:\n    - name: a.service\n      enabled: true\n"
    '      contents: "[Service]\\nExecStart=/bin/true\\n"\n'
)
LOCAL = (
    "storage:\n  files:\n    - path: /etc/motd\n      contents:\n        local: {}\n"
    "      mode: 0644\n"
)
LOCAL_OUT: dict[str, Any] = {
    "ignition": EMPTY_IGNITION,
    "networkd": {},
    "passwd": {},
    "systemd": {},
    "storage": {
        "files": [
            {
                "filesystem": "root",
                "path": "/etc/motd",
                "contents": {"source": "data:,hi%0A", "verification": {}},
                "mode": 0o644,
            }
        ]
    },
}


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    (tmp_path / "config.yaml").write_text(REFERENCE)
    (tmp_path / "files").mkdir()
    (tmp_path / "files/motd").write_text("hi\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/secret").write_text("secret\n")
    (tmp_path / "files/escape").symlink_to("../outside/secret")
    (tmp_path / "files/sub").mkdir()
    (tmp_path / "files/sub/inner").symlink_to("../motd")
    return tmp_path


def transpile(cwd: Path, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    return run(["transpile", *argv], cwd, stdin=stdin)


# --- the reference config ---------------------------------------------------------------


def test_reference_config(cwd: Path) -> None:
    rc, out, err = transpile(cwd, "-in-file", "config.yaml")
    assert (rc, err) == (0, "")
    assert json.loads(out) == REFERENCE_IGNITION


def test_stdin_to_stdout_compact_without_newline(cwd: Path) -> None:
    rc, out, err = transpile(cwd, stdin=REFERENCE)
    assert (rc, err) == (0, "")
    assert not out.endswith("\n")
    assert "\n" not in out
    assert json.loads(out) == REFERENCE_IGNITION


def test_pretty_indents_and_ends_with_a_newline(cwd: Path) -> None:
    rc, out, err = transpile(cwd, "-pretty", stdin=REFERENCE)
    assert (rc, err) == (0, "")
    assert out.endswith("}\n")
    assert out.startswith('{\n  "ignition": {\n    "config": {},\n')
    assert json.loads(out) == REFERENCE_IGNITION
    assert out == json.dumps(REFERENCE_IGNITION, indent=2).replace("&", "\\u0026") + "\n"


# --- flags, as Go's flag package spells them --------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["-in-file", "config.yaml", "-out-file", "out.json"],
        ["--in-file", "config.yaml", "--out-file", "out.json"],
        ["-in-file=config.yaml", "-out-file=out.json"],
        ["--in-file=config.yaml", "--out-file=out.json"],
        ["-out-file", "out.json", "-in-file=config.yaml", "-pretty=false"],
        ["--strict", "-in-file", "config.yaml", "-out-file", "out.json", "-files-dir", "files"],
        ["-strict=true", "--files-dir=files", "-in-file", "config.yaml", "-out-file=out.json"],
    ],
)
def test_flag_spellings(cwd: Path, argv: list[str]) -> None:
    assert transpile(cwd, *argv) == (0, "", "")
    data = (cwd / "out.json").read_bytes()
    assert json.loads(data) == REFERENCE_IGNITION
    assert not data.endswith(b"\n")
    assert stat.S_IMODE((cwd / "out.json").stat().st_mode) == 0o600


@pytest.mark.parametrize("flag", ["-pretty", "--pretty", "-pretty=true", "--pretty=1"])
def test_pretty_spellings(cwd: Path, flag: str) -> None:
    rc, out, _ = transpile(cwd, flag, "-in-file", "config.yaml")
    assert rc == 0
    assert out.endswith("\n") and out.startswith("{\n  ")


@pytest.mark.parametrize(
    ("argv", "first_line"),
    [
        (["-bogus"], "flag provided but not defined: -bogus"),
        (["--in"], "flag provided but not defined: -in"),
        (["-in-file"], "flag needs an argument: -in-file"),
        (["-pretty=maybe"], "invalid boolean value 'maybe' for -pretty"),
        (["config.yaml"], "unexpected argument: config.yaml"),
    ],
)
def test_usage_errors_exit_2(cwd: Path, argv: list[str], first_line: str) -> None:
    rc, out, err = transpile(cwd, *argv)
    assert (rc, out) == (2, "")
    assert err.splitlines()[0] == first_line
    assert "Usage of hostiso transpile" in err


def test_help_lists_ct_flags(cwd: Path) -> None:
    rc, out, err = transpile(cwd, "-help")
    assert (rc, out) == (0, "")
    for flag in ("-in-file", "-out-file", "-pretty", "-strict", "-files-dir"):
        assert f"  {flag}" in err


# --- errors and warnings --------------------------------------------------------------


def test_config_error_exits_1_and_writes_no_file(cwd: Path) -> None:
    (cwd / "bad.yaml").write_text("storage:\n  files:\n    - path: etc/foo\n      mode: 0644\n")
    rc, out, err = transpile(cwd, "-in-file", "bad.yaml", "-out-file", "out.json")
    assert (rc, out) == (1, "")
    assert heads(err) == [
        "bad.yaml:3:13: error: path 'etc/foo' must be absolute (start with /) [relative-path]"
    ]
    assert not (cwd / "out.json").exists()
    assert sorted(p.name for p in cwd.iterdir()) == ["bad.yaml", "config.yaml", "files", "outside"]


def test_failed_run_leaves_an_old_output_alone(cwd: Path) -> None:
    (cwd / "out.json").write_text("old")
    rc, _, _ = transpile(cwd, "-out-file", "out.json", stdin="hostnme: x\n")
    assert rc == 1
    assert (cwd / "out.json").read_text() == "old"


def test_stdin_errors_are_named_stdin(cwd: Path) -> None:
    rc, out, err = transpile(cwd, stdin="storage:\n\tfiles: []\n")
    assert (rc, out) == (1, "")
    assert heads(err) == [
        "<stdin>:2:1: error: tab character used for indentation; YAML allows only spaces here "
        "[yaml-tab]"
    ]


def test_unreadable_input_exits_1(cwd: Path) -> None:
    rc, out, err = transpile(cwd, "-in-file", "missing.yaml")
    assert (rc, out) == (1, "")
    assert err.startswith("missing.yaml: error: cannot read")


def test_warnings_pass_unless_strict(cwd: Path) -> None:
    warning = (
        '<stdin>:3:7: warning: unit "a.service" is enabled, but has no install section so '
        "enable does nothing [ignition-unit-no-install]"
    )
    rc, out, err = transpile(cwd, stdin=ENABLED_NO_INSTALL)
    assert rc == 0 and heads(err) == [warning]
    assert json.loads(out)["systemd"]["units"][0]["name"] == "a.service"
    rc, out, err = transpile(cwd, "-strict", "-out-file", "o.json", stdin=ENABLED_NO_INSTALL)
    assert (rc, out, heads(err)) == (1, "", [warning])
    assert not (cwd / "o.json").exists()


def test_unknown_key_has_did_you_mean(cwd: Path) -> None:
    rc, _, err = transpile(cwd, stdin="systemd:\n  unit: []\n")
    assert rc == 1
    assert heads(err) == [
        "<stdin>:2:3: error: unknown key 'unit'; did you mean 'units'? [unknown-key]"
    ]


# --- contents.local -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["motd", "./motd", "sub/inner"])
def test_local_file_inside_files_dir(cwd: Path, name: str) -> None:
    rc, out, err = transpile(cwd, "-files-dir", "files", stdin=LOCAL.format(name))
    assert (rc, err) == (0, "")
    assert json.loads(out) == LOCAL_OUT


def test_files_dir_may_be_absolute(cwd: Path) -> None:
    rc, out, _ = transpile(cwd, f"-files-dir={cwd / 'files'}", stdin=LOCAL.format("motd"))
    assert rc == 0
    assert json.loads(out) == LOCAL_OUT


@pytest.mark.parametrize(
    ("name", "argv", "head"),
    [
        (
            "../outside/secret",
            ["-files-dir", "files"],
            "'../outside/secret' must be a relative path inside files/ [path-escape]",
        ),
        (
            "sub/../../outside/secret",
            ["-files-dir", "files"],
            "'sub/../../outside/secret' must be a relative path inside files/ [path-escape]",
        ),
        (
            "/etc/passwd",
            ["-files-dir", "files"],
            "'/etc/passwd' must be a relative path inside files/ [path-escape]",
        ),
        (
            "escape",
            ["-files-dir", "files"],
            "'escape' leads outside files/ (through a symlink) [path-escape]",
        ),
        ("nope", ["-files-dir", "files"], "'nope' is not a file in files/ [local-file-missing]"),
        ("sub", ["-files-dir", "files"], "'sub' is not a file in files/ [local-file-missing]"),
        ("motd", [], "contents.local needs a files directory (--files-dir) [no-files-dir]"),
    ],
)
def test_local_file_errors(cwd: Path, name: str, argv: list[str], head: str) -> None:
    rc, out, err = transpile(cwd, *argv, "-out-file", "o.json", stdin=LOCAL.format(name))
    assert (rc, out) == (1, "")
    assert heads(err) == [f"<stdin>:5:16: error: {head}"]
    assert "secret" not in out
    assert not (cwd / "o.json").exists()


def test_output_is_written_atomically(cwd: Path) -> None:
    rc, _, _ = transpile(cwd, "-in-file", "config.yaml", "-out-file", "out.json")
    assert rc == 0
    leftovers = [p.name for p in cwd.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    assert os.path.getsize(cwd / "out.json") > 0
