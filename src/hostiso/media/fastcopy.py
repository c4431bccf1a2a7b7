"""File data copied by the kernel while pycdlib writes an image, as ``cp`` copies it.

pycdlib copies every file's data (the base ISO's files, the OS image) with a
Python read/write loop.  Between two real files, ``os.copy_file_range`` lets
the kernel do it, without passing the bytes through Python: for a 500 MB
image that is most of the time the installer takes.  Inside :func:`kernel_copy`,
pycdlib's copy helper uses it whenever both ends are files; anything else
(in-memory data, a kernel without copy_file_range, a copy across filesystems
that it refuses) goes through pycdlib's own loop.  The bytes written are the
same either way.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator, Iterator
from typing import IO, Any, BinaryIO

import pycdlib.utils

CHUNK = 64 << 20
_PYCDLIB_COPY = pycdlib.utils.copy_data_yield


def _files(infp: Any, outfp: Any) -> tuple[int, int] | None:
    try:
        return infp.fileno(), outfp.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def copy_data_yield(
    data_length: int, blocksize: int, infp: BinaryIO, outfp: IO[Any]
) -> Generator[int, None, None]:
    """pycdlib's ``utils.copy_data_yield``, through the kernel when it can."""
    fds = _files(infp, outfp)
    if fds is None or not hasattr(os, "copy_file_range"):
        yield from _PYCDLIB_COPY(data_length, blocksize, infp, outfp)
        return
    outfp.flush()
    src, dst = infp.tell(), outfp.tell()
    left = data_length
    while left > 0:
        try:
            done = os.copy_file_range(fds[0], fds[1], min(left, CHUNK), src, dst)
        except OSError:
            break
        if done == 0:
            break
        src, dst, left = src + done, dst + done, left - done
        yield done
    infp.seek(src)
    outfp.seek(dst)
    if left > 0:
        yield from _PYCDLIB_COPY(left, blocksize, infp, outfp)


@contextlib.contextmanager
def kernel_copy() -> Iterator[None]:
    """pycdlib copies file data with :func:`copy_data_yield` while inside."""
    pycdlib.utils.copy_data_yield = copy_data_yield
    try:
        yield
    finally:
        pycdlib.utils.copy_data_yield = _PYCDLIB_COPY
