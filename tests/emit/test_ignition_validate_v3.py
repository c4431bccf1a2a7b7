"""Debian's real ``ignition-validate`` on every spec 3.3.0 golden output.

Debian's ignition (2.14) checks specs 3.0.0 to 3.3.0; 3.4.0 and 3.5.0
outputs are checked by hostiso's own validator only (tests/emit/test_v3_*).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from golden_regen import GOLDEN

VALIDATE = shutil.which("ignition-validate")


def _outputs(version: str) -> list[Path]:
    found = []
    for path in sorted(GOLDEN.glob("*/expected/*.ign")):
        if json.loads(path.read_text())["ignition"]["version"] == version:
            found.append(path)
    return found


def test_there_are_spec3_golden_outputs() -> None:
    cases = {p.parent.parent.name for p in _outputs("3.3.0")}
    assert {"example-fleet-3.3.0", "rich-fleet", "spec3-refused"} <= cases


@pytest.mark.skipif(VALIDATE is None, reason="ignition-validate (Debian package ignition) missing")
@pytest.mark.parametrize(
    "path", _outputs("3.3.0"), ids=lambda p: f"{p.parent.parent.name}/{p.name}"
)
def test_ignition_validate_accepts(path: Path) -> None:
    assert VALIDATE is not None
    done = subprocess.run([VALIDATE, str(path)], capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
