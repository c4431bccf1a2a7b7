"""``hostiso passwd`` and ``hostiso pki init|status``, run in-process."""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from passlib.hash import sha512_crypt

from conftest import build_ok, run, tls_fleet

PASSWORD = "pä ss:word$1"
_HASH = re.compile(r"^\$6\$(?:rounds=(\d+)\$)?([./0-9A-Za-z]{16})\$[./0-9A-Za-z]{86}$")


def system_crypt(password: str, hashed: str) -> str | None:
    """glibc/libxcrypt crypt(3) through Python's crypt module (gone in 3.13), else None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt
        except ImportError:
            return None
    result: str | None = crypt.crypt(password, hashed)
    return result


@pytest.mark.parametrize(
    ("argv", "rounds"),
    [(["passwd"], None), (["passwd", "--rounds", "12000"], "12000")],
)
def test_passwd_hash_verifies(tmp_path: Path, argv: list[str], rounds: str | None) -> None:
    rc, out, err = run(argv, tmp_path, stdin=PASSWORD + "\n")
    assert (rc, err) == (0, "")
    hashed = out.rstrip("\n")
    assert out == hashed + "\n"
    match = _HASH.match(hashed)
    assert match is not None and match[1] == rounds
    assert sha512_crypt.verify(PASSWORD, hashed)
    assert not sha512_crypt.verify(PASSWORD + "x", hashed)
    system = system_crypt(PASSWORD, hashed)
    assert system in (None, hashed)


@pytest.mark.skipif(shutil.which("mkpasswd") is None, reason="mkpasswd missing")
def test_passwd_matches_mkpasswd(tmp_path: Path) -> None:
    rc, out, _err = run(["passwd", "--rounds", "7000"], tmp_path, stdin=PASSWORD + "\r\n")
    assert rc == 0
    salt = out.split("$")[3]
    mkpasswd = subprocess.run(
        ["mkpasswd", "-m", "sha-512", "-S", salt, "-R", "7000", "--stdin"],
        input=PASSWORD,
        capture_output=True,
        text=True,
        check=True,
    )
    assert mkpasswd.stdout == out


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl missing")
def test_passwd_matches_openssl(tmp_path: Path) -> None:
    rc, out, _err = run(["passwd"], tmp_path, stdin=PASSWORD)
    assert rc == 0
    salt = out.split("$")[2]
    result = subprocess.run(
        ["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
        input=PASSWORD,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == out


@pytest.mark.parametrize(
    ("argv", "stdin", "code", "message"),
    [
        (["passwd"], "", 1, "empty password refused\n"),
        (["passwd"], "\n", 1, "empty password refused\n"),
        (["passwd", "--rounds", "999"], "pw\n", 2, "hostiso passwd: error: --rounds must be "),
    ],
)
def test_passwd_refuses(
    tmp_path: Path, argv: list[str], stdin: str, code: int, message: str
) -> None:
    rc, out, err = run(argv, tmp_path, stdin=stdin)
    assert (rc, out) == (code, "")
    assert err.startswith(message)


def test_pki_init_creates_then_reuses(tmp_path: Path) -> None:
    rc, out, err = run(["pki", "init"], tmp_path)
    assert (rc, err) == (0, "")
    assert out.startswith("secrets/pki/ca.crt: created the etcd CA, expires ")
    key, crt = tmp_path / "secrets/pki/ca.key", tmp_path / "secrets/pki/ca.crt"
    assert key.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secrets/pki").stat().st_mode & 0o777 == 0o700
    before = key.read_bytes(), crt.read_bytes()
    rc, out, _err = run(["pki", "init"], tmp_path)
    assert rc == 0 and "uses the existing etcd CA" in out
    assert (key.read_bytes(), crt.read_bytes()) == before


def test_pki_init_rsa_and_root(tmp_path: Path) -> None:
    rc, _out, _err = run(["pki", "init", "--key-type", "rsa", "--root", "fleet"], tmp_path)
    assert rc == 0
    assert b"BEGIN PRIVATE KEY" in (tmp_path / "fleet/secrets/pki/ca.key").read_bytes()


def test_pki_init_broken(tmp_path: Path) -> None:
    (tmp_path / "secrets/pki").mkdir(parents=True)
    (tmp_path / "secrets/pki/ca.crt").write_text("x")
    rc, out, err = run(["pki", "init"], tmp_path)
    assert (rc, out) == (1, "")
    assert err == (
        "hostiso pki: error: secrets/pki/ca.crt exists without its partner; "
        "restore it or remove it\n"
    )


def test_pki_status_lists_certificates(tmp_path: Path) -> None:
    assert run(["pki", "status"], tmp_path)[1] == (
        "no certificates (run `hostiso pki init` or build the fleet)\n"
    )
    root = tls_fleet(tmp_path)
    before = datetime.now(UTC)
    build_ok(root)
    rc, out, _err = run(["pki", "status"], root)
    after = datetime.now(UTC)
    assert rc == 0
    lines = out.splitlines()
    assert len(lines) == 11

    def dates(days: int) -> set[str]:  # the build may straddle midnight (UTC)
        return {f"{t + timedelta(days=days):%Y-%m-%d}" for t in (before, after)}

    assert lines[0] in {f"ca.crt: CA; SANs: -; expires {d} (3649 days left)" for d in dates(3650)}
    assert lines[2] in {
        "ctl-1-peer.crt: CN=ctl-1; SANs: ctl-1, localhost, 10.0.0.11, 127.0.0.1; "
        f"expires {d} (364 days left)"
        for d in dates(365)
    }
    assert lines[10].startswith("w-1-client.crt: CN=w-1; SANs: w-1; expires ")
