"""``hostiso passwd``: a sha512-crypt hash, replacing ``mkpasswd -m sha-512``.

On a tty it asks twice without echo, otherwise it reads one line from stdin,
and prints the hash (5000 rounds unless ``--rounds N``).
"""

from __future__ import annotations

import argparse

from hostiso.cli.io import CONFIG_EXIT, IO, USAGE_EXIT
from hostiso.crypto import passwords

HELP = "print a sha512-crypt password hash (as mkpasswd)"
MIN_ROUNDS, MAX_ROUNDS = 1000, 999_999_999


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rounds", type=int, default=5000, help="sha512-crypt rounds (default 5000)")


def run(args: argparse.Namespace, io: IO) -> int:
    if not MIN_ROUNDS <= args.rounds <= MAX_ROUNDS:
        io.stderr.write(f"hostiso passwd: error: --rounds must be {MIN_ROUNDS}..{MAX_ROUNDS}\n")
        return USAGE_EXIT
    tty = hasattr(io.stdin, "isatty") and io.stdin.isatty()
    password = passwords.read_password_interactive(io.stdin, io.stderr, tty)
    if password is None:
        return CONFIG_EXIT
    io.stdout.write(passwords.hash_password(password, rounds=args.rounds) + "\n")
    return 0
