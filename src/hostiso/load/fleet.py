"""Loading the fleet: host files, their overlays, the merged effective tree.

A fleet is a directory with ``configs/<host>.yaml`` and ``overlays/*.yaml``.
A host's layers are ``overlays/all.yaml`` (if present), then
``overlays/<group>.yaml`` for each of its groups in order, then the host file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path as FsPath
from typing import Any

from hostiso.diagnostics import Diagnostic, Mark, Path, error
from hostiso.load import formats, hostschema, merge, sources
from hostiso.load.inventoryschema import ALL_OVERLAY, check_all_only
from hostiso.load.schema import validate
from hostiso.load.shared import share_sections
from hostiso.load.yamlload import Node, load_file, node_at, to_plain

BUILTIN_GROUPS = frozenset({"etcd"})
HOST_ONLY_KEYS = ("groups",)


@dataclass(frozen=True)
class Layout:
    """Where a fleet's files live; ``display`` paths are relative to ``root``."""

    root: FsPath

    @cached_property
    def configs(self) -> FsPath:
        return self.root / "configs"

    @cached_property
    def overlays(self) -> FsPath:
        return self.root / "overlays"

    @property
    def files(self) -> FsPath:
        return self.root / "files"

    @property
    def secrets(self) -> FsPath:
        return self.root / "secrets"

    @cached_property
    def _elsewhere(self) -> bool:
        return self.root != FsPath(".")

    def display(self, path: FsPath) -> str:
        try:
            return os.path.relpath(path, self.root) if self._elsewhere else str(path)
        except ValueError:  # pragma: no cover - other drive on Windows
            return str(path)

    def host_stems(self) -> list[str]:
        """The stem of every ``configs/*.yaml`` (hidden files skipped), names make
        cannot take included: :func:`load_host` refuses those with an error."""
        try:
            names = os.listdir(self.configs)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(n[:-5] for n in names if n.endswith(".yaml") and not n.startswith("."))


@dataclass
class Host:
    stem: str
    source: str
    name: str = ""
    groups: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    user: Node | None = None
    """The layers the user wrote (overlays, then the host file), merged."""
    tree: Node | None = None
    """The effective tree: the generated base layer under the user's layers."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    root: FsPath = FsPath(".")
    """The fleet directory; ``source`` and ``inputs`` are relative to it."""
    writes: bool = True
    """False when nothing may be created on disk (lint)."""
    tls: Any = None
    """The etcd TLS plan of this host (``etcdtls.TlsPlan``), issued only at build time."""
    fleet_facts: list[str] = field(default_factory=list)
    """What this host's output took from other hosts (etcd members, templates).

    The build stores their digest in the depfile and rebuilds a host whose
    digest changed even when make did not ask for it: make cannot see that a
    new etcd member was added in another file."""

    @property
    def failed(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    @property
    def blocked(self) -> bool:
        """An error that leaves the tree unfit for the later checks (a wrong type, bad YAML).

        A host that failed only on values (errors made with ``blocking=False``)
        still goes through expansion and the lint rules, so one run reports
        every problem; it is never compiled or built.
        """
        return any(d.is_error and d.blocking for d in self.diagnostics)

    _plain: tuple[Node, dict[str, Any]] | None = field(default=None, repr=False)

    def plain(self) -> dict[str, Any]:
        """The effective config as plain data (cached once expanded; do not mutate)."""
        if self.tree is not None and self._plain is not None and self._plain[0] is self.tree:
            return self._plain[1]
        value = to_plain(self.tree if self.tree is not None else self.user)
        result = value if isinstance(value, dict) else {}
        if self.tree is not None:
            self._plain = (self.tree, result)
        return result

    def locate(self, path: Path) -> Mark | None:
        return locate(self.tree if self.tree is not None else self.user, path)

    def forget_plain(self) -> None:
        """Drop the cached plain config (with the trees, once a host is compiled)."""
        self._plain = None


def locate(tree: Node | None, path: Path) -> Mark | None:
    """The mark of the value at ``path``, or of its nearest existing parent."""
    node = tree
    mark = tree.mark if tree else None
    for part in path:
        if node is None:
            break
        child: Node | None = None
        if isinstance(part, str) and isinstance(node.value, dict):
            child = node.value.get(part)
        elif isinstance(part, int) and isinstance(node.value, list) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, mark = child, child.mark
    return mark


def place_at(tree: Node | None, diagnostic: Diagnostic) -> Diagnostic:
    """A diagnostic placed at its path (unless it has a mark), at the key when
    it is about the key itself (``at_key``)."""
    if diagnostic.mark is not None:
        return diagnostic
    if diagnostic.at_key:
        node = node_at(tree, diagnostic.path)
        if node is not None and node.key_mark is not None:
            return diagnostic.at(node.key_mark)
    return diagnostic.at(locate(tree, diagnostic.path))


class OverlayCache:
    """Each overlay file is read and checked once per fleet, and each list of
    overlays that hosts stack is merged once."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._cache: dict[str, tuple[Node | None, list[Diagnostic]] | None] = {}
        self._display: dict[str, str] = {}
        self._stacks: dict[tuple[str, ...], Node | None] = {}

    def display(self, name: str) -> str:
        """``overlays/NAME.yaml`` as the fleet's files are shown."""
        found = self._display.get(name)
        if found is None:
            found = self._display[name] = self.layout.display(self.layout.overlays / f"{name}.yaml")
        return found

    def get(self, name: str) -> tuple[str, Node | None, list[Diagnostic]] | None:
        display = self.display(name)
        if display not in self._cache:
            path = self.layout.overlays / f"{name}.yaml"
            exists = os.path.lexists(path)
            self._cache[display] = (
                _load_overlay(self.layout, path, display, name) if exists else None
            )
        found = self._cache[display]
        return None if found is None else (display, *found)

    def stack(self, displays: tuple[str, ...]) -> Node | None:
        """The overlays ``displays`` (each read by :meth:`get`, with a tree) merged in
        order.  Hosts share the result: like the overlays' trees, it is never changed
        (:func:`merge.replace_values` copies what it replaces)."""
        if displays not in self._stacks:
            layers = [self._tree(display) for display in displays]
            self._stacks[displays] = merge.merge_layers(layers)
        return self._stacks[displays]

    def _tree(self, display: str) -> Node:
        found = self._cache[display]
        assert found is not None and found[0] is not None
        return found[0]


def _load_overlay(
    layout: Layout, path: FsPath, display: str, name: str
) -> tuple[Node | None, list[Diagnostic]]:
    problem = sources.source_problem(layout.root, path, display)
    if problem is not None:
        return None, [problem]
    node, problems = load_file(str(path), display)
    if node is not None:
        problems += _check_overlay(node, name)
        share_sections(node)
    return node, problems


def _check_overlay(node: Node, name: str) -> list[Diagnostic]:
    problems = [] if name == ALL_OVERLAY else check_all_only(node)
    for key in HOST_ONLY_KEYS:
        child = node.get(key)
        if child is not None:
            problems.append(
                error(
                    "host-only-key",
                    f"'{key}' can only be set in a host file",
                    (key,),
                    child.key_mark or child.mark,
                )
            )
    return problems


def load_host(layout: Layout, stem: str, overlays: OverlayCache) -> Host:
    path = layout.configs / f"{stem}.yaml"
    host = Host(stem=stem, source=layout.display(path), name=stem)
    host.inputs.append(host.source)
    problem = sources.bad_stem(stem, host.source) or sources.source_problem(
        layout.root, path, host.source
    )
    if problem is not None:  # its name and path go into messages: never a control character
        host.name, host.source = sources.printable(stem), sources.printable(host.source)
        host.diagnostics.append(problem.for_host(host.name))
        return host
    node, problems = load_file(str(path), host.source)
    host.diagnostics += problems
    if node is None:
        return host
    if not isinstance(node.value, dict):
        host.diagnostics.append(error("wrong-type", "a host file must be a mapping", (), node.mark))
        return host
    host.diagnostics += check_all_only(node)
    host.user = merge.merge(overlays.stack(_overlays(host, node, overlays)), node, ())
    return host


def _overlays(host: Host, node: Node, overlays: OverlayCache) -> tuple[str, ...]:
    """The overlays the host stacks under its file (each with a tree), in order."""
    groups_node = node.get("groups")
    groups: list[tuple[str, Node]] = []
    if groups_node is not None and isinstance(groups_node.value, list):
        # a number or boolean is the text written, as the schema reads it
        # (groups: [1] is group '1'); anything else is reported by the schema
        named = [(g.value if g.text is None else g.text, g) for g in groups_node.value]
        groups = [(name, g) for name, g in named if isinstance(name, str)]
    host.groups = [g for g, _ in groups]
    layers: list[str] = []
    for name, gnode in [("all", None), *_good_groups(host, groups)]:
        found = overlays.get(name)
        if found is None:
            if gnode is not None and name not in BUILTIN_GROUPS:
                host.diagnostics.append(_missing_overlay(name, gnode, overlays.layout))
            continue
        display, layer, problems = found
        host.inputs.append(display)
        host.diagnostics += problems
        if layer is not None:
            layers.append(display)
    return tuple(layers)


def _good_groups(host: Host, groups: list[tuple[str, Node]]) -> list[tuple[str, Node]]:
    """The groups whose name can be a file name; an error at each other one."""
    good = []
    for name, gnode in groups:
        why = sources.bad_group(name)
        if why is None:
            good.append((name, gnode))
        else:
            host.diagnostics.append(error("bad-group-name", why, ("groups",), gnode.mark))
    return good


def _missing_overlay(name: str, gnode: Node, layout: Layout) -> Diagnostic:
    expected = layout.display(layout.overlays / f"{name}.yaml")
    return error(
        "missing-overlay",
        f"group '{name}' has no overlay: {expected} does not exist",
        ("groups",),
        gnode.mark,
    )


def check_schema(host: Host) -> None:
    """Types, unknown keys and value formats of the merged (rendered) tree."""
    if host.user is None:
        return
    # a value whose template failed is still its source text: that failure is
    # its problem, not the format of the text ('{{ x }}' needs a prefix length)
    unrendered = {d.path for d in host.diagnostics if d.code.startswith("template-")}
    found = validate(host.user, hostschema.HOST)
    host.diagnostics += [d for d in found if d.path not in unrendered or d.code == "wrong-type"]
    hostname = host.user.get("hostname")
    if hostname is not None and isinstance(hostname.value, str):
        host.name = hostname.value
    elif formats.check_hostname(host.stem):
        host.diagnostics.append(
            error(
                "bad-hostname",
                f"the file name '{host.stem}' is not a valid hostname; "
                "rename the file or set 'hostname:'",
                (),
                Mark(host.source, 1, 1),
            )
        )


def read_fleet(
    layout: Layout, stems: list[str] | None = None, *, writes: bool = True
) -> list[Host]:
    """Every host's layers, loaded and merged (no templates, no checks yet).

    ``writes=False`` (lint) tells the steps to create nothing on disk: no
    fleet secret, no CA, no certificates.
    """
    overlays = OverlayCache(layout)
    hosts = [load_host(layout, stem, overlays) for stem in (stems or layout.host_stems())]
    for host in hosts:
        host.root = layout.root
        host.writes = writes
    return hosts
