"""Output paths back to input paths, for diagnostics found in an emitted config.

Every emitter records where its output came from: ``origins`` maps an output
path (usually a list entry) to the input path it was made from.  A problem
found in the output is then reported at the input: the nearest mapped parent
of its path, plus what follows it, in the host file's spelling
(``sshAuthorizedKeys`` -> ``ssh_authorized_keys``).  Placing a path at a
file:line:col takes its nearest existing parent, so a key the host file
spells differently still lands on the entry.
"""

from __future__ import annotations

import re

from hostiso.diagnostics import Path

Origins = dict[Path, Path]
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(part: str | int) -> str | int:
    return _CAMEL.sub(r"_\1", part).lower() if isinstance(part, str) else part


def nearest(output: Path, origins: Origins) -> tuple[Path, Path] | None:
    """The mapped parent of ``output`` (its input path) and the rest of ``output``."""
    for n in range(len(output), 0, -1):
        found = origins.get(output[:n])
        if found is not None:
            return found, output[n:]
    return None


def input_path(output: Path, origins: Origins) -> Path:
    """The input entry an output path came from (the nearest mapped parent
    alone, as the 2.x emitter has always reported it)."""
    hit = nearest(output, origins)
    return hit[0] if hit is not None else output[:1]


def follow(output: Path, origins: Origins) -> Path:
    """The input path of ``output``, keeping what follows the mapped parent."""
    hit = nearest(output, origins)
    if hit is None:
        return tuple(snake(p) for p in output)
    return hit[0] + tuple(snake(p) for p in hit[1])
