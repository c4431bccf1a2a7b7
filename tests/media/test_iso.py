"""Config ISO images, read back with isoinfo, xorriso and pycdlib."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pycdlib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostiso.media import iso
from hostiso.media.iso import build_iso, build_iso_direct, validate_label, volume_label

EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z
DR_DATE = bytes([123, 11, 14, 22, 13, 20, 0])  # years since 1900 .. seconds, GMT offset 0
VD_DATE = b"2023111422132000\x00"
SRC = Path(__file__).resolve().parents[2] / "src"
SIZES = [0, 1, 2047, 2048, 2049, 4096, 10_000]

needs_isoinfo = pytest.mark.skipif(
    shutil.which("isoinfo") is None, reason="isoinfo (Debian genisoimage) is not installed"
)
needs_xorriso = pytest.mark.skipif(
    shutil.which("xorriso") is None, reason="xorriso is not installed"
)


def content(size: int) -> bytes:
    return bytes((i * 7 + 3) % 251 for i in range(size))


def write(tmp_path: Path, image: bytes) -> Path:
    path = tmp_path / "config.iso"
    path.write_bytes(image)
    return path


def run(*argv: str | Path) -> bytes:
    return subprocess.run([str(a) for a in argv], check=True, capture_output=True).stdout


def listing_names(listing: bytes) -> list[str]:
    lines = [line for line in listing.decode().splitlines() if line.startswith(("-", "d"))]
    return [line.split("]", 1)[1].strip() for line in lines]


# --- isoinfo ----------------------------------------------------------------


@needs_isoinfo
def test_isoinfo_sees_label_rock_ridge_and_joliet(tmp_path: Path) -> None:
    path = write(tmp_path, build_iso({"config.json": content(100)}, "WEB_01", EPOCH))
    info = run("isoinfo", "-d", "-i", path).decode()
    assert "Volume id: WEB_01\n" in info
    assert "Application id: HOSTISO\n" in info
    assert "Rock Ridge signatures version 1 found" in info
    assert "Joliet with UCS level 3 found" in info
    assert "Volume size is: 32\n" in info


@needs_isoinfo
@pytest.mark.parametrize(
    ("flag", "names"),
    [("-R", ["config.json"]), ("-J", ["config.json"]), ("-f", ["/CONFIG.JSO;1"])],
)
def test_isoinfo_names(tmp_path: Path, flag: str, names: list[str]) -> None:
    path = write(tmp_path, build_iso({"config.json": b"{}"}, "H", EPOCH))
    if flag == "-f":
        assert run("isoinfo", "-f", "-i", path).decode().split() == names
    else:
        assert listing_names(run("isoinfo", flag, "-l", "-i", path))[2:] == names


@needs_isoinfo
def test_rock_ridge_mode_and_owner(tmp_path: Path) -> None:
    path = write(tmp_path, build_iso({"config.json": b"{}"}, "H", EPOCH))
    lines = run("isoinfo", "-R", "-l", "-i", path).decode().splitlines()
    (line,) = [x for x in lines if x.endswith(" config.json ")]
    assert line.split()[:4] == ["-r--------", "1", "0", "0"]


@needs_isoinfo
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("flag", ["-R", "-J"])
def test_isoinfo_extracts_exact_bytes(tmp_path: Path, size: int, flag: str) -> None:
    data = content(size)
    path = write(tmp_path, build_iso({"config.json": data}, "HOST", EPOCH))
    assert run("isoinfo", flag, "-i", path, "-x", "/config.json") == data
    listing = run("isoinfo", flag, "-l", "-i", path).decode()
    assert f" {size} " in listing.splitlines()[-1]


@needs_isoinfo
def test_several_files_and_clashing_iso9660_names(tmp_path: Path) -> None:
    files = {"config.json": b"a", "config.jsonx": b"bb", "README": b"ccc"}
    path = write(tmp_path, build_iso(files, "MULTI", EPOCH))
    assert sorted(run("isoinfo", "-f", "-i", path).decode().split()) == [
        "/CONFIG.JSO;1",
        "/CONFIG1.JSO;1",
        "/README.;1",
    ]
    assert listing_names(run("isoinfo", "-R", "-l", "-i", path))[2:] == [
        "config.json",  # directory order follows the ISO 9660 names
        "config.jsonx",
        "README",
    ]
    for name, data in files.items():
        assert run("isoinfo", "-R", "-i", path, "-x", f"/{name}") == data
        assert run("isoinfo", "-J", "-i", path, "-x", f"/{name}") == data


# --- xorriso ----------------------------------------------------------------


@needs_xorriso
def test_xorriso_lists_rock_ridge_names(tmp_path: Path) -> None:
    path = write(tmp_path, build_iso({"config.json": content(3000)}, "HOST", EPOCH))
    out = run("xorriso", "-indev", path, "-find", "/", "-exec", "lsdl", "--").decode()
    rows = [line.split() for line in out.splitlines()]
    assert [row[-1] for row in rows] == ["'/'", "'/config.json'"]
    assert rows[1][:5] == ["-r--------", "1", "0", "0", "3000"]


@needs_xorriso
@pytest.mark.parametrize("size", [0, 2048, 5000])
def test_xorriso_extracts_content_and_times(tmp_path: Path, size: int) -> None:
    data = content(size)
    path = write(tmp_path, build_iso({"config.json": data}, "HOST", EPOCH))
    target = tmp_path / "out"
    run("xorriso", "-osirrox", "on", "-indev", path, "-extract", "/", target)
    assert sorted(p.name for p in target.iterdir()) == ["config.json"]
    extracted = target / "config.json"
    assert extracted.read_bytes() == data
    assert extracted.stat().st_mtime == EPOCH  # Rock Ridge TF modification time
    assert extracted.stat().st_mode & 0o7777 == 0o400
    target.chmod(0o755)


# --- dates and determinism --------------------------------------------------


def test_every_date_is_the_epoch_in_utc() -> None:
    image = build_iso({"config.json": content(5000), "b": b"x"}, "HOST", EPOCH)
    pvd = image[16 * 2048 : 17 * 2048]
    assert [pvd[813 + 17 * i : 830 + 17 * i] for i in range(4)] == [
        VD_DATE,  # creation
        VD_DATE,  # modification
        b"0" * 16 + b"\x00",  # expiration: not specified
        VD_DATE,  # effective
    ]
    reader = pycdlib.PyCdlib()
    reader.open_fp(io.BytesIO(image))
    records = [*reader.list_children(iso_path="/"), *reader.list_children(joliet_path="/")]
    assert len(records) == 8
    for record in records:
        assert record.date.record() == DR_DATE
        tf = record.rock_ridge.dr_entries.tf_record if record.rock_ridge else None
        stamps = [] if tf is None else [tf.creation_time, tf.access_time, tf.modification_time]
        assert all(s is None or s.record() == DR_DATE for s in stamps)
    joliet_vd = image[17 * 2048 : 18 * 2048]
    assert joliet_vd[0] == 2 and joliet_vd[813:830] == VD_DATE
    reader.close()


def test_the_real_clock_and_timezone_do_not_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"config.json": content(3000)}
    expected = build_iso_direct(files, "HOST", EPOCH)
    ist = 19_800  # +05:30 as a fake local zone on a fake "now"
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.5)
    monkeypatch.setattr(time, "localtime", lambda s=None: time.gmtime((s or 2e9) + ist))
    assert build_iso_direct(files, "HOST", EPOCH) == expected
    iso._layout_template.cache_clear()
    assert build_iso(files, "HOST", EPOCH) == expected


def test_clock_stand_in_is_pinned_only_during_a_build() -> None:
    build_iso_direct({"a": b""}, "A", EPOCH)
    users = [m for n, m in sys.modules.items() if n.startswith("pycdlib.") and hasattr(m, "time")]
    assert {m.__name__ for m in users} >= {"pycdlib.dates", "pycdlib.headervd", "pycdlib.pycdlib"}
    assert all(m.time is iso._CLOCK for m in users)
    assert abs(iso._CLOCK.time() - time.time()) < 5
    assert iso._CLOCK.localtime(0) == time.localtime(0)


TZ_SCRIPT = """
import hashlib, sys
from hostiso.media.iso import build_iso, build_iso_direct
files = {"config.json": bytes(range(256)) * 17}
for build in (build_iso, build_iso_direct):
    print(hashlib.sha256(build(files, "TZ_TEST", 1700000000)).hexdigest())
"""


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_same_bytes_in_any_timezone(tz: str) -> None:
    env = {**os.environ, "TZ": tz, "PYTHONPATH": str(SRC)}
    out = subprocess.run(
        [sys.executable, "-c", TZ_SCRIPT], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    expected = hashlib.sha256(
        build_iso({"config.json": bytes(range(256)) * 17}, "TZ_TEST", EPOCH)
    ).hexdigest()
    assert out == [expected, expected]


def test_rebuild_and_insertion_order_give_same_bytes() -> None:
    first = build_iso({"a.txt": b"1", "config.json": b"{}"}, "HOST", EPOCH)
    assert build_iso({"config.json": b"{}", "a.txt": b"1"}, "HOST", EPOCH) == first
    assert build_iso_direct({"config.json": b"{}", "a.txt": b"1"}, "HOST", EPOCH) == first
    assert build_iso({"a.txt": b"1", "config.json": b"{}"}, "HOST", EPOCH + 1) != first


# --- the template cache -----------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_cached_equals_direct_at_sector_edges(size: int) -> None:
    files = {"config.json": content(size)}
    assert build_iso(files, "EDGE", EPOCH) == build_iso_direct(files, "EDGE", EPOCH)
    layout = (("config.json", -(-size // 2048)),)
    assert iso._layout_template(EPOCH, layout) is not None  # no silent fallback


@settings(max_examples=60, deadline=None)
@given(
    files=st.dictionaries(
        st.from_regex(r"[a-z0-9_-][a-z0-9._-]{0,20}", fullmatch=True),
        st.binary(max_size=7000),
        min_size=1,
        max_size=3,
    ),
    label=st.from_regex(r"[A-Z0-9_]{1,16}", fullmatch=True),
    epoch=st.sampled_from([0, 1, EPOCH, 2_147_483_648, 4_102_444_800]),
)
def test_cached_equals_direct(files: dict[str, bytes], label: str, epoch: int) -> None:
    assert build_iso(files, label, epoch) == build_iso_direct(files, label, epoch)


def test_template_reused_across_sizes_within_a_sector_count() -> None:
    iso._layout_template.cache_clear()
    for size in (2049, 3000, 4096):
        build_iso({"config.json": content(size)}, f"S{size}", EPOCH)
    info = iso._layout_template.cache_info()
    assert (info.misses, info.hits) == (1, 2)


# --- labels -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("node1", "NODE1"),
        ("web-01", "WEB_01"),
        ("db.prod", "DB_PROD"),
        ("abcdefghijklmnop", "ABCDEFGHIJKLMNOP"),
        ("abcdefghijklmnopq", "ABCDEFGHIJK_918A"),
        ("web-01.example.com", "WEB_01_EXAM_1258"),
        ("web-01.example.org", "WEB_01_EXAM_682B"),
        ("Ünïcode", "_N_CODE"),
        ("", "CONFIG"),
    ],
)
def test_volume_label(name: str, label: str) -> None:
    assert volume_label(name) == label
    assert validate_label(label) is None


def test_volume_label_hash_is_sha256_of_the_name() -> None:
    name = "a-very-long-hostname.example.com"
    digest = hashlib.sha256(name.encode()).hexdigest().upper()
    assert volume_label(name) == "A_VERY_LONG_" + digest[:4]


@given(st.text(max_size=80))
def test_volume_label_is_always_valid(name: str) -> None:
    assert validate_label(volume_label(name)) is None


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("HOST_01", None),
        ("A" * 16, None),
        ("", "volume label is empty"),
        ("A" * 17, f"volume label '{'A' * 17}' has 17 characters; at most 16 are allowed"),
        ("web-01", "volume label 'web-01' may use only A-Z, 0-9 and _, not '-', 'b', 'e', 'w'"),
        ("A B", "volume label 'A B' may use only A-Z, 0-9 and _, not ' '"),
    ],
)
def test_validate_label(label: str, problem: str | None) -> None:
    assert validate_label(label) == problem


@pytest.mark.parametrize(
    ("files", "label", "epoch", "message"),
    [
        ({"c": b""}, "bad-label", EPOCH, "may use only"),
        ({"c": b""}, "", EPOCH, "volume label is empty"),
        ({"a/b": b""}, "L", EPOCH, "file name 'a/b'"),
        ({".hidden": b""}, "L", EPOCH, "file name '.hidden'"),
        ({"x" * 65: b""}, "L", EPOCH, "must be 1-64 characters"),
        ({"c": b""}, "L", -1, "epoch -1 is outside"),
        ({"c": b""}, "L", 5_869_584_000, "epoch 5869584000 is outside"),
    ],
)
def test_invalid_inputs_raise(
    files: dict[str, bytes], label: str, epoch: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_iso(files, label, epoch)
