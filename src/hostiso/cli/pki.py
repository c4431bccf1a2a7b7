"""``hostiso pki init|status``: the etcd CA and its certificates.

``pki init`` makes the etcd CA in ``secrets/pki/`` (the build makes it on first
need too); ``pki status`` lists each certificate there with its SANs and expiry.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path as FsPath

from hostiso.cli.io import CONFIG_EXIT, IO
from hostiso.crypto import pki

PKI_DIR = ("secrets", "pki")


HELP = "the etcd CA and certificates in secrets/pki/"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("init", "status"))
    p.add_argument("--root", default=".", help="the fleet directory (default: .)")
    p.add_argument(
        "--key-type",
        choices=("ecdsa", "rsa"),
        default="ecdsa",
        help="the CA's key type when init creates it (default ecdsa)",
    )


def run(args: argparse.Namespace, io: IO) -> int:
    pki_dir = FsPath(args.root).joinpath(*PKI_DIR)
    now = datetime.now(UTC)
    if args.action == "status":
        io.stdout.write(format_status(pki.status(pki_dir, now=now)))
        return 0
    existed = (pki_dir / pki.CA_CERT_FILE).exists()
    try:
        ca = pki.init_ca(pki_dir, key_type=args.key_type, now=now)
    except (pki.PKIError, OSError) as exc:
        io.stderr.write(f"hostiso pki: error: {exc}\n")
        return CONFIG_EXIT
    verb = "uses the existing" if existed else "created the"
    expiry = f"{ca.cert.not_valid_after_utc:%Y-%m-%d}"
    io.stdout.write(f"{pki_dir / pki.CA_CERT_FILE}: {verb} etcd CA, expires {expiry}\n")
    return 0


def format_status(infos: list[pki.CertInfo]) -> str:
    """One line per certificate: file, CN, SANs, expiry date and days left."""
    if not infos:
        return "no certificates (run `hostiso pki init` or build the fleet)\n"
    return "".join(_status_line(info) + "\n" for info in infos)


def _status_line(info: pki.CertInfo) -> str:
    if info.error is not None or info.not_after is None:
        return f"{info.file}: error: {info.error or 'unreadable'}"
    sans = ", ".join([*info.sans_dns, *info.sans_ip]) or "-"
    what = "CA" if info.is_ca else f"CN={info.subject_cn}"
    days = info.days_left if info.days_left is not None else 0
    state = "EXPIRED" if days < 0 else f"{days} days left"
    return f"{info.file}: {what}; SANs: {sans}; expires {info.not_after:%Y-%m-%d} ({state})"
