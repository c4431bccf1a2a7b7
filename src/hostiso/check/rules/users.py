"""Host rules for ``passwd.users``: password hashes and SSH keys.

``bad-password-hash``
    ``password_hash`` must be a crypt string Container Linux can verify (spec 2.x:
    sha512-crypt ``$6$`` or sha256-crypt ``$5$``).  Passes: ``password_hash: "$6$salt$..."``
    as ``hostiso passwd`` prints it.  Fails: ``password_hash: "$1$abc$..."`` (MD5) or a
    yescrypt ``$y$`` hash from Debian's plain ``mkpasswd``.

``bad-ssh-key`` / ``weak-ssh-key``
    Each ``ssh_authorized_keys`` item must parse as an authorized_keys line; DSA keys and
    RSA keys under 2048 bits are weak.  Passes: ``- ssh-ed25519 AAAAC3Nz... me@host``.
    Fails: ``- ssh-ed25519 AAAA`` (truncated), ``- ssh-dss AAAAB3Nz...``.

``duplicate-ssh-key`` (warning)
    The same key twice in one user's list (options and comments are ignored).

``keys-without-home`` (warning)
    A new user with ``ssh_authorized_keys`` and ``no_create_home: true``: Ignition
    writes the keys into the home directory as that user and creates no home, so the
    first boot fails unless the image has it (seen with the real engines: 3.x
    "creating parent dirs ... permission denied", Flatcar's 2.x "adding ssh keys to
    user ...: no such file or directory").  Passes: the keys without ``no_create_home``, or
    ``no_create_home`` on ``core``.  Fails: ct's own docs example ``user1`` with
    ``home_dir: /home/user1``, ``no_create_home: true`` and a key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from hostiso.crypto.passwords import check_password_hash
from hostiso.crypto.sshkeys import check_authorized_key, find_duplicate_keys
from hostiso.diagnostics import Diagnostic, Path, warning
from hostiso.load.fleet import Host

#: Ignition spec major of every target hostiso writes (2.2.0, 2.3.0).
SPEC_MAJOR = 2


def _users(host: Host) -> Iterator[tuple[Path, dict[str, Any]]]:
    passwd = host.plain().get("passwd")
    users = passwd.get("users") if isinstance(passwd, dict) else None
    for index, user in enumerate(users if isinstance(users, list) else []):
        if isinstance(user, dict):
            yield ("passwd", "users", index), user


def _keys(user: dict[str, Any]) -> list[str]:
    keys = user.get("ssh_authorized_keys")
    return [k if isinstance(k, str) else "" for k in keys] if isinstance(keys, list) else []


def password_hashes(host: Host) -> Iterator[Diagnostic]:
    for path, user in _users(host):
        value = user.get("password_hash")
        if isinstance(value, str):
            for d in check_password_hash(value, spec_major=SPEC_MAJOR):
                yield d.prefixed((*path, "password_hash"))


def ssh_keys(host: Host) -> Iterator[Diagnostic]:
    for path, user in _users(host):
        for index, line in enumerate(_keys(user)):
            for d in check_authorized_key(line):
                yield d.prefixed((*path, "ssh_authorized_keys", index))


def duplicate_ssh_keys(host: Host) -> Iterator[Diagnostic]:
    for path, user in _users(host):
        keys_path = (*path, "ssh_authorized_keys")
        for first, again in find_duplicate_keys(_keys(user)):
            first_mark = host.locate((*keys_path, first))
            message = f"this SSH key is already listed (item {first + 1} of this user's keys)"
            d = warning("duplicate-ssh-key", message, (*keys_path, again))
            yield (
                d
                if first_mark is None
                else replace(d, related=(("first listed here", first_mark),))
            )


IMAGE_USERS = frozenset({"core", "root"})
"""Users Container Linux images have, with their homes: Ignition only modifies them."""


def keys_without_home(host: Host) -> Iterator[Diagnostic]:
    for path, user in _users(host):
        name = user.get("name")
        if user.get("no_create_home") is True and _keys(user) and name not in IMAGE_USERS:
            home = user.get("home_dir") or f"/home/{name}"
            yield warning(
                "keys-without-home",
                f"user {name!r} has SSH keys and no_create_home: Ignition writes the keys "
                f"into {home} as {name!r} and does not create it, so the first boot fails "
                f"unless the image has {home}; leave no_create_home out",
                (*path, "no_create_home"),
            )


RULES = {
    "password-hash": password_hashes,
    "ssh-keys": ssh_keys,
    "duplicate-ssh-keys": duplicate_ssh_keys,
    "keys-without-home": keys_without_home,
}
