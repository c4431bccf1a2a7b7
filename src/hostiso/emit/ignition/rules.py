"""Per-object rules for everything outside storage devices: Ignition's own
settings, files/directories/links, units and users; and URLs.

Each rule sees one object of the types it is registered for, after the
structural pass found no type errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, error, warning
from hostiso.emit.ignition.dataurl import BAD_ESCAPE, plain_data_url, valid_data_url
from hostiso.emit.ignition.structure import Ctx, Obj, RuleTable, registrar
from hostiso.emit.ignition.tables import NETWORKD_SUFFIXES, UNIT_SUFFIXES, URL_SCHEMES, USER_FIELDS
from hostiso.emit.ignition.unitfile import parse_unit
from hostiso.sections.options import go_quote

RULES: RuleTable = {}
_rule = registrar(RULES)

_HEX = re.compile(r"^[0-9a-fA-F]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]*\]|[^/:\s{}|\\^`\[\]]*)(:\d*)?")


def go_ext(name: str) -> str:
    """Go's ``path.Ext``: the suffix from the last dot of the last element."""
    dot = name.rfind(".")
    return name[dot:] if dot > name.rfind("/") else ""


def go_clean(p: str) -> str:
    """Go's ``path.Clean`` for an absolute path."""
    if p.startswith("/") and "//" not in p and "/." not in p and (p == "/" or p[-1] != "/"):
        return p  # no empty, "." or ".." element: already clean
    parts: list[str] = []
    for part in p.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/" + "/".join(parts)


def abs_path(value: Any, path: Path, what: str) -> list[Diagnostic]:
    """An error unless ``value`` is absolute; a warning unless it is also clean."""
    p = value if isinstance(value, str) else ""
    if not p.startswith("/"):
        return [error("ignition-path-relative", f"{what}: path not absolute: {p!r}", path)]
    if go_clean(p) != p:
        return [
            warning(
                "ignition-path-not-clean",
                f"{what}: path is not fully simplified: {p!r} (clean: {go_clean(p)!r})",
                path,
            )
        ]
    return []


@_rule("Timeouts")
def _timeouts(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    # Ignition 2.x accepts any value; a negative httpTotal makes every HTTP
    # fetch time out at once, so it is only worth a warning.
    for key in ("httpResponseHeaders", "httpTotal"):
        if isinstance(obj.get(key), int) and obj[key] < 0:
            yield warning(
                "ignition-timeout-negative",
                f"{key} is negative; HTTP fetches will time out immediately",
                (*path, key),
            )


@_rule("ConfigReference")
def _config_reference(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    source = obj.get("source") or ""
    if not source:
        yield error("ignition-required", "source is required", (*path, "source"))
    else:
        yield from check_url(source, (*path, "source"), ctx)


# The rules below run for every file of every host: they return lists (no
# generator to make and run down when, as almost always, there is nothing).


@_rule("FileContents")
def _file_contents(obj: Obj, path: Path, ctx: Ctx) -> list[Diagnostic]:
    out = []
    if (obj.get("compression") or "") not in ("", "gzip"):
        out.append(
            error(
                "ignition-compression",
                f"invalid compression method {obj['compression']!r} (only gzip)",
                (*path, "compression"),
            )
        )
    if obj.get("source"):
        out.extend(check_url(obj["source"], (*path, "source"), ctx))
    return out


@_rule("Verification")
def _verification(obj: Obj, path: Path, ctx: Ctx) -> list[Diagnostic]:
    value = obj.get("hash")
    if value is None:
        return []
    where = (*path, "hash")
    function, sep, digest = value.partition("-")
    if not sep:
        return [error("ignition-hash", f"malformed hash specifier {value!r}", where)]
    if function != "sha512":
        return [error("ignition-hash", f"unrecognized hash function {function!r}", where)]
    if len(digest) != 128:
        message = f"incorrect size for hash sum ({len(digest)}, want 128)"
        return [error("ignition-hash", message, where)]
    if not _HEX.match(digest):
        return [error("ignition-hash", "hash sum is not hexadecimal", where)]
    return []


@_rule("File", "Directory", "Link")
def _node(obj: Obj, path: Path, ctx: Ctx) -> list[Diagnostic]:
    out = abs_path(obj.get("path"), (*path, "path"), "node")
    if not obj.get("filesystem"):
        where = (*path, "filesystem")
        out.insert(0, error("ignition-filesystem-missing", "no filesystem specified", where))
    return out


@_rule("File", "Directory")
def _mode(obj: Obj, path: Path, ctx: Ctx) -> list[Diagnostic]:
    mode = obj.get("mode")
    if mode is None:
        return [warning("ignition-mode-unset", "permissions unset", (*path, "mode"))]
    if not 0 <= mode <= 0o7777:
        message = f"illegal file mode {mode} (0..4095)"
        return [error("ignition-mode-illegal", message, (*path, "mode"))]
    if mode & 0o7000:
        message = f"mode {mode:#o} has setuid/setgid/sticky bits, which Ignition 2.x silently drops"
        return [warning("ignition-mode-special-bits", message, (*path, "mode"))]
    return []


@_rule("File")
def _file(obj: Obj, path: Path, ctx: Ctx) -> list[Diagnostic]:
    if obj.get("append") and obj.get("overwrite"):
        message = "cannot set both append and overwrite to true"
        return [error("ignition-append-overwrite", message, (*path, "append"))]
    return []


@_rule("Link")
def _link(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if not obj.get("target"):
        yield error("ignition-required", "link target is required", (*path, "target"))
    if obj.get("hard"):
        for key in ("user", "group"):
            if obj.get(key):
                yield warning(
                    "ignition-hard-link-owner",
                    "user/group of a hard link changes the owner of its target",
                    (*path, key),
                )


@_rule("Owner")
def _owner(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if obj.get("id") is not None and obj.get("name"):
        yield error("ignition-owner-id-and-name", "cannot set both id and name", path)


@_rule("Unit")
def _unit(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    name = obj.get("name") or ""
    if go_ext(name) not in UNIT_SUFFIXES:
        yield error(
            "ignition-unit-name", f"invalid systemd unit extension: {name!r}", (*path, "name")
        )
    contents = obj.get("contents") or ""
    sections, problem = parse_unit(contents)
    if problem is not None:
        yield error(
            "ignition-unit-contents", f"invalid unit content: {problem}", (*path, "contents")
        )
    enabled = bool(obj.get("enable")) or obj.get("enabled") is True
    # Like Ignition: no warning when the unit has no options at all.
    if enabled and contents and problem is None and sections and "Install" not in sections:
        yield warning(
            "ignition-unit-no-install",
            f"unit {go_quote(name)} is enabled, but has no install section so enable does nothing",
            (*path, "contents"),
        )


@_rule("NetworkdUnit")
def _networkd_unit(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    name = obj.get("name") or ""
    if go_ext(name) not in NETWORKD_SUFFIXES:
        yield error(
            "ignition-networkd-name", f"invalid networkd unit extension: {name!r}", (*path, "name")
        )
    yield from _unit_contents(obj, path)


@_rule("Dropin")
def _dropin(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    name = obj.get("name") or ""
    if go_ext(name) != ".conf":
        yield error(
            "ignition-dropin-name",
            f"invalid drop-in extension: {name!r} (want .conf)",
            (*path, "name"),
        )
    yield from _unit_contents(obj, path)


def _unit_contents(obj: Obj, path: Path) -> Iterator[Diagnostic]:
    _, problem = parse_unit(obj.get("contents") or "")
    if problem is not None:
        yield error(
            "ignition-unit-contents", f"invalid unit content: {problem}", (*path, "contents")
        )


@_rule("User", "Group")
def _named(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if not obj.get("name"):
        yield error("ignition-required", "name is required", (*path, "name"))


@_rule("User")
def _user(obj: Obj, path: Path, ctx: Ctx) -> Iterator[Diagnostic]:
    if obj.get("create") is None:
        return
    yield warning(
        "ignition-user-create-deprecated",
        "the create object has been deprecated in favor of user-level options",
        (*path, "create"),
        at_key=True,
    )
    for key in USER_FIELDS:
        value = obj.get(key)
        if value is not None and (key == "uid" or value not in ("", False, [])):
            yield error(
                "ignition-user-create-conflict",
                f"cannot use both the create object and the user-level {key} field",
                (*path, key),
            )


def check_url(
    url: str, path: Path, ctx: Ctx, schemes: frozenset[str] | None = None
) -> Iterable[Diagnostic]:
    """Problems Ignition's URL parsing and scheme check find in ``url``
    (``schemes``: those the spec takes, by default ``URL_SCHEMES[ctx.version]``)."""
    allowed = URL_SCHEMES[ctx.version] if schemes is None else schemes
    if "data" in allowed and plain_data_url(url):
        return ()  # a data URL as hostiso writes them: nothing to find
    return _url_problems(url, path, allowed)


def _url_problems(url: str, path: Path, allowed_schemes: frozenset[str]) -> Iterator[Diagnostic]:
    if _CONTROL.search(url):
        yield error("ignition-url-invalid", "unable to parse url (control character)", path)
        return
    match = _URL_SCHEME.match(url)
    scheme = match.group(1).lower() if match else ""
    if scheme not in allowed_schemes:
        allowed = ", ".join(sorted(allowed_schemes))
        yield error(
            "ignition-url-scheme",
            f"invalid url scheme {scheme!r} in {url[:60]!r} (allowed: {allowed})",
            path,
        )
        return
    if scheme == "data":
        if not valid_data_url(url):
            yield error("ignition-data-url", f"invalid data URL {url[:60]!r}", path)
        return
    rest = url[len(scheme) + 1 :]
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    if BAD_ESCAPE.search(rest) or BAD_ESCAPE.search(fragment):
        yield error("ignition-url-invalid", f"unable to parse url {url[:60]!r} (bad escape)", path)
    elif rest.startswith("//") and not _HOST_PORT.fullmatch(
        rest[2:].split("/", 1)[0].rpartition("@")[2]
    ):
        yield error(
            "ignition-url-invalid", f"unable to parse url {url[:60]!r} (bad host/port)", path
        )
    if scheme == "s3" and re.search(r"(^|&)versionId=?(&|$)", query):
        yield error("ignition-url-invalid", "invalid S3 object VersionId", path)
