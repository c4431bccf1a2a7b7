"""storage: files, directories, links, filesystems, disks and raid."""

from __future__ import annotations

import re
from typing import Any

from hostiso.diagnostics import Diagnostic, Path
from hostiso.emit.v2.common import Context, data_url, set_given, set_if, verification
from hostiso.emit.v2.gourl import URLError, go_url_string

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
    if item.get("group") is not None:
        out["group"] = _owner(item["group"])
    set_given(out, "overwrite", item.get("overwrite"))
    out["path"] = item.get("path", "")
    if item.get("user") is not None:
        out["user"] = _owner(item["user"])
    return out


def _contents(item: dict[str, Any], path: Path, ctx: Context) -> dict[str, Any] | None:
    contents = item.get("contents") or {}
    remote = contents.get("remote") or {}
    if len(contents) > 1 and _too_many_sources(contents, remote, path, ctx):
        return None
    out: dict[str, Any] = {}
    if remote:
        set_if(out, "compression", remote.get("compression"))
    source = _source(contents, remote, path, ctx)
    if source is None:
        return None
    out["source"] = source
    out["verification"] = verification(remote.get("verification")) if remote else {}
    return out


def _too_many_sources(
    contents: dict[str, Any], remote: dict[str, Any], path: Path, ctx: Context
) -> bool:
    """An error if more than one source is given (as ct counts them: an empty
    string is no source at all; a single key can be one source at most)."""
    given = [k for k in ("local", "inline", "template") if contents.get(k) not in (None, "")]
    if remote.get("url"):
        given.append("remote.url")
    if len(given) <= 1:
        return False
    known = (
        "local, inline, template, remote.url"
        if "template" in given
        else ("local, inline, remote.url")
    )
    ctx.error(
        "too-many-sources",
        f"only one of the following can be set: {known} (got {', '.join(given)})",
        (*path, "contents"),
    )
    return True


def _source(
    contents: dict[str, Any], remote: dict[str, Any], path: Path, ctx: Context
) -> str | None:
    if contents.get("inline") not in (None, ""):
        return data_url(str(contents["inline"]).encode("utf-8"))
    for kind in ("local", "template"):
        if contents.get(kind) not in (None, ""):
            return _read_local(kind, str(contents[kind]), (*path, "contents", kind), ctx)
    url: str = remote.get("url") or ""
    if not url:
        return "data:,"
    where = (*path, "contents", "remote", "url")
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
        ctx.error("bad-url", f"'{url}' is not an absolute URL", where)
        return None
    try:
        return go_url_string(url)  # ct writes url.Parse(url).String()
    except URLError as exc:
        ctx.error("bad-url", f"parse {url!r}: {exc}", where)
        return None


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
    set_if(out, "name", item.get("name"))
    set_given(out, "path", item.get("path"))
    return out


def _unit_map(suffix: str) -> dict[str, int]:
    """alecthomas/units MakeUnitMap(suffix, "B", 1024)."""
    return {"B": 1, "K" + suffix: 1 << 10} | {
        p + suffix: 1 << (10 * n) for n, p in enumerate("MGTPE", start=2)
    }


_BYTE_MAPS = (_unit_map("iB"), _unit_map("B"))  # KiB, MiB...; then KB, MB... (both base 2)
_MAX_INT64 = (1 << 63) - 1


def _leading_int(s: str) -> tuple[int, str]:
    i = 0
    x = 0
    while i < len(s) and s[i].isascii() and s[i].isdigit():
        if x > _MAX_INT64 // 10:
            raise ValueError
        x = x * 10 + int(s[i])
        if x > _MAX_INT64:
            raise ValueError
        i += 1
    return x, s[i:]


def _parse_unit(orig: str, units: dict[str, int]) -> int:
    """alecthomas/units ParseUnit: ``1.5GiB``, ``1GiB512MiB``; ValueError with its message."""
    s = orig
    neg = False
    if s and s[0] in "+-":
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if s == "":
        raise ValueError(f"units: invalid {orig}")
    f = 0.0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise ValueError(f"units: invalid {orig}")
        before = len(s)
        try:
            x, s = _leading_int(s)
        except ValueError:
            raise ValueError(f"units: invalid {orig}") from None
        g = float(x)
        pre = before != len(s)
        post = False
        if s and s[0] == ".":
            s = s[1:]
            before = len(s)
            try:
                x, s = _leading_int(s)
            except ValueError:
                raise ValueError(f"units: invalid {orig}") from None
            scale = 1.0
            for _ in range(before - len(s)):
                scale *= 10
            g += x / scale
            post = before != len(s)
        if not pre and not post:
            raise ValueError(f"units: invalid {orig}")
        i = 0
        while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        unit, s = s[:i], s[i:]
        if unit not in units:
            raise ValueError(f"units: unknown unit {unit} in {orig}")
        f += g * units[unit]
    if neg:
        f = -f
    if f < -(1 << 63) or f > _MAX_INT64:
        raise ValueError("units: overflow parsing unit")
    return int(f)


def parse_size(value: Any) -> int | str:
    """Bytes from ``100MiB`` / ``1GB`` / ``1.5GiB``, read the way ct reads them
    (alecthomas/units ParseBase2Bytes: KB and KiB are both 1024), or an error message."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    try:
        size = _parse_unit(text, _BYTE_MAPS[0])
    except ValueError:
        try:
            size = _parse_unit(text, _BYTE_MAPS[1])
        except ValueError as exc:
            return str(exc)
    if size < 0:
        return f"invalid dimension (negative): {_go_quote(text)}"
    return size


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
        ctx.error("bad-size", "invalid dimension (finest granularity is 1MiB)", (*path, key))
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
    _partition_lifecycle(part, path, ctx, out)
    return _sorted(out)


def _partition_lifecycle(
    part: dict[str, Any], path: Path, ctx: Context, out: dict[str, Any]
) -> None:
    """``should_exist`` and ``wipe_partition_entry``: spec 2.3.0 only.

    Dropping ``should_exist: false`` would turn "delete partition 2" into
    "create partition 2", so on 2.2.0 they are errors, never left out.
    """
    given = {
        k: part[k] for k in ("should_exist", "wipe_partition_entry") if part.get(k) is not None
    }
    if not given:
        return
    if ctx.v22:
        for key in given:
            ctx.error("unsupported-by-spec", f"'{key}' needs Ignition spec 2.3.0", (*path, key))
        return
    if "should_exist" in given:
        out["shouldExist"] = given["should_exist"]
    set_if(out, "wipePartitionEntry", given.get("wipe_partition_entry"))


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
    set_if(out, "options", item.get("options"))
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
