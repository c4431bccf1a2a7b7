"""A real Linux kernel mounts config ISOs as CD drives (QEMU, software emulation).

tests/kernel/mount_check.py boots Debian's kernel with a busybox initramfs,
puts a stand-in installer ISO on /dev/sr0 and config ISOs on /dev/sr1..sr3
(IDE, like ``-drive file=X.iso,media=cdrom,if=ide``), runs ``mount -o ro -t
iso9660 /dev/srN /media`` and variants, and reports what the kernel shows.

One boot, about 10-15 s on 2 cores.  It runs when qemu-system-x86_64, a
kernel with modules and busybox-static are installed, and is skipped
otherwise; HOSTISO_KERNEL_TEST=1 makes missing tools a failure and
HOSTISO_KERNEL_TEST=0 skips it.  Select it alone with ``pytest -m kernel``.
The parsing and checking code also has tests that need no QEMU.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import io
import json
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from hostiso.media.iso import build_iso, volume_label

EPOCH = 1_700_000_000
HERE = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mount_check", HERE / "kernel" / "mount_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mount_check"] = module
    spec.loader.exec_module(module)
    return module


mc = _load()


def config(size: int) -> bytes:
    """A JSON document of about ``size`` bytes."""
    filler = "x" * max(0, size - 40)
    return json.dumps({"ignition": {"version": "2.3.0"}, "pad": filler}).encode()


LONG_HOST = "a-very-long-hostname-for-rack-17.dc1.example.org"
CASES = {
    # file stem: (config bytes, label)
    "web-01": (config(3000), volume_label("web-01")),
    "long": (config(7000), volume_label(LONG_HOST)),
    "big": (config(2_000_000), "BIG_2MB"),
}


# --- with QEMU --------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str], list, dict]:
    choice = os.environ.get("HOSTISO_KERNEL_TEST", "")
    if choice == "0":
        pytest.skip("HOSTISO_KERNEL_TEST=0")
    try:
        mc.find_tools()
    except mc.Skip as exc:
        if choice == "1":
            pytest.fail(f"HOSTISO_KERNEL_TEST=1 but {exc}")
        pytest.skip(str(exc))
    root = tmp_path_factory.mktemp("kernel")
    targets = []
    for stem, (data, label) in CASES.items():
        iso = root / f"{stem}.iso"
        iso.write_bytes(build_iso({"config.json": data}, label, EPOCH))
        targets.append(
            mc.Target(iso=iso, expected=data, expected_from="test", label=label, name="config.json")
        )
    log = io.StringIO()
    problems, notes, boots = mc.run_checks(targets, timeout=300, out=log)
    return problems, notes, boots, {t.iso: t for t in targets}


@pytest.mark.kernel
def test_kernel_mounts_config_isos(kernel_run: tuple) -> None:
    problems, notes, boots, _ = kernel_run
    assert problems == []
    # web-01.iso (66 KiB) is shorter than the 68 KiB busybox's findfs reads
    # before it tries ISO 9660; libblkid (udev's by-label) still finds it.
    assert len(notes) == 1
    assert "web-01.iso: busybox findfs LABEL=WEB_01 says ''" in notes[0]
    assert len(boots) == 1


@pytest.mark.kernel
def test_config_isos_are_sr1_to_sr3_after_the_installer(kernel_run: tuple) -> None:
    _, _, (boot,), targets = kernel_run
    for index, iso in enumerate(targets, start=1):
        view = boot.devices[f"sr{index}"]
        assert view.sha256 == hashlib.sha256(iso.read_bytes()).hexdigest()
        assert view.pvd_label == targets[iso].label
        assert f"LABEL={targets[iso].label}" in view.blkid.split()


@pytest.mark.kernel
def test_kernel_names_per_mount_option(kernel_run: tuple) -> None:
    _, _, (boot,), _ = kernel_run
    view = boot.devices["sr1"]
    names = {variant: [f["name"] for f in files] for variant, files in view.files.items()}
    assert names == {
        "default": ["config.json"],  # Rock Ridge
        "nojoliet": ["config.json"],  # Rock Ridge
        "auto": ["config.json"],
        "norock": ["config.json"],  # Joliet
        "plain": ["config.jso"],  # ISO 9660 8.3, lower-cased by map=normal
        "mapoff": ["CONFIG.JSO;1"],
    }
    modes = {variant: files[0]["mode"] for variant, files in view.files.items()}
    assert modes["default"] == modes["nojoliet"] == "400"
    assert modes["norock"] == "555"  # no Rock Ridge: the kernel's default
    readable = {variant: files[0]["nobody_reads"] for variant, files in view.files.items()}
    assert readable["default"] == "no"


@pytest.mark.kernel
def test_the_check_catches_a_wrong_config(kernel_run: tuple) -> None:
    _, _, (boot,), targets = kernel_run
    iso = next(iter(targets))
    wrong = {iso: dataclasses.replace(targets[iso], expected=b"{}")}
    problems = mc.check_boot(boot, wrong, {iso: iso.read_bytes()}, [])
    assert any("expected 2 bytes" in p for p in problems)


# --- without QEMU -----------------------------------------------------------


CONSOLE = """\
SeaBIOS
@@BOOT kernel=6.1.0
@@INSMOD ok isofs.ko
@@DEV sr0 sysfs=pci0000:00/0000:00:01.1/ata1/host0/target0:0:0/0:0:0:0
@@DEVSHA sr0 {sha} size={size}
@@PVDLABEL sr0 WEB_01{pad}
@@BLKID sr0 DEVNAME=/dev/sr0 LABEL=WEB_01 TYPE=iso9660
@@MOUNT ok sr0 default opts=ro
@@LS-BEGIN sr0 default
@@LS -r--------    1 root     root          2 Jan  1  1970 config.json
@@LS-END sr0 default
@@FILE sr0 default mode=400 owner=0:0 size=2 sha256={fsha} nobody_reads=no name=config.json
@@DMESG sr0 [    3.1] ISO 9660 Extensions: RRIP_1991A
{more}@@FINDFS WEB_01 /dev/sr0
@@DONE
"""


def _console(image: bytes, data: bytes, more: str = "") -> str:
    return CONSOLE.format(
        sha=hashlib.sha256(image).hexdigest(),
        size=len(image),
        pad=" " * 26,
        fsha=hashlib.sha256(data).hexdigest(),
        more=more,
    )


def _variants(data: bytes, dev: str = "sr0") -> str:
    lines = []
    for variant in ("norock", "nojoliet", "auto"):
        mode = "555" if variant == "norock" else "400"
        lines += [
            f"@@MOUNT ok {dev} {variant} opts=ro,{variant}",
            f"@@FILE {dev} {variant} mode={mode} owner=0:0 size={len(data)} "
            f"sha256={hashlib.sha256(data).hexdigest()} nobody_reads=no name=config.json",
        ]
    return "\n".join(lines) + "\n"


def test_parse_and_check_a_good_console(tmp_path: Path) -> None:
    data = b"{}"
    image = build_iso({"config.json": data}, "WEB_01", EPOCH)
    iso = tmp_path / "web-01.iso"
    iso.write_bytes(image)
    boot = mc.parse_console([iso], _console(image, data, _variants(data)), 1.0, 0)
    assert boot.done
    view = boot.devices["sr0"]
    assert view.pvd_label == "WEB_01"
    assert view.files["default"] == [
        {
            "mode": "400",
            "uid": "0",
            "gid": "0",
            "size": "2",
            "sha256": hashlib.sha256(data).hexdigest(),
            "nobody_reads": "no",
            "name": "config.json",
        }
    ]
    assert view.listings["default"][0].endswith(" config.json")
    target = mc.Target(iso, data, "test", "WEB_01", "config.json")
    notes: list[str] = []
    assert mc.check_boot(boot, {iso: target}, {iso: image}, notes) == []
    # The image is smaller than busybox's volume_id reads, but findfs answered.
    assert notes == []


def test_check_reports_a_truncated_name_wrong_mode_and_kernel_errors(tmp_path: Path) -> None:
    data = b"{}"
    image = build_iso({"config.json": data}, "WEB_01", EPOCH)
    iso = tmp_path / "web-01.iso"
    iso.write_bytes(image)
    console = _console(image, data, _variants(data)).replace(
        "mode=400 owner=0:0 size=2 sha256", "mode=444 owner=0:0 size=2 sha256", 1
    )
    console = console.replace(
        "@@DMESG sr0 [    3.1] ISO 9660 Extensions: RRIP_1991A",
        "@@DMESG sr0 [    3.2] rock: corrupted directory entry. extent=20, offset=0, size=8",
    )
    console = console.replace(
        "name=config.json\n@@MOUNT ok sr0 auto", "name=config.jso\n@@MOUNT ok sr0 auto"
    )
    boot = mc.parse_console([iso], console, 1.0, 0)
    target = mc.Target(iso, data, "test", "WEB_01", "config.json")
    problems = mc.check_boot(boot, {iso: target}, {iso: image}, [])
    text = "\n".join(problems)
    assert "(default) mode 444 uid 0 gid 0, expected 400 0 0" in text
    assert "names ['config.jso'], expected ['config.json']" in text
    assert "kernel log: [    3.2] rock: corrupted directory entry" in text


def test_check_reports_a_timeout_and_a_missing_device(tmp_path: Path) -> None:
    iso = tmp_path / "a.iso"
    iso.write_bytes(build_iso({"config.json": b"{}"}, "A", EPOCH))
    boot = mc.parse_console(
        [iso], "SeaBIOS\n@@BOOT kernel=x\n@@INSMOD fail isofs.ko\n", 300.0, None
    )
    target = mc.Target(iso, b"{}", "test", "A", "config.json")
    problems = mc.check_boot(boot, {iso: target}, {iso: iso.read_bytes()}, [])
    assert problems[:2] == [
        "QEMU timed out after 300 s",
        "the guest did not finish (see the console log)",
    ]
    assert "insmod fail isofs.ko" in problems
    assert f"{iso}: no CD device reads back as this ISO" in problems


def test_module_order_follows_modules_dep(tmp_path: Path) -> None:
    (tmp_path / "modules.dep").write_text(
        "kernel/drivers/scsi/scsi_common.ko:\n"
        "kernel/drivers/scsi/scsi_mod.ko: kernel/drivers/scsi/scsi_common.ko\n"
        "kernel/drivers/cdrom/cdrom.ko:\n"
        "kernel/drivers/scsi/sr_mod.ko: kernel/drivers/scsi/scsi_mod.ko "
        "kernel/drivers/scsi/scsi_common.ko kernel/drivers/cdrom/cdrom.ko\n"
        "kernel/drivers/ata/libata.ko.xz: kernel/drivers/scsi/scsi_mod.ko "
        "kernel/drivers/scsi/scsi_common.ko\n"
        "kernel/drivers/ata/ata_piix.ko.xz: kernel/drivers/ata/libata.ko.xz "
        "kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko\n"
    )
    (tmp_path / "modules.builtin").write_text("kernel/fs/isofs/isofs.ko\n")
    assert mc.module_order(tmp_path) == [
        "kernel/drivers/scsi/scsi_common.ko",
        "kernel/drivers/scsi/scsi_mod.ko",
        "kernel/drivers/ata/libata.ko.xz",
        "kernel/drivers/ata/ata_piix.ko.xz",
        "kernel/drivers/cdrom/cdrom.ko",
        "kernel/drivers/scsi/sr_mod.ko",
    ]
    (tmp_path / "modules.builtin").write_text("")
    with pytest.raises(mc.Skip, match="isofs"):
        mc.module_order(tmp_path)


def test_the_script_skips_with_77_without_qemu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iso = tmp_path / "a.iso"
    iso.write_bytes(build_iso({"config.json": b"{}"}, "A", EPOCH))
    (tmp_path / "a.json").write_bytes(b"{}")
    monkeypatch.setenv("HOSTISO_QEMU", str(tmp_path / "no-such-qemu"))
    assert mc.main([f"{iso}={tmp_path / 'a.json'}"]) == mc.SKIP
