"""``hostiso installer``: one unattended installer ISO for the fleet, or for HOST...

1. load and check the fleet exactly as the build does;
2. compile each chosen host to the Ignition bytes the build writes to
   ``build/<host>.ign`` (same spec, same JSON);
3. check what the installer needs: each host has ``install.device``; with
   several hosts, each has something to match on;
4. check the image (its SHA-512, ``IMAGE.DIGESTS`` if present, ``IMAGE.sig``
   with ``--image-key``);
5. remaster the base ISO (:mod:`hostiso.media.installer`).

Any error stops before step 5 (or makes step 5 write nothing): no partial ISO.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

from hostiso.check.rules.install import no_match_diagnostic
from hostiso.derive.etcd import tls
from hostiso.diagnostics import Diagnostic, Mark, error, warning
from hostiso.diagnostics.report import file_mark
from hostiso.emit.compile import compile_host
from hostiso.emit.v2.common import to_json
from hostiso.load.fleet import Host, Layout
from hostiso.load.installschema import InstallSettings, install_settings
from hostiso.media import image as images
from hostiso.media.errors import MediaError
from hostiso.media.installer import NAME_RE, HostEntry, Image, Written, write_installer
from hostiso.pipeline.steps import load_checked
from hostiso.util import fsutil

if TYPE_CHECKING:
    from hostiso.media.installer_ahead import Ahead

DIGEST_CACHE = images.DIGEST_CACHE
SELECTION_CODES = frozenset({"install-no-match"})
"""Rule findings that depend on which hosts go on the ISO: re-checked here."""


@dataclass(frozen=True)
class InstallerOptions:
    base: FsPath
    output: FsPath
    image: FsPath | None = None
    image_key: FsPath | None = None
    spec: str | None = None
    """As ``hostiso build --spec``: None compiles each host for its own pin."""
    epoch: int = 0
    build_dir: FsPath = FsPath("build")
    ahead: Ahead | None = None
    """The image's digest, signature check and copy, started with the command."""


@dataclass
class InstallerResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    image: Image | None = None
    written: Written | None = None


def installer(
    layout: Layout, stems: list[str] | None, options: InstallerOptions
) -> InstallerResult:
    """Write the installer ISO, or nothing and the reasons why."""
    with fsutil.locked(options.build_dir / ".lock"):
        return _installer(layout, stems, options)


def _installer(
    layout: Layout, stems: list[str] | None, options: InstallerOptions
) -> InstallerResult:
    result = InstallerResult()
    fleet = load_checked(layout)
    hosts = _select(layout, fleet, stems, result)
    result.diagnostics += _output_clash(layout, fleet, options.output)
    entries = [e for h in hosts if (e := _entry(layout, h, options, result, len(hosts)))]
    if not hosts and not result.diagnostics:
        result.diagnostics.append(_no_hosts(layout))
    if entries and not any(d.is_error for d in result.diagnostics):
        result.hosts = [e.stem for e in entries]
        _write(entries, options, result)
    return result


def _write(entries: list[HostEntry], options: InstallerOptions, result: InstallerResult) -> None:
    try:
        with _checked_image(options, result) as image:
            result.image = image
            options.output.parent.mkdir(parents=True, exist_ok=True)
            prefilled = options.ahead.prefilled() if options.ahead else None
            result.written = write_installer(
                options.base, entries, image, options.output, options.epoch, prefilled
            )
            if not result.written.usb:
                result.diagnostics.append(_no_usb(options.base))
    except MediaError as exc:
        result.diagnostics.append(error(exc.code, exc.message, mark=file_mark(exc.path)))
    except OSError as exc:
        where = file_mark(str(exc.filename or options.output))
        message = f"cannot write: {exc.strerror}"
        result.diagnostics.append(error("cannot-write", message, mark=where))


def _select(
    layout: Layout, hosts: list[Host], stems: list[str] | None, result: InstallerResult
) -> list[Host]:
    by_stem = {h.stem: h for h in hosts}
    if stems is None:
        return hosts
    chosen = []
    for stem in dict.fromkeys(stems):
        if stem in by_stem:
            chosen.append(by_stem[stem])
        else:
            path = layout.display(layout.configs / f"{stem}.yaml")
            result.diagnostics.append(
                error("no-such-host", f"no host file {path}", mark=file_mark(path))
            )
    return chosen


def _entry(
    layout: Layout, host: Host, options: InstallerOptions, result: InstallerResult, count: int
) -> HostEntry | None:
    """The host on the installer: its diagnostics go to ``result``; None when it has errors."""
    found = [d for d in host.diagnostics if d.code not in SELECTION_CODES]
    settings = install_settings(host.plain()) if host.user is not None else None
    found += _installer_problems(host, settings, count)
    config = None if any(d.is_error for d in found) else _compile(layout, host, options, found)
    result.diagnostics += found
    if config is None or settings is None or settings.device is None:
        return None
    ids = tuple(dict.fromkeys((i.kind, i.value) for i in settings.identifiers))
    return HostEntry(host.stem, settings.device, settings.wipe, ids, config)


def _installer_problems(
    host: Host, settings: InstallSettings | None, count: int
) -> list[Diagnostic]:
    """What keeps a host off the installer: a name, a device, something to match on."""
    out = []
    if not NAME_RE.fullmatch(host.stem):
        message = "a host on the installer needs a name of 1-60 characters of A-Z a-z 0-9 . _ -"
        where = Mark(host.source, 1, 1)
        out.append(error("bad-host-name", message, mark=where).for_host(host.name))
    if host.user is not None and (settings is None or settings.device is None):
        out.append(_missing_device(host))
    elif settings is not None and count > 1 and not settings.identifiers:
        out.append(no_match_diagnostic(host.source).for_host(host.name))
    return out


def _compile(
    layout: Layout, host: Host, options: InstallerOptions, found: list[Diagnostic]
) -> bytes | None:
    """The bytes ``hostiso build`` writes to build/<host>.ign (its problems join ``found``)."""
    tls.materialize(host)
    compiled = compile_host(host, options.spec, layout)
    found += compiled.diagnostics
    return to_json(compiled.ignition, False) if compiled.ignition is not None else None


def _placed(host: Host, d: Diagnostic) -> Diagnostic:
    return d.for_host(host.name).at(host.locate(d.path) or Mark(host.source, 1, 1))


def _missing_device(host: Host) -> Diagnostic:
    section = host.plain().get("install")
    where = ("install",) if isinstance(section, dict) else ()
    message = (
        "install.device is required: the disk the installer writes this host to"
        if where
        else "this host has no install: section (install.device is required on the installer)"
    )
    return _placed(host, error("missing-install-device", message, where))


def _output_clash(layout: Layout, hosts: list[Host], output: FsPath) -> list[Diagnostic]:
    """The installer must not replace a host's config ISO (a host named ``installer``)."""
    target = output.resolve()
    for host in hosts:
        if (layout.root / "out" / f"{host.stem}.iso").resolve() == target:
            message = f"would replace host {host.stem}'s config ISO: give another -o"
            return [error("output-is-a-host-iso", message, mark=file_mark(str(output)))]
    return []


def _no_usb(base: FsPath) -> Diagnostic:
    message = "no isohybrid MBR in the base: the installer boots from a CD, not from a USB stick"
    return warning("base-not-isohybrid", message, mark=file_mark(str(base)))


def _no_hosts(layout: Layout) -> Diagnostic:
    where = file_mark(layout.display(layout.configs))
    return error("no-hosts", "no host files: nothing to put on the installer", mark=where)


@contextlib.contextmanager
def _checked_image(options: InstallerOptions, result: InstallerResult) -> Iterator[Image | None]:
    """The image with its SHA-512 (None without --image); MediaError when it is unusable."""
    path = options.image
    if path is None:
        yield None
        return
    if not path.is_file():
        raise MediaError("image-missing", str(path), "no such image file")
    signature = path.with_name(path.name + ".sig")
    with _signature(path, signature, options, result):
        key, digest = _digest(path, options)
    images.check_digests_file(path, digest)
    yield Image(path, digest, key)


def _digest(path: FsPath, options: InstallerOptions) -> tuple[str, str]:
    """(stat key, SHA-512) of the image: from the cache, hashed ahead or now."""
    cache = options.build_dir / DIGEST_CACHE
    ahead = options.ahead.digest() if options.ahead else None
    if ahead is None:
        return images.stat_key(path), images.image_sha512(path, cache)
    key, digest, cached = ahead
    if not cached:
        images.remember(cache, path, key, digest)
    return key, digest


@contextlib.contextmanager
def _signature(
    path: FsPath, signature: FsPath, options: InstallerOptions, result: InstallerResult
) -> Iterator[None]:
    key = options.image_key
    if key is None:
        if signature.is_file():
            message = f"{signature.name} is not checked: give --image-key KEYRING to check it"
            result.diagnostics.append(
                warning("image-not-verified", message, mark=file_mark(str(signature)))
            )
        yield
        return
    if not signature.is_file():
        raise MediaError(
            "image-signature", str(signature), "--image-key is given but there is no signature file"
        )
    check = (options.ahead.gpgv() if options.ahead else None) or images.Gpgv(path, signature, key)
    try:
        yield
    except BaseException:
        check.stop()
        raise
    check.finish()
