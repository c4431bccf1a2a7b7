"""What Flatcar's Ignition 2.x writes for a 2.3.0 config: a model, for comparison.

Debian's Ignition (2.14) reads spec 3 only, and no Ignition 2.x binary is
packaged, so a 2.3.0 config cannot be applied in the tests.  This model says
what Flatcar's 2.x engine (flatcar/ignition v0.36, ``internal/exec/stages/
files``, ``internal/exec/util``) writes for one, read from that code:

* each ``storage`` file, directory and link on filesystem ``root`` at its
  path, with its mode (files 0644 and directories 0755 when unset; ct always
  sets them), owner (uid/gid, or a name looked up in the written
  ``/etc/passwd`` and ``/etc/group``) and contents (the data URL decoded);
* each systemd unit with contents at ``/etc/systemd/system/<name>`` (0644),
  each drop-in with contents at ``<name>.d/<drop-in>``; ``mask`` links the
  unit to ``/dev/null``;
* each networkd unit at ``/etc/systemd/network/<name>``, drop-ins likewise;
* ``/etc/systemd/system-preset/20-ignition.preset``: for each unit in
  order, ``enable <name>`` for ``enable: true``, ``enable <name>`` for
  ``enabled: true``, ``disable <name>`` for ``enabled: false``;
* each user's SSH keys in ``~/.ssh/authorized_keys.d/flatcar-ignition``,
  one per line, and the password hash in ``/etc/shadow``.

Parent directories it creates for files and links are 0755, owned by root.
Directories come first, shallowest first, and the parents a directory needs
get that directory's mode and owner (``os.MkdirAll`` then a chmod and chown of
every new path); Ignition 3 makes them 0755 and root's (docs/spec3.md).  Such
a node carries ``implied_by``.  Checked against the real 2.x engine built from
flatcar/ignition v0.36.2 (tests/realworld/README.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from hostiso.emit.ignition.dataurl import decode_data_url

PRESET = "etc/systemd/system-preset/20-ignition.preset"
SSH_FRAGMENT_2X = ".ssh/authorized_keys.d/flatcar-ignition"


@dataclass(frozen=True)
class Node:
    kind: str  # "file", "dir", "link"
    mode: int
    owner: tuple[Any, Any]  # (uid or user name, gid or group name)
    data: bytes = b""
    implied_by: str = ""  # a parent the 2.x engine made for this configured directory


def _rel(path: str) -> str:
    return str(PurePosixPath(path)).lstrip("/")


def _owner(item: dict[str, Any]) -> tuple[Any, Any]:
    user, group = item.get("user") or {}, item.get("group") or {}
    return (user.get("id", user.get("name", 0)), group.get("id", group.get("name", 0)))


def directory_nodes(config: dict[str, Any], existing: set[str]) -> Iterator[tuple[str, Node]]:
    """Directories, shallowest first, each after the parents it makes (not in ``existing``)."""
    items = (config.get("storage") or {}).get("directories") or []
    made = set(existing)
    for item in sorted(items, key=lambda d: len(PurePosixPath(_rel(d["path"])).parts)):
        path, node = _rel(item["path"]), Node("dir", item.get("mode", 0o755), _owner(item))
        for parent in reversed(PurePosixPath(path).parents):
            if str(parent) != "." and str(parent) not in made:
                made.add(str(parent))
                yield str(parent), Node("dir", node.mode, node.owner, implied_by=path)
        made.add(path)
        yield path, node


def storage_nodes(config: dict[str, Any]) -> Iterator[tuple[str, Node]]:
    storage = config.get("storage") or {}
    for item in storage.get("files") or []:
        data = decode_data_url(item["contents"]["source"])
        assert data is not None and item["filesystem"] == "root"
        yield _rel(item["path"]), Node("file", item.get("mode", 0o644), _owner(item), data)
    for item in storage.get("links") or []:
        yield _rel(item["path"]), Node("link", 0o777, _owner(item), item["target"].encode())


def _unit_files(base: str, unit: dict[str, Any]) -> Iterator[tuple[str, Node]]:
    if unit.get("contents"):
        yield f"{base}/{unit['name']}", Node("file", 0o644, (0, 0), unit["contents"].encode())
    for dropin in unit.get("dropins") or []:
        if dropin.get("contents"):
            where = f"{base}/{unit['name']}.d/{dropin['name']}"
            yield where, Node("file", 0o644, (0, 0), dropin["contents"].encode())


def unit_nodes(config: dict[str, Any]) -> Iterator[tuple[str, Node]]:
    for unit in (config.get("systemd") or {}).get("units") or []:
        yield from _unit_files("etc/systemd/system", unit)
        if unit.get("mask"):
            yield f"etc/systemd/system/{unit['name']}", Node("link", 0o777, (0, 0), b"/dev/null")
    for unit in (config.get("networkd") or {}).get("units") or []:
        yield from _unit_files("etc/systemd/network", unit)


def preset_lines(config: dict[str, Any]) -> list[str]:
    lines = []
    for unit in (config.get("systemd") or {}).get("units") or []:
        if unit.get("enable"):
            lines.append(f"enable {unit['name']}")
        if unit.get("enabled") is True:
            lines.append(f"enable {unit['name']}")
        elif unit.get("enabled") is False:
            lines.append(f"disable {unit['name']}")
    return lines


def users(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["name"]: u for u in (config.get("passwd") or {}).get("users") or []}


def expected_tree(config: dict[str, Any], existing: Iterable[str] = ("etc",)) -> dict[str, Node]:
    """Every path the 2.x engine writes for ``config`` (users' files aside), on a
    root that has the directories ``existing``."""
    tree = dict(directory_nodes(config, set(existing)))
    tree.update(storage_nodes(config))
    tree.update(unit_nodes(config))
    lines = preset_lines(config)
    if lines:
        tree[PRESET] = Node("file", 0o644, (0, 0), "".join(f"{x}\n" for x in lines).encode())
    for path in list(tree):
        for parent in PurePosixPath(path).parents:
            if str(parent) != ".":
                tree.setdefault(str(parent), Node("dir", 0o755, (0, 0)))
    return tree


def _ids(tree: dict[str, Any], owner: tuple[Any, Any]) -> tuple[int, int]:
    def table(path: str) -> dict[str, list[str]]:
        return {line.split(":")[0]: line.split(":") for line in tree[path].text.splitlines()}

    uid = owner[0] if isinstance(owner[0], int) else int(table("etc/passwd")[owner[0]][2])
    gid = owner[1] if isinstance(owner[1], int) else int(table("etc/group")[owner[1]][2])
    return uid, gid


def engine_differences(config: dict[str, Any], tree: dict[str, Any]) -> list[str]:
    """How the tree the real 2.x engine wrote (``ignition_apply.snapshot``)
    differs from this model of it: every path, mode, owner and byte."""
    problems = []
    for path, want in expected_tree(config).items():
        got = tree.get(path)
        wanted = (want.kind, want.mode, _ids(tree, want.owner), want.data)
        if path == PRESET and got is not None:
            wanted = (want.kind, want.mode, (0, 0), want.data)
        if got is None or (got.kind, got.mode, (got.uid, got.gid), got.data) != wanted:
            problems.append(f"{path}: {got} != {wanted}")
    for name, user in users(config).items():
        keys = tree.get(f"home/{name}/{SSH_FRAGMENT_2X}")
        if (keys.text.splitlines() if keys else []) != (user.get("sshAuthorizedKeys") or []):
            problems.append(f"{name}'s keys differ")
    return problems
