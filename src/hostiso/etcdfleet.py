"""The etcd cluster derived from the fleet (issue 3).

A host is an etcd *member* when it is in the built-in group ``etcd`` or its
effective config has an ``etcd:`` key (``etcd: ~`` included).  For every
member this step fills in, unless the config sets it (the config wins):

* ``name``: the host name;
* ``initial_advertise_peer_urls`` / ``advertise_client_urls``:
  ``SCHEME://ADDRESS:2380`` / ``SCHEME://ADDRESS:2379`` from the host's first
  address (``netfacts``);
* ``listen_peer_urls``: ``SCHEME://ADDRESS:2380``; ``listen_client_urls``:
  ``SCHEME://ADDRESS:2379,SCHEME://127.0.0.1:2379``;
* ``initial_cluster``: every member's ``name=peer URL``, sorted by name, the
  same string on every member (a member's own ``name`` and
  ``initial_advertise_peer_urls``, when its config sets them, are used);
* ``initial_cluster_token``: the one value the members set (normally once,
  in an overlay; a member that sets another gets an error); when none sets
  it, ``etcd-`` and the first 16 hex digits of the SHA-256 of the sorted
  member names joined by newlines;
* ``initial_cluster_state``: ``new``.

SCHEME is ``https`` (certificates come from the next step, ``etcdtls``)
unless the host sets ``etcd_tls: false``.  Every host that runs flannel
(``flannel:`` in its config) gets ``etcd_endpoints``: every member's client
URL, comma-joined, in the same order.  Members get it too, because flannel's
built-in default (``http://127.0.0.1:2379``) cannot reach a TLS member.

Derived values are Nodes whose marks point at where membership came from
(the ``etcd`` entry of ``groups`` or the ``etcd:`` key; for flannel, the
``flannel:`` key), merged *under* the user's mapping, so user values win and
``key: ~`` removes a derived value.  The files the cluster was made from
join every member's and flannel host's make inputs, and the cluster's
values join their ``fleet_facts`` (so adding a member rebuilds the others).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import Counter
from dataclasses import dataclass, field, replace

from hostiso import merge
from hostiso.diagnostics import Diagnostic, Mark, Path, error
from hostiso.fleet import Host
from hostiso.netfacts import network_facts
from hostiso.yamlload import Node, to_plain

GROUP = "etcd"
CLIENT_PORT = 2379
PEER_PORT = 2380
LOOPBACK = "127.0.0.1"
CLUSTER_STATE = "new"
TOKEN_PREFIX = "etcd-"
_TOKEN = "initial_cluster_token"
URL_KEYS = (
    "initial_advertise_peer_urls",
    "advertise_client_urls",
    "listen_peer_urls",
    "listen_client_urls",
)


@dataclass
class Member:
    """One etcd member: who it is, where it listens, what it was made from."""

    host: Host
    origin: Mark
    """Where membership came from: the ``etcd`` group entry or the ``etcd:`` key."""
    section: dict[str, Node]
    name: str
    scheme: str
    address: str | None
    peer_urls: list[str] = field(default_factory=list)
    client_urls: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


@dataclass
class Cluster:
    initial_cluster: str
    endpoints: str
    token: Node
    token_given: bool
    inputs: list[str]


def derive_fleet(hosts: list[Host]) -> None:
    """Fill in each etcd member's cluster settings and flannel's endpoints."""
    members = [m for m in (_member(h) for h in hosts) if m is not None]
    if not members:
        return
    cluster = _cluster(members)
    for member in members:
        _fill_member(member, cluster)
    for host in hosts:
        _fill_flannel(host, cluster)


# --- membership ---------------------------------------------------------------


def membership(host: Host) -> Mark | None:
    """Where ``host`` became an etcd member, or None if it is not one."""
    if host.user is None:
        return None
    groups = host.user.get("groups")
    if groups is not None and isinstance(groups.value, list):
        entries: list[Node] = groups.value
        for item in entries:
            if item.value == GROUP:
                return item.mark
    section = host.user.get("etcd")
    if section is not None:
        return section.key_mark or section.mark
    return None


def _member(host: Host) -> Member | None:
    origin = membership(host)
    if origin is None or host.user is None:
        return None
    node = host.user.get("etcd")
    section = node.value if node is not None and isinstance(node.value, dict) else {}
    tls = host.user.get("etcd_tls")
    member = Member(
        host=host,
        origin=origin,
        section=section,
        name=_text(section, "name") or host.name,
        scheme="http" if tls is not None and tls.value is False else "https",
        address=None,
        files=[host.source, origin.file],
    )
    _locate_address(member)
    member.peer_urls = _urls(member, "initial_advertise_peer_urls", PEER_PORT)
    member.client_urls = _urls(member, "advertise_client_urls", CLIENT_PORT)
    for key in ("name", *URL_KEYS):
        _note_file(member, key)
    return member


def _text(section: dict[str, Node], key: str) -> str | None:
    return scalar_text(section.get(key))


def scalar_text(node: Node | None) -> str | None:
    """A scalar option's text (ct takes a bare number or boolean as text)."""
    if node is None or node.value is None or isinstance(node.value, dict | list):
        return None
    if isinstance(node.value, bool):
        return "true" if node.value else "false"
    return str(node.value)


def _note_file(member: Member, key: str) -> None:
    node = member.section.get(key)
    if node is not None:
        member.files.append(node.mark.file)
    elif key == "name" and member.host.user is not None:
        hostname = member.host.user.get("hostname")
        member.files += [hostname.mark.file] if hostname is not None else []


def _locate_address(member: Member) -> None:
    addresses = network_facts(to_plain(member.host.user) or {}).addresses
    if not addresses:
        return
    iface, path = addresses[0]
    ip = iface.ip
    member.address = f"[{ip}]" if isinstance(ip, ipaddress.IPv6Address) else str(ip)
    mark = member.host.locate(path)
    if mark is not None:
        member.files.append(mark.file)


def _urls(member: Member, key: str, port: int) -> list[str]:
    given = _text(member.section, key)
    if given is not None:
        return [u.strip() for u in given.split(",") if u.strip()]
    if member.address is None:
        return []
    return [url(member.scheme, member.address, port)]


def url(scheme: str, address: str, port: int) -> str:
    return f"{scheme}://{address}:{port}"


def _needs_address(member: Member) -> bool:
    return any(_text(member.section, key) is None for key in URL_KEYS)


# --- the cluster ----------------------------------------------------------------


def _cluster(members: list[Member]) -> Cluster:
    members = sorted(members, key=lambda m: m.name)
    _check_addresses(members)
    _check_names(members)
    entries = [f"{m.name}={u}" for m in members for u in m.peer_urls]
    token, token_given = _token(members)
    inputs = list(dict.fromkeys(f for m in members for f in m.files))
    endpoints = ",".join(u for m in members for u in m.client_urls)
    return Cluster(",".join(entries), endpoints, token, token_given, inputs)


def _check_addresses(members: list[Member]) -> None:
    missing = [m for m in members if m.address is None and _needs_address(m)]
    if not missing:
        return
    names = ", ".join(f"'{m.name}'" for m in missing)
    notes = tuple(("member without an address", m.origin) for m in missing)
    for m in members:
        if m.address is None and _needs_address(m):
            message = (
                f"etcd member '{m.name}' has no address to derive its URLs from: give the host "
                "'network: addresses' (or a .network unit with Address=), or set "
                + ", ".join(URL_KEYS)
            )
            m.host.diagnostics.append(_error(m.host, "etcd-member-no-address", message, m.origin))
        else:
            message = f"the etcd cluster cannot be derived: member {names} has no address"
            m.host.diagnostics.append(
                _error(m.host, "etcd-cluster-incomplete", message, m.origin, notes)
            )


def _check_names(members: list[Member]) -> None:
    seen: dict[str, Member] = {}
    for m in members:
        first = seen.setdefault(m.name, m)
        if first is not m:
            m.host.diagnostics.append(
                _error(
                    m.host,
                    "etcd-duplicate-name",
                    f"etcd member name '{m.name}' is also the name of "
                    f"the member in {first.host.source}",
                    _name_mark(m),
                    (("first member with this name", _name_mark(first)),),
                )
            )


def _name_mark(m: Member) -> Mark:
    node = m.section.get("name")
    return node.mark if node is not None else m.origin


def _token(members: list[Member]) -> tuple[Node, bool]:
    """The fleet-wide token (and whether a member set it), else a default from the names.

    Members whose token differs from the most common one (ties: the first
    member's, by name) get ``etcd-token-mismatch`` at their value.
    """
    given = [(m, n, t) for m in members if (t := scalar_text(n := m.section.get(_TOKEN)))]
    if not given:
        return Node(default_token([m.name for m in members]), members[0].origin), False
    counts = Counter(t for _, _, t in given)
    best = max(counts.values())
    value = next(t for _, _, t in given if counts[t] == best)
    reference = next(n for _, n, t in given if t == value and n is not None)
    for m, node, text in given:
        if text != value and node is not None:
            m.host.diagnostics.append(_token_mismatch(m.host, text, value, node, reference))
    return Node(value, reference.mark, reference.key_mark), True


def _token_mismatch(host: Host, text: str, value: str, node: Node, reference: Node) -> Diagnostic:
    return _error(
        host,
        "etcd-token-mismatch",
        f"initial_cluster_token '{text}' differs from the fleet's '{value}': "
        "set it once, in an overlay all members use",
        node.mark,
        (("the fleet's token is set here", reference.mark),),
    )


def default_token(names: list[str]) -> str:
    """The token used when no member sets one: stable for a set of member names."""
    digest = hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()
    return TOKEN_PREFIX + digest[:16]


# --- filling in -------------------------------------------------------------------


def _fill_member(member: Member, cluster: Cluster) -> None:
    _check_initial_cluster(member, cluster)
    values: dict[str, str] = {"name": member.name}
    if member.address is not None:
        values.update(_own_urls(member))
    values["initial_cluster"] = cluster.initial_cluster
    values["initial_cluster_state"] = CLUSTER_STATE
    derived = {k: Node(v, member.origin, member.origin) for k, v in values.items()}
    token = cluster.token  # the default token is each member's own fact
    where = token.mark if cluster.token_given else member.origin
    derived["initial_cluster_token"] = Node(token.value, where, where)
    _put_under(member.host, "etcd", derived, member.origin)
    _add_inputs(member.host, [*cluster.inputs, where.file])
    member.host.fleet_facts += [
        f"etcd initial_cluster={cluster.initial_cluster}",
        f"etcd initial_cluster_token={cluster.token.value}",
    ]


def _own_urls(member: Member) -> dict[str, str]:
    assert member.address is not None
    s, a = member.scheme, member.address
    return {
        "initial_advertise_peer_urls": url(s, a, PEER_PORT),
        "advertise_client_urls": url(s, a, CLIENT_PORT),
        "listen_peer_urls": url(s, a, PEER_PORT),
        "listen_client_urls": url(s, a, CLIENT_PORT) + "," + url(s, LOOPBACK, CLIENT_PORT),
    }


def _fill_flannel(host: Host, cluster: Cluster) -> None:
    node = host.user.get("flannel") if host.user is not None else None
    if node is None or not (node.value is None or isinstance(node.value, dict)):
        return
    if not cluster.endpoints:
        return
    mark = node.key_mark or node.mark
    derived = {"etcd_endpoints": Node(cluster.endpoints, mark, mark)}
    _put_under(host, "flannel", derived, mark)
    _add_inputs(host, cluster.inputs)
    host.fleet_facts.append(f"flannel etcd_endpoints={cluster.endpoints}")


def _put_under(host: Host, key: str, derived: dict[str, Node], mark: Mark) -> None:
    """Merge ``derived`` under the user's ``key`` mapping; a new root, nothing shared."""
    assert host.user is not None and isinstance(host.user.value, dict)
    user = host.user.value.get(key)
    if user is not None and user.value is not None and not isinstance(user.value, dict):
        return  # not a mapping: the schema check has said so
    if user is None or user.value is None:
        where = user.mark if user is not None else mark
        section = Node(derived, where, user.key_mark if user is not None else mark)
    else:
        section = merge.merge(Node(derived, user.mark, user.key_mark), user, (key,))
    host.user = Node({**host.user.value, key: section}, host.user.mark, host.user.key_mark)


def _add_inputs(host: Host, inputs: list[str]) -> None:
    host.inputs += [f for f in inputs if f not in host.inputs]


# --- a hand-written initial_cluster ----------------------------------------------


def parse_initial_cluster(text: str) -> dict[str, list[str]]:
    """``a=URL1,a=URL2,b=URL3`` -> ``{"a": [URL1, URL2], "b": [URL3]}``."""
    out: dict[str, list[str]] = {}
    for entry in text.split(","):
        name, _, value = entry.strip().partition("=")
        if name or value:
            out.setdefault(name, []).append(value)
    return out


def _check_initial_cluster(member: Member, cluster: Cluster) -> None:
    node = member.section.get("initial_cluster")
    given = _text(member.section, "initial_cluster")
    if node is None or given is None:
        return
    problems = cluster_differences(
        parse_initial_cluster(given), parse_initial_cluster(cluster.initial_cluster)
    )
    if problems:
        member.host.diagnostics.append(
            _error(
                member.host,
                "etcd-cluster-mismatch",
                "initial_cluster disagrees with the fleet's etcd members: "
                + "; ".join(problems)
                + f" (the fleet's value is '{cluster.initial_cluster}'; "
                "remove initial_cluster to have it derived)",
                node.mark,
            )
        )


def cluster_differences(given: dict[str, list[str]], fleet: dict[str, list[str]]) -> list[str]:
    """What differs between a hand-written cluster and the fleet's, in words."""
    out = [f"missing {n}={','.join(u)}" for n, u in fleet.items() if n not in given]
    out += [f"extra {n}={','.join(u)}" for n, u in given.items() if n not in fleet]
    out += [
        f"{n} has {','.join(given[n])} but the fleet has {','.join(u)}"
        for n, u in fleet.items()
        if n in given and sorted(given[n]) != sorted(u)
    ]
    return out


def _error(
    host: Host, code: str, message: str, mark: Mark, related: tuple[tuple[str, Mark], ...] = ()
) -> Diagnostic:
    path: Path = ("etcd",)
    return replace(error(code, message, path, mark).for_host(host.name), related=related)
