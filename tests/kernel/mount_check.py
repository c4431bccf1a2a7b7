#!/usr/bin/env python3
"""Mount config ISOs with a real Linux kernel under QEMU and check what it sees.

    tests/kernel/mount_check.py [options] ISO[=EXPECTED[=LABEL]] ...
    tests/kernel/mount_check.py            # every out/*.iso of this checkout

For each ISO the guest runs the operator's command, ``mount -o ro -t iso9660
/dev/srN /media``, plus the variants ``norock`` (Joliet names), ``nojoliet``
(Rock Ridge names), ``norock,nojoliet`` (plain ISO 9660, mapped), ``map=off``
and a mount without ``-t``.  The check fails unless the kernel shows exactly
one file, named ``config.json`` (``--name``), with the bytes of EXPECTED, under
the default, ``norock``, ``nojoliet`` and no-``-t`` mounts; Rock Ridge
(default, ``nojoliet``) gives it mode 0400, uid 0, gid 0; the volume label the
kernel's block device shows (PVD bytes and busybox ``blkid``) is the ISO's
own label (or LABEL when given); the whole device reads back as the ISO file;
and the kernel logs no ISO 9660, CD-ROM or I/O error for the device.

EXPECTED defaults to ``build/<host>.ign`` next to ``out/<host>.iso``.  By
default a dummy "installer" ISO takes the first CD drive, so the config ISOs
are /dev/sr1, /dev/sr2, ... as on a target booted from the Flatcar ISO; every
boot has at most 4 CD drives (IDE, the emulated PIIX controller, like
``-drive file=X.iso,media=cdrom,if=ide``), so more ISOs take more boots.

Needs qemu-system-x86_64, a Linux kernel with its modules (/boot/vmlinuz-VER
and /lib/modules/VER, Debian's linux-image-amd64) and a static busybox
(busybox-static); without them it prints why and exits 77 (skip).  Exit 0:
every check passed; 1: a check failed; 2: bad usage.  Standard library only:
run it with any Python 3.11+.

Environment: HOSTISO_QEMU (the qemu binary), HOSTISO_KERNEL (a vmlinuz; its
modules are found by version, or give HOSTISO_KERNEL_MODULES=/lib/modules/VER),
HOSTISO_BUSYBOX, HOSTISO_QEMU_ACCEL (tcg, the default, or kvm).
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import io
import lzma
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

SKIP = 77
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
INIT = HERE / "init.sh"
SECTOR = 2048
IDE_SLOTS = 4
BUSYBOX_VOLUME_ID_MIN = 0x11000
# The modules the guest needs (with their dependencies from modules.dep):
# the PIIX IDE/ATA controller QEMU emulates, the SCSI CD-ROM driver, ISO 9660.
WANTED_MODULES = ("ata_piix", "sr_mod", "isofs")
# Mount variants whose file list must be exactly [name] with the expected bytes.
NAME_VARIANTS = ("default", "norock", "nojoliet", "auto")
# Rock Ridge variants: mode 0400 owned by root.
RR_VARIANTS = ("default", "nojoliet", "auto")
RR_MODE = ("400", "0", "0")
DMESG_BAD = re.compile(
    r"error|fail|corrupt|unable|invalid|illegal|bad |warning|not supported|"
    r"rock:|isofs|iso9660|ISOFS|Buffer I/O",
    re.IGNORECASE,
)


class Skip(Exception):
    """A tool is missing: the check cannot run here."""


class Usage(Exception):
    """Bad arguments."""


@dataclasses.dataclass(frozen=True)
class Tools:
    qemu: Path
    kernel: Path
    modules: Path  # /lib/modules/VER
    busybox: Path
    accel: str


@dataclasses.dataclass(frozen=True)
class Target:
    """One config ISO and what the kernel must show of it."""

    iso: Path
    expected: bytes
    expected_from: str
    label: str  # the label the kernel must report
    name: str


@dataclasses.dataclass
class DeviceView:
    """What the guest printed about one /dev/srN."""

    dev: str
    sysfs: str = ""
    sha256: str = ""
    size: str = ""
    pvd_label: str = ""
    blkid: str = ""
    mounts: dict[str, str] = dataclasses.field(default_factory=dict)  # variant -> ok/fail text
    listings: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    files: dict[str, list[dict[str, str]]] = dataclasses.field(default_factory=dict)
    dmesg: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Boot:
    """One QEMU run."""

    drives: list[Path]
    console: str
    seconds: float
    returncode: int | None
    devices: dict[str, DeviceView]
    insmod: list[str]
    boot_dmesg: list[str]
    done: bool
    findfs: dict[str, str]
    drive_sha: dict[Path, str]  # each drive's sha256, taken when it booted


# --- tools ------------------------------------------------------------------


def find_tools(accel: str | None = None) -> Tools:
    if platform.machine() not in ("x86_64", "AMD64"):
        raise Skip(
            f"the guest reuses the host's busybox: needs an x86_64 host, not {platform.machine()}"
        )
    qemu_name = os.environ.get("HOSTISO_QEMU", "qemu-system-x86_64")
    qemu = shutil.which(qemu_name)
    if qemu is None:
        raise Skip(f"{qemu_name} is not installed (Debian: apt-get install qemu-system-x86)")
    kernel, modules = _find_kernel()
    busybox = _find_busybox()
    accel = accel or os.environ.get("HOSTISO_QEMU_ACCEL", "tcg")
    return Tools(Path(qemu), kernel, modules, busybox, accel)


def _find_kernel() -> tuple[Path, Path]:
    hint = "Debian: apt-get install --no-install-recommends linux-image-amd64"
    given = os.environ.get("HOSTISO_KERNEL")
    candidates = [Path(given)] if given else sorted(Path("/boot").glob("vmlinuz-*"), reverse=True)
    for kernel in candidates:
        version = kernel.name.removeprefix("vmlinuz-")
        modules = Path(os.environ.get("HOSTISO_KERNEL_MODULES", f"/lib/modules/{version}"))
        if not (modules / "modules.dep").is_file():
            continue
        if not os.access(kernel, os.R_OK):
            raise Skip(f"{kernel} is not readable (run as root)")
        return kernel, modules
    if given:
        raise Skip(f"no modules.dep for {given} (set HOSTISO_KERNEL_MODULES)")
    raise Skip(f"no /boot/vmlinuz-VER with /lib/modules/VER/modules.dep ({hint})")


def _find_busybox() -> Path:
    given = os.environ.get("HOSTISO_BUSYBOX")
    names = [given] if given else ["/bin/busybox", "/usr/bin/busybox", "busybox"]
    for name in names:
        found = shutil.which(name) if not os.path.isabs(name) else name
        if found and Path(found).is_file() and _is_static_elf(Path(found)):
            return Path(found)
    raise Skip("no static busybox (Debian: apt-get install busybox-static)")


def _is_static_elf(path: Path) -> bool:
    """True for an ELF64 little-endian executable without a PT_INTERP header."""
    head = path.read_bytes()[:65536]
    if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
        return False
    phoff = int.from_bytes(head[32:40], "little")
    phentsize = int.from_bytes(head[54:56], "little")
    phnum = int.from_bytes(head[56:58], "little")
    for i in range(phnum):
        at = phoff + i * phentsize
        if int.from_bytes(head[at : at + 4], "little") == 3:  # PT_INTERP
            return False
    return True


# --- modules and the initramfs ---------------------------------------------


def module_order(modules_dir: Path, wanted: Iterable[str] = WANTED_MODULES) -> list[str]:
    """Relative paths of the wanted modules and their dependencies, in load order.

    A module built into the kernel (modules.builtin) needs nothing."""
    deps: dict[str, list[str]] = {}
    by_name: dict[str, str] = {}
    for line in (modules_dir / "modules.dep").read_text().splitlines():
        if ":" not in line:
            continue
        mod, _, rest = line.partition(":")
        deps[mod] = rest.split()
        by_name[_mod_name(mod)] = mod
    builtin: set[str] = set()
    builtin_file = modules_dir / "modules.builtin"
    if builtin_file.is_file():
        builtin = {_mod_name(x) for x in builtin_file.read_text().split()}
    order: list[str] = []

    def visit(mod: str) -> None:
        if mod in order:
            return
        # modules.dep lists a module's dependencies so that loading them from
        # last to first works; visiting each one first gives the same order.
        for dep in reversed(deps.get(mod, [])):
            visit(dep)
        order.append(mod)

    for name in wanted:
        key = name.replace("-", "_")
        if key in by_name:
            visit(by_name[key])
        elif key not in builtin:
            raise Skip(
                f"kernel module {name} is neither in modules.dep nor built in ({modules_dir})"
            )
    return order


def _mod_name(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    base = re.sub(r"\.ko(\.(xz|gz|zst))?$", "", base)
    return base.replace("-", "_")


def _module_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".ko.xz"):
        return lzma.decompress(data)
    if path.name.endswith(".ko.gz"):
        return gzip.decompress(data)
    if path.name.endswith(".ko.zst"):
        zstd = shutil.which("zstd")
        if zstd is None:
            raise Skip(f"{path} is zstd-compressed and zstd is not installed")
        return subprocess.run([zstd, "-dc", str(path)], check=True, capture_output=True).stdout
    return data


class _Cpio:
    """A newc cpio archive (what the kernel unpacks as an initramfs)."""

    def __init__(self) -> None:
        self.buf = io.BytesIO()
        self.ino = 1
        self.dirs: set[str] = set()

    def add(
        self,
        name: str,
        mode: int,
        data: bytes = b"",
        link: str | None = None,
        rdev: tuple[int, int] = (0, 0),
    ) -> None:
        parent = name.rpartition("/")[0]
        if parent and parent not in self.dirs:
            self.add(parent, 0o040755)
        if mode & 0o170000 == 0o040000:
            if name in self.dirs:
                return
            self.dirs.add(name)
        if link is not None:
            data = link.encode()
        encoded = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, *rdev, len(encoded), 0]
        self.ino += 1
        self.buf.write(b"070701" + b"".join(b"%08X" % f for f in fields) + encoded)
        self._pad()
        self.buf.write(data)
        self._pad()

    def _pad(self) -> None:
        self.buf.write(b"\0" * (-self.buf.tell() % 4))

    def finish(self) -> bytes:
        self.add("TRAILER!!!", 0)
        return self.buf.getvalue()


def build_initramfs(tools: Tools, out: Path) -> list[str]:
    """Write the gzip'd initramfs to ``out``; return the modules it loads."""
    order = module_order(tools.modules)
    archive = _Cpio()
    for d in ("bin", "dev", "etc", "lib", "lib/modules", "media", "proc", "sys", "tmp"):
        archive.add(d, 0o040755)
    archive.add("dev/console", 0o020600, rdev=(5, 1))
    archive.add("bin/busybox", 0o100755, tools.busybox.read_bytes())
    archive.add("bin/sh", 0o120777, link="busybox")
    archive.add("init", 0o100755, INIT.read_bytes())
    archive.add(
        "etc/passwd", 0o100644, b"root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n"
    )
    archive.add("etc/group", 0o100644, b"root:x:0:\nnogroup:x:65534:\n")
    blkid = shutil.which("blkid") or "/sbin/blkid"
    if os.path.isfile(blkid):
        for name, path in _with_libraries(Path(blkid)):
            target = "usr/sbin/blkid.util-linux" if path == Path(blkid) else name.lstrip("/")
            archive.add(target, 0o100755, path.read_bytes())
    names = []
    for rel in order:
        flat = re.sub(r"\.ko(\.(xz|gz|zst))?$", ".ko", rel.rsplit("/", 1)[-1])
        archive.add(f"lib/modules/{flat}", 0o100644, _module_bytes(tools.modules / rel))
        names.append(flat)
    archive.add("modules.order", 0o100644, "".join(n + "\n" for n in names).encode())
    data = archive.finish()
    out.write_bytes(gzip.compress(data, compresslevel=1, mtime=0))
    return names


def _with_libraries(binary: Path) -> list[tuple[str, Path]]:
    """The binary and the shared libraries ``ldd`` lists for it (name, real file)."""
    found = [(str(binary), binary)]
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    out = subprocess.run([ldd, str(binary)], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if m:
            found.append((m.group(1), Path(m.group(1)).resolve()))
    return found


# --- the dummy installer ISO ------------------------------------------------


def make_installer_iso(directory: Path) -> Path:
    """An ISO standing in for the Flatcar installer on the first CD drive."""
    tree = directory / "installer-tree"
    tree.mkdir(exist_ok=True)
    (tree / "README.TXT").write_text("stand-in for the installer ISO\n")
    iso = directory / "installer.iso"
    for tool in ("xorriso", "genisoimage", "mkisofs"):
        path = shutil.which(tool)
        if path is None:
            continue
        argv = [path, "-as", "mkisofs"] if tool == "xorriso" else [path]
        argv += ["-quiet", "-R", "-J", "-V", "INSTALLER", "-o", str(iso), str(tree)]
        subprocess.run(argv, check=True, capture_output=True)
        return iso
    # No ISO tool: a blank medium still takes the drive (its mount just fails).
    iso.write_bytes(bytes(64 * SECTOR))
    return iso


# --- running QEMU -----------------------------------------------------------


def run_qemu(
    tools: Tools,
    initrd: Path,
    drives: Sequence[Path],
    timeout: float,
    log: Path,
    labels: Sequence[str] = (),
) -> Boot:
    argv = [
        str(tools.qemu),
        "-nographic",
        "-no-reboot",
        "-nodefaults",
        "-serial", "stdio",
        "-accel", tools.accel,
        "-m", "512",
        "-kernel", str(tools.kernel),
        "-initrd", str(initrd),
        # no_timer_check: under TCG on a loaded host the kernel's check that
        # the timer interrupt works can miss it and panic
        "-append", f"console=ttyS0 panic=-1 quiet no_timer_check hostiso.ncd={len(drives)}"
        + (f" hostiso.labels={','.join(labels)}" if labels else ""),
    ]  # fmt: skip
    for index, drive in enumerate(drives):
        argv += ["-drive", f"file={drive},media=cdrom,if=ide,index={index},readonly=on"]
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
        console = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        console = (out if isinstance(out, bytes) else out.encode()).decode("utf-8", "replace")
        code = None
    seconds = time.monotonic() - start
    log.write_text(console)
    return parse_console(list(drives), console, seconds, code)


def parse_console(drives: list[Path], console: str, seconds: float, code: int | None) -> Boot:
    devices: dict[str, DeviceView] = {}
    insmod: list[str] = []
    boot_dmesg: list[str] = []
    findfs: dict[str, str] = {}
    done = False
    listing: list[str] | None = None
    for raw in console.splitlines():
        line = raw.rstrip("\r")
        if not line.startswith("@@"):
            continue
        kind, _, rest = line[2:].partition(" ")
        if kind == "LS":
            if listing is not None:
                listing.append(rest)
            continue
        if kind == "LS-BEGIN":
            dev, variant = rest.split()[:2]
            listing = devices[dev].listings.setdefault(variant, [])
            continue
        if kind == "LS-END":
            listing = None
            continue
        if kind == "INSMOD":
            insmod.append(rest)
        elif kind == "FINDFS":
            label, _, text = rest.partition(" ")
            findfs[label] = text
        elif kind == "DONE":
            done = True
        elif kind == "DEV":
            dev, _, sysfs = rest.partition(" ")
            devices[dev] = DeviceView(dev, sysfs=sysfs.removeprefix("sysfs="))
        elif kind == "DEVSHA":
            dev, sha, size = [*rest.split(), "", ""][:3]
            devices[dev].sha256 = sha
            devices[dev].size = size.removeprefix("size=")
        elif kind == "PVDLABEL":
            dev, _, label = rest.partition(" ")
            devices[dev].pvd_label = label.rstrip()
        elif kind == "BLKID":
            dev, _, text = rest.partition(" ")
            devices[dev].blkid = text
        elif kind == "MOUNT":
            status, dev, variant, *more = rest.split()
            devices[dev].mounts[variant] = " ".join([status, *more])
        elif kind == "FILE":
            dev, variant, fields = rest.split(" ", 2)
            devices[dev].files.setdefault(variant, []).append(_file_fields(fields))
        elif kind == "DMESG":
            where, _, text = rest.partition(" ")
            if where == "boot":
                boot_dmesg.append(text)
            elif where in devices:
                devices[where].dmesg.append(text)
    shas = {d: _sha(d) for d in drives if d.is_file()}
    return Boot(drives, console, seconds, code, devices, insmod, boot_dmesg, done, findfs, shas)


def _file_fields(text: str) -> dict[str, str]:
    # mode=400 owner=0:0 size=123 sha256=... nobody_reads=no name=config.json
    head, _, name = text.partition(" name=")
    fields = dict(item.partition("=")[::2] for item in head.split())
    fields["name"] = name
    fields["uid"], _, fields["gid"] = fields.pop("owner", ":").partition(":")
    return fields


# --- checking ---------------------------------------------------------------


def iso_label(data: bytes) -> str:
    return data[16 * SECTOR + 40 : 16 * SECTOR + 72].decode("ascii", "replace").rstrip()


def check_device(target: Target, view: DeviceView, iso_bytes: bytes) -> list[str]:
    """Everything wrong with what the kernel showed of ``target``."""
    problems: list[str] = []
    where = f"{target.iso} on /dev/{view.dev}"
    if view.sha256 != hashlib.sha256(iso_bytes).hexdigest():
        problems.append(f"{where}: the device does not read back as the ISO file")
    if view.size and view.size != str(len(iso_bytes)):
        problems.append(f"{where}: device size {view.size}, ISO file {len(iso_bytes)} bytes")
    if view.pvd_label != target.label:
        problems.append(f"{where}: PVD label {view.pvd_label!r}, expected {target.label!r}")
    blkid = view.blkid.split()
    if blkid != ["none"] and not {f"LABEL={target.label}", "TYPE=iso9660"} <= set(blkid):
        problems.append(f"{where}: blkid says {view.blkid!r}, expected LABEL={target.label}")
    want_sha = hashlib.sha256(target.expected).hexdigest()
    for variant in NAME_VARIANTS:
        status = view.mounts.get(variant, "missing")
        if not status.startswith("ok"):
            problems.append(f"{where}: mount ({variant}) failed: {status}")
            continue
        files = view.files.get(variant, [])
        names = [f["name"] for f in files]
        if names != [target.name]:
            problems.append(f"{where}: ({variant}) names {names}, expected [{target.name!r}]")
            continue
        (f,) = files
        if f.get("sha256") != want_sha or f.get("size") != str(len(target.expected)):
            problems.append(
                f"{where}: ({variant}) {target.name} has {f.get('size')} bytes sha256 "
                f"{f.get('sha256')}, expected {len(target.expected)} bytes {want_sha} "
                f"({target.expected_from})"
            )
        if variant in RR_VARIANTS and (f.get("mode"), f.get("uid"), f.get("gid")) != RR_MODE:
            problems.append(
                f"{where}: ({variant}) mode {f.get('mode')} uid {f.get('uid')} gid "
                f"{f.get('gid')}, expected 400 0 0 from Rock Ridge"
            )
    for line in view.dmesg:
        if DMESG_BAD.search(line):
            problems.append(f"{where}: kernel log: {line}")
    return problems


def check_boot(
    boot: Boot, targets: dict[Path, Target], images: dict[Path, bytes], notes: list[str]
) -> list[str]:
    """Problems with one boot; remarks that are no failure go to ``notes``."""
    problems: list[str] = []
    if boot.returncode is None:
        problems.append(f"QEMU timed out after {boot.seconds:.0f} s")
    if not boot.done:
        problems.append("the guest did not finish (see the console log)")
    for line in boot.insmod:
        if not line.startswith("ok"):
            problems.append(f"insmod {line}")
    by_sha = {sha: d for d, sha in boot.drive_sha.items()}
    for index, drive in enumerate(boot.drives):
        dev = f"sr{index}"
        view = boot.devices.get(dev)
        if view is None or by_sha.get(view.sha256) != drive:
            # Find it by content; report a different order (the operator's
            # /dev/sr1 would then be another disc).
            found = [v for v in boot.devices.values() if by_sha.get(v.sha256) == drive]
            if not found:
                if drive in targets:
                    problems.append(f"{drive}: no CD device reads back as this ISO")
                continue
            problems.append(
                f"{drive} is /dev/{found[0].dev}, expected /dev/{dev} (drive index {index})"
            )
            view = found[0]
        if drive in targets:
            problems += check_device(targets[drive], view, images[drive])
            label = targets[drive].label
            said = boot.findfs.get(label, "").strip()
            if said != f"/dev/{view.dev}":
                text = (
                    f"{drive}: busybox findfs LABEL={label} says {said!r}, expected /dev/{view.dev}"
                )
                if len(images[drive]) < BUSYBOX_VOLUME_ID_MIN:
                    # busybox's volume_id reads 0x11000 bytes before it tries
                    # iso9660 and gives up on a shorter device.
                    notes.append(
                        f"{text} (busybox volume_id needs >= {BUSYBOX_VOLUME_ID_MIN} bytes)"
                    )
                else:
                    problems.append(text)
    return problems


# --- reporting --------------------------------------------------------------


def describe(boot: Boot, targets: dict[Path, Target]) -> str:
    lines = [f"boot: {len(boot.drives)} CD drive(s), {boot.seconds:.1f} s, exit {boot.returncode}"]
    for view in sorted(boot.devices.values(), key=lambda v: v.dev):
        drive = next((d for d, sha in boot.drive_sha.items() if view.sha256 == sha), None)
        role = str(drive) if drive in targets else "(installer stand-in)" if drive else "(?)"
        lines.append(f"  /dev/{view.dev} {role}  sysfs {view.sysfs}")
        lines.append(f"    PVD label {view.pvd_label!r}; {view.blkid}")
        for variant, status in view.mounts.items():
            files = view.files.get(variant, [])
            shown = ", ".join(
                f"{f['name']} {f.get('mode')} {f.get('uid')}:{f.get('gid')} {f.get('size')} B"
                f" nobody_reads={f.get('nobody_reads')}"
                for f in files
            )
            lines.append(f"    {variant:9} {status.split(' ')[0]:4} {shown}")
        for line in view.listings.get("default", []):
            lines.append(f"    ls -la /media: {line}")
        for line in view.dmesg:
            lines.append(f"    dmesg: {line}")
    return "\n".join(lines)


def _sha(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


# --- the command ------------------------------------------------------------


def parse_target(spec: str, name: str) -> Target:
    iso_s, _, rest = spec.partition("=")
    expected_s, _, label = rest.partition("=")
    iso = Path(iso_s)
    if not iso.is_file():
        raise Usage(f"{iso}: no such ISO")
    if expected_s:
        expected_path = Path(expected_s)
    else:
        host = iso.name.removesuffix(".iso")
        expected_path = iso.resolve().parent.parent / "build" / f"{host}.ign"
        if not expected_path.is_file():
            raise Usage(f"{iso}: no {expected_path}; give ISO=EXPECTED")
    data = iso.read_bytes()
    return Target(
        iso=iso.resolve(),
        expected=expected_path.read_bytes(),
        expected_from=str(expected_path),
        label=label or iso_label(data),
        name=name,
    )


def run_checks(
    targets: list[Target],
    *,
    installer: bool = True,
    timeout: float = 300,
    accel: str | None = None,
    keep: Path | None = None,
    verbose: bool = False,
    out: object = sys.stdout,
) -> tuple[list[str], list[str], list[Boot]]:
    """Boot as often as needed; return the problems found, notes and the boots."""
    tools = find_tools(accel)
    write = out.write  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="hostiso-kernel-") as tmp_s:
        tmp = Path(keep) if keep else Path(tmp_s)
        tmp.mkdir(parents=True, exist_ok=True)
        initrd = tmp / "initramfs.cpio.gz"
        modules = build_initramfs(tools, initrd)
        write(f"kernel {tools.kernel}, modules {' '.join(modules)}, accel {tools.accel}\n")
        per_boot = IDE_SLOTS - 1 if installer else IDE_SLOTS
        lead = [make_installer_iso(tmp)] if installer else []
        problems: list[str] = []
        notes: list[str] = []
        boots: list[Boot] = []
        for start in range(0, len(targets), per_boot):
            batch = targets[start : start + per_boot]
            drives = lead + [t.iso for t in batch]
            images = {t.iso: t.iso.read_bytes() for t in batch}
            log = tmp / f"console-{len(boots)}.log"
            boot = run_qemu(tools, initrd, drives, timeout, log, [t.label for t in batch])
            boots.append(boot)
            found = check_boot(boot, {t.iso: t for t in batch}, images, notes)
            write(describe(boot, {t.iso: t for t in batch}) + "\n")
            if found or verbose:
                write(
                    f"  console log: {log}{'' if keep else ' (removed at exit; use --keep DIR)'}\n"
                )
            if found and verbose:
                write(boot.console[-4000:] + "\n")
            problems += found
        return problems, notes, boots


def default_targets() -> list[str]:
    return [str(p) for p in sorted((REPO / "out").glob("*.iso"))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("isos", nargs="*", metavar="ISO[=EXPECTED[=LABEL]]")
    parser.add_argument("--name", default="config.json", help="the file the ISO must hold")
    parser.add_argument(
        "--no-installer", action="store_true", help="no stand-in installer ISO on the first drive"
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds per boot (300)")
    parser.add_argument("--accel", choices=["tcg", "kvm"], help="QEMU accelerator (tcg)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the initramfs and logs")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    try:
        specs = args.isos or default_targets()
        if not specs:
            raise Usage("no ISOs given and no out/*.iso (run make hosts)")
        targets = [parse_target(s, args.name) for s in specs]
        started = time.monotonic()
        problems, notes, boots = run_checks(
            targets,
            installer=not args.no_installer,
            timeout=args.timeout,
            accel=args.accel,
            keep=args.keep,
            verbose=args.verbose,
        )
    except Skip as exc:
        print(f"mount_check: skipped: {exc}", file=sys.stderr)
        return SKIP
    except Usage as exc:
        print(f"mount_check: {exc}", file=sys.stderr)
        return 2
    took = time.monotonic() - started
    for note in notes:
        print(f"note: {note}")
    for problem in problems:
        print(f"FAIL: {problem}")
    verdict = "FAILED" if problems else "ok"
    print(f"mount_check: {verdict}: {len(targets)} ISO(s), {len(boots)} boot(s), {took:.1f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
