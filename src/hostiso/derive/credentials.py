"""Passwords from files under ``secrets/``: ``password_file`` becomes ``password_hash``.

A user may write ``password_file: secrets/core.password`` (a path relative to the fleet
root that must stay inside ``secrets/``).  The build hashes the file's first line with
sha512-crypt and a salt derived from the fleet secret (``secrets/fleet.key``, made on first
need), the host name and the user name: the same inputs give the same hash, so ISOs stay
reproducible, while every host and user gets a different hash.

The node ``password_file`` is replaced in ``host.user`` by ``password_hash``, keeping the
mark of the ``password_file`` value, so the Ignition output never sees the key and a
diagnostic about the hash points at the line that named the file.  The password file and
the fleet secret join the host's make inputs.  A literal ``password:`` is an error: it
means plaintext in git.  No message here ever echoes a value.
"""

from __future__ import annotations

import os
from pathlib import Path as FsPath

from hostiso.crypto.passwords import (
    FLEET_SECRET_FILE,
    MAX_PASSWORD_BYTES,
    FleetSecretError,
    derived_salt,
    hash_password,
    load_or_create_fleet_secret,
    plaintext_problem,
)
from hostiso.diagnostics import Diagnostic, error
from hostiso.load import sources
from hostiso.load.fleet import Host
from hostiso.load.yamlload import Node
from hostiso.util import fsutil

SECRETS = "secrets"


def fleet_root(host: Host) -> FsPath:
    """The fleet directory of *host*; display paths (``host.source``) are relative to it.

    ``Host`` has no root yet, so this falls back to the working directory, which is the
    root whenever ``--root`` is left at ``.``.
    """
    root = getattr(host, "root", None)
    return FsPath(root) if root is not None else FsPath(".")


def resolve_fleet(hosts: list[Host]) -> None:
    """Turn each user's ``password_file`` into a ``password_hash``."""
    for host in hosts:
        if host.user is not None:
            resolve_host(host, fleet_root(host))


def resolve_host(host: Host, root: FsPath) -> None:
    for index, user in enumerate(_own_users(host)):
        if user is None:
            continue
        path = ("passwd", "users", index)
        found = _refuse_plaintext(user, path)
        if "password_file" in user.value:
            found += _resolve_user(host, root, user, path)
        host.diagnostics += [d.for_host(host.name) for d in found]


def _copy(node: Node) -> Node:
    value = dict(node.value) if isinstance(node.value, dict) else list(node.value)
    return Node(value, node.mark, node.key_mark)


def _own_users(host: Host) -> list[Node | None]:
    """The host's user nodes, copied along their path so that changing them changes this
    host only (merged trees share nodes with the overlays, and so with other hosts)."""
    tree = host.user
    passwd = tree.get("passwd") if tree is not None else None
    users = passwd.get("users") if passwd is not None else None
    if tree is None or passwd is None or users is None or not isinstance(users.value, list):
        return []
    if not isinstance(passwd.value, dict):
        return []
    host.user = tree = _copy(tree)
    tree.value["passwd"] = passwd = _copy(passwd)
    passwd.value["users"] = users = _copy(users)
    users.value[:] = [_copy(u) if isinstance(u.value, dict) else u for u in users.value]
    return [u if isinstance(u.value, dict) else None for u in users.value]


def _refuse_plaintext(user: Node, path: tuple[str | int, ...]) -> list[Diagnostic]:
    node = user.value.pop("password", None)  # never let it travel further
    if node is None:
        return []
    message = (
        "a plaintext 'password' must not be written in a config (it ends up in git); "
        "use 'password_hash' (from `hostiso passwd`) or 'password_file: secrets/FILE'"
    )
    return [error("plaintext-password", message, (*path, "password"), node.mark, blocking=False)]


def _resolve_user(
    host: Host, root: FsPath, user: Node, path: tuple[str | int, ...]
) -> list[Diagnostic]:
    node: Node = user.value["password_file"]
    where = (*path, "password_file")
    if "password_hash" in user.value:
        message = "set either 'password_hash' or 'password_file', not both"
        return [error("conflicting-password", message, where, node.mark)]
    name = user.value.get("name")
    if not isinstance(node.value, str) or name is None or not isinstance(name.value, str):
        return []  # the schema has said what is wrong
    plaintext, problem = read_password_file(root, node.value)
    if problem is not None:
        return [error("bad-password-file", problem, where, node.mark)]
    try:
        secret = load_or_create_fleet_secret(root / SECRETS)
    except (FleetSecretError, OSError) as exc:
        return [error("bad-fleet-secret", f"cannot use the fleet secret: {exc}", where, node.mark)]
    assert plaintext is not None
    salt = derived_salt(secret, host.name, name.value)
    hashed = Node(hash_password(plaintext, salt=salt), node.mark)
    user.value = _replace_key(user.value, "password_file", "password_hash", hashed)
    host.inputs += [os.path.normpath(node.value), f"{SECRETS}/{FLEET_SECRET_FILE}"]
    return []


def _replace_key(items: dict[str, Node], old: str, new: str, node: Node) -> dict[str, Node]:
    node.key_mark = items[old].key_mark
    return {(new if k == old else k): (node if k == old else v) for k, v in items.items()}


def read_password_file(root: FsPath, rel: str) -> tuple[str | None, str | None]:
    """``(password, None)`` from the first line of *rel*, or ``(None, why not)``."""
    problem = _confine(root, rel)
    if problem is not None:
        return None, problem
    try:  # the first line is all we need: never read more than it may hold
        data = fsutil.read_regular(root / rel, MAX_PASSWORD_BYTES + 2)
    except OSError as exc:
        return None, f"cannot read {rel}: {exc.strerror or 'error'}"
    first = data.split(b"\n", 1)
    if len(first) == 1 and len(data) > MAX_PASSWORD_BYTES:
        return None, f"the first line of {rel} is longer than {MAX_PASSWORD_BYTES:,} bytes"
    try:  # an editor's byte order mark is no part of the password (utf-8-sig drops it)
        line = first[0].decode("utf-8-sig").removesuffix("\r")
    except UnicodeDecodeError:
        return None, f"{rel} is not UTF-8 text"
    if line == "":
        return None, f"{rel} is empty: its first line is the password"
    problem = plaintext_problem(line)
    return (None, f"{rel}: {problem}") if problem else (line, None)


def _confine(root: FsPath, rel: str) -> str | None:
    """Why *rel* is not a file path inside ``root/secrets`` (symlinks resolved), or None."""
    hint = f"password_file must be a path under {SECRETS}/, like {SECRETS}/core.password"
    norm = os.path.normpath(rel)
    if os.path.isabs(rel) or not norm.startswith(SECRETS + os.sep):
        return f"'{rel}' is outside {SECRETS}/; {hint}"
    why = sources.input_name_problem(rel)
    if why is not None:  # it would be named in the host's depfile, which make reads
        return f"the file name '{sources.printable(rel)}' cannot be used: {why}"
    secrets_dir = fsutil.real(root / SECRETS)
    if not fsutil.real(root / norm).is_relative_to(secrets_dir):
        return f"'{rel}' leads outside {SECRETS}/ through a symbolic link; {hint}"
    if not (root / norm).is_file():
        return f"{norm} does not exist or is not a file; {hint}"
    return None
