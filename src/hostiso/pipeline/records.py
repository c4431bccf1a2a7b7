"""What a build keeps of one host between runs (see :mod:`hostiso.pipeline.incremental`).

An entry is plain data (tuples, strings, numbers), so the cache file is a
marshalled dict: the digest of the host's own inputs, the records the fleet
steps read (head, view, claims, fleet-rule facts), what its templates read of
the fleet, the effect the etcd steps had on it, its diagnostics and the
signatures of its outputs.  :func:`node_plain` keeps the few subtrees the
etcd steps read of a host that is not loaded (``flannel``, ``etcd_tls*``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from hostiso.diagnostics import Diagnostic, Mark
from hostiso.diagnostics.plain import from_plain, to_plain
from hostiso.load.fleet import Host
from hostiso.load.yamlload import Block, Node

STUB_KEYS = ("flannel", "etcd_tls", "etcd_tls_key", "etcd_tls_days")
"""What the etcd steps read of a host that is neither loaded nor a member."""


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


def stub_host(entry: dict[str, Any], host: Host) -> Host:
    """A stand-in for the etcd steps: ``host`` (stem, name...) with the cached subtrees."""
    nodes = {k: node_from_plain(v) for k, v in entry["stub"].items()}
    host.user = Node(nodes, Mark(host.source, 1, 1))
    return host


def plain_list(items: list[Diagnostic]) -> tuple[Any, ...]:
    return tuple(to_plain(d) for d in items)


def diagnostics(raw: tuple[Any, ...]) -> list[Diagnostic]:
    return [from_plain(d) for d in raw]


def digest(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
