"""storage: files, directories, links, filesystems, disks and raid."""

from __future__ import annotations

import re
from typing import Any

from hostiso.diagnostics import Diagnostic, Path
from hostiso.transpile.common import Context, data_url, set_given, set_if, verification

DEFAULT_FILE_MODE = 0o644
DEFAULT_DIRECTORY_MODE = 0o755

TYPE_GUID_ALIASES = {
    "raid_containing_root": "be9067b9-ea49-4f15-b4f6-f36f8c9e1818",
    "linux_filesystem_data": "0fc63daf-8483-4772-8e79-3d69d8477de4",
    "swap_partition": "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f",
    "raid_partition": "a19d880f-05fc-4d3b-a006-743f0f84911e",
}


def _owner(node: dict[str, Any] | None) -> dict[str, Any] | None:
    if node is None:
        return None
    out: dict[str, Any] = {}
    set_given(out, "id", node.get("id"))
    set_if(out, "name", node.get("name"))
    return out


def _node(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"filesystem": item.get("filesystem") or "root"}
    set_given(out, "group", _owner(item.get("group")))
    set_given(out, "overwrite", item.get("overwrite"))
    out["path"] = item.get("path", "")
    set_given(out, "user", _owner(item.get("user")))
    return out


def _contents(item: dict[str, Any], path: Path, ctx: Context) -> dict[str, Any] | None:
    contents = item.get("contents") or {}
    remote = contents.get("remote") or {}
    given = [k for k in ("inline", "local", "template") if contents.get(k) is not None]
    if remote.get("url"):
        given.append("remote")
    if len(given) > 1:
        ctx.error(
            "too-many-sources",
            f"only one of inline, local, template and remote.url can be set "
            f"(got {', '.join(given)})",
            (*path, "contents"),
        )
        return None
    out: dict[str, Any] = {}
    set_if(out, "compression", remote.get("compression"))
    source = _source(contents, remote, path, ctx)
    if source is None:
        return None
    out["source"] = source
    out["verification"] = verification(remote.get("verification"))
    return out


def _source(
    contents: dict[str, Any], remote: dict[str, Any], path: Path, ctx: Context
) -> str | None:
    if contents.get("inline") is not None:
        return data_url(str(contents["inline"]).encode("utf-8"))
    for kind in ("local", "template"):
        if contents.get(kind) is not None:
            return _read_local(kind, str(contents[kind]), (*path, "contents", kind), ctx)
    url: str = remote.get("url") or ""
    if url and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
        ctx.error(
            "bad-url", f"'{url}' is not an absolute URL", (*path, "contents", "remote", "url")
        )
        return None
    return url or "data:,"


def _read_local(kind: str, name: str, path: Path, ctx: Context) -> str | None:
    if ctx.read_local is None:
        ctx.error("no-files-dir", f"contents.{kind} needs a files directory (--files-dir)", path)
        return None
    data = ctx.read_local(name, path)
    if kind == "template" and ctx.render_template is not None and not isinstance(data, Diagnostic):
        data = ctx.render_template(data, name, path)
    if isinstance(data, Diagnostic):
        ctx.diagnostics.append(data)
        return None
    return data_url(data)


def convert_file(item: dict[str, Any], path: Path, ctx: Context) -> dict[str, Any] | None:
    out = _node(item)
    if item.get("append"):
        out["append"] = True
    contents = _contents(item, path, ctx)
    if contents is None:
        return None
    out["contents"] = contents
    mode = item.get("mode")
    out["mode"] = DEFAULT_FILE_MODE if mode is None else mode
    return out


def convert_directory(item: dict[str, Any], path: Path, ctx: Context) -> dict[str, Any]:
    out = _node(item)
    mode = item.get("mode")
    out["mode"] = DEFAULT_DIRECTORY_MODE if mode is None else mode
    return out


def convert_link(item: dict[str, Any], path: Path, ctx: Context) -> dict[str, Any]:
    out = _node(item)
    if item.get("hard"):
        out["hard"] = True
    out["target"] = item.get("target") or ""
    return out


def convert_filesystem(item: dict[str, Any], path: Path, ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    mount = item.get("mount")
    if mount is not None:
        m: dict[str, Any] = {}
        create = mount.get("create")
        if create is not None:
            c: dict[str, Any] = {}
            set_if(c, "force", create.get("force"))
            set_if(c, "options", create.get("options"))
            m["create"] = c
        m["device"] = mount.get("device", "")
        m["format"] = mount.get("format", "")
        set_given(m, "label", mount.get("label"))
        set_if(m, "options", mount.get("options"))
        set_given(m, "uuid", mount.get("uuid"))
        set_if(m, "wipeFilesystem", mount.get("wipe_filesystem"))
        out["mount"] = m
    out["name"] = item.get("name", "")
    set_if(out, "path", item.get("path"))
    return out


_UNITS = {
    "": 1,
    "B": 1,
    "K": 1024,
    "KB": 1024,
    "KIB": 1024,
    "M": 1 << 20,
    "MB": 1 << 20,
    "MIB": 1 << 20,
    "G": 1 << 30,
    "GB": 1 << 30,
    "GIB": 1 << 30,
    "T": 1 << 40,
    "TB": 1 << 40,
    "TIB": 1 << 40,
    "P": 1 << 50,
    "PB": 1 << 50,
    "PIB": 1 << 50,
}
_SIZE = re.compile(r"^\s*(-?\d+)\s*([A-Za-z]*)\s*$")


def parse_size(value: Any) -> int | str:
    """Bytes from ``100MiB`` / ``1GB`` (base 2, as ct reads them), or an error message."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE.match(str(value))
    if not match or match.group(2).upper() not in _UNITS:
        return f"'{value}' is not a size like 512MiB or 10GiB"
    number = int(match.group(1))
    if number < 0:
        return f"size '{value}' is negative"
    return number * _UNITS[match.group(2).upper()]


def _dimension(
    part: dict[str, Any], key: str, path: Path, ctx: Context, out: dict[str, Any]
) -> bool:
    value = part.get(key)
    if value is None or value == "":
        return True
    size = parse_size(value)
    if isinstance(size, str):
        ctx.error("bad-size", size, (*path, key))
        return False
    if ctx.v22:
        set_if(out, key, -(-size // 512))
    elif size % (1 << 20):
        ctx.error("bad-size", f"'{value}' is not a whole number of MiB", (*path, key))
        return False
    else:
        out[key + "MiB"] = size >> 20
    return True


def convert_partition(part: dict[str, Any], path: Path, ctx: Context) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    set_if(out, "guid", part.get("guid"))
    set_given(out, "label", part.get("label"))
    set_if(out, "number", part.get("number"))
    sized = _dimension(part, "size", path, ctx, out)
    started = _dimension(part, "start", path, ctx, out)
    if not (sized and started):
        return None
    guid = part.get("type_guid")
    set_if(out, "typeGuid", TYPE_GUID_ALIASES.get(guid, guid) if guid else None)
    return _sorted(out)


def _sorted(out: dict[str, Any]) -> dict[str, Any]:
    return {k: out[k] for k in sorted(out)}


def convert_disk(item: dict[str, Any], path: Path, ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {"device": item.get("device", "")}
    parts = []
    for i, part in enumerate(item.get("partitions") or []):
        converted = convert_partition(part, (*path, "partitions", i), ctx)
        if converted is not None:
            parts.append(converted)
    set_if(out, "partitions", parts)
    set_if(out, "wipeTable", item.get("wipe_table"))
    return out


def convert_raid(item: dict[str, Any], path: Path, ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {
        "devices": item.get("devices") or [],
        "level": item.get("level", ""),
        "name": item.get("name", ""),
    }
    if item.get("options"):
        if ctx.v22:
            ctx.error(
                "unsupported-by-spec", "raid options need Ignition spec 2.3.0", (*path, "options")
            )
        else:
            out["options"] = item["options"]
    set_if(out, "spares", item.get("spares"))
    return out


SECTIONS = (  # output order is alphabetical, as in Ignition's generated types
    ("directories", convert_directory),
    ("disks", convert_disk),
    ("files", convert_file),
    ("filesystems", convert_filesystem),
    ("links", convert_link),
    ("raid", convert_raid),
)


def convert_storage(clc: dict[str, Any], ctx: Context) -> dict[str, Any]:
    storage = clc.get("storage") or {}
    out: dict[str, Any] = {}
    for key, convert in SECTIONS:
        items: list[dict[str, Any]] = []
        for i, item in enumerate(storage.get(key) or []):
            converted = convert(item, ("storage", key, i), ctx)
            if converted is not None:
                ctx.origins[("storage", key, len(items))] = ("storage", key, i)
                items.append(converted)
        set_if(out, key, items)
    return out
