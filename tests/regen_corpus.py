"""Regenerate the expected output of every corpus fleet under tests/fleets/.

Each case is a small fleet (``configs/``, ``overlays/``) whose ``expected.txt``
holds the exact ``hostiso lint --format parsable`` output.  A case may also
hold ``expected.<format>`` for other formats (``expected.json``, ...); those
that exist are regenerated too.  Run: ``.venv/bin/python tests/regen_corpus.py``.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "fleets"
#: file name suffix -> format name
FORMAT_FILES = {
    "txt": "parsable",
    "text": "text",
    "github": "github",
    "json": "json",
    "sarif": "sarif",
}


def cases() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if (p / "configs").is_dir())


def expected_files(case: Path) -> list[tuple[Path, str]]:
    """(expected file, format) for a case; ``expected.txt`` always."""
    out = [(case / "expected.txt", "parsable")]
    out += [
        (case / f"expected.{suffix}", fmt)
        for suffix, fmt in FORMAT_FILES.items()
        if suffix != "txt" and (case / f"expected.{suffix}").exists()
    ]
    return out


def lint_output(case: Path, fmt: str) -> tuple[int, str]:
    """``hostiso lint --format FMT`` run in the case directory: (exit code, report).

    The report is stdout for the document formats (json, sarif), else stderr."""
    from hostiso import cli

    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.pop("GITHUB_ACTIONS", None)
    try:
        with contextlib.chdir(case):
            rc = cli.main(["lint", "--format", fmt], stdout=out, stderr=err)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    report, other = (out, err) if fmt in ("json", "sarif") else (err, out)
    assert other.getvalue() == "", f"lint --format {fmt} wrote to the wrong stream"
    return rc, report.getvalue()


def main(argv: list[str]) -> int:
    for case in cases():
        for path, fmt in expected_files(case):
            _, text = lint_output(case, fmt)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                print(f"updated {path.relative_to(CORPUS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
