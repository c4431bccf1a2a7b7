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
from hostiso.load import limits
from hostiso.load.fleet import Host
from hostiso.load.fleetview import (
    ANY,
    FleetFacts,
    Reads,
    head_of,
    round_of,
    view_of,
)
from hostiso.load.merge import replace_values
from hostiso.load.templatetext import Failure, is_template
from hostiso.load.yamlload import Node, line_mark, node_at, to_plain, unfolded_mark

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


class Lookup(Mapping[str, Any]):
    """A read-only mapping that remembers which keys templates read.

    ``seen`` gets the keys found; ``asked`` every key asked for, found or not,
    and :data:`ANY` when the keys themselves were listed or counted.
    """

    def __init__(
        self,
        keys: Mapping[str, Any],
        aliases: Mapping[str, str] | None,
        get: Callable[[str], Any],
        seen: set[str],
        asked: set[str],
    ) -> None:
        self._keys = keys
        self._aliases = aliases
        self._get = get
        self._seen = seen
        self._asked = asked

    def __getitem__(self, key: str) -> Any:
        self._asked.add(str(key))
        real = key if self._aliases is None and key in self._keys else None
        if self._aliases is not None:
            real = self._aliases.get(key)
        if real is None:
            raise KeyError(key)
        self._seen.add(real)
        return self._get(real)

    def __iter__(self) -> Iterator[str]:
        self._asked.add(ANY)
        return iter(self._keys)

    def __len__(self) -> int:
        self._asked.add(ANY)
        return len(self._keys)

    def __repr__(self) -> str:  # rendered as is: the names, never a memory address
        self._asked.add(ANY)
        return repr(list(self._keys))


def _file(stem_source: str) -> Mark:
    return Mark(stem_source, 1, 1)


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
    reads: Reads = field(default_factory=Reads)
    """Everything the host's templates asked the fleet for (never cleared)."""
    rest: list[Path] | None = None
    """Where round 3's templates are (found with rounds 1 and 2)."""

    def context(self, round_: str) -> dict[str, Any]:
        groups = Lookup(
            self.fleet.groups,
            None,
            lambda g: list(self.fleet.groups[g]),
            self.seen_groups,
            self.reads.groups,
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
        hosts = Lookup(
            self.fleet.heads,
            self.fleet.aliases,
            self._other,
            self.seen_hosts,
            self.reads.hosts,
        )
        out["host"] = self.fleet.view(self.name)
        out["fleet"] = {"hosts": hosts}
        return out

    def _other(self, name: str) -> Any:
        """``fleet.hosts[name]``; undefined (saying why) when that host is broken."""
        if name == self.name:
            return self.fleet.view(name)
        self.read.add(name)
        problem = self.fleet.broken(name)
        if problem is None:
            return self.fleet.view(name)
        where = f" ({problem.mark})" if problem.mark else ""
        from hostiso.load import jinja

        return jinja.Undefined(
            hint=f"host {name} has errors{where}, so its data is not available to templates"
        )

    def render(self, source: str, round_: str) -> str | Failure:
        from hostiso.load import jinja  # here: a run that renders nothing never imports jinja2

        self.read.clear()
        return jinja.render(source, self.context(round_))

    def notes(self, failure: Failure) -> tuple[tuple[str, Mark], ...]:
        """Related notes for a failed value: the broken or address-less hosts it read."""
        out: list[tuple[str, Mark]] = []
        for name in sorted(self.read):
            problem = self.fleet.broken(name)
            view = self.fleet.views(name)
            if problem is not None:
                where = problem.mark or _file(self.fleet.heads[name].source)
                out.append((f"host {name}: {problem.message}", where))
            elif failure.code == "template-undefined" and not view.addresses:
                out.append(self.fleet.no_addresses(name))
        return tuple(out)

    def record(self) -> None:
        """Add what the templates read to the host's make inputs and fleet facts."""
        for name in sorted(self.seen_hosts - {self.name}):
            self.host.inputs += self.fleet.inputs(name)
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
    facts = FleetFacts(head_of(h) for h in hosts)
    for host in hosts:
        start(host, facts)
        render_early(host)
    facts.freeze({h.stem: view_of(h) for h in hosts})
    for host in hosts:
        render_rest(host)


def start(host: Host, facts: FleetFacts) -> HostContext:
    """Give the host its context in the fleet (before any round)."""
    ctx = HostContext(host, facts, facts.names[host.stem])
    setattr(host, _CONTEXT_ATTR, ctx)
    return ctx


def release(host: Host) -> None:
    """Drop the host's context (it refers to the host and the whole fleet's facts):
    a finished run is then freed as it goes out of scope, not by the collector."""
    host.__dict__.pop(_CONTEXT_ATTR, None)


def render_early(host: Host) -> None:
    """Rounds 1 and 2: ``vars`` and the values that define addresses."""
    found = find_templates(host.user)
    ctx = host_context(host)
    for round_ in ("vars", "addresses"):
        todo = [(p, n) for p, n in found if round_of(p) == round_]
        if todo:
            _render_round(ctx, round_, todo)
    ctx.rest = [p for p, _n in found if round_of(p) == "rest"]


def render_rest(host: Host) -> None:
    """Round 3 (every other value), once the fleet's views are frozen."""
    ctx = host_context(host)
    if ctx.rest is None:
        todo = [(p, n) for p, n in find_templates(host.user) if round_of(p) == "rest"]
    else:  # found by render_early: rounds 1 and 2 left these values as they were
        todo = [(p, n) for p in ctx.rest if (n := node_at(host.user, p)) is not None]
    if todo:
        _render_round(ctx, "rest", todo)
    ctx.record()


def find_templates(node: Node | None, path: Path = ()) -> list[tuple[Path, Node]]:
    """Every string value under ``node`` that is a template, with its path."""
    if node is None:
        return []
    if isinstance(node.value, str):
        return [(path, node)] if is_template(node.value) else []
    out: list[tuple[Path, Node]] = []
    _walk(node, list(path), out)
    return out


def _walk(node: Node, path: list[str | int], out: list[tuple[Path, Node]]) -> None:
    """The templates under a mapping or list node (leaves are tested here, without a
    call each: a host has hundreds of values and usually no template)."""
    value = node.value
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        leaf = child.value
        if isinstance(leaf, str):
            if "{" in leaf and is_template(leaf):
                out.append(((*path, key), child))
        elif isinstance(leaf, dict | list):
            path.append(key)
            _walk(child, path, out)
            path.pop()


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
    facts = FleetFacts([head_of(host)])
    facts.freeze({host.stem: view_of(host)})
    return start(host, facts)


def render_file(host: Host, data: bytes, display: str, path: Path) -> bytes | Diagnostic:
    """A ``contents.template`` file rendered for ``host``; errors point into the file."""
    size = limits.configured().size
    if len(data) > size:
        message = (
            f"template too large: {display} is over {size:,} bytes (the limit of one template)"
        )
        return error("template-error", message, path, Mark(display, 1, 1))
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
