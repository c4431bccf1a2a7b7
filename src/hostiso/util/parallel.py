"""A team of forked processes that run the same code on their share of the work.

:func:`run_team` forks ``size - 1`` children and calls ``body(team)`` in
every member, each with its rank (the parent is rank 0): the same code, on
its share of the items (:meth:`Team.share`).  Where the work needs the whole
fleet, every member calls :meth:`Team.allgather` with what it found and gets
everyone's, in rank order; :meth:`Team.in_turn` lets the members do
something one after another.  The parent gets every member's return value;
a child leaves with ``os._exit`` once it has sent its own, so nothing of the
parent's is flushed or cleaned up twice, and it never returns into the
parent's code.

Messages are pickled through pipes, child to parent and back (a star: the
parent relays).  Every member must make the same calls in the same order.
A member that fails makes the parent raise :class:`TeamError` (with the
failure's traceback); the parent ends what is left of its team on the way
out, and a child whose parent is gone exits at its next call.
"""

from __future__ import annotations

import os
import pickle
import struct
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

MIN_SHARE = 256
"""Below this many items per member the forks and messages cost more than they save."""
MAX_WORKERS = 8
_HEADER = struct.Struct("<Q")


class TeamError(RuntimeError):
    """A member of the team died or failed: its share is lost, the run must start over."""


def workers(items: int, limit: int | None = None) -> int:
    """How many members a run over ``items`` items should have on this machine
    (at most ``limit``, else one per CPU up to :data:`MAX_WORKERS`)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        return 1
    most = min(cpus, MAX_WORKERS) if limit is None else limit
    return max(1, min(most, items // MIN_SHARE))


class Team:
    def __init__(self, rank: int = 0, size: int = 1) -> None:
        self.rank = rank
        self.size = size
        self._children: list[tuple[int, int, int]] = []
        """(pid, read fd, write fd) of each child, in the parent."""
        self._parent: tuple[int, int] | None = None
        """(read fd, write fd) to the parent, in a child."""

    @classmethod
    def _start(cls, size: int) -> Team:
        """Fork; returns in every member, each with its rank."""
        team = cls(0, max(1, size))
        for rank in range(1, team.size):
            down_r, down_w = os.pipe()
            up_r, up_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                child = cls(rank, team.size)
                for _pid, r, w in team._children:
                    os.close(r)
                    os.close(w)
                os.close(down_w)
                os.close(up_r)
                child._parent = (down_r, up_w)
                return child
            os.close(down_r)
            os.close(up_w)
            team._children.append((pid, up_r, down_w))
        return team

    @property
    def solo(self) -> bool:
        return self.size == 1

    def share(self, items: Sequence[T]) -> range:
        """The indices of ``items`` this member works on: a contiguous slice."""
        n = len(items)
        return range(n * self.rank // self.size, n * (self.rank + 1) // self.size)

    def owner(self, index: int, count: int) -> int:
        """The rank whose :meth:`share` of ``count`` items holds ``index``."""
        return next(r for r in range(self.size) if index < count * (r + 1) // self.size)

    def allgather(self, value: Any) -> list[Any]:
        """Everyone's ``value``, in rank order, in every member."""
        if self.solo:
            return [value]
        if self._parent is not None:
            _send(self._parent[1], (True, value))
            found: list[Any] = _receive(self._parent[0])
            return found
        values = [value] + [_from_child(r) for _pid, r, _w in self._children]
        for _pid, _r, w in self._children:
            _send(w, values)
        return values

    @contextmanager
    def in_turn(self) -> Iterator[None]:
        """Run the body in one member after another, rank 0 first."""
        for rank in range(self.size):
            if rank == self.rank:
                yield
            self.allgather(None)

    def _finish_child(self, body: Callable[[Team], Any]) -> None:
        """A child's whole life after the fork: never returns."""
        assert self._parent is not None
        status = 0
        try:
            message: tuple[bool, Any] = (True, body(self))
        except BaseException:
            message, status = (False, traceback.format_exc()), 1
        try:
            _send(self._parent[1], message)
        finally:
            os._exit(status)

    def _gather_results(self, mine: Any) -> list[Any]:
        return [mine] + [_from_child(r) for _pid, r, _w in self._children]

    def abandon(self) -> None:
        """In the parent: close the pipes and reap every child.  A child still at
        work stops at its next call (it is not killed: it may be writing an output,
        whose temp file it removes on the way out)."""
        for _pid, r, w in self._children:
            os.close(r)
            os.close(w)
        for pid, _r, _w in self._children:
            os.waitpid(pid, 0)
        self._children = []


R = TypeVar("R")


def run_team(size: int, body: Callable[[Team], R]) -> list[R]:
    """``body(team)`` in ``size`` processes; every member's result, in rank order."""
    if size <= 1:
        return [body(Team())]
    team = Team._start(size)
    if team.rank != 0:
        team._finish_child(body)
    try:
        mine = body(team)
        results: list[R] = team._gather_results(mine)
        return results
    finally:
        team.abandon()


def _from_child(fd: int) -> Any:
    """A child's message: ``(True, value)``, or ``(False, traceback)`` when it failed."""
    ok, value = _receive(fd)
    if not ok:
        raise TeamError(f"a member of the team failed:\n{value}")
    return value


def _send(fd: int, value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        _write_all(fd, _HEADER.pack(len(data)) + data)
    except OSError as exc:  # the other end is gone
        raise TeamError(f"a member of the team is gone: {exc.strerror}") from None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _receive(fd: int) -> Any:
    size = _HEADER.unpack(_read_exactly(fd, _HEADER.size))[0]
    return pickle.loads(_read_exactly(fd, size))


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise TeamError("a member of the team is gone")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
