"""The loader's shortcuts give what the plain ways give.

Each shortcut (the loader's resolve, the converter's marks, a literal block's
line starts, the ASCII check for refused characters, the overlay stacks merged
once per fleet) is checked against the slower way it stands for.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from yaml.resolver import BaseResolver

from conftest import write_fleet
from hostiso.diagnostics import Mark
from hostiso.load import merge, yamltext
from hostiso.load.fleet import Layout, OverlayCache, load_host
from hostiso.load.yamlconvert import _mark
from hostiso.load.yamlload import _Loader, load_text, to_plain

VALUES = [
    "",
    "~",
    "null",
    "Null",
    "yes",
    "No",
    "on",
    "OFF",
    "true",
    "y",
    "n",
    "0",
    "-1",
    "+7",
    "0o17",
    "0777",
    "0x1F",
    "0b101",
    "0b_",
    "1_000",
    "1.5",
    "-.5e+3",
    ".inf",
    "-.Inf",
    ".NaN",
    "1e3",
    "52:54:00:12:34:56",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "<<",
    "=",
    "!x",
    "&a",
    "*a",
    "/etc/motd",
    "10.20.0.11/16",
    "a b",
    "-",
    ".",
    "0.",
    "+.5",
    "_1",
]


@pytest.mark.parametrize("plain", [True, False])
def test_resolve_is_pyyaml_resolve(plain: bool) -> None:
    loader = _Loader("")
    try:
        for value in VALUES:
            implicit = (plain, not plain)
            want = BaseResolver.resolve(loader, yaml.ScalarNode, value, implicit)
            assert loader.resolve(yaml.ScalarNode, value, implicit) == want, value
        for kind in (yaml.SequenceNode, yaml.MappingNode):
            assert loader.resolve(kind, None, (True, False)) == BaseResolver.resolve(
                loader, kind, None, (True, False)
            )
    finally:
        loader.dispose()
    assert not _Loader.yaml_path_resolvers  # resolve and the no-op hooks assume none


def test_converter_marks_are_marks() -> None:
    node = yaml.compose("a:\n  b: 1\n", Loader=_Loader)
    mark = _mark("f.yaml", node.value[0][1].start_mark)
    assert mark == Mark("f.yaml", 2, 3)
    assert hash(mark) == hash(Mark("f.yaml", 2, 3)) and str(mark) == "f.yaml:2:3"


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a: |\n  one\n\n  three\nb: 1\n", (2, 3, 4)),
        ("a: |+\n  one\n\n\nb: 1\n", (2, 3, 4)),
        ("a: |2\n     deep\n  base\n", (2, 3, 4)),
        ("a: >\n  one\n  two\n\n  four\n   five\n  six\n", (2, 5, 6, 7, 8)),
    ],
)
def test_block_line_starts(text: str, lines: tuple[int, ...]) -> None:
    tree, problems = load_text(text, "f.yaml")
    assert problems == [] and tree is not None
    block = tree.value["a"].block
    assert block is not None and block.lines == lines


@pytest.mark.parametrize(
    "text",
    ["a: 1\n", "a: 'é'\n", "a: 1\x07\n", "a\x7f: 1\n", "a: \x0b\r\n", "é\x01\n", "\ufeffa\x00"],
)
def test_refused_characters_ascii_check(text: str) -> None:
    found = yamltext.refused_characters(text, "f.yaml")
    assert len(found) == len(yamltext.REFUSED.findall(text))  # what the regex alone finds


def test_overlay_stacks_merged_once_and_as_merge_layers(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": "network: {gateway: 10.0.0.1, dns: [10.0.0.2]}\n",
            "overlays/web.yaml": "network: {dns: [10.0.0.3]}\nstorage: {files: [{path: /a}]}\n",
            "configs/h1.yaml": "groups: [web]\nnetwork: {addresses: [10.0.0.11/24]}\n",
            "configs/h2.yaml": "groups: [web]\nstorage: {files: [{path: /b}]}\n",
        },
    )
    layout = Layout(tmp_path)
    overlays = OverlayCache(layout)
    h1, h2 = (load_host(layout, stem, overlays) for stem in ("h1", "h2"))
    assert h1.user is not None and h2.user is not None
    stack = overlays.stack(("overlays/all.yaml", "overlays/web.yaml"))
    assert stack is overlays.stack(("overlays/all.yaml", "overlays/web.yaml"))
    assert h2.user.value["network"] is stack.value["network"]  # shared, unchanged
    layers = [overlays.get(g)[1] for g in ("all", "web")]  # type: ignore[index]
    for host in (h1, h2):
        own, _ = load_text((tmp_path / host.source).read_text(), host.source)
        assert own is not None
        want = merge.merge_layers([*layers, own])  # type: ignore[list-item]
        assert to_plain(host.user) == to_plain(want)
        assert repr(host.user) == repr(want)
