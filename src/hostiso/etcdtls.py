"""etcd TLS for clusters derived from the fleet (issue 4). Not wired in yet."""

from __future__ import annotations

from hostiso.fleet import Host


def add_tls(hosts: list[Host]) -> None:
    """Issue certificates and add TLS files and flags to etcd and flannel."""
