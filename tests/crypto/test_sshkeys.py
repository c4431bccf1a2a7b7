from __future__ import annotations

import base64
import functools
import shutil
import struct
import subprocess
import warnings
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from hostiso.crypto.sshkeys import (
    check_authorized_key,
    find_duplicate_keys,
    key_fingerprint,
)
from hostiso.diagnostics import Severity

# ssh-keygen -lf prints SHA256:lbmsoA0y... for this key (Ed25519 private bytes 00..1f).
FIXED_ED25519 = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4 fixed@test"
)
FIXED_FINGERPRINT = "SHA256:lbmsoA0yIEcEiVDRnMWuzm+nV+3ZEEpVIURqFoeSspg"


def openssh(public_key: object) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DSA serialization is deprecated in cryptography
        data = public_key.public_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
    assert isinstance(data, bytes)
    return data.decode()


@functools.cache
def key_line(kind: str) -> str:
    if kind == "ed25519":
        return openssh(ed25519.Ed25519PrivateKey.generate().public_key())
    if kind.startswith("ecdsa"):
        curve = {"256": ec.SECP256R1(), "384": ec.SECP384R1(), "521": ec.SECP521R1()}[kind[5:]]
        return openssh(ec.generate_private_key(curve).public_key())
    if kind.startswith("rsa"):
        bits = int(kind[3:])
        return openssh(rsa.generate_private_key(65537, bits).public_key())
    assert kind == "dsa1024"
    return openssh(dsa.generate_private_key(1024).public_key())


def ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def sk_line(key_type: str, *parts: bytes) -> str:
    blob = ssh_string(key_type.encode()) + b"".join(ssh_string(p) for p in parts)
    return f"{key_type} {base64.b64encode(blob).decode()} yubikey"


def sk_ed25519_line(pub_len: int = 32, application: bytes = b"ssh:", extra: bytes = b"") -> str:
    line = sk_line("sk-ssh-ed25519@openssh.com", b"\x07" * pub_len, application)
    if extra:
        key_type, data, comment = line.split()
        data = base64.b64encode(base64.b64decode(data) + extra).decode()
        line = f"{key_type} {data} {comment}"
    return line


def sk_ecdsa_line(curve: bytes = b"nistp256", point: bytes | None = None) -> str:
    if point is None:
        point = (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
    return sk_line("sk-ecdsa-sha2-nistp256@openssh.com", curve, point, b"ssh:")


USE = "use ssh-ed25519, ecdsa-sha2-nistp*, ssh-rsa (2048 bits or more) or an sk-* security key"


def only(line: str, code: str) -> str:
    diags = check_authorized_key(line)
    assert [(d.severity, d.code, d.path) for d in diags] == [(Severity.ERROR, code, ())]
    return diags[0].message


# --- accepted keys ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa2048"])
def test_supported_keys_pass(kind: str) -> None:
    line = key_line(kind)
    assert line.split()[0] in {
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "ssh-rsa",
    }
    assert check_authorized_key(line) == []
    assert check_authorized_key(line + " alice@laptop with spaces") == []


@pytest.mark.parametrize(
    "options",
    [
        'from="10.0.0.0/8,192.168.1.*"',
        'command="echo hello, world",no-pty',
        "no-agent-forwarding,no-port-forwarding,no-X11-forwarding,restrict",
        'environment="A=b c",expiry-time="20300101"',
        'command="say \\"hi there\\""',
        'permitopen="localhost:80",principals="a,b",tunnel="0",cert-authority',
    ],
)
def test_options_field_is_accepted(options: str) -> None:
    assert check_authorized_key(f"{options} {FIXED_ED25519}") == []
    assert key_fingerprint(f"{options} {FIXED_ED25519}") == FIXED_FINGERPRINT


def test_surrounding_whitespace_is_ignored() -> None:
    assert check_authorized_key(f"  {FIXED_ED25519}\n") == []


def test_security_keys_pass_by_structure() -> None:
    assert check_authorized_key(sk_ed25519_line()) == []
    assert check_authorized_key(sk_ecdsa_line()) == []
    assert check_authorized_key("no-touch-required " + sk_ed25519_line()) == []


# --- weak keys -------------------------------------------------------------------------------


def test_rsa_1024_is_weak() -> None:
    message = only(key_line("rsa1024"), "weak-ssh-key")
    assert message == "the RSA key has 1024 bits; at least 2048 are required"


def test_dsa_is_weak() -> None:
    line = key_line("dsa1024")
    assert line.startswith("ssh-dss ")
    message = only(line, "weak-ssh-key")
    assert message == "DSA keys (ssh-dss) are weak and disabled by OpenSSH; use ssh-ed25519"


# --- broken keys -----------------------------------------------------------------------------


def replace_data(line: str, data: bytes) -> str:
    key_type, _, *rest = line.split()
    return " ".join([key_type, base64.b64encode(data).decode(), *rest])


def test_broken_base64() -> None:
    key_type, data, comment = FIXED_ED25519.split()
    assert only(f"{key_type} {data[:-3]}!!! {comment}", "bad-ssh-key") == (
        "the key data is not valid base64"
    )
    assert only(f"{key_type} {data[:-1]} {comment}", "bad-ssh-key") == (
        "the key data is not valid base64"
    )


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa256", "rsa2048"])
def test_truncated_key(kind: str) -> None:
    line = key_line(kind)
    blob = base64.b64decode(line.split()[1])
    message = only(replace_data(line, blob[:-8]), "bad-ssh-key")
    assert message == f"the {line.split()[0]} key data is corrupt or truncated"


def test_truncated_inside_type_string() -> None:
    assert only("ssh-ed25519 AAAAC3Nz", "bad-ssh-key") == (
        "the key data is truncated (in the key type)"
    )


def test_trailing_garbage_after_key() -> None:
    blob = base64.b64decode(FIXED_ED25519.split()[1])
    message = only(replace_data(FIXED_ED25519, blob + b"\0\0\0\0"), "bad-ssh-key")
    assert message == "the ssh-ed25519 key data is corrupt or truncated"


def test_type_mismatch() -> None:
    _, data = key_line("rsa2048").split()
    assert only(f"ssh-ed25519 {data} comment", "bad-ssh-key") == (
        "the line says ssh-ed25519 but the key data is a 'ssh-rsa' key"
    )


def test_wrong_ecdsa_curve_for_type() -> None:
    _, data = key_line("ecdsa384").split()
    message = only(f"ecdsa-sha2-nistp256 {data}", "bad-ssh-key")
    assert (
        message
        == "the line says ecdsa-sha2-nistp256 but the key data is a 'ecdsa-sha2-nistp384' key"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "the key is empty"),
        ("   \n", "the key is empty"),
        ("# laptop key", "this is a comment, not a key"),
        (
            "ssh-ed25519",
            "the ssh-ed25519 key has no base64 key data; expected [options] type base64 [comment]",
        ),
        (
            FIXED_ED25519.split(" ", 1)[1],
            "the key type is missing before the key data (a ssh-ed25519 key)",
        ),
        (
            "ssh-foo " + FIXED_ED25519.split()[1],
            "unsupported key type 'ssh-foo'; " + USE,
        ),
        (
            "ssh-ed25519-cert-v01@openssh.com " + FIXED_ED25519.split()[1],
            "unsupported key type 'ssh-ed25519-cert-v01@openssh.com'; " + USE,
        ),
        ("hello world", "unknown option 'hello'; sshd would ignore this key"),
        (
            "no-pty hello world",
            "no key type after the options; expected [options] type base64 [comment]",
        ),
        ("justoneword", "no key type found; expected [options] type base64 [comment]"),
        ('from="10.0.0.1 ' + FIXED_ED25519, "unterminated quote in the options"),
        ("no-ptyy " + FIXED_ED25519, "unknown option 'no-ptyy'; sshd would ignore this key"),
        ("from=10.0.0.1 " + FIXED_ED25519, "option 'from' needs a quoted value: from=\"...\""),
        ('no-pty="x" ' + FIXED_ED25519, "option 'no-pty' takes no value"),
        ("no-pty,,restrict " + FIXED_ED25519, "empty option in the options list (stray comma?)"),
        (
            "no-pty " + FIXED_ED25519.split(" ", 1)[1],
            "the key type is missing before the key data (a ssh-ed25519 key)",
        ),
    ],
)
def test_bad_lines(line: str, message: str) -> None:
    assert only(line, "bad-ssh-key") == message


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (sk_ed25519_line(pub_len=31), "the sk-ssh-ed25519@openssh.com public key is not 32 bytes"),
        (sk_ed25519_line(extra=b"x"), "the sk-ssh-ed25519@openssh.com key data has trailing bytes"),
        (
            sk_line("sk-ssh-ed25519@openssh.com", b"\x07" * 32),
            "the key data is truncated (no room for the application)",
        ),
        (
            sk_ecdsa_line(curve=b"nistp384"),
            "the sk-ecdsa-sha2-nistp256@openssh.com key names a curve other than nistp256",
        ),
        (
            sk_ecdsa_line(point=b"\x04" + b"\x01" * 63),
            "the sk-ecdsa-sha2-nistp256@openssh.com public key is not an uncompressed P-256 point",
        ),
    ],
)
def test_broken_security_keys(line: str, message: str) -> None:
    assert only(line, "bad-ssh-key") == message


# --- fingerprints and duplicates -------------------------------------------------------------


def test_fingerprint_known_value() -> None:
    assert key_fingerprint(FIXED_ED25519) == FIXED_FINGERPRINT
    assert key_fingerprint("not a key") is None


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen not installed")
@pytest.mark.parametrize("kind", ["ed25519", "ecdsa384", "rsa2048"])
def test_fingerprint_matches_ssh_keygen(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "key.pub"
    path.write_text(key_line(kind) + " c\n")
    out = subprocess.run(["ssh-keygen", "-lf", str(path)], capture_output=True, check=True)
    assert key_fingerprint(key_line(kind)) == out.stdout.decode().split()[1]


def test_find_duplicate_keys_ignores_options_and_comments() -> None:
    other = key_line("ed25519")
    keys = [
        FIXED_ED25519,
        other,
        "broken",
        'from="10.0.0.1" ' + FIXED_ED25519.rsplit(" ", 1)[0] + " another-comment",
        other,
        FIXED_ED25519,
    ]
    assert find_duplicate_keys(keys) == [(0, 3), (1, 4), (0, 5)]
    assert find_duplicate_keys([FIXED_ED25519, other]) == []
