"""The build cache is only an optimisation: with or without it, the same bytes.

Random edit sequences (hypothesis) on a small fleet: after each step the
incremental build's build/ and out/ and its diagnostics equal a cold build
of a fresh copy (the same secrets/, so the same CA and certificates).  A
corrupt, truncated, foreign or wrongly owned cache, and a build killed with
SIGKILL at any point, are followed by a build equal to a cold one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import LOGIN, write_fleet
from hostiso import cli

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def net(address: str) -> str:
    return f"network: {{interface: eth0, addresses: [{address}]}}\n"


BASE = {
    "overlays/all.yaml": LOGIN + "vars: {site: dc1}\n",
    "overlays/worker.yaml": "storage:\n  files:\n    - path: /etc/motd\n      contents:\n"
    "        template: motd.j2\n",
    "overlays/etcd.yaml": "etcd: {initial_cluster_token: t}\n",
    "files/motd.j2": "{{ host.name }} in {{ vars.site }}; "
    "ctl {{ fleet.hosts['c1'].addresses[0] }}\n",
    "configs/c1.yaml": "groups: [etcd]\n" + net("10.0.0.11/24"),
    "configs/w1.yaml": "groups: [worker]\n" + net("10.0.0.21/24") + "flannel: ~\n",
    "configs/w2.yaml": "groups: [worker]\n" + net("10.0.0.22/24"),
    "configs/s1.yaml": net("10.0.0.31/24"),
}


def build(root: Path) -> tuple[int, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    old = os.getcwd()
    env = dict(os.environ)
    try:
        os.chdir(root)
        os.environ.update(EPOCH)
        rc = cli.main(["build", "--format", "parsable"], stdout=out, stderr=err)
    finally:
        os.chdir(old)
        os.environ.clear()
        os.environ.update(env)
    return rc, err.getvalue()


def artefacts(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for d in ("build", "out")
        for p in sorted((root / d).glob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def cold(root: Path, tmp: Path) -> tuple[tuple[int, str], dict[str, bytes]]:
    fresh = tmp / f"cold-{time.monotonic_ns()}"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns("build", "out"))
    result = build(fresh)
    return result, artefacts(fresh)


def assert_like_cold(root: Path, tmp: Path, result: tuple[int, str]) -> None:
    expected, files = cold(root, tmp)
    assert result == expected
    assert artefacts(root) == files


RENAME = "rename to "
"""An edit that moves the file (a host renamed, its stem and outputs with it)."""

EDITS = st.sampled_from(
    [
        ("configs/w2.yaml", "groups: [worker]\n" + net("10.0.0.23/24")),
        ("configs/w2.yaml", "groups: [worker]\n" + net("10.0.0.21/24")),
        ("configs/c1.yaml", "groups: [etcd]\n" + net("10.0.0.12/24")),
        ("configs/c2.yaml", "groups: [etcd]\n" + net("10.0.0.13/24")),
        ("configs/c2.yaml", None),
        ("configs/s1.yaml", None),
        ("configs/s2.yaml", net("10.0.0.31/24")),
        ("configs/s1.yaml", net("10.0.0.31/24") + "hostname: w1\n"),
        ("configs/s1.yaml", net("bad")),
        ("overlays/worker.yaml", "storage:\n  directories:\n    - path: /var/w\n"),
        ("overlays/all.yaml", LOGIN + "vars: {site: dc2}\n"),
        ("files/motd.j2", "{{ host.name }} / {{ groups.etcd | join(',') }}\n"),
        ("files/motd.j2", "{{ fleet.hosts['s1'].addresses[0].ip }}\n"),
        ("configs/s1.yaml", net("10.0.0.31/24") + "hostname: s9\n"),
        ("configs/w1.yaml", RENAME + "configs/w3.yaml"),
        ("configs/w3.yaml", RENAME + "configs/w1.yaml"),
        ("configs/c1.yaml", RENAME + "configs/c3.yaml"),
        ("configs/c3.yaml", RENAME + "configs/c1.yaml"),
    ]
)


def apply(root: Path, name: str, text: str | None) -> None:
    path = root / name
    if text is None:
        path.unlink(missing_ok=True)
    elif text.startswith(RENAME):
        if path.exists():
            path.rename(root / text[len(RENAME) :])
    else:
        path.write_text(text)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(EDITS, min_size=1, max_size=4))
def test_random_edits_build_like_a_cold_build(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, str | None]]
) -> None:
    tmp = tmp_path_factory.mktemp("edits")
    root = write_fleet(tmp / "fleet", BASE)
    build(root)
    for name, text in steps:
        apply(root, name, text)
        assert_like_cold(root, tmp, build(root))


def cache_file(root: Path) -> Path:
    [found] = (root / "build").glob(".cache-build-*")
    return found


def corrupt_truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def corrupt_flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def corrupt_version(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data.replace(b"\n", b"\n0", 1))


def corrupt_mode(path: Path) -> None:
    os.chmod(path, 0o644)


def corrupt_empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize(
    "damage", [corrupt_truncate, corrupt_flip, corrupt_version, corrupt_mode, corrupt_empty]
)
def test_a_damaged_cache_is_ignored(tmp_path: Path, damage: object) -> None:
    root = write_fleet(tmp_path / "fleet", BASE)
    build(root)
    (root / "configs/w2.yaml").write_text("groups: [worker]\n" + net("10.0.0.24/24"))
    damage(cache_file(root))  # type: ignore[operator]
    assert_like_cold(root, tmp_path, build(root))
    assert cache_file(root).stat().st_mode & 0o777 == 0o600


def test_cache_files_are_private_and_hold_no_secret(tmp_path: Path) -> None:
    users = "passwd:\n  users:\n    - name: ops\n      password_file: secrets/ops.password\n"
    root = write_fleet(
        tmp_path / "fleet",
        {
            **BASE,
            "overlays/worker.yaml": BASE["overlays/worker.yaml"] + users,
            "secrets/ops.password": "hunter2\n",
        },
    )
    build(root)
    ign = (root / "build/w1.ign").read_text()
    assert "$6$" in ign  # the hash derived from secrets/ops.password
    lint(root)
    for path in (root / "build").glob(".cache-*"):
        data = path.read_bytes()
        assert path.stat().st_mode & 0o777 == 0o600
        assert b"hunter2" not in data and b"$6$" not in data and b"PRIVATE KEY" not in data
        assert (root / "secrets/fleet.key").read_bytes().strip() not in data
    assert len(list((root / "build").glob(".cache-*"))) == 2


def lint(root: Path) -> tuple[int, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    old = os.getcwd()
    try:
        os.chdir(root)
        rc = cli.main(["lint", "--format", "parsable"], stdout=out, stderr=err)
    finally:
        os.chdir(old)
    return rc, err.getvalue()


def test_a_build_killed_at_any_point_then_rebuilt_equals_a_cold_build(tmp_path: Path) -> None:
    root = write_fleet(tmp_path / "fleet", BASE)
    build(root)
    env = {**os.environ, **EPOCH}
    for delay in (0.05, 0.2, 0.4, 0.8):
        (root / "configs/w2.yaml").write_text(
            f"groups: [worker]\nnetwork: {{addresses: [10.0.0.{int(delay * 100)}/24]}}\n"
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "hostiso", "build", "--format", "parsable"],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        (root / "build/.lock").unlink(missing_ok=True)
        assert_like_cold(root, tmp_path, build(root))


def test_a_fleet_check_record_is_known_by_its_content_alone() -> None:
    """The same record, its strings shared differently (a whole-fleet run, a team's
    pickled records, a one-host run), has one digest: else every edit of a
    10,000-host fleet ran every fleet check again."""
    from types import SimpleNamespace

    from hostiso.pipeline.stages import record_digest

    shared = "10.0.0.1" + str(len(BASE))  # one object, twice
    apart = ["10.0.0.1" + str(len(BASE)) for _ in range(2)]  # two equal objects
    one = SimpleNamespace(claim=(("address", shared), ("gateway", shared)), facts=None)
    two = SimpleNamespace(claim=(("address", apart[0]), ("gateway", apart[1])), facts=None)
    assert record_digest(one) == record_digest(two)  # type: ignore[arg-type]
