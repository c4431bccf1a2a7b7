"""Long values in messages are quoted by their ends and length (diagnostics.clip)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from conftest import run, write_fleet
from hostiso.diagnostics import Diagnostic, Mark, Severity
from hostiso.diagnostics.clip import CUT_AT, LONG_WORD, MAX_MESSAGE, clip_text


@given(st.text(alphabet=st.sampled_from("ab '\"\n"), max_size=6000))
def test_clipping_is_bounded_and_idempotent(text: str) -> None:
    clipped = clip_text(text)
    assert clip_text(clipped) == clipped  # the cache stores clipped messages
    assert len(clipped) <= max(len(text), MAX_MESSAGE)
    if len(text) <= LONG_WORD:
        assert clipped == text


def test_a_long_word_keeps_its_ends_and_says_its_length() -> None:
    value = "h" * 300 + "x" * 1000 + "t" * 60
    assert clip_text(f"path '{value}' is bad") == (
        f"path '{'h' * 160}...(1360 characters)...{'t' * 40}' is bad"
    )


def test_a_message_of_many_short_words_is_cut() -> None:
    message = "ab " * 3000
    clipped = clip_text(message)
    assert clipped == f"{message[:CUT_AT]}... ({len(message) - CUT_AT} more characters)"


def test_related_notes_are_clipped_too() -> None:
    mark = Mark("configs/a.yaml", 1, 1)
    diag = Diagnostic(Severity.ERROR, "x", "short", related=(("note " + "9" * 5000, mark),))
    assert diag.related == ((f"note {'9' * 160}...(5000 characters)...{'9' * 40}", mark),)


def test_lint_of_a_huge_key_and_value_prints_short_lines(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            "configs/web.yaml": f"hostname: {'w' * 200_000}\n? {'k' * 50_000}\n: 1\n",
            "configs/good.yaml": "hostname: good\n",
        },
    )
    rc, out, err = run(["lint"], tmp_path)
    assert rc == 1 and "Traceback" not in err
    assert max(len(line) for line in err.splitlines()) < 1000
    assert "(200000 characters)" in err and "(50000 characters)" in err
    rc, out, err = run(["lint", "--format", "json"], tmp_path)
    assert rc == 1 and len(out + err) < 10_000
    assert json.loads(out or err)
