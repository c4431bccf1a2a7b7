"""Per-object rules of Ignition spec 3.3-3.5 (coreos/ignition ``config/v3_x/types``).

Each rule sees one object of the types it is registered for, after the
structural pass found no type errors.  Messages are Ignition's; severities
too (errors where Ignition rejects the config, warnings where it warns).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, error, warning
from hostiso.emit.ignition.rules import check_url, go_clean, go_ext
from hostiso.emit.ignition.structure import Ctx, Obj, RuleTable, registrar
from hostiso.emit.ignition.tables import UNIT_SUFFIXES
from hostiso.emit.ignition.unitfile import parse_unit
from hostiso.emit.v3.tables import CLEVIS_PINS, LUKS_LABEL_MAX, URL_SCHEMES
from hostiso.sections.options import go_quote

RULES: RuleTable = {}
_rule = registrar(RULES)
_HEX = re.compile(r"^[0-9a-fA-F]*$")
_HASH_SIZES = {"sha512": 128, "sha256": 64}


def check_path(value: Any, where: Path, what: str) -> Iterator[Diagnostic]:
    """Spec 3's ``validatePath``: set, absolute and clean, else an error."""
    p = value if isinstance(value, str) else ""
    if not p:
        yield error("ignition-path", f"{what}: path not specified", where)
    elif not p.startswith("/"):
        yield error("ignition-path-relative", f"{what}: path not absolute: {p!r}", where)
    elif go_clean(p) != p:
        yield error(
            "ignition-path-not-clean", f"{what}: path is not fully simplified: {p!r}", where
        )


def url(value: str, where: Path, ctx: Ctx) -> Iterable[Diagnostic]:
    return check_url(value, where, ctx, URL_SCHEMES[ctx.version])


@_rule("Ignition")
def _version(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if obj.get("version") != ctx.version:
        yield error(
            "ignition-version-unsupported", "unsupported config version", (*path, "version")
        )


@_rule("IgnitionConfig")
def _merge(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    for i, res in enumerate(obj.get("merge") or []):
        yield from _required_source(res, (*path, "merge", i), ctx)


@_rule("TLS")
def _tls(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    for i, res in enumerate(obj.get("certificateAuthorities") or []):
        yield from _required_source(res, (*path, "certificateAuthorities", i), ctx)


def _required_source(res: Obj, where: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if not res.get("source"):
        yield error("ignition-required", "source is required", where)


@_rule("Proxy")
def _proxy(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    for key in ("httpProxy", "httpsProxy"):
        value = obj.get(key)
        if value is None:
            continue
        scheme = value.partition(":")[0].lower() if ":" in value else ""
        if scheme not in ("http", "https"):
            yield error("ignition-proxy", "proxies must be http(s)", (*path, key))
        elif key == "httpsProxy" and scheme == "http":
            yield warning(
                "ignition-proxy",
                "insecure plaintext HTTP proxy specified for HTTPS resources",
                (*path, key),
            )


@_rule("Resource")
def _resource(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if (obj.get("compression") or "") not in ("", "gzip"):
        yield error("ignition-compression", "invalid compression method", (*path, "compression"))
    if obj.get("verification", {}).get("hash") is not None and obj.get("source") is None:
        yield error(
            "ignition-verification",
            "source must be specified if verification is specified",
            (*path, "verification", "hash"),
        )
    if obj.get("source"):
        yield from url(obj["source"], (*path, "source"), ctx)
    if obj.get("httpHeaders") and not str(obj.get("source") or "").startswith(("http:", "https:")):
        yield error(
            "ignition-http-headers",
            "cannot use HTTP headers with this source scheme",
            (*path, "httpHeaders"),
        )


@_rule("HTTPHeader")
def _header(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if not obj.get("name"):
        yield error("ignition-http-headers", "HTTP header name can't be empty", (*path, "name"))
    if obj.get("value") == "":
        yield error("ignition-http-headers", "unable to parse HTTP header", (*path, "value"))


@_rule("Verification")
def _verification(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    value = obj.get("hash")
    if value is None:
        return
    where = (*path, "hash")
    function, sep, digest = value.partition("-")
    if not sep:
        yield error("ignition-hash", "malformed hash specifier", where)
    elif function not in _HASH_SIZES:
        yield error("ignition-hash", f"unrecognized hash function {function!r}", where)
    elif len(digest) != _HASH_SIZES[function] or not _HEX.match(digest):
        yield error("ignition-hash", "incorrect size for hash sum", where)


@_rule("File", "Directory", "Link")
def _node(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    yield from check_path(obj.get("path"), (*path, "path"), "node")


@_rule("NodeUser", "NodeGroup")
def _owner(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if obj.get("id") is not None and obj.get("name"):
        yield error("ignition-owner-id-and-name", "cannot set both id and name", path)


@_rule("File", "Directory")
def _mode(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    mode = obj.get("mode")
    if mode is None:
        return
    if not 0 <= mode <= 0o7777:
        yield error("ignition-mode-illegal", "illegal file mode", (*path, "mode"))
    elif mode & 0o7000:
        yield warning(
            "ignition-mode-special-bits",
            f"setuid/setgid/sticky bits are not supported or functional in spec {ctx.version}",
            (*path, "mode"),
        )


@_rule("File")
def _overwrite(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if obj.get("overwrite") is True and (obj.get("contents") or {}).get("source") is None:
        yield error(
            "ignition-overwrite",
            "overwrite must be false if source is unspecified",
            (*path, "overwrite"),
        )


@_rule("Unit")
def _unit(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    name = obj.get("name") or ""
    if go_ext(name) not in UNIT_SUFFIXES:
        yield error("ignition-unit-name", "invalid systemd unit extension", (*path, "name"))
    contents = (obj.get("contents") or "").strip()
    sections, problem = parse_unit(contents)
    if problem is not None:
        yield error(
            "ignition-unit-contents", f"invalid unit content: {problem}", (*path, "contents")
        )
    elif obj.get("enabled") is True and contents and sections and "Install" not in sections:
        yield warning(
            "ignition-unit-no-install",
            f"unit {go_quote(name)} is enabled, but has no install section so enable does nothing",
            (*path, "contents"),
        )


@_rule("Dropin")
def _dropin(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    _, problem = parse_unit((obj.get("contents") or "").strip())
    if problem is not None:
        yield error(
            "ignition-unit-contents", f"invalid unit content: {problem}", (*path, "contents")
        )
    if go_ext(obj.get("name") or "") != ".conf":
        yield error("ignition-dropin-name", "invalid systemd drop-in extension", (*path, "name"))


@_rule("Luks")
def _luks(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if "/" in (obj.get("name") or ""):
        yield error("ignition-luks", "device names cannot contain slashes", (*path, "name"))
    if len((obj.get("label") or "").encode()) > LUKS_LABEL_MAX:
        yield error("ignition-luks", "luks device labels cannot be longer than 47 characters", path)
    if not obj.get("device"):
        yield error("ignition-luks", "disk device is required", (*path, "device"))
    else:
        yield from check_path(obj["device"], (*path, "device"), "luks device")
    clevis = obj.get("clevis") or {}
    custom_pin = (clevis.get("custom") or {}).get("pin")
    others = clevis.get("tang") or clevis.get("tpm2") or clevis.get("threshold")
    if custom_pin and others:
        yield error(
            "ignition-clevis",
            "cannot use custom clevis config with tpm2, tang, or threshold",
            (*path, "clevis"),
        )
    yield from _cex(obj, path, bool(custom_pin or others))


def _cex(obj: Obj, path: Path, clevis: bool) -> Iterator[Diagnostic]:
    if not (obj.get("cex") or {}).get("enabled"):
        return
    if clevis:
        yield error("ignition-cex", "cannot use cex with clevis", (*path, "cex"))
    if (obj.get("keyFile") or {}).get("source"):
        yield error("ignition-cex", "cannot use key file with cex", (*path, "cex"))


@_rule("ClevisCustom")
def _clevis_custom(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if not (obj.get("pin") or obj.get("config") or obj.get("needsNetwork")):
        return
    if not obj.get("pin"):
        yield error("ignition-clevis", "missing required custom clevis pin", (*path, "pin"))
    elif obj["pin"] not in CLEVIS_PINS:
        yield error("ignition-clevis", "unsupported clevis pin", (*path, "pin"))
    if not obj.get("config"):
        yield error("ignition-clevis", "missing required custom clevis config", (*path, "config"))


@_rule("Tang")
def _tang(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if not str(obj.get("url") or "").lower().startswith(("http:", "https:")):
        yield error("ignition-url-scheme", "invalid url scheme", (*path, "url"))
    if not obj.get("thumbprint"):
        yield error("ignition-required", "thumbprint is required", (*path, "thumbprint"))
    if obj.get("advertisement"):
        try:
            json.loads(obj["advertisement"])
        except ValueError:
            yield error(
                "ignition-tang", "advertisement is not valid JSON", (*path, "advertisement")
            )
