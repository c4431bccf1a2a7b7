"""Run a daemon as a child subreaper: ``python reaper.py libvirtd ARGS...``.

libvirtd double-forks QEMU (capability probes, domains); the orphans
become children of PID 1, which in a container or a sandbox may never reap
them, and libvirtd then waits for zombies that never go (a ``virsh define``
hangs).  This process takes them instead (``PR_SET_CHILD_SUBREAPER``),
reaps every child, forwards SIGTERM to the daemon and exits with its status.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36


def main(argv: list[str]) -> int:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    child = os.fork()
    if child == 0:
        os.execvp(argv[0], argv)
    signal.signal(signal.SIGTERM, lambda _sig, _frame: os.kill(child, signal.SIGTERM))
    status = 0
    while True:
        try:
            pid, raw = os.wait()
        except ChildProcessError:
            return status
        if pid == child:
            status = os.waitstatus_to_exitcode(raw)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
