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
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    make_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)  # the umask may have narrowed it; never widen past 0600
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
    """Outputs of hosts not in ``stems``: regular files named ``<stem>.ign`` or
    ``<stem>.d`` in ``build_dir`` and ``<stem>.iso`` in ``out_dir``, nothing else
    (no hidden files, no directories, no symlinks)."""
    keep = set(stems)
    found = []
    for directory, suffix in ((build_dir, ".ign"), (build_dir, ".d"), (out_dir, ".iso")):
        if not directory.is_dir():
            continue
        for entry in os.scandir(directory):
            stem = entry.name.removesuffix(suffix)
            if stem == entry.name or not stem or stem.startswith(".") or stem in keep:
                continue
            if entry.is_file(follow_symlinks=False):
                found.append(directory / entry.name)
    return sorted(found)
