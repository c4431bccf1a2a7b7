"""``hostiso installer``: the fleet checks, the image checks, and no output on any error."""

from __future__ import annotations

import bz2
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import LOGIN, build_ok, heads, installer_guest, run, write_fleet

HERE = Path(__file__).resolve().parent
ENV = {"SOURCE_DATE_EPOCH": "1700000000"}
OUT = "out/installer.iso"


g = installer_guest()
pytestmark = pytest.mark.skipif(shutil.which("isoinfo") is None, reason="isoinfo is missing")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        parts = g.find_iso_parts()
    except g.Skip as exc:
        pytest.skip(str(exc))
    return g.dummy_base_iso(parts, tmp_path_factory.mktemp("base"))  # type: ignore[no-any-return]


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    root = write_fleet(
        tmp_path / "fleet",
        {
            "overlays/all.yaml": LOGIN + "install:\n  device: /dev/sda\n",
            "configs/a.yaml": "install:\n  match: {mac: '52:54:00:00:00:0a'}\n",
            "configs/b.yaml": "network: {mac: '52:54:00:00:00:0b', addresses: [10.0.0.2/24]}\n",
        },
    )
    image = tmp_path / "flatcar_production_image.bin.bz2"
    image.write_bytes(bz2.compress(b"disk image" * 1000))
    return root


def image_of(fleet: Path) -> Path:
    return fleet.parent / "flatcar_production_image.bin.bz2"


def installer(fleet: Path, base: Path, *more: str) -> tuple[int, str, str]:
    argv = ["installer", "--base", str(base), "--image", str(image_of(fleet)), *more]
    return run(argv, fleet, env=ENV)


def extract(iso: Path, name: str) -> bytes:
    argv = ["isoinfo", "-R", "-i", str(iso), "-x", name]
    return subprocess.run(argv, check=True, capture_output=True).stdout


def test_configs_are_the_build_outputs(fleet: Path, base: Path) -> None:
    build_ok(fleet, env=ENV)
    rc, out, err = installer(fleet, base)
    assert (rc, err) == (0, "")
    iso = fleet / OUT
    for host in ("a", "b"):
        assert (
            extract(iso, f"/hostiso/configs/{host}.ign")
            == (fleet / "build" / f"{host}.ign").read_bytes()
        )
    digest = hashlib.sha512(image_of(fleet).read_bytes()).hexdigest()
    assert out.splitlines()[1:] == [
        "  hosts (2): a b",
        f"  image: flatcar_production_image.bin.bz2 SHA-512 {digest}",
    ]
    assert iso.stat().st_mode & 0o777 == 0o600
    first = iso.read_bytes()
    assert installer(fleet, base)[0] == 0
    assert iso.read_bytes() == first  # SOURCE_DATE_EPOCH: the same bytes


def test_one_host_needs_nothing_to_match(fleet: Path, base: Path) -> None:
    write_fleet(fleet, {"configs/c.yaml": "network: {interface: eth0}\n"})
    rc, _, err = installer(fleet, base, "-o", "c.iso", "c")
    assert (rc, err) == (0, "")
    index = extract(fleet / "c.iso", "/hostiso/index").decode()
    assert [ln.split()[:3] for ln in index.splitlines() if not ln.startswith("#")] == [
        ["host", "c", "0"]
    ]


def test_several_hosts_each_need_something_to_match(fleet: Path, base: Path) -> None:
    write_fleet(fleet, {"configs/c.yaml": "network: {interface: eth0}\n"})
    rc, _, err = installer(fleet, base, "a", "c")
    assert rc == 1
    assert heads(err) == [
        "configs/c.yaml:1:1: error: nothing to match this host on: with several hosts on one "
        "installer ISO, give install.match (mac, serial or uuid) or network.mac [install-no-match]"
    ]
    assert not (fleet / OUT).exists()


def test_a_host_with_errors_or_no_device_writes_nothing(fleet: Path, base: Path) -> None:
    write_fleet(
        fleet,
        {
            "overlays/all.yaml": LOGIN,
            "configs/a.yaml": "install:\n  device: /dev/sda\n  match: {mac: '52:54:00:00:00:0a'}\n",
            "configs/b.yaml": "install:\n  match: {mac: '52:54:00:00:00'}\n",
            "configs/c.yaml": "network: {interface: eth0}\n",
        },
    )
    rc, _, err = installer(fleet, base)
    assert rc == 1
    assert heads(err) == [
        "configs/b.yaml:2:3: error: install.device is required: the disk the installer "
        "writes this host to [missing-install-device]",
        "configs/b.yaml:2:16: error: '52:54:00:00:00' is not a MAC address like "
        "52:54:00:12:34:56 [bad-install-id]",
        "configs/c.yaml:1:1: error: this host has no install: section (install.device is "
        "required on the installer) [missing-install-device]",
    ]
    assert not (fleet / "out").exists()
    (fleet / "out").mkdir()  # where the image is copied ahead: nothing may be left
    assert installer(fleet, base)[0] == 1
    assert list((fleet / "out").iterdir()) == []
    rc, _, err = installer(fleet, base, "a", "nope")
    assert err == "configs/nope.yaml: error: no host file configs/nope.yaml [no-such-host]\n"


def test_image_problems_write_nothing(fleet: Path, base: Path) -> None:
    rc, _, err = run(["installer", "--base", str(base), "--image", "missing.bin.bz2"], fleet)
    assert (rc, err) == (1, "missing.bin.bz2: error: no such image file [image-missing]\n")
    digests = image_of(fleet).with_name("flatcar_production_image.bin.bz2.DIGESTS")
    digests.write_text(f"# SHA512 HASH\n{'0' * 128}  flatcar_production_image.bin.bz2\n")
    rc, _, err = installer(fleet, base)
    assert rc == 1 and "does not match flatcar_production_image.bin.bz2.DIGESTS" in err
    assert "[image-digest]" in err
    assert not (fleet / "out").exists()
    right = hashlib.sha512(image_of(fleet).read_bytes()).hexdigest().upper()
    digests.write_text(
        f"# MD5 HASH\nabc  flatcar_production_image.bin.bz2\n# SHA512 HASH\n"
        f"{right}  flatcar_production_image.bin.bz2\n"
    )
    assert installer(fleet, base)[0] == 0


def test_base_problems_are_reported_at_the_base(fleet: Path, base: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.iso"
    junk.write_bytes(b"\0" * 100000)
    rc, _, err = run(["installer", "--base", str(junk)], fleet, env=ENV)
    assert rc == 1
    assert err.startswith(f"{junk}: error: not an ISO 9660 image")
    assert err.rstrip().endswith("[base-not-iso]")
    rc, _, err = run(["installer", "--base", str(base)], fleet, env={"SOURCE_DATE_EPOCH": "x"})
    assert rc == 2 and "SOURCE_DATE_EPOCH" in err


def test_the_digest_is_kept_for_an_unchanged_image(
    fleet: Path, base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hostiso.media import image

    assert installer(fleet, base)[0] == 0
    assert (fleet / "build" / ".installer-image-digests").stat().st_mode & 0o777 == 0o600

    def no_hashing(path: Path, *_: object) -> str:
        raise AssertionError("hashed again")

    monkeypatch.setattr(image, "sha512_file", no_hashing)
    assert installer(fleet, base)[0] == 0
    os.utime(image_of(fleet), ns=(1, 1))
    with pytest.raises(AssertionError, match="hashed again"):
        installer(fleet, base)


@pytest.fixture(scope="module")
def gpg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A signing key: (GNUPGHOME, armored public key file); the gpg-agent that
    gpg starts for it is stopped afterwards."""
    if shutil.which("gpg") is None or shutil.which("gpgv") is None:
        pytest.skip("gpg and gpgv are needed")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Test <t@example.invalid>",
         "ed25519", "sign", "never"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    key = home / "key.asc"
    key.write_bytes(
        subprocess.run(
            ["gpg", "--batch", "--armor", "--export"], env=env, check=True, capture_output=True
        ).stdout
    )
    try:
        yield home, key
    finally:
        kill = ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"]
        subprocess.run(kill, env=env, check=False, capture_output=True)


def sign(home: Path, path: Path) -> None:
    env = {**os.environ, "GNUPGHOME": str(home)}
    sig = path.with_name(path.name + ".sig")
    argv = ["gpg", "--batch", "--yes", "--detach-sign", "-o", str(sig), str(path)]
    subprocess.run(argv, env=env, check=True, capture_output=True)


def test_signature_checked_with_gpgv(fleet: Path, base: Path, gpg: tuple[Path, Path]) -> None:
    home, key = gpg
    image = image_of(fleet)
    rc, _, err = installer(fleet, base, "--image-key", str(key))
    assert rc == 1 and "--image-key is given but there is no signature file" in err
    sign(home, image)
    rc, _, err = installer(fleet, base)
    assert rc == 0 and "warning: flatcar_production_image.bin.bz2.sig is not checked" in err
    (fleet / OUT).unlink()
    rc, _, err = installer(fleet, base, "--image-key", str(key))
    assert (rc, err) == (0, "")
    (fleet / OUT).unlink()
    image.write_bytes(image.read_bytes() + b"tampered")
    rc, _, err = installer(fleet, base, "--image-key", str(key))
    assert rc == 1 and "gpgv rejects the signature" in err and "BAD signature" in err
    assert "[image-signature]" in err
    assert not (fleet / OUT).exists()


def test_the_installer_never_replaces_a_host_iso(fleet: Path, base: Path) -> None:
    write_fleet(fleet, {"configs/installer.yaml": "install: {match: {serial: S9}}\n"})
    build_ok(fleet, "installer", env=ENV)
    before = (fleet / OUT).read_bytes()
    rc, _, err = installer(fleet, base)
    assert rc == 1 and "would replace host installer's config ISO" in err
    assert (fleet / OUT).read_bytes() == before
    assert installer(fleet, base, "-o", "out/fleet-installer.iso")[0] == 0


def test_a_host_name_the_index_cannot_hold(fleet: Path, base: Path) -> None:
    write_fleet(fleet, {"configs/web+1.yaml": "install: {match: {serial: S7}}\n"})
    rc, _, err = installer(fleet, base)
    assert rc == 1
    assert err.startswith(
        "configs/web+1.yaml:1:1: error: a host on the installer needs a name of 1-60 "
        "characters of A-Z a-z 0-9 . _ - [bad-host-name]\n"
    )
