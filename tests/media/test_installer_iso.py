"""The remastered installer ISO, read back with isoinfo, xorriso and blkid (no QEMU).

The base is tests/kernel/installer_guest.py's stand-in Flatcar ISO (Debian's
isolinux, Flatcar's layout and mkisofs flags, isohybrid) with a dummy kernel.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import installer_guest
from hostiso.media.errors import MediaError
from hostiso.media.installer import HostEntry, Image, install_script, write_installer

HERE = Path(__file__).resolve().parent
EPOCH = 1_700_000_000
SECTOR = 2048


g = installer_guest()
needs_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("isoinfo", "xorriso", "blkid")),
    reason="needs isoinfo (genisoimage), xorriso and blkid",
)
pytestmark = needs_tools

HOSTS = [
    HostEntry(
        "web-2", "/dev/sda", True, (("serial", "CZ 2A"),), b'{"ignition":{"version":"2.3.0"}}'
    ),
    HostEntry(
        "web-1",
        "/dev/disk/by-path/pci-0000:00:1f.2-ata-1",
        False,
        (("mac", "52:54:00:00:00:01"), ("uuid", "4c4c4544-0042-3510-8052-b4c04f5a4d32")),
        b'{"ignition":{"version":"2.3.0"},"passwd":{}}',
    ),
]


@pytest.fixture(scope="module")
def parts() -> object:
    try:
        return g.find_iso_parts()
    except g.Skip as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def base(parts: object, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return g.dummy_base_iso(parts, tmp_path_factory.mktemp("base"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    path = tmp_path_factory.mktemp("image") / "flatcar_production_image.bin.bz2"
    path.write_bytes(bytes(range(256)) * 40000 + b"tail")
    return Image(path, hashlib.sha512(path.read_bytes()).hexdigest())


@pytest.fixture(scope="module")
def iso(base: Path, image: Image, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "installer.iso"
    write_installer(base, HOSTS, image, out, EPOCH)
    return out


def extract(iso: Path, name: str) -> bytes:
    argv = ["isoinfo", "-R", "-i", str(iso), "-x", name]
    return subprocess.run(argv, check=True, capture_output=True).stdout


def test_hostiso_directory(iso: Path, image: Image) -> None:
    listing = subprocess.run(
        ["isoinfo", "-R", "-l", "-i", str(iso)], check=True, capture_output=True, text=True
    ).stdout
    assert extract(iso, "/hostiso/install.sh") == install_script()
    assert extract(iso, "/hostiso/configs/web-1.ign") == HOSTS[1].config
    assert extract(iso, "/hostiso/configs/web-2.ign") == HOSTS[0].config
    assert extract(iso, "/hostiso/flatcar_production_image.bin.bz2") == image.path.read_bytes()
    assert extract(iso, "/hostiso/image.sha512") == (
        f"{image.sha512}  flatcar_production_image.bin.bz2\n".encode()
    )
    index = extract(iso, "/hostiso/index").decode().splitlines()
    sha1, sha2 = (hashlib.sha512(h.config).hexdigest() for h in HOSTS[::-1])
    assert [ln for ln in index if not ln.startswith("#")] == [
        f"host web-1 0 {sha1} /dev/disk/by-path/pci-0000:00:1f.2-ata-1",
        "mac web-1 52:54:00:00:00:01",
        "uuid web-1 4c4c4544-0042-3510-8052-b4c04f5a4d32",
        f"host web-2 1 {sha2} /dev/sda",
        "serial web-2 CZ 2A",
    ]
    config_lines = [ln for ln in listing.splitlines() if ln.rstrip().endswith(".ign")]
    assert config_lines and all(ln.startswith("-r--------") for ln in config_lines)


def test_boot_config(iso: Path, base: Path) -> None:
    cfg = extract(iso, "/syslinux/syslinux.cfg").decode()
    label = volume_label(iso)
    assert label.startswith("HOSTISO_") and len(label) == 16
    install = cfg.split("label install\n", 1)[1].split("\n\n", 1)[0]
    append = install.splitlines()[-1].strip()
    assert append.startswith("append initrd=/flatcar/cpio.gz flatcar.autologin console=ttyS0")
    assert "systemd.unit=kernel-command-line.target" in append
    assert "systemd.run_success_action=none systemd.run_failure_action=none" in append
    assert f"mount -r -t iso9660 /dev/disk/by-label/{label} /run/hostiso/media" in append
    assert "$" not in append.split("systemd.run=", 1)[1]  # ExecStart= would expand it
    original = extract(base, "/syslinux/syslinux.cfg").decode()
    block = original.split("label flatcar\n", 1)[1].replace("  menu default\n", "")
    assert cfg.endswith("label manual\n" + block)
    assert cfg.startswith("serial 0 115200\ndefault install\nsay hostiso installer:")
    assert extract(iso, "/isolinux/isolinux.cfg") == extract(base, "/isolinux/isolinux.cfg")


def volume_label(iso: Path) -> str:
    out = subprocess.run(
        ["blkid", "-p", "-o", "value", "-s", "LABEL", str(iso)], capture_output=True
    )
    return out.stdout.decode().strip()


def test_el_torito_and_boot_info_table(iso: Path) -> None:
    data = iso.read_bytes()
    catalog = struct.unpack_from("<I", data, 17 * SECTOR + 0x47)[0]
    entry = data[catalog * SECTOR + 32 : catalog * SECTOR + 64]
    assert entry[0] == 0x88  # bootable, no emulation
    sectors, lba = struct.unpack_from("<HI", entry, 6)
    assert sectors == 4
    pvd, file_lba, length, checksum = struct.unpack_from("<IIII", data, lba * SECTOR + 8)
    assert (pvd, file_lba) == (16, lba)
    boot = data[lba * SECTOR : lba * SECTOR + length]
    assert boot.startswith(Path(g.ISOLINUX_BIN[0]).read_bytes()[:8])
    padded = boot + bytes(-len(boot) % 4)
    assert checksum == sum(struct.unpack_from(f"<{(len(padded) - 64) // 4}I", padded, 64)) % 2**32
    report = subprocess.run(
        ["xorriso", "-indev", str(iso), "-report_el_torito", "plain"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "boot-info-table" in report and "/isolinux/isolinux.bin" in report


def test_isohybrid_mbr(iso: Path, base: Path) -> None:
    data = iso.read_bytes()
    before = base.read_bytes()
    assert data[:432] == before[:432]  # isohybrid's boot code, untouched
    catalog = struct.unpack_from("<I", data, 17 * SECTOR + 0x47)[0]
    lba = struct.unpack_from("<I", data, catalog * SECTOR + 32 + 8)[0]
    assert struct.unpack_from("<I", data, 432)[0] == lba * 4  # where the MBR finds isolinux.bin
    status, kind = data[446], data[446 + 4]
    start, count = struct.unpack_from("<II", data, 446 + 8)
    assert (status, kind, start) == (0x80, 0x17, 0)
    assert count * 512 == len(data) and len(data) % (1 << 20) == 0
    assert data[510:512] == b"\x55\xaa"
    report = subprocess.run(
        ["xorriso", "-indev", str(iso), "-report_system_area", "plain"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "MBR isohybrid" in report


def test_deterministic_private_and_atomic(
    iso: Path, base: Path, image: Image, tmp_path: Path
) -> None:
    again = tmp_path / "again.iso"
    write_installer(base, list(reversed(HOSTS)), image, again, EPOCH)
    assert again.read_bytes() == iso.read_bytes()
    assert again.stat().st_mode & 0o777 == 0o600
    later = tmp_path / "later.iso"
    write_installer(base, HOSTS, image, later, EPOCH + 1)
    assert later.read_bytes() != iso.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.iso", "later.iso"]


def _mkisofs(tree: Path, out: Path, *boot: str) -> Path:
    subprocess.run(
        ["genisoimage", "-quiet", "-l", "-r", "-J", "-o", str(out), *boot, str(tree)],
        check=True,
    )
    return out


def test_unusable_bases_write_nothing(base: Path, image: Image, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "isolinux").mkdir(parents=True)
    (tree / "isolinux" / "isolinux.bin").write_bytes(b"\0" * 4096)
    (tree / "isolinux" / "isolinux.cfg").write_text("label x\n  append initrd=/i\n")
    plain = _mkisofs(tree, tmp_path / "plain.iso")
    other = _mkisofs(
        tree,
        tmp_path / "other.iso",
        *("-b", "isolinux/isolinux.bin", "-c", "boot.cat", "-no-emul-boot"),
    )
    junk = tmp_path / "junk.iso"
    junk.write_bytes(b"junk" * 50000)
    out = tmp_path / "out.iso"
    out.write_bytes(b"an earlier installer")
    cases = [
        (junk, "base-not-iso", "not an ISO 9660 image"),
        (plain, "base-not-isolinux", "no El Torito boot record"),
        (other, "base-not-isolinux", "its El Torito boot image is not isolinux"),
        (tmp_path / "missing.iso", "base-unreadable", "cannot read"),
    ]
    for path, code, message in cases:
        with pytest.raises(MediaError) as caught:
            write_installer(path, HOSTS, image, out, EPOCH)
        assert (caught.value.code, caught.value.path) == (code, str(path))
        assert message in caught.value.message
    assert out.read_bytes() == b"an earlier installer"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_base_without_isohybrid_is_said_to_boot_from_cd_only(
    base: Path, image: Image, tmp_path: Path
) -> None:
    plain = tmp_path / "plain-base.iso"
    data = bytearray(base.read_bytes())
    data[:512] = bytes(512)  # as mkisofs wrote it, before isohybrid
    plain.write_bytes(data)
    out = tmp_path / "out.iso"
    assert not write_installer(plain, HOSTS, image, out, EPOCH).usb
    assert out.read_bytes()[510:512] != b"\x55\xaa"
    assert write_installer(base, HOSTS, image, out, EPOCH).usb


def test_a_base_remastered_twice_is_refused(iso: Path, image: Image, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="already has a label 'install'"):
        write_installer(iso, HOSTS, image, tmp_path / "twice.iso", EPOCH)


def test_an_image_changed_while_written_is_no_output(
    base: Path, image: Image, tmp_path: Path
) -> None:
    changed = Image(image.path, image.sha512, "0:0:0:0:0")
    out = tmp_path / "out.iso"
    with pytest.raises(MediaError, match="the image changed"):
        write_installer(base, HOSTS, changed, out, EPOCH)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("shell", ["dash", "busybox"])
def test_the_install_script_is_posix_sh(shell: str, tmp_path: Path) -> None:
    found = shutil.which(shell)
    if found is None:
        pytest.skip(f"{shell} is not installed")
    script = tmp_path / "install.sh"
    script.write_bytes(install_script())
    argv = [found, "sh", "-n", str(script)] if shell == "busybox" else [found, "-n", str(script)]
    assert subprocess.run(argv, capture_output=True, text=True).stderr == ""
    assert install_script().startswith(b"#!/bin/sh\n")
    assert b"\nset -eu\n" in install_script()


def test_the_kernel_copy_writes_what_pycdlib_writes(
    iso: Path, base: Path, image: Image, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib

    from hostiso.media import installer

    monkeypatch.setattr(installer, "kernel_copy", contextlib.nullcontext)
    slow = tmp_path / "slow.iso"
    write_installer(base, HOSTS, image, slow, EPOCH)
    assert slow.read_bytes() == iso.read_bytes()
