"""What a build keeps of one host between runs (see :mod:`hostiso.pipeline.incremental`).

An entry is plain data (tuples, strings, numbers), so the cache file is a
marshalled dict.  It has two parts:

* :class:`Entry`, read on every run for every host: its own inputs and their
  digests, its outputs, its head (for templates), what its templates read of
  the fleet, the etcd stand-in and effect, its diagnostics, and digests of its
  fleet-check record and its make inputs;
* :class:`Cold`, marshalled on its own inside the entry and decoded only when
  a run needs it: its view (when another host's template reads it), its
  fleet-check record (when a record changed and the fleet checks run again),
  its make inputs (when ``build/.hosts.mk`` is written again) and its ISO label;
* what other commands read of it (the inventory), marshalled on its own.

A one-host edit of a 10,000-host fleet so decodes one cold part, not 10,000.
:func:`node_plain` keeps the few subtrees the etcd steps read of a host that
is not loaded (``flannel``, ``etcd_tls*``).
"""

from __future__ import annotations

import hashlib
import marshal
import sys
from typing import Any, NamedTuple

from hostiso.diagnostics import Diagnostic, Mark
from hostiso.diagnostics.plain import from_plain, to_plain
from hostiso.load.fleet import Host
from hostiso.load.yamlload import Block, Node

STUB_KEYS = ("flannel", "etcd_tls", "etcd_tls_key", "etcd_tls_days")
"""What the etcd steps read of a host that is neither loaded nor a member."""


class Entry(NamedTuple):
    """What every run reads of a clean host."""

    inputs: tuple[str, ...]
    """The host's own inputs (host file, overlays, files, secrets), sorted."""
    digests: tuple[str, ...]
    """Their digests when the entry was made."""
    out: tuple[Any, ...]
    """The signatures of its outputs (``.ign``, ``.iso``, ``.d``); Nones for lint."""
    until: float
    """When a certificate of the host is due for renewal (the entry expires then)."""
    head: tuple[Any, ...]
    name: str
    """Its name for templates (a duplicate hostname makes it the stem)."""
    reads: tuple[tuple[str, str, str], ...]
    """What its templates read of the fleet: (kind, key, digest of the value)."""
    hostname: str
    stub: dict[str, Any] | None
    """What the etcd steps read of the host (:data:`STUB_KEYS`), None when nothing."""
    effect: str
    diags: tuple[Any, ...]
    """Plain diagnostics: before the fleet checks, of the host rules, of compiling."""
    record: str
    """A digest of its fleet-check record ("" for none)."""
    deps: str
    """A digest of its make inputs."""
    cold: bytes
    """A marshalled :class:`Cold`."""
    extra: bytes
    """A marshalled dict: what other commands read of the host (the inventory's record,
    ``stages.EXTRACTORS``); on its own, so they need not decode the cold part."""


class Cold(NamedTuple):
    """What a run reads of a clean host only when it needs it."""

    view: tuple[Any, ...]
    claim: tuple[Any, ...] | None
    facts: tuple[Any, ...] | None
    deps: tuple[str, ...]
    label: str


def entry_of(raw: Any) -> Entry | None:
    """An entry read from the cache, or None when it is not one."""
    try:
        return Entry._make(raw)
    except TypeError:  # no entry, or one of another shape
        return None


def cold_of(entry: Entry) -> Cold:
    """Raises ValueError (or EOFError, TypeError) on a damaged entry."""
    return Cold(*marshal.loads(entry.cold))


def extra_of(entry: Entry) -> Any:
    """Raises ValueError (or EOFError, TypeError) on a damaged entry."""
    return marshal.loads(entry.extra)


def pack(cold: Cold) -> bytes:
    return marshal.dumps(tuple(cold))


def _mark(m: Mark | None) -> Any:
    return None if m is None else (m.file, m.line, m.col)


def node_plain(node: Node) -> tuple[Any, ...]:
    value = node.value
    if isinstance(value, dict):
        value = {k: node_plain(v) for k, v in value.items()}
    elif isinstance(value, list):
        value = [node_plain(v) for v in value]
    block = None if node.block is None else (node.block.lines, node.block.col)
    return (value, _mark(node.mark), _mark(node.key_mark), node.text, block)


def node_from_plain(raw: tuple[Any, ...]) -> Node:
    value, mark, key_mark, text, block = raw
    if isinstance(value, dict):
        value = {k: node_from_plain(v) for k, v in value.items()}
    elif isinstance(value, list):
        value = [node_from_plain(v) for v in value]
    return Node(
        value,
        Mark(*mark),
        None if key_mark is None else Mark(*key_mark),
        text,
        None if block is None else Block(*block),
    )


def stub_nodes(host: Host) -> dict[str, Any]:
    if host.user is None:
        return {}
    return {k: node_plain(n) for k in STUB_KEYS if (n := host.user.get(k)) is not None}


def stub_host(stub: dict[str, Any], host: Host) -> Host:
    """A stand-in for the etcd steps: ``host`` (stem, name...) with the cached subtrees."""
    nodes = {k: node_from_plain(v) for k, v in stub.items()}
    host.user = Node(nodes, Mark(host.source, 1, 1))
    return host


def plain_list(items: list[Diagnostic]) -> tuple[Any, ...]:
    return tuple(to_plain(d) for d in items)


def diagnostics(raw: tuple[Any, ...]) -> list[Diagnostic]:
    return [from_plain(d) for d in raw]


def digest(*parts: Any) -> str:
    """A digest of plain data; interned, so the many equal ones are stored once."""
    return sys.intern(hashlib.sha256(repr(parts).encode()).hexdigest()[:32])


def digest_bytes(data: bytes) -> str:
    """A digest of marshalled data (no ``repr``: a record is kilobytes)."""
    return sys.intern(hashlib.sha256(data).hexdigest()[:32])
