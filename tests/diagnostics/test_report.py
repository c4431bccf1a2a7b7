"""Output formats for diagnostics: golden outputs, escaping, source lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostiso import __version__
from hostiso.diagnostics import Diagnostic, Mark, Severity, error, warning
from hostiso.diagnostics.report import (
    FORMATS,
    SourceReader,
    escape_data,
    escape_property,
    pick_format,
    sarif,
    sort_diagnostics,
    split_lines,
    summary,
)
from hostiso.diagnostics.snippet import caret_column, render_line

WEB1 = "hosts/web1.yaml"
GROUP = "groups/a,b:c.yaml"  # a comma and a colon, to exercise GitHub escaping

DIAGNOSTICS = [
    Diagnostic(
        Severity.ERROR,
        "duplicate-user",
        "user 'root' is defined twice",
        ("passwd", "users", 0, "name"),
        Mark(WEB1, 3, 13),
        "web1",
        (("first defined here", Mark(GROUP, 3, 7)),),
    ),
    Diagnostic(
        Severity.WARNING,
        "unknown-key",
        "unknown key 'groups'",
        ("passwd", "users", 0, "groups"),
        Mark(WEB1, 4, 2),  # just after a tab
        "web1",
    ),
    Diagnostic(
        Severity.WARNING,
        "odd-message",
        "100% sure: a, b\nsecond line",
        (),
        Mark(GROUP, 3, 40),  # past the end of the line
        "web2",
    ),
    Diagnostic(Severity.ERROR, "etcd-member-count", "etcd has 2 members; use an odd number"),
    Diagnostic(
        Severity.WARNING, "missing-file", "file is gone", (), Mark("hosts/gone.yaml", 2, 1), "web3"
    ),
    Diagnostic(Severity.ERROR, "no-hostname", "no hostname set", ("storage",), None, "db1"),
]


@pytest.fixture
def source(tmp_path: Path) -> SourceReader:
    (tmp_path / "hosts").mkdir()
    (tmp_path / "groups").mkdir()
    (tmp_path / WEB1).write_text("passwd:\n  users:\n    - name: root\n\tgroups: [wheel]\n")
    (tmp_path / GROUP).write_text("storage:\n  files:\n    - path: /etc/hostname\n")
    return SourceReader(tmp_path)


def render(name: str, source: SourceReader, diagnostics: list[Diagnostic] | None = None) -> str:
    return FORMATS[name](DIAGNOSTICS if diagnostics is None else diagnostics, source)


# --- golden outputs ---------------------------------------------------------------

TEXT = """\
hosts/web1.yaml:3:13: error: user 'root' is defined twice [duplicate-user]
 3 |     - name: root
   |             ^
  = host: web1, path: passwd.users[0].name
groups/a,b:c.yaml:3:7: note: first defined here
hosts/web1.yaml:4:2: warning: unknown key 'groups' [unknown-key]
 4 |         groups: [wheel]
   |         ^
  = host: web1, path: passwd.users[0].groups
groups/a,b:c.yaml:3:40: warning: 100% sure: a, b
    second line [odd-message]
 3 |     - path: /etc/hostname
   |                          ^
  = host: web2
<fleet>: error: etcd has 2 members; use an odd number [etcd-member-count]
hosts/gone.yaml:2:1: warning: file is gone [missing-file]
  = host: web3
<host db1>: error: no hostname set [no-hostname]
  = path: storage
"""


def test_text(source: SourceReader) -> None:
    assert render("text", source) == TEXT


COLORED = (
    "\x1b[1mhosts/web1.yaml:3:13:\x1b[0m \x1b[1;31merror:\x1b[0m user 'root' is defined twice"
    " \x1b[2m[duplicate-user]\x1b[0m\n"
    " 3 |     - name: root\n"
    "   |             \x1b[1;32m^\x1b[0m\n"
    "  = host: web1, path: passwd.users[0].name\n"
    "\x1b[1mgroups/a,b:c.yaml:3:7:\x1b[0m \x1b[1;36mnote:\x1b[0m first defined here\n"
    "\x1b[1mhosts/web1.yaml:4:2:\x1b[0m \x1b[1;33mwarning:\x1b[0m unknown key 'groups'"
    " \x1b[2m[unknown-key]\x1b[0m\n"
    " 4 |         groups: [wheel]\n"
    "   |         \x1b[1;32m^\x1b[0m\n"
    "  = host: web1, path: passwd.users[0].groups\n"
)


def test_colored(source: SourceReader) -> None:
    assert render("colored", source, DIAGNOSTICS[:2]) == COLORED
    assert "\x1b" not in render("text", source)


PARSABLE = """\
hosts/web1.yaml:3:13: [error] user 'root' is defined twice (duplicate-user)
groups/a,b:c.yaml:3:7: [note] first defined here (duplicate-user)
hosts/web1.yaml:4:2: [warning] unknown key 'groups' (unknown-key)
groups/a,b:c.yaml:3:40: [warning] 100% sure: a, b second line (odd-message)
<fleet>: [error] etcd has 2 members; use an odd number (etcd-member-count)
hosts/gone.yaml:2:1: [warning] file is gone (missing-file)
<host db1>: [error] no hostname set (no-hostname)
"""


def test_parsable(source: SourceReader) -> None:
    assert render("parsable", source) == PARSABLE


JSON = """\
[
  {
    "code": "duplicate-user",
    "col": 13,
    "file": "hosts/web1.yaml",
    "host": "web1",
    "line": 3,
    "message": "user 'root' is defined twice",
    "path": "passwd.users[0].name",
    "related": [
      {
        "col": 7,
        "file": "groups/a,b:c.yaml",
        "line": 3,
        "message": "first defined here"
      }
    ],
    "severity": "error"
  },
  {
    "code": "unknown-key",
    "col": 2,
    "file": "hosts/web1.yaml",
    "host": "web1",
    "line": 4,
    "message": "unknown key 'groups'",
    "path": "passwd.users[0].groups",
    "related": [],
    "severity": "warning"
  },
  {
    "code": "odd-message",
    "col": 40,
    "file": "groups/a,b:c.yaml",
    "host": "web2",
    "line": 3,
    "message": "100% sure: a, b\\nsecond line",
    "path": null,
    "related": [],
    "severity": "warning"
  },
  {
    "code": "etcd-member-count",
    "col": null,
    "file": null,
    "host": null,
    "line": null,
    "message": "etcd has 2 members; use an odd number",
    "path": null,
    "related": [],
    "severity": "error"
  },
  {
    "code": "missing-file",
    "col": 1,
    "file": "hosts/gone.yaml",
    "host": "web3",
    "line": 2,
    "message": "file is gone",
    "path": null,
    "related": [],
    "severity": "warning"
  },
  {
    "code": "no-hostname",
    "col": null,
    "file": null,
    "host": "db1",
    "line": null,
    "message": "no hostname set",
    "path": "storage",
    "related": [],
    "severity": "error"
  }
]
"""


def test_json(source: SourceReader) -> None:
    out = render("json", source)
    assert out == JSON
    assert json.loads(out)[2]["message"] == "100% sure: a, b\nsecond line"


GITHUB = """\
::error file=hosts/web1.yaml,line=3,col=13,title=duplicate-user::user 'root' is defined twice
::notice file=groups/a%2Cb%3Ac.yaml,line=3,col=7,title=duplicate-user::first defined here
::warning file=hosts/web1.yaml,line=4,col=2,title=unknown-key::unknown key 'groups'
::warning file=groups/a%2Cb%3Ac.yaml,line=3,col=40,title=odd-message::100%25 sure: a, b%0Asecond line
::error title=etcd-member-count::etcd has 2 members; use an odd number
::warning file=hosts/gone.yaml,line=2,col=1,title=missing-file::file is gone
::error title=no-hostname::no hostname set
"""


def test_github(source: SourceReader) -> None:
    assert render("github", source) == GITHUB


SARIF = """\
{
  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
  "runs": [
    {
      "columnKind": "unicodeCodePoints",
      "results": [
        {
          "level": "error",
          "locations": [
            {
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "hosts/web1.yaml",
                  "uriBaseId": "%SRCROOT%"
                },
                "region": {
                  "startColumn": 13,
                  "startLine": 3
                }
              }
            }
          ],
          "message": {
            "text": "user 'root' is defined twice"
          },
          "properties": {
            "host": "web1",
            "path": "passwd.users[0].name"
          },
          "relatedLocations": [
            {
              "id": 1,
              "message": {
                "text": "first defined here"
              },
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "groups/a%2Cb%3Ac.yaml",
                  "uriBaseId": "%SRCROOT%"
                },
                "region": {
                  "startColumn": 7,
                  "startLine": 3
                }
              }
            }
          ],
          "ruleId": "duplicate-user",
          "ruleIndex": 0
        },
        {
          "level": "warning",
          "locations": [
            {
              "physicalLocation": {
                "artifactLocation": {
                  "uri": "groups/a%2Cb%3Ac.yaml",
                  "uriBaseId": "%SRCROOT%"
                },
                "region": {
                  "startColumn": 40,
                  "startLine": 3
                }
              }
            }
          ],
          "message": {
            "text": "100% sure: a, b\\nsecond line"
          },
          "properties": {
            "host": "web2"
          },
          "ruleId": "odd-message",
          "ruleIndex": 2
        },
        {
          "level": "error",
          "locations": [],
          "message": {
            "text": "etcd has 2 members; use an odd number"
          },
          "ruleId": "etcd-member-count",
          "ruleIndex": 1
        }
      ],
      "tool": {
        "driver": {
          "informationUri": "https://github.com/hostiso/hostiso",
          "name": "hostiso",
          "rules": [
            {
              "id": "duplicate-user",
              "shortDescription": {
                "text": "duplicate user"
              }
            },
            {
              "id": "etcd-member-count",
              "shortDescription": {
                "text": "etcd member count"
              }
            },
            {
              "id": "odd-message",
              "shortDescription": {
                "text": "odd message"
              }
            }
          ],
          "version": "0.1.0"
        }
      }
    }
  ],
  "version": "2.1.0"
}
"""


def test_sarif(source: SourceReader) -> None:
    assert __version__ == "0.1.0"  # the golden text pins the version
    assert render("sarif", source, [DIAGNOSTICS[0], DIAGNOSTICS[2], DIAGNOSTICS[3]]) == SARIF


def test_sarif_rules_follow_codes_and_descriptions(source: SourceReader) -> None:
    diags = [warning("b-code", "x", mark=Mark("f.yaml", 1, 1)), error("a-code", "y")]
    doc = json.loads(sarif(diags, source, descriptions={"a-code": "The A rule"}))
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["rules"] == [
        {"id": "a-code", "shortDescription": {"text": "The A rule"}},
        {"id": "b-code", "shortDescription": {"text": "b code"}},
    ]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in doc["runs"][0]["results"]] == [
        ("b-code", 1, "warning"),
        ("a-code", 0, "error"),
    ]


@pytest.mark.parametrize(
    ("file", "root", "location"),
    [
        ("hosts/a b.yaml", None, {"uri": "hosts/a%20b.yaml", "uriBaseId": "%SRCROOT%"}),
        (
            "/srv/fleet/hosts/a.yaml",
            "/srv/fleet",
            {"uri": "hosts/a.yaml", "uriBaseId": "%SRCROOT%"},
        ),
        ("/elsewhere/a.yaml", "/srv/fleet", {"uri": "file:///elsewhere/a.yaml"}),
        ("/elsewhere/a.yaml", None, {"uri": "file:///elsewhere/a.yaml"}),
    ],
)
def test_sarif_artifact_uri(
    source: SourceReader, file: str, root: str | None, location: dict[str, str]
) -> None:
    doc = json.loads(sarif([error("c", "m", mark=Mark(file, 1, 1))], source, root=root))
    physical = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == location


@pytest.mark.parametrize(
    ("name", "expected"),
    [("text", ""), ("colored", ""), ("parsable", ""), ("github", ""), ("json", "[]\n")],
)
def test_no_diagnostics(source: SourceReader, name: str, expected: str) -> None:
    assert render(name, source, []) == expected


def test_sarif_without_diagnostics(source: SourceReader) -> None:
    run = json.loads(render("sarif", source, []))["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []


def test_formats_registry() -> None:
    assert sorted(FORMATS) == ["colored", "github", "json", "parsable", "sarif", "text"]


# --- text details -------------------------------------------------------------------


def test_text_without_source_files(tmp_path: Path) -> None:
    out = FORMATS["text"](DIAGNOSTICS[:1], SourceReader(tmp_path))
    assert out == (
        "hosts/web1.yaml:3:13: error: user 'root' is defined twice [duplicate-user]\n"
        "  = host: web1, path: passwd.users[0].name\n"
        "groups/a,b:c.yaml:3:7: note: first defined here\n"
    )


def test_text_gutter_widens_with_line_number() -> None:
    source = SourceReader(texts={"f.yaml": "\n" * 99 + "key: value\n"})
    out = FORMATS["text"]([error("bad-value", "bad", mark=Mark("f.yaml", 100, 6))], source)
    assert out == ("f.yaml:100:6: error: bad [bad-value]\n 100 | key: value\n     |      ^\n")


def test_a_secret_is_quoted_with_its_value_redacted() -> None:
    source = SourceReader(texts={"f.yaml": 'users:\n  - password: "hunter2"  # x\n'})
    problem = error("plaintext-password", "no plaintext", mark=Mark("f.yaml", 2, 15))
    out = FORMATS["text"]([problem], source)
    assert out == (
        "f.yaml:2:15: error: no plaintext [plaintext-password]\n"
        " 2 |   - password: ********\n"
        "   |               ^\n"
    )


@pytest.mark.parametrize(
    ("line", "col", "expected"),
    [
        ("abc", 1, 0),
        ("abc", 3, 2),
        ("abc", 4, 3),  # just past the end
        ("abc", 99, 3),  # far past the end: still just after it
        ("abc", 0, 0),
        ("", 1, 0),
        ("\tx", 2, 8),
        ("ab\tx", 4, 8),
        ("ab\tx", 3, 2),
        ("\t\tx", 3, 16),
        ("12345678\tx", 10, 16),
        ("日本: x", 4, 5),  # wide characters take two columns
        ("e\u0301x", 3, 1),  # a combining accent takes none
    ],
)
def test_caret_column(line: str, col: int, expected: int) -> None:
    assert caret_column(line, col) == expected


def test_render_line_neutralises_control_characters() -> None:
    shown, starts = render_line("a\x1b[31m\u202eb\tc")
    assert shown == "a\ufffd[31mb c"  # the tab reaches column 8
    assert starts == [0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9]


# --- source reader -------------------------------------------------------------------


def test_source_reader_lines_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"one\r\ntwo\rthree\nfour\xe2\x80\xa8five\n")
    reader = SourceReader(tmp_path)
    assert [reader.line("a.yaml", n) for n in range(8)] == [
        None, "one", "two", "three", "four", "five", "", None,
    ]  # fmt: skip
    assert reader.line("missing.yaml", 1) is None
    assert reader.line(str(tmp_path / "a.yaml"), 2) == "two"  # absolute names too


def test_source_reader_caches(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("old\n")
    reader = SourceReader(tmp_path)
    assert reader.line("a.yaml", 1) == "old"
    path.write_text("new\n")
    assert reader.line("a.yaml", 1) == "old"
    path.unlink()
    assert reader.line("a.yaml", 1) == "old"


def test_source_reader_texts_bom_and_bad_utf8(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes(b"ok\n\xff\xfe: x\n")
    reader = SourceReader(tmp_path, texts={"<stdin>": "\ufeffkey: 1\n"})
    assert reader.line("<stdin>", 1) == "key: 1"
    assert reader.line("bad.yaml", 2) == "\ufffd\ufffd: x"
    assert split_lines("a\x85b\u2029c") == ["a", "b", "c"]


# --- escaping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("50%", "50%25", "50%25"),
        ("%0A", "%250A", "%250A"),  # '%' first, so escapes are not escaped twice
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("::x::", "::x::", "%3A%3Ax%3A%3A"),
    ],
)
def test_github_escaping(raw: str, data: str, prop: str) -> None:
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


# --- summary, sorting, choosing a format -----------------------------------------------


@pytest.mark.parametrize(
    ("diagnostics", "expected"),
    [
        ([], "no problems"),
        ([error("c", "m")], "1 error"),
        ([warning("c", "m").for_host("a")], "1 warning in 1 host"),
        (
            [error("c", "m").for_host("a"), error("c", "m").for_host("b"), warning("c", "m")],
            "2 errors, 1 warning in 2 hosts",
        ),
        (DIAGNOSTICS, "3 errors, 3 warnings in 4 hosts"),
    ],
)
def test_summary(diagnostics: list[Diagnostic], expected: str) -> None:
    assert summary(diagnostics) == expected


def test_sort_diagnostics() -> None:
    first = error("b-code", "first", mark=Mark("a.yaml", 2, 1))
    second = error("b-code", "second", mark=Mark("a.yaml", 2, 1))
    unmarked = error("a-code", "fleet")
    ordered = [
        error("z-code", "m", mark=Mark("a.yaml", 1, 9)),
        error("a-code", "m", mark=Mark("a.yaml", 2, 1)),
        first,
        second,
        error("a-code", "m", mark=Mark("a.yaml", 2, 3)),
        error("a-code", "m", mark=Mark("a.yaml", 10, 1)),
        error("a-code", "m", mark=Mark("b.yaml", 1, 1)),
        unmarked,
    ]
    shuffled = [ordered[i] for i in (7, 2, 6, 3, 5, 0, 4, 1)]
    assert sort_diagnostics(shuffled) == ordered
    # stable: equal keys keep their input order, whichever it is
    swapped = [ordered[i] for i in (3, 7, 2)]
    assert [d.message for d in sort_diagnostics(swapped)] == ["second", "first", "fleet"]


@pytest.mark.parametrize(
    ("requested", "isatty", "env", "expected"),
    [
        ("json", True, {"GITHUB_ACTIONS": "true"}, "json"),
        (None, True, {"GITHUB_ACTIONS": "true"}, "github"),
        (None, False, {"GITHUB_ACTIONS": "true"}, "github"),
        (None, True, {"GITHUB_ACTIONS": "false"}, "colored"),
        (None, True, {}, "colored"),
        (None, True, {"NO_COLOR": "1"}, "text"),
        (None, False, {}, "text"),
    ],
)
def test_pick_format(
    requested: str | None, isatty: bool, env: dict[str, str], expected: str
) -> None:
    assert pick_format(requested, isatty=isatty, env=env) == expected


def test_pick_format_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        pick_format("xml", isatty=True, env={})


def test_a_long_line_is_quoted_around_the_caret(tmp_path: Path) -> None:
    """A line of megabytes is cut to a window: the report stays small and quick."""
    line = "a: " + "x" * 1_000_000 + "!" + "y" * 1_000_000
    (tmp_path / "f.yaml").write_text(line + "\n")
    found = error("bad", "m", mark=Mark("f.yaml", 1, 1_000_004))
    out = FORMATS["text"]([found], SourceReader(tmp_path)).splitlines()
    assert out[0] == "f.yaml:1:1000004: error: m [bad]"
    assert out[1] == f" 1 | ...{'x' * 80}!{'y' * 79}..."
    assert out[2] == f"   | {' ' * 83}^"
    start = error("bad", "m", mark=Mark("f.yaml", 1, 2))
    out = FORMATS["text"]([start], SourceReader(tmp_path)).splitlines()
    assert out[1:] == [f" 1 | a: {'x' * 157}...", "   |  ^"]
