"""networkd units: systemd INI syntax and known section names.

The section names are in :mod:`hostiso.load.unitsections`.  Sections named
``X-...`` are the user's own and ignored, as systemd ignores them.  Keys
inside sections are not checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hostiso.check.rules.common import generated_static_unit, plain
from hostiso.derive.shorthands import STATIC_NETWORK_UNIT
from hostiso.diagnostics import Diagnostic, Path, error, warning
from hostiso.load.fleet import Host
from hostiso.load.unitsections import SECTIONS_BY_SUFFIX
from hostiso.load.yamlload import line_mark, node_at
from hostiso.sections.options import did_you_mean

Problem = tuple[int, str, str]
"""(line of the unit, code, message)."""


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(first line number, text)`` per logical line; a trailing ``\\`` continues."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = raw.strip()
        if line.endswith("\\") and not line.startswith(("#", ";")):
            pending.append(line[:-1])
            continue
        yield start, " ".join([*pending, line]).strip()
        pending = []
    if pending:
        yield start, " ".join(pending).strip()


def scan_unit(text: str, known: frozenset[str], suffix: str) -> Iterator[Problem]:
    """Syntax problems and unknown sections of one unit (or drop-in) text."""
    section: str | None = None
    for number, line in logical_lines(text):
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line[1:-1].strip() if line.endswith("]") else None
            if section is None or not section:
                yield number, "networkd-syntax", f"invalid section header '{line}'"
            elif section not in known and not section.startswith("X-"):
                hint = did_you_mean(section, known).replace("'", "")
                yield (
                    number,
                    "networkd-unknown-section",
                    f"unknown section [{section}] in a {suffix} unit{hint}",
                )
            continue
        yield from _assignment(number, line, section)


def _assignment(number: int, line: str, section: str | None) -> Iterator[Problem]:
    key, eq, _value = line.partition("=")
    if not eq:
        yield number, "networkd-syntax", f"'{line}' is not KEY=VALUE (missing '=')"
    elif not key.strip():
        yield number, "networkd-syntax", f"'{line}' has no key before '='"
    elif section is None:
        yield number, "networkd-syntax", f"'{key.strip()}=' comes before any [Section] header"


def _texts(unit: dict[str, Any], path: Path) -> Iterator[tuple[str, Path]]:
    if isinstance(unit.get("contents"), str):
        yield unit["contents"], (*path, "contents")
    for j, dropin in enumerate(unit.get("dropins") or []):
        if isinstance(dropin, dict) and isinstance(dropin.get("contents"), str):
            yield dropin["contents"], (*path, "dropins", j, "contents")


def networkd_units(host: Host) -> Iterator[Diagnostic]:
    """networkd units must parse as systemd INI and use known sections.

    A line networkd cannot parse is skipped with only a log message, so the
    address or route it held is silently missing on the machine: an error.
    An unknown section is ignored the same way; it is a warning, since newer
    systemd versions add sections.  The diagnostic stands at the line of a
    ``contents: |`` block; for other contents at ``contents``, naming the
    line of the unit.

    Failing::

        # configs/a.yaml
        networkd:
          units:
            - name: 10-eth0.network
              contents: |
                [Match]
                Name=eth0
                [Adress]
                Address 10.0.0.5/24

    Passing::

        # configs/a.yaml
        networkd:
          units:
            - name: 10-eth0.network
              contents: |
                [Match]
                Name=eth0
                [Address]
                Address=10.0.0.5/24
    """
    units = (plain(host).get("networkd") or {}).get("units") or []
    generated = generated_static_unit(host)
    for i, unit in enumerate(units):
        if not isinstance(unit, dict):
            continue
        name = str(unit.get("name") or "")
        if generated and name == STATIC_NETWORK_UNIT:
            continue  # written by hostiso from the checked ``network:`` shorthand
        suffix = "." + name.rpartition(".")[2]
        known = SECTIONS_BY_SUFFIX.get(suffix)
        if known is None:
            continue
        for text, path in _texts(unit, ("networkd", "units", i)):
            node = node_at(host.tree, path)
            for number, code, message in scan_unit(text, known, suffix):
                make = error if code == "networkd-syntax" else warning
                mark = line_mark(node, number) if node is not None else None
                where = "" if mark else f", line {number} of the unit"
                yield make(code, f"{name}{where}: {message}", path, mark)


HOST_RULES = {"networkd-units": networkd_units}
