"""ignition, systemd, networkd and passwd converters."""

from __future__ import annotations

from typing import Any

from hostiso.emit.v2.common import Context, set_given, set_if, source_ref


def _dropins(unit: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for d in unit.get("dropins") or []:
        item: dict[str, Any] = {}
        set_if(item, "contents", d.get("contents"))
        item["name"] = d.get("name", "")
        out.append(item)
    return out


def convert_systemd(clc: dict[str, Any], ctx: Context) -> dict[str, Any]:
    units: list[dict[str, Any]] = []
    for i, unit in enumerate((clc.get("systemd") or {}).get("units") or []):
        out: dict[str, Any] = {}
        set_if(out, "contents", unit.get("contents"))
        if unit.get("dropins"):  # set_if: only a non-empty list is written
            out["dropins"] = _dropins(unit)
        set_if(out, "enable", unit.get("enable"))
        set_given(out, "enabled", unit.get("enabled"))
        set_if(out, "mask", unit.get("mask"))
        out["name"] = unit.get("name", "")
        ctx.origins[("systemd", "units", len(units))] = ("systemd", "units", i)
        units.append(out)
    result: dict[str, Any] = {}
    set_if(result, "units", units)
    return result


def convert_networkd(clc: dict[str, Any], ctx: Context) -> dict[str, Any]:
    units: list[dict[str, Any]] = []
    for i, unit in enumerate((clc.get("networkd") or {}).get("units") or []):
        out: dict[str, Any] = {}
        set_if(out, "contents", unit.get("contents"))
        if unit.get("dropins"):
            out["dropins"] = _dropins(unit)
        out["name"] = unit.get("name", "")
        ctx.origins[("networkd", "units", len(units))] = ("networkd", "units", i)
        units.append(out)
    result: dict[str, Any] = {}
    set_if(result, "units", units)
    return result


_USER_FIELDS = (  # (ignition name, clc name), in output order
    ("gecos", "gecos"),
    ("groups", "groups"),
    ("homeDir", "home_dir"),
    ("name", "name"),
    ("noCreateHome", "no_create_home"),
    ("noLogInit", "no_log_init"),
    ("noUserGroup", "no_user_group"),
    ("passwordHash", "password_hash"),
    ("primaryGroup", "primary_group"),
    ("sshAuthorizedKeys", "ssh_authorized_keys"),
    ("shell", "shell"),
    ("system", "system"),
    ("uid", "uid"),
)
_POINTERS = {"passwordHash", "uid"}


def _user_fields(user: dict[str, Any], out: dict[str, Any]) -> None:
    for ign, clc_key in _USER_FIELDS:
        value = user.get(clc_key)
        if (ign == "name" and "name" in user) or (ign in _POINTERS and value is not None):
            out[ign] = value
        elif value is not None:  # set_if writes nothing for None
            set_if(out, ign, value)


def convert_user(user: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if user.get("create") is not None:
        create: dict[str, Any] = {}
        _user_fields(user["create"], create)
        out["create"] = create
    _user_fields(user, out)
    return out


def convert_group(group: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    set_given(out, "gid", group.get("gid"))
    out["name"] = group.get("name", "")
    set_if(out, "passwordHash", group.get("password_hash"))  # a plain string for groups
    set_if(out, "system", group.get("system"))
    return out


def convert_passwd(clc: dict[str, Any], ctx: Context) -> dict[str, Any]:
    passwd = clc.get("passwd") or {}
    out: dict[str, Any] = {}
    if passwd.get("groups"):
        out["groups"] = [convert_group(g) for g in passwd["groups"]]
    if passwd.get("users"):
        out["users"] = [convert_user(u) for u in passwd["users"]]
    for i, user in enumerate(passwd.get("users") or []):  # one output user per input user
        ctx.origins[("passwd", "users", i)] = ("passwd", "users", i)
        if isinstance(user, dict) and "create" in user:
            ctx.origins[("passwd", "users", i, "create")] = ("passwd", "users", i, "create")
    return out


def convert_ignition(clc: dict[str, Any], ctx: Context) -> dict[str, Any]:
    ign = clc.get("ignition") or {}
    config: dict[str, Any] = {}
    cfg = ign.get("config") or {}
    if cfg.get("append"):
        config["append"] = [source_ref(a) for a in cfg["append"]]
    if cfg.get("replace") is not None:  # a pointer in ct: `replace: {}` is still written
        config["replace"] = source_ref(cfg["replace"])
    tls: dict[str, Any] = {}
    cas = ((ign.get("security") or {}).get("tls") or {}).get("certificate_authorities")
    if cas:
        tls["certificateAuthorities"] = [source_ref(c) for c in cas]
    timeouts: dict[str, Any] = {}
    t = ign.get("timeouts") or {}
    set_given(timeouts, "httpResponseHeaders", t.get("http_response_headers"))
    set_given(timeouts, "httpTotal", t.get("http_total"))
    return {"config": config, "security": {"tls": tls}, "timeouts": timeouts, "version": ctx.spec}
