"""Stand-ins for the installer tests: a Flatcar-like live ISO, an OS image, QEMU runs.

* :func:`make_base_iso`: Flatcar's ISO layout (flatcar/scripts
  ``build_library/vm_image_util.sh``, ``_write_iso_disk``) from Debian's parts:
  ``isolinux/isolinux.bin`` and ``ldlinux.c32`` (isolinux, syslinux-common),
  ``isolinux/isolinux.cfg`` = ``INCLUDE /syslinux/syslinux.cfg``, the label in
  ``syslinux/syslinux.cfg`` with ``kernel /flatcar/vmlinuz`` and ``append
  initrd=/flatcar/cpio.gz flatcar.autologin``, made with Flatcar's mkisofs
  flags and ``isohybrid``.  The additions are for the test: ``serial 0
  115200`` so it sees isolinux's prompt and can answer it; ``timeout 100``,
  10 s to answer on a loaded machine (the tests press Enter for the default
  label rather than wait); on the kernel command line the serial console,
  ``panic=-1`` and ``no_timer_check`` (under software emulation on a loaded
  host the kernel's check that the timer interrupt works can miss it and
  panic).
* :func:`build_initramfs`: ``/flatcar/cpio.gz``: busybox, the kernel modules
  the guest needs, util-linux ``blkid``, ``installer_init.sh`` as ``/init``
  and the stand-in ``flatcar-install`` and ``systemctl``.
* :func:`make_image`: a raw disk image shaped like Flatcar's (GPT, partition 6
  labelled OEM holding a FAT filesystem labelled OEM), bzip2-compressed.
* :func:`run_guest`: one QEMU boot (SeaBIOS, then isolinux from the CD or a
  USB stick), answering console prompts; :func:`partition` and
  :func:`fat_file` read the disk back with Python and mtools.

The kernel, busybox and module helpers come from ``mount_check.py``.
"""

from __future__ import annotations

import bz2
import dataclasses
import importlib.util
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
SECTOR = 512
ISOLINUX_BIN = ("/usr/lib/ISOLINUX/isolinux.bin", "/usr/lib/syslinux/isolinux.bin")
LDLINUX = ("/usr/lib/syslinux/modules/bios/ldlinux.c32", "/usr/lib/syslinux/ldlinux.c32")
MODULES = (
    "ata_piix",
    "sr_mod",
    "isofs",
    "virtio_pci",
    "virtio_blk",
    "e1000",
    "vfat",
    "nls_cp437",
    "nls_ascii",
    "xhci_pci",
    "usb_storage",
    "sd_mod",
)
SYSLINUX_CFG = """\
serial 0 115200
default flatcar
prompt 1
timeout 100

label flatcar
  menu default
  kernel /flatcar/vmlinuz
  append initrd=/flatcar/cpio.gz flatcar.autologin console=ttyS0 panic=-1 quiet no_timer_check
"""
LINUX_FS = uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4")
EFI_SYSTEM = uuid.UUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")


def _mount_check() -> ModuleType:
    if "mount_check" in sys.modules:
        return sys.modules["mount_check"]
    spec = importlib.util.spec_from_file_location("mount_check", HERE / "mount_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mount_check"] = module
    spec.loader.exec_module(module)
    return module


mc = _mount_check()
Skip = mc.Skip


@dataclasses.dataclass(frozen=True)
class IsoParts:
    """What a stand-in base ISO and OS image are made of (no QEMU needed)."""

    isolinux_bin: Path
    ldlinux: Path
    mkisofs: list[str]
    isohybrid: str
    mtools: str  # mcopy; mformat next to it


@dataclasses.dataclass(frozen=True)
class Parts:
    tools: object  # mount_check.Tools: qemu, kernel, modules, busybox
    iso: IsoParts


def find_iso_parts() -> IsoParts:
    isolinux_bin = _first(ISOLINUX_BIN, "isolinux")
    ldlinux = _first(LDLINUX, "syslinux-common")
    mkisofs = _tool("genisoimage", "genisoimage")
    isohybrid = _tool("isohybrid", "syslinux-utils")
    mtools = _tool("mcopy", "mtools")
    return IsoParts(isolinux_bin, ldlinux, [mkisofs], isohybrid, mtools)


def find_parts() -> Parts:
    """Everything the boot tests need, or Skip saying what to install."""
    return Parts(mc.find_tools(), find_iso_parts())


def _first(paths: Sequence[str], package: str) -> Path:
    for path in paths:
        if Path(path).is_file():
            return Path(path)
    raise Skip(f"no {Path(paths[0]).name} (Debian: apt-get install {package})")


def _tool(name: str, package: str) -> str:
    found = shutil.which(name) or shutil.which(f"/usr/sbin/{name}")
    if found is None:
        raise Skip(f"{name} is not installed (Debian: apt-get install {package})")
    return found


# --- the live system ------------------------------------------------------------


def build_initramfs(parts: Parts, out: Path) -> None:
    tools = parts.tools
    order = mc.module_order(tools.modules, MODULES)  # type: ignore[attr-defined]
    archive = mc._Cpio()
    for d in ("bin", "dev", "etc", "lib/modules", "proc", "run", "sys", "tmp", "usr/bin"):
        archive.add(d, 0o040755)
    archive.add("dev/console", 0o020600, rdev=(5, 1))
    archive.add("bin/busybox", 0o100755, tools.busybox.read_bytes())  # type: ignore[attr-defined]
    archive.add("bin/sh", 0o120777, link="busybox")
    archive.add("init", 0o100755, (HERE / "installer_init.sh").read_bytes())
    archive.add(
        "usr/bin/flatcar-install", 0o100755, (HERE / "standin_flatcar_install.sh").read_bytes()
    )
    archive.add("usr/local/bin/systemctl", 0o100755, (HERE / "standin_systemctl.sh").read_bytes())
    archive.add("etc/passwd", 0o100644, b"root:x:0:0:root:/:/bin/sh\n")
    archive.add("etc/group", 0o100644, b"root:x:0:\n")
    blkid = shutil.which("blkid") or "/sbin/blkid"
    if not Path(blkid).is_file():
        raise Skip("util-linux blkid is missing")
    for name, path in mc._with_libraries(Path(blkid)):
        target = "usr/local/sbin/blkid" if path == Path(blkid) else name.lstrip("/")
        archive.add(target, 0o100755, path.read_bytes())
    names = []
    for rel in order:
        flat = rel.rsplit("/", 1)[-1].split(".ko")[0] + ".ko"
        archive.add(f"lib/modules/{flat}", 0o100644, mc._module_bytes(tools.modules / rel))  # type: ignore[attr-defined]
        names.append(flat)
    archive.add("modules.order", 0o100644, "".join(n + "\n" for n in names).encode())
    # xz (with the CRC32 check the kernel's decoder takes): a third smaller than
    # gzip, and isolinux reads every byte through the BIOS, slowly under TCG.
    out.write_bytes(lzma.compress(archive.finish(), check=lzma.CHECK_CRC32, preset=2))


def make_base_iso(
    parts: IsoParts, kernel: Path, initrd: Path, out: Path, cfg: str = SYSLINUX_CFG
) -> Path:
    """The stand-in ``flatcar_production_iso_image.iso``."""
    with tempfile.TemporaryDirectory(prefix="hostiso-base-") as tmp:
        tree = Path(tmp)
        for d in ("isolinux", "syslinux", "flatcar"):
            (tree / d).mkdir()
        shutil.copyfile(parts.isolinux_bin, tree / "isolinux/isolinux.bin")
        shutil.copyfile(parts.ldlinux, tree / "isolinux/ldlinux.c32")
        (tree / "isolinux/isolinux.cfg").write_text("INCLUDE /syslinux/syslinux.cfg\n")
        (tree / "syslinux/syslinux.cfg").write_text(cfg)
        shutil.copyfile(kernel, tree / "flatcar/vmlinuz")
        shutil.copyfile(initrd, tree / "flatcar/cpio.gz")
        flags = ["-quiet", "-l", "-r", "-J", "-o", str(out), "-b", "isolinux/isolinux.bin"]
        flags += ["-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4"]
        subprocess.run([*parts.mkisofs, *flags, "-boot-info-table", str(tree)], check=True)
    subprocess.run([parts.isohybrid, str(out)], check=True)
    return out


def dummy_base_iso(parts: IsoParts, root: Path, initrd_size: int = 0) -> Path:
    """A stand-in base ISO whose kernel and initramfs are placeholders (it does not boot)."""
    (root / "vmlinuz").write_bytes(b"not a kernel\n" * 1000)
    with (root / "cpio.gz").open("wb") as f:
        f.write(b"not an initramfs\n" * 100)
        for _ in range(initrd_size >> 20):
            f.write(os.urandom(1 << 20))
    return make_base_iso(parts, root / "vmlinuz", root / "cpio.gz", root / "base.iso")


# --- the OS image ---------------------------------------------------------------


def make_image(parts: IsoParts, out: Path, size_mib: int = 8) -> bytes:
    """A raw GPT disk image like Flatcar's (OEM is partition 6); write it bzip2'd to ``out``.

    The OEM filesystem is FAT (mtools makes and reads it without root; Flatcar's
    is btrfs, which the install script treats the same way)."""
    with tempfile.TemporaryDirectory(prefix="hostiso-image-") as tmp:
        fs = Path(tmp) / "oem.fat"
        release = Path(tmp) / "oem-release"
        release.write_text("ID=standin\n")
        _mtools(parts, "mformat", "-i", str(fs), "-C", "-T", "8192", "-v", "OEM", "::")
        _mtools(parts, "mcopy", "-i", str(fs), str(release), "::/oem-release")
        esp = b"EFI-SYSTEM stand-in\n".ljust(1 << 20, b"\xa5")
        partitions = {
            1: ("EFI-SYSTEM", EFI_SYSTEM, 2048, esp),
            6: ("OEM", LINUX_FS, 4096, fs.read_bytes()),
        }
        raw = gpt_disk(size_mib << 20, partitions)
    out.write_bytes(bz2.compress(raw, 1))
    return raw


def _mtools(parts: IsoParts, tool: str, *args: str) -> bytes:
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    argv = [str(Path(parts.mtools).with_name(tool)), *args]
    return subprocess.run(argv, check=True, capture_output=True, env=env).stdout


def gpt_disk(size: int, partitions: dict[int, tuple[str, uuid.UUID, int, bytes]]) -> bytes:
    """A disk of ``size`` bytes with a GPT: {number: (name, type, first LBA, data)}."""
    sectors = size // SECTOR
    disk = bytearray(size)
    entries = bytearray(128 * 128)
    for number, (name, kind, first, data) in partitions.items():
        last = first + len(data) // SECTOR - 1
        part_guid = uuid.uuid5(uuid.NAMESPACE_OID, f"hostiso-test-{number}")
        entry = kind.bytes_le + part_guid.bytes_le + struct.pack("<QQQ", first, last, 0)
        entries[(number - 1) * 128 : number * 128] = entry + name.encode("utf-16-le").ljust(
            72, b"\0"
        )
        disk[first * SECTOR : first * SECTOR + len(data)] = data
    disk[446:462] = struct.pack(
        "<8BII", 0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF, 1, min(sectors - 1, 0xFFFFFFFF)
    )
    disk[510:512] = b"\x55\xaa"
    crc = zlib.crc32(entries)
    last_lba = sectors - 1
    disk[2 * SECTOR : 34 * SECTOR] = entries
    disk[(last_lba - 32) * SECTOR : last_lba * SECTOR] = entries
    disk[SECTOR : 2 * SECTOR] = _gpt_header(1, last_lba, 2, last_lba, crc)
    disk[last_lba * SECTOR :] = _gpt_header(last_lba, 1, last_lba - 32, last_lba, crc)
    return bytes(disk)


def _gpt_header(current: int, backup: int, entries_lba: int, last_lba: int, crc: int) -> bytes:
    disk_guid = uuid.uuid5(uuid.NAMESPACE_OID, "hostiso-test-disk").bytes_le
    fields = (b"EFI PART", 0x00010000, 92, 0, 0, current, backup, 34, last_lba - 33)
    head = struct.pack("<8sIIIIQQQQ", *fields) + disk_guid
    tail = struct.pack("<QIII", entries_lba, 128, 128, crc)
    header = head + tail
    header = header[:16] + struct.pack("<I", zlib.crc32(header)) + header[20:]
    return header.ljust(SECTOR, b"\0")


def partition(disk: bytes, number: int) -> bytes:
    """Partition ``number`` of a GPT disk, read from the primary table."""
    entry = disk[2 * SECTOR + (number - 1) * 128 :][:128]
    first, last = struct.unpack_from("<QQ", entry, 32)
    if first == 0:
        raise LookupError(f"no partition {number}")
    return disk[first * SECTOR : (last + 1) * SECTOR]


def fat_file(parts: IsoParts, fs: bytes, name: str) -> bytes | None:
    """A file of a FAT filesystem image, read with mtools (None when missing)."""
    with tempfile.TemporaryDirectory(prefix="hostiso-fs-") as tmp:
        image = Path(tmp) / "fs"
        image.write_bytes(fs)
        try:
            _mtools(parts, "mcopy", "-n", "-i", str(image), f"::/{name}", f"{tmp}/out")
        except subprocess.CalledProcessError:
            return None
        return (Path(tmp) / "out").read_bytes()


# --- QEMU -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Answer:
    """When ``after`` appears on the console, type ``text`` (after ``delay`` seconds)."""

    after: str
    text: str
    delay: float = 0.0


@dataclasses.dataclass
class Boot:
    console: str
    returncode: int | None
    seconds: float

    def lines(self, prefix: str) -> list[str]:
        return [
            ln.strip().removeprefix(prefix).strip()
            for ln in self.console.splitlines()
            if ln.strip().startswith(prefix)
        ]


def run_guest(
    parts: Parts,
    *,
    iso: Path | None = None,
    stick: Path | None = None,
    disk: Path,
    mac: str,
    serial: str = "",
    answers: Sequence[Answer] = (),
    timeout: float = 240,
    log: Path | None = None,
) -> Boot:
    """Boot a guest with the CD ``iso`` (or the USB stick ``stick``) and the virtio ``disk``."""
    tools = parts.tools
    argv = [str(tools.qemu), "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio"]  # type: ignore[attr-defined]
    argv += ["-accel", tools.accel, "-m", "512", "-device", f"e1000,mac={mac}"]  # type: ignore[attr-defined]
    argv += ["-smbios", f"type=1,serial={serial or 'none'}"]
    argv += ["-drive", f"file={disk},if=virtio,format=raw"]
    if iso is not None:
        argv += ["-drive", f"file={iso},if=none,id=cd,media=cdrom,readonly=on"]
        argv += ["-device", "ide-cd,drive=cd,bootindex=0"]
    if stick is not None:
        argv += ["-device", "qemu-xhci", "-drive", f"file={stick},if=none,id=stick,format=raw"]
        argv += ["-device", "usb-storage,drive=stick,bootindex=0"]
    boot = _run(argv, answers, timeout)
    if log is not None:
        ended = f"exit status {boot.returncode}" if boot.returncode is not None else "killed"
        log.write_text(f"{boot.console}\n[QEMU ran {boot.seconds:.1f} s: {ended}]\n")
    return boot


def _run(argv: list[str], answers: Sequence[Answer], timeout: float) -> Boot:
    start = time.monotonic()
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    chunks: list[bytes] = []
    reader = threading.Thread(target=_read_into, args=(proc, chunks), daemon=True)
    reader.start()
    pending = list(answers)
    seen = 0  # console characters before this point answered an earlier prompt
    while proc.poll() is None and time.monotonic() - start < timeout:
        text = b"".join(chunks).decode("utf-8", "replace")
        if pending and (at := text.find(pending[0].after, seen)) >= 0:
            answer = pending.pop(0)
            seen = at + len(answer.after)
            time.sleep(answer.delay)
            assert proc.stdin is not None
            proc.stdin.write(answer.text.encode())
            proc.stdin.flush()
        time.sleep(0.05)
    code = proc.poll()
    if code is None:
        proc.kill()
    proc.wait()
    reader.join(120)  # returns at EOF, which comes once QEMU is gone
    console = b"".join(chunks).decode("utf-8", "replace").replace("\r", "")
    return Boot(console, code, time.monotonic() - start)


def _read_into(proc: subprocess.Popen[bytes], chunks: list[bytes]) -> None:
    assert proc.stdout is not None
    while data := proc.stdout.read1(4096):
        chunks.append(data)
