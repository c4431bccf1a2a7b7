"""``hostiso show HOST``: a host's effective config, and where each value came from.

The config is printed as YAML after merging, templates and shorthands (the
same tree the build compiles), so ``hostiso show HOST | yq`` sees what the
build sees.  Mapping keys come in a stable order: the key that names a list
entry (``name``, ``path``, ``device``) first, then the rest sorted.  File
modes are written in octal (``0644``).  ``--origin`` ends every value's line
with ``# FILE:LINE``, the layer whose value won (a generated value names the
shorthand that produced it).  ``--ignition`` prints the Ignition JSON the
build would write, pretty-printed.

Diagnostics go to stderr; any error makes the exit code 1 (the YAML is still
printed, as far as the host was loaded, to help find the cause).  A plaintext
``password:`` (an error) and the password of a URL (``https://user:pw@...``)
are printed as ``********``.
"""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path as FsPath
from typing import Any

import yaml

from hostiso.cli.build import add_spec_option
from hostiso.cli.io import CONFIG_EXIT, IO, add_fleet_options, emit
from hostiso.derive.etcd import tls
from hostiso.diagnostics import Diagnostic, error
from hostiso.diagnostics.redact import REDACTED, hide_url_password
from hostiso.emit.compile import compile_host
from hostiso.emit.v2.common import to_json
from hostiso.load.fleet import Host, Layout
from hostiso.load.yamlload import Node
from hostiso.pipeline.steps import load_checked

NAME_KEYS = ("name", "path", "device")
INDENT = 2


HELP = "print a host's effective config"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_fleet_options(p)
    p.add_argument("host")
    p.add_argument("--origin", action="store_true", help="say which file:line set each value")
    p.add_argument("--ignition", action="store_true", help="print the Ignition JSON instead")
    add_spec_option(p)


def run(args: argparse.Namespace, io: IO) -> int:
    layout = Layout(FsPath(args.root))
    hosts = load_checked(layout)
    host = find_host(hosts, args.host)
    if host is None:
        emit([_no_such_host(hosts, args.host)], io, args.format, args.root)
        return CONFIG_EXIT
    if args.ignition:
        return _show_ignition(host, layout, args, io)
    tree = host.tree if host.tree is not None else host.user
    if tree is not None:
        io.stdout.write(dump(tree, origin=args.origin))
    items = emit(host.diagnostics, io, args.format, args.root)
    return CONFIG_EXIT if any(d.is_error for d in items) else 0


def _show_ignition(host: Host, layout: Layout, args: argparse.Namespace, io: IO) -> int:
    tls.materialize(host)  # the same certificates the build puts on the ISO
    if not host.failed:
        compiled = compile_host(host, args.spec, layout)
        host.diagnostics += compiled.diagnostics
        if compiled.ignition is not None and not host.failed:
            io.stdout.write(to_json(compiled.ignition, pretty=True).decode("utf-8"))
    items = emit(host.diagnostics, io, args.format, args.root)
    return CONFIG_EXIT if any(d.is_error for d in items) else 0


def find_host(hosts: list[Host], wanted: str) -> Host | None:
    """The host whose file stem is ``wanted``, else the one with that hostname."""
    for host in hosts:
        if host.stem == wanted:
            return host
    return next((h for h in hosts if h.name == wanted), None)


def _no_such_host(hosts: list[Host], wanted: str) -> Diagnostic:
    names = sorted({h.stem for h in hosts})
    close = difflib.get_close_matches(wanted, names, n=1)
    if close:
        hint = f"; did you mean '{close[0]}'?"
    else:
        hint = f" (hosts: {', '.join(names)})" if 0 < len(names) <= 10 else ""
    return error("no-such-host", f"no host '{wanted}' in configs/{hint}")


# --- YAML with origins ------------------------------------------------------------


def dump(node: Node, origin: bool = False) -> str:
    """The tree as block YAML, optionally with ``# FILE:LINE`` after each value."""
    out: list[str] = []
    if _is_block(node):
        _block(node, 0, origin, out)
    else:
        first, rest = scalar_lines(node.value)
        out += [first + _comment(node, origin), *rest]
    return "".join(line + "\n" for line in out)


def _is_block(node: Node) -> bool:
    return isinstance(node.value, dict | list) and bool(node.value)


def _block(node: Node, indent: int, origin: bool, out: list[str]) -> None:
    if isinstance(node.value, dict):
        _mapping(node.value, indent, origin, out)
    else:
        _sequence(node.value, indent, origin, out)


def ordered_keys(mapping: dict[str, Node]) -> list[str]:
    named = [k for k in NAME_KEYS if k in mapping]
    return named + sorted(k for k in mapping if k not in NAME_KEYS)


def _mapping(mapping: dict[str, Node], indent: int, origin: bool, out: list[str]) -> None:
    pad = " " * indent
    for key in ordered_keys(mapping):
        child = mapping[key]
        head = f"{pad}{_key(key)}:"
        if _is_block(child):
            out.append(head)
            _block(child, indent + INDENT, origin, out)
        else:
            first, rest = scalar_lines(child.value, key)
            out.append(f"{head} {first}{_comment(child, origin)}")
            out += _indented(rest, indent + INDENT)


def _sequence(items: list[Node], indent: int, origin: bool, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if _is_block(item):
            inner: list[str] = []
            _block(item, indent + INDENT, origin, inner)
            inner[0] = pad + "- " + inner[0][indent + INDENT :]
            out += inner
        else:
            first, rest = scalar_lines(item.value)
            out.append(f"{pad}- {first}{_comment(item, origin)}")
            out += _indented(rest, indent + INDENT)


def _indented(lines: list[str], indent: int) -> list[str]:
    return [" " * indent + line if line else "" for line in lines]


def _comment(node: Node, origin: bool) -> str:
    return f"  # {node.mark.file}:{node.mark.line}" if origin else ""


def _key(key: str) -> str:
    first, rest = scalar_lines(key)
    return first if not rest else _dump_one(key, '"')[0]


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = getattr(dumper, "string_style", None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


_DUMPERS: dict[str | None, type[_Dumper]] = {
    style: type("_StyledDumper", (_Dumper,), {"string_style": style}) for style in (None, "|", '"')
}


def _dump_one(value: Any, style: str | None) -> list[str]:
    """``value`` as YAML text (as an item of a block list), split into lines."""
    text = yaml.dump(
        [value],
        Dumper=_DUMPERS[style],
        allow_unicode=True,
        width=1 << 30,
        default_flow_style=False,
    )
    text = text.removesuffix("...\n")  # PyYAML's document end after a "keep" block
    lines = text[len("- ") :].split("\n")[:-1]
    return [lines[0], *(line[INDENT:] for line in lines[1:])]


def scalar_lines(value: Any, key: str | None = None) -> tuple[str, list[str]]:
    """A scalar (or empty container) as YAML: the first line and any block lines.

    Multi-line strings are literal blocks (``|``) when YAML allows it, else
    double-quoted on one line, so a trailing comment never lands inside them.
    """
    if key == "mode" and isinstance(value, int) and not isinstance(value, bool):
        return f"0{value:o}", []
    if key == "password" and value is not None:  # refused, and still never printed
        return REDACTED, []
    if isinstance(value, str):
        value = hide_url_password(value)
    if isinstance(value, str) and "\n" in value:
        lines = _dump_one(value, "|")
        if lines[0] not in ("|", "|-", "|+"):
            lines = _dump_one(value, '"')
        return lines[0], lines[1:]
    lines = _dump_one(value, None)
    if len(lines) > 1:  # a long plain or quoted scalar folded anyway: keep it on one line
        lines = _dump_one(value, '"')
    return lines[0], lines[1:]
