"""The installer ISO boots under QEMU and installs, on a stand-in Flatcar live system.

tests/kernel/installer_guest.py builds a base ISO with Flatcar's layout from
Debian's isolinux, syslinux and kernel and a busybox live system whose /init
runs the ``systemd.run=`` command as systemd's generator would, with a
stand-in ``flatcar-install`` (same flags, same effect on the disk).
``hostiso installer`` remasters it; each scenario boots it once (SeaBIOS,
then isolinux, from a CD or, written to a disk image, from a USB stick) with
a NIC MAC, a DMI serial and a virtio disk, and the disk is read back here.

Six boots, two at a time, about 30 s each under TCG (a minute when the
machine is loaded; each may take up to :data:`BOOT_TIMEOUT`).  Skipped without
qemu-system-x86, linux-image-amd64, busybox-static, isolinux,
syslinux-common, syslinux-utils, genisoimage and mtools (``.ci/run`` installs
them); HOSTISO_KERNEL_TEST=1 makes that a failure, =0 skips.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import LOGIN, installer_guest, run, write_fleet

EPOCH = 1_700_000_000
HERE = Path(__file__).resolve().parent
MAC_A = "52:54:00:00:00:0a"
MAC_NONE = "52:54:00:00:00:ff"
SERIAL_B = "HOSTISO-TEST-B"
DISK_SIZE = 64 << 20
WAY_IN = "echo WAY-IN-$((6*7)); poweroff -f\n"
BOOT_TIMEOUT = 480.0
"""Seconds one boot may take: about 30 s on 2 idle cores, 50-60 s with the
machine loaded; a boot killed at this bound fails its test."""


g = installer_guest()
pytestmark = pytest.mark.kernel


@dataclasses.dataclass
class Lab:
    parts: object
    root: Path
    fleet: Path
    iso: Path
    image: bytes
    foreign: bytes  # a disk with someone else's partition table


@dataclasses.dataclass
class Run:
    boot: object
    disk: Path
    before: str  # sha256 of the disk before the boot


def parts_or_skip() -> object:
    choice = os.environ.get("HOSTISO_KERNEL_TEST", "")
    if choice == "0":
        pytest.skip("HOSTISO_KERNEL_TEST=0")
    try:
        return g.find_parts()
    except g.Skip as exc:
        if choice == "1":
            pytest.fail(f"HOSTISO_KERNEL_TEST=1 but {exc}")
        pytest.skip(str(exc))


FLEET = {
    "overlays/all.yaml": LOGIN + "install:\n  device: /dev/vda\n",
    "configs/a.yaml": f'install:\n  match: {{mac: "{MAC_A}"}}\n',
    "configs/b.yaml": f"install:\n  wipe: true\n  match: {{serial: {SERIAL_B}}}\n",
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    parts = parts_or_skip()
    root = tmp_path_factory.mktemp("installer-boot")
    g.build_initramfs(parts, root / "cpio.gz")
    kernel = parts.tools.kernel  # type: ignore[attr-defined]
    base_iso = root / "flatcar_production_iso_image.iso"
    base = g.make_base_iso(parts.iso, kernel, root / "cpio.gz", base_iso)  # type: ignore[attr-defined]
    image = g.make_image(parts.iso, root / "flatcar_production_image.bin.bz2")  # type: ignore[attr-defined]
    fleet = write_fleet(root / "fleet", FLEET)
    env = {"SOURCE_DATE_EPOCH": str(EPOCH)}
    assert run(["build"], fleet, env=env)[0] == 0
    argv = [
        "installer",
        "--base",
        str(base),
        "--image",
        str(root / "flatcar_production_image.bin.bz2"),
    ]
    rc, _, err = run(argv, fleet, env=env)
    assert rc == 0, err
    data = {6: ("DATA", g.LINUX_FS, 2048, b"someone else's data\n".ljust(1 << 20, b"\x01"))}
    foreign = g.gpt_disk(DISK_SIZE, data)
    return Lab(parts, root, fleet, fleet / "out" / "installer.iso", image, foreign)


def _boot(lab: Lab, name: str, disk: bytes | Path, **kwargs: object) -> Run:
    path = lab.root / f"{name}.disk"
    if isinstance(disk, Path):
        shutil.copyfile(disk, path)
    else:
        path.write_bytes(disk)
    before = _sha(path)
    log = lab.root / f"{name}.log"
    boot = g.run_guest(lab.parts, disk=path, log=log, timeout=BOOT_TIMEOUT, **kwargs)
    return Run(boot, path, before)


def _sha(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@pytest.fixture(scope="module")
def runs(lab: Lab) -> dict[str, Run]:
    blank = bytes(DISK_SIZE)
    stick = lab.root / "stick.img"
    shutil.copyfile(lab.iso, stick)  # dd if=installer.iso of=/dev/sdX
    # Enter at isolinux's prompt boots the default label at once (late, the
    # prompt's timeout boots the same one); 'manual' has the whole timeout
    enter = g.Answer("boot:", "\r")
    way_in = g.Answer("@@LIVE-LOGIN", WAY_IN, 1.0)
    cd = {"iso": lab.iso, "answers": [enter]}
    scenarios = {
        "install": (blank, {**cd, "mac": MAC_A}),
        "no-match": (blank, {**cd, "mac": MAC_NONE, "answers": [enter, way_in]}),
        "partitioned": (lab.foreign, {**cd, "mac": MAC_A, "answers": [enter, way_in]}),
        "manual": (
            blank,
            {**cd, "mac": MAC_A, "answers": [g.Answer("boot:", "manual\r"), way_in]},
        ),
        "usb": (
            lab.foreign,
            {"stick": stick, "mac": MAC_NONE, "serial": SERIAL_B, "answers": [enter]},
        ),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {n: pool.submit(_boot, lab, n, d, **kw) for n, (d, kw) in scenarios.items()}
        # the second boot of the disk 'install' wrote: queued once that one is
        # done, it runs beside the last of the others (three rounds of two)
        installed = futures["install"].result().disk
        again = {**cd, "mac": MAC_A}
        futures["again"] = pool.submit(_boot, lab, "again", installed, **again)
        return {name: future.result() for name, future in futures.items()}


def _console(r: Run) -> str:
    return r.boot.console  # type: ignore[attr-defined, no-any-return]


def _tail(r: Run, lines: int = 30) -> str:
    """How the boot ended, for an assertion's message."""
    boot = r.boot
    ended = f"exit status {boot.returncode}" if boot.returncode is not None else "timed out"  # type: ignore[attr-defined]
    tail = "\n".join(_console(r).rstrip().splitlines()[-lines:])
    return f"the guest {ended} after {boot.seconds:.0f} s; its console ends:\n{tail}"  # type: ignore[attr-defined]


def _installed(lab: Lab, r: Run, host: str) -> None:
    """The disk holds the image, with ``host``'s config and the log on the OEM partition."""
    assert f"hostiso: installed {host} on /dev/vda;" in _console(r), _tail(r)
    disk = r.disk.read_bytes()
    oem = g.partition(lab.image, 6)
    start = lab.image.index(oem)
    image_outside_oem = lab.image[:start] + lab.image[start + len(oem) :]
    disk_outside_oem = disk[:start] + disk[start + len(oem) : len(lab.image)]
    assert disk_outside_oem == image_outside_oem
    fs = g.partition(disk, 6)
    iso_parts = lab.parts.iso  # type: ignore[attr-defined]
    config = g.fat_file(iso_parts, fs, "config.ign")
    assert config == (lab.fleet / "build" / f"{host}.ign").read_bytes()
    assert g.fat_file(iso_parts, fs, "oem-release") == b"ID=standin\n"
    log = (g.fat_file(iso_parts, fs, "hostiso-install.log") or b"").decode()
    assert f"hostiso: this machine is {host}\n" in log
    assert f"hostiso: installed {host} on /dev/vda;" in log
    assert "flatcar_production_image.bin.bz2: OK" in log


def test_install_from_cd(lab: Lab, runs: dict[str, Run]) -> None:
    r = runs["install"]
    console = _console(r)
    assert "ISOLINUX" in console and "ETCD" in console  # El Torito, from the CD
    assert "@@UNIT kernel-command-line.target" in console
    assert f"hostiso: this machine: MAC {MAC_A}" in console
    assert "@@FLATCAR-INSTALL -d /dev/vda -i /run/hostiso/media/hostiso/configs/a.ign" in console
    assert "-f /run/hostiso/media/hostiso/flatcar_production_image.bin.bz2" in console
    assert console.rstrip().endswith("@@SYSTEMCTL reboot") or "@@SYSTEMCTL reboot\n" in console
    _installed(lab, r, "a")


def test_no_match_touches_no_disk(runs: dict[str, Run]) -> None:
    r = runs["no-match"]
    console = _console(r)
    assert f"hostiso: this machine: MAC {MAC_NONE}" in console
    assert "hostiso: error: no host on this ISO matches this machine (hosts: a b)" in console
    assert "hostiso: no disk was written" in console
    assert "@@SYSTEMCTL --no-block isolate multi-user.target" in console
    assert "WAY-IN-42" in console  # the operator has a shell
    assert "@@FLATCAR-INSTALL" not in console
    assert _sha(r.disk) == r.before


def test_partitioned_disk_without_wipe_is_refused(runs: dict[str, Run]) -> None:
    r = runs["partitioned"]
    console = _console(r)
    assert "hostiso: this machine is a" in console
    assert "/dev/vda is not blank (it holds: gpt) and install.wipe is not true for a" in console
    assert "WAY-IN-42" in console
    assert "@@FLATCAR-INSTALL" not in console
    assert _sha(r.disk) == r.before


def test_second_boot_writes_nothing_and_powers_off(runs: dict[str, Run]) -> None:
    r = runs["again"]
    console = _console(r)
    assert "hostiso: /dev/vda already holds a's config (same SHA-512): nothing written" in console
    assert "@@SYSTEMCTL poweroff" in console
    assert "@@FLATCAR-INSTALL" not in console
    assert _sha(r.disk) == r.before


def test_manual_entry_boots_the_stock_live_system(runs: dict[str, Run]) -> None:
    r = runs["manual"]
    console = _console(r)
    (cmdline,) = r.boot.lines("@@CMDLINE")  # type: ignore[attr-defined]
    assert cmdline == (
        "BOOT_IMAGE=/flatcar/vmlinuz initrd=/flatcar/cpio.gz flatcar.autologin console=ttyS0"
        " panic=-1 quiet no_timer_check"
    )
    assert "@@LIVE\n" in console and "WAY-IN-42" in console
    assert "hostiso:" not in console.split("@@BOOT", 1)[1]
    assert _sha(r.disk) == r.before


def test_usb_stick_boots_isohybrid_and_installs_by_serial(lab: Lab, runs: dict[str, Run]) -> None:
    r = runs["usb"]
    console = _console(r)
    assert "EHDD" in console  # isolinux started from the isohybrid MBR, not El Torito
    assert f"hostiso: this machine: serial '{SERIAL_B}'" in console
    assert "hostiso: /dev/vda holds gpt; install.wipe is true: it will be overwritten" in console
    _installed(lab, r, "b")
