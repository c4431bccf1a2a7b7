"""Apply a spec 2.x config with Flatcar's real 2.x Ignition engine, when one is at hand.

No distribution packages Flatcar's Ignition 2.x (flatcar/ignition v0.36.2, the
engine of Flatcar releases before 3185.0.0), so this runs only when
``HOSTISO_IGNITION2`` names a binary built from its source
(tests/realworld/README.md says how).  It runs the ``fetch`` stage (``-oem
file`` reads ``IGNITION_CONFIG_FILE``) and then ``files`` with ``-root``, like
tests/ignition_apply.py for spec 3.  The 2.x engine runs ``/usr/bin/chroot``
(Debian has it in /usr/sbin: an overlay inside the private mount namespace
adds it) and runs ``id`` in the root, which needs its ``/lib64`` (links to
``usr/`` for the run).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import ignition_apply

ENGINE = os.environ.get("HOSTISO_IGNITION2", "")
_MERGED = ("bin", "sbin", "lib", "lib64")


def unavailable() -> str | None:
    """Why the real 2.x engine cannot run here, or None."""
    if not ENGINE or not Path(ENGINE).is_file():
        return "Flatcar's Ignition 2.x is not packaged: build it and set HOSTISO_IGNITION2"
    return ignition_apply.unavailable()


@contextlib.contextmanager
def applied(config: Path, groups: tuple[str, ...] = ()) -> Iterator[Path]:
    """The root the 2.x engine wrote for ``config``, removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix="hostiso-ignition2-"))
    try:
        os.chmod(work, 0o755)
        yield _apply(config, work, groups)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _apply(config: Path, work: Path, groups: tuple[str, ...]) -> Path:
    root = ignition_apply._prepare(work, groups)
    for name in _MERGED:
        os.symlink(f"usr/{name}", root / name)
    (work / "upper").mkdir()
    (work / "scratch").mkdir()
    os.symlink("/usr/sbin/chroot", work / "upper" / "chroot")
    path = f"{work / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin"
    env = {"PATH": path, "LANG": "C", "IGNITION_CONFIG_FILE": str(config)}
    cache = ["-config-cache", str(work / "cache.json"), "-log-to-stdout"]
    ignition_apply._run([ENGINE, "-oem", "file", "-stage", "fetch", *cache], env)
    overlay = f"lowerdir=/usr/bin,upperdir={work}/upper,workdir={work}/scratch"
    script = (
        f'mount --bind -o ro /usr "$1/usr" && mount -t overlay overlay -o {overlay} /usr/bin'
        ' && shift && exec "$@"'
    )
    files = [ENGINE, "-oem", "file", "-stage", "files", "-root", str(root), *cache]
    ignition_apply._run(["unshare", "-m", "sh", "-c", script, "sh", str(root), *files], env)
    for name in _MERGED:
        os.unlink(root / name)
    return root
