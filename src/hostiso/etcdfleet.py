"""The etcd cluster derived from the fleet (issue 3). Not wired in yet."""

from __future__ import annotations

from hostiso.fleet import Host


def derive_fleet(hosts: list[Host]) -> None:
    """Fill in each etcd member's cluster settings from the fleet."""
