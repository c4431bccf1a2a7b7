"""Files that hold a secret must be private to their owner.

A BMC password file that the group or others can read leaks the key to the
whole fleet's management network; ssh refuses private keys for the same
reason.  This checks the mode only; it reads nothing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_MASK = 0o077
"""No permission bit for the group or others."""


def not_private(path: Path, shown: str | None = None) -> str | None:
    """Why *path* (named *shown* in the message) is not a file only its owner can read."""
    name = shown or str(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"cannot read {name}: {exc.strerror or 'error'}"
    if not stat.S_ISREG(info.st_mode):
        return f"{name} is not a file"
    mode = stat.S_IMODE(info.st_mode)
    if mode & PRIVATE_MASK:
        return f"{name} can be read by its group or others (mode {mode:04o}): chmod 600 it"
    return None
