"""Builds and lints shared by a team of processes give what one process gives.

The fleet has etcd members with TLS (the CA made by whichever member gets
there first), flannel clients, a template reading another host and the etcd
group, a password file, a host file that does not load and two hosts that
claim one address, spread over both members' shares.  Every host is built
by a team of two (``MIN_SHARE`` lowered to one host), then by one process,
from the same ``secrets/``: the same outputs, diagnostics and inventory.
Then the run that needs its clean hosts only: one edited host is loaded,
no clean host's record is read unless a fleet fact changed.
"""

from __future__ import annotations

import os
import shutil
from io import StringIO
from pathlib import Path

import pytest

from conftest import LOGIN, write_fleet
from hostiso import cli
from hostiso.pipeline import records, stages
from hostiso.util import parallel


def net(address: str) -> str:
    return f"network: {{interface: eth0, addresses: [{address}/24]}}\n"


FLEET = {
    "overlays/all.yaml": LOGIN + "vars: {site: dc1}\n",
    "overlays/etcd.yaml": "etcd: {initial_cluster_token: t}\n",
    "overlays/worker.yaml": "flannel: ~\nstorage:\n  files:\n    - path: /etc/motd\n"
    "      contents: {template: motd.j2}\n"
    "passwd:\n  users:\n    - name: ops\n      password_file: secrets/ops.password\n",
    "files/motd.j2": "{{ host.name }}: {{ groups.etcd | join(',') }} "
    "{{ fleet.hosts['c1'].addresses[0].ip }}\n",
    "secrets/ops.password": "hunter2\n",
    "configs/a-broken.yaml": "network: [\n",
    "configs/c1.yaml": "groups: [etcd]\n" + net("10.0.0.11"),
    "configs/c2.yaml": "groups: [etcd]\n" + net("10.0.0.12"),
    "configs/w1.yaml": "groups: [worker]\n" + net("10.0.0.21"),
    "configs/w2.yaml": "groups: [worker]\n" + net("10.0.0.22"),
    "configs/w3.yaml": "groups: [worker]\n" + net("10.0.0.23"),
    "configs/w4.yaml": "groups: [worker]\n" + net("10.0.0.24"),
    "configs/w5.yaml": "groups: [worker]\n" + net("10.0.0.99"),
    "configs/x1.yaml": "groups: [worker]\n" + net("10.0.0.31") + "inventory: {vars: {rack: 1}}\n",
    "configs/x2.yaml": "groups: [etcd]\n" + net("10.0.0.13"),
    "configs/x3.yaml": net("10.0.0.99"),
}


def run(root: Path, *argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    old = os.getcwd()
    try:
        os.chdir(root)
        rc = cli.main([*argv], stdout=out, stderr=err)
    finally:
        os.chdir(old)
    return rc, out.getvalue(), err.getvalue()


def outputs(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for d in ("build", "out")
        for p in sorted((root / d).glob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.fixture
def fleets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Two copies of the fleet with the same secrets/ (CA, certificates, fleet key)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setattr(parallel, "MIN_SHARE", 1)
    one = write_fleet(tmp_path / "one", FLEET)
    run(one, "build", "-j", "1")
    two = tmp_path / "two"
    shutil.copytree(one, two, ignore=shutil.ignore_patterns("build", "out"))
    shutil.rmtree(one / "build")
    shutil.rmtree(one / "out")
    return one, two


def test_a_team_builds_what_one_process_builds(fleets: tuple[Path, Path]) -> None:
    one, two = fleets
    alone = run(one, "build", "-j", "1", "--format", "parsable")
    team = run(two, "build", "-j", "2", "--format", "parsable")
    assert team == alone
    assert alone[0] == 1 and "duplicate-address" in alone[2] and "a-broken.yaml" in alone[2]
    assert outputs(two) == outputs(one)
    assert "build/w1.ign" in outputs(one) and "build/w5.ign" not in outputs(one)
    assert sorted(os.listdir(two / "secrets/pki")) == sorted(os.listdir(one / "secrets/pki"))


@pytest.mark.parametrize("command", [["lint"], ["inventory", "--partial"]])
def test_a_team_lints_what_one_process_lints(fleets: tuple[Path, Path], command: list[str]) -> None:
    one, two = fleets
    for root in (one, two):
        (root / "build").mkdir(exist_ok=True)  # lint keeps a cache where build/ exists
    jobs = ["-j", "1"] if command == ["lint"] else []
    alone = run(one, *command, *jobs)
    assert alone[1] or alone[2]
    if command == ["lint"]:
        assert run(two, *command, "-j", "2") == alone
    else:
        assert run(two, *command) == alone
    assert run(two, *command, *jobs) == alone  # now from the cache


def test_a_member_that_fails_leaves_the_build_to_one_process(
    fleets: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = fleets
    alone = run(one, "build", "-j", "1", "--format", "parsable")
    real = stages.stage_c
    parent = os.getpid()

    def dies_in_a_child(run_: object, job: object) -> None:
        if os.getpid() != parent:
            raise MemoryError("a child ran out of memory")
        real(run_, job)  # type: ignore[arg-type]

    monkeypatch.setattr("hostiso.pipeline.incremental.stage_c", dies_in_a_child)
    assert run(two, "build", "-j", "2", "--format", "parsable") == alone
    assert outputs(two) == outputs(one)


def test_a_one_host_edit_loads_one_host_and_reads_no_clean_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = {
        k: v for k, v in FLEET.items() if k not in ("configs/a-broken.yaml", "configs/x3.yaml")
    }
    root = write_fleet(tmp_path / "fleet", fleet)
    assert run(root, "build")[0] == 0
    loaded: list[str] = []
    decoded: list[object] = []
    load, cold = stages.stage_a, records.cold_of
    monkeypatch.setattr(stages, "stage_a", lambda r, j: (loaded.append(j.stem), load(r, j)))
    monkeypatch.setattr("hostiso.pipeline.incremental.stage_a", stages.stage_a)
    monkeypatch.setattr(records, "cold_of", lambda e: (decoded.append(e), cold(e))[1])
    (root / "configs/w4.yaml").write_text("groups: [worker]\n" + net("10.0.0.24") + "# edited\n")
    assert run(root, "build")[0] == 0
    members = ["c1", "c2", "x2"]  # always loaded: the cluster is made from their trees
    assert sorted(loaded) == sorted(["w4", *members])
    # no fleet fact changed: the fleet checks' findings are kept; only w4's old
    # entry is read (its ISO label, to keep its ISO if the config is the same)
    assert {e.head[0] for e in decoded} == {"w4"}  # type: ignore[attr-defined]
    loaded.clear()
    (root / "configs/w4.yaml").write_text("groups: [worker]\n" + net("10.0.0.25"))
    assert run(root, "build")[0] == 0
    assert sorted(loaded) == sorted(["w4", *members])
    # an address moved: the fleet checks read every clean host's record again
    assert len({e.head[0] for e in decoded}) > 3  # type: ignore[attr-defined]
