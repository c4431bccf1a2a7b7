"""A progress line on a terminal, and ``--timings``.

Runs longer than a second show ``hostiso: check 1234/10000 hosts (2500/s)``
on stderr, rewritten in place, when stderr is a terminal and make was not
given ``-s``; nothing otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

DELAY = 1.0


def _silent(env: dict[str, str]) -> bool:
    flags = env.get("MAKEFLAGS", "").split(" ", 1)[0]
    return "s" in flags and not flags.startswith("-")


def hook(stream: TextIO, env: dict[str, str]) -> Callable[[str, int, int], None] | None:
    if not (hasattr(stream, "isatty") and stream.isatty()) or _silent(env):
        return None
    start = time.monotonic()
    last = [0.0]

    def report(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - start < DELAY or (now - last[0] < 0.1 and done < total):
            return
        last[0] = now
        rate = done / max(now - start, 1e-6)
        stream.write(f"\rhostiso: {stage} {done}/{total} hosts ({rate:.0f}/s)\x1b[K")
        stream.flush()

    return report


def clear(stream: TextIO, env: dict[str, str]) -> None:
    if hasattr(stream, "isatty") and stream.isatty() and not _silent(env):
        stream.write("\r\x1b[K")


def timings(steps: dict[str, float]) -> str:
    total = sum(steps.values())
    lines = [f"{name:<28} {seconds:8.3f} s" for name, seconds in steps.items()]
    return "\n".join([*lines, f"{'total':<28} {total:8.3f} s"]) + "\n"
