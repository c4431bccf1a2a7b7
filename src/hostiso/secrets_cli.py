"""``hostiso passwd`` and ``hostiso pki init|status``: the secrets commands.

``passwd`` replaces ``mkpasswd -m sha-512``: on a tty it asks twice without echo, otherwise
it reads one line from stdin, and prints a sha512-crypt hash (5000 rounds unless
``--rounds N``).  ``pki init`` makes the etcd CA in ``secrets/pki/`` (the build makes it on
first need too); ``pki status`` lists each certificate there with its SANs and expiry.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from hostiso import passwords, pki

if TYPE_CHECKING:
    from hostiso.commands import IO

CONFIG_EXIT, USAGE_EXIT = 1, 2
MIN_ROUNDS, MAX_ROUNDS = 1000, 999_999_999
PKI_DIR = ("secrets", "pki")


def add_parsers(sub: Any) -> None:
    """The ``passwd`` and ``pki`` subcommands, on the CLI's subparsers object."""
    p = sub.add_parser("passwd", help="print a sha512-crypt password hash (as mkpasswd)")
    p.add_argument("--rounds", type=int, default=5000, help="sha512-crypt rounds (default 5000)")
    p = sub.add_parser("pki", help="the etcd CA and certificates in secrets/pki/")
    p.add_argument("action", choices=("init", "status"))
    p.add_argument("--root", default=".", help="the fleet directory (default: .)")
    p.add_argument(
        "--key-type",
        choices=("ecdsa", "rsa"),
        default="ecdsa",
        help="the CA's key type when init creates it (default ecdsa)",
    )


def cmd_passwd(args: argparse.Namespace, io: IO) -> int:
    if not MIN_ROUNDS <= args.rounds <= MAX_ROUNDS:
        io.stderr.write(f"hostiso passwd: error: --rounds must be {MIN_ROUNDS}..{MAX_ROUNDS}\n")
        return USAGE_EXIT
    tty = hasattr(io.stdin, "isatty") and io.stdin.isatty()
    password = passwords.read_password_interactive(io.stdin, io.stderr, tty)
    if password is None:
        return CONFIG_EXIT
    io.stdout.write(passwords.hash_password(password, rounds=args.rounds) + "\n")
    return 0


def cmd_pki(args: argparse.Namespace, io: IO) -> int:
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
