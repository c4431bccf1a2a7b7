"""``hostiso transpile``: a drop-in for ``ct`` in existing Makefiles.

Flags are parsed the way Go's ``flag`` package (and so ct) parses them:
``-flag``, ``--flag``, ``-flag=value`` and ``-flag value``; booleans also take
``=true`` / ``=false``.  Reads stdin and writes stdout unless told otherwise.
Exit codes: 0 success, 1 config errors, 2 usage.  No output file is written
unless the config transpiled cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FsPath

from hostiso import __version__, clc_schema, fsutil, merge, shorthands
from hostiso.commands import CONFIG_EXIT, IO, USAGE_EXIT, emit
from hostiso.compile import compile_clc
from hostiso.diagnostics import Diagnostic
from hostiso.schema import validate
from hostiso.transpile.common import DEFAULT_SPEC, SPECS, to_json
from hostiso.yamlload import load_text, to_plain

BOOL_FLAGS = ("pretty", "strict", "help", "h", "version")
VALUE_FLAGS = ("in-file", "out-file", "files-dir", "platform", "spec", "format")

USAGE = """Usage of hostiso transpile (a drop-in for ct):
  -in-file string     Path to the container linux config (default: stdin)
  -out-file string    Path to write the Ignition config to (default: stdout)
  -files-dir string   Directory to read contents.local files from
  -pretty             Indent the output JSON
  -strict             Fail if any warning is reported
  -platform string    Accepted for ct compatibility; hostiso substitutes no dynamic data
  -spec string        Ignition spec version: 2.3.0 (default) or 2.2.0
  -version            Print the version and exit
"""


@dataclass
class Options:
    in_file: str | None = None
    out_file: str | None = None
    files_dir: str | None = None
    platform: str | None = None
    spec: str = DEFAULT_SPEC
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
    if opts.spec not in SPECS:
        return f"-spec must be one of {', '.join(SPECS)}"
    return opts


def main(argv: list[str], io: IO) -> int:
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
        text = FsPath(opts.in_file).read_text("utf-8") if opts.in_file else io.stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        io.stderr.write(f"{name}: error: cannot read: {exc}\n")
        return CONFIG_EXIT
    data, problems = transpile_text(text, name, opts)
    shown = emit(problems, io, opts.format, ".", texts={name: text})
    if any(d.is_error or opts.strict for d in shown) or data is None:
        return CONFIG_EXIT
    if opts.out_file:
        fsutil.write_private(FsPath(opts.out_file), data)
    else:
        io.stdout.write(data.decode("utf-8"))
        io.stdout.flush()
    return 0


def transpile_text(text: str, name: str, opts: Options) -> tuple[bytes | None, list[Diagnostic]]:
    node, problems = load_text(text, name)
    if node is None:
        return None, problems
    problems += validate(node, clc_schema.HOST)
    if any(d.is_error for d in problems):
        return None, problems
    hostname = node.get("hostname")
    base, more = shorthands.expand(node, hostname.value if hostname else None)
    problems += more
    tree = merge.merge(base, node, ())
    files_dir = FsPath(opts.files_dir) if opts.files_dir else None
    plain = to_plain(tree)
    compiled = compile_clc(plain if isinstance(plain, dict) else {}, opts.spec, files_dir)
    from hostiso.fleet import locate

    problems += [d if d.mark else d.at(locate(tree, d.path)) for d in compiled.diagnostics]
    if compiled.ignition is None or any(d.is_error for d in problems):
        return None, problems
    return to_json(compiled.ignition, opts.pretty), problems
