"""Make dependency files: what each host's outputs were made from.

``build/<host>.d`` names the host file, every overlay it used and any other
input the build read, with an empty rule for each input (as ``gcc -MP``
does) so that deleting an overlay makes the host rebuild instead of
breaking make.
"""

from __future__ import annotations

from pathlib import Path as FsPath

from hostiso.fleet import Host


def _escape(path: str) -> str:
    return path.replace("$", "$$").replace(" ", "\\ ").replace("#", "\\#")


def render(host: Host, *targets: FsPath) -> str:
    inputs = list(dict.fromkeys(host.inputs))
    lines = [" ".join(_escape(str(t)) for t in targets) + ": " +
             " ".join(_escape(i) for i in inputs)]
    lines += [f"{_escape(i)}:" for i in inputs[1:]]
    return "\n".join(lines) + "\n"
