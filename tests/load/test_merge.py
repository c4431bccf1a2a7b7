"""Merge rules: overlays/all.yaml, then each group overlay in order, then the host file.

Most cases go through the real CLI (``hostiso build``) and check the Ignition
JSON it writes; provenance is checked on the merged tree with ``locate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import (
    CORE,
    EMPTY_IGNITION,
    KEYS,
    LOGIN,
    PASSWORD_HASH,
    SSH_KEY,
    build_ok,
    hostname_file,
    load_ign,
    run,
    write_fleet,
)
from hostiso.diagnostics import Mark
from hostiso.load import merge
from hostiso.load.fleet import Layout, read_fleet
from hostiso.load.yamlload import load_text, to_plain


def build_one(root: Path, files: dict[str, str], host: str = "h") -> Any:
    write_fleet(root, files)
    build_ok(root, host)
    return load_ign(root, host)


# --- mappings and scalars ------------------------------------------------------


def test_mappings_merge_key_by_key(tmp_path: Path) -> None:
    ign = build_one(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN + "ignition:\n  timeouts:\n    http_total: 10\n",
            "configs/h.yaml": "ignition:\n  timeouts:\n    http_response_headers: 5\n",
        },
    )
    assert ign["ignition"]["timeouts"] == {"httpResponseHeaders": 5, "httpTotal": 10}


def test_layers_apply_all_then_groups_in_order_then_host(tmp_path: Path) -> None:
    def unit(text: str) -> str:
        return (
            "networkd:\n  units:\n    - name: 20-x.network\n"
            f'      contents: "[Match]\\nName={text}\\n"\n'
        )

    files = {
        "overlays/all.yaml": LOGIN + unit("all"),
        "overlays/a.yaml": unit("a"),
        "overlays/b.yaml": unit("b"),
        "configs/h.yaml": "groups: [a, b]\n",
        "configs/g.yaml": "groups: [b, a]\n",
        "configs/i.yaml": "groups: [a, b]\n" + unit("host"),
        "configs/j.yaml": "{}\n",
    }
    write_fleet(tmp_path, files)
    build_ok(tmp_path)
    contents = {h: load_ign(tmp_path, h)["networkd"]["units"][0]["contents"] for h in "ghij"}
    assert contents == {
        "g": "[Match]\nName=a\n",
        "h": "[Match]\nName=b\n",
        "i": "[Match]\nName=host\n",
        "j": "[Match]\nName=all\n",
    }


def test_scalars_and_plain_lists_are_replaced(tmp_path: Path) -> None:
    ign = build_one(
        tmp_path,
        {
            "overlays/all.yaml": (
                "passwd:\n  users:\n    - name: core\n      shell: /bin/sh\n"
                f"      ssh_authorized_keys: ['{KEYS[0]}', '{KEYS[1]}']\n"
                "      groups: [sudo, docker]\n"
            ),
            "configs/h.yaml": (
                "passwd:\n  users:\n    - name: core\n      shell: /bin/bash\n"
                f"      ssh_authorized_keys: ['{KEYS[2]}']\n"
            ),
        },
    )
    assert ign["passwd"]["users"] == [
        {
            "groups": ["sudo", "docker"],
            "name": "core",
            "shell": "/bin/bash",
            "sshAuthorizedKeys": [KEYS[2]],
        }
    ]


# --- named lists ---------------------------------------------------------------

OVERLAY = f"""\
passwd:
  users:
    - name: core
      groups: [sudo]
      ssh_authorized_keys: ['{SSH_KEY}']
    - name: alice
      uid: 1001
  groups:
    - name: ops
      gid: 1500
storage:
  disks:
    - device: /dev/sda
      wipe_table: true
  raid:
    - name: md0
      level: raid1
      devices: [/dev/sdb, /dev/sdc]
  filesystems:
    - name: data
      mount:
        device: /dev/md0
        format: ext4
  files:
    - path: /etc/motd
      contents:
        inline: hello
  links:
    - path: /etc/l
      target: /a
  directories:
    - path: /d
      mode: 0700
systemd:
  units:
    - name: a.service
      contents: "[Service]\\nExecStart=/bin/true\\n"
      dropins:
        - name: 10-a.conf
          contents: "[Service]\\nA=1\\n"
networkd:
  units:
    - name: 20-x.network
      contents: "[Match]\\nName=eth1\\n"
      dropins:
        - name: 10-n.conf
          contents: "[Network]\\nA=1\\n"
"""

HOST = f"""\
passwd:
  users:
    - name: core
      password_hash: "{PASSWORD_HASH}"
    - name: bob
  groups:
    - name: ops
      system: true
storage:
  disks:
    - device: /dev/sda
      partitions:
        - label: root
  raid:
    - name: md0
      spares: 1
  filesystems:
    - name: data
      mount:
        label: DATA
  files:
    - path: /etc/motd
      mode: 0600
    - path: /etc/new
      contents:
        inline: new
  links:
    - path: /etc/l
      hard: true
  directories:
    - path: /d
      user: {{id: 500}}
systemd:
  units:
    - name: a.service
      mask: true
      dropins:
        - name: 10-a.conf
          contents: "[Service]\\nA=2\\n"
        - name: 20-b.conf
          contents: "[Service]\\nB=1\\n"
networkd:
  units:
    - name: 20-x.network
      dropins:
        - name: 10-n.conf
          contents: "[Network]\\nA=2\\n"
"""


@pytest.fixture
def named(tmp_path: Path) -> Any:
    return build_one(tmp_path, {"overlays/all.yaml": OVERLAY, "configs/h.yaml": HOST})


def test_users_and_groups_merge_by_name(named: Any) -> None:
    assert named["passwd"] == {
        "groups": [{"gid": 1500, "name": "ops", "system": True}],
        "users": [
            {**CORE, "groups": ["sudo"], "passwordHash": PASSWORD_HASH},
            {"name": "alice", "uid": 1001},
            {"name": "bob"},
        ],
    }


def test_files_directories_links_merge_by_path(named: Any) -> None:
    storage = named["storage"]
    assert storage["files"] == [
        hostname_file("h"),
        {
            "filesystem": "root",
            "path": "/etc/motd",
            "contents": {"source": "data:,hello", "verification": {}},
            "mode": 0o600,
        },
        {
            "filesystem": "root",
            "path": "/etc/new",
            "contents": {"source": "data:,new", "verification": {}},
            "mode": 0o644,
        },
    ]
    assert storage["directories"] == [
        {"filesystem": "root", "path": "/d", "user": {"id": 500}, "mode": 0o700},
    ]
    assert storage["links"] == [
        {"filesystem": "root", "path": "/etc/l", "hard": True, "target": "/a"},
    ]


def test_disks_by_device_raid_and_filesystems_by_name(named: Any) -> None:
    storage = named["storage"]
    assert storage["disks"] == [
        {"device": "/dev/sda", "partitions": [{"label": "root"}], "wipeTable": True},
    ]
    assert storage["raid"] == [
        {"devices": ["/dev/sdb", "/dev/sdc"], "level": "raid1", "name": "md0", "spares": 1},
    ]
    assert storage["filesystems"] == [
        {"mount": {"device": "/dev/md0", "format": "ext4", "label": "DATA"}, "name": "data"},
    ]


def test_units_and_their_dropins_merge_by_name(named: Any) -> None:
    assert named["systemd"] == {
        "units": [
            {
                "contents": "[Service]\nExecStart=/bin/true\n",
                "dropins": [
                    {"contents": "[Service]\nA=2\n", "name": "10-a.conf"},
                    {"contents": "[Service]\nB=1\n", "name": "20-b.conf"},
                ],
                "mask": True,
                "name": "a.service",
            }
        ]
    }
    assert named["networkd"] == {
        "units": [
            {
                "contents": "[Match]\nName=eth1\n",
                "dropins": [{"contents": "[Network]\nA=2\n", "name": "10-n.conf"}],
                "name": "20-x.network",
            }
        ]
    }


# --- resets --------------------------------------------------------------------


def test_null_removes_what_earlier_layers_set(tmp_path: Path) -> None:
    ign = build_one(
        tmp_path,
        {
            "overlays/all.yaml": (
                "network:\n  interface: eth0\n  addresses: [192.168.1.10/24]\n"
                "passwd:\n  users:\n    - name: core\n      shell: /bin/sh\n      uid: 500\n"
                f"      ssh_authorized_keys: ['{SSH_KEY}']\n"
            ),
            "configs/h.yaml": (
                "network: null\npasswd:\n  users:\n    - name: core\n      shell: ~\n"
            ),
        },
    )
    assert ign == {
        "ignition": EMPTY_IGNITION,
        "networkd": {},
        "passwd": {"users": [{**CORE, "uid": 500}]},
        "storage": {"files": [hostname_file("h")]},
        "systemd": {},
    }


def test_empty_list_resets_a_named_list(tmp_path: Path) -> None:
    ign = build_one(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN
            + "systemd:\n  units:\n    - name: a.service\n      mask: true\n",
            "overlays/g.yaml": "systemd:\n  units:\n    - name: b.service\n      mask: true\n",
            "configs/h.yaml": (
                "groups: [g]\nsystemd:\n  units: []\n"
                "storage:\n  links:\n    - path: /l\n      target: /t\n"
            ),
        },
    )
    assert ign["systemd"] == {}
    assert ign["storage"]["links"] == [{"filesystem": "root", "path": "/l", "target": "/t"}]


def test_empty_list_then_new_entries_in_a_later_group(tmp_path: Path) -> None:
    ign = build_one(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN
            + "systemd:\n  units:\n    - name: a.service\n      mask: true\n",
            "overlays/g.yaml": "systemd:\n  units: []\n",
            "configs/h.yaml": "groups: [g]\nsystemd:\n  units:\n    - name: b.service\n"
            "      mask: true\n",
        },
    )
    assert ign["systemd"] == {"units": [{"mask": True, "name": "b.service"}]}


def test_empty_files_list_keeps_generated_hostname(tmp_path: Path) -> None:
    ign = build_one(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN + "storage:\n  files:\n    - path: /etc/motd\n",
            "configs/h.yaml": "storage:\n  files: []\n",
        },
    )
    assert ign["storage"] == {"files": [hostname_file("h")]}


# --- provenance ------------------------------------------------------------------

PROVENANCE = {
    "overlays/all.yaml": (
        "# all hosts\n"
        "storage:\n"
        "  files:\n"
        "    - path: /etc/motd\n"
        "      mode: 0644\n"
        "      contents:\n"
        "        inline: hello\n"
    ),
    "overlays/web.yaml": ("storage:\n  files:\n    - path: /etc/motd\n      mode: 0600\n"),
    "configs/h.yaml": (
        "groups: [web]\nstorage:\n  files:\n    - path: /etc/motd\n      overwrite: true\n"
    ),
}


@pytest.mark.parametrize(
    ("path", "mark"),
    [
        (("storage", "files", 0, "contents", "inline"), Mark("overlays/all.yaml", 7, 17)),
        (("storage", "files", 0, "mode"), Mark("overlays/web.yaml", 4, 13)),
        (("storage", "files", 0, "overwrite"), Mark("configs/h.yaml", 5, 18)),
        (("storage", "files", 0, "path"), Mark("configs/h.yaml", 4, 13)),
        (("storage", "files", 0, "contents", "no-such-key"), Mark("overlays/all.yaml", 7, 9)),
        (("groups", 0), Mark("configs/h.yaml", 1, 10)),
    ],
)
def test_merged_values_remember_the_layer_that_won(
    tmp_path: Path, path: tuple[str | int, ...], mark: Mark
) -> None:
    write_fleet(tmp_path, PROVENANCE)
    (host,) = read_fleet(Layout(tmp_path))
    assert host.locate(path) == mark


def test_provenance_reaches_diagnostics(tmp_path: Path) -> None:
    files = dict(PROVENANCE)
    files["overlays/web.yaml"] = files["overlays/web.yaml"].replace("0600", '"0600"')
    write_fleet(tmp_path, files)
    rc, _, err = run(["build"], tmp_path)
    assert rc == 1
    assert err.splitlines()[0] == (
        "overlays/web.yaml:4:13: error: expected integer, got string [wrong-type]"
    )


# --- merge() itself, on parsed layers ---------------------------------------------


def merged(*texts: str) -> Any:
    layers = []
    for i, text in enumerate(texts):
        node, problems = load_text(text, f"layer{i}.yaml")
        assert node is not None and problems == []
        layers.append(node)
    return to_plain(merge.merge_layers(layers))


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        (("a: {x: 1, y: 2}", "a: {y: 3, z: 4}"), {"a": {"x": 1, "y": 3, "z": 4}}),
        (("a: [1, 2]", "a: [3]"), {"a": [3]}),
        (("a: 1", "a: {b: 2}"), {"a": {"b": 2}}),
        (("a: {b: 2}", "a: 1"), {"a": 1}),
        (("a: 1\nb: 2", "a: null"), {"b": 2}),
        (("a: 1", "b: ~", "b: 3"), {"a": 1, "b": 3}),
        (
            ("passwd: {users: [{name: x, uid: 1}]}", "passwd: {users: []}"),
            {"passwd": {"users": []}},
        ),
        (
            (
                "storage: {files: [{path: /a}, {path: /b}]}",
                "storage: {files: [{path: /b, mode: 1}, {path: /c}]}",
            ),
            {"storage": {"files": [{"path": "/a"}, {"path": "/b", "mode": 1}, {"path": "/c"}]}},
        ),
        (
            (
                "storage: {disks: [{device: /dev/sda, wipe_table: true}]}",
                "storage: {disks: [{device: /dev/sdb}]}",
            ),
            {
                "storage": {
                    "disks": [{"device": "/dev/sda", "wipe_table": True}, {"device": "/dev/sdb"}]
                }
            },
        ),
        (
            (
                "ignition: {config: {append: [{source: a}]}}",
                "ignition: {config: {append: [{source: b}]}}",
            ),
            {"ignition": {"config": {"append": [{"source": "b"}]}}},
        ),
    ],
)
def test_merge_table(layers: tuple[str, ...], expected: Any) -> None:
    assert merged(*layers) == expected


def test_merged_node_marks_point_at_winning_layer() -> None:
    nodes = [
        load_text(t, f"l{i}.yaml")[0]
        for i, t in enumerate(
            [
                "storage:\n  files:\n    - path: /a\n      mode: 1\n",
                "storage:\n  files:\n    - path: /a\n      user: {id: 2}\n",
            ]
        )
    ]
    tree = merge.merge_layers([n for n in nodes if n is not None])
    from hostiso.load.fleet import locate

    assert locate(tree, ("storage", "files", 0, "mode")) == Mark("l0.yaml", 4, 13)
    assert locate(tree, ("storage", "files", 0, "user", "id")) == Mark("l1.yaml", 4, 18)
