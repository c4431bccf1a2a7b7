"""What spec 3 has and 2.x has not, taken from the host file itself.

``storage.luks``, ``kernel_arguments`` and ``ignition.proxy`` have no 2.x
form, so they cannot come through the 2.3.0 config ``translate`` starts
from; they are converted here, straight from the host file (after
``emit.features.gate`` has refused what the spec lacks).  Output keys follow
Ignition's types; ``origins`` maps each output path to its host-file path.
"""

from __future__ import annotations

import re
from typing import Any

from hostiso.diagnostics import Diagnostic, Path
from hostiso.emit.paths import Origins
from hostiso.emit.v2.common import Context, data_url
from hostiso.emit.v2.gourl import URLError, go_url_string

_ABSOLUTE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _key_source(key_file: dict[str, Any], path: Path, ctx: Context) -> str | None:
    if key_file.get("inline") not in (None, ""):
        return data_url(str(key_file["inline"]).encode("utf-8"))
    if key_file.get("local") not in (None, ""):
        where = (*path, "local")
        if ctx.read_local is None:
            ctx.error("no-files-dir", "key_file.local needs a files directory", where)
            return None
        data = ctx.read_local(str(key_file["local"]), where)
        if isinstance(data, Diagnostic):
            ctx.diagnostics.append(data)
            return None
        return data_url(data)
    return _remote_url(str((key_file.get("remote") or {}).get("url") or ""), path, ctx)


def _remote_url(url: str, path: Path, ctx: Context) -> str | None:
    where = (*path, "remote", "url")
    if not _ABSOLUTE_URL.match(url):
        ctx.error("bad-url", f"'{url}' is not an absolute URL", where)
        return None
    try:
        return go_url_string(url)
    except URLError as exc:
        ctx.error("bad-url", f"parse {url!r}: {exc}", where)
        return None


def _key_file(key_file: dict[str, Any], path: Path, ctx: Context) -> dict[str, Any] | None:
    source = _key_source(key_file, path, ctx)
    if source is None:
        return None
    out: dict[str, Any] = {"source": source}
    digest = ((key_file.get("remote") or {}).get("verification") or {}).get("hash") or {}
    if digest.get("function") and digest.get("sum"):
        out["verification"] = {"hash": f"{digest['function']}-{digest['sum']}"}
    return out


def _clevis(clevis: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    custom = clevis.get("custom") or {}
    renamed = {"config": "config", "needsNetwork": "needs_network", "pin": "pin"}
    picked = {k: custom[v] for k, v in renamed.items() if custom.get(v) is not None}
    if picked:
        out["custom"] = picked
    tang = [
        {k: t[k] for k in ("advertisement", "thumbprint", "url") if t.get(k) is not None}
        for t in clevis.get("tang") or []
    ]
    if tang:
        out["tang"] = tang
    for key in ("threshold", "tpm2"):
        if clevis.get(key) is not None:
            out[key] = clevis[key]
    return out


_LUKS_RENAMED = {  # spec 3 key: host-file key
    "device": "device",
    "discard": "discard",
    "label": "label",
    "name": "name",
    "openOptions": "open_options",
    "options": "options",
    "uuid": "uuid",
    "wipeVolume": "wipe_volume",
}
_LUKS_ORDER: tuple[str, ...] = (  # Ignition's Luks fields
    *("cex", "clevis", "device", "discard", "keyFile", "label", "name"),
    *("openOptions", "options", "uuid", "wipeVolume"),
)
_TOP_ORDER = ("ignition", "kernelArguments", "passwd", "storage", "systemd")


def luks_volume(item: dict[str, Any], path: Path, ctx: Context) -> dict[str, Any]:
    out = {k: item[v] for k, v in _LUKS_RENAMED.items() if item.get(v) not in (None, [])}
    if (item.get("cex") or {}).get("enabled") is not None:
        out["cex"] = {"enabled": item["cex"]["enabled"]}
    clevis = _clevis(item.get("clevis") or {})
    if clevis:
        out["clevis"] = clevis
    if item.get("key_file"):
        key_file = _key_file(item["key_file"], (*path, "key_file"), ctx)
        if key_file is not None:
            out["keyFile"] = key_file
    return {k: out[k] for k in _LUKS_ORDER if k in out}


def add_extras(clc: dict[str, Any], config: dict[str, Any], ctx: Context, origins: Origins) -> None:
    """Put luks, kernel arguments and the proxy into ``config`` (in place);
    ``origins`` gets their output paths -> host-file paths."""
    _add_luks(clc, config, ctx, origins)
    _add_kernel_arguments(clc, config, origins)
    _add_proxy(clc, config, origins)
    ordered = {k: config[k] for k in _TOP_ORDER if k in config}
    config.clear()
    config.update(ordered)


def _add_luks(clc: dict[str, Any], config: dict[str, Any], ctx: Context, origins: Origins) -> None:
    volumes = (clc.get("storage") or {}).get("luks") or []
    if not volumes:
        return
    storage = config.setdefault("storage", {})
    storage["luks"] = [luks_volume(v, ("storage", "luks", i), ctx) for i, v in enumerate(volumes)]
    config["storage"] = {k: storage[k] for k in sorted(storage)}
    for i in range(len(volumes)):
        origins[("storage", "luks", i)] = ("storage", "luks", i)


def _add_kernel_arguments(clc: dict[str, Any], config: dict[str, Any], origins: Origins) -> None:
    kargs = clc.get("kernel_arguments") or {}
    renamed = (("shouldExist", "should_exist"), ("shouldNotExist", "should_not_exist"))
    picked = {k: list(kargs[v]) for k, v in renamed if kargs.get(v)}
    if picked:
        config["kernelArguments"] = picked
        origins[("kernelArguments",)] = ("kernel_arguments",)


def _add_proxy(clc: dict[str, Any], config: dict[str, Any], origins: Origins) -> None:
    proxy = (clc.get("ignition") or {}).get("proxy") or {}
    renamed = (("httpProxy", "http_proxy"), ("httpsProxy", "https_proxy"), ("noProxy", "no_proxy"))
    picked = {k: proxy[v] for k, v in renamed if proxy.get(v) not in (None, "", [])}
    if not picked:
        return
    ignition = config["ignition"]
    ordered = {k: ignition[k] for k in ("config",) if k in ignition}
    ordered["proxy"] = picked
    ordered.update({k: v for k, v in ignition.items() if k not in ordered})
    config["ignition"] = ordered
    origins[("ignition", "proxy")] = ("ignition", "proxy")
