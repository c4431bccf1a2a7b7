"""Reading ``contents.local`` / ``contents.template`` from the files directory only."""

from __future__ import annotations

import os
from pathlib import Path as FsPath

from hostiso.diagnostics import Diagnostic, Path, error
from hostiso.load import sources
from hostiso.util import fsutil

MAX_LOCAL_FILE = 64 << 20
"""The largest file ``contents.local`` may name: Ignition carries it inside the
config (as a data URL, a third larger or more), which Ignition reads whole."""


def read_confined(base: FsPath, name: str, path: Path) -> bytes | Diagnostic:
    """The bytes of ``base/name``, refusing anything that escapes ``base``.

    ``..`` components, absolute names and symlinks that lead outside are all
    errors; so is a name that is not a regular file, or one make cannot read
    in a depfile (:func:`sources.input_name_problem`).
    """
    if os.path.isabs(name) or ".." in FsPath(name).parts:
        return error("path-escape", f"'{name}' must be a relative path inside {base.name}/", path)
    why = sources.input_name_problem(name)
    if why is not None:  # the file would be named in the host's depfile, which make reads
        shown = sources.printable(name)
        return error("bad-file-name", f"the file name '{shown}' cannot be used: {why}", path)
    root = fsutil.real(base)
    target = fsutil.real(base / name)
    try:
        target.relative_to(root)
    except ValueError:
        return error(
            "path-escape", f"'{name}' leads outside {base.name}/ (through a symlink)", path
        )
    if not target.is_file():
        return error("local-file-missing", f"'{name}' is not a file in {base.name}/", path)
    try:
        data = fsutil.read_regular(target, MAX_LOCAL_FILE + 1)
    except OSError as exc:
        return error("local-file-missing", f"cannot read '{name}': {exc.strerror}", path)
    if len(data) > MAX_LOCAL_FILE:
        message = (
            f"'{name}' is larger than {MAX_LOCAL_FILE >> 20} MiB: the config carries its files "
            "inside itself; put large files on the machine another way"
        )
        return error("local-file-too-large", message, path)
    return data
