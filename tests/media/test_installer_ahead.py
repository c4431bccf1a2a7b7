"""Copies made ahead (:mod:`hostiso.media.installer_ahead`): the same bytes whatever happens.

The installer ISO written with the data copied ahead equals the one written
without; a wrong guess of the hosts, or stray bytes in the temporary file,
cost a second write, never a byte of the output.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import installer_guest
from hostiso.media.fastcopy import Copy, Done
from hostiso.media.installer import HostEntry, Image, Prefilled, write_installer
from hostiso.media.installer_ahead import Ahead

HERE = Path(__file__).resolve().parent
EPOCH = 1_700_000_000
HOSTS = [
    HostEntry("web-1", "/dev/sda", False, (("mac", "52:54:00:00:00:01"),), b'{"a":1}'),
    HostEntry("web-2", "/dev/sdb", True, (("serial", "S2"),), b'{"b":2}'),
]
pytestmark = pytest.mark.skipif(shutil.which("isoinfo") is None, reason="isoinfo is missing")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    g = installer_guest()
    try:
        parts = g.find_iso_parts()
    except g.Skip as exc:
        pytest.skip(str(exc))
    # an initramfs of 2 MiB: the base has a file big enough to copy ahead
    return g.dummy_base_iso(parts, tmp_path_factory.mktemp("base"), 2 << 20)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    path = tmp_path_factory.mktemp("image") / "flatcar_production_image.bin.bz2"
    path.write_bytes(bytes(range(256)) * 12000 + b"tail")
    return Image(path, hashlib.sha512(path.read_bytes()).hexdigest())


@pytest.fixture(scope="module")
def reference(base: Path, image: Image, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("reference") / "installer.iso"
    write_installer(base, HOSTS, image, out, EPOCH)
    return out.read_bytes()


def _written(base: Path, image: Image, out: Path, stems: list[str]) -> Done:
    ahead = Ahead(base, image.path, out, stems, None)
    try:
        prefilled = ahead.prefilled()
        assert prefilled is not None
        write_installer(base, HOSTS, image, out, EPOCH, prefilled)
    finally:
        ahead.close()
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    assert out.stat().st_mode & 0o777 == 0o600
    return prefilled.done


def test_the_copies_made_ahead_are_the_output(
    base: Path, image: Image, reference: bytes, tmp_path: Path
) -> None:
    done = _written(base, image, tmp_path / "installer.iso", ["web-2", "web-1"])
    sources = {c.length for c in done.copies}
    assert image.path.stat().st_size in sources and len(sources) == 2  # the image, the initrd
    assert done.all_used
    assert (tmp_path / "installer.iso").read_bytes() == reference


def test_a_wrong_guess_of_the_hosts_is_written_again(
    base: Path, image: Image, reference: bytes, tmp_path: Path
) -> None:
    guess = [f"a-host-with-a-long-name-{n:03d}" for n in range(60)]  # directories grow
    done = _written(base, image, tmp_path / "installer.iso", guess)
    assert done.copies and not done.all_used
    assert (tmp_path / "installer.iso").read_bytes() == reference


@pytest.mark.parametrize("copies", [frozenset(), frozenset({Copy("0:0:0:0:0", 0, 4096, 8)})])
def test_bytes_no_copy_accounts_for_are_written_over(
    base: Path, image: Image, reference: bytes, tmp_path: Path, copies: frozenset[Copy]
) -> None:
    out = tmp_path / "installer.iso"
    stray = tmp_path / ".installer.iso.tmp"
    stray.write_bytes(b"\xff" * (len(reference) + 4096))
    write_installer(base, HOSTS, image, out, EPOCH, Prefilled(stray, Done(copies)))
    assert out.read_bytes() == reference
    assert [p.name for p in tmp_path.iterdir()] == ["installer.iso"]


def test_nothing_is_left_when_the_ahead_is_not_used(
    base: Path, image: Image, tmp_path: Path
) -> None:
    ahead = Ahead(base, image.path, tmp_path / "installer.iso", ["web-1"], None)
    digest = ahead.digest()
    assert digest is not None and digest[1:] == (image.sha512, False)
    ahead.close()
    assert list(tmp_path.iterdir()) == []
    missing = Ahead(base, image.path, tmp_path / "no-such-dir" / "installer.iso", [], None)
    assert missing.prefilled() is None
    missing.close()
    assert list(tmp_path.iterdir()) == []
