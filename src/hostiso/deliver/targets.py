"""From the fleet to jobs: which BMC or domain each host has, and what to put in it.

A host's ``bmc:`` (Redfish) or ``libvirt:`` section, merged through its
overlays and checked by the schema, becomes a :class:`Redfish` or a
:class:`Libvirt` target.  A :class:`Job` adds the media: the URL a BMC
fetches (``--url-base`` + ``/<host>.iso`` or ``/installer.iso``, as
``hostiso serve`` names them), or the ISO's absolute path for libvirt (the
hypervisor opens the file itself); ``None`` ejects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from hostiso.deliver.serve import INSTALLER_NAME

CONFIG, INSTALLER = "config", "installer"
MEDIA_KINDS = (CONFIG, INSTALLER)


@dataclass(frozen=True)
class Redfish:
    address: str
    username: str
    password_file: str
    verify: bool | str
    """True, False (``verify_tls: false``) or the path of ``ca_file``."""
    system: str | None = None

    @property
    def key(self) -> str:
        return f"{self.address} {self.system or ''}".strip()


@dataclass(frozen=True)
class Libvirt:
    uri: str
    domain: str
    device: str | None = None

    @property
    def key(self) -> str:
        return f"{self.uri} {self.domain}"


Target = Redfish | Libvirt


@dataclass(frozen=True)
class Options:
    """What ``hostiso attach`` was asked to do."""

    media: str = CONFIG
    url_base: str | None = None
    out_dir: Path = Path("out")
    installer: Path | None = None
    eject: bool = False
    boot_once: bool = False
    reset: bool = False

    @property
    def installer_path(self) -> Path:
        return self.installer if self.installer is not None else self.out_dir / INSTALLER_NAME


@dataclass(frozen=True)
class Job:
    host: str
    target: Target
    media: str | None
    """The URL (Redfish) or absolute path (libvirt) to insert; None: eject only."""
    boot_once: bool = False
    reset: bool = False


def target_of(plain: Mapping[str, Any], root: Path) -> Target | None:
    """The host's target from its effective config (already schema-checked)."""
    bmc, virt = plain.get("bmc"), plain.get("libvirt")
    if isinstance(bmc, dict):
        return _redfish(bmc, root)
    if isinstance(virt, dict):
        return Libvirt(str(virt["uri"]), str(virt["domain"]), _opt(virt.get("device")))
    return None


def _redfish(bmc: Mapping[str, Any], root: Path) -> Redfish:
    verify: bool | str = bmc.get("verify_tls") is not False
    if verify and bmc.get("ca_file"):
        verify = str((root / str(bmc["ca_file"])).resolve())
    return Redfish(
        address=str(bmc["redfish"]).rstrip("/"),
        username=str(bmc["username"]),
        password_file=str(bmc["password_file"]),
        verify=verify,
        system=_opt(bmc.get("system")),
    )


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def media_file(stem: str, options: Options) -> Path:
    """The local ISO the job needs: ``out/<stem>.iso`` or the installer ISO."""
    if options.media == INSTALLER:
        return options.installer_path
    return options.out_dir / f"{stem}.iso"


def job_for(stem: str, target: Target, options: Options) -> Job | str:
    """The job for one host, or why there is none (a missing ISO)."""
    media: str | None = None
    if not options.eject:
        local = media_file(stem, options)
        if not local.is_file():
            return _missing(local, stem, options)
        media = str(local.resolve()) if isinstance(target, Libvirt) else _url(stem, options)
    return Job(stem, target, media, options.boot_once, options.reset)


def _url(stem: str, options: Options) -> str:
    assert options.url_base is not None
    name = INSTALLER_NAME if options.media == INSTALLER else f"{stem}.iso"
    return f"{options.url_base.rstrip('/')}/{quote(name)}"


def _missing(local: Path, stem: str, options: Options) -> str:
    if options.media == INSTALLER:
        return f"{local} does not exist: build it with `hostiso installer` (or give --installer)"
    return f"{local} does not exist: build it with `hostiso build {stem}`"


def check_url_base(text: str) -> str | None:
    """Why *text* is not a usable ``--url-base``, or None."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"--url-base: '{text}' is not an http:// or https:// URL with a host"
    if parts.username or parts.password or parts.query or parts.fragment:
        return f"--url-base: '{text}' must not carry credentials, a query or a fragment"
    return None
