"""YAML that does not load: each problem once, at its own line and column, in plain
words, the same in ``build``, ``lint`` and ``transpile`` (issue 11, #8 and #18).

Control characters and bytes that are not UTF-8 are reported where they stand,
one line each (PyYAML says ``1:1`` and ``position 90``).  A syntax error stands
where the construct began (the opening quote or bracket, the unindented line
of a block), with a note where PyYAML noticed it; nothing points past the last
line of the file.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from conftest import LOGIN, run, write_fleet
from hostiso import cli
from hostiso.load import yamltext

W = "configs/web.yaml"
GOOD = {"overlays/all.yaml": LOGIN, "configs/good.yaml": "hostname: good\n"}

CONTROL = (
    "control character {name} (U+{code:04X}) is not allowed in a YAML file; to put it in a "
    "value, write \\x{code:02x} inside a double-quoted string (yaml-character)"
)


def esc(name: str, code: int) -> str:
    return CONTROL.format(name=name, code=code)


# (id, the host file's bytes, the parsable report: one line per diagnostic or note)
CASES: list[tuple[str, bytes, list[str]]] = [
    (
        "escape-in-a-quoted-value",
        b"hostname: web\nstorage:\n  files:\n    - path: /etc/x\n"
        b'      contents:\n        inline: "ab\x1bcd"\n',
        [f"{W}:6:20: [error] {esc('ESC', 0x1B)}"],
    ),
    (
        "nul-and-escape-on-two-lines",
        b"hostname: web\n# a\x00b\nvars:\n  x: \x1b[0m\n",
        [f"{W}:2:4: [error] {esc('NUL', 0)}", f"{W}:4:6: [error] {esc('ESC', 0x1B)}"],
    ),
    (
        "not-utf8-twice-and-a-control-character",
        b"hostname: web\n# caf\xe9\nvars:\n  x: [\xff, \x07]\n",
        [
            f"{W}:2:6: [error] byte 0xE9 is not valid UTF-8; save the file as UTF-8 "
            "(yaml-encoding)",
            f"{W}:4:7: [error] byte 0xFF is not valid UTF-8; save the file as UTF-8 "
            "(yaml-encoding)",
            f"{W}:4:10: [error] {esc('BEL', 7)}",
        ],
    ),
    (
        "a-cut-multibyte-character",
        b"hostname: web\nvars:\n  x: \xe2\x82 euro\n",
        [
            f"{W}:3:6: [error] bytes 0xE2 0x82 are an incomplete character, not valid UTF-8; "
            "save the file as UTF-8 (yaml-encoding)"
        ],
    ),
    (
        "columns-after-a-bom-and-wide-characters",
        "\ufeffhostname: web\nvars:\n  x: ☃☃\x7f\n".encode(),
        [f"{W}:3:8: [error] {esc('DEL', 0x7F)}"],
    ),
    (
        "unindented-block-scalar",
        b"hostname: web\nnetworkd:\n  units:\n    - name: 10-static.network\n"
        b"      contents: |\n      [Match]\n      Name=eth0\n",
        [
            f"{W}:6:7: [error] could not find expected ':' (while scanning a simple key that "
            "starts here); the block scalar started on line 5 needs its text indented further "
            "than its key (yaml-syntax)",
            f"{W}:7:7: [note] noticed here: could not find expected ':' (yaml-syntax)",
        ],
    ),
    (
        "unclosed-double-quote",
        b'hostname: web\nvars:\n  motd: "hello\n  other: x\n',
        [
            f"{W}:3:9: [error] this quoted string is never closed: the file ends before its "
            "closing quote (yaml-syntax)",
            f"{W}:4:11: [note] the file ends here (yaml-syntax)",
        ],
    ),
    (
        "unclosed-single-quote-without-a-final-newline",
        b"hostname: web\nvars:\n  motd: 'hello",
        [
            f"{W}:3:9: [error] this quoted string is never closed: the file ends before its "
            "closing quote (yaml-syntax)",
            f"{W}:3:15: [note] the file ends here (yaml-syntax)",
        ],
    ),
    (
        "unclosed-bracket-at-the-end",
        b"hostname: web\ngroups: [a, b\n",
        [
            f"{W}:2:9: [error] this '[' is never closed: the file ends before its ']' "
            "(yaml-syntax)",
            f"{W}:2:14: [note] the file ends here (yaml-syntax)",
        ],
    ),
    (
        "unclosed-brace-before-more-keys",
        b"hostname: web\nvars: {a: 1\nnetwork: {}\n",
        [
            f"{W}:2:7: [error] did not find expected ',' or '}}' (while parsing a flow mapping "
            "that starts here) (yaml-syntax)",
            f"{W}:3:8: [note] noticed here: did not find expected ',' or '}}' (yaml-syntax)",
        ],
    ),
    (
        "bad-indentation-stays-at-its-line",
        b"hostname: web\nvars:\n  a: 1\n b: 2\n",
        [
            f"{W}:4:2: [error] did not find expected key (while parsing a block mapping that "
            "starts at line 1) (yaml-syntax)",
            f"{W}:1:1: [note] the mapping starts here (yaml-syntax)",
        ],
    ),
]


def bad_fleet(root: Path, data: bytes) -> Path:
    write_fleet(root, GOOD)
    (root / W).write_bytes(data)
    return root


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_build_and_lint(tmp_path: Path, data: bytes, expected: list[str]) -> None:
    root = bad_fleet(tmp_path, data)
    for command in ("lint", "build"):
        rc, out, err = run([command, "--format", "parsable"], root)
        assert (rc, out, err.splitlines()) == (1, "", expected), command
    assert not (root / "out/web.iso").exists()
    assert (root / "out/good.iso").exists()


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_transpile_file_and_stdin(tmp_path: Path, data: bytes, expected: list[str]) -> None:
    path = tmp_path / "in.yaml"
    path.write_bytes(data)
    rc, out, err = run(["transpile", "-in-file", "in.yaml", "-format", "parsable"], tmp_path)
    assert (rc, out, err.splitlines()) == (1, "", [e.replace(W, "in.yaml") for e in expected])
    stdout, stderr = io.StringIO(), io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    with contextlib.chdir(tmp_path):
        rc = cli.main(
            ["transpile", "-format", "parsable"], stdin=stdin, stdout=stdout, stderr=stderr
        )
    got = stderr.getvalue().splitlines()
    assert (rc, stdout.getvalue(), got) == (1, "", [e.replace(W, "<stdin>") for e in expected])


def test_text_report_quotes_the_line_with_a_caret(tmp_path: Path) -> None:
    root = bad_fleet(tmp_path, b"hostname: web\n# caf\xe9 \x1b\n")
    rc, _, err = run(["lint", "--format", "text"], root)
    assert rc == 1
    assert err.splitlines() == [
        f"{W}:2:6: error: byte 0xE9 is not valid UTF-8; save the file as UTF-8 [yaml-encoding]",
        " 2 | # caf\ufffd \ufffd",
        "   |      ^",
        f"{W}:2:8: error: {esc('ESC', 0x1B)[:-17]} [yaml-character]",
        " 2 | # caf\ufffd \ufffd",
        "   |        ^",
    ]


def test_a_binary_file_lists_the_first_problems_then_how_many_more(tmp_path: Path) -> None:
    root = bad_fleet(tmp_path, b"a: 1\n" + b"\x00" * 5000 + b"\xff" * 5000)
    rc, _, err = run(["lint", "--format", "parsable"], root)
    assert rc == 1
    lines = err.splitlines()
    limit = yamltext.MAX_REPORTED
    assert len(lines) == 2 * (limit + 1)
    assert lines[limit - 1 : limit + 1] == [
        f"{W}:2:{limit}: [error] {esc('NUL', 0)}",
        f"{W}:2:{limit + 1}: [error] more characters YAML does not allow from here on; only "
        f"the first {limit} are listed (yaml-character)",
    ]
    assert lines[-1] == (
        f"{W}:2:{5000 + limit + 1}: [error] more bytes that are not UTF-8 from here on; only "
        f"the first {limit} are listed (yaml-encoding)"
    )


@pytest.mark.parametrize(
    "text",
    ["a: [1,\n", "a: [1,\n\n\n", "a: 'x\n  \n", "a: {b: 1,", "a:\n  - [\n", 'k: "\\\n'],
)
def test_no_mark_past_the_last_line(tmp_path: Path, text: str) -> None:
    root = bad_fleet(tmp_path, text.encode())
    last = len(text.splitlines())
    rc, _, err = run(["lint", "--format", "parsable"], root)
    assert rc == 1
    lines = [int(line.split(":")[1]) for line in err.splitlines()]
    assert lines and all(1 <= n <= last for n in lines), err
