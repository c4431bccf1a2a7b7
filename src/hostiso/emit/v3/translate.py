"""A 2.3.0 config (hostiso's own output) -> the same config in spec 3.

This is what Flatcar does at boot with a 2.x config (``config/v24tov31`` in
flatcar/scripts ``sys-apps/ignition/files``), done ahead of time so the host
gets a config its Ignition reads natively.  The rules are written down in
docs/spec3.md; ``nodes`` has those for files, directories, links and
networkd, ``fsmap`` the mount points.  What the converter refuses is found
by ``refuse`` before this runs.

``origins`` maps each spec 3 output path to the 2.x output path it came from
(``("storage", "files", 7)`` -> ``("networkd", "units", 0)``), so every
problem found in the output points back at the input line.
"""

from __future__ import annotations

from typing import Any

from hostiso.emit.paths import Origins
from hostiso.emit.v3.fsmap import mount_points
from hostiso.emit.v3.nodes import resource, translate_nodes

_USER_KEYS = (  # spec 3 PasswdUser, in its key order
    "gecos",
    "groups",
    "homeDir",
    "name",
    "noCreateHome",
    "noLogInit",
    "noUserGroup",
    "passwordHash",
    "primaryGroup",
    "sshAuthorizedKeys",
    "shell",
    "system",
    "uid",
)
_KEPT_EMPTY = {"name", "passwordHash", "uid"}  # pointers in 2.x: kept when given


def _ref(ref: dict[str, Any]) -> dict[str, Any]:
    return resource(ref.get("source"), None, ref.get("verification"))


def translate_ignition(ign2: dict[str, Any], spec: str) -> dict[str, Any]:
    ign = ign2.get("ignition") or {}
    out: dict[str, Any] = {}
    config: dict[str, Any] = {}
    cfg = ign.get("config") or {}
    if cfg.get("append"):
        config["merge"] = [_ref(r) for r in cfg["append"]]
    if cfg.get("replace") is not None:
        config["replace"] = _ref(cfg["replace"])
    if config:
        out["config"] = config
    cas = ((ign.get("security") or {}).get("tls") or {}).get("certificateAuthorities")
    if cas:
        out["security"] = {"tls": {"certificateAuthorities": [_ref(c) for c in cas]}}
    if ign.get("timeouts"):
        out["timeouts"] = dict(ign["timeouts"])
    out["version"] = spec
    return out


def _user(user: dict[str, Any]) -> dict[str, Any]:
    return {
        k: user[k]
        for k in _USER_KEYS
        if k in user and (k in _KEPT_EMPTY or user[k] not in (None, "", False, []))
    }


def _group(group: dict[str, Any]) -> dict[str, Any]:
    keys = ("gid", "name", "passwordHash", "system")
    return {k: group[k] for k in keys if k in group and (k == "name" or group[k] is not None)}


def translate_passwd(ign2: dict[str, Any]) -> dict[str, Any]:
    passwd = ign2.get("passwd") or {}
    out: dict[str, Any] = {}
    if passwd.get("groups"):
        out["groups"] = [_group(g) for g in passwd["groups"]]
    if passwd.get("users"):
        out["users"] = [_user(u) for u in passwd["users"]]
    return out


def _enabled(unit: dict[str, Any]) -> bool | None:
    """The converter's rule: ``enabled: false`` wins, else either one true enables."""
    if unit.get("enabled") is False:
        return False
    if unit.get("enabled") is True or unit.get("enable"):
        return True
    return None


def _unit(unit: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if unit.get("contents"):
        out["contents"] = unit["contents"]
    dropins = [_dropin(d) for d in unit.get("dropins") or []]
    if dropins:
        out["dropins"] = dropins
    enabled = _enabled(unit)
    if enabled is not None:
        out["enabled"] = enabled
    if unit.get("mask"):
        out["mask"] = True
    out["name"] = unit.get("name", "")
    return out


def _dropin(dropin: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if dropin.get("contents"):
        out["contents"] = dropin["contents"]
    out["name"] = dropin.get("name", "")
    return out


def _merge_unit(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Ignition's merge of two entries for one unit: the later one's fields win,
    drop-ins merge by name (Flatcar's converter merges duplicate units so)."""
    dropins = {d["name"]: d for d in old.get("dropins") or []}
    for d in new.get("dropins") or []:
        dropins[d["name"]] = {**dropins.get(d["name"], {}), **d}
    merged = {**old, **new}
    if dropins:
        merged["dropins"] = [_dropin(d) for d in dropins.values()]
    return _unit(merged)


def translate_systemd(ign2: dict[str, Any], origins: Origins) -> dict[str, Any]:
    units: dict[str, dict[str, Any]] = {}
    for i, unit in enumerate((ign2.get("systemd") or {}).get("units") or []):
        new = _unit(unit)
        if new["name"] in units:
            new = _merge_unit(units[new["name"]], new)
        else:
            origins[("systemd", "units", len(units))] = ("systemd", "units", i)
        units[new["name"]] = new
    return {"units": list(units.values())} if units else {}


def _filesystem(fs: dict[str, Any], mounts: dict[str, str]) -> dict[str, Any]:
    mount = fs.get("mount") or {}
    fmt = mount.get("format") or ""
    wipe = bool(mount.get("wipeFilesystem"))
    if str(fs.get("name") or "").lower() == "oem" and not wipe:
        fmt = "btrfs"  # Flatcar's OEM partition is btrfs; its converter says so
    out: dict[str, Any] = {"device": mount.get("device", "")}
    if fmt:
        out["format"] = fmt
    if mount.get("label") is not None:
        out["label"] = mount["label"]
    if mount.get("options"):
        out["options"] = list(mount["options"])
    if fs.get("name") in mounts:
        out["path"] = mounts[fs["name"]]
    if mount.get("uuid") is not None:
        out["uuid"] = mount["uuid"]
    if wipe:
        out["wipeFilesystem"] = True
    return out


def translate_storage(ign2: dict[str, Any], origins: Origins) -> dict[str, Any]:
    storage = ign2.get("storage") or {}
    filesystems = list(storage.get("filesystems") or [])
    mounts = mount_points(filesystems)
    out = translate_nodes(ign2, mounts, origins)
    for key in ("disks", "raid"):
        if storage.get(key):
            out[key] = [dict(x) for x in storage[key]]
            origins.update({("storage", key, i): ("storage", key, i) for i in range(len(out[key]))})
    kept = [(i, fs) for i, fs in enumerate(filesystems) if fs.get("name") != "root"]
    if kept:
        out["filesystems"] = [_filesystem(fs, mounts) for _, fs in kept]
        for n, (i, _) in enumerate(kept):
            origins[("storage", "filesystems", n)] = ("storage", "filesystems", i)
    return {k: out[k] for k in sorted(out)}


def translate(ign2: dict[str, Any], spec: str, origins: Origins) -> dict[str, Any]:
    """The spec 3 config; keys in the order of Ignition's types."""
    out: dict[str, Any] = {"ignition": translate_ignition(ign2, spec)}
    for key, part in (
        ("passwd", translate_passwd(ign2)),
        ("storage", translate_storage(ign2, origins)),
        ("systemd", translate_systemd(ign2, origins)),
    ):
        if part:
            out[key] = part
    for key in ("passwd", "ignition"):
        origins.setdefault((key,), (key,))
    for i in range(len((ign2.get("passwd") or {}).get("users") or [])):
        origins[("passwd", "users", i)] = ("passwd", "users", i)
    return out
