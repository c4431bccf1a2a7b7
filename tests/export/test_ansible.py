"""Real Ansible (ansible-core, a test dependency) reads ``hostiso inventory``.

The example fleet is copied with its ``inventory.sh`` (whose ``.venv`` is
this test's Python environment); ``ansible-inventory`` reads the script and
the static YAML and INI files, and ``ansible-playbook`` runs a local play
against the script.  Ansible's own files go to a temporary HOME and temp
directories, never to the user's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, write_fleet

BIN = Path(sys.executable).parent
ANSIBLE_INVENTORY = BIN / "ansible-inventory"
ANSIBLE_PLAYBOOK = BIN / "ansible-playbook"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not ANSIBLE_INVENTORY.exists() or not (BIN / "hostiso").exists(),
        reason="ansible-core or hostiso is not installed in this environment "
        "(pip install -e '.[test]')",
    ),
]

TRICKY: dict[str, Any] = {
    "text_number": "10",
    "text_bool": "True",
    "spaces": "a b  c",
    "quotes": 'it\'s "quoted"',
    "backslash": "C:\\dir\\",
    "hash": "#not a comment; nor this",
    "equals": "a=b",
    "empty": "",
    "unicode": "Grüße ✓",
    "number": 10,
    "float": 1.5,
    "flag": False,
    "nothing": None,
    "nested": {"list": [1, "two", {"three": 3}], "dollar": "$HOME"},
    "braces": "{{ '{{' }} not for hostiso {{ '}}' }}",
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Ansible's environment: everything it writes stays under a temp dir."""
    base = tmp_path_factory.mktemp("ansible")
    (base / "home").mkdir()
    (base / "ansible.cfg").write_text("[defaults]\n")
    values = {
        "HOME": base / "home",
        "ANSIBLE_CONFIG": base / "ansible.cfg",
        "ANSIBLE_LOCAL_TEMP": base / "tmp",
        "ANSIBLE_REMOTE_TEMP": base / "remote-tmp",
        "ANSIBLE_COLLECTIONS_PATH": base / "collections",
        "ANSIBLE_PERSISTENT_CONTROL_PATH_DIR": base / "cp",
        "ANSIBLE_SSH_CONTROL_PATH_DIR": base / "ssh-cp",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",  # an inventory that fails must fail the run
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
    }
    out = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    out.update({k: str(v) for k, v in values.items()})
    out["PATH"] = f"{BIN}{os.pathsep}{out.get('PATH', '')}"
    return out


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example fleet with its inventory script, and one host with tricky variables."""
    root = tmp_path_factory.mktemp("fleet")
    for part in ("configs", "overlays"):
        shutil.copytree(REPO / part, root / part)
    shutil.copy2(REPO / "inventory.sh", root / "inventory.sh")
    (root / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    worker = (root / "configs" / "worker-2.yaml").read_text()
    tricky = json.dumps({"vars": TRICKY}, ensure_ascii=False)  # JSON is YAML
    write_fleet(root, {"configs/worker-2.yaml": f"{worker}inventory: {tricky}\n"})
    return root


def ansible(tool: Path, env: dict[str, str], cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        [str(tool), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def read(env: dict[str, str], fleet: Path, source: str) -> dict[str, Any]:
    """``ansible-inventory --list`` of one inventory source."""
    document: dict[str, Any] = json.loads(
        ansible(ANSIBLE_INVENTORY, env, fleet, "-i", source, "--list")
    )
    document["_meta"].pop("profile", None)
    return document


def test_graph(env: dict[str, str], fleet: Path) -> None:
    graph = ansible(ANSIBLE_INVENTORY, env, fleet, "-i", "./inventory.sh", "--graph")
    assert graph.splitlines() == [
        "@all:",
        "  |--@ungrouped:",
        "  |--@controller:",
        "  |  |--ctl-1",
        "  |  |--ctl-2",
        "  |  |--ctl-3",
        "  |--@etcd:",
        "  |  |--ctl-1",
        "  |  |--ctl-2",
        "  |  |--ctl-3",
        "  |--@k8s_cluster:",
        "  |  |--@kube_control_plane:",
        "  |  |  |--ctl-1",
        "  |  |  |--ctl-2",
        "  |  |  |--ctl-3",
        "  |  |--@kube_node:",
        "  |  |  |--worker-1",
        "  |  |  |--worker-2",
        "  |--@worker:",
        "  |  |--worker-1",
        "  |  |--worker-2",
    ]


def test_list_and_static_formats_agree(env: dict[str, str], fleet: Path) -> None:
    """The script, the YAML and the INI inventory give Ansible the same inventory,
    with hostiso's variables unchanged (tricky values included)."""
    script = read(env, fleet, "./inventory.sh")
    hostvars = script["_meta"]["hostvars"]
    assert hostvars["ctl-1"] == {
        "access_ip": "192.168.1.11",
        "ansible_host": "192.168.1.11",
        "ansible_python_interpreter": "/opt/bin/python",
        "ansible_user": "core",
        "bin_dir": "/opt/bin",
        "etcd_member_name": "ctl-1",
        "ip": "192.168.1.11",
    }
    assert {k: hostvars["worker-2"][k] for k in TRICKY} == {
        **TRICKY,
        "braces": "{{ not for hostiso }}",
    }
    assert script["kube_control_plane"]["hosts"] == ["ctl-1", "ctl-2", "ctl-3"]
    assert script["k8s_cluster"]["children"] == ["kube_control_plane", "kube_node"]
    for fmt in ("yaml", "ini"):
        target = fleet / f"hosts.{fmt}"
        subprocess.run(
            ["./inventory.sh", "--format", fmt, "-o", str(target)], cwd=fleet, env=env, check=True
        )
        assert read(env, fleet, str(target)) == script, fmt


def test_playbook_reads_host_variables(env: dict[str, str], fleet: Path, tmp_path: Path) -> None:
    play = tmp_path / "play.yml"
    play.write_text(
        "- hosts: kube_control_plane\n"
        "  connection: local\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - ansible.builtin.assert:\n"
        "        that:\n"
        "          - etcd_member_name == inventory_hostname\n"
        "          - ansible_host == '192.168.1.1' ~ inventory_hostname[-1]\n"
        "          - bin_dir == '/opt/bin'\n"
        "          - \"'etcd' in group_names and 'k8s_cluster' in group_names\"\n"
        "          - groups['kube_node'] == ['worker-1', 'worker-2']\n"
    )
    out = ansible(ANSIBLE_PLAYBOOK, env, fleet, "-i", "./inventory.sh", str(play))
    recap = [line.split() for line in out.splitlines() if line.startswith("ctl-")]
    assert [r[:3] for r in recap] == [[f"ctl-{i}", ":", "ok=1"] for i in (1, 2, 3)]
    assert all("failed=0" in r for r in recap)


def test_a_broken_host_stops_ansible(env: dict[str, str], fleet: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(fleet, broken, symlinks=True)
    (broken / "configs" / "worker-1.yaml").write_text("groups: [worker]\nnetwork: 3\n")
    proc = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", "./inventory.sh", "--list"],
        cwd=broken,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "configs/worker-1.yaml:2:10: error: expected a mapping" in proc.stderr
