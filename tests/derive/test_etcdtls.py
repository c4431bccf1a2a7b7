"""etcd TLS for the derived cluster: certificates, host files, flags, reuse."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import urllib.parse
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from conftest import MEMBERS, build_ok, heads, load_ign, run, tls_fleet

HOSTS = (*MEMBERS, "w-1")
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl missing")
SERVER_AUTH, CLIENT_AUTH = ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tls_fleet(tmp_path_factory.mktemp("fleet"))
    build_ok(root)
    return root


def ign_files(root: Path, host: str) -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in load_ign(root, host)["storage"]["files"]}


def file_bytes(entry: dict[str, Any]) -> bytes:
    source: str = entry["contents"]["source"]
    assert source.startswith("data:,")
    return urllib.parse.unquote_to_bytes(source[len("data:,") :])


def dropin(root: Path, host: str, unit: str) -> str:
    units = {u["name"]: u for u in load_ign(root, host)["systemd"]["units"]}
    text: str = units[unit]["dropins"][0]["contents"]
    return text


def cert(root: Path, name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((root / "secrets" / "pki" / f"{name}.crt").read_bytes())


def sans(c: x509.Certificate) -> tuple[set[str], set[str]]:
    ext = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ips = {str(ip) for ip in ext.get_values_for_type(x509.IPAddress)}
    return set(ext.get_values_for_type(x509.DNSName)), ips


def ekus(c: x509.Certificate) -> set[x509.ObjectIdentifier]:
    return set(c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


# --- certificates ----------------------------------------------------------------------------


@needs_openssl
def test_openssl_verifies_every_certificate(built: Path) -> None:
    pki_dir = built / "secrets" / "pki"
    names = sorted(p.name for p in pki_dir.glob("*.crt") if p.name != "ca.crt")
    assert len(names) == 3 * 3 + 1
    for name in names:
        purpose = "sslclient" if name.endswith("-client.crt") else "sslserver"
        result = subprocess.run(
            ["openssl", "verify", "-CAfile", "ca.crt", "-purpose", purpose, name],
            cwd=pki_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.stdout == f"{name}: OK\n", result.stderr


@pytest.mark.parametrize("host", MEMBERS)
def test_member_sans_and_usages(built: Path, host: str) -> None:
    address = f"10.0.0.1{host[-1]}"
    for kind in ("server", "peer"):
        c = cert(built, f"{host}-{kind}")
        assert sans(c) == ({host, "localhost"}, {address, "127.0.0.1"})
        assert ekus(c) == {SERVER_AUTH, CLIENT_AUTH}
        key = c.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)
        assert key.curve.name == "secp256r1"
        lifetime = c.not_valid_after_utc - c.not_valid_before_utc
        assert lifetime == timedelta(days=365, hours=1)
    client = cert(built, f"{host}-client")
    assert sans(client) == ({host}, set())
    assert ekus(client) == {CLIENT_AUTH}


def test_worker_gets_only_a_client_certificate(built: Path) -> None:
    assert sorted(p.name for p in (built / "secrets" / "pki").glob("w-1-*")) == [
        "w-1-client.crt",
        "w-1-client.key",
    ]
    assert ekus(cert(built, "w-1-client")) == {CLIENT_AUTH}


def test_ca_key_mode(built: Path) -> None:
    assert (built / "secrets" / "pki" / "ca.key").stat().st_mode & 0o777 == 0o600


# --- on the host -----------------------------------------------------------------------------

CERT, KEY = 0o644, 0o400


@pytest.mark.parametrize(
    ("host", "files"),
    [
        (
            "ctl-1",
            [
                ("ca.crt", CERT),
                ("server.crt", CERT),
                ("server.key", KEY),
                ("peer.crt", CERT),
                ("peer.key", KEY),
                ("client.crt", CERT),
                ("client.key", KEY),
            ],
        ),
        ("w-1", [("ca.crt", CERT), ("client.crt", CERT), ("client.key", KEY)]),
    ],
)
def test_files_on_the_host(built: Path, host: str, files: list[tuple[str, int]]) -> None:
    entries = [f for path, f in ign_files(built, host).items() if path.startswith("/etc/ssl/")]
    got = [(f["path"], f["mode"], f["user"], f["group"]) for f in entries]
    owner = {"id": 232}
    assert got == [(f"/etc/ssl/etcd/{name}", mode, owner, owner) for name, mode in files]
    pki_dir = built / "secrets" / "pki"
    by_path = ign_files(built, host)
    assert file_bytes(by_path["/etc/ssl/etcd/ca.crt"]) == (pki_dir / "ca.crt").read_bytes()
    for name, _mode in files[1:]:
        kind, ext = name.split(".")
        wanted = (pki_dir / f"{host}-{kind}.{ext}").read_bytes()
        assert file_bytes(by_path[f"/etc/ssl/etcd/{name}"]) == wanted


def test_etcd_flags(built: Path) -> None:
    text = dropin(built, "ctl-2", "etcd-member.service")
    tail = text.split('--advertise-client-urls="https://10.0.0.12:2379" \\\n')[1]
    assert tail.split(" \\\n") == [
        '  --cert-file="/etc/ssl/etcd/server.crt"',
        '  --key-file="/etc/ssl/etcd/server.key"',
        "  --client-cert-auth=true",
        '  --trusted-ca-file="/etc/ssl/etcd/ca.crt"',
        '  --peer-cert-file="/etc/ssl/etcd/peer.crt"',
        '  --peer-key-file="/etc/ssl/etcd/peer.key"',
        "  --peer-client-cert-auth=true",
        '  --peer-trusted-ca-file="/etc/ssl/etcd/ca.crt"',
    ]
    assert '--initial-cluster="ctl-1=https://10.0.0.11:2380,' in text


@pytest.mark.parametrize("host", ["ctl-1", "w-1"])
def test_flannel_flags(built: Path, host: str) -> None:
    text = dropin(built, host, "flanneld.service")
    assert text.split(" \\\n")[1:] == [
        '  --etcd-endpoints="https://10.0.0.11:2379,https://10.0.0.12:2379,https://10.0.0.13:2379"',
        '  --etcd-cafile="/etc/ssl/etcd/ca.crt"',
        '  --etcd-certfile="/etc/ssl/etcd/client.crt"',
        '  --etcd-keyfile="/etc/ssl/etcd/client.key"',
    ]


def test_pki_files_are_make_inputs(built: Path) -> None:
    depfile = (built / "build" / "w-1.d").read_text()
    rule = next(line for line in depfile.splitlines() if line.startswith("build/w-1.ign"))
    inputs = rule.split(": ", 1)[1].split()
    assert inputs[-3:] == [
        "secrets/pki/ca.crt",
        "secrets/pki/w-1-client.crt",
        "secrets/pki/w-1-client.key",
    ]


# --- reuse and reissue -----------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    dirs = ("build", "out", "secrets/pki")
    return {
        str(p.relative_to(root)): p.read_bytes()
        for d in dirs
        for p in (root / d).iterdir()
        if not p.name.startswith(".cache-")  # the build cache (inodes, digests) is no output
    }


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    root = tls_fleet(tmp_path)
    build_ok(root)
    first = snapshot(root)
    for stale in (root / "build").glob("*.ign"):
        stale.unlink()
    build_ok(root)
    assert snapshot(root) == first


def test_changed_sans_reissue_only_that_host(tmp_path: Path) -> None:
    root = tls_fleet(tmp_path)
    build_ok(root)
    before = snapshot(root)
    (root / "configs" / "ctl-1.yaml").write_text(
        "groups: [etcd]\nnetwork:\n  addresses: [10.0.0.11/24]\n"
        "etcd_sans: [etcd.example.com, 192.0.2.7]\n"
    )
    build_ok(root)
    after = snapshot(root)
    changed = sorted(k for k in before if before[k] != after[k] and k.startswith("secrets"))
    assert changed == [
        f"secrets/pki/ctl-1-{k}.{e}" for k in ("peer", "server") for e in ("crt", "key")
    ]
    assert sans(cert(root, "ctl-1-server")) == (
        {"ctl-1", "etcd.example.com", "localhost"},
        {"10.0.0.11", "192.0.2.7", "127.0.0.1"},
    )


# --- options ---------------------------------------------------------------------------------


def test_rsa_keys_and_validity(tmp_path: Path) -> None:
    root = tls_fleet(tmp_path, "etcd_tls_key: rsa\netcd_tls_days: 60\n")
    build_ok(root)
    for name in ("ctl-1-peer", "w-1-client"):
        c = cert(root, name)
        key = c.public_key()
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
        assert c.not_valid_after_utc - c.not_valid_before_utc == timedelta(days=60, hours=1)


def test_tls_off(tmp_path: Path) -> None:
    root = tls_fleet(tmp_path, "etcd_tls: false\n")
    build_ok(root)
    assert not (root / "secrets").exists()
    assert not [p for p in ign_files(root, "ctl-1") if p.startswith("/etc/ssl")]
    text = dropin(root, "ctl-1", "etcd-member.service")
    assert "https" not in text and "cert-file" not in text
    assert "etcd-cafile" not in dropin(root, "w-1", "flanneld.service")


def test_user_values_win(tmp_path: Path) -> None:
    root = tls_fleet(tmp_path)
    with (root / "configs" / "ctl-1.yaml").open("a") as host_file:
        host_file.write("etcd:\n  cert_file: /etc/mine.crt\n  client_cert_auth: false\n")
    build_ok(root)
    text = dropin(root, "ctl-1", "etcd-member.service")
    assert '--cert-file="/etc/mine.crt"' in text
    assert "--client-cert-auth=false" in text
    assert '--key-file="/etc/ssl/etcd/server.key"' in text


def test_members_must_agree(tmp_path: Path) -> None:
    root = tls_fleet(tmp_path)
    (root / "configs" / "ctl-3.yaml").write_text(
        "groups: [etcd]\netcd_tls: false\nnetwork:\n  addresses: [10.0.0.13/24]\n"
    )
    rc, _out, err = run(["build"], root)
    assert rc == 1
    lines = [line for line in heads(err) if "inconsistent-etcd-tls" in line]
    assert len(lines) == 1 and lines[0].startswith("configs/ctl-3.yaml:2:11: error: ")


def test_bad_san_at_its_line(tmp_path: Path) -> None:
    root = tls_fleet(tmp_path)
    (root / "configs" / "ctl-1.yaml").write_text(
        "groups: [etcd]\nnetwork:\n  addresses: [10.0.0.11/24]\netcd_sans:\n  - not_a name\n"
    )
    rc, _out, err = run(["build"], root)
    assert rc == 1
    assert [line for line in heads(err) if "[bad-san]" in line] == [
        "configs/ctl-1.yaml:5:5: error: 'not_a name' is not a valid DNS name for a certificate "
        "[bad-san]"
    ]


def test_broken_ca_is_a_diagnostic(tmp_path: Path) -> None:
    root = tls_fleet(tmp_path)
    (root / "secrets" / "pki").mkdir(parents=True)
    (root / "secrets" / "pki" / "ca.key").write_text("junk\n")
    rc, _out, err = run(["build"], root)
    assert rc == 1
    message = (
        "error: cannot use the etcd CA: secrets/pki/ca.key exists without its partner; "
        "restore it or remove it [bad-pki]"
    )
    where = [f"configs/{h}.yaml:1:10" for h in MEMBERS] + ["overlays/all.yaml:6:10"]
    assert heads(err) == [f"{w}: {message}" for w in where]
    assert not list((root / "build").glob("*.ign"))


def test_sans_checked_as_ip_addresses(tmp_path: Path) -> None:
    root = tls_fleet(tmp_path, "etcd_sans: ['2001:db8::1']\n")
    build_ok(root)
    _dns, ips = sans(cert(root, "ctl-2-peer"))
    assert ipaddress.ip_address("2001:db8::1").compressed in ips
