"""An offline CA for etcd TLS: one CA per fleet, a key and certificate per host and purpose.

Layout of *pki_dir* (mode 0700): ``ca.key`` (0600) and ``ca.crt``, then
``<name>-<kind>.key`` (0600) and ``<name>-<kind>.crt`` for kind server, peer or client.

Determinism comes from reuse, not from regeneration: :func:`issue` returns the certificate
already on disk when its SANs are the same sets, its key matches and is of the asked type,
the current CA signed it, and it stays valid for 30 more days (or as long as the CA does).
Otherwise it issues a new one with a random serial.

Extended key usages: peer and server certificates carry serverAuth *and* clientAuth, client
certificates clientAuth only.  etcd's gRPC gateway dials its own client port presenting the
server certificate, so with ``--client-cert-auth`` a serverAuth-only certificate is rejected
("tls: bad certificate"; etcd-io/etcd#9785, kubernetes#65020).

The CA private key never leaves this module: :class:`CA` keeps it in a private field and
no function returns it.  Host files are returned as PEM bytes for the caller to place under
``/etc/ssl/etcd/``.  Broken files on disk (a half-present or mismatched CA, an expired CA)
raise :class:`PKIError`; bad SANs are reported by :func:`check_dns_name` and
:func:`check_ip_address` and must be checked before calling :func:`issue`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hostiso.diagnostics import Diagnostic, error
from hostiso.util import fsutil

KeyType = Literal["ecdsa", "rsa"]
Kind = Literal["server", "peer", "client"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

CA_CN = "hostiso etcd CA"
CA_KEY_FILE, CA_CERT_FILE = "ca.key", "ca.crt"
RENEW_BEFORE = timedelta(days=30)
BACKDATE = timedelta(hours=1)  # tolerate hosts whose clock is a little behind
LAST_DATE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
"""The last time an X.509 date (GeneralizedTime) and a Python datetime can hold."""
RSA_BITS = 2048
EKUS: dict[str, tuple[x509.ObjectIdentifier, ...]] = {
    "server": (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH),
    "peer": (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH),
    "client": (ExtendedKeyUsageOID.CLIENT_AUTH,),
}
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


class PKIError(ValueError):
    """The PKI directory holds something unusable (not a configuration problem)."""


@dataclass(frozen=True)
class CA:
    cert: x509.Certificate
    cert_pem: bytes
    _key: PrivateKey = field(repr=False, compare=False)


@dataclass(frozen=True)
class Issued:
    name: str
    kind: Kind
    cert_pem: bytes
    key_pem: bytes
    ca_pem: bytes
    issued: bool  # False when the certificate on disk was reused
    not_after: datetime


@dataclass(frozen=True)
class CertInfo:
    file: str
    subject_cn: str | None = None
    sans_dns: tuple[str, ...] = ()
    sans_ip: tuple[str, ...] = ()
    not_after: datetime | None = None
    days_left: int | None = None
    is_ca: bool = False
    error: str | None = None


# --- checks ----------------------------------------------------------------------------------


def check_dns_name(value: str) -> list[Diagnostic]:
    """A DNS SAN: LDH labels, at most 253 characters, optionally a leading ``*.`` wildcard."""
    labels = value.removeprefix("*.").split(".")
    if len(value) > 253 or not all(_LABEL.match(label) for label in labels):
        return [error("bad-san", f"{value!r} is not a valid DNS name for a certificate")]
    return []


def check_ip_address(value: str) -> list[Diagnostic]:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return [error("bad-san", f"{value!r} is not an IP address")]
    return []


# --- CA --------------------------------------------------------------------------------------


def init_ca(
    pki_dir: Path, *, key_type: KeyType = "ecdsa", validity_days: int = 3650, now: datetime
) -> CA:
    """Load the CA from *pki_dir*, or create it (*key_type* only matters when creating)."""
    _check_aware(now)
    _make_private_dir(pki_dir)
    key_path, cert_path = pki_dir / CA_KEY_FILE, pki_dir / CA_CERT_FILE
    if key_path.exists() and cert_path.exists():
        return _load_ca(key_path, cert_path)
    if key_path.exists() or cert_path.exists():
        present = key_path if key_path.exists() else cert_path
        raise PKIError(f"{present} exists without its partner; restore it or remove it")
    key = _new_key(key_type)
    cert = _build_ca_cert(key, validity_days, now)
    _write_atomic(key_path, _key_pem(key), 0o600, durable=True)
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644, durable=True)
    return CA(cert, cert.public_bytes(serialization.Encoding.PEM), key)


def _load_ca(key_path: Path, cert_path: Path) -> CA:
    key = _read_key(key_path)
    cert = _read_cert(cert_path)
    if key is None or cert is None:
        raise PKIError(f"{key_path if key is None else cert_path} is not a PEM key/certificate")
    if not _same_public_key(cert, key):
        raise PKIError(f"{cert_path} does not belong to {key_path}")
    if not _is_ca(cert):
        raise PKIError(f"{cert_path} is not a CA certificate")
    return CA(cert, cert.public_bytes(serialization.Encoding.PEM), key)


def _build_ca_cert(key: PrivateKey, validity_days: int, now: datetime) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_CN)])
    usage = _key_usage(digital_signature=False, cert_sign=True)
    builder = (
        _base_builder(name, name, key.public_key(), now - BACKDATE, days_after(now, validity_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False)
    )
    return builder.sign(key, hashes.SHA256())


# --- host certificates -----------------------------------------------------------------------


def issue(
    ca: CA,
    pki_dir: Path,
    name: str,
    kind: Kind,
    sans_dns: Sequence[str],
    sans_ip: Sequence[str | IPAddress],
    *,
    key_type: KeyType = "ecdsa",
    validity_days: int = 365,
    now: datetime,
) -> Issued:
    """The certificate and key for *name* as *kind*, reused from disk when still good."""
    _check_aware(now)
    _check_file_name(name)
    ips = tuple(ipaddress.ip_address(ip) for ip in sans_ip)
    req = _Request(name, kind, tuple(sans_dns), ips, key_type)
    key_path, cert_path = pki_dir / f"{name}-{kind}.key", pki_dir / f"{name}-{kind}.crt"
    current = _reusable(ca, req, _read_key(key_path), _read_cert(cert_path), now)
    if current is not None:
        return _issued(ca, req, *current, issued=False)
    if ca.cert.not_valid_after_utc <= now:
        raise PKIError(f"the CA in {pki_dir} expired on {ca.cert.not_valid_after_utc:%Y-%m-%d}")
    key = _new_key(key_type)
    cert = _build_host_cert(ca, req, key, validity_days, now)
    _make_private_dir(pki_dir)
    _write_atomic(key_path, _key_pem(key), 0o600)
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return _issued(ca, req, cert, key, issued=True)


@dataclass(frozen=True)
class _Request:
    name: str
    kind: Kind
    dns: tuple[str, ...]
    ips: tuple[IPAddress, ...]
    key_type: KeyType


def _issued(
    ca: CA, req: _Request, cert: x509.Certificate, key: PrivateKey, *, issued: bool
) -> Issued:
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    not_after = cert.not_valid_after_utc
    return Issued(req.name, req.kind, cert_pem, _key_pem(key), ca.cert_pem, issued, not_after)


def _reusable(
    ca: CA, req: _Request, key: PrivateKey | None, cert: x509.Certificate | None, now: datetime
) -> tuple[x509.Certificate, PrivateKey] | None:
    if key is None or cert is None or _key_type(key) != req.key_type:
        return None
    if not _same_public_key(cert, key) or not _signed_by(cert, ca.cert):
        return None
    if _sans(cert) != (set(req.dns), set(req.ips)):
        return None
    keep_until = min(days_after(now, RENEW_BEFORE.days), ca.cert.not_valid_after_utc)
    if cert.not_valid_before_utc > now or cert.not_valid_after_utc < keep_until:
        return None
    return cert, key


def _build_host_cert(
    ca: CA, req: _Request, key: PrivateKey, validity_days: int, now: datetime
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, req.name)])
    not_after = min(days_after(now, validity_days), ca.cert.not_valid_after_utc)
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    builder = (
        _base_builder(ca.cert.subject, subject, key.public_key(), now - BACKDATE, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, key_encipherment=is_rsa), True)
        .add_extension(x509.ExtendedKeyUsage(list(EKUS[req.kind])), critical=False)
        .add_extension(_authority_key_id(ca.cert), critical=False)
    )
    general: list[x509.GeneralName] = [x509.DNSName(d) for d in req.dns]
    general += [x509.IPAddress(ip) for ip in req.ips]
    if general:
        builder = builder.add_extension(x509.SubjectAlternativeName(general), critical=False)
    return builder.sign(ca._key, hashes.SHA256())


def _base_builder(
    issuer: x509.Name,
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .issuer_name(issuer)
        .subject_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(
    *, digital_signature: bool, key_encipherment: bool = False, cert_sign: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _authority_key_id(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


# --- status ----------------------------------------------------------------------------------


def status(pki_dir: Path, *, now: datetime) -> list[CertInfo]:
    """Every ``*.crt`` in *pki_dir*, sorted by file name, for ``hostiso pki status``."""
    _check_aware(now)
    if not pki_dir.is_dir():
        return []
    return [_cert_info(path, now) for path in sorted(pki_dir.glob("*.crt"))]


def _cert_info(path: Path, now: datetime) -> CertInfo:
    cert = _read_cert(path)
    if cert is None:
        return CertInfo(path.name, error="not a PEM certificate")
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    dns, ips = _sans(cert)
    not_after = cert.not_valid_after_utc
    return CertInfo(
        file=path.name,
        subject_cn=str(cns[0].value) if cns else None,
        sans_dns=tuple(sorted(dns)),
        sans_ip=tuple(str(ip) for ip in sorted(ips, key=lambda ip: (ip.version, ip))),
        not_after=not_after,
        days_left=(not_after - now).days,
        is_ca=_is_ca(cert),
    )


# --- small helpers ---------------------------------------------------------------------------


def _new_key(key_type: KeyType) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key type {key_type!r}")


def _key_type(key: PrivateKey) -> KeyType:
    return "rsa" if isinstance(key, rsa.RSAPrivateKey) else "ecdsa"


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


MAX_PEM = 1 << 20
"""Read at most this much of a key or certificate (a FIFO is never read at all)."""


def _read_key(path: Path) -> PrivateKey | None:
    try:
        key = serialization.load_pem_private_key(fsutil.read_regular(path, MAX_PEM), password=None)
    except (OSError, ValueError, TypeError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) else None


def _read_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(fsutil.read_regular(path, MAX_PEM))
    except (OSError, ValueError):
        return None


def _same_public_key(cert: x509.Certificate, key: PrivateKey) -> bool:
    return cert.public_key() == key.public_key()


def _signed_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _sans(cert: x509.Certificate) -> tuple[set[str], set[IPAddress]]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    values = san.get_values_for_type(x509.IPAddress)
    ips = {ip for ip in values if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)}
    return set(san.get_values_for_type(x509.DNSName)), ips


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def days_after(now: datetime, days: int) -> datetime:
    """``now`` plus ``days`` (at least 1), at most :data:`LAST_DATE`: never an OverflowError."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"a validity of {days!r} days is not a whole number of days, at least 1")
    try:
        return min(now + timedelta(days=days), LAST_DATE)
    except OverflowError:
        return LAST_DATE


def _check_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(timezone.utc))")


def _check_file_name(name: str) -> None:
    if not name or name.startswith(".") or "/" in name or "\0" in name or name == "ca":
        raise ValueError(f"{name!r} cannot be used in a certificate file name")


def _make_private_dir(path: Path) -> None:
    fsutil.private_dir(path.parent)  # secrets/ itself: private too, even if it existed
    fsutil.private_dir(path)


def _write_atomic(path: Path, data: bytes, mode: int, *, durable: bool = False) -> None:
    """Temp file and rename; ``durable`` (the CA) also fsyncs: losing it loses the fleet.

    Host certificates skip the fsync (it costs milliseconds each, a thousand
    times over on a first build); one lost in a crash is simply issued again.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def renewal_time(cert_path: Path) -> float:
    """When the certificate at ``cert_path`` stops being reused (0 if unreadable)."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return 0.0
    return (cert.not_valid_after_utc - RENEW_BEFORE).timestamp()
