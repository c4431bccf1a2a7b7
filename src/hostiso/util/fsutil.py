"""Writing outputs: atomically, mode 0600, never half-written."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file and a rename, mode 0600.

    An OSError names ``path`` (not the temp file); nothing is left behind.
    """
    try:
        _write_private(path, data)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


def _write_private(path: Path, data: bytes) -> None:
    """No per-file checks on the way: the directory is made only when the
    temp file cannot be created, and a directory at ``path`` makes the rename
    fail with EISDIR (the temp file is removed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    try:
        fd = os.open(tmp, flags, 0o600)
    except FileNotFoundError:
        make_dir(path.parent)
        fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)  # the umask may have narrowed it; never past 0600
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def make_dir(path: Path) -> None:
    """``mkdir -p``; a file in the way is NotADirectoryError (not "File exists")."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path)) from None


def write_text_if_changed(path: Path, text: str) -> None:
    """Rewrite only when the content differs, so make sees no change otherwise."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    write_private(path, text.encode("utf-8"))


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (created if missing) while inside."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def remove(*paths: Path) -> None:
    """Remove the files (a directory in an output's place is not ours: left alone)."""
    for path in paths:
        if not path.is_dir() or path.is_symlink():
            path.unlink(missing_ok=True)


def private_dir(path: Path) -> None:
    """Create ``path`` mode 0700, or take group and other access away if it exists.

    A directory we may not chmod (another user's) is left as it is.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        with contextlib.suppress(PermissionError):
            os.chmod(path, mode & 0o700)


def orphaned_outputs(build_dir: Path, out_dir: Path, stems: Iterable[str]) -> list[Path]:
    """The outputs of ``stems`` (hosts hostiso built, whose host file is gone):
    ``build_dir/<stem>.ign``, ``build_dir/<stem>.d`` and ``out_dir/<stem>.iso``
    that are regular files (no directories, no symlinks).  A name that could not
    be a host file's stem (empty, hidden, with a ``/``) is skipped."""
    found = []
    for stem in stems:
        if not stem or stem.startswith(".") or "/" in stem or "\0" in stem:
            continue
        for path in (build_dir / f"{stem}.ign", build_dir / f"{stem}.d", out_dir / f"{stem}.iso"):
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return sorted(found)
