from __future__ import annotations

import ipaddress
import shutil
import stat
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hostiso.crypto.pki import (
    CA,
    IPAddress,
    Issued,
    KeyType,
    Kind,
    PKIError,
    check_dns_name,
    check_ip_address,
    init_ca,
    issue,
    status,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SERVER_AUTH, CLIENT_AUTH = ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH
E = TypeVar("E", bound=x509.ExtensionType)
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl missing")


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    return tmp_path / "secrets" / "pki"


@pytest.fixture
def ca(pki: Path) -> CA:
    return init_ca(pki, now=NOW)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def ext(cert: x509.Certificate, cls: type[E]) -> x509.Extension[E]:
    return cert.extensions.get_extension_for_class(cls)


def load(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def sans(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    value = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return value.get_values_for_type(x509.DNSName), [
        str(ip) for ip in value.get_values_for_type(x509.IPAddress)
    ]


def openssl_verify(pki: Path, cert_file: str, purpose: str, at: datetime = NOW) -> bool:
    cmd = ["openssl", "verify", "-CAfile", str(pki / "ca.crt"), "-purpose", purpose]
    cmd += ["-attime", str(int(at.timestamp())), str(pki / cert_file)]
    result = subprocess.run(cmd, check=False, capture_output=True, text=True)
    return result.returncode == 0 and result.stdout.strip().endswith(": OK")


def issue_node1(
    ca: CA,
    pki: Path,
    kind: Kind = "server",
    now: datetime = NOW,
    *,
    dns: Sequence[str] = ("node1", "node1.example.com"),
    ips: Sequence[str | IPAddress] = ("10.0.0.1", "::1"),
    key_type: KeyType = "ecdsa",
) -> Issued:
    return issue(ca, pki, "node1", kind, dns, ips, key_type=key_type, now=now)


# --- CA --------------------------------------------------------------------------------------


def test_init_ca_creates_private_files_and_a_proper_ca(pki: Path, ca: CA) -> None:
    assert (mode(pki), mode(pki / "ca.key"), mode(pki / "ca.crt")) == (0o700, 0o600, 0o644)
    assert (pki / "ca.crt").read_bytes() == ca.cert_pem
    cert = load(ca.cert_pem)
    assert cert.subject.rfc4514_string() == "CN=hostiso etcd CA"
    assert cert.issuer == cert.subject
    constraints = ext(cert, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca is True
    usage = ext(cert, x509.KeyUsage).value
    assert (usage.key_cert_sign, usage.crl_sign, usage.digital_signature) == (True, True, False)
    ski = ext(cert, x509.SubjectKeyIdentifier).value
    aki = ext(cert, x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"
    assert cert.not_valid_after_utc == NOW + timedelta(days=3650)


def test_init_ca_loads_an_existing_ca(pki: Path, ca: CA) -> None:
    before = (pki / "ca.key").read_bytes()
    again = init_ca(pki, now=NOW + timedelta(days=5), key_type="rsa")
    assert again.cert_pem == ca.cert_pem
    assert (pki / "ca.key").read_bytes() == before


def test_ca_private_key_is_not_exposed(pki: Path, ca: CA) -> None:
    ca_key = (pki / "ca.key").read_bytes()
    assert b"PRIVATE KEY" in ca_key
    assert "PRIVATE" not in repr(ca)
    issued = issue_node1(ca, pki)
    assert ca_key not in (issued.cert_pem, issued.key_pem, issued.ca_pem)
    assert b"PRIVATE" not in issued.ca_pem + issued.cert_pem


@pytest.mark.parametrize("missing", ["ca.key", "ca.crt"])
def test_half_present_ca_is_refused(pki: Path, ca: CA, missing: str) -> None:
    (pki / missing).unlink()
    with pytest.raises(PKIError, match="exists without its partner"):
        init_ca(pki, now=NOW)


def test_mismatched_ca_key_is_refused(tmp_path: Path, pki: Path, ca: CA) -> None:
    init_ca(tmp_path / "other", now=NOW)
    shutil.copy(tmp_path / "other" / "ca.key", pki / "ca.key")
    with pytest.raises(PKIError, match="does not belong to"):
        init_ca(pki, now=NOW)


def test_naive_now_is_refused(pki: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        init_ca(pki, now=datetime(2025, 1, 1))


# --- issuing ---------------------------------------------------------------------------------


@needs_openssl
@pytest.mark.parametrize(
    ("kind", "ekus", "as_server", "as_client"),
    [
        ("server", [SERVER_AUTH, CLIENT_AUTH], True, True),
        ("peer", [SERVER_AUTH, CLIENT_AUTH], True, True),
        ("client", [CLIENT_AUTH], False, True),
    ],
)
def test_issued_certificates_verify_with_openssl_and_have_the_right_usages(
    pki: Path,
    ca: CA,
    kind: Kind,
    ekus: list[x509.ObjectIdentifier],
    as_server: bool,
    as_client: bool,
) -> None:
    issued = issue_node1(ca, pki, kind)
    assert issued.issued is True
    assert (pki / f"node1-{kind}.crt").read_bytes() == issued.cert_pem
    assert (pki / f"node1-{kind}.key").read_bytes() == issued.key_pem
    assert issued.ca_pem == (pki / "ca.crt").read_bytes()
    assert (mode(pki / f"node1-{kind}.key"), mode(pki / f"node1-{kind}.crt")) == (0o600, 0o644)
    assert openssl_verify(pki, f"node1-{kind}.crt", "sslserver") is as_server
    assert openssl_verify(pki, f"node1-{kind}.crt", "sslclient") is as_client
    cert = load(issued.cert_pem)
    assert list(ext(cert, x509.ExtendedKeyUsage).value) == ekus
    assert sans(cert) == (["node1", "node1.example.com"], ["10.0.0.1", "::1"])
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "node1"
    assert cert.issuer == load(ca.cert_pem).subject


def test_host_certificate_extensions(pki: Path, ca: CA) -> None:
    cert = load(issue_node1(ca, pki).cert_pem)
    constraints = ext(cert, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca is False
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical
    assert (usage.value.digital_signature, usage.value.key_encipherment) == (True, False)
    assert usage.value.key_cert_sign is False
    ca_ski = ext(load(ca.cert_pem), x509.SubjectKeyIdentifier).value
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ca_ski.digest
    ski = ext(cert, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    assert cert.not_valid_before_utc == NOW - timedelta(hours=1)
    assert cert.not_valid_after_utc == NOW + timedelta(days=365)


@needs_openssl
def test_client_certificate_without_sans(pki: Path, ca: CA) -> None:
    issued = issue(ca, pki, "etcdctl", "client", [], [], now=NOW)
    with pytest.raises(x509.ExtensionNotFound):
        load(issued.cert_pem).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert openssl_verify(pki, "etcdctl-client.crt", "sslclient")


@needs_openssl
def test_rsa_ca_and_host_certificate(pki: Path) -> None:
    ca = init_ca(pki, key_type="rsa", now=NOW)
    issued = issue_node1(ca, pki, "peer", key_type="rsa")
    cert = load(issued.cert_pem)
    assert isinstance(load(ca.cert_pem).public_key(), rsa.RSAPublicKey)
    public_key = cert.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == 2048
    usage = ext(cert, x509.KeyUsage).value
    assert (usage.digital_signature, usage.key_encipherment) == (True, True)
    assert b"BEGIN PRIVATE KEY" in issued.key_pem
    assert openssl_verify(pki, "node1-peer.crt", "sslserver")
    assert mode(pki / "node1-peer.key") == 0o600
    assert issue_node1(ca, pki, "peer", key_type="rsa").issued is False
    switched = issue_node1(ca, pki, "peer", key_type="ecdsa")
    assert switched.issued is True
    assert isinstance(load(switched.cert_pem).public_key(), ec.EllipticCurvePublicKey)
    assert openssl_verify(pki, "node1-peer.crt", "sslclient")


# --- reuse -----------------------------------------------------------------------------------


def test_same_sans_reuse_the_same_bytes(pki: Path, ca: CA) -> None:
    first = issue_node1(ca, pki)
    again = issue_node1(
        ca,
        pki,
        now=NOW + timedelta(days=100),
        dns=["node1.example.com", "node1"],
        ips=[ipaddress.ip_address("::1"), "10.0.0.1"],
    )
    assert again.issued is False
    assert (again.cert_pem, again.key_pem) == (first.cert_pem, first.key_pem)
    assert (pki / "node1-server.crt").read_bytes() == first.cert_pem


SANS = (["node1", "node1.example.com"], ["10.0.0.1", "::1"])


@pytest.mark.parametrize(
    ("dns", "ips"),
    [
        (["node1"], SANS[1]),
        (["node1", "node1.example.com", "etcd.example.com"], SANS[1]),
        (SANS[0], ["10.0.0.2", "::1"]),
        (SANS[0], ["10.0.0.1"]),
    ],
)
def test_changed_sans_reissue(pki: Path, ca: CA, dns: list[str], ips: list[str]) -> None:
    first = issue_node1(ca, pki)
    second = issue_node1(ca, pki, dns=dns, ips=ips)
    assert second.issued is True
    assert load(second.cert_pem).serial_number != load(first.cert_pem).serial_number
    assert second.key_pem != first.key_pem
    assert (pki / "node1-server.crt").read_bytes() == second.cert_pem


@pytest.mark.parametrize(
    ("days_before_expiry", "reissued"), [(31, False), (30, False), (29, True), (-1, True)]
)
def test_expiring_certificates_are_reissued(
    pki: Path, ca: CA, days_before_expiry: int, reissued: bool
) -> None:
    first = issue_node1(ca, pki)
    later = first.not_after - timedelta(days=days_before_expiry)
    second = issue_node1(ca, pki, now=later)
    assert second.issued is reissued
    assert (second.cert_pem == first.cert_pem) is not reissued
    if reissued:
        assert second.not_after == later + timedelta(days=365)


def test_certificate_from_another_ca_is_reissued(pki: Path, ca: CA) -> None:
    first = issue_node1(ca, pki)
    (pki / "ca.key").unlink()
    (pki / "ca.crt").unlink()
    new_ca = init_ca(pki, now=NOW)
    second = issue_node1(new_ca, pki)
    assert second.issued is True
    load(second.cert_pem).verify_directly_issued_by(load(new_ca.cert_pem))
    assert second.cert_pem != first.cert_pem


@pytest.mark.parametrize("broken", ["node1-server.key", "node1-server.crt"])
def test_missing_or_broken_files_are_reissued(pki: Path, ca: CA, broken: str) -> None:
    first = issue_node1(ca, pki)
    (pki / broken).write_bytes(b"garbage")
    second = issue_node1(ca, pki)
    assert second.issued is True and second.cert_pem != first.cert_pem


def test_key_not_matching_certificate_is_reissued(pki: Path, ca: CA) -> None:
    issue(ca, pki, "node2", "server", ["node2"], [], now=NOW)
    first = issue_node1(ca, pki)
    shutil.copy(pki / "node2-server.key", pki / "node1-server.key")
    second = issue_node1(ca, pki)
    assert second.issued is True and second.cert_pem != first.cert_pem


def test_validity_is_capped_by_the_ca_and_does_not_churn(pki: Path) -> None:
    ca = init_ca(pki, validity_days=20, now=NOW)
    first = issue_node1(ca, pki)
    assert first.not_after == NOW + timedelta(days=20)
    assert issue_node1(ca, pki, now=NOW + timedelta(days=1)).issued is False


def test_expired_ca_refuses_to_issue(pki: Path) -> None:
    ca = init_ca(pki, validity_days=10, now=NOW)
    with pytest.raises(PKIError, match="expired on 2025-03-11"):
        issue_node1(ca, pki, now=NOW + timedelta(days=11))


@pytest.mark.parametrize("name", ["", "ca", ".hidden", "a/b"])
def test_unusable_file_names_are_refused(pki: Path, ca: CA, name: str) -> None:
    with pytest.raises(ValueError, match="cannot be used in a certificate file name"):
        issue(ca, pki, name, "server", ["x"], [], now=NOW)


# --- status ----------------------------------------------------------------------------------


def test_status_lists_certificates(pki: Path, ca: CA) -> None:
    issue_node1(ca, pki, "peer")
    issue(ca, pki, "etcdctl", "client", [], [], validity_days=10, now=NOW)
    (pki / "junk.crt").write_text("nope")
    infos = status(pki, now=NOW + timedelta(days=2, hours=1))
    assert [i.file for i in infos] == ["ca.crt", "etcdctl-client.crt", "junk.crt", "node1-peer.crt"]
    ca_info, client, junk, peer = infos
    assert (ca_info.subject_cn, ca_info.is_ca, ca_info.days_left) == ("hostiso etcd CA", True, 3647)
    assert (client.subject_cn, client.sans_dns, client.sans_ip, client.days_left) == (
        "etcdctl",
        (),
        (),
        7,
    )
    assert junk.error == "not a PEM certificate" and junk.subject_cn is None
    assert (peer.subject_cn, peer.is_ca, peer.sans_dns, peer.sans_ip) == (
        "node1",
        False,
        ("node1", "node1.example.com"),
        ("10.0.0.1", "::1"),
    )
    assert peer.not_after == NOW + timedelta(days=365)
    assert peer.days_left == 362


def test_status_of_missing_directory_is_empty(tmp_path: Path) -> None:
    assert status(tmp_path / "nope", now=NOW) == []


# --- SAN checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["node1", "node1.example.com", "*.etcd.example.com", "a" * 63 + ".x", "xn--bcher-kva.de"],
)
def test_good_dns_names(name: str) -> None:
    assert check_dns_name(name) == []


@pytest.mark.parametrize(
    "name", ["", "-node", "node-", "a" * 64, "no de", "node_1", "a..b", "büch.de", "*", "a.*.b"]
)
def test_bad_dns_names(name: str) -> None:
    (diag,) = check_dns_name(name)
    assert (diag.code, diag.path) == ("bad-san", ())
    assert diag.message == f"{name!r} is not a valid DNS name for a certificate"


def test_ip_checks() -> None:
    assert check_ip_address("10.0.0.1") == [] and check_ip_address("fd00::1") == []
    (diag,) = check_ip_address("10.0.0.256")
    assert (diag.code, diag.message) == ("bad-san", "'10.0.0.256' is not an IP address")
