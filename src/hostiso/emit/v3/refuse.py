"""What Flatcar's converter refuses, as errors that name the spec.

Flatcar converts a 2.x config to spec 3 at boot (``Check2_4`` in
flatcar/scripts ``sys-apps/ignition/files``, ``config/v24tov31``) and gives
up on the whole config when:

* two files, directories or links end up at one path (2.x let the last one
  win; spec 3 has one entry per path);
* a file, directory or link sits under a link the config itself creates
  (2.x wrote through the link; spec 3 refuses it);
* one unit entry has two drop-ins of one name;
* ``mount.create`` is given without ``force``.

hostiso refuses these too, and also what spec 3 removed: ``create`` on a
user or a filesystem, and a filesystem with a ``path`` but no ``mount`` (an
already mounted filesystem), each with what to write instead, and a node on
a filesystem the config does not define (the converter would quietly put
it on root).  Paths are 2.x output paths (:func:`refuse_removed`) or spec 3
output paths (:func:`refuse_conflicts`); ``emit.v3.emit`` maps both back to
the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, error

CODE = "spec3-refused"
REMOVED = "spec3-removed"
_NODE_KINDS = ("files", "directories", "links")
_KIND_NAMES = {"files": "file", "directories": "directory", "links": "link"}


def _items(config: dict[str, Any], *keys: str) -> list[Any]:
    found: Any = config
    for key in keys:
        found = (found or {}).get(key) if isinstance(found, dict) else None
    return list(found or [])


def refuse_removed(ign2: dict[str, Any], spec: str) -> Iterator[Diagnostic]:
    """Fields spec 3 removed, and references the converter cannot map."""
    for i, user in enumerate(_items(ign2, "passwd", "users")):
        if user.get("create") is not None:
            yield error(
                REMOVED,
                f"Ignition spec {spec} has no passwd.users[].create: write its fields "
                "(uid, groups, home_dir, shell, ...) on the user itself",
                ("passwd", "users", i, "create"),
                at_key=True,
            )
    yield from _refuse_filesystems(ign2, spec)
    yield from _refuse_dropins(ign2, spec)


def _refuse_filesystems(ign2: dict[str, Any], spec: str) -> Iterator[Diagnostic]:
    for i, fs in enumerate(_items(ign2, "storage", "filesystems")):
        where: Path = ("storage", "filesystems", i)
        if fs.get("mount") is None:
            yield error(
                REMOVED,
                f"Ignition spec {spec} cannot use an already mounted filesystem (path "
                "without mount): give mount.device and mount.format, and Ignition mounts it",
                (*where, "path"),
                at_key=True,
            )
        elif fs["mount"].get("create") is not None:
            yield error(
                REMOVED,
                f"Ignition spec {spec} has no mount.create: write wipe_filesystem: true "
                "and put create.options in mount.options",
                (*where, "mount", "create"),
                at_key=True,
            )
    yield from _refuse_unknown_filesystems(ign2, spec)


def _refuse_unknown_filesystems(ign2: dict[str, Any], spec: str) -> Iterator[Diagnostic]:
    names = {"root"} | {str(fs.get("name") or "") for fs in _items(ign2, "storage", "filesystems")}
    for kind in _NODE_KINDS:
        for i, node in enumerate(_items(ign2, "storage", kind)):
            name = str(node.get("filesystem") or "root")
            if name not in names:
                yield error(
                    CODE,
                    f"{_KIND_NAMES[kind]} {node.get('path')!r} is on filesystem {name!r}, which "
                    f"this config does not define; Ignition spec {spec} needs its mount point",
                    ("storage", kind, i, "filesystem"),
                )


def _refuse_dropins(ign2: dict[str, Any], spec: str) -> Iterator[Diagnostic]:
    for section in ("systemd", "networkd"):
        for i, unit in enumerate(_items(ign2, section, "units")):
            seen: set[str] = set()
            for j, dropin in enumerate(unit.get("dropins") or []):
                name = str(dropin.get("name") or "")
                if name in seen:
                    yield error(
                        CODE,
                        f"Ignition spec {spec} allows one drop-in {name!r} per unit "
                        f"({unit.get('name')}): merge the two",
                        (section, "units", i, "dropins", j, "name"),
                    )
                seen.add(name)


def _nodes(ign3: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    for kind in _NODE_KINDS:
        for i, node in enumerate(_items(ign3, "storage", kind)):
            yield ("storage", kind, i), str(node.get("path"))


def refuse_conflicts(
    ign3: dict[str, Any], spec: str, describe: Callable[[Path], str]
) -> Iterator[Diagnostic]:
    """Two entries for one path, and paths through the config's own links.

    ``describe`` names where an output node came from (its input path), for
    the message about the entry seen first.
    """
    first: dict[str, Path] = {}
    for where, path in _nodes(ign3):
        if path in first:
            yield error(
                CODE,
                f"Ignition spec {spec} allows one entry per path: {path} is also "
                f"written by {describe(first[path])}",
                (*where, "path"),
            )
        first.setdefault(path, where)
    yield from _through_links(ign3, spec)


def _through_links(ign3: dict[str, Any], spec: str) -> Iterator[Diagnostic]:
    links = [str(link.get("path")).rstrip("/") + "/" for link in _items(ign3, "storage", "links")]
    for where, path in _nodes(ign3):
        through = [link for link in links if path.startswith(link)]
        if through:
            yield error(
                CODE,
                f"Ignition spec {spec} cannot write {path} through the link "
                f"{through[0].rstrip('/')} that this config creates: use the link's "
                "target in the path",
                (*where, "path"),
            )
