"""The repository's Makefile, run on a small fleet in a scratch directory.

The scratch directory gets a copy of the Makefile, a pyproject.toml older
than the venv stamp, and a ``.venv`` whose ``bin`` is this checkout's, so
make never creates or refreshes a venv there (``PYTHON=false`` makes sure:
an attempt would fail the test instead of touching the real venv).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import LOGIN, REPO, installer_guest, write_fleet

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
    pytest.mark.skipif(not (REPO / ".venv/bin/hostiso").exists(), reason="no .venv in the repo"),
]

FLEET = {
    "overlays/all.yaml": LOGIN,
    "overlays/controller.yaml": "storage:\n  directories:\n    - path: /var/lib/backup\n",
    "overlays/worker.yaml": "storage:\n  directories:\n    - path: /var/lib/work\n",
    "configs/ctl-1.yaml": "groups: [controller]\n",
    "configs/ctl-2.yaml": "groups: [controller]\n",
    "configs/wk-1.yaml": "groups: [worker]\n",
    "configs/wk-2.yaml": "groups: [worker]\n",
    "configs/solo.yaml": "{}\n",
}
HOSTS = ["ctl-1", "ctl-2", "solo", "wk-1", "wk-2"]
PAST = time.time() - 3600


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    os.utime(tmp_path / "pyproject.toml", (0, 0))
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv/bin").symlink_to(REPO / ".venv/bin")
    (tmp_path / ".venv/.installed").touch()
    write_fleet(tmp_path, FLEET)
    for path in [*(tmp_path / "configs").iterdir(), *(tmp_path / "overlays").iterdir()]:
        os.utime(path, (PAST, PAST))
    return tmp_path


def make(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SOURCE_DATE_EPOCH", "GITHUB_ACTIONS")
    }
    return subprocess.run(
        ["make", "--no-print-directory", "PYTHON=false", *argv],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def make_ok(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    done = make(root, *argv)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    return done


def isos(root: Path) -> list[str]:
    out = root / "out"
    return sorted(p.name[:-4] for p in out.glob("*.iso")) if out.is_dir() else []


def mtimes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for d in ("build", "out")
        for p in (root / d).iterdir()
    }


def age_outputs(root: Path) -> dict[str, int]:
    """Date every output back (but after the inputs), so a rebuild is easy to see."""
    then = PAST + 60
    for d in ("build", "out"):
        for p in (root / d).iterdir():
            os.utime(p, (then, then))
    return mtimes(root)


def rebuilt(root: Path, before: dict[str, int]) -> list[str]:
    after = mtimes(root)
    return sorted(n[4:-4] for n in after if n.startswith("out/") and after[n] != before.get(n))


def test_make_hosts_builds_every_host_then_is_a_no_op(fleet: Path) -> None:
    make_ok(fleet, "hosts")
    assert isos(fleet) == HOSTS
    assert sorted(p.name for p in (fleet / "build").glob("*.ign")) == [f"{h}.ign" for h in HOSTS]
    assert not (fleet / "build/.queue").exists()
    before = age_outputs(fleet)
    done = make_ok(fleet, "hosts")
    assert done.stdout == ""
    assert mtimes(fleet) == before


EDITS = {
    "overlays/worker.yaml": "    - path: /var/lib/work-2\n",
    "overlays/controller.yaml": "    - path: /var/lib/backup-2\n",
    "overlays/all.yaml": "systemd:\n  units:\n    - name: extra.service\n      enabled: true\n",
}


def edit(root: Path, name: str) -> None:
    """Change what ``name`` says (so its hosts' outputs change), with a new date."""
    path = root / name
    if name == "configs/solo.yaml":
        path.write_text("storage:\n  directories:\n    - path: /var/lib/solo\n")
    else:
        path.write_text(path.read_text() + EDITS[name])
    os.utime(path, (PAST + 120, PAST + 120))


def test_editing_an_overlay_rebuilds_exactly_its_hosts(fleet: Path) -> None:
    make_ok(fleet, "hosts")
    for name, expected in [
        ("overlays/worker.yaml", ["wk-1", "wk-2"]),
        ("overlays/controller.yaml", ["ctl-1", "ctl-2"]),
        ("configs/solo.yaml", ["solo"]),
        ("overlays/all.yaml", HOSTS),
    ]:
        before = age_outputs(fleet)
        edit(fleet, name)
        make_ok(fleet, "hosts")
        assert rebuilt(fleet, before) == expected, name


def test_touching_without_a_change_rewrites_nothing(fleet: Path) -> None:
    make_ok(fleet, "hosts")
    before = age_outputs(fleet)
    os.utime(fleet / "overlays/all.yaml", (PAST + 120, PAST + 120))
    make_ok(fleet, "hosts")  # runs hostiso (the overlay is newer than the stamp)
    assert rebuilt(fleet, before) == []
    make_ok(fleet, "HOSTISO=false", "hosts")  # the stamp is new: hostiso is not started


def test_adding_a_group_to_a_host_makes_it_depend_on_that_overlay(fleet: Path) -> None:
    make_ok(fleet, "hosts")
    (fleet / "configs/solo.yaml").write_text("groups: [worker]\n")
    make_ok(fleet, "hosts")
    assert "overlays/worker.yaml" in (fleet / "build/solo.d").read_text()
    before = age_outputs(fleet)
    edit(fleet, "overlays/worker.yaml")
    make_ok(fleet, "hosts")
    assert rebuilt(fleet, before) == ["solo", "wk-1", "wk-2"]


def test_parallel_make(fleet: Path) -> None:
    make_ok(fleet, "-j2", "hosts")
    assert isos(fleet) == HOSTS
    before = age_outputs(fleet)
    make_ok(fleet, "-j2", "hosts")
    assert mtimes(fleet) == before


def test_make_one_host(fleet: Path) -> None:
    make_ok(fleet, "out/wk-1.iso")
    assert isos(fleet) == ["wk-1"]
    assert (fleet / "build/wk-1.ign").exists()
    assert make_ok(fleet, "out/wk-1.iso").stdout == "make: 'out/wk-1.iso' is up to date.\n"


def test_a_broken_host_fails_make_but_the_others_build(fleet: Path) -> None:
    (fleet / "configs/wk-2.yaml").write_text(
        "groups: [worker]\nstorage:\n  files:\n    - path: etc/foo\n"
    )
    done = make(fleet, "hosts")
    assert done.returncode != 0
    assert done.stderr.splitlines()[0] == (
        "configs/wk-2.yaml:4:13: error: path 'etc/foo' must be absolute (start with /) "
        "[relative-path]"
    )
    assert "Traceback" not in done.stderr
    assert isos(fleet) == ["ctl-1", "ctl-2", "solo", "wk-1"]
    assert not (fleet / "build/wk-2.ign").exists()
    # still broken: make fails again, and builds nothing else
    before = mtimes(fleet)
    assert make(fleet, "hosts").returncode != 0
    assert rebuilt(fleet, before) == []
    # fixed: only the fixed host is built
    (fleet / "configs/wk-2.yaml").write_text("groups: [worker]\n")
    before = age_outputs(fleet)
    make_ok(fleet, "hosts")
    assert rebuilt(fleet, before) == ["wk-2"]


def test_make_help_is_the_default(fleet: Path) -> None:
    done = make_ok(fleet)
    assert "hosts" in done.stdout and "clean" in done.stdout
    assert not (fleet / "out").exists()


def outputs_of(root: Path, host: str) -> list[str]:
    names = [f"build/{host}.ign", f"build/{host}.d", f"out/{host}.iso"]
    return [n for n in names if (root / n).exists()]


@pytest.mark.parametrize("jobs", [[], ["-j2"]])
def test_renaming_a_host_removes_its_old_outputs(fleet: Path, jobs: list[str]) -> None:
    make_ok(fleet, *jobs, "hosts")
    write_fleet(fleet, {"out/notes.txt": "mine\n", "build/wk-2.log": "mine\n"})
    (fleet / "configs/wk-2.yaml").rename(fleet / "configs/wk-3.yaml")
    make_ok(fleet, *jobs, "hosts")
    assert isos(fleet) == ["ctl-1", "ctl-2", "solo", "wk-1", "wk-3"]
    assert outputs_of(fleet, "wk-2") == []
    assert len(outputs_of(fleet, "wk-3")) == 3
    assert (fleet / "out/notes.txt").exists() and (fleet / "build/wk-2.log").exists()
    before = age_outputs(fleet)
    assert make_ok(fleet, *jobs, "hosts").stdout == ""
    assert mtimes(fleet) == before


def test_removing_a_host_removes_its_outputs_and_nothing_else(fleet: Path) -> None:
    make_ok(fleet, "hosts")
    (fleet / "configs/solo.yaml").unlink()
    before = age_outputs(fleet)
    make_ok(fleet, "hosts")
    assert outputs_of(fleet, "solo") == []
    assert rebuilt(fleet, before) == []
    assert isos(fleet) == ["ctl-1", "ctl-2", "wk-1", "wk-2"]


def test_a_host_removed_before_a_one_host_build_is_still_pruned(fleet: Path) -> None:
    make_ok(fleet, "hosts")
    (fleet / "configs/wk-2.yaml").unlink()
    before = age_outputs(fleet)
    os.utime(fleet / "configs/wk-1.yaml", (PAST + 120, PAST + 120))
    make_ok(fleet, "out/wk-1.iso")
    assert rebuilt(fleet, before) == ["wk-1"]
    assert len(outputs_of(fleet, "wk-2")) == 3  # `make out/X.iso` removes nothing
    before = mtimes(fleet)
    make_ok(fleet, "hosts")
    assert outputs_of(fleet, "wk-2") == []
    assert rebuilt(fleet, before) == []
    assert (fleet / "build/.hosts").read_text() == "ctl-1 ctl-2 solo wk-1\n"
    make_ok(fleet, "HOSTISO=false", "hosts")  # up to date: hostiso is not even started


def test_make_hosts_keeps_an_iso_it_did_not_build(fleet: Path) -> None:
    write_fleet(fleet, {"out/flatcar_production_iso_image.iso": "installer\n"})
    make_ok(fleet, "hosts")
    (fleet / "configs/solo.yaml").unlink()
    make_ok(fleet, "hosts")
    assert outputs_of(fleet, "solo") == []
    assert (fleet / "out/flatcar_production_iso_image.iso").read_text() == "installer\n"


def test_make_hosts_is_a_no_op_when_names_sort_differently_as_paths(fleet: Path) -> None:
    # configs/web-1.yaml sorts before configs/web.yaml, but web before web-1
    write_fleet(fleet, {"configs/web.yaml": "{}\n", "configs/web-1.yaml": "{}\n"})
    make_ok(fleet, "hosts")
    assert (fleet / "build/.hosts").read_text() == " ".join(sorted([*HOSTS, "web", "web-1"])) + "\n"
    make_ok(fleet, "HOSTISO=false", "hosts")  # up to date: hostiso is not even started


def test_make_installer(fleet: Path) -> None:
    """``make installer`` builds the named hosts first and writes out/installer.iso."""

    missing = make(fleet, "installer")
    assert missing.returncode != 0 and "make installer needs BASE=" in missing.stderr
    guest = installer_guest()
    try:
        base = guest.dummy_base_iso(guest.find_iso_parts(), fleet)
    except guest.Skip as exc:
        pytest.skip(str(exc))
    write_fleet(fleet, {"configs/solo.yaml": "install: {device: /dev/sda}\n"})
    make_ok(fleet, "installer", f"BASE={base}", "INSTALLER_HOSTS=solo")
    assert (fleet / "out" / "installer.iso").is_file()
    assert (fleet / "build" / "solo.ign").is_file()
    assert not (fleet / "build" / "ctl-1.ign").exists()  # only the named hosts are built


@pytest.mark.parametrize("name", ["flatcar_production_iso_image x", "a:b", "a#b", "a%b", "a$b"])
def test_a_host_file_name_make_cannot_take_is_an_error_not_a_broken_fleet(
    fleet: Path, name: str
) -> None:
    """Issue 11, defects 5 and 9: such a name once broke `make hosts` for every host,
    and a name with a space got an installer ISO removed."""
    write_fleet(fleet, {"out/flatcar_production_iso_image.iso": "installer\n"})
    make_ok(fleet, "hosts")
    write_fleet(fleet, {f"configs/{name}.yaml": "hostname: other\n"})
    for _ in range(2):  # refused every time, never forgotten
        done = make(fleet, "hosts")
        assert done.returncode != 0
        assert done.stderr.splitlines()[0].startswith(
            f"configs/{name}.yaml: error: the host file name '{name}' cannot be used: "
        )
        assert done.stderr.splitlines()[0].endswith("[bad-file-name]")
        assert "Traceback" not in done.stderr and "***" in done.stderr.splitlines()[-1]
        assert isos(fleet) == sorted([*HOSTS, "flatcar_production_iso_image"])
    assert (fleet / "out/flatcar_production_iso_image.iso").read_text() == "installer\n"
    (fleet / f"configs/{name}.yaml").rename(fleet / "configs/other.yaml")
    make_ok(fleet, "hosts")
    assert "other" in isos(fleet)
    make_ok(fleet, "HOSTISO=false", "hosts")


def test_the_fleet_depfile_lists_only_what_the_makefile_does_not(fleet: Path) -> None:
    write_fleet(fleet, {"files/motd": "hi\n", "overlays/solo.yaml": "{}\n"})
    (fleet / "configs/solo.yaml").write_text(
        "groups: [solo]\nstorage:\n  files:\n    - path: /etc/motd\n      contents: {local: motd}\n"
    )
    make_ok(fleet, "hosts")
    depfile = (fleet / "build/.hosts.mk").read_text()
    assert "configs/" not in depfile.replace("overlays/", "")  # by wildcard in the Makefile
    assert "build/.stamp: files/motd\nfiles/motd:\n" in depfile
    assert "overlays/solo.yaml" in depfile  # in the check for a removed overlay


def test_removing_an_overlay_a_host_uses_runs_the_build(fleet: Path) -> None:
    make_ok(fleet, "hosts")
    (fleet / "overlays/worker.yaml").unlink()
    done = make(fleet, "hosts")
    assert done.returncode != 0
    assert "configs/wk-1.yaml:1:10: error: group 'worker' has no overlay" in done.stderr
    assert isos(fleet) == ["ctl-1", "ctl-2", "solo"]


def test_a_local_file_with_a_colon_and_a_space_in_its_name(fleet: Path) -> None:
    """The depfiles name it escaped: make reads them, and rebuilds when it changes."""
    write_fleet(
        fleet,
        {
            "configs/solo.yaml": "storage:\n  files:\n    - path: /x\n      contents:\n"
            "        local: 'a: b'\n",
            "files/a: b": "one\n",
        },
    )
    make_ok(fleet, "hosts")
    before = age_outputs(fleet)
    write_fleet(fleet, {"files/a: b": "two\n"})
    make_ok(fleet, "hosts")
    assert rebuilt(fleet, before) == ["solo"]
