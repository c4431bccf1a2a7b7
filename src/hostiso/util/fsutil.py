"""Reading inputs (regular files only) and writing outputs (atomically, mode 0600)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def file_kind(mode: int) -> str:
    """``a FIFO``, ``a directory``...: what a file that is not a regular one is."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def not_regular(path: Path | str, mode: int) -> OSError:
    """The error for an input that is not a regular file (reading a FIFO would hang)."""
    return OSError(errno.EINVAL, f"{file_kind(mode)}, not a regular file", str(path))


def real(path: Path | str) -> Path:
    """``path`` with every symbolic link resolved, as far as they go: a link loop
    stays as it is (``Path.resolve`` raises RuntimeError there), and reading it
    later is an OSError (ELOOP)."""
    return Path(os.path.realpath(path))


def read_regular(path: Path | str, limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path`` (symlinks followed), at most ``limit``.

    Anything else (a FIFO, a device, a socket, a directory) is an OSError
    saying what it is, raised before a byte is read: a FIFO is opened
    non-blocking and never read, so nothing here can hang.  With ``limit``,
    only the first ``limit`` bytes are read.
    """
    before = os.stat(path)
    if not stat.S_ISREG(before.st_mode):
        raise not_regular(path, before.st_mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode  # the file opened, in case it changed since the stat
        if not stat.S_ISREG(mode):
            raise not_regular(path, mode)
        return handle.read() if limit is None else handle.read(limit)


def write_private(path: Path, data: bytes, *, sparse: bool = False) -> None:
    """Write ``data`` to ``path`` through a temp file and a rename, mode 0600.

    ``sparse``: leave out the whole blocks of zeros the data starts and ends
    with (holes, which read back as zeros): half of a config ISO is its empty
    system area, and 100,000 of them are 6 GB to write back to disk otherwise.
    An OSError names ``path`` (not the temp file); nothing is left behind.
    """
    try:
        _write_private(path, data, sparse)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


BLOCK = 4096
_ZERO_BLOCK = bytes(BLOCK)


def _write_holes(fd: int, data: bytes) -> None:
    """``data`` without the whole blocks of zeros it starts and ends with (an ISO's
    system area): found at C speed, one write for the rest.

    The leading blocks are compared whole (``startswith``: a memcmp each);
    ``bytes.lstrip`` takes 40 times as long over an ISO's 32 KiB system area,
    a minute of CPU over 100,000 hosts."""
    lead = 0
    while data.startswith(_ZERO_BLOCK, lead):
        lead += BLOCK
    tail = len(data.rstrip(b"\0"))
    end = min(len(data), -(-tail // BLOCK) * BLOCK) if tail > lead else lead
    view = memoryview(data)[lead:end]
    offset = lead
    while view:
        done = os.pwrite(fd, view, offset)
        view, offset = view[done:], offset + done
    os.ftruncate(fd, len(data))


def _write_private(path: Path, data: bytes, sparse: bool = False) -> None:
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
            if sparse:
                _write_holes(fh.fileno(), data)
            else:
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
    data = text.encode("utf-8")
    try:
        if read_regular(path, len(data) + 1) == data:
            return
    except OSError:
        pass
    write_private(path, data)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (created if missing) while inside."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot lock the build: {exc.strerror}", str(path)) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def remove(*paths: Path) -> None:
    """Remove the files (a directory in an output's place is not ours: left alone).

    Every path is tried; the first OSError (an immutable file, a read-only
    directory) is raised after the others are done, naming its path.
    """
    failure: OSError | None = None
    for path in paths:
        try:
            if not path.is_dir() or path.is_symlink():
                path.unlink(missing_ok=True)
        except OSError as exc:
            failure = failure or OSError(exc.errno, exc.strerror, str(path))
    if failure is not None:
        raise failure


def private_dir(path: Path) -> None:
    """Create ``path`` mode 0700, or take group and other access away if it exists.

    A directory we may not chmod (another user's) is left as it is.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        with contextlib.suppress(PermissionError):
            os.chmod(path, mode & 0o700)


TEMP_FILE = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]{1,10})\.tmp")
"""The temp files of :func:`write_private`: ``.<name>.<pid>.tmp``."""


def stale_temp_files(*directories: Path) -> list[Path]:
    """Temp files of :func:`write_private` left by a process that is gone (a build
    killed by ``kill -9`` or a power cut): their pid is neither ours nor alive."""
    found = []
    for directory in directories:
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            match = TEMP_FILE.fullmatch(name)
            if match is not None and not _alive(int(match["pid"])):
                found.append(directory / name)
    return sorted(found)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if not 0 < pid < 2**31:
        return False  # no process can have that pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


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
