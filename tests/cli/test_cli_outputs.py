"""Output paths that cannot be written: one ``PATH: error: ...`` line, exit 1, no file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import LOGIN, run, write_fleet


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("a-dir", "a-dir: error: cannot write: Is a directory"),
        ("a-file/x.json", "a-file/x.json: error: cannot write: Not a directory"),
    ],
)
def test_transpile_out_file_that_cannot_be_written(
    tmp_path: Path, output: str, message: str
) -> None:
    (tmp_path / "in.yaml").write_text("passwd: {}\n")
    (tmp_path / "a-dir").mkdir()
    (tmp_path / "a-file").write_text("x\n")
    rc, out, err = run(["transpile", "-in-file", "in.yaml", "-out-file", output], tmp_path)
    assert (rc, out, err) == (1, "", message + "\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-dir", "a-file", "in.yaml"]
    assert list((tmp_path / "a-dir").iterdir()) == []


BUILD_FLEET = {
    "overlays/all.yaml": LOGIN,
    "configs/web.yaml": "hostname: web-01\n",
}
SARIF_RESULT = {
    "ruleId": "cannot-write",
    "ruleIndex": 0,
    "level": "error",
    "message": {"text": "cannot write: Is a directory"},
    "locations": [
        {"physicalLocation": {"artifactLocation": {"uri": "out/web.iso", "uriBaseId": "%SRCROOT%"}}}
    ],
    "properties": {"host": "web-01"},
}


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (
            "text",
            "out/web.iso: error: cannot write: Is a directory [cannot-write]\n  = host: web-01\n",
        ),
        ("parsable", "out/web.iso: [error] cannot write: Is a directory (cannot-write)\n"),
        (
            "github",
            "::error file=out/web.iso,title=cannot-write::cannot write: Is a directory\n",
        ),
    ],
)
def test_build_output_that_cannot_be_written(tmp_path: Path, fmt: str, expected: str) -> None:
    write_fleet(tmp_path, {**BUILD_FLEET, "out/web.iso/x": "mine\n"})
    assert run(["build", "--format", fmt], tmp_path) == (1, "", expected)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["web.iso"]
    assert not (tmp_path / "build/web.ign").exists()


def test_build_output_that_cannot_be_written_as_json_and_sarif(tmp_path: Path) -> None:
    write_fleet(tmp_path, {**BUILD_FLEET, "out/web.iso/x": "mine\n"})
    rc, out, err = run(["build", "--format", "json"], tmp_path)
    assert (rc, out) == (1, "")
    assert json.loads(err) == [
        {
            "file": "out/web.iso",
            "line": None,
            "col": None,
            "severity": "error",
            "code": "cannot-write",
            "message": "cannot write: Is a directory",
            "path": None,
            "host": "web-01",
            "related": [],
        }
    ]
    rc, out, err = run(["build", "--format", "sarif"], tmp_path)
    assert (rc, out) == (1, "")
    assert json.loads(err)["runs"][0]["results"] == [SARIF_RESULT]
