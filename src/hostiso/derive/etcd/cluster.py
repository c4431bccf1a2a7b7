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
URLs come from: see ``etcdmembers``), the member at fault gets its own error and
every *other* member and flannel host gets ``etcd-cluster-incomplete`` (at its ``etcd``
membership or ``flannel:`` key, a note at each member at fault), so no host
is built with a half-wrong cluster.  An error elsewhere (an SSH key, a unit)
leaves the cluster as it is.  This step also warns about an even member
count (``etcd-even-members``) and about ``etcd_tls`` on a host that is not a
member while the members use the other scheme (``etcd-tls-not-member``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, replace

from hostiso.derive.etcd.members import (
    ADDRESS_SOURCES,
    CLIENT_PORT,
    PEER_PORT,
    TOKEN_KEY,
    URL_KEYS,
    Member,
    check_plain_urls,
    error_at,
    member_error,
    member_of,
    name_mark,
    needs_address,
    no_address,
    node_text,
    option_text,
    url,
    why_no_address,
)
from hostiso.diagnostics import Diagnostic, Mark, error, warning
from hostiso.load import merge
from hostiso.load.fleet import Host
from hostiso.load.yamlload import Node

LOOPBACK = "127.0.0.1"
CLUSTER_STATE = "new"
TOKEN_PREFIX = "etcd-"


@dataclass
class Cluster:
    initial_cluster: str
    endpoints: str
    token: Node
    token_given: bool
    inputs: list[str]


def derive_fleet(hosts: list[Host]) -> None:
    """Fill in each etcd member's cluster settings and flannel's endpoints."""
    members = [m for m in (member_of(h) for h in hosts) if m is not None]
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
    _unreadable_hosts(members, hosts)


def _unreadable_hosts(members: list[Member], hosts: list[Host]) -> None:
    """A host file that does not load may be a member nobody can see: say so on the
    members' side too, since their initial_cluster would change once it loads."""
    unreadable = [h for h in hosts if h.user is None and h.failed]
    if not unreadable:
        return
    names = ", ".join(h.source for h in unreadable)
    message = (
        f"the etcd cluster was derived without {names}, which does not load: if it is "
        "a member, initial_cluster changes once it is fixed (rebuild before installing)"
    )
    for member in members:
        if not member.host.failed:
            member.host.diagnostics.append(
                warning("etcd-host-unreadable", message, ("etcd",), member.origin).for_host(
                    member.host.name
                )
            )


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
        if m.address is None and needs_address(m):
            found = error_at(m, ADDRESS_SOURCES)
            causes = why_no_address(m)
            m.faults.append(no_address(m, found.mark if found is not None else None, causes))
            if found is not None:
                continue  # the wrong type or bad address is the host's error
            message = (
                f"etcd member '{m.name}' has no address to derive its URLs from: give the host "
                "'network: addresses' (or a .network unit with Address=), or set "
                + ", ".join(URL_KEYS)
            )
            m.host.diagnostics.append(
                member_error(m.host, "etcd-member-no-address", message, m.origin, causes)
            )


def _check_names(members: list[Member]) -> None:
    seen: dict[str, Member] = {}
    for m in members:
        first = seen.setdefault(m.name, m)
        if first is not m:
            reason = (
                f"members '{first.host.stem}' and '{m.host.stem}' have the same name '{m.name}'"
            )
            m.faults.append((reason, f"the second member named '{m.name}'", name_mark(m)))
            m.host.diagnostics.append(
                member_error(
                    m.host,
                    "etcd-duplicate-name",
                    f"etcd member name '{m.name}' is also the name of "
                    f"the member in {first.host.source}",
                    name_mark(m),
                    (("first member with this name", name_mark(first)),),
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
        found = error("inconsistent-etcd-tls", message, ("etcd_tls",), mark, blocking=False)
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
                member_error(m.host, "etcd-cluster-incomplete", message, m.origin, notes)
            )
    member_hosts = {id(m.host) for m in members}
    for host in hosts:
        node = host.user.get("flannel") if host.user is not None else None
        if node is not None and id(host) not in member_hosts:
            mark = node.key_mark or node.mark
            found = error("etcd-cluster-incomplete", message, ("flannel",), mark, blocking=False)
            host.diagnostics.append(replace(found.for_host(host.name), related=notes))


def _token(members: list[Member]) -> tuple[Node, bool]:
    """The fleet-wide token (and whether a member set it), else a default from the names.

    Members whose token differs from the most common one (ties: the first
    member's, by name) get ``etcd-token-mismatch`` at their value.
    """
    given = [(m, n, t) for m in members if (t := node_text(n := m.section.get(TOKEN_KEY)))]
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
    return member_error(
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
    check_plain_urls(member)
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
    given = option_text(member.section, "initial_cluster")
    if node is None or given is None:
        return
    problems = cluster_differences(
        parse_initial_cluster(given), parse_initial_cluster(cluster.initial_cluster)
    )
    if problems:
        member.host.diagnostics.append(
            member_error(
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
