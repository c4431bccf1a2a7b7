"""etcd checks on the effective ``etcd`` section (after the fleet derived it).

A host is a member when its config has ``etcd:`` or it is in group
``etcd``.  ``initial_cluster`` agreeing with the fleet, duplicate member
names, differing tokens and an even member count are checked where the
cluster is derived, which sees every member, errors or not (``etcdfleet``:
``etcd-cluster-mismatch``, ``etcd-duplicate-name``, ``etcd-token-mismatch``,
``etcd-even-members``), not here: these rules see only hosts without
errors.
"""

from __future__ import annotations

from collections.abc import Iterator

from hostiso.check.rules.common import Endpoint, split_urls
from hostiso.check.rules.hostfacts import HostFacts
from hostiso.diagnostics import Diagnostic, Path, Severity

Host = HostFacts

ETCD_PATH: Path = ("etcd",)


def _foreign(
    endpoint: Endpoint, key: str, host: Host, own: set[str], owners: dict[str, Host]
) -> str | None:
    """Why an advertised URL is not this host's, or None when it is."""
    ip = endpoint.ip
    if ip is None:
        other = owners.get(endpoint.host)
        if other is not None and other is not host:
            return f"'{endpoint.host}' is the name of host {other.stem}"
        return None
    if str(ip) in own or (ip.is_loopback and key == "advertise_client_urls"):
        return None
    other = owners.get(str(ip))
    if other is not None and other is not host:
        return f"{ip} is an address of host {other.stem}"
    mine = ", ".join(sorted(own))
    return f"{ip} is not an address of this host ({mine})"


def _owners(hosts: list[Host]) -> dict[str, Host]:
    owners: dict[str, Host] = {}
    for host in hosts:
        owners.setdefault(host.name, host)
        for address in host.addresses:
            owners.setdefault(address[0], host)
    return owners


def foreign_url(hosts: list[Host]) -> Iterator[tuple[Host, Diagnostic]]:
    """A member must advertise URLs that reach itself.

    ``initial_advertise_peer_urls`` and ``advertise_client_urls`` are what
    other members and clients dial; an address of another host (a copied
    host file) sends them to the wrong machine.  An IP must be one of the
    host's own static addresses (loopback is accepted for client URLs); a
    name must not be another host's hostname.  Hosts without a static
    address are not checked.

    Failing::

        # configs/a.yaml
        network: {interface: eth0, addresses: [192.168.1.11/24]}
        etcd:
          initial_advertise_peer_urls: http://192.168.1.12:2380

    Passing::

        # configs/a.yaml
        network: {interface: eth0, addresses: [192.168.1.11/24]}
        etcd:
          initial_advertise_peer_urls: http://192.168.1.11:2380
    """
    owners = _owners(hosts)
    for host in hosts:
        own = {address[0] for address in host.addresses}
        if not host.member or not own:
            continue
        for key, value in host.urls:
            for endpoint in split_urls(value, ("etcd", key)):
                why = _foreign(endpoint, key, host, own, owners)
                if why is not None:
                    message = (
                        f"etcd advertises {endpoint.url} in {key}, but {why}; "
                        "other members would dial the wrong machine"
                    )
                    yield (
                        host,
                        Diagnostic(Severity.ERROR, "etcd-foreign-url", message, endpoint.path),
                    )


FLEET_RULES = {
    "etcd-foreign-url": foreign_url,
}
