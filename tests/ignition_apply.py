"""Apply a spec 3 config to a directory tree with Debian's real Ignition binary.

Debian's ``ignition`` package ships the Ignition of the initramfs at
``/usr/lib/dracut/modules.d/30ignition/ignition``.  Its ``files`` stage can
write a config into a plain directory (``-root``) with no VM, as root:

1. ``fetch-offline`` reads the config (``-platform file`` takes it from
   ``IGNITION_CONFIG_FILE``) and caches it;
2. ``files`` writes users, groups, files, directories, links, units and the
   preset file under the root.

What it needs from the root: ``etc/passwd``, ``group``, ``shadow`` and
``gshadow`` (useradd edits them); ``useradd`` chroots into the root, so the
host's ``/usr`` is bind-mounted read-only there, inside a private mount
namespace (``unshare -m``) that ends with the run.  Debian's build always
relabels, so the root gets ``etc/selinux/config`` with SELinux disabled and
a no-op ``setfiles`` comes first on PATH.  The root and every directory
above it must be traversable (0755, so not under pytest's 0700 tmp_path):
Ignition writes ``~core/.ssh`` as that user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

IGNITION = Path("/usr/lib/dracut/modules.d/30ignition/ignition")
BASE_FILES = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
    "etc/group": "root:x:0:\nusers:x:100:\n",
    "etc/shadow": "root:*:19000:0:99999:7:::\n",
    "etc/gshadow": "root:*::\nusers:*::\n",
    "etc/selinux/config": "SELINUX=disabled\nSELINUXTYPE=targeted\n",
}
"""The root Ignition starts from (also what :func:`snapshot` leaves out as unchanged)."""
NOISE = ("etc/.ignition-result.json", "etc/.pwd.lock")
"""Written by every run, with dates and boot ids: not part of a config's result."""


def unavailable() -> str | None:
    """Why the real Ignition cannot run here, or None."""
    if os.geteuid() != 0:
        return "applying a config with the real Ignition needs root"
    if not IGNITION.is_file():
        return f"{IGNITION} missing (Debian package ignition)"
    for tool in ("unshare", "mount", "useradd", "groupadd", "chroot"):
        if shutil.which(tool) is None:
            return f"{tool} missing"
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=300)
    if probe.returncode != 0:
        return "no private mount namespace here (unshare -m): cannot bind /usr for useradd"
    return None


def _prepare(work: Path, groups: tuple[str, ...] = ()) -> Path:
    root = work / "root"
    for rel, text in BASE_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for gid, name in enumerate(groups, start=900):  # system groups a machine would have
        with open(root / "etc/group", "a") as out:
            out.write(f"{name}:x:{gid}:\n")
        with open(root / "etc/gshadow", "a") as out:
            out.write(f"{name}:*::\n")
    (root / "usr").mkdir()
    os.chmod(root, 0o755)
    tools = work / "bin"
    tools.mkdir()
    (tools / "setfiles").write_text("#!/bin/sh\nexit 0\n")
    os.chmod(tools / "setfiles", 0o755)
    return root


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def applied(config: Path, groups: tuple[str, ...] = ()) -> Iterator[Path]:
    """The root the real Ignition wrote for ``config``, removed afterwards
    (``groups``: more groups the root starts with, gids from 900)."""
    work = Path(tempfile.mkdtemp(prefix="hostiso-ignition-"))
    try:
        os.chmod(work, 0o755)
        yield apply(config, work, groups)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def apply(config: Path, work: Path, groups: tuple[str, ...] = ()) -> Path:
    """Run fetch-offline then files on ``config`` in ``work`` (which every user
    can traverse); the root it wrote."""
    root = _prepare(work, groups)
    env = {"PATH": f"{work / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
    state = ["-config-cache", str(work / "cache.json"), "-state-file", str(work / "state")]
    fetch = [str(IGNITION), "-platform", "file", "-stage", "fetch-offline", *state]
    fetch += ["-neednet", str(work / "neednet"), "-log-to-stdout"]
    _run(fetch, {**env, "IGNITION_CONFIG_FILE": str(config)})
    files = [str(IGNITION), "-platform", "file", "-stage", "files", "-root", str(root), *state]
    script = 'mount --bind -o ro /usr "$1/usr" && shift && exec "$@"'
    _run(["unshare", "-m", "sh", "-c", script, "sh", str(root), *files, "-log-to-stdout"], env)
    return root


@dataclass(frozen=True)
class Entry:
    kind: str  # "file", "dir", "link"
    mode: int
    uid: int
    gid: int
    data: bytes = b""  # a file's bytes, a link's target

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


def snapshot(root: Path) -> dict[str, Entry]:
    """Every path Ignition wrote under ``root`` (``/usr`` and run noise left out)."""
    out: dict[str, Entry] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir == Path("."):
            dirnames[:] = [d for d in dirnames if d != "usr"]
        for name in sorted(dirnames) + sorted(filenames):
            path = Path(dirpath) / name
            rel = str(rel_dir / name) if str(rel_dir) != "." else name
            if rel in NOISE or rel.endswith("-"):
                continue
            out[rel] = _entry(path)
    return out


def _entry(path: Path) -> Entry:
    st = path.lstat()
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return Entry("link", mode, st.st_uid, st.st_gid, os.readlink(path).encode())
    if stat.S_ISDIR(st.st_mode):
        return Entry("dir", mode, st.st_uid, st.st_gid)
    return Entry("file", mode, st.st_uid, st.st_gid, path.read_bytes())
