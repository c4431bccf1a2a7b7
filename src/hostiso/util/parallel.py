"""Running the per-host work of a build on two cores.

The fleet is loaded and checked once; then the hosts to build are split in
two contiguous halves and a forked child builds the second half while the
parent builds the first.  The child sends its result back pickled through a
pipe.  Results come back in the order of the input, so output is the same as
a serial run.  Small batches, and systems without fork, run serially.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_PARALLEL = 64
"""Below this many items the fork costs more than it saves."""


def workers() -> int:
    try:
        return max(1, min(2, len(os.sched_getaffinity(0))))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, min(2, os.cpu_count() or 1))


def split_run(items: list[T], run: Callable[[list[T]], R]) -> list[R]:
    """``run`` over the items, in two processes when it pays off."""
    if len(items) < MIN_PARALLEL or workers() < 2 or not hasattr(os, "fork"):
        return [run(items)]
    half = (len(items) + 1) // 2
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: build the second half, report, exit without cleanup
        os.close(read_fd)
        status = 0
        try:
            payload = pickle.dumps(run(items[half:]))
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(payload)
        except BaseException:
            status = 1
        os._exit(status)
    os.close(write_fd)
    first = run(items[:half])
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return [first, run(items[half:])]  # the child failed: do its half here
    second: R = pickle.loads(data)
    return [first, second]
