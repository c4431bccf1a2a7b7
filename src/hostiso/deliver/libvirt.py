"""One host as a libvirt domain, through ``virsh``: media in (or out), CD first, start.

* the CD drive is ``libvirt.device`` or the domain's first CD drive;
  ``virsh change-media --insert`` (``--update`` when it holds something)
  loads the ISO into it, in the persistent config (``--config``) and, when
  the domain runs, live too;
* a domain without a CD drive gets one: ``virsh attach-disk --type cdrom``
  on a SATA bus (``libvirt.device`` or the first free ``sdX``), in the
  persistent config: it appears at the next start;
* ``--boot-once`` puts that CD drive first in the boot order
  (:mod:`hostiso.deliver.bootorder`) and ``virsh define``\\s the result;
* ``--reset`` starts a stopped domain, and power-cycles a running one
  (``destroy`` then ``start``), so the new drive and boot order apply.

virsh runs with ``LC_ALL=C`` and the per-call timeout; a connection failure
(libvirtd restarting) or a timeout is transient and retried (a ``start``,
``destroy`` or media change whose retry fails because the try that timed out
went through in libvirtd, leaving the domain as wanted, has succeeded).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from hostiso.deliver import bootorder
from hostiso.deliver.errors import DeliverError
from hostiso.deliver.policy import Policy, retried, retrying
from hostiso.deliver.targets import Job, Libvirt

VIRSH = "virsh"
TRANSIENT = (
    "Failed to connect socket",
    "Cannot recv data",
    "End of file while reading",
    "Connection reset",
    "timed out",
    "Cannot write data",
)
MAX_ERROR = 300


@dataclass
class Virsh:
    """``virsh -c URI`` with a timeout and retries; counts the retries it took."""

    uri: str
    policy: Policy
    retries: list[str] = field(default_factory=list)

    def __call__(self, *args: str) -> str:
        out, _tries = retrying(self.policy, lambda: self._once(args), self.retries.append)
        return out

    def _once(self, args: tuple[str, ...]) -> str:
        command = [VIRSH, "-q", "-c", self.uri, *args]
        env = {**os.environ, "LC_ALL": "C"}
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                env=env,
                timeout=self.policy.timeout,
                check=False,
            )
        except FileNotFoundError:
            raise DeliverError("virsh is not installed (Debian: libvirt-clients)") from None
        except subprocess.TimeoutExpired:
            raise DeliverError(
                f"virsh {args[0]} took longer than {self.policy.timeout:g} s", transient=True
            ) from None
        if done.returncode != 0:
            raise _failure(args[0], done.stderr)
        return done.stdout


def _failure(verb: str, stderr: str) -> DeliverError:
    lines = [ln.removeprefix("error: ").strip() for ln in stderr.splitlines() if ln.strip()]
    text = "; ".join(lines)[:MAX_ERROR] or "failed"
    return DeliverError(f"virsh {verb}: {text}", transient=any(t in text for t in TRANSIENT))


def attach(job: Job, policy: Policy) -> str:
    """Do *job* on its domain; the summary for the output line (raises DeliverError)."""
    target = job.target
    assert isinstance(target, Libvirt)
    virsh = Virsh(target.uri, policy)
    xml = virsh("dumpxml", "--inactive", target.domain)
    device = _cd_target(xml, target)
    done = [_media(virsh, target, device, xml, job.media)]
    if job.boot_once and job.media is not None:
        done.append(_boot_once(virsh, target, device or _new_target(xml, target)))
    if job.reset:
        done.append(_reset(virsh, target.domain))
    return "; ".join(done + retried(virsh.retries))


def _disks(xml: str) -> list[ET.Element]:
    root = ET.fromstring(xml)
    devices = root.find("devices")
    return devices.findall("disk") if devices is not None else []


def _target_dev(disk: ET.Element) -> str:
    node = disk.find("target")
    return node.get("dev", "") if node is not None else ""


def _cd_target(xml: str, target: Libvirt) -> str | None:
    """The CD drive to use: ``device`` (which must be a CD drive) or the first one."""
    disks = _disks(xml)
    if target.device is not None:
        found = [d for d in disks if _target_dev(d) == target.device]
        if found and found[0].get("device") != "cdrom":
            raise DeliverError(
                f"{target.device} of domain {target.domain} is a "
                f"{found[0].get('device', 'disk')}, not a CD drive"
            )
        return target.device if found else None
    cds = [_target_dev(d) for d in disks if d.get("device") == "cdrom"]
    return cds[0] if cds else None


def _has_media(xml: str, device: str) -> bool:
    for disk in _disks(xml):
        if _target_dev(disk) == device:
            source = disk.find("source")
            return source is not None and bool(source.attrib)
    return False


def _media(virsh: Virsh, target: Libvirt, device: str | None, xml: str, path: str | None) -> str:
    live = ["--live"] if _running(virsh, target.domain) else []
    domain = target.domain
    if path is None:
        if device is None or not _has_media(xml, device):
            return "no media to eject"
        eject = ["change-media", domain, device, "--eject", "--config", *live]
        _settled(virsh, domain, device, None, eject)
        return f"ejected from {device}"
    if device is None:
        new = _new_target(xml, target)
        cd = ["--type", "cdrom", "--mode", "readonly", "--targetbus", "sata", "--config"]
        _settled(virsh, domain, new, path, ["attach-disk", domain, path, new, *cd])
        return f"{path} in new CD drive {new}" + (" (from the next start)" if live else "")
    how = "--update" if _has_media(xml, device) else "--insert"
    change = ["change-media", domain, device, path, how, "--config", *live]
    _settled(virsh, domain, device, path, change)
    return f"{path} in {device}"


def _settled(virsh: Virsh, domain: str, device: str, path: str | None, args: list[str]) -> None:
    """A media change that leaves ``device`` holding ``path`` (None: empty).  A
    try that timed out may have gone through in libvirtd all the same, and its
    retry then fails ("already has media", "target already exists"): if the
    domain's drive is as wanted, it is done."""
    before = len(virsh.retries)
    try:
        virsh(*args)
    except DeliverError:
        if len(virsh.retries) == before:
            raise
        if _source(virsh("dumpxml", "--inactive", domain), device) != (path, True):
            raise


def _source(xml: str, device: str) -> tuple[str | None, bool]:
    """The file in the drive ``device`` (None when empty), and whether there is one."""
    for disk in _disks(xml):
        if _target_dev(disk) == device:
            source = disk.find("source")
            return (source.get("file") if source is not None else None), True
    return None, False


def _new_target(xml: str, target: Libvirt) -> str:
    if target.device is not None:
        return target.device
    used = {_target_dev(d) for d in _disks(xml)}
    free = [f"sd{c}" for c in "abcdefghijklmnopqrstuvwxyz" if f"sd{c}" not in used]
    if not free:
        raise DeliverError(f"domain {target.domain} has no free sdX target for a CD drive")
    return free[0]


def _running(virsh: Virsh, domain: str) -> bool:
    return virsh("domstate", domain).strip() not in ("shut off", "crashed", "")


def _boot_once(virsh: Virsh, target: Libvirt, device: str) -> str:
    xml = virsh("dumpxml", "--inactive", target.domain)
    try:
        changed = bootorder.cd_first(xml, device)
    except (bootorder.BootOrderError, ET.ParseError) as exc:
        raise DeliverError(f"boot order: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="hostiso-") as tmp:
        path = os.path.join(tmp, "domain.xml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(changed)
        virsh("define", path)
    return f"boot order: {device} first"


def _reset(virsh: Virsh, domain: str) -> str:
    if _running(virsh, domain):
        _power(virsh, "destroy", domain)
        _power(virsh, "start", domain)
        return "power-cycled (destroy, start)"
    _power(virsh, "start", domain)
    return "started"


DONE_ALREADY = {"start": "domain is already active", "destroy": "domain is not running"}
"""What libvirt answers (in either case) a start (destroy) of a domain that runs (does not)."""


def _power(virsh: Virsh, verb: str, domain: str) -> None:
    """``virsh start`` or ``destroy``.  A try that timed out may have gone
    through in libvirtd all the same: a retry that finds it done is done."""
    before = len(virsh.retries)
    try:
        virsh(verb, domain)
    except DeliverError as exc:
        if len(virsh.retries) == before or DONE_ALREADY[verb] not in exc.message.lower():
            raise
