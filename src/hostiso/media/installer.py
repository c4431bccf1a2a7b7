"""The unattended installer ISO: the operator's Flatcar (or CoreOS) live ISO, remastered.

pycdlib opens the base ISO and adds ``/hostiso/``:

* ``install.sh``: the install script (this package's ``install.sh``);
* ``index``: one ``host NAME WIPE CONFIG-SHA512 DEVICE`` line per host and
  ``mac|serial|uuid NAME VALUE`` lines, what the script matches on;
* ``configs/NAME.ign``: each host's Ignition config, the bytes given (mode 0400);
* the OS image under its own name, copied from disk when the ISO is written,
  and ``image.sha512`` (``sha512sum -c`` format).

The isolinux configuration gets a new default label ``install``: the original
label's ``append`` line plus :func:`kernel_args`; the original label stays as
``manual`` (:mod:`hostiso.media.isolinux`).  The volume label becomes
``HOSTISO_`` and 8 hex digits of a digest of what was added, so two installers
never share a ``/dev/disk/by-label`` name.  pycdlib keeps the El Torito
catalog, patches isolinux's boot-info table for the boot file's new place and
rewrites the isohybrid MBR (boot file address, partition size), so the ISO
still boots from a CD and from a USB stick.

The same inputs give the same bytes: every date pycdlib writes is ``epoch``.
The output is written to a temporary file (mode 0600) renamed into place; the
file data is copied by the kernel (:mod:`hostiso.media.fastcopy`), never read
into memory.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pycdlib
from pycdlib import inode
from pycdlib.pycdlibexception import PyCdlibException

from hostiso.media import isolinux
from hostiso.media.errors import MediaError
from hostiso.media.fastcopy import Done, kernel_copy
from hostiso.media.image import stat_key
from hostiso.media.iso import pinned_clock

SECTOR = 2048
MOUNT = "/run/hostiso/media"
WAIT_MEDIA = 30  # tries, 2 s apart
MAX_ISO_FILE = 0xFFFFFFFF  # ISO 9660 file sizes are 32-bit
MAX_CONFIG_FILE = 1 << 20
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")
SAY = (
    "hostiso installer: 'install' (the default) installs this machine's host unattended;"
    " type 'manual' for the live system"
)
CONFIG_MODE = 0o100400
PUBLIC_MODE = 0o100444
SCRIPT_MODE = 0o100555


@dataclass(frozen=True)
class HostEntry:
    """One host on the installer."""

    stem: str
    device: str
    wipe: bool
    identifiers: tuple[tuple[str, str], ...]  # (mac|serial|uuid, normalized value)
    config: bytes


@dataclass(frozen=True)
class Image:
    path: Path
    sha512: str
    stat_key: str = ""
    """:func:`hostiso.media.image.stat_key` when the digest was taken: the ISO is
    not written if the file changed since."""


@dataclass(frozen=True)
class Prefilled:
    """The temporary output file, and the file data already copied into it."""

    path: Path
    done: Done


@dataclass(frozen=True)
class Written:
    label: str
    size: int
    base_label: str
    usb: bool
    """The base had isohybrid's MBR, and so has the installer: it boots from a USB stick."""


def kernel_args(label: str) -> str:
    """What the ``install`` label adds to the kernel command line.

    systemd-run-generator turns ``systemd.run=`` into kernel-command-line.service
    (after the switch to the live root, with udev running); its ExecStart=
    splits words like a unit file, expands ``$`` and is no shell, hence ``sh -c``
    and no ``$`` anywhere.  ``systemd.unit=`` boots its target even where
    ``default.target`` is pinned in /etc.  Both actions are ``none``: the
    script reboots, powers off or starts the console login itself.
    """
    dev = f"/dev/disk/by-label/{label}"
    tries = " ".join(str(n) for n in range(1, WAIT_MEDIA + 1))
    script = (
        f"for i in {tries}; do test -b {dev} && break; sleep 2; done;"
        f" mkdir -p {MOUNT} && mount -r -t iso9660 {dev} {MOUNT}"
        f" && exec /bin/sh {MOUNT}/hostiso/install.sh {MOUNT};"
        f" echo hostiso: the installer media {dev} is missing;"
        " systemctl --no-block isolate multi-user.target; exit 1"
    )
    return (
        "systemd.unit=kernel-command-line.target"
        " systemd.run_success_action=none systemd.run_failure_action=none"
        f" systemd.run=\"/bin/sh -c '{script}'\""
    )


def install_script() -> bytes:
    return resources.files("hostiso.media").joinpath("install.sh").read_bytes()


def index_text(hosts: Sequence[HostEntry]) -> str:
    lines = [
        "# hostiso installer index, read by install.sh",
        "# host NAME WIPE CONFIG-SHA512 DEVICE / mac|serial|uuid NAME VALUE",
    ]
    for host in hosts:
        digest = hashlib.sha512(host.config).hexdigest()
        lines.append(f"host {host.stem} {int(host.wipe)} {digest} {host.device}")
        lines += [f"{kind} {host.stem} {value}" for kind, value in host.identifiers]
    return "\n".join(lines) + "\n"


def volume_label(index: str, image: Image | None) -> str:
    seed = hashlib.sha256(index.encode() + install_script())
    seed.update((image.sha512 if image else "").encode())
    return "HOSTISO_" + seed.hexdigest()[:8].upper()


def write_installer(
    base: Path,
    hosts: Sequence[HostEntry],
    image: Image | None,
    output: Path,
    epoch: int,
    ahead: Prefilled | None = None,
) -> Written:
    """Write the installer ISO to ``output``; raise MediaError for an unusable base or image.

    ``ahead``: the temporary file with file data already copied to its place
    (:mod:`hostiso.media.installer_ahead`); it becomes the output.
    """
    index = index_text(sorted(hosts, key=lambda h: h.stem))
    label = volume_label(index, image)
    with opened(base) as iso, pinned_clock(epoch):
        base_label = assemble(iso, base, hosts, index, image, label)
        size = _write_atomic(iso, output, image, ahead)
        usb = iso.isohybrid_mbr is not None
    return Written(label, size, base_label, usb)


def assemble(
    iso: Any, base: Path, hosts: Sequence[HostEntry], index: str, image: Image | None, label: str
) -> str:
    """Make the opened base the installer (in memory); the base's volume label."""
    _check_names(hosts, image)
    base_label = _volume_id(iso)
    _check_isolinux(iso, base)
    _rewrite_config(iso, base, label)
    _add_hostiso(iso, sorted(hosts, key=lambda h: h.stem), index, image)
    _set_label(iso, label)
    return base_label


def _check_names(hosts: Sequence[HostEntry], image: Image | None) -> None:
    for host in hosts:
        if not NAME_RE.fullmatch(host.stem):
            raise MediaError(
                "bad-host-name",
                host.stem,
                "host names on the installer must be "
                "1-60 characters of A-Z a-z 0-9 . _ - (not starting with . _ -)",
            )
    if image is not None and not NAME_RE.fullmatch(image.path.name):
        raise MediaError(
            "image-name",
            str(image.path),
            "the image's file name must be 1-60 characters of A-Z a-z 0-9 . _ - (the ISO keeps it)",
        )


@contextmanager
def opened(base: Path) -> Iterator[Any]:
    iso = pycdlib.PyCdlib()
    try:
        iso.open(str(base))
    except OSError as exc:
        raise MediaError("base-unreadable", str(base), f"cannot read: {exc.strerror}") from None
    except PyCdlibException as exc:
        raise MediaError("base-not-iso", str(base), f"not an ISO 9660 image: {exc}") from None
    try:
        yield iso
    finally:
        iso.close()


def _volume_id(iso: Any) -> str:
    return bytes(iso.pvd.volume_identifier).decode("ascii", "replace").strip()


# --- the boot configuration ----------------------------------------------------


def _check_isolinux(iso: Any, base: Path) -> None:
    catalog = iso.eltorito_boot_catalog
    if catalog is None:
        raise MediaError("base-not-isolinux", str(base), "no El Torito boot record (not bootable)")
    if not iso.has_rock_ridge():
        raise MediaError("base-not-isolinux", str(base), "no Rock Ridge names (mkisofs -r)")
    with inode.InodeOpenData(catalog.initial_entry.inode, SECTOR) as (fp, length):
        head = fp.read(min(length, 1 << 16))
    if b"ISOLINUX" not in head:
        raise MediaError("base-not-isolinux", str(base), "its El Torito boot image is not isolinux")


def _read_text(iso: Any, path: str) -> str | None:
    try:
        record = iso.get_record(rr_path=path)
    except PyCdlibException:
        return None
    if record.is_dir() or record.get_data_length() > MAX_CONFIG_FILE:
        return None
    out = io.BytesIO()
    iso.get_file_from_iso_fp(out, rr_path=path)
    return out.getvalue().decode("utf-8", "replace")


def _rewrite_config(iso: Any, base: Path, label: str) -> None:
    try:
        config = isolinux.read_config(lambda p: _read_text(iso, p))
        changed = isolinux.add_install_label(config, kernel_args(label), SAY)
    except isolinux.ConfigError as exc:
        raise MediaError("base-not-isolinux", str(base), str(exc)) from None
    for path, text in changed.items():
        _replace_file(iso, path, text.encode())


def _replace_file(iso: Any, rr_path: str, data: bytes) -> None:
    record = iso.get_record(rr_path=rr_path)
    iso_path = iso.full_path_from_dirrecord(record)
    joliet = _joliet_path(iso, rr_path)
    mode = record.rock_ridge.get_file_mode() if record.rock_ridge else PUBLIC_MODE
    iso.rm_file(iso_path=iso_path, joliet_path=joliet)
    name = rr_path.rsplit("/", 1)[1]
    iso.add_fp(
        io.BytesIO(data), len(data), iso_path, rr_name=name, joliet_path=joliet, file_mode=mode
    )


def _joliet_path(iso: Any, rr_path: str) -> str | None:
    if not iso.has_joliet():
        return None
    try:
        iso.get_record(joliet_path=rr_path)
    except PyCdlibException:
        return None
    return rr_path


# --- /hostiso -------------------------------------------------------------------


def _add_hostiso(iso: Any, hosts: Sequence[HostEntry], index: str, image: Image | None) -> None:
    joliet = iso.has_joliet()
    iso.add_directory("/HOSTISO", rr_name="hostiso", joliet_path="/hostiso" if joliet else None)
    configs = "/hostiso/configs" if joliet else None
    iso.add_directory("/HOSTISO/CONFIGS", rr_name="configs", joliet_path=configs)
    _add_bytes(iso, "/HOSTISO/INSTALL.SH;1", "install.sh", install_script(), SCRIPT_MODE)
    _add_bytes(iso, "/HOSTISO/INDEX.TXT;1", "index", index.encode(), PUBLIC_MODE)
    for number, host in enumerate(hosts, start=1):
        where = f"/HOSTISO/CONFIGS/H{number:07d}.IGN;1"
        _add_bytes(iso, where, f"configs/{host.stem}.ign", host.config, CONFIG_MODE)
    if image is not None:
        _add_image(iso, image)


def _add_bytes(iso: Any, iso_path: str, rel: str, data: bytes, mode: int) -> None:
    joliet = f"/hostiso/{rel}" if iso.has_joliet() else None
    iso.add_fp(
        io.BytesIO(data),
        len(data),
        iso_path,
        rr_name=rel.rsplit("/", 1)[-1],
        joliet_path=joliet,
        file_mode=mode,
    )


def _add_image(iso: Any, image: Image) -> None:
    name = image.path.name
    size = image.path.stat().st_size
    if size > MAX_ISO_FILE:
        raise MediaError(
            "image-too-large",
            str(image.path),
            f"{size} bytes: an ISO 9660 file holds at most {MAX_ISO_FILE} (use the .bin.bz2 image)",
        )
    ext = "BZ2" if name.endswith(".bz2") else "BIN"
    joliet = f"/hostiso/{name}" if iso.has_joliet() else None
    iso.add_file(
        str(image.path),
        f"/HOSTISO/IMAGE.{ext};1",
        rr_name=name,
        joliet_path=joliet,
        file_mode=PUBLIC_MODE,
    )
    line = f"{image.sha512}  {name}\n".encode()
    _add_bytes(iso, "/HOSTISO/IMAGE.SHA;1", "image.sha512", line, PUBLIC_MODE)


def _set_label(iso: Any, label: str) -> None:
    iso.pvd.volume_identifier = label.encode("ascii").ljust(32)
    if iso.joliet_vd is not None:
        iso.joliet_vd.volume_identifier = (label + " " * 16).encode("utf-16_be")[:32]


def _write_atomic(iso: Any, output: Path, image: Image | None, ahead: Prefilled | None) -> int:
    tmp = temporary(output)
    try:
        written = _write_ahead(iso, ahead) if ahead is not None else None
        if written is None:
            written = _write_new(iso, tmp)
        size = written.stat().st_size
        if image is not None and image.stat_key and stat_key(image.path) != image.stat_key:
            raise MediaError(
                "image-changed", str(image.path), "the image changed while it was read"
            )
        os.replace(written, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        if ahead is not None:
            ahead.path.unlink(missing_ok=True)
        raise
    return size


def temporary(output: Path) -> Path:
    """The file the ISO is written to before it is renamed to ``output``."""
    return output.with_name(f".{output.name}.{os.getpid()}.tmp")


def _write_ahead(iso: Any, ahead: Prefilled) -> Path | None:
    """Write into the file the copies were made in, or None when a copy was not
    found at its place (its bytes are no part of the output: the file is
    removed, and the ISO written anew)."""
    if ahead.done.copies:
        with open(ahead.path, "r+b") as fh, kernel_copy(ahead.done):
            os.fchmod(fh.fileno(), 0o600)
            iso.write_fp(fh, blocksize=1 << 20)
        if ahead.done.all_used:
            return ahead.path
    ahead.path.unlink(missing_ok=True)
    return None


def _write_new(iso: Any, tmp: Path) -> Path:
    """A new file, never one truncated: ext4 starts writing a file out when one
    truncated to nothing is closed (auto_da_alloc), which costs as much as the copy."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        with kernel_copy():
            iso.write_fp(fh, blocksize=1 << 20)
    return tmp
