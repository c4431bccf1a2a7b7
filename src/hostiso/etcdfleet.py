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

Every member counts, errors or not, so every member gets the same
``initial_cluster``.  When the cluster cannot be derived as it will be once
the errors are fixed (a member without an address, members disagreeing on
``etcd_tls``, two members of one name, an error in a value a member's name or
URLs come from), the member at fault gets its own error and every *other*
member and flannel host gets ``etcd-cluster-incomplete`` (at its ``etcd``
membership or ``flannel:`` key, a note at each member at fault), so no host
is built with a half-wrong cluster.  An error elsewhere (an SSH key, a unit)
leaves the cluster as it is.  This step also warns about an even member
count (``etcd-even-members``) and about ``etcd_tls`` on a host that is not a
member while the members use the other scheme (``etcd-tls-not-member``).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import Counter
from dataclasses import dataclass, field, replace

from hostiso import merge
from hostiso.diagnostics import Diagnostic, Mark, Path, error, warning
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
    address_path: Path | None = None
    peer_urls: list[str] = field(default_factory=list)
    client_urls: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    faults: list[tuple[str, str, Mark]] = field(default_factory=list)
    """Why the cluster cannot be derived because of this member: (reason, note, where)."""


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
    members.sort(key=lambda m: m.name)
    cluster = _cluster(members)
    for member in members:
        _fill_member(member, cluster)
    for host in hosts:
        _fill_flannel(host, cluster)
    _report_incomplete(members, hosts)
    _even_members(members)
    _tls_not_member(members, hosts)


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
    _check_errors(member)
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
    member.address_path = path
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


# --- members whose errors leave their part of the cluster unknown -------------------

ADDRESS_SOURCES: tuple[Path, ...] = (("network", "addresses"), ("networkd", "units"))
SHARED_KEYS = ("name", "initial_advertise_peer_urls", "advertise_client_urls", _TOKEN)
"""The keys of a member's ``etcd`` section the other members' settings are made from."""


def _sources(member: Member) -> list[Path]:
    """The paths whose values make this member's part of the cluster (the address: if found)."""
    paths: list[Path] = [("etcd", key) for key in SHARED_KEYS]
    paths.append(("etcd_tls",))
    if _text(member.section, "name") is None:
        paths.append(("hostname",))
    if member.address_path and any(_text(member.section, k) is None for k in URL_KEYS[:2]):
        paths.append(member.address_path)
    return paths


def _overlaps(a: Path, b: Path) -> bool:
    """One path is the other or inside it."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _error_at(member: Member, sources: list[Path] | tuple[Path, ...]) -> Diagnostic | None:
    """An error the host already has on (or around) one of ``sources``."""
    for d in member.host.diagnostics:
        if d.is_error and any(_overlaps(d.path, p) for p in sources):
            return d
    return None


def _check_errors(member: Member) -> None:
    """A fault when an error (schema, template...) sits on a value the cluster is made from.

    The ``etcd`` section's own options are checked later (by its translator), so a
    mapping or list where a shared option's text belongs is a fault here too.
    """
    found = _error_at(member, _sources(member))
    where = found.mark if found is not None else None
    for key in SHARED_KEYS:
        node = member.section.get(key)
        if where is None and node is not None and isinstance(node.value, dict | list):
            where = node.mark
    if where is not None:
        reason = f"member '{member.name}' has an error in a value the cluster is made from"
        member.faults.append((reason, f"the error in member {member.name}", where))


def _no_address(member: Member, where: Mark | None) -> tuple[str, str, Mark]:
    """The fault of a member without an address (``where``: the error that hides it)."""
    reason = f"member '{member.name}' has no address"
    return reason, "member without an address", where or member.origin


# --- the cluster ----------------------------------------------------------------


def _cluster(members: list[Member]) -> Cluster:
    _check_addresses(members)
    _check_names(members)
    _check_tls(members)
    entries = [f"{m.name}={u}" for m in members for u in m.peer_urls]
    token, token_given = _token(members)
    inputs = list(dict.fromkeys(f for m in members for f in m.files))
    endpoints = ",".join(u for m in members for u in m.client_urls)
    return Cluster(",".join(entries), endpoints, token, token_given, inputs)


def _check_addresses(members: list[Member]) -> None:
    """``etcd-member-no-address`` on a member that needs one (unless its addresses have errors)."""
    for m in members:
        if m.address is None and _needs_address(m):
            found = _error_at(m, ADDRESS_SOURCES)
            m.faults.append(_no_address(m, found.mark if found is not None else None))
            if found is not None:
                continue  # the wrong type or bad address is the host's error
            message = (
                f"etcd member '{m.name}' has no address to derive its URLs from: give the host "
                "'network: addresses' (or a .network unit with Address=), or set "
                + ", ".join(URL_KEYS)
            )
            m.host.diagnostics.append(_error(m.host, "etcd-member-no-address", message, m.origin))


def _check_names(members: list[Member]) -> None:
    seen: dict[str, Member] = {}
    for m in members:
        first = seen.setdefault(m.name, m)
        if first is not m:
            reason = (
                f"members '{first.host.stem}' and '{m.host.stem}' have the same name '{m.name}'"
            )
            m.faults.append((reason, f"the second member named '{m.name}'", _name_mark(m)))
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


def _check_tls(members: list[Member]) -> None:
    """``inconsistent-etcd-tls`` on each member that turns TLS off while another keeps it on."""
    off = [m for m in members if m.scheme == "http"]
    if not off or len(off) == len(members):
        return
    for m in off:
        node = m.host.user.get("etcd_tls") if m.host.user is not None else None
        mark = node.mark if node is not None else m.origin
        message = "etcd_tls must be the same on every etcd member; set it in one overlay"
        found = error("inconsistent-etcd-tls", message, ("etcd_tls",), mark)
        m.host.diagnostics.append(found.for_host(m.host.name))
        reason = f"member '{m.name}' sets etcd_tls: false and other members do not"
        m.faults.append((reason, f"etcd_tls of member {m.name}", mark))


def _report_incomplete(members: list[Member], hosts: list[Host]) -> None:
    """``etcd-cluster-incomplete`` on every member and flannel host not at fault itself."""
    faults = [f for m in members for f in m.faults]
    if not faults:
        return
    message = "the etcd cluster cannot be derived: " + "; ".join(r for r, _, _ in faults)
    notes = tuple((note, mark) for _, note, mark in faults)
    for m in members:
        if not m.faults:
            m.host.diagnostics.append(
                _error(m.host, "etcd-cluster-incomplete", message, m.origin, notes)
            )
    member_hosts = {id(m.host) for m in members}
    for host in hosts:
        node = host.user.get("flannel") if host.user is not None else None
        if node is not None and id(host) not in member_hosts:
            found = error(
                "etcd-cluster-incomplete", message, ("flannel",), node.key_mark or node.mark
            )
            host.diagnostics.append(replace(found.for_host(host.name), related=notes))


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
    _check_plain_urls(member)
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


def _check_plain_urls(member: Member) -> None:
    """An http:// URL of the member's own under TLS: etcd serves plain http there,
    so the certificates hostiso issues would protect nothing."""
    if member.scheme != "https":
        return
    for key in URL_KEYS:
        node = member.section.get(key)
        text = scalar_text(node)
        if node is None or text is None or "http://" not in text:
            continue
        message = (
            f"etcd TLS is on (etcd_tls defaults to true) but {key} uses http://: etcd "
            "serves plain http there; write https:// or set etcd_tls: false on the members"
        )
        member.host.diagnostics.append(
            warning("etcd-plain-url", message, ("etcd", key), node.mark).for_host(member.host.name)
        )


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


# --- warnings about the fleet's cluster --------------------------------------------


def _even_members(members: list[Member]) -> None:
    """An etcd cluster should have an odd number of members.

    A quorum is a majority: 4 members tolerate one failure, as 3 do, and
    are more likely to have one.  Every member counts, errors or not, as in
    ``initial_cluster``.  One warning, at the first member's ``etcd``
    section (by name), with a note per other member.
    """
    count = len(members)
    if count % 2:
        return
    names = ", ".join(m.name for m in members)
    fewer = "1 does" if count == 2 else f"{count - 1} do"
    message = (
        f"the etcd cluster has {count} members ({names}); {count} members tolerate no more "
        f"failures than {fewer}: add or remove one"
    )
    related = tuple((f"member {m.name}", _section_mark(m)) for m in members[1:])
    first = members[0]
    found = warning("etcd-even-members", message, ("etcd",), _section_mark(first))
    first.host.diagnostics.append(replace(found.for_host(first.host.name), related=related))


def _section_mark(m: Member) -> Mark:
    return m.host.locate(("etcd",)) or m.origin


def _tls_not_member(members: list[Member], hosts: list[Host]) -> None:
    """A warning at ``etcd_tls`` of a non-member that differs from the members' scheme."""
    schemes = {m.scheme for m in members}
    if len(schemes) != 1:
        return  # the members disagree: inconsistent-etcd-tls
    tls = schemes == {"https"}
    member_hosts = {id(m.host) for m in members}
    for host in hosts:
        node = host.user.get("etcd_tls") if host.user is not None else None
        if node is None or id(host) in member_hosts or not isinstance(node.value, bool):
            continue
        if node.value != tls:
            found = warning("etcd-tls-not-member", _tls_message(tls), ("etcd_tls",), node.mark)
            host.diagnostics.append(found.for_host(host.name))


def _tls_message(tls: bool) -> str:
    how = "https and a client certificate, as the members use TLS"
    how = how if tls else "plain http, as the members turn TLS off"
    return (
        "etcd_tls only applies to etcd members, and this host is not one: it reaches "
        f"the cluster with {how}; remove etcd_tls here or set it on the members"
    )


def _error(
    host: Host, code: str, message: str, mark: Mark, related: tuple[tuple[str, Mark], ...] = ()
) -> Diagnostic:
    path: Path = ("etcd",)
    return replace(error(code, message, path, mark).for_host(host.name), related=related)
