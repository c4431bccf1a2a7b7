"""Every rule's docstring carries a failing and a passing example; both are linted."""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import write_fleet
from hostiso.check.rules import (
    attach_duplicates,
    attach_target,
    bmc_password,
    bmc_tls,
    duplicates,
    etcd,
    fleetnet,
    install,
    inventory,
    login,
    modes,
    network,
    networkd,
    specs,
)
from hostiso.load.fleet import Layout
from hostiso.pipeline.lint import lint

MODULES: tuple[ModuleType, ...] = (
    modes,
    networkd,
    network,
    fleetnet,
    duplicates,
    etcd,
    login,
    inventory,
    attach_duplicates,
    attach_target,
    bmc_password,
    bmc_tls,
    specs,
    install,
)
CODES = {"networkd-units": {"networkd-syntax", "networkd-unknown-section"}}

RULES: list[tuple[str, Callable[..., Any]]] = [
    (key, rule)
    for module in MODULES
    for table in ("HOST_RULES", "FLEET_RULES")
    for key, rule in getattr(module, table, {}).items()
]


def example(doc: str, label: str) -> dict[str, str]:
    """The ``label::`` block of a docstring as ``{path: text}`` (``# path`` headers)."""
    body = doc.split(f"{label}::\n", 1)[1].splitlines()
    indent = next(len(line) - len(line.lstrip()) for line in body if line.strip())
    lines = []
    for line in body:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        lines.append(line)
    files: dict[str, str] = {}
    current = ""
    for line in textwrap.dedent("\n".join(lines)).splitlines():
        if line.startswith("# ") and (line.endswith(".yaml") or line.startswith("# secrets/")):
            current = line[2:]
            files[current] = ""
        elif current:
            files[current] += line + "\n"
    return files


@pytest.mark.parametrize(("key", "rule"), RULES, ids=[k for k, _ in RULES])
@pytest.mark.parametrize("label", ["Failing", "Passing"])
def test_docstring_example(tmp_path: Path, key: str, rule: Callable[..., Any], label: str) -> None:
    doc = inspect.getdoc(rule) or ""
    files = example(doc, label)
    assert files, f"{key}: no {label} example"
    write_fleet(tmp_path, files)
    for rel in files:
        if rel.startswith("secrets/"):
            (tmp_path / rel).chmod(0o600)  # a secret as it should be kept
    codes = {d.code for d in lint(Layout(tmp_path))}
    wanted = CODES.get(key, {key})
    if label == "Failing":
        assert codes & wanted
    else:
        assert not codes & wanted


def test_every_rule_is_registered() -> None:
    from hostiso.check.rules import FLEET_RULES, HOST_RULES

    for key, rule in RULES:
        assert (HOST_RULES.get(key) or FLEET_RULES.get(key)) is rule
