"""File data copied by the kernel while pycdlib writes an image, as ``cp`` copies it.

pycdlib copies every file's data (the base ISO's files, the OS image) with a
Python read/write loop.  Between two real files, ``os.copy_file_range`` lets
the kernel do it, without passing the bytes through Python: for a 500 MB
image that is most of the time the installer takes.  Inside :func:`kernel_copy`,
pycdlib's copy helper uses it whenever both ends are files; anything else
(in-memory data, a kernel without copy_file_range, a copy across filesystems
that it refuses) goes through pycdlib's own loop.  The bytes written are the
same either way.

A copy already made ahead (:class:`Copy`, :mod:`hostiso.media.installer_ahead`)
is not made again: given ``done``, :func:`kernel_copy` skips each copy that
is exactly one of them (same source file, unchanged, same offsets and length)
and records it in ``done.used``.

pycdlib calls one module-level helper; the helper in place here dispatches to
what the calling thread chose (:func:`copying`), so two threads may write
two images at once.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

import pycdlib.utils

CHUNK = 64 << 20
_PYCDLIB_COPY = pycdlib.utils.copy_data_yield

CopyHelper = Callable[[int, int, BinaryIO, IO[Any]], Generator[int, None, None]]


@dataclass(frozen=True)
class Copy:
    """``length`` bytes at ``src`` of a file (``fd_key``) copied to ``dst`` of the output."""

    source: str
    src: int
    dst: int
    length: int


@dataclass
class Done:
    """Copies made ahead into the output file, and those the write found exactly."""

    copies: frozenset[Copy]
    used: set[Copy] = field(default_factory=set)

    @property
    def all_used(self) -> bool:
        return self.used == set(self.copies)


def fd_key(fd: int) -> str:
    """Device, inode, size, mtime and ctime: the file is the same and unchanged."""
    st = os.fstat(fd)
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def fileno(fp: Any) -> int | None:
    """The file descriptor of a real file; None for in-memory data."""
    try:
        return int(fp.fileno())
    except (AttributeError, OSError, ValueError):
        return None


def files(infp: Any, outfp: Any) -> tuple[int, int] | None:
    src, dst = fileno(infp), fileno(outfp)
    return (src, dst) if src is not None and dst is not None else None


def copy_range(
    src_fd: int, dst_fd: int, length: int, src: int, dst: int, stop: threading.Event | None = None
) -> int:
    """Copy in the kernel as far as it goes: the bytes left (0 when all were copied)."""
    left = length
    while left > 0 and not (stop is not None and stop.is_set()):
        try:
            done = os.copy_file_range(src_fd, dst_fd, min(left, CHUNK), src, dst)
        except OSError:
            break
        if done == 0:
            break
        src, dst, left = src + done, dst + done, left - done
    return left


def copy_data_yield(
    data_length: int, blocksize: int, infp: BinaryIO, outfp: IO[Any]
) -> Generator[int, None, None]:
    """pycdlib's ``utils.copy_data_yield``, through the kernel when it can."""
    fds = files(infp, outfp)
    if fds is None or not hasattr(os, "copy_file_range"):
        yield from _PYCDLIB_COPY(data_length, blocksize, infp, outfp)
        return
    outfp.flush()
    src, dst = infp.tell(), outfp.tell()
    left = copy_range(fds[0], fds[1], data_length, src, dst)
    infp.seek(src + data_length - left)
    outfp.seek(dst + data_length - left)
    yield data_length - left
    if left > 0:
        yield from _PYCDLIB_COPY(left, blocksize, infp, outfp)


def _skipping(done: Done) -> CopyHelper:
    def helper(
        data_length: int, blocksize: int, infp: BinaryIO, outfp: IO[Any]
    ) -> Generator[int, None, None]:
        fds = files(infp, outfp)
        if fds is not None:
            made = Copy(fd_key(fds[0]), infp.tell(), outfp.tell(), data_length)
            if made in done.copies:
                done.used.add(made)
                infp.seek(made.src + data_length)
                outfp.seek(made.dst + data_length)
                yield data_length
                return
        yield from copy_data_yield(data_length, blocksize, infp, outfp)

    return helper


_chosen = threading.local()


def _dispatch(
    data_length: int, blocksize: int, infp: BinaryIO, outfp: IO[Any]
) -> Generator[int, None, None]:
    helper: CopyHelper = getattr(_chosen, "helper", None) or _PYCDLIB_COPY
    yield from helper(data_length, blocksize, infp, outfp)


@contextlib.contextmanager
def copying(helper: CopyHelper) -> Iterator[None]:
    """pycdlib copies file data with ``helper`` in this thread while inside."""
    pycdlib.utils.copy_data_yield = _dispatch
    before = getattr(_chosen, "helper", None)
    _chosen.helper = helper
    try:
        yield
    finally:
        _chosen.helper = before


def kernel_copy(done: Done | None = None) -> contextlib.AbstractContextManager[None]:
    """pycdlib copies file data with :func:`copy_data_yield` while inside
    (skipping the copies in ``done``)."""
    return copying(copy_data_yield if done is None else _skipping(done))
