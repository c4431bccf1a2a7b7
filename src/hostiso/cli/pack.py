"""``hostiso pack FILE.json -o OUT.iso``: the genisoimage/hdiutil step on its own.

The input must be a UTF-8 JSON object, as the installer reads it; its text is
never quoted in a message (an Ignition config holds keys and password hashes).
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path as FsPath

from hostiso.cli.io import CONFIG_EXIT, IO, USAGE_EXIT, emit, source_date_epoch
from hostiso.diagnostics import Diagnostic, Mark, error

HELP = "pack one Ignition file into a config ISO"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="FILE.json")
    p.add_argument("-o", "--output", required=True, metavar="OUT.iso")
    p.add_argument("--label", help="volume label (default: from the file name)")
    p.add_argument("--name", default="config.json", help="file name on the ISO")


def run(args: argparse.Namespace, io: IO) -> int:
    from hostiso.media.iso import build_iso, validate_label, volume_label
    from hostiso.util import fsutil

    epoch = source_date_epoch(io)
    if epoch is None:
        return USAGE_EXIT
    label = args.label
    if label is None:
        label = volume_label(FsPath(args.input).name.split(".")[0])
    problem = validate_label(label)
    if problem:
        io.stderr.write(f"hostiso pack: error: --label: {problem}\n")
        return USAGE_EXIT
    data = _read_config(args.input, io)
    if data is None:
        return CONFIG_EXIT
    try:
        image = build_iso({args.name: data}, label, epoch)
    except ValueError as exc:
        io.stderr.write(f"hostiso pack: error: {exc}\n")
        return USAGE_EXIT
    try:
        fsutil.write_private(FsPath(args.output), image)
    except OSError as exc:
        io.stderr.write(f"{args.output}: error: cannot write: {exc.strerror}\n")
        return CONFIG_EXIT
    return 0


def _read_config(name: str, io: IO) -> bytes | None:
    """The input of ``pack``, or None once the reason it is unusable is printed."""
    try:
        data = FsPath(name).read_bytes()
    except OSError as exc:
        io.stderr.write(f"hostiso pack: error: {name}: {exc.strerror}\n")
        return None
    problem = json_object_problem(data, name)
    if problem is not None:
        # No source line: an Ignition config is one line holding the host's
        # private keys and password hashes.
        emit([problem], io, None, quote=False)
        return None
    return data


_MESSAGES = {
    "Invalid control character at": "a control character inside a string (write it as \\u00XX)",
    "Unexpected UTF-8 BOM (decode using utf-8-sig)": "it starts with a byte order mark (BOM)",
}
"""Python's words for a JSON error, where they say something else (or nothing)."""


def json_object_problem(data: bytes, name: str) -> Diagnostic | None:
    """Why ``data`` is not a UTF-8 JSON object (what Ignition reads), or None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = _mark_at(data[: exc.start].decode("utf-8"), name)
        return error("invalid-json", f"not UTF-8: byte 0x{data[exc.start]:02x}", mark=where)
    try:
        value = json.loads(text, parse_constant=_refuse, parse_float=_finite, parse_int=_finite)
    except json.JSONDecodeError as exc:
        where = Mark(name, exc.lineno, exc.colno)
        return error("invalid-json", f"not JSON: {_MESSAGES.get(exc.msg, exc.msg)}", mark=where)
    except _BadNumber as exc:
        return error("invalid-json", f"not JSON: {exc}", mark=_number_mark(text, name))
    except RecursionError:
        return error("invalid-json", "not JSON: nested too deeply", mark=Mark(name, 1, 1))
    if not isinstance(value, dict):
        kind = _JSON_KINDS.get(type(value), "a value")
        message = f"expected a JSON object (an Ignition config), not {kind}"
        return error(
            "invalid-json", message, mark=_mark_at(text[: len(text) - len(text.lstrip())], name)
        )
    return None


class _BadNumber(ValueError):
    """A number the installer's JSON decoder (Go's encoding/json) refuses."""


def _refuse(token: str) -> float:
    raise _BadNumber(f"{token} is not a JSON number (the installer refuses it)")


def _finite(token: str) -> float:
    """Every JSON number as the installer reads it: a float64 that must not overflow."""
    if math.isinf(float(token)):
        raise _BadNumber("a number too large for the installer (it overflows a float64)")
    return 0.0


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(?P<bad>-?(?:NaN|Infinity)|-?[0-9][-+.eE0-9]*)')


def _number_mark(text: str, name: str) -> Mark:
    """Where the first number :func:`_finite` or :func:`_refuse` refused stands."""
    for match in _TOKEN.finditer(text):
        token = match["bad"]
        if token is None:
            continue
        try:
            _finite(token) if token[-1].isdigit() else _refuse(token)
        except _BadNumber:
            return _mark_at(text[: match.start()], name)
    return Mark(name, 1, 1)  # pragma: no cover - the decoder refused one of them


_JSON_KINDS = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _mark_at(before: str, name: str) -> Mark:
    """The position just after ``before``, the text preceding it."""
    line = before.count("\n") + 1
    return Mark(name, line, len(before) - (before.rfind("\n") + 1) + 1)
