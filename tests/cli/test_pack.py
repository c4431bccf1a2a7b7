"""``hostiso pack FILE.json -o OUT.iso [--label L]``: the genisoimage step on its own."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from conftest import LOGIN, build_ok, needs_isoinfo, run, write_fleet

CONFIG = b'{"ignition":{"version":"2.3.0"}}'


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    (tmp_path / "web-01.json").write_bytes(CONFIG)
    return tmp_path


def volume_id(iso: Path) -> str:
    info = subprocess.run(
        ["isoinfo", "-d", "-i", str(iso)], capture_output=True, text=True, check=True
    ).stdout
    (line,) = [ln for ln in info.splitlines() if ln.startswith("Volume id: ")]
    return line.removeprefix("Volume id: ")


def extract(iso: Path, *flags: str) -> bytes:
    return subprocess.run(
        ["isoinfo", *flags, "-x", "/config.json", "-i", str(iso)], capture_output=True, check=True
    ).stdout


@needs_isoinfo
def test_pack_with_default_label(cwd: Path) -> None:
    assert run(["pack", "web-01.json", "-o", "web-01.iso"], cwd) == (0, "", "")
    iso = cwd / "web-01.iso"
    assert volume_id(iso) == "WEB_01"
    assert extract(iso, "-R") == CONFIG
    assert extract(iso, "-J") == CONFIG
    assert stat.S_IMODE(iso.stat().st_mode) == 0o600


@needs_isoinfo
@pytest.mark.parametrize("argv", [["--label", "FRONT_01"], ["--label=FRONT_01"]])
def test_pack_with_label(cwd: Path, argv: list[str]) -> None:
    assert run(["pack", "web-01.json", "--output", "out.iso", *argv], cwd) == (0, "", "")
    assert volume_id(cwd / "out.iso") == "FRONT_01"


@pytest.mark.parametrize(
    ("label", "message"),
    [
        (
            "front-01",
            "volume label 'front-01' may use only A-Z, 0-9 and _, not '-', 'f', 'n', 'o', 'r', 't'",
        ),
        (
            "ABCDEFGHIJKLMNOPQ",
            "volume label 'ABCDEFGHIJKLMNOPQ' has 17 characters; at most 16 are allowed",
        ),
        ("A B", "volume label 'A B' may use only A-Z, 0-9 and _, not ' '"),
    ],
)
def test_bad_label_is_a_usage_error(cwd: Path, label: str, message: str) -> None:
    rc, out, err = run(["pack", "web-01.json", "-o", "out.iso", "--label", label], cwd)
    assert (rc, out, err) == (2, "", f"hostiso pack: error: --label: {message}\n")
    assert not (cwd / "out.iso").exists()


def test_empty_label_is_a_usage_error(cwd: Path) -> None:
    rc, _, err = run(["pack", "web-01.json", "-o", "out.iso", "--label", ""], cwd)
    assert (rc, err) == (2, "hostiso pack: error: --label: volume label is empty\n")
    assert not (cwd / "out.iso").exists()


def test_missing_input_exits_1(cwd: Path) -> None:
    rc, out, err = run(["pack", "nope.json", "-o", "out.iso"], cwd)
    assert (rc, out, err) == (1, "", "hostiso pack: error: nope.json: No such file or directory\n")
    assert not (cwd / "out.iso").exists()


def test_missing_output_option_exits_2(cwd: Path) -> None:
    rc, out, err = run(["pack", "web-01.json"], cwd)
    assert (rc, out) == (2, "")
    assert err.splitlines()[-1] == (
        "hostiso pack: error: the following arguments are required: -o/--output"
    )


def test_pack_is_reproducible(cwd: Path) -> None:
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    for name in ("a.iso", "b.iso"):
        assert run(["pack", "web-01.json", "-o", name], cwd, env=env) == (0, "", "")
    assert (cwd / "a.iso").read_bytes() == (cwd / "b.iso").read_bytes()
    assert run(["pack", "web-01.json", "-o", "c.iso"], cwd) == (0, "", "")
    assert (cwd / "c.iso").read_bytes() != (cwd / "a.iso").read_bytes()


def test_pack_matches_build(tmp_path: Path) -> None:
    write_fleet(tmp_path, {"overlays/all.yaml": LOGIN, "configs/web-01.yaml": "{}\n"})
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    build_ok(tmp_path, env=env)
    argv = ["pack", "build/web-01.ign", "-o", "packed.iso", "--label", "WEB_01"]
    assert run(argv, tmp_path, env=env) == (0, "", "")
    assert (tmp_path / "packed.iso").read_bytes() == (tmp_path / "out/web-01.iso").read_bytes()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"not json\n", "in.json:1:1: error: not JSON: Expecting value [invalid-json]"),
        (b"", "in.json:1:1: error: not JSON: Expecting value [invalid-json]"),
        (b'{\n  "ignition": }\n', "in.json:2:15: error: not JSON: Expecting value [invalid-json]"),
        (b"{} {}\n", "in.json:1:4: error: not JSON: Extra data [invalid-json]"),
        (
            b'{"a": "\x00"}',
            "in.json:1:8: error: not JSON: a control character inside a string "
            "(write it as \\u00XX) [invalid-json]",
        ),
        (
            b'\xef\xbb\xbf{"a": 1}',
            "in.json:1:1: error: not JSON: it starts with a byte order mark (BOM) [invalid-json]",
        ),
        (
            b"\n  [1]\n",
            "in.json:2:3: error: expected a JSON object (an Ignition config), not an array "
            "[invalid-json]",
        ),
        (
            b'"x"',
            "in.json:1:1: error: expected a JSON object (an Ignition config), not a string "
            "[invalid-json]",
        ),
        (
            b"null",
            "in.json:1:1: error: expected a JSON object (an Ignition config), not null "
            "[invalid-json]",
        ),
        (b'{"a":\n "\xff"}', "in.json:2:3: error: not UTF-8: byte 0xff [invalid-json]"),
    ],
)
def test_input_that_is_not_a_json_object_is_refused(cwd: Path, text: bytes, message: str) -> None:
    (cwd / "in.json").write_bytes(text)
    rc, out, err = run(["pack", "in.json", "-o", "out.iso"], cwd)
    assert (rc, out, err) == (1, "", message + "\n")
    assert not (cwd / "out.iso").exists()


SECRET = "-----BEGIN%20EC%20PRIVATE%20KEY-----%0AMHcCAQEEIFAKE"
HASH = "$6$rounds=4096$saltsalt$FAKEHASH"
SECRET_CONFIG = (
    '{"ignition":{"version":"2.3.0"},"passwd":{"users":[{"name":"core","passwordHash":"'
    + HASH
    + '"}]},"storage":{"files":[{"path":"/etc/ssl/etcd/key.pem","contents":{"source":"data:,'
    + SECRET
    + '"}}]}}'
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            SECRET_CONFIG[:-1].encode(),
            f"in.json:1:{len(SECRET_CONFIG)}: error: not JSON: Expecting ',' delimiter "
            "[invalid-json]",
        ),
        (
            (SECRET_CONFIG + "}").encode(),
            f"in.json:1:{len(SECRET_CONFIG) + 1}: error: not JSON: Extra data [invalid-json]",
        ),
        (
            SECRET_CONFIG.encode() + b"\xff",
            f"in.json:1:{len(SECRET_CONFIG) + 1}: error: not UTF-8: byte 0xff [invalid-json]",
        ),
        (
            f"[{SECRET_CONFIG}]".encode(),
            "in.json:1:1: error: expected a JSON object (an Ignition config), not an array "
            "[invalid-json]",
        ),
    ],
    ids=["truncated", "extra-data", "not-utf8", "array"],
)
@pytest.mark.parametrize("env", [{}, {"GITHUB_ACTIONS": "true"}], ids=["text", "github"])
def test_a_refused_input_is_never_quoted(
    cwd: Path, text: bytes, message: str, env: dict[str, str]
) -> None:
    (cwd / "in.json").write_bytes(text)
    rc, out, err = run(["pack", "in.json", "-o", "out.iso"], cwd, env=env)
    assert (rc, out) == (1, "")
    assert SECRET not in err and HASH not in err and "passwordHash" not in err
    if not env:
        assert err == message + "\n"


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("a-dir", "a-dir: error: cannot write: Is a directory"),
        ("a-dir/", "a-dir/: error: cannot write: Is a directory"),
        ("a-file/x.iso", "a-file/x.iso: error: cannot write: Not a directory"),
        ("/proc/x.iso", "/proc/x.iso: error: cannot write: No such file or directory"),
    ],
)
def test_an_output_that_cannot_be_written(cwd: Path, output: str, message: str) -> None:
    if output.startswith("/proc") and not Path("/proc/self").is_dir():
        pytest.skip("needs /proc")
    (cwd / "a-dir").mkdir()
    (cwd / "a-file").write_text("x\n")
    assert run(["pack", "web-01.json", "-o", output], cwd) == (1, "", message + "\n")
    assert sorted(p.name for p in cwd.iterdir()) == ["a-dir", "a-file", "web-01.json"]
    assert list((cwd / "a-dir").iterdir()) == []


REFUSED = "is not a JSON number (the installer refuses it)"
OVERFLOW = "a number too large for the installer (it overflows a float64)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"a": NaN}', f"in.json:1:7: error: not JSON: NaN {REFUSED} [invalid-json]"),
        (
            b'{"a": [1,\n Infinity]}',
            f"in.json:2:2: error: not JSON: Infinity {REFUSED} [invalid-json]",
        ),
        (b'{"a": -Infinity}', f"in.json:1:7: error: not JSON: -Infinity {REFUSED} [invalid-json]"),
        (b'{"a": 1e999999}', f"in.json:1:7: error: not JSON: {OVERFLOW} [invalid-json]"),
        (b'{"a": -1e400}', f"in.json:1:7: error: not JSON: {OVERFLOW} [invalid-json]"),
        (
            b'{"NaN 1e999": "\\" 1e999", "b": 1' + b"0" * 5000 + b"}",
            f"in.json:1:32: error: not JSON: {OVERFLOW} [invalid-json]",
        ),
    ],
    ids=["nan", "infinity", "minus-infinity", "overflow", "negative-overflow", "long-integer"],
)
def test_numbers_the_installer_refuses(cwd: Path, text: bytes, message: str) -> None:
    """Issue 11, defect 12: Go's encoding/json (the installer's) rejects these."""
    (cwd / "in.json").write_bytes(text)
    rc, out, err = run(["pack", "in.json", "-o", "out.iso"], cwd)
    assert (rc, out, err) == (1, "", message + "\n")
    assert not (cwd / "out.iso").exists()


def test_large_but_finite_numbers_are_packed(cwd: Path) -> None:
    (cwd / "in.json").write_bytes(b'{"a": 1e308, "b": -1.5e-400, "c": 12345678901234567890}')
    assert run(["pack", "in.json", "-o", "out.iso"], cwd) == (0, "", "")
