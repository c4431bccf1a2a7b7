"""Hosts nobody can log into."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hostiso.check.rules.common import plain
from hostiso.diagnostics import Diagnostic, warning
from hostiso.load.fleet import Host

CREDENTIAL_KEYS = ("ssh_authorized_keys", "password_hash", "password_file")


def can_log_in(user: Any) -> bool:
    """The user has an SSH key or a password (hash or file) to log in with."""
    return isinstance(user, dict) and any(user.get(key) for key in CREDENTIAL_KEYS)


def _remote_config(clc: dict[str, Any]) -> bool:
    config = (clc.get("ignition") or {}).get("config") or {}
    return bool(config.get("append") or config.get("replace"))


def no_login(host: Host) -> Iterator[Diagnostic]:
    """Some user must be able to log in: an SSH key or a password hash.

    Without one the machine boots, but nobody can get in to fix or inspect
    it, short of reinstalling.  Hosts that append or replace a remote
    Ignition config are not checked (the remote part may add a login).

    Failing::

        # configs/a.yaml
        passwd:
          users:
            - name: core

    Passing::

        # configs/a.yaml
        passwd:
          users:
            - name: core
              ssh_authorized_keys:
                - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBJv5RvDoHOF7k93AMhnKTiy7cVnTf59Ljd4YO3Fy0rR
    """
    clc = plain(host)
    users = (clc.get("passwd") or {}).get("users") or []
    if _remote_config(clc) or any(can_log_in(u) for u in users):
        return
    yield warning(
        "no-login",
        "nobody can log into this host: no user has an SSH key "
        "(ssh_authorized_keys) or a password (password_hash)",
        ("passwd", "users") if users else (),
    )


HOST_RULES = {"no-login": no_login}
