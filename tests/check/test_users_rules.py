"""Host rules for passwd.users: password hashes and SSH keys, at their lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ed25519, rsa

from conftest import PASSWORD_HASH, SSH_KEY, heads, run, write_fleet

_HEAD = re.compile(r"^(\S+):(\d+):(\d+): (error|warning): .*\[([a-z0-9-]+)\]$")
Problem = tuple[str, int, int, str]


def _ssh_line(key: rsa.RSAPrivateKey | dsa.DSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return public.decode() + " someone@example"


RSA_1024 = _ssh_line(rsa.generate_private_key(public_exponent=65537, key_size=1024))
DSA_1024 = _ssh_line(dsa.generate_private_key(key_size=1024))
OTHER_KEY = _ssh_line(ed25519.Ed25519PrivateKey.generate())
YESCRYPT = "$y$j9T$abcdefghijklmnopqrstuv$" + "A" * 43
MD5 = "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"


def problems(stderr: str) -> list[Problem]:
    found = []
    for line in heads(stderr):
        match = _HEAD.match(line)
        assert match is not None, line
        found.append((match[1], int(match[2]), int(match[3]), match[5]))
    return found


def check(tmp_path: Path, host_yaml: str, expected: list[Problem], all_yaml: str = "") -> None:
    files = {"configs/h.yaml": host_yaml}
    if all_yaml:
        files["overlays/all.yaml"] = all_yaml
    write_fleet(tmp_path, files)
    rc, _out, err = run(["lint"], tmp_path)
    assert problems(err) == expected, err
    assert rc == (1 if any(_is_error(p) for p in expected) else 0)


def _is_error(problem: Problem) -> bool:
    return problem[3] not in ("duplicate-ssh-key", "keys-without-home")


def _user(extra: str) -> str:
    return f"passwd:\n  users:\n    - name: core\n{extra}"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (f'      password_hash: "{PASSWORD_HASH}"\n', []),
        (f'      password_hash: "{MD5}"\n', [("configs/h.yaml", 4, 22, "bad-password-hash")]),
        (f"      password_hash: '{YESCRYPT}'\n", [("configs/h.yaml", 4, 22, "bad-password-hash")]),
        (
            '      password_hash: "$6$salt$short"\n',
            [("configs/h.yaml", 4, 22, "bad-password-hash")],
        ),
        ("      password_hash: hunter2\n", [("configs/h.yaml", 4, 22, "bad-password-hash")]),
    ],
    ids=["sha512", "md5", "yescrypt", "malformed", "plaintext"],
)
def test_password_hash(tmp_path: Path, lines: str, expected: list[Problem]) -> None:
    check(tmp_path, _user(lines), expected)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([SSH_KEY, OTHER_KEY], []),
        ([SSH_KEY, "ssh-ed25519 AAAA broken"], [("configs/h.yaml", 6, 11, "bad-ssh-key")]),
        ([RSA_1024], [("configs/h.yaml", 5, 11, "weak-ssh-key")]),
        ([DSA_1024, SSH_KEY], [("configs/h.yaml", 5, 11, "weak-ssh-key")]),
        (
            [SSH_KEY, OTHER_KEY, "no-pty " + SSH_KEY.replace("operator", "again")],
            [("configs/h.yaml", 7, 11, "duplicate-ssh-key")],
        ),
    ],
    ids=["good", "broken", "rsa-1024", "dsa", "duplicate"],
)
def test_ssh_keys(tmp_path: Path, keys: list[str], expected: list[Problem]) -> None:
    items = "".join(f'        - "{k}"\n' for k in keys)
    check(tmp_path, _user("      ssh_authorized_keys:\n" + items), expected)


def test_problem_in_overlay_points_at_the_overlay(tmp_path: Path) -> None:
    overlay = _user(f'      password_hash: "{MD5}"\n      ssh_authorized_keys: ["{RSA_1024}"]\n')
    expected = [
        ("overlays/all.yaml", 4, 22, "bad-password-hash"),
        ("overlays/all.yaml", 5, 29, "weak-ssh-key"),
    ]
    check(tmp_path, "network: {interface: eth0}\n", expected, all_yaml=overlay)


def test_host_value_wins_over_overlay(tmp_path: Path) -> None:
    overlay = _user(f'      password_hash: "{MD5}"\n')
    host = _user(f'      password_hash: "{PASSWORD_HASH}"\n')
    check(tmp_path, host, [], all_yaml=overlay)


def test_duplicate_names_the_first_key(tmp_path: Path) -> None:
    items = f'        - "{SSH_KEY}"\n        - "{SSH_KEY}"\n'
    write_fleet(tmp_path, {"configs/h.yaml": _user("      ssh_authorized_keys:\n" + items)})
    rc, _out, err = run(["lint"], tmp_path)
    assert rc == 0
    assert problems(err) == [("configs/h.yaml", 6, 11, "duplicate-ssh-key")]
    assert "already listed (item 1 of this user's keys)" in err


@pytest.mark.parametrize(
    ("name", "extra", "expected"),
    [
        ("user1", "      no_create_home: true\n", [("configs/h.yaml", 4, 23, "keys-without-home")]),
        (
            "user1",
            "      home_dir: /srv/u\n      no_create_home: true\n",
            [("configs/h.yaml", 5, 23, "keys-without-home")],
        ),
        ("user1", "      no_create_home: false\n", []),
        ("core", "      no_create_home: true\n", []),
    ],
    ids=["no-home", "home-dir", "home-created", "image-user"],
)
def test_keys_need_a_home(tmp_path: Path, name: str, extra: str, expected: list[Problem]) -> None:
    """Seen with the real Ignition on ct's docs example (tests/realworld/ct-doc-users)."""
    host = f"passwd:\n  users:\n    - name: {name}\n{extra}"
    check(tmp_path, host + f'      ssh_authorized_keys: ["{SSH_KEY}"]\n', expected)
