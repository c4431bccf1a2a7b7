"""Files, directories, links and networkd units: 2.x nodes -> spec 3 nodes.

The rules are those of Flatcar's converter (``config/v24tov31``):

* a node's path is its filesystem's mount point joined with its path
  (``fsmap``);
* a file without ``overwrite`` gets ``overwrite: true`` (2.x always replaced
  files); an appended file gets ``overwrite: false`` and its contents become
  the one entry of ``append``;
* directories and links keep ``overwrite`` as given;
* a networkd unit becomes the file ``/etc/systemd/network/<name>`` (mode
  0644, ``overwrite: true``) when it has contents, and each of its drop-ins
  ``/etc/systemd/network/<name>.d/<drop-in>`` (an empty drop-in is an empty
  file); these files follow the config's own files.

Keys come in the order of Ignition's spec 3 types (``Node`` first: group,
overwrite, path, user); empty values are left out.
"""

from __future__ import annotations

from typing import Any

from hostiso.emit.paths import Origins
from hostiso.emit.v2.common import data_url
from hostiso.emit.v3.fsmap import join

NETWORKD_DIR = "/etc/systemd/network"
UNIT_MODE = 0o644


def _owner(owner: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(owner, dict):
        if owner.get("id") is not None:
            out["id"] = owner["id"]
        if owner.get("name"):
            out["name"] = owner["name"]
    return out


def _node(item: dict[str, Any], mounts: dict[str, str], overwrite: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    group = _owner(item.get("group"))
    if group:
        out["group"] = group
    if overwrite is not None:
        out["overwrite"] = overwrite
    out["path"] = join(mounts.get(str(item.get("filesystem") or "root"), "/"), item["path"])
    user = _owner(item.get("user"))
    if user:
        out["user"] = user
    return out


def resource(source: Any, compression: Any = None, verification: Any = None) -> dict[str, Any]:
    """A spec 3 ``Resource``: compression, source, verification."""
    out: dict[str, Any] = {}
    if compression:
        out["compression"] = compression
    out["source"] = source if isinstance(source, str) else ""
    digest = (verification or {}).get("hash") if isinstance(verification, dict) else None
    if digest:
        out["verification"] = {"hash": digest}
    return out


def file_node(item: dict[str, Any], mounts: dict[str, str]) -> dict[str, Any]:
    appended = bool(item.get("append"))
    overwrite = False if appended else item.get("overwrite", True)
    out = _node(item, mounts, overwrite)
    contents = item.get("contents") or {}
    res = resource(
        contents.get("source"), contents.get("compression"), contents.get("verification")
    )
    out["append" if appended else "contents"] = [res] if appended else res
    if item.get("mode") is not None:
        out["mode"] = item["mode"]
    return out


def directory_node(item: dict[str, Any], mounts: dict[str, str]) -> dict[str, Any]:
    out = _node(item, mounts, item.get("overwrite"))
    if item.get("mode") is not None:
        out["mode"] = item["mode"]
    return out


def link_node(item: dict[str, Any], mounts: dict[str, str]) -> dict[str, Any]:
    out = _node(item, mounts, item.get("overwrite"))
    if item.get("hard"):
        out["hard"] = True
    out["target"] = item.get("target") or ""
    return out


def networkd_file(path: str, text: str) -> dict[str, Any]:
    return {
        "overwrite": True,
        "path": path,
        "contents": {"source": data_url(text.encode("utf-8"))},
        "mode": UNIT_MODE,
    }


def networkd_files(units: list[dict[str, Any]], first: int, origins: Origins) -> list[Any]:
    """Files for networkd units, numbered from ``first`` in ``storage.files``."""
    out: list[dict[str, Any]] = []
    for i, unit in enumerate(units):
        name = str(unit.get("name") or "")
        if unit.get("contents"):
            origins[("storage", "files", first + len(out))] = ("networkd", "units", i)
            out.append(networkd_file(join(NETWORKD_DIR, name), unit["contents"]))
        for j, dropin in enumerate(unit.get("dropins") or []):
            where = join(NETWORKD_DIR, name + ".d", str(dropin.get("name") or ""))
            origins[("storage", "files", first + len(out))] = ("networkd", "units", i, "dropins", j)
            out.append(networkd_file(where, dropin.get("contents") or ""))
    return out


NODE_KINDS = (
    ("directories", directory_node),
    ("files", file_node),
    ("links", link_node),
)


def translate_nodes(
    ign2: dict[str, Any], mounts: dict[str, str], origins: Origins
) -> dict[str, Any]:
    """``{"directories": [...], "files": [...], "links": [...]}``, empty lists left out."""
    storage = ign2.get("storage") or {}
    out: dict[str, Any] = {}
    for key, convert in NODE_KINDS:
        items = [convert(item, mounts) for item in storage.get(key) or []]
        for i in range(len(items)):
            origins[("storage", key, i)] = ("storage", key, i)
        if key == "files":
            units = (ign2.get("networkd") or {}).get("units") or []
            items += networkd_files(units, len(items), origins)
        if items:
            out[key] = items
    return out
