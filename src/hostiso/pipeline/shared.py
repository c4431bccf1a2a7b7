"""One copy of each problem, naming the hosts it stops.

A problem in a shared layer (an overlay, a ``files/`` template) is found once
for every host whose config holds it.  It is reported once, at its line, with
a note that lists those hosts; when other hosts read the same file but are
not stopped (a later layer of theirs replaces the value), the note names them
too (a later layer of theirs replaces the value, say), so the output always
says who is built and who is not.

The rule it makes visible: a problem in a *value* stops the hosts whose
effective config holds that value; a problem in a *file* (YAML syntax, a
duplicate key, a value YAML cannot read) stops every host that reads the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from hostiso.diagnostics import Diagnostic

MAX_NAMES = 10
"""Host names listed in a note; more are counted (``and 990 more``)."""

Key = tuple[object, ...]


def key(d: Diagnostic) -> Key:
    """Two diagnostics with one key are one problem (an overlay's, found per host)."""
    unplaced = d.mark is None
    return (d.code, d.message, d.mark, d.path if unplaced else None, d.host if unplaced else None)


Found = tuple[str, str, Diagnostic]
"""A diagnostic found for a host: (the host's name, its host file, the diagnostic)."""


def one_per_problem(
    found: Sequence[Found], unstopped: Mapping[str, Sequence[str]]
) -> list[Diagnostic]:
    """``found`` reduced to one diagnostic per problem, in order; ``unstopped``
    maps each host without errors to the files of its layers
    (``fleetview.Head.inputs``: its host file and overlays), to name the hosts
    that use a layer and are still built.  A problem outside the host's own
    file (in an overlay, a ``files/`` template) names the host it was found for."""
    groups: dict[Key, tuple[Diagnostic, dict[str, None]]] = {}
    for name, source, d in found:
        k = key(d)
        group = groups.get(k)
        if group is None:
            named = d.host is not None or d.mark is None or d.mark.file == source
            group = groups[k] = (d if named else d.for_host(name), {})
        group[1][name] = None  # an ordered set: an overlay's warning on 100,000 hosts
    errors = any(d.is_error and d.mark is not None for d, _ in groups.values())
    users = _users(unstopped) if errors else {}
    return [_with_note(d, list(hosts), users) for d, hosts in groups.values()]


def _users(unstopped: Mapping[str, Sequence[str]]) -> dict[str, dict[str, None]]:
    """The hosts without errors that read each file (one pass, not one per problem:
    a warning in each of 100,000 host files would otherwise be 10^10 steps)."""
    users: dict[str, dict[str, None]] = {}
    for host, files in unstopped.items():
        for file in files:
            users.setdefault(file, {})[host] = None
    return users


def _with_note(d: Diagnostic, hosts: list[str], users: Mapping[str, dict[str, None]]) -> Diagnostic:
    if d.mark is None:
        return d
    spared = sorted(users.get(d.mark.file, ())) if d.is_error else []
    if len(hosts) < 2 and not spared:
        return d
    verb = "stops" if d.is_error else "is found in"
    note = f"{verb} {_hosts(hosts)}"
    if spared:
        uses = "uses" if len(spared) == 1 else "use"
        note += f"; {_names(spared)} {uses} {d.mark.file} too, and {_are(spared)} not stopped"
    return replace(d, related=(*d.related, (note, d.mark)))


def _are(names: list[str]) -> str:
    return "is" if len(names) == 1 else "are"


def _hosts(names: list[str]) -> str:
    count = f"{len(names)} hosts" if len(names) != 1 else "1 host"
    return f"{count}: {_names(sorted(names))}"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    more = len(names) - MAX_NAMES
    return f"{shown} and {more} more" if more > 0 else shown
