"""Make dependency files: what each host's outputs were made from.

``build/<host>.d`` names the host file, every overlay it used and any other
input the build read, with an empty rule for each input (as ``gcc -MP``
does) so that deleting an overlay makes the host rebuild instead of
breaking make.  A comment line records the digest of the host's fleet facts
(see ``Host.fleet_facts``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path as FsPath

from hostiso.load.fleet import Host
from hostiso.util import fsutil


def _escape(path: str) -> str:
    """A path as make reads it in a rule (the names that cannot be said are refused
    where they are read: ``load.sources``)."""
    return path.replace("$", "$$").replace(" ", "\\ ").replace("#", "\\#").replace(":", "\\:")


FACTS_PREFIX = "# fleet-facts: "


def facts_digest(host: Host) -> str:
    """A digest of what the host took from the rest of the fleet ("" for nothing)."""
    if not host.fleet_facts:
        return ""
    return hashlib.sha256("\n".join(host.fleet_facts).encode()).hexdigest()[:32]


def stored_digest(path: FsPath) -> str | None:
    """The digest recorded by the last build, or None when there was none."""
    try:
        text = fsutil.read_regular(path, MAX_DEPFILE).decode("utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(FACTS_PREFIX):
            return line[len(FACTS_PREFIX) :]
    return ""


def built(path: FsPath, iso: FsPath) -> bool:
    """Whether the depfile at ``path`` is hostiso's, for the ISO ``iso``: proof
    that hostiso built that ISO, before a whole-fleet build removes it."""
    try:
        text = fsutil.read_regular(path, MAX_DEPFILE).decode("utf-8", errors="replace")
    except OSError:
        return False
    rule = next((line for line in text.splitlines() if not line.startswith("#")), "")
    targets = rule.split(": ", 1)[0].split(" ")
    return _escape(str(iso)) in targets


MAX_DEPFILE = 1 << 20


def render(host: Host, *targets: FsPath) -> str:
    inputs = list(dict.fromkeys(host.inputs))
    lines = [FACTS_PREFIX + facts_digest(host)] if host.fleet_facts else []
    lines += [
        " ".join(_escape(str(t)) for t in targets) + ": " + " ".join(_escape(i) for i in inputs)
    ]
    lines += [f"{_escape(i)}:" for i in inputs[1:]]
    return "\n".join(lines) + "\n"


def render_stamp(stamp: FsPath, inputs: list[str]) -> str:
    """The whole fleet's depfile: what the stamp depends on beyond what the Makefile lists.

    The Makefile makes the stamp depend on every ``configs/*.yaml`` and
    ``overlays/*.yaml`` by wildcard, so those are left out: make would
    otherwise read and stat 10,000 of them twice.  Every other input is
    listed, with an empty rule (a removed one rebuilds).  A removed overlay a
    host used no longer matches the wildcard: the overlays used are listed in
    a check that forces the build when one of them is gone.
    """
    target = _escape(str(stamp))
    used = [i for i in inputs if _plain_in(i, "overlays/")]
    others = [i for i in inputs if not (_plain_in(i, "configs/") or _plain_in(i, "overlays/"))]
    lines = [f"{target}: " + " ".join(_escape(i) for i in others)] if others else []
    lines += [f"{_escape(i)}:" for i in others]
    if used:
        gone = "$(filter-out $(wildcard overlays/*.yaml)," + " ".join(used) + ")"
        lines += [f"ifneq ({gone},)", f"{target}: FORCE", "endif"]
    return "\n".join(lines) + "\n"


PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+@")


def _plain_in(path: str, folder: str) -> bool:
    """``folder/NAME.yaml`` with a NAME make's wildcard and word lists read as is."""
    name = path[len(folder) :]
    return (
        path.startswith(folder)
        and name.endswith(".yaml")
        and not name.startswith(".")
        and PLAIN.issuperset(name)
    )
