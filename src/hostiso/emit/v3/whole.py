"""Spec 3 rules that see the whole config: duplicates, links, unit paths.

* Duplicates (Ignition's ``ValidateDups``): every list of every object holds
  each key once (a file/directory/link by path, across all three; a unit,
  drop-in, user, group, RAID array or LUKS volume by name; a disk or
  filesystem by device; a partition by number or label; a resource by
  source; a tang server by URL; plain strings by value), except the lists
  Ignition lets repeat (``tables.DUPLICATE_IGNORED``).
* Links (``Storage.Validate``): no node under a link of the config; a link
  needs a target; a hard link to a directory of the config is an error, and
  an owner on a hard link a warning.
* A file, directory or link where a unit or drop-in of the config goes.
* An enabled instance of a template unit without ``[Install]`` (a warning).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, error, warning
from hostiso.emit.ignition.rules import go_clean
from hostiso.emit.ignition.structure import Ctx, Obj, WholeRule
from hostiso.emit.ignition.unitfile import parse_unit
from hostiso.emit.v3.storage import filesystem_warnings
from hostiso.emit.v3.tables import DUPLICATE_IGNORED, DUPLICATE_MERGED, SCHEMAS

_NODE_KINDS = ("files", "directories", "links")
_NAMED = frozenset({"Unit", "Dropin", "PasswdUser", "PasswdGroup", "Raid", "Luks", "HTTPHeader"})
_INSTANCE = re.compile(r"^(.+?)@(.+?)\.service$")


def key_of(typename: str, item: Any) -> str:
    """Ignition's ``Key()`` of a list entry."""
    if not isinstance(item, dict):
        return str(item)
    if typename in ("File", "Directory", "Link"):
        return str(item.get("path"))
    if typename in ("Disk", "Filesystem"):
        return str(item.get("device"))
    if typename == "Partition":
        if item.get("number"):
            return f"number:{item['number']}"
        return f"label:{item['label']}" if item.get("label") is not None else ""
    if typename == "Resource":
        return str(item.get("source") or "")
    if typename == "Tang":
        return str(item.get("url") or "")
    return str(item.get("name")) if typename in _NAMED else repr(item)


@functools.cache
def _checked_lists(version: str, typename: str) -> tuple[tuple[str, str, str], ...]:
    """(key, item type, duplicate group) of each list of ``typename`` Ignition checks."""
    ignored = DUPLICATE_IGNORED.get(typename, frozenset())
    merged = DUPLICATE_MERGED.get(typename, {})
    fields = SCHEMAS[version][typename].items()
    return tuple(
        (key, spec[:-2], merged.get(key, key))
        for key, spec in fields
        if spec.endswith("[]") and key not in ignored
    )


def _duplicates(config: Obj, ctx: Ctx) -> Iterator[Diagnostic]:
    for typename, obj, path in ctx.objects:
        seen: dict[str, dict[str, Path]] = {}
        for key, item_type, group_name in _checked_lists(ctx.version, typename):
            if not obj.get(key):
                continue
            group = seen.setdefault(group_name, {})
            for i, item in enumerate(obj[key]):
                k = key_of(item_type, item)
                if k in group:
                    yield error(
                        "ignition-duplicate",
                        f"duplicate entry defined: {k!r} (first at {_dotted(group[k])})",
                        (*path, key, i),
                    )
                group.setdefault(k, (*path, key, i))


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


def _storage(config: Obj) -> Obj:
    storage = config.get("storage")
    return storage if isinstance(storage, dict) else {}


def _links(config: Obj, ctx: Ctx) -> Iterator[Diagnostic]:
    storage = _storage(config)
    links = list(storage.get("links") or [])
    prefixes = [str(link.get("path")) + "/" for link in links]
    for kind in _NODE_KINDS:
        what = kind[:-1] if kind != "directories" else "directory"
        for i, node in enumerate(storage.get(kind) or []):
            if any(str(node.get("path")).startswith(p) for p in prefixes):
                yield error(
                    "ignition-path-through-link",
                    f"{what} path includes link in config",
                    ("storage", kind, i),
                )
    directories = {str(d.get("path")) for d in storage.get("directories") or []}
    for i, link in enumerate(links):
        yield from _link(link, ("storage", "links", i), directories)


def _link(link: Obj, where: Path, directories: set[str]) -> Iterator[Diagnostic]:
    target = link.get("target")
    if not target:
        yield error("ignition-required", "link target is required", (*where, "target"))
        return
    if not link.get("hard"):
        return
    resolved = go_clean(target) if target.startswith("/") else go_clean(f"{link['path']}/{target}")
    if resolved in directories:
        yield error("ignition-hard-link", "hard link target is a directory", where)
    for owner in ("user", "group"):
        for field in ("id", "name"):
            if (link.get(owner) or {}).get(field) is not None:
                yield warning(
                    "ignition-hard-link-owner",
                    "user/group ignored for hard link",
                    (*where, owner, field),
                )


def _unit_paths(config: Obj) -> set[str]:
    paths = set()
    for unit in (config.get("systemd") or {}).get("units") or []:
        base = f"/etc/systemd/system/{unit.get('name')}"
        if unit.get("contents"):
            paths.add(base)
        for dropin in unit.get("dropins") or []:
            if dropin.get("contents"):
                paths.add(f"{base}.d/{dropin.get('name')}")
    return paths


def _unit_conflicts(config: Obj, ctx: Ctx) -> Iterator[Diagnostic]:
    taken = _unit_paths(config)
    storage = _storage(config)
    for kind in _NODE_KINDS:
        for i, node in enumerate(storage.get(kind) or []):
            if node.get("path") in taken:
                yield error(
                    "ignition-unit-path",
                    "path conflicts with systemd unit or dropin",
                    ("storage", kind, i, "path"),
                )


def _instances(config: Obj, ctx: Ctx) -> Iterator[Diagnostic]:
    units = list((config.get("systemd") or {}).get("units") or [])
    by_name = {u.get("name"): u for u in units}
    for i, unit in enumerate(units):
        match = _INSTANCE.match(str(unit.get("name")))
        template = by_name.get(f"{match.group(1)}@.service") if match else None
        if not (unit.get("enabled") is True and template and template.get("contents")):
            continue
        sections, problem = parse_unit(template["contents"].strip())
        if problem is None and "Install" not in sections:
            yield warning(
                "ignition-unit-no-install",
                f"unit {unit.get('name')!r} is enabled, but its template "
                f"{match.group(1) if match else ''}@.service has no install section",
                ("systemd", "units", i, "contents"),
            )


def _filesystems(config: Obj, ctx: Ctx) -> Iterator[Diagnostic]:
    return filesystem_warnings(_storage(config), ("storage",))


WHOLE_RULES: list[WholeRule] = [_duplicates, _links, _unit_conflicts, _instances, _filesystems]
