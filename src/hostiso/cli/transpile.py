"""``hostiso transpile``: a drop-in for ``ct`` in existing Makefiles.

Flags are parsed the way Go's ``flag`` package (and so ct) parses them:
``-flag``, ``--flag``, ``-flag=value`` and ``-flag value``; booleans also take
``=true`` / ``=false``.  Reads stdin and writes stdout unless told otherwise.
Exit codes: 0 success, 1 config errors, 2 usage.  No output file is written
unless the config transpiled cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path as FsPath

from hostiso import __version__
from hostiso.check import standalone
from hostiso.cli.io import CONFIG_EXIT, IO, USAGE_EXIT, emit
from hostiso.derive import shorthands
from hostiso.diagnostics import Diagnostic, warning
from hostiso.diagnostics import Path as DiagPath
from hostiso.emit.compile import compile_clc
from hostiso.emit.v2.common import to_json
from hostiso.load import hostschema, merge, yamltext
from hostiso.load.fleet import locate, place_at
from hostiso.load.schema import validate
from hostiso.load.specs import SPECS, supported
from hostiso.load.yamlload import Node, from_plain, load_text, to_plain
from hostiso.sections import platform
from hostiso.util import fsutil

BOOL_FLAGS = ("pretty", "strict", "help", "h", "version")
VALUE_FLAGS = ("in-file", "out-file", "files-dir", "platform", "spec", "format")

USAGE = """Usage of hostiso transpile (a drop-in for ct):
  -in-file string     Path to the container linux config (default: stdin)
  -out-file string    Path to write the Ignition config to (default: stdout)
  -files-dir string   Directory to read contents.local files from
  -pretty             Indent the output JSON
  -strict             Fail if any warning is reported
  -platform string    Fill in ct's {HOSTNAME}, {PRIVATE_IPV4}... in etcd and flannel options
                      for a cloud platform, as ct does: azure, digitalocean, ec2, gce,
                      packet, openstack-metadata, vagrant-virtualbox,
                      cloudstack-configdrive or custom
  -spec string        Ignition spec version: 2.2.0, 2.3.0 (default), 3.3.0, 3.4.0 or
                      3.5.0; wins over the config's ignition.version
  -version            Print the version and exit
"""


@dataclass
class Options:
    in_file: str | None = None
    out_file: str | None = None
    files_dir: str | None = None
    platform: str | None = None
    spec: str | None = None
    format: str | None = None
    pretty: bool = False
    strict: bool = False
    help: bool = False
    version: bool = False


def parse(argv: list[str]) -> Options | str:
    """Options, or a usage error message."""
    opts = Options()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--" or not arg.startswith("-") or arg == "-":
            return f"unexpected argument: {arg}"
        name, eq, value = arg.lstrip("-").partition("=")
        if name in BOOL_FLAGS:
            if eq and value not in ("true", "false", "1", "0", "t", "f", "TRUE", "FALSE"):
                return f"invalid boolean value {value!r} for -{name}"
            setattr(opts, "help" if name == "h" else name, value in ("", "true", "1", "t", "TRUE"))
        elif name in VALUE_FLAGS:
            if not eq:
                i += 1
                if i >= len(argv):
                    return f"flag needs an argument: -{name}"
                value = argv[i]
            setattr(opts, name.replace("-", "_"), value)
        else:
            return f"flag provided but not defined: -{name}"
        i += 1
    if opts.spec is not None and opts.spec not in SPECS:
        return f"-spec must be one of {supported()}"
    if opts.platform == "":
        opts.platform = None  # ct's default: no platform
    if opts.platform is not None and opts.platform not in platform.PLATFORMS:
        choices = ", ".join(platform.PLATFORMS)
        return f"unsupported platform {opts.platform!r}: -platform must be one of {choices}"
    return opts


HELP = "ct drop-in: one CLC file to one Ignition file"
RAW_ARGUMENTS = True
"""ct's own option syntax (``-in-file``): the arguments go to :func:`run` unparsed."""


def run(argv: list[str], io: IO) -> int:
    opts = parse(argv)
    if isinstance(opts, str):
        io.stderr.write(f"{opts}\n{USAGE}")
        return USAGE_EXIT
    if opts.help:
        io.stderr.write(USAGE)
        return 0
    if opts.version:
        io.stdout.write(f"hostiso transpile {__version__}\n")
        return 0
    name = opts.in_file or "<stdin>"
    try:
        raw = FsPath(opts.in_file).read_bytes() if opts.in_file else _read_stdin(io)
    except OSError as exc:
        io.stderr.write(f"{name}: error: cannot read: {exc}\n")
        return CONFIG_EXIT
    text, problems = yamltext.text_of(raw, name)
    data, more = transpile_text(text, name, opts) if not problems else (None, [])
    problems += more
    shown = emit(problems, io, opts.format, ".", texts={name: text})
    if any(d.is_error or opts.strict for d in shown) or data is None:
        return CONFIG_EXIT
    if opts.out_file:
        try:
            fsutil.write_private(FsPath(opts.out_file), data)
        except OSError as exc:
            io.stderr.write(f"{opts.out_file}: error: cannot write: {exc.strerror}\n")
            return CONFIG_EXIT
    else:
        io.stdout.write(data.decode("utf-8"))
        io.stdout.flush()
    return 0


def _read_stdin(io: IO) -> bytes:
    """stdin's bytes (a text stream without a buffer, in tests: its text as UTF-8)."""
    buffer = getattr(io.stdin, "buffer", None)
    if buffer is not None:
        data: bytes = buffer.read()
        return data
    return io.stdin.read().encode("utf-8", "surrogateescape")


def transpile_text(text: str, name: str, opts: Options) -> tuple[bytes | None, list[Diagnostic]]:
    node, problems = load_text(text, name)
    if node is None:
        return None, problems
    problems += validate(node, hostschema.HOST)
    problems += standalone.check_input(node)
    if any(d.is_error for d in problems):
        return None, problems
    origins: Origins = {}
    tree = _expand_like_ct(node, problems, origins, opts.platform)
    for d in standalone.check_rules(name, node, tree):
        problems.append(replace(d, path=_input_path(d.path, origins)))
    files_dir = FsPath(opts.files_dir) if opts.files_dir else None
    plain = to_plain(tree)
    clc = plain if isinstance(plain, dict) else {}
    compiled = compile_clc(clc, opts.spec, files_dir, lambda path: locate(tree, path))
    for d in compiled.diagnostics:
        placed = place_at(tree, d)
        problems.append(replace(placed, path=_input_path(placed.path, origins)))
    if compiled.ignition is None or any(d.is_error for d in problems):
        return None, problems
    return to_json(compiled.ignition, opts.pretty), problems


# ct's converters run in the order of their Go source files (docker.go,
# etcd.go, files.go, flannel.go, ..., systemd.go, update.go) and each appends
# to the output lists; nothing is merged by name.  So the units of docker, etcd
# and flannel come before the config's own units and update's after them, and
# every generated file comes after the config's own files.
_SECTION_KEYS = ("docker", "etcd", "flannel", "update", "locksmith")
Origins = dict[DiagPath, DiagPath]
"""A spliced list entry's path (``systemd.units[2]``) -> the input's path
(``systemd.units[0]``, or ``etcd`` for an entry the section generated)."""


def _input_path(path: DiagPath, origins: Origins) -> DiagPath:
    origin = origins.get(path[:3])
    if origin is None:
        return path
    return origin + path[3:] if origin[:2] == path[:2] else origin


_BEFORE_USER = {"unit": ("docker", "etcd", "flannel"), "file": ("docker", "etcd")}


def _expand_like_ct(
    node: Node, problems: list[Diagnostic], origins: Origins, cloud: str | None
) -> Node:
    """The config with its shorthands and ct sections expanded, in ct's order
    (the coreos-metadata units a ``cloud`` platform needs first)."""
    hostname = node.get("hostname")
    plain_sections = {k: v for k, v in node.value.items() if k in _SECTION_KEYS}
    rest = Node({k: v for k, v in node.value.items() if k not in _SECTION_KEYS}, node.mark)
    base, more = shorthands.expand(rest, hostname.value if hostname else None)
    problems += [place_at(node, d) for d in more]
    tree = merge.merge(base, rest, ())
    tree.value.update(plain_sections)
    before: dict[str, list[tuple[str, Node]]] = {"unit": [], "file": []}
    after: dict[str, list[tuple[str, Node]]] = {"unit": [], "file": []}
    for unit in platform.metadata_units(cloud):
        del unit["kind"]
        before["unit"].append(("platform", from_plain(unit, node.mark)))
    found: list[Diagnostic] = []
    for entry in shorthands.translate_sections(node, found, cloud):
        side = before if entry.section in _BEFORE_USER[entry.kind] else after
        side[entry.kind].append((entry.section, entry.node))
    problems += [place_at(node, d) for d in found]
    origins.update(_splice(tree, ("systemd", "units"), before["unit"], after["unit"]))
    problems += _replaced_files(node, before["file"] + after["file"])
    origins.update(_splice(tree, ("storage", "files"), before["file"], after["file"]))
    return tree


def _replaced_files(node: Node, made: list[tuple[str, Node]]) -> list[Diagnostic]:
    """The config's own files that ct writes again from a section: on the
    machine the section's, written after, replaces them."""
    by_path = {_key(item, "path"): section for section, item in made}
    storage = node.get("storage")
    files = storage.get("files") if storage is not None else None
    entries = files.value if files is not None and isinstance(files.value, list) else []
    out = []
    for i, entry in enumerate(entries):
        section = by_path.get(_key(entry, "path"))
        if section is not None:
            message = (
                f"ct writes {_key(entry, 'path')} from {section}/locksmith after this file, "
                "which it replaces on the machine: set these values there instead"
            )
            d = warning("file-replaced-by-section", message, ("storage", "files", i, "path"))
            out.append(place_at(node, d))
    return out


def _splice(
    tree: Node,
    path: tuple[str, str],
    before: list[tuple[str, Node]],
    after: list[tuple[str, Node]],
) -> Origins:
    """Put the generated entries before and after the config's own, in ct's order.

    ct appends its own ``flanneld.service`` entry next to the config's
    ``flanneld.service`` (the usual way to add a drop-in); we emit one entry
    instead, ct's drop-in first, merged by the merge rules (a drop-in of the
    config's with ct's name replaces it): the machine ends up the same, and
    the config stays valid where duplicates are not (Ignition 3).  Returns
    where each entry of the spliced list came from.
    """
    if not before and not after:
        return {}
    section = tree.get(path[0])
    if section is None or not isinstance(section.value, dict):
        section = Node({}, tree.mark)
        tree.value[path[0]] = section
    own = section.get(path[1])
    items: list[Node] = own.value if own is not None and isinstance(own.value, list) else []
    key = merge.NAMED_LISTS[path]
    by_key = {_key(item, key): (i, item) for i, item in enumerate(items)}
    merged: set[int] = set()
    generated: list[tuple[DiagPath, Node]] = []
    for section_key, item in before + after:
        origin: DiagPath = (section_key,)
        found = by_key.get(_key(item, key))
        if found is not None:
            merged.add(id(found[1]))
            if path == ("systemd", "units"):  # a file: ct's, written last, replaces the config's
                item = shorthands.yield_enable(item, found[1])
                item = merge.merge(item, found[1], (*path, 0), generated=True)
                origin = (*path, found[0])
        generated.append((origin, item))
    rest = [((*path, i), item) for i, item in enumerate(items) if id(item) not in merged]
    count = len(before)
    spliced = generated[:count] + rest + generated[count:]
    section.value[path[1]] = Node([item for _, item in spliced], own.mark if own else tree.mark)
    return {(*path, i): origin for i, (origin, _) in enumerate(spliced)}


def _key(item: Node, key: str) -> object:
    node = item.get(key)
    return node.value if node is not None else None
