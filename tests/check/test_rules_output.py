"""``hostiso lint`` on corpus fleets: every format, exit codes, --strict."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import run
from hostiso.diagnostics.report import FORMATS

CORPUS = Path(__file__).resolve().parents[1] / "fleets"


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return Path(shutil.copytree(CORPUS / "routing", tmp_path / "fleet"))


#: json and sarif are documents for redirection (``> hostiso.sarif``): stdout;
#: the rest are messages: stderr (GitHub reads workflow commands from both).
STDOUT_FORMATS = {"json", "sarif"}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_reports_a_broken_fleet(broken: Path, fmt: str) -> None:
    rc, out, err = run(["lint", "--format", fmt], broken)
    report, other = (out, err) if fmt in STDOUT_FORMATS else (err, out)
    assert (rc, other) == (1, "")
    assert "gateway-unreachable" in report
    assert "prefix-mismatch" in report


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("json", []),
        ("sarif", []),
        ("parsable", None),
        ("text", None),
        ("github", None),
    ],
)
def test_a_clean_fleet_still_gets_its_document(tmp_path: Path, fmt: str, expected: object) -> None:
    clean = shutil.copytree(CORPUS / "clean", tmp_path / "clean")
    rc, out, err = run(["lint", "--format", fmt], clean)
    assert (rc, err) == (0, "")
    if expected is None:
        assert out == ""
    elif fmt == "json":
        assert json.loads(out) == expected
    else:
        assert json.loads(out)["runs"][0]["results"] == expected


def test_json_and_sarif_are_documents(broken: Path) -> None:
    _, out, err = run(["lint", "--format", "json"], broken)
    assert err == ""
    codes = [d["code"] for d in json.loads(out)]
    assert codes == [
        "prefix-mismatch",
        "docker-bridge-overlap",
        "gateway-unreachable",
        "gateway-unreachable",
    ]
    _, out, err = run(["lint", "--format", "sarif"], broken)
    assert err == ""
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == codes


@pytest.mark.parametrize(
    ("case", "argv", "code"),
    [
        ("clean", [], 0),
        ("no-login", [], 0),
        ("no-login", ["--strict"], 1),
        ("clean", ["--strict"], 0),
        ("routing", [], 1),
        ("etcd-cluster", [], 1),
        ("clean", ["--format", "yaml"], 2),
        ("clean", ["--no-such-option"], 2),
    ],
)
def test_exit_codes(tmp_path: Path, case: str, argv: list[str], code: int) -> None:
    root = Path(shutil.copytree(CORPUS / case, tmp_path / case))
    rc, _, _ = run(["lint", *argv], root)
    assert rc == code


def test_github_actions_picks_the_github_format(broken: Path) -> None:
    _, _, err = run(["lint"], broken, env={"GITHUB_ACTIONS": "true"})
    assert err.splitlines()[0].startswith(
        "::warning file=configs/c.yaml,line=2,col=15,title=prefix-mismatch::address 10.0.1.13/16"
    )


def test_root_option_matches_running_inside(tmp_path: Path) -> None:
    rc, _, err = run(["lint", "--root", str(CORPUS / "routing"), "--format", "parsable"], tmp_path)
    expected = (CORPUS / "routing" / "expected.txt").read_text(encoding="utf-8")
    assert (rc, err) == (1, expected)
