from __future__ import annotations

import io
import shutil
import stat
import subprocess
import threading
from pathlib import Path
from typing import TextIO

import pytest

from hostiso.crypto.passwords import (
    CRYPT_ALPHABET,
    FleetSecretError,
    GetPass,
    check_password_hash,
    derived_salt,
    hash_password,
    load_or_create_fleet_secret,
    read_password_interactive,
)
from hostiso.diagnostics import Severity

# Printed by Debian's `mkpasswd` (whois 5.5) for the password "hello".
SHA512_HELLO = (
    "$6$abcdefgh$bp46WUxDu2cphMRE0PvVJlqas2imuSq186YS793XKfmqn9XUEL17HECskUTZInaNigNndLLYc7A6y"
    "WBmFEFn3/"
)
SHA512_HELLO_16 = (
    "$6$abcdefghijklmnop$vRqpf9WzVv13MKJy4hd5jALhNQnt4y0RZsj0MrdHWdwA8G8gihD6oj69IwfuemaVekHG0M6jA5HN"
    "gthaIaLRR/"
)
SHA512_HELLO_6000 = (
    "$6$rounds=6000$abcdefgh$/Z2NgrZ62aafSz78V1nDIDpBwcoLxNIW202olaTEbWjT8oAgzmpGnzhe75S68ZlJUg8EMJBL"
    "UqZsAsUxbdXky1"
)
SHA256_HELLO = "$5$CQ04kSwJ73j1EUkV$Mg1iUvJahulGMYAUujLIKs.fmVYqYttmQX5Ec3ircrD"
SHA256_HELLO_ROUNDS = "$5$rounds=10000$abcdefgh$a3MvCoiaFtAsd085QMSKeSBMgfr1Clv8ad0XhDHqRN7"
YESCRYPT_HELLO = "$y$j9T$MD53tv0Cm7ZXwoRd052YT0$EH1CAAtWBcSE/zwr9.bc25YT.wzULW87J9feMKOVt5A"
MD5_HELLO = "$1$abcdefgh$rwnEbRiN0agqVgZBovWNQ/"
BCRYPT_HELLO = "$2b$05$lex21.VNJP1zbLCp2/f7gOIDW6Xcux5deOEhfKYgHoFt9hDdnCrSK"
DES_HELLO = "abl0JrMf6tlhw"
SCRYPT_HELLO = "$7$CU..../....eZcsBUA5O7cZqR7di3Zir/$BZA8UrMprHJiRHGldUXFwUj8GpbUFRm2Etu2ufUqFk3"


# --- hash_password ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("salt", "rounds", "expected"),
    [
        ("abcdefgh", 5000, SHA512_HELLO),
        ("abcdefghijklmnop", 5000, SHA512_HELLO_16),
        ("abcdefgh", 6000, SHA512_HELLO_6000),
    ],
)
def test_hash_password_matches_recorded_mkpasswd(salt: str, rounds: int, expected: str) -> None:
    assert hash_password("hello", salt=salt, rounds=rounds) == expected


@pytest.mark.skipif(shutil.which("mkpasswd") is None, reason="mkpasswd not installed")
@pytest.mark.parametrize("password", ["hello", "pä ss:wörd$\\", "x" * 80])
@pytest.mark.parametrize("rounds", [5000, 1000])
def test_hash_password_matches_installed_mkpasswd(password: str, rounds: int) -> None:
    salt = "S4lt./09AZaz"
    # Without -R, mkpasswd uses 5000 rounds and the short form; `-R 5000` would spell it out.
    cmd = ["mkpasswd", "-m", "sha-512", "-S", salt, "--stdin"]
    if rounds != 5000:
        cmd += ["-R", str(rounds)]
    out = subprocess.run(cmd, input=password.encode(), capture_output=True, check=True).stdout
    assert hash_password(password, salt=salt, rounds=rounds) == out.decode().rstrip("\n")


def test_hash_password_random_salt_is_16_crypt_chars_and_differs() -> None:
    first, second = hash_password("hello"), hash_password("hello")
    assert first != second
    for value in (first, second):
        _, scheme, salt, digest = value.split("$")
        assert (scheme, len(salt), len(digest)) == ("6", 16, 86)
        assert set(salt) <= set(CRYPT_ALPHABET)
        assert check_password_hash(value, spec_major=2) == []


# --- derived_salt ----------------------------------------------------------------------------


def test_derived_salt_is_deterministic_and_in_alphabet() -> None:
    salt = derived_salt(b"k" * 32, "node1", "core")
    assert salt == derived_salt(b"k" * 32, "node1", "core")
    assert len(salt) == 16
    assert set(salt) <= set(CRYPT_ALPHABET)


def test_derived_salt_known_value() -> None:
    # HMAC-SHA256(b"secret", b"node1\0core"), first 16 bytes mapped b % 64 into the alphabet.
    import hashlib
    import hmac

    digest = hmac.new(b"secret", b"node1\x00core", hashlib.sha256).digest()
    expected = "".join(CRYPT_ALPHABET[b % 64] for b in digest[:16])
    assert derived_salt(b"secret", "node1", "core") == expected


@pytest.mark.parametrize(
    ("secret", "host", "user"),
    [
        (b"k" * 32, "node2", "core"),
        (b"k" * 32, "node1", "admin"),
        (b"j" * 32, "node1", "core"),
        (b"k" * 32, "node1c", "ore"),
    ],
)
def test_derived_salt_changes_with_each_input(secret: bytes, host: str, user: str) -> None:
    assert derived_salt(secret, host, user) != derived_salt(b"k" * 32, "node1", "core")


# --- check_password_hash ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [SHA512_HELLO, SHA512_HELLO_16, SHA512_HELLO_6000, SHA256_HELLO, SHA256_HELLO_ROUNDS],
)
@pytest.mark.parametrize("spec_major", [2, 3])
def test_sha_crypt_hashes_are_accepted(value: str, spec_major: int) -> None:
    assert check_password_hash(value, spec_major=spec_major) == []


def test_yescrypt_accepted_for_spec_3() -> None:
    assert check_password_hash(YESCRYPT_HELLO, spec_major=3) == []


def test_yescrypt_refused_for_spec_2_with_advice() -> None:
    (diag,) = check_password_hash(YESCRYPT_HELLO, spec_major=2)
    assert (diag.severity, diag.code, diag.path) == (Severity.ERROR, "bad-password-hash", ())
    assert "yescrypt" in diag.message
    assert "Container Linux" in diag.message
    assert "`mkpasswd -m sha-512`" in diag.message
    assert "`hostiso passwd`" in diag.message


TRUNCATED_512 = SHA512_HELLO[:-1]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (MD5_HELLO, "MD5-crypt hashes ($1$) are weak"),
        (BCRYPT_HELLO, "bcrypt hashes ($2?$) are not supported"),
        ("$2a$10$" + "a" * 53, "bcrypt"),
        (DES_HELLO, "traditional DES-crypt"),
        (SCRYPT_HELLO, "unsupported crypt scheme $7$"),
        ("$gy$j9T$ITbrIT79JRy5m1LzgUqGJ.$m22xVFqOeavC3VsBgSEW74tCch2C2qNxY1kWW", "scheme $gy$"),
        (TRUNCATED_512, "sha512-crypt hash: the hash part must be 86 characters"),
        (SHA512_HELLO + "x", "got 87"),
        (SHA256_HELLO[:-2], "sha256-crypt hash: the hash part must be 43 characters"),
        (SHA512_HELLO.replace("bp46", "bp4-"), "hash part must be 86 characters of [./0-9A-Za-z]"),
        ("$6$abcdefghijklmnopq$" + SHA512_HELLO.split("$")[3], "salt must be 1 to 16"),
        ("$6$$" + SHA512_HELLO.split("$")[3], "salt must be 1 to 16"),
        ("$6$ab_d$" + SHA512_HELLO.split("$")[3], "salt must be 1 to 16"),
        ("$6$rounds=999$ab$" + SHA512_HELLO.split("$")[3], "rounds must be 1000..999999999"),
        ("$6$rounds=05000$ab$" + SHA512_HELLO.split("$")[3], "without leading zeros"),
        ("$6$rounds=x$ab$" + SHA512_HELLO.split("$")[3], "malformed crypt hash"),
        ("$6$abcdefgh", "malformed crypt hash"),
        ("$6$a$b$c", "malformed crypt hash"),
        ("$", "malformed crypt hash"),
        (SHA512_HELLO + "\n", "whitespace"),
        (" " + SHA512_HELLO, "whitespace"),
        ("", "password hash is empty"),
        ("!", "lock marker"),
        ("*", "lock marker"),
        ("hunter2", "not a crypt hash (a plaintext password?)"),
        ("$y$j9T$salt$short", "malformed yescrypt hash"),
    ],
)
def test_bad_hashes(value: str, fragment: str) -> None:
    diags = check_password_hash(value, spec_major=3)
    assert [(d.severity, d.code, d.path) for d in diags] == [
        (Severity.ERROR, "bad-password-hash", ())
    ]
    assert fragment in diags[0].message


@pytest.mark.parametrize("value", ["correct horse battery", "$Horse$Battery", "horse$"])
def test_message_never_echoes_a_plaintext_password(value: str) -> None:
    (diag,) = check_password_hash(value, spec_major=2)
    assert diag.code == "bad-password-hash"
    assert "orse" not in diag.message


# --- read_password_interactive ---------------------------------------------------------------


def fake_getpass(answers: list[str]) -> tuple[list[str], GetPass]:
    prompts: list[str] = []

    def getpass_fn(prompt: str, stream: TextIO) -> str:
        prompts.append(prompt)
        stream.write(prompt)
        return answers.pop(0)

    return prompts, getpass_fn


def test_tty_asks_twice_and_returns_matching_password() -> None:
    prompts, fn = fake_getpass(["s3cret ", "s3cret "])
    stderr = io.StringIO()
    result = read_password_interactive(io.StringIO("unused\n"), stderr, True, getpass_fn=fn)
    assert result == "s3cret "
    assert prompts == ["Password: ", "Retype password: "]
    assert stderr.getvalue() == "Password: Retype password: "


def test_tty_mismatch_returns_none_and_says_so() -> None:
    _, fn = fake_getpass(["one", "two"])
    stderr = io.StringIO()
    assert read_password_interactive(io.StringIO(), stderr, True, getpass_fn=fn) is None
    assert stderr.getvalue().endswith("passwords do not match\n")


def test_tty_eof_returns_none() -> None:
    def eof(prompt: str, stream: TextIO) -> str:
        raise EOFError

    stderr = io.StringIO()
    assert read_password_interactive(io.StringIO(), stderr, True, getpass_fn=eof) is None
    assert "no password entered" in stderr.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pw\n", "pw"),
        ("pw\r\n", "pw"),
        ("pw", "pw"),
        ("  pw with spaces \t\n", "  pw with spaces \t"),
        ("first\nsecond\n", "first"),
    ],
)
def test_stdin_reads_one_line_and_strips_only_line_ending(text: str, expected: str) -> None:
    def never(prompt: str, stream: TextIO) -> str:
        raise AssertionError("getpass must not be used without a tty")

    stderr = io.StringIO()
    assert read_password_interactive(io.StringIO(text), stderr, False, getpass_fn=never) == expected
    assert stderr.getvalue() == ""


@pytest.mark.parametrize("text", ["", "\n"])
def test_stdin_empty_password_refused(text: str) -> None:
    stderr = io.StringIO()
    assert read_password_interactive(io.StringIO(text), stderr, False) is None
    assert stderr.getvalue() == "empty password refused\n"


# --- load_or_create_fleet_secret -------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_fleet_secret_created_with_modes_and_reloaded(tmp_path: Path) -> None:
    secrets_dir = tmp_path / "fleet" / "secrets"
    secret = load_or_create_fleet_secret(secrets_dir)
    key_file = secrets_dir / "fleet.key"
    assert len(secret) == 32
    assert key_file.read_text() == secret.hex() + "\n"
    assert (mode(secrets_dir), mode(key_file)) == (0o700, 0o600)
    assert load_or_create_fleet_secret(secrets_dir) == secret
    assert sorted(p.name for p in secrets_dir.iterdir()) == ["fleet.key"]


def test_fleet_secret_existing_file_is_used(tmp_path: Path) -> None:
    (tmp_path / "fleet.key").write_text("ab" * 32 + "\n")
    assert load_or_create_fleet_secret(tmp_path) == bytes([0xAB]) * 32


@pytest.mark.parametrize("content", ["", "zz" * 32, "ab" * 31, "ab" * 33])
def test_fleet_secret_broken_file_raises(tmp_path: Path, content: str) -> None:
    (tmp_path / "fleet.key").write_text(content)
    with pytest.raises(FleetSecretError, match="expected 64 hex digits"):
        load_or_create_fleet_secret(tmp_path)


def test_fleet_secret_concurrent_creation_agrees(tmp_path: Path) -> None:
    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(load_or_create_fleet_secret(tmp_path)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len(set(results)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.key"]
