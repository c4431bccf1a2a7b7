"""Regenerate tests/realworld/*.ign and expected.json with a real ct binary.

    CT=/path/to/ct .venv/bin/python tests/realworld_regen.py

ct (github.com/flatcar/container-linux-config-transpiler, built with
``go build ./internal``) is not part of this repository: the outputs it
wrote are.  Each fixture's ``# ct-flags:`` line gives ct's extra flags.
expected.json records per fixture the flags, ct's exit code and its
warnings as (line, column, message).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "realworld"
_WARNING = re.compile(r"^(warning|error) at line (\d+), column (\d+)$")


def flags(text: str) -> list[str]:
    for line in text.splitlines():
        if line.startswith("# ct-flags:"):
            return line.split(":", 1)[1].split()
    return []


def ct_warnings(stderr: str) -> list[list[object]]:
    lines, out = stderr.splitlines(), []
    for i, line in enumerate(lines[:-1]):
        match = _WARNING.match(line)
        if match:
            out.append([match[1], int(match[2]), int(match[3]), lines[i + 1]])
    return out


def main() -> int:
    ct = os.environ.get("CT")
    if not ct:
        print("set CT to a ct binary", file=sys.stderr)
        return 2
    expected = {}
    for path in sorted(HERE.glob("*.yaml")):
        argv = [ct, *flags(path.read_text()), "-in-file", str(path)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if done.returncode == 0:
            path.with_suffix(".ign").write_text(done.stdout)
        entry = {"flags": flags(path.read_text()), "rc": done.returncode}
        expected[path.stem] = {**entry, "diagnostics": ct_warnings(done.stderr)}
    text = json.dumps(expected, indent=1, sort_keys=True) + "\n"
    (HERE / "expected.json").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
