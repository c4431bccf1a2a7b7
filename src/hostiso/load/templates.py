"""jinja2 inside string values: one overlay, a hundred hosts.

After every host's layers are merged, each string value that contains
``{{``, ``{%`` or ``{#`` is rendered on its own, so its diagnostics keep the
exact file:line:col of the layer that set it.  Other values are never handed
to jinja2.  A rendered value is always a string.

The context (see :mod:`hostiso.load.jinja` for the sandbox):

* ``host.name``: the file stem, or ``hostname:`` when that is a literal name
  (a templated ``hostname:`` is rendered like any value; templates still see
  the stem);
* ``host.groups``: the groups the host file lists;
* ``host.addresses``: its addresses, from ``network.addresses`` and from the
  ``.network`` units under ``networkd``; each renders as ``192.168.1.11/24``
  and has ``.ip``, ``.network`` (``192.168.1.0/24``) and ``.prefixlen``;
* ``vars``: the ``vars:`` mapping, merged across layers like everything else;
* ``fleet.hosts['ctl-1']``: another host, same shape as ``host`` (keyed by
  host name, and by file stem as well);
* ``groups.etcd``: the sorted member names of each group; ``etcd`` and
  ``all`` (every host) are always there.

Addresses can be templates too, so values render in three rounds:

1. values under ``vars:`` see ``host.name``, ``host.groups`` and ``groups``;
2. values that define addresses (``network.addresses`` items and the
   ``contents`` of ``networkd`` units) also see ``vars``;
3. everything else sees the whole context, including ``host.addresses`` and
   ``fleet``, taken after round 2 for every host.

To write ``{{`` literally (a ``docker --format`` string, say), use
``{{ '{{' }}`` or ``{% raw %}...{% endraw %}``.

``contents.template: NAME`` reads ``files/NAME`` (names are relative to the
fleet's ``files/`` directory, as for ``contents.local``) and renders it with
round 3's context (:func:`render_file`, called while compiling).

Dependencies: a host whose templates read ``fleet.hosts[X]`` gets X's host
file and overlays added to its make inputs; reading ``groups.G`` records the
membership as a fleet fact, so a host joining the group rebuilds the reader.
A host whose file did not load (or whose addresses did not render) reads as
undefined through ``fleet.hosts``, so a template that uses it fails with a
note at that host's error; templates that do not read it render as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hostiso.diagnostics import Diagnostic, Mark, Path, error
from hostiso.load import hostschema, netfacts
from hostiso.load.fleet import BUILTIN_GROUPS, Host
from hostiso.load.jinja import Failure, Undefined, is_template, render
from hostiso.load.merge import pattern, replace_values
from hostiso.load.schema import validate
from hostiso.load.yamlload import Node, line_mark, to_plain, unfolded_mark

ADDRESS_PATHS = frozenset({("network", "addresses", "*"), ("networkd", "units", "*", "contents")})
"""Values that define addresses: rendered before addresses are known."""

ROUNDS: tuple[tuple[str, str], ...] = (
    (
        "vars",
        "values under vars: are rendered first; they see host.name, host.groups and groups only",
    ),
    (
        "addresses",
        "values that define addresses are rendered before addresses are "
        "known; they see host.name, host.groups, vars and groups only",
    ),
    ("rest", ""),
)


def round_of(path: Path) -> str:
    if path and path[0] == "vars":
        return "vars"
    return "addresses" if pattern(path) in ADDRESS_PATHS else "rest"


@dataclass(frozen=True, repr=False)
class Address:
    """One address of a host, for templates: renders as ``192.168.1.11/24``."""

    ip: str
    network: str
    prefixlen: int

    def __str__(self) -> str:
        return f"{self.ip}/{self.prefixlen}"

    def __repr__(self) -> str:  # how a list of addresses renders
        return repr(str(self))


def address(iface: netfacts.IPInterface) -> Address:
    return Address(str(iface.ip), str(iface.network), iface.network.prefixlen)


class Lookup(Mapping[str, Any]):
    """A read-only mapping that remembers which keys templates read."""

    def __init__(
        self, keys: list[str], aliases: Mapping[str, str], get: Callable[[str], Any], seen: set[str]
    ) -> None:
        self._keys = keys
        self._aliases = aliases
        self._get = get
        self._seen = seen

    def __getitem__(self, key: str) -> Any:
        real = self._aliases.get(key)
        if real is None:
            raise KeyError(key)
        self._seen.add(real)
        return self._get(real)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:  # rendered as is: the names, never a memory address
        return repr(self._keys)


def template_name(host: Host) -> str:
    """The name templates use: a literal ``hostname:``, else the file stem."""
    node = host.user.get("hostname") if host.user is not None else None
    if node is not None and isinstance(node.value, str) and not is_template(node.value):
        return node.value
    return host.stem


class FleetFacts:
    """What templates may know of the fleet; host views are built on first use."""

    def __init__(self, hosts: list[Host]) -> None:
        self.hosts: dict[str, Host] = {}
        for i, h in enumerate(hosts):  # a duplicate hostname (an error later): the stem
            name = template_name(h)
            name = h.stem if name in self.hosts else name
            self.hosts[f"{name}#{i}" if name in self.hosts else name] = h
        self.aliases = {name: name for name in self.hosts}
        for name, h in self.hosts.items():
            self.aliases.setdefault(h.stem, name)
        self.inputs = {name: list(h.inputs) for name, h in self.hosts.items()}
        self.groups = _groups(self.hosts)
        self._views: dict[str, dict[str, Any]] = {}
        self.broken: dict[str, Diagnostic] = {}
        """Hosts whose data templates cannot use, with their first error (see freeze)."""

    def freeze(self) -> None:
        """Before round 3: a host whose file did not load, or whose addresses did
        not render, cannot be read through ``fleet.hosts``."""
        for name, host in self.hosts.items():
            problem = _unusable(host)
            if problem is not None:
                self.broken[name] = problem

    def view(self, name: str) -> dict[str, Any]:
        """``{name, groups, addresses}`` of a host, as its tree is now."""
        if name not in self._views:
            host = self.hosts[name]
            self._views[name] = {
                "name": name,
                "groups": list(host.groups),
                "addresses": [address(a) for a in addresses(host.user)],
            }
        return self._views[name]


def _unusable(host: Host) -> Diagnostic | None:
    errors = [d for d in host.diagnostics if d.is_error]
    if host.user is None:
        return errors[0] if errors else None
    return next((d for d in errors if d.path and round_of(d.path) != "rest"), None)


def _file(host: Host) -> Mark:
    return Mark(host.source, 1, 1)


def _no_addresses(host: Host) -> tuple[str, Mark]:
    """Why a host has no addresses: a schema error in its network, if there is one."""
    name = template_name(host)
    for key in ("network", "networkd"):
        node = host.user.get(key) if host.user is not None else None
        if node is None:
            continue
        problems = validate(node, hostschema.HOST.fields[key], (key,))
        if problems:
            return f"host {name} has no addresses: {problems[0].message}", problems[
                0
            ].mark or node.mark
        return f"host {name} has no addresses", node.mark
    return f"host {name} has no addresses", _file(host)


def _groups(hosts: Mapping[str, Host]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {g: [] for g in BUILTIN_GROUPS}
    groups["all"] = sorted(hosts)
    for name, host in hosts.items():
        for group in dict.fromkeys(host.groups):
            groups.setdefault(group, []).append(name)
    return {g: sorted(members) for g, members in sorted(groups.items())}


def addresses(tree: Node | None) -> list[netfacts.IPInterface]:
    """A host's addresses; none while its tree is malformed (check-schema says why)."""
    if tree is None:
        return []
    part = {key: to_plain(tree.get(key)) for key in ("network", "networkd")}
    try:
        return [a for a, _ in netfacts.network_facts(part).addresses]
    except (AttributeError, TypeError):  # not yet schema-checked: wrong types in network
        return []


@dataclass
class HostContext:
    """One host's template context, and what its templates read from the fleet."""

    host: Host
    fleet: FleetFacts
    name: str
    seen_hosts: set[str] = field(default_factory=set)
    seen_groups: set[str] = field(default_factory=set)
    read: set[str] = field(default_factory=set)
    """Other hosts the value being rendered read (cleared before each value)."""

    def context(self, round_: str) -> dict[str, Any]:
        groups = Lookup(
            list(self.fleet.groups),
            {g: g for g in self.fleet.groups},
            lambda g: list(self.fleet.groups[g]),
            self.seen_groups,
        )
        me = {"name": self.name, "groups": list(self.host.groups)}
        if round_ == "vars":
            return {"host": me, "groups": groups}
        vars_ = self.host.user.get("vars") if self.host.user is not None else None
        plain_vars = to_plain(vars_) if vars_ is not None else {}
        out = {
            "host": me,
            "groups": groups,
            "vars": plain_vars if isinstance(plain_vars, dict) else {},
        }
        if round_ == "addresses":
            return out
        hosts = Lookup(list(self.fleet.hosts), self.fleet.aliases, self._other, self.seen_hosts)
        out["host"] = self.fleet.view(self.name)
        out["fleet"] = {"hosts": hosts}
        return out

    def _other(self, name: str) -> Any:
        """``fleet.hosts[name]``; undefined (saying why) when that host is broken."""
        if name == self.name:
            return self.fleet.view(name)
        self.read.add(name)
        problem = self.fleet.broken.get(name)
        if problem is None:
            return self.fleet.view(name)
        where = f" ({problem.mark})" if problem.mark else ""
        return Undefined(
            hint=f"host {name} has errors{where}, so its data is not available to templates"
        )

    def render(self, source: str, round_: str) -> str | Failure:
        self.read.clear()
        return render(source, self.context(round_))

    def notes(self, failure: Failure) -> tuple[tuple[str, Mark], ...]:
        """Related notes for a failed value: the broken or address-less hosts it read."""
        out: list[tuple[str, Mark]] = []
        for name in sorted(self.read):
            problem = self.fleet.broken.get(name)
            host = self.fleet.hosts[name]
            if problem is not None:
                out.append((f"host {name}: {problem.message}", problem.mark or _file(host)))
            elif failure.code == "template-undefined" and not self.fleet.view(name)["addresses"]:
                out.append(_no_addresses(host))
        return tuple(out)

    def record(self) -> None:
        """Add what the templates read to the host's make inputs and fleet facts."""
        for name in sorted(self.seen_hosts - {self.name}):
            self.host.inputs += self.fleet.inputs[name]
        for group in sorted(self.seen_groups):
            members = ",".join(self.fleet.groups[group])
            fact = f"template groups.{group}={members}"
            if fact not in self.host.fleet_facts:
                self.host.fleet_facts.append(fact)
        self.seen_hosts.clear()
        self.seen_groups.clear()


# --- the pipeline step -----------------------------------------------------------

_CONTEXT_ATTR = "_template_context"


def render_fleet(hosts: list[Host]) -> None:
    """Render every templated string value of every host (three rounds, see above)."""
    facts = FleetFacts(hosts)
    found = {id(h): find_templates(h.user) for h in hosts}
    names = {id(h): name for name, h in facts.hosts.items()}
    contexts = {id(h): HostContext(h, facts, names[id(h)]) for h in hosts}
    for host in hosts:
        setattr(host, _CONTEXT_ATTR, contexts[id(host)])
    for round_, _hint in ROUNDS:
        if round_ == "rest":
            facts.freeze()
        for host in hosts:
            todo = [(p, n) for p, n in found[id(host)] if round_of(p) == round_]
            if todo:
                _render_round(contexts[id(host)], round_, todo)
    for host in hosts:
        contexts[id(host)].record()


def find_templates(node: Node | None, path: Path = ()) -> list[tuple[Path, Node]]:
    """Every string value under ``node`` that is a template, with its path."""
    if node is None:
        return []
    value = node.value
    if isinstance(value, str):
        return [(path, node)] if is_template(value) else []
    out: list[tuple[Path, Node]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            out += find_templates(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += find_templates(child, (*path, i))
    return out


def _render_round(ctx: HostContext, round_: str, todo: list[tuple[Path, Node]]) -> None:
    hint = dict(ROUNDS)[round_]
    done: dict[Path, Node] = {}
    for path, node in todo:
        result = ctx.render(node.value, round_)
        if isinstance(result, Failure):
            where = _failure_mark(ctx, node, result, round_)
            problem = _value_error(result, path, node, hint, where)
            problem = replace(problem, related=ctx.notes(result))
            ctx.host.diagnostics.append(problem.for_host(ctx.name))
        else:
            done[path] = Node(result, node.mark, node.key_mark)
    if done and ctx.host.user is not None:
        ctx.host.user = replace_values(ctx.host.user, done)


def _failure_mark(ctx: HostContext, node: Node, failure: Failure, round_: str) -> Mark | None:
    """The file line of a failure in a block scalar, or None.

    A folded (``>``) block's lines are joined into one: its text is rendered
    again unfolded, where the same error stands on the line of the mistake.
    """
    if failure.line is None:
        return None
    unfolded = node.block.unfolded if node.block is not None else None
    if unfolded is None:
        return line_mark(node, failure.line)
    again = ctx.render(unfolded, round_)
    if isinstance(again, Failure) and again.line is not None and again.code == failure.code:
        return unfolded_mark(node, again.line)
    return line_mark(node, failure.line)


def _value_error(
    failure: Failure, path: Path, node: Node, hint: str, mark: Mark | None
) -> Diagnostic:
    """At the failing line of a block scalar; else at the value, naming the line."""
    message = failure.message
    if mark is None and "\n" in node.value and failure.line is not None:
        message += f" (line {failure.line} of the template)"
    if hint and failure.code == "template-undefined":
        message += f"; {hint}"
    return error(failure.code, message, path, mark or node.mark)


# --- contents.template ------------------------------------------------------------


def host_context(host: Host) -> HostContext:
    """The context render_fleet gave this host (a fleet of one if it never ran)."""
    ctx = getattr(host, _CONTEXT_ATTR, None)
    if isinstance(ctx, HostContext) and ctx.host is host:
        return ctx
    ctx = HostContext(host, FleetFacts([host]), template_name(host))
    setattr(host, _CONTEXT_ATTR, ctx)
    return ctx


def render_file(host: Host, data: bytes, display: str, path: Path) -> bytes | Diagnostic:
    """A ``contents.template`` file rendered for ``host``; errors point into the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return error(
            "template-encoding",
            f"{display} is not UTF-8 text: {exc.reason}",
            path,
            Mark(display, 1, 1),
        )
    ctx = host_context(host)
    result = ctx.render(text, "rest")
    ctx.record()
    if isinstance(result, Failure):
        problem = error(result.code, result.message, path, Mark(display, result.line or 1, 1))
        return replace(problem, related=ctx.notes(result))
    return result.encode("utf-8")
