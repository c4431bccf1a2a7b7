"""etcd TLS for the cluster derived from the fleet: certificates, host files and flags.

TLS is on when the fleet has etcd members (hosts in group ``etcd`` or with an ``etcd:``
section) and none of them sets ``etcd_tls: false``; members that disagree are an error
(``etcdfleet`` reports it) and get no TLS.  ``etcd_tls`` of a host that is not a member
changes nothing: flannel hosts follow the members.
Then the etcd CA in ``secrets/pki/`` is loaded or made, and for each host that talks to
etcd (members and ``flannel:`` hosts) certificates are issued by :mod:`hostiso.crypto.pki`, which
reuses those on disk while their SANs match and they stay valid 30 more days:

* members: ``server`` and ``peer`` certificates whose SANs are the hostname (and its first
  label when it is an FQDN), every ``etcd_sans:`` entry, ``localhost``, every address of
  the host and ``127.0.0.1``; and a ``client`` certificate (for etcdctl and flannel);
* flannel hosts: a ``client`` certificate.

Keys are ECDSA P-256, or RSA 2048 with ``etcd_tls_key: rsa``; certificates are valid
``etcd_tls_days`` (default 365) days.  The files go under ``/etc/ssl/etcd/`` (mounted by
etcd-wrapper and flannel-wrapper) owned by the etcd user (uid and gid 232, as the
Container Linux etcd-wrapper runs etcd), keys 0400 and certificates 0644, as a base layer
under ``host.user`` together with etcd's and flannel's TLS options: the user's own values
win.  The https URLs themselves are the derivation step's (``etcdfleet``).  The CA key
never leaves ``secrets/pki/``; the CA certificate and the host's certificates and keys
there join the host's make inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path as FsPath
from types import ModuleType
from typing import TYPE_CHECKING, Any

from hostiso.derive.credentials import SECRETS, fleet_root
from hostiso.diagnostics import Diagnostic, Mark, error
from hostiso.load import formats, merge, netfacts
from hostiso.load.fleet import Host
from hostiso.load.yamlload import Node, from_plain

if TYPE_CHECKING:
    from hostiso.crypto import pki


def _pki() -> ModuleType:
    """:mod:`hostiso.crypto.pki`, imported when a fleet has etcd TLS (it loads
    ``cryptography.x509``, a tenth of a second a build without etcd need not pay)."""
    from hostiso.crypto import pki

    return pki


PKI = "pki"
HOST_DIR = "/etc/ssl/etcd"
ETCD_UID = 232
KEY_MODE, CERT_MODE = 0o400, 0o644
DEFAULT_DAYS = 365
CA_FILE = f"{HOST_DIR}/ca.crt"

#: etcd option -> file on the host (options set to True are in ETCD_SWITCHES).
ETCD_FILES: dict[str, str] = {
    "cert_file": f"{HOST_DIR}/server.crt",
    "key_file": f"{HOST_DIR}/server.key",
    "trusted_ca_file": CA_FILE,
    "peer_cert_file": f"{HOST_DIR}/peer.crt",
    "peer_key_file": f"{HOST_DIR}/peer.key",
    "peer_trusted_ca_file": CA_FILE,
}
ETCD_SWITCHES = ("client_cert_auth", "peer_client_cert_auth")
FLANNEL_FILES: dict[str, str] = {
    "etcd_cafile": CA_FILE,
    "etcd_certfile": f"{HOST_DIR}/client.crt",
    "etcd_keyfile": f"{HOST_DIR}/client.key",
}


def now() -> datetime:
    """The time certificates are checked and issued at (tests replace it)."""
    return datetime.now(UTC)


# --- who takes part --------------------------------------------------------------------------


def is_member(host: Host) -> bool:
    return "etcd" in host.groups or (host.user is not None and host.user.get("etcd") is not None)


def runs_flannel(host: Host) -> bool:
    return host.user is not None and host.user.get("flannel") is not None


def tls_setting(host: Host) -> Node | None:
    return host.user.get("etcd_tls") if host.user is not None else None


def tls_enabled(host: Host) -> bool:
    """The host's own ``etcd_tls`` (default true)."""
    node = tls_setting(host)
    return node is None or node.value is not False


def cluster_tls(hosts: list[Host]) -> bool:
    """Whether the fleet's derived cluster uses TLS: it has members and none turns it off."""
    members = [h for h in hosts if is_member(h)]
    return bool(members) and all(tls_enabled(h) for h in members)


# --- the step --------------------------------------------------------------------------------


@dataclass
class TlsPlan:
    """What a host's certificates will be; issued only when the host is built."""

    member: bool
    sans: tuple[list[str], list[str]]
    options: dict[str, Any]
    pki_dir: FsPath
    ca: pki.CA | None


def add_tls(hosts: list[Host]) -> None:
    """Add TLS flags to etcd and flannel and plan each host's certificates.

    The CA is loaded or made here (once, before any parallel work); the
    certificates themselves are issued by :func:`materialize` for the hosts
    actually built, so lint and incremental builds touch no key they do not need.
    """
    members = [h for h in hosts if is_member(h) and h.user is not None]
    if not members or _disagree(members):
        return
    if not cluster_tls(members):
        return
    clients = [h for h in hosts if (is_member(h) or runs_flannel(h)) and h.user is not None]
    ready = [h for h in clients if not h.failed]
    if not ready:
        return
    pki_dir = fleet_root(ready[0]) / SECRETS / PKI
    ca = None
    if ready[0].writes:
        try:
            ca = _pki().init_ca(pki_dir, now=now())
        except (_pki().PKIError, OSError) as exc:
            for host in ready:
                host.diagnostics.append(_pki_error(host, exc))
            return
    for host in ready:
        plan_host(host, ca, pki_dir)


def _disagree(members: list[Host]) -> bool:
    """Some members turn TLS off and others keep it on (``etcdfleet`` reports it)."""
    off = [h for h in members if not tls_enabled(h)]
    return bool(off) and len(off) != len(members)


def _pki_error(host: Host, exc: Exception) -> Diagnostic:
    key = "etcd" if is_member(host) else "flannel"
    message = f"cannot use the etcd CA: {exc}"
    found = error("bad-pki", message, (key,), _mark(host, key), blocking=False)
    return found.for_host(host.name)


def _mark(host: Host, key: str) -> Mark | None:
    assert host.user is not None
    node = host.user.get(key)
    return node.mark if node is not None else host.user.mark


# --- one host --------------------------------------------------------------------------------


def plan_host(host: Host, ca: pki.CA | None, pki_dir: FsPath) -> None:
    """Merge the TLS flags under ``host.user`` and record the certificates to issue."""
    member = is_member(host)
    sans, problems = server_sans(host)
    options, more = _options(host)
    host.diagnostics += [d.for_host(host.name) for d in problems + more]
    if problems or more:
        return
    _merge_base(host, _flags_layer(host, member))
    host.tls = TlsPlan(member, sans, options, pki_dir, ca)


def materialize(host: Host) -> None:
    """Issue (or reuse) the host's certificates and put the files under ``host.tree``."""
    plan: TlsPlan | None = host.tls
    if plan is None or plan.ca is None or host.failed or host.tree is None:
        return
    kinds: tuple[pki.Kind, ...] = ("server", "peer", "client") if plan.member else ("client",)
    issued: list[pki.Issued] = []
    for kind in kinds:
        dns, ips = plan.sans if kind != "client" else ([host.name], [])
        try:
            issued.append(
                _pki().issue(
                    plan.ca, plan.pki_dir, host.name, kind, dns, ips, **plan.options, now=now()
                )
            )
        except (_pki().PKIError, OSError, ValueError) as exc:
            host.diagnostics.append(_pki_error(host, exc))
            return
    key = "etcd" if plan.member else "flannel"
    mark = _mark(host, key) or host.tree.mark
    files = from_plain({"files": _files(issued)}, mark)
    host.tree = merge.merge(Node({"storage": files}, host.tree.mark), host.tree, ())
    rel = f"{SECRETS}/{PKI}"
    host.inputs.append(f"{rel}/{_pki().CA_CERT_FILE}")
    host.inputs += [f"{rel}/{i.name}-{i.kind}.{ext}" for i in issued for ext in ("crt", "key")]


def _options(host: Host) -> tuple[dict[str, Any], list[Diagnostic]]:
    assert host.user is not None
    key_node, days_node = host.user.get("etcd_tls_key"), host.user.get("etcd_tls_days")
    key_type = key_node.value if key_node is not None else "ecdsa"
    days = days_node.value if days_node is not None else DEFAULT_DAYS
    whole = isinstance(days, int) and not isinstance(days, bool)
    problem = formats.check_etcd_tls_days(days) if whole else "not a whole number"
    if problem:  # the schema check said so already; never hand pki a bad validity
        mark = days_node.mark if days_node is not None else None
        return {}, [error("bad-value", problem, ("etcd_tls_days",), mark)]
    return {"key_type": key_type, "validity_days": days}, []


def server_sans(host: Host) -> tuple[tuple[list[str], list[str]], list[Diagnostic]]:
    """``(dns names, ip addresses)`` for *host*'s server and peer certificates."""
    dns = [host.name]
    if "." in host.name:
        dns.append(host.name.split(".", 1)[0])
    ips: list[str] = []
    problems: list[Diagnostic] = []
    extra = host.user.get("etcd_sans") if host.user is not None else None
    for index, item in enumerate(extra.value if extra and isinstance(extra.value, list) else []):
        value = str(item.value)
        found = _pki().check_ip_address(value)
        if not found:
            ips.append(value)
            continue
        found = _pki().check_dns_name(value)
        problems += [d.at(item.mark).prefixed(("etcd_sans", index)) for d in found]
        dns.append(value)
    dns.append("localhost")
    facts = netfacts.network_facts(host.plain())
    ips += [str(iface.ip) for iface, _path in facts.addresses] + ["127.0.0.1"]
    return (list(dict.fromkeys(dns)), list(dict.fromkeys(ips))), problems


# --- the generated layer ---------------------------------------------------------------------


def _files(issued: list[pki.Issued]) -> list[dict[str, Any]]:
    files = [_file(CA_FILE, issued[0].ca_pem, CERT_MODE)]
    for item in issued:
        files.append(_file(f"{HOST_DIR}/{item.kind}.crt", item.cert_pem, CERT_MODE))
        files.append(_file(f"{HOST_DIR}/{item.kind}.key", item.key_pem, KEY_MODE))
    return files


def _flags_layer(host: Host, member: bool) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    if member:
        layer["etcd"] = {**ETCD_FILES, **dict.fromkeys(ETCD_SWITCHES, True)}
    if runs_flannel(host):
        layer["flannel"] = dict(FLANNEL_FILES)
    return layer


def _file(path: str, pem: bytes, mode: int) -> dict[str, Any]:
    owner = {"id": ETCD_UID}
    return {
        "filesystem": "root",
        "path": path,
        "mode": mode,
        "user": owner,
        "group": dict(owner),
        "contents": {"inline": pem.decode("ascii")},
    }


def _merge_base(host: Host, layer: dict[str, Any]) -> None:
    """Put *layer* under ``host.user``; a null ``etcd:``/``flannel:`` takes the layer's."""
    assert host.user is not None
    user = Node(dict(host.user.value), host.user.mark, host.user.key_mark)
    for key in ("etcd", "flannel"):
        node = user.value.get(key)
        if key in layer and node is not None and node.value is None:
            del user.value[key]
    marks = {key: _mark(host, key) or user.mark for key in ("etcd", "flannel")}
    base = Node({k: from_plain(v, marks[k]) for k, v in layer.items()}, user.mark)
    host.user = merge.merge(base, user, ())


def renewal_time(root: FsPath, inputs: list[str]) -> float:
    """The earliest time (epoch seconds) one of the certificates among ``inputs`` is
    reissued rather than reused (``pki.RENEW_BEFORE`` before it expires)."""
    prefix = f"{SECRETS}/{PKI}/"
    times = [
        _pki().renewal_time(root / name)
        for name in dict.fromkeys(inputs)
        if name.startswith(prefix) and name.endswith(".crt")
    ]
    return min(times, default=float("inf"))
