"""Golden cases (tests/golden/<case>/): rebuild each and compare with expected/.

The cases are discovered automatically; ``make golden`` regenerates them
(tests/golden_regen.py explains the layout).  Any difference, a missing or
extra output, or a case without expected/ fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from golden_regen import GOLDEN, build_case, case_dirs, compare, regenerate


@pytest.mark.parametrize("case", case_dirs(), ids=lambda p: p.name)
def test_golden_case(case: Path, tmp_path: Path) -> None:
    problems = compare(case, tmp_path / "fleet")
    assert not problems, "\n".join(problems)


def test_the_example_fleet_is_a_case() -> None:
    names = [c.name for c in case_dirs()]
    assert "example-fleet" in names
    settings = (GOLDEN / "example-fleet" / "case.toml").read_text(encoding="utf-8")
    assert 'fleet = "../../.."' in settings  # the repo's own configs/ and overlays/


def _tiny_case(root: Path) -> Path:
    case = root / "tiny"
    (case / "configs").mkdir(parents=True)
    (case / "configs" / "h1.yaml").write_text("hostname: h1\n", encoding="utf-8")
    return case


def test_a_case_without_expected_fails(tmp_path: Path) -> None:
    case = _tiny_case(tmp_path / "golden")
    assert case_dirs(tmp_path / "golden") == [case]
    assert compare(case, tmp_path / "work") == ["tiny: no expected/ directory; run `make golden`"]


def test_regenerate_then_compare_and_detect_changes(tmp_path: Path) -> None:
    case = _tiny_case(tmp_path / "golden")
    regenerate(case)
    assert sorted(p.name for p in (case / "expected").iterdir()) == [
        "diagnostics.txt",
        "exit-code",
        "h1.d",
        "h1.ign",
    ]
    assert (case / "expected" / "exit-code").read_text() == "0\n"
    assert compare(case, tmp_path / "w1") == []
    (case / "configs" / "h1.yaml").write_text("hostname: h2\n", encoding="utf-8")
    problems = compare(case, tmp_path / "w2")
    assert len(problems) == 1 and problems[0].startswith("tiny: h1.ign differs:\n")
    assert '-          "source": "data:,h1%0A",' in problems[0]
    (case / "expected" / "extra.ign").write_text("{}\n", encoding="utf-8")
    assert "tiny: expected/extra.ign was not produced" in compare(case, tmp_path / "w3")


def test_append_keeps_lines_and_adds_text(tmp_path: Path) -> None:
    case = _tiny_case(tmp_path / "golden")
    (case / "case.toml").write_text('[append]\n"configs/h1.yaml" = "etcd: ~\\n"\n')
    results = build_case(case, tmp_path / "work")
    assert (tmp_path / "work" / "configs" / "h1.yaml").read_text() == "hostname: h1\netcd: ~\n"
    assert "etcd-member-no-address" in results["diagnostics.txt"]
    assert results["exit-code"] == "1\n"
