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

Parent directories it creates are 0755, owned by root.
"""

from __future__ import annotations

from collections.abc import Iterator
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


def _rel(path: str) -> str:
    return str(PurePosixPath(path)).lstrip("/")


def _owner(item: dict[str, Any]) -> tuple[Any, Any]:
    user, group = item.get("user") or {}, item.get("group") or {}
    return (user.get("id", user.get("name", 0)), group.get("id", group.get("name", 0)))


def storage_nodes(config: dict[str, Any]) -> Iterator[tuple[str, Node]]:
    storage = config.get("storage") or {}
    for item in storage.get("files") or []:
        data = decode_data_url(item["contents"]["source"])
        assert data is not None and item["filesystem"] == "root"
        yield _rel(item["path"]), Node("file", item.get("mode", 0o644), _owner(item), data)
    for item in storage.get("directories") or []:
        yield _rel(item["path"]), Node("dir", item.get("mode", 0o755), _owner(item))
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


def expected_tree(config: dict[str, Any]) -> dict[str, Node]:
    """Every path the 2.x engine writes for ``config`` (users' files aside)."""
    tree = dict(storage_nodes(config))
    tree.update(unit_nodes(config))
    lines = preset_lines(config)
    if lines:
        tree[PRESET] = Node("file", 0o644, (0, 0), "".join(f"{x}\n" for x in lines).encode())
    for path in list(tree):
        for parent in PurePosixPath(path).parents:
            if str(parent) != ".":
                tree.setdefault(str(parent), Node("dir", 0o755, (0, 0)))
    return tree
