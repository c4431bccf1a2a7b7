"""Output paths that cannot be written: one ``PATH: error: ...`` line, exit 1, no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run


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
