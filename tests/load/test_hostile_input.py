"""Hostile input found by fuzzing (the second round): each case is one exact
diagnostic at the file that set the value, exit 1, and the other hosts built."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import LOGIN, heads, outputs, run, write_fleet

GOOD = "network:\n  interface: eth0\n  addresses: [10.0.0.2/24]\n"


def _build(tmp_path: Path, files: dict[str, str]) -> str:
    write_fleet(tmp_path, {"overlays/all.yaml": LOGIN, "configs/good.yaml": GOOD, **files})
    rc, out, err = run(["build"], tmp_path)
    assert (rc, out) == (1, ""), err
    assert "Traceback" not in err
    assert all(p.exists() for p in outputs(tmp_path, "good"))
    assert not any(p.exists() for p in outputs(tmp_path, "bad"))
    return err


@pytest.mark.parametrize("group", ["1", "true", "2.5"])
def test_a_group_written_as_a_number_still_needs_its_overlay(tmp_path: Path, group: str) -> None:
    """``groups: [1]`` is group '1' (the schema keeps the text): with no
    overlays/1.yaml it was built without any overlay of its groups."""
    err = _build(tmp_path, {"configs/bad.yaml": f"groups: [{group}]\n"})
    assert heads(err) == [
        f"configs/bad.yaml:1:10: error: group '{group}' has no overlay: "
        f"overlays/{group}.yaml does not exist [missing-overlay]"
    ]


def test_a_group_written_as_a_number_reads_its_overlay(tmp_path: Path) -> None:
    write_fleet(tmp_path, {"overlays/1.yaml": "storage:\n  files:\n    - path: etc/x\n"})
    err = _build(tmp_path, {"configs/bad.yaml": "groups: [1]\n"})
    assert heads(err) == [
        "overlays/1.yaml:3:13: error: path 'etc/x' must be absolute (start with /) [relative-path]"
    ]
