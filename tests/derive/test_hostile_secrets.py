"""Passwords that cannot be hashed, and plaintexts that must not be shown (issue 11).

* a ``password_file`` whose first line is over 4,096 bytes or holds a NUL is an
  error at the ``password_file`` value; the other hosts build (defect 2);
* ``hostiso passwd`` says so for NUL, invalid UTF-8 and over-long input (2);
* a plaintext written as ``password_hash`` is masked in the quoted source
  line, as ``password:`` is (defect 16).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import LOGIN, heads, outputs, run, write_fleet

USER = "passwd:\n  users:\n    - name: core\n      password_file: secrets/core.password\n"
FLEET = {
    "overlays/all.yaml": LOGIN,
    "configs/good.yaml": "{}\n",
    "configs/web.yaml": USER,
}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"x" * 5000 + b"\n", "the first line of secrets/core.password is longer than 4,096 bytes"),
        (b"x" * 5000, "the first line of secrets/core.password is longer than 4,096 bytes"),
        (
            "é".encode() * 2049 + b"\n",
            "the first line of secrets/core.password is longer than 4,096 bytes",
        ),
        (
            b"ab\0cd\n",
            "secrets/core.password: the password holds a NUL byte, which crypt(3) cannot hash",
        ),
        (b"\xff\xfe\n", "secrets/core.password is not UTF-8 text"),
    ],
    ids=["long-line", "long-no-newline", "long-in-utf-8", "nul", "not-utf-8"],
)
def test_a_password_file_that_cannot_be_hashed(tmp_path: Path, data: bytes, message: str) -> None:
    write_fleet(tmp_path, {**FLEET, "secrets/core.password": ""})
    (tmp_path / "secrets/core.password").write_bytes(data)
    rc, out, err = run(["build"], tmp_path)
    assert (rc, out) == (1, "")
    assert heads(err) == [f"configs/web.yaml:4:22: error: {message} [bad-password-file]"]
    assert "Traceback" not in err and "xxxx" not in err
    assert not any(p.exists() for p in outputs(tmp_path, "web"))
    assert all(p.exists() for p in outputs(tmp_path, "good"))


def test_a_password_of_exactly_4096_bytes_is_hashed(tmp_path: Path) -> None:
    write_fleet(tmp_path, {**FLEET, "secrets/core.password": ""})
    (tmp_path / "secrets/core.password").write_bytes(b"x" * 4096 + b"\nsecond line\n")
    assert run(["build"], tmp_path) == (0, "", "")


def passwd(stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    """``hostiso passwd`` as a shell pipeline runs it: bytes on stdin."""
    return subprocess.run(
        [sys.executable, "-m", "hostiso", "passwd"],
        input=stdin,
        capture_output=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"a\0b\n", b"the password holds a NUL byte, which crypt(3) cannot hash\n"),
        (b"\xff\xfe\n", b"the password on stdin is not UTF-8 text\n"),
        (b"x" * 5000 + b"\n", b"the password is longer than 4,096 bytes\n"),
        (b"x" * 10_000_000, b"the password is longer than 4,096 bytes\n"),
        (b"\n", b"empty password refused\n"),
    ],
    ids=["nul", "not-utf-8", "long", "huge-without-newline", "empty"],
)
def test_passwd_refuses_what_it_cannot_hash(stdin: bytes, message: bytes) -> None:
    done = passwd(stdin)
    assert (done.returncode, done.stdout, done.stderr) == (1, b"", message)


def test_passwd_reads_utf_8_bytes_from_a_pipe() -> None:
    done = passwd("pä ss\n".encode())
    assert done.returncode == 0 and done.stdout.startswith(b"$6$"), done.stderr


# --- a plaintext as password_hash is never quoted ------------------------------------------

PLAINTEXT = "hunter2-is-my-password"


@pytest.mark.parametrize(
    ("user", "code", "line"),
    [
        (
            f"      password_hash: {PLAINTEXT}\n",
            "bad-password-hash",
            "configs/web.yaml:4:22: error: this is not a crypt hash (a plaintext password?); "
            "make one with `mkpasswd -m sha-512` or `hostiso passwd` [bad-password-hash]",
        ),
        (
            f"      password: {PLAINTEXT}\n",
            "plaintext-password",
            "configs/web.yaml:4:17: error: a plaintext 'password' must not be written in a "
            "config (it ends up in git); use 'password_hash' (from `hostiso passwd`) or "
            "'password_file: secrets/FILE' [plaintext-password]",
        ),
        (
            f'      password_hash: {PLAINTEXT}\n      "password_hash": {PLAINTEXT}x\n',
            "duplicate-key",
            "configs/web.yaml:5:7: error: duplicate key 'password_hash' (first set at line 4) "
            "[duplicate-key]",
        ),
    ],
    ids=["password_hash", "password", "duplicate-key"],
)
def test_a_plaintext_password_is_masked_in_the_source_line(
    tmp_path: Path, user: str, code: str, line: str
) -> None:
    write_fleet(
        tmp_path, {**FLEET, "configs/web.yaml": "passwd:\n  users:\n    - name: core\n" + user}
    )
    for fmt in ("text", "colored", "parsable", "json", "sarif", "github"):
        rc, out, err = run(["lint", "--format", fmt], tmp_path)
        assert rc == 1
        assert PLAINTEXT not in out + err, fmt
    rc, _, err = run(["lint"], tmp_path)
    assert heads(err) == [line]
    assert "********" in err
