"""Faults around the build (issue 11): outputs that cannot be replaced or removed,
temp files left by ``kill -9``, a damaged queue file.

Each is a diagnostic with a code on the host it concerns (or on the file),
every other host is still built, and nothing is left half done.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import LOGIN, build_ok, heads, outputs, run, write_fleet

FLEET = {
    "overlays/all.yaml": LOGIN,
    "configs/a.yaml": "{}\n",
    "configs/b.yaml": "{}\n",
    "configs/z.yaml": "{}\n",
}
A_BROKEN = (
    "configs/a.yaml:1:1: error: unknown key 'hostnme'; did you mean 'hostname'? [unknown-key]"
)
Z_BROKEN = "configs/z.yaml:1:1: error: unknown key 'varz'; did you mean 'vars'? [unknown-key]"


@pytest.fixture
def frozen(tmp_path: Path) -> Iterator[list[Path]]:
    """Paths made immutable (``chattr +i``: even root cannot change them) during a test."""
    paths: list[Path] = []
    yield paths
    for path in paths:
        subprocess.run(["chattr", "-i", str(path)], check=False, capture_output=True)


def freeze(frozen: list[Path], path: Path) -> None:
    """Make ``path`` immutable, or read-only for a user who is not root."""
    if os.geteuid() != 0 and path.is_dir():
        os.chmod(path, 0o555)
        frozen.append(path)  # chattr -i is a harmless failure then; restore the mode below
        return
    if shutil.which("chattr") is None:
        pytest.skip("chattr (e2fsprogs) is not installed")
    done = subprocess.run(["chattr", "+i", str(path)], check=False, capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"this file system cannot make files immutable: {done.stderr.strip()!r}")
    frozen.append(path)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Path]:
    write_fleet(tmp_path, FLEET)
    build_ok(tmp_path)
    yield tmp_path
    os.chmod(tmp_path / "out", 0o755)


def test_an_immutable_stale_output_is_cannot_write_on_that_host(
    fleet: Path, frozen: list[Path]
) -> None:
    """Host a breaks; its old ISO cannot be removed.  a's own error is kept, b is
    built, and z (after a) still gets its stale outputs removed."""
    write_fleet(fleet, {"configs/a.yaml": "hostnme: a\n", "configs/z.yaml": "varz: 1\n"})
    freeze(frozen, fleet / "out/a.iso")
    rc, out, err = run(["build"], fleet)
    assert (rc, out) == (1, "")
    assert heads(err) == [A_BROKEN, Z_BROKEN]
    assert (
        "out/a.iso: error: cannot remove the stale output: Operation not permitted "
        "[cannot-write]\n  = host: a\n"
    ) in err
    assert "Traceback" not in err
    assert not (fleet / "build/a.ign").exists()
    assert not any(p.exists() for p in outputs(fleet, "z"))
    assert all(p.exists() for p in outputs(fleet, "b"))


def test_an_immutable_output_of_a_good_host(fleet: Path, frozen: list[Path]) -> None:
    old = (fleet / "out/a.iso").read_bytes()
    write_fleet(fleet, {"configs/a.yaml": "hostname: a2\n"})
    freeze(frozen, fleet / "out/a.iso")
    rc, out, err = run(["build"], fleet)
    assert (rc, out, err) == (
        1,
        "",
        "out/a.iso: error: cannot write: Operation not permitted [cannot-write]\n  = host: a2\n",
    )
    assert (fleet / "out/a.iso").read_bytes() == old  # untouched, and said so
    assert not (fleet / "build/a.ign").exists()
    assert all(p.exists() for p in outputs(fleet, "b") + outputs(fleet, "z"))


def test_a_read_only_out_directory(fleet: Path, frozen: list[Path]) -> None:
    """Nothing can be written to out/: every host that needs a new ISO says so
    once, and a's own error is kept too."""
    write_fleet(fleet, {"configs/a.yaml": "hostnme: a\n", "configs/b.yaml": "hostname: b2\n"})
    freeze(frozen, fleet / "out")
    rc, out, err = run(["build", "--format", "parsable"], fleet)
    assert (rc, out) == (1, "")
    denied = "Operation not permitted" if os.geteuid() == 0 else "Permission denied"
    assert err.splitlines() == [
        "configs/a.yaml:1:1: [error] unknown key 'hostnme'; did you mean 'hostname'? (unknown-key)",
        f"out/a.iso: [error] cannot remove the stale output: {denied} (cannot-write)",
        f"out/b.iso: [error] cannot write: {denied} (cannot-write)",
    ]  # z did not change: its outputs are up to date, nothing to write
    assert sorted(p.name for p in (fleet / "build").glob("*.ign")) == ["z.ign"]


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_temp_files_of_a_killed_build_are_removed(fleet: Path) -> None:
    """``kill -9`` during a write leaves ``.<name>.<pid>.tmp``; the next build
    removes those whose process is gone, and nothing else."""
    gone = dead_pid()
    stale = [f"out/.a.iso.{gone}.tmp", f"build/.a.ign.{gone}.tmp", f"build/.hosts.{gone}.tmp"]
    alive = [f"out/.b.iso.{os.getppid()}.tmp"]  # a live process's (the shell's, say)
    other = ["out/.notes.tmp", f"out/.a.iso.{gone}.tmp.keep", "out/a.iso.1.tmp"]
    write_fleet(fleet, {name: "partial" for name in stale + alive + other})
    build_ok(fleet, "b")
    assert [name for name in stale if (fleet / name).exists()] == []
    assert all((fleet / name).exists() for name in alive + other)


def test_a_real_kill_9_leaves_nothing_behind_after_the_next_build(tmp_path: Path) -> None:
    """A build killed (SIGKILL) between writing a temp file and renaming it."""
    write_fleet(tmp_path, FLEET)
    kill_at_rename = (
        "import os, signal, sys\n"
        "from hostiso import cli\n"
        "os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)\n"
        "sys.exit(cli.main(['build']))\n"
    )
    done = subprocess.run([sys.executable, "-c", kill_at_rename], cwd=tmp_path, check=False)
    assert done.returncode == -signal.SIGKILL
    left = [p.name for d in ("build", "out") for p in (tmp_path / d).glob(".*.tmp")]
    assert len(left) == 1 and left[0].startswith(".a.d."), left  # the first write: a's depfile
    build_ok(tmp_path)
    assert [p.name for d in ("build", "out") for p in (tmp_path / d).glob(".*.tmp")] == []


# --- the queue file of make hosts -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"a\0b\n", "not a list of host names: it holds a NUL byte"),
        (b"a \xff\xfeb\n", "not a list of host names: not UTF-8 (invalid start byte at byte 2)"),
        (None, "a FIFO, not a regular file"),
    ],
    ids=["nul", "not-utf-8", "fifo"],
)
def test_a_damaged_queue_is_an_error_and_builds_nothing(
    tmp_path: Path, data: bytes | None, message: str
) -> None:
    write_fleet(tmp_path, FLEET)
    queue = tmp_path / "build/.queue"
    queue.parent.mkdir()
    if data is None:
        os.mkfifo(queue)
    else:
        queue.write_bytes(data)
    rc, out, err = run(["build", "--queue", "build/.queue"], tmp_path)
    assert (rc, out, err) == (1, "", f"build/.queue: error: {message} [bad-queue]\n")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    assert not queue.is_file()  # removed: make queues what is still stale again


def test_a_damaged_queue_in_json(tmp_path: Path) -> None:
    write_fleet(tmp_path, {**FLEET, "q": "a\0"})
    rc, out, err = run(["build", "--queue", "q", "--format", "json"], tmp_path)
    assert (rc, out) == (1, "")
    assert '"code": "bad-queue"' in err and '"file": "q"' in err


def test_a_build_directory_that_cannot_be_locked(fleet: Path, frozen: list[Path]) -> None:
    freeze(frozen, fleet / "build/.lock")
    if os.geteuid() != 0:  # chmod: the lock file itself
        os.chmod(fleet / "build/.lock", 0o400)
    rc, out, err = run(["build"], fleet)
    denied = "Operation not permitted" if os.geteuid() == 0 else "Permission denied"
    assert (rc, out, err) == (
        1,
        "",
        f"build/.lock: error: cannot lock the build: {denied} [cannot-write]\n",
    )
