"""A progress bar on a terminal: ``[#######.....] 120/200  3 failed``.

Only drawn when the stream is a terminal; result lines are written above it
(the bar is erased, the line printed, the bar drawn again), so a log
redirected to a file holds the result lines and nothing else.
"""

from __future__ import annotations

import threading
from typing import TextIO

WIDTH = 30


class Progress:
    def __init__(self, stream: TextIO, total: int, *, enabled: bool) -> None:
        self.stream = stream
        self.total = total
        self.enabled = enabled and total > 0
        self.done = 0
        self.failed = 0
        self._lock = threading.Lock()

    def line(self, out: TextIO, text: str, *, ok: bool) -> None:
        """Print a result line (on *out*) and advance the bar."""
        with self._lock:
            self.done += 1
            self.failed += 0 if ok else 1
            self._erase()
            out.write(text + "\n")
            out.flush()
            self._draw()

    def close(self) -> None:
        with self._lock:
            self._erase()

    def _erase(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def _draw(self) -> None:
        if not self.enabled or self.done >= self.total:
            return
        filled = WIDTH * self.done // self.total
        failed = f"  {self.failed} failed" if self.failed else ""
        bar = "#" * filled + "." * (WIDTH - filled)
        self.stream.write(f"[{bar}] {self.done}/{self.total}{failed}")
        self.stream.flush()
