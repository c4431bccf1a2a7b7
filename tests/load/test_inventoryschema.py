"""``inventory:``: names and structure checked at the line and column that break them."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_fleet
from hostiso.cli.io import dedupe
from hostiso.diagnostics.report import sort_diagnostics
from hostiso.load.fleet import Layout
from hostiso.pipeline.lint import lint

Where = tuple[str, str, int, int]
HOST = "groups: [web]\nnetwork: {interface: eth0, addresses: [10.0.0.1/24]}\n"


def found(root: Path, ignore: frozenset[str] = frozenset({"no-login"})) -> list[Where]:
    items = sort_diagnostics(dedupe(lint(Layout(root))))
    return [
        (d.code, d.mark.file, d.mark.line, d.mark.col)
        for d in items
        if d.mark is not None and d.code not in ignore
    ]


def fleet(root: Path, all_yaml: str, host: str = HOST, web: str = "vars: {}\n") -> Path:
    files = {"overlays/all.yaml": all_yaml, "overlays/web.yaml": web, "configs/a.yaml": host}
    return write_fleet(root, files)


ALL = "overlays/all.yaml"
CASES: list[tuple[str, str, list[Where]]] = [
    (
        "a valid mapping",
        "inventory:\n  groups: {web: [kube_node, k8s]}\n  children: {k8s: [kube_node]}\n"
        "  python_interpreter: /opt/bin/python\n  bin_dir: /opt/bin\n"
        "  vars: {node_labels: {a: b}}\n",
        [],
    ),
    (
        "a target that is not a group name",
        "inventory:\n  groups:\n    web: [kube_node, kube-node]\n",
        [("bad-group-name", ALL, 3, 22)],
    ),
    (
        "a reserved target",
        "inventory:\n  groups:\n    web: all\n",
        [("bad-group-name", ALL, 3, 10)],
    ),
    (
        "a parent that is not a group name",
        "inventory:\n  children:\n    9lives: [web]\n",
        [("bad-group-name", ALL, 3, 5)],
    ),
    (
        "a target of the wrong type",
        "inventory:\n  groups:\n    web: [kube_node, {a: b}]\n",
        [("wrong-type", ALL, 3, 22)],
    ),
    (
        "a loop",
        "inventory:\n  children:\n    a: [b]\n    b: a\n    c: [c]\n",
        [
            ("inventory-group-loop", ALL, 3, 5),
            ("inventory-group-loop", ALL, 4, 5),
            ("inventory-group-loop", ALL, 5, 5),
        ],
    ),
    (
        "a relative interpreter",
        "inventory:\n  python_interpreter: python3\n",
        [("relative-path", ALL, 2, 23)],
    ),
    (
        "variable names",
        "inventory:\n  vars:\n    ok_name: 1\n    bad-name: 2\n    none: 3\n",
        [("bad-variable-name", ALL, 4, 5), ("bad-variable-name", ALL, 5, 5)],
    ),
    (
        "a password variable",
        "inventory:\n  vars:\n    ansible_become_password: hunter2\n",
        [("plaintext-password", ALL, 3, 5)],
    ),
    (
        "an unknown key",
        "inventory:\n  group: {web: kube_node}\n",
        [("unknown-key", ALL, 2, 3)],
    ),
]


@pytest.mark.parametrize(
    ("all_yaml", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_mapping(tmp_path: Path, all_yaml: str, expected: list[Where]) -> None:
    ignore = frozenset({"no-login", "inventory-empty-group"})  # test_empty_groups_are_warned
    assert found(fleet(tmp_path, all_yaml), ignore) == expected


def test_mapping_only_in_all(tmp_path: Path) -> None:
    host = HOST + "inventory:\n  vars: {mine: 1}\n  bin_dir: /usr/bin\n"
    web = "inventory:\n  children: {k8s: [web]}\n"
    assert found(fleet(tmp_path, "", host, web)) == [
        ("all-only-key", "configs/a.yaml", 5, 3),
        ("all-only-key", "overlays/web.yaml", 2, 3),
    ]


def test_empty_groups_are_warned(tmp_path: Path) -> None:
    all_yaml = (
        "inventory:\n  groups:\n    web: kube_node\n    wbe: kube_node\n    etcd: etcd\n"
        "  children:\n    k8s_cluster: [kube_node, calico_rr]\n"
    )
    assert found(fleet(tmp_path, all_yaml)) == [
        ("inventory-empty-group", ALL, 4, 5),
        ("inventory-empty-group", ALL, 5, 5),
        ("inventory-empty-group", ALL, 7, 30),
    ]
    members = HOST.replace("[web]", "[web, etcd]")
    write_fleet(tmp_path, {"configs/a.yaml": members, "overlays/all.yaml": all_yaml})
    assert [w[2] for w in found(tmp_path)] == [4, 7]
