"""Parity with Ignition 2.2/2.3's own validator, case by case.

Each case is a divergence found by reading coreos/ignition (config/v2_x/types,
config/validate, config/shared) and go-systemd v16's unit lexer: a config the
validator had to accept (no error) or reject (an error), as Ignition does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from test_ignition_validate import full_config

from hostiso.diagnostics import Severity
from hostiso.emit.ignition.validate import parse_unit, validate_ignition

E, W = Severity.ERROR, Severity.WARNING
P0 = ("storage", "disks", 0, "partitions", 0)
PARTS = ("storage", "disks", 0, "partitions")
INSTALL = "\n[Install]\nWantedBy=multi-user.target\n"


def _set(cfg: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = cfg
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = copy.deepcopy(value)


def _unit(contents: str, **extra: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(cfg: dict[str, Any]) -> None:
        cfg["systemd"]["units"][0] = {"name": "x.service", "contents": contents, **extra}

    return mutate


def _at(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda cfg: _set(cfg, path, value)


def _parts(*parts: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return _at(PARTS, list(parts))


U0 = ("systemd", "units", 0)
PADDING = "".join(f"Description=pad{i:03d}{'p' * 80}\n" for i in range(28))  # ~2.6 KB
LONG = "x" * 2100

# (id, mutation, expected [(severity, code, path)])
CASES: list[
    tuple[str, Callable[[dict[str, Any]], None], list[tuple[Severity, str, tuple[Any, ...]]]]
] = [
    # go-systemd: only a trailing backslash continues a value.
    (
        "unit-mid-line-backslash-is-not-continuation",
        _unit('[Service]\nExecStart=/bin/sh -c "echo \\"x\\""\nnot an option\n'),
        [(E, "ignition-unit-contents", (*U0, "contents"))],
    ),
    (
        "unit-install-after-mid-line-backslash",
        _unit('[Service]\nExecStart=/bin/sh -c "printf \\"%s\\" x"' + INSTALL, enabled=True),
        [],
    ),
    (
        "unit-trailing-backslash-continues",
        _unit("[Service]\nExecStart=/bin/echo \\\n  not an option\n" + INSTALL),
        [],
    ),
    (
        "unit-blank-line-ends-continuation",
        _unit("[Service]\nExecStart=/bin/echo \\\n\nnot an option\n"),
        [(E, "ignition-unit-contents", (*U0, "contents"))],
    ),
    # go-systemd: LINE_MAX, judged on what the 4096-byte buffer holds.
    (
        "unit-line-too-long",
        _unit(f"[Service]\nExecStart=/bin/echo {LONG}\n" + INSTALL),
        [(E, "ignition-unit-contents", (*U0, "contents"))],
    ),
    (
        "unit-long-line-late-in-buffer-passes",
        _unit(f"[Unit]\n{PADDING}[Service]\nExecStart=/bin/echo {LONG}\n" + INSTALL),
        [],
    ),
    (
        "dropin-line-too-long",
        _at(("systemd", "units", 1, "dropins", 0, "contents"), f"[Service]\nEnvironment=A={LONG}"),
        [(E, "ignition-unit-contents", ("systemd", "units", 1, "dropins", 0, "contents"))],
    ),
    (
        "networkd-line-too-long",
        _at(("networkd", "units", 0, "contents"), f"# {LONG}\n[Match]\nName=eth0\n"),
        [(E, "ignition-unit-contents", ("networkd", "units", 0, "contents"))],
    ),
    # shared.ValidateInstallSection: no options at all -> no warning.
    ("unit-enabled-without-options", _unit("[Service]\n# nothing yet\n", enabled=True), []),
    # Partition.Validate: shouldExist=false conflicts only with label/start/size/guid/typeGuid.
    (
        "should-exist-false-with-mib",
        _parts({"number": 1, "shouldExist": False, "sizeMiB": 10, "startMiB": 1}),
        [],
    ),
    (
        "should-exist-false-with-empty-guids",
        _parts({"number": 1, "shouldExist": False, "guid": "", "typeGuid": ""}),
        [],
    ),
    (
        "should-exist-false-with-label",
        _parts({"number": 1, "shouldExist": False, "label": ""}),
        [(E, "ignition-partition-should-exist", (*P0, "shouldExist"))],
    ),
    # Disk.partitionsMixZeroesAndNonexistence: any number-0 partition on the disk.
    (
        "should-exist-false-other-number-zero",
        _parts({"number": 1, "shouldExist": False}, {"label": "DATA", "sizeMiB": 10}),
        [(E, "ignition-partition-should-exist", PARTS)],
    ),
    (
        "should-exist-false-own-number-zero",
        _parts({"shouldExist": False}),
        [(E, "ignition-partition-should-exist", PARTS)],
    ),
    (
        "should-exist-false-all-numbered",
        _parts({"number": 2, "shouldExist": False}, {"number": 1, "label": "DATA"}),
        [],
    ),
    # Ignition 2.x has no path-through-link check: a warning, not a refusal.
    (
        "node-under-link-is-accepted",
        _at(("storage", "directories", 0, "path"), "/etc/localtime/d"),
        [(W, "ignition-path-through-link", ("storage", "directories", 0, "path"))],
    ),
    # Ignition 2.x has no timeout validation.
    (
        "negative-timeout-is-accepted",
        _at(("ignition", "timeouts", "httpResponseHeaders"), -5),
        [(W, "ignition-timeout-negative", ("ignition", "timeouts", "httpResponseHeaders"))],
    ),
    # Go decodes into int (64-bit): a bigger number fails to unmarshal.
    (
        "int-overflow",
        _at(("storage", "files", 0, "mode"), 2**63),
        [(E, "ignition-type", ("storage", "files", 0, "mode"))],
    ),
    ("int64-max-fits", _at(("passwd", "groups", 0, "gid"), 2**63 - 1), []),
]


@pytest.mark.parametrize("version", ["2.3.0", "2.2.0"])
@pytest.mark.parametrize(("mutate", "expected"), [pytest.param(m, e, id=i) for i, m, e in CASES])
def test_parity(
    version: str,
    mutate: Callable[[dict[str, Any]], None],
    expected: list[tuple[Severity, str, tuple[Any, ...]]],
) -> None:
    cfg = full_config(version)
    mutate(cfg)
    if version == "2.2.0" and "shouldExist" in str(cfg):
        pytest.skip("shouldExist and sizeMiB are 2.3 fields")
    got = sorted((d.severity, d.code, d.path) for d in validate_ignition(cfg))
    assert got == sorted(expected)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[A]\nB=" + "v" * 2100, "line too long (max 2048 bytes)"),
        ("x" * 2100 + "\n[A]\nB=c\n", "line too long (max 2048 bytes)"),
        ("x" * 2047 + "\n[A]\nB=c\n", None),
        ("[A]\nB=" + "v" * 2100 + "\r\n", "line too long (max 2048 bytes)"),
        ("[A]\nB=c\\\n" + "v" * 2100 + "\n", "line too long (max 2048 bytes)"),
        ("[A]\n" + "B=c\n" * 1100 + "C=" + "v" * 2045 + "\n", None),
        ("[A]\n" + "B=c\n" * 1100 + "C=" + "v" * 2046 + "\n", "line too long (max 2048 bytes)"),
        ("[A]\nB=é\\\n  C=d\n", None),
        ("[A]\r\nB=c\\\r\nD=e\r\n", None),
        ("[A]\n\x1c\n", "unexpected newline encountered while parsing option name"),
    ],
)
def test_unit_lexer(text: str, problem: str | None) -> None:
    assert parse_unit(text)[1] == problem


def test_line_max_depends_on_buffer_position() -> None:
    """A 2100-byte line is caught when it starts early in a buffer fill, not late."""
    for lead in range(0, 4096, 97):
        text = "[A]\n" + "".join("B=c\n" for _ in range(lead // 4)) + "C=" + "v" * 2100 + "\n"
        start = text.index("C=")
        caught = parse_unit(text)[1] is not None
        # The step before "C=" sees the line when >= 2048 bytes are buffered from there.
        assert caught == (4096 - start >= 2048 or start >= 4096), lead
