"""Values in messages: on one line, and long ones by their ends and length (diagnostics.clip)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from conftest import run, write_fleet
from hostiso.diagnostics import LINE_BREAK, Diagnostic, Mark, Severity, format_path
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


@given(st.text(max_size=200))
def test_no_control_character_reaches_the_terminal(value: str) -> None:
    """Line breaks stay (the reports lay them out as continuation lines); every
    other control character is written as its escape; a path is one line."""
    diag = Diagnostic(Severity.ERROR, "x", f"unknown key '{value}'", ("a", value))
    breaks = set("\r\n\x85\u2028\u2029")
    assert not any(unicodedata.category(c) == "Cc" and c not in breaks for c in diag.message)
    assert Diagnostic(Severity.ERROR, "x", diag.message).message == diag.message
    assert len(LINE_BREAK.split(format_path(diag.path))) == 1


def test_a_key_with_a_line_break_keeps_its_path_on_one_line(tmp_path: Path) -> None:
    """Found by make fuzz: a key written as a block scalar (``? |``) put a line
    break in the ``= path:`` line, and the report had a stray empty line."""
    write_fleet(tmp_path, {"configs/web.yaml": "? |\n  block key\n: v\nhostname: web\n"})
    rc, _, err = run(["lint"], tmp_path)
    assert rc == 1 and "Traceback" not in err
    lines = err.splitlines()
    at = lines.index("configs/web.yaml:1:3: error: unknown key 'block key")
    assert lines[at + 1].startswith("    ' (known keys: bmc,") and "" not in lines
    assert "  = path: block key\\n" in lines


def test_a_control_character_in_a_value_is_escaped(tmp_path: Path) -> None:
    write_fleet(tmp_path, {"configs/web.yaml": 'hostname: "\\e[31mred\\x07"\n'})
    rc, _, err = run(["lint"], tmp_path)
    assert rc == 1
    assert err.splitlines()[0] == (
        "configs/web.yaml:1:11: error: '\\x1b[31mred\\x07' is not a valid hostname "
        "(letters, digits, '-' and '.' only) [bad-hostname]"
    )
