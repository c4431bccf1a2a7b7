"""etcd members: who is one, where it listens, what its part of the cluster is made from.

A host is an etcd *member* when it is in the built-in group ``etcd`` or its
effective config has an ``etcd:`` key (``etcd: ~`` included).  A member's
name is its ``etcd.name`` (the text as written, as the translator writes
``--name``) or the host name; its peer and client URLs are its own
``initial_advertise_peer_urls`` / ``advertise_client_urls`` or
``SCHEME://ADDRESS:PORT`` from the host's first address (``netfacts``).

A member *faults* (``Member.faults``) when its part of the cluster cannot be
known: an error on a value that part is made from (``etcd.name`` and the
advertised URLs, ``initial_cluster_token``, ``etcd_tls``, ``hostname`` when
it gives the name, the address when it gives the URLs).  An error without a
path (a YAML problem) counts when it stands at such a value or on the way
to it (a duplicate key, a scalar that did not load), or when it is in a
layer of the host that did not load at all, since what that layer set is
unknown.  ``etcdfleet`` derives the cluster from the members.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass, field, replace

from hostiso.diagnostics import Diagnostic, Mark, Path, error, warning
from hostiso.load.fleet import Host, Layout
from hostiso.load.netfacts import network_facts
from hostiso.load.unitsections import NETWORK_SECTIONS, closest_section
from hostiso.load.yamlload import Node, line_mark, node_at, to_plain
from hostiso.sections.options import scalar_text

GROUP = "etcd"
CLIENT_PORT = 2379
PEER_PORT = 2380
TOKEN_KEY = "initial_cluster_token"
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


def member_of(host: Host) -> Member | None:
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
        name=option_text(section, "name") or host.name,
        scheme="http" if tls is not None and tls.value is False else "https",
        address=None,
        files=[host.source, origin.file],
    )
    _locate_address(member)
    member.peer_urls = _urls(member, "initial_advertise_peer_urls", PEER_PORT)
    member.client_urls = _urls(member, "advertise_client_urls", CLIENT_PORT)
    for key in ("name", *URL_KEYS):
        _note_file(member, key)
    check_errors(member)
    return member


def option_text(section: dict[str, Node], key: str) -> str | None:
    return node_text(section.get(key))


def node_text(node: Node | None) -> str | None:
    """A scalar option's text as the translators write it: ct keeps the source
    text of a bare number or boolean (``name: 010`` is ``010``, not ``8``)."""
    return None if node is None else scalar_text(node.value, node.text)


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
    given = option_text(member.section, key)
    if given is not None:
        return [u.strip() for u in given.split(",") if u.strip()]
    if member.address is None:
        return []
    return [url(member.scheme, member.address, port)]


def url(scheme: str, address: str, port: int) -> str:
    return f"{scheme}://{address}:{port}"


def needs_address(member: Member) -> bool:
    return any(option_text(member.section, key) is None for key in URL_KEYS)


# --- members whose errors leave their part of the cluster unknown -------------------

ADDRESS_SOURCES: tuple[Path, ...] = (("network", "addresses"), ("networkd", "units"))
SHARED_KEYS = ("name", "initial_advertise_peer_urls", "advertise_client_urls", TOKEN_KEY)
"""The keys of a member's ``etcd`` section the other members' settings are made from."""


def _sources(member: Member) -> list[Path]:
    """The paths whose values make this member's part of the cluster (the address: if found)."""
    paths: list[Path] = [("etcd", key) for key in SHARED_KEYS]
    paths.append(("etcd_tls",))
    if option_text(member.section, "name") is None:
        paths.append(("hostname",))
    if member.address_path and any(option_text(member.section, k) is None for k in URL_KEYS[:2]):
        paths.append(member.address_path)
    return paths


def _overlaps(a: Path, b: Path) -> bool:
    """One path is the other or inside it."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def error_at(member: Member, sources: list[Path] | tuple[Path, ...]) -> Diagnostic | None:
    """An error the host already has on (or around) one of ``sources``."""
    for d in member.host.diagnostics:
        if not d.is_error:
            continue
        if d.path and any(_overlaps(d.path, p) for p in sources):
            return d
        if not d.path and _hides(member.host, d, sources):
            return d
    return None


def _hides(host: Host, d: Diagnostic, sources: list[Path] | tuple[Path, ...]) -> bool:
    """Whether an error without a path (a YAML problem, at its mark) touches ``sources``.

    It does when it stands at a node on the way to a source or inside one (a
    duplicate key's first value, a scalar that did not load), or in a layer
    of the host that did not load at all: what that layer set is unknown.
    """
    marks = {m for m in (d.mark, *(mark for _, mark in d.related)) if m is not None}
    if not marks:
        return False
    if any(m.file in _lost_layers(host) for m in marks):
        return True
    return any(
        node.mark in marks or node.key_mark in marks
        for path in sources
        for node in _nodes_along(host.user, path)
    )


def _nodes_along(tree: Node | None, path: Path) -> list[Node]:
    """The nodes from ``tree`` (excluded) down to ``path``, then every node under it."""
    out: list[Node] = []
    for depth in range(1, len(path) + 1):
        node = node_at(tree, path[:depth])
        if node is None:
            return out
        out.append(node)
    return out + _descendants(out[-1]) if out else out


def _descendants(node: Node) -> list[Node]:
    if isinstance(node.value, dict):
        children: list[Node] = list(node.value.values())
    elif isinstance(node.value, list):
        children = node.value
    else:
        return []
    return [n for child in children for n in (child, *_descendants(child))]


def _lost_layers(host: Host) -> set[str]:
    """The host's layer files of which nothing reached its tree (they did not load)."""
    layout = Layout(host.root)
    layers = [layout.display(layout.overlays / f"{g}.yaml") for g in ("all", *host.groups)]
    present = {n.mark.file for n in _descendants(host.user)} if host.user else set()
    return {f for f in (host.source, *layers) if f not in present}


def check_errors(member: Member) -> None:
    """A fault when an error (schema, template...) sits on a value the cluster is made from.

    The ``etcd`` section's own options are checked later (by its translator), so a
    mapping or list where a shared option's text belongs is a fault here too.
    """
    found = error_at(member, _sources(member))
    where = found.mark if found is not None else None
    for key in SHARED_KEYS:
        node = member.section.get(key)
        if where is None and node is not None and isinstance(node.value, dict | list):
            where = node.mark
    if where is not None:
        reason = f"member '{member.name}' has an error in a value the cluster is made from"
        member.faults.append((reason, f"the error in member {member.name}", where))


def no_address(
    member: Member, where: Mark | None, causes: tuple[tuple[str, Mark], ...] = ()
) -> tuple[str, str, Mark]:
    """The fault of a member without an address (``where``: the error that hides it;
    ``causes``: :func:`why_no_address`, the first of which the note then names)."""
    reason = f"member '{member.name}' has no address"
    if where is None and causes:
        text, mark = causes[0]
        return reason, f"member {member.name} has {text}", mark
    return reason, "member without an address", where or member.origin


def why_no_address(member: Member) -> tuple[tuple[str, Mark], ...]:
    """Notes for a member without an address: ``Address=`` lines networkd would skip."""
    notes: list[tuple[str, Mark]] = []
    for link in network_facts(to_plain(member.host.user) or {}).links:
        node = node_at(member.host.user, (*link.path, "contents"))
        for section, line in link.unread:
            mark = line_mark(node, line) if node is not None else None
            where = mark or member.host.locate(link.path) or member.origin
            notes.append((_unread_note(section), where))
    return tuple(notes)


def _unread_note(section: str) -> str:
    if not section:
        return "no address: Address= stands before any [Section] header and is not read"
    close = closest_section(section, NETWORK_SECTIONS)
    hint = f"; did you mean [{close}]?" if close else ""
    return f"no address: the .network unit's [{section}] section is not read{hint}"


# --- a member's own values ---------------------------------------------------------


def check_plain_urls(member: Member) -> None:
    """An http:// URL of the member's own under TLS: etcd serves plain http there,
    so the certificates hostiso issues would protect nothing."""
    if member.scheme != "https":
        return
    for key in URL_KEYS:
        node = member.section.get(key)
        text = node_text(node)
        if node is None or text is None or not _plain_urls(key, text):
            continue
        message = (
            f"etcd TLS is on (etcd_tls defaults to true) but {key} uses http://: etcd "
            "serves plain http there; write https:// or set etcd_tls: false on the members"
        )
        member.host.diagnostics.append(
            warning("etcd-plain-url", message, ("etcd", key), node.mark).for_host(member.host.name)
        )


def _plain_urls(key: str, text: str) -> list[str]:
    """The ``http://`` URLs of an option, but for loopback listeners (a local
    plain listener next to the TLS ones, as etcd setups often have)."""
    urls = [u.strip() for u in text.split(",") if u.strip().lower().startswith("http://")]
    return [u for u in urls if not (key.startswith("listen_") and _loopback(u))]


def _loopback(address: str) -> bool:
    try:
        host = urllib.parse.urlsplit(address).hostname
    except ValueError:
        return False
    if host is None or host == "localhost":
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def name_mark(m: Member) -> Mark:
    node = m.section.get("name")
    return node.mark if node is not None else m.origin


def member_error(
    host: Host,
    code: str,
    message: str,
    mark: Mark,
    related: tuple[tuple[str, Mark], ...] = (),
    *,
    blocking: bool = False,
) -> Diagnostic:
    """An error of the etcd derivation: about the cluster, so the member's own tree is
    fine and every other check still runs on it (non-blocking unless told)."""
    path: Path = ("etcd",)
    found = error(code, message, path, mark, blocking=blocking)
    return replace(found.for_host(host.name), related=related)
