"""Passwords from files under secrets/ (issue 4). Not wired in yet."""

from __future__ import annotations

from hostiso.fleet import Host


def resolve_fleet(hosts: list[Host]) -> None:
    """Turn each user's ``password_file`` into a ``password_hash``."""
