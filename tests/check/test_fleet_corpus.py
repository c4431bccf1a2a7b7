"""The corpus of broken fleets: each case's lint output, byte for byte.

Cases live in tests/fleets/<case>/; regenerate with tests/regen_corpus.py
(and review the diff).  ``expected.txt`` is the parsable output; some cases
also pin other formats (``expected.json``, ``expected.github``, ...).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from regen_corpus import cases, expected_files, lint_output

CASES = cases()
FILES = [(case, path, fmt) for case in CASES for path, fmt in expected_files(case)]


@pytest.mark.parametrize(
    ("case", "path", "fmt"), FILES, ids=[f"{c.name}/{p.name}" for c, p, _ in FILES]
)
def test_corpus_output(case: Path, path: Path, fmt: str) -> None:
    rc, text = lint_output(case, fmt)
    assert text == path.read_text(encoding="utf-8")
    errors = "[error]" in (case / "expected.txt").read_text(encoding="utf-8")
    assert rc == (1 if errors else 0)


def test_corpus_is_not_empty() -> None:
    names = {c.name for c in CASES}
    assert {"clean", "flannel-overlap", "copied-host", "etcd-cluster", "routing"} <= names
    assert all((c / "expected.txt").exists() for c in CASES)


def test_one_case_pins_every_format() -> None:
    pinned = {
        fmt
        for _, fmt in expected_files(
            Path(__file__).resolve().parents[1] / "fleets" / "flannel-overlap"
        )
    }
    assert pinned == {"parsable", "text", "github", "json", "sarif"}
