"""A problem in a shared layer names every host it stops (issue 11, defects 7 and 10).

An overlay or a ``files/`` template is shared by many hosts; its error is
reported once, at its line, with a note listing the hosts it stops, and the
hosts that use the same file but are built anyway (a later layer of theirs
replaces the value).  A problem in a value stops the hosts whose effective
config holds it; a problem in the file itself stops every host that reads it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import LOGIN, outputs, run, write_fleet

WEB = {
    "overlays/all.yaml": LOGIN,
    "configs/a.yaml": "groups: [web]\n",
    "configs/b.yaml": "groups: [web]\n",
    "configs/c.yaml": "groups: [web]\n",
    # d replaces the overlay's mode with its own
    "configs/d.yaml": (
        "groups: [web]\nstorage:\n  files:\n    - path: /etc/motd\n      mode: 0600\n"
    ),
    "configs/solo.yaml": "{}\n",
}


def overlay(mode: str) -> dict[str, str]:
    return {"overlays/web.yaml": f"storage:\n  files:\n    - path: /etc/motd\n      mode: {mode}\n"}


def built(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "out").glob("*.iso"))


@pytest.mark.parametrize(
    ("mode", "code", "message"),
    [
        ('"{{ nope }}"', "template-undefined", "undefined in template: 'nope' is undefined"),
        ("[1]", "wrong-type", "expected integer, got list"),
        ("0o999", "wrong-type", "expected integer, got string"),
    ],
    ids=["template", "type", "format"],
)
def test_an_overlay_value_a_host_replaces_stops_the_others_and_says_which(
    tmp_path: Path, mode: str, code: str, message: str
) -> None:
    write_fleet(tmp_path, {**WEB, **overlay(mode)})
    rc, out, err = run(["build", "--format", "parsable"], tmp_path)
    assert (rc, out) == (1, "")
    lines = [line for line in err.splitlines() if f"({code})" in line]
    assert lines[:2] == [
        f"overlays/web.yaml:4:13: [error] {message} ({code})",
        "overlays/web.yaml:4:13: [note] stops 3 hosts: a, b, c; d uses overlays/web.yaml too, "
        f"and is not stopped ({code})",
    ]
    assert "Traceback" not in err
    assert built(tmp_path) == ["d", "solo"]


def test_the_note_is_in_every_format(tmp_path: Path) -> None:
    write_fleet(tmp_path, {**WEB, **overlay('"{{ nope }}"')})
    note = "stops 3 hosts: a, b, c; d uses overlays/web.yaml too, and is not stopped"
    _, out, err = run(["lint", "--format", "json"], tmp_path)
    [problem] = [d for d in json.loads(out) if d["code"] == "template-undefined"]
    assert problem["related"] == [
        {"file": "overlays/web.yaml", "line": 4, "col": 13, "message": note}
    ]
    _, _, err = run(["lint", "--format", "text"], tmp_path)
    assert f"overlays/web.yaml:4:13: note: {note}\n" in err
    assert note in run(["lint", "--format", "sarif"], tmp_path)[1]
    _, _, err = run(["lint", "--format", "github"], tmp_path)
    assert f"::notice file=overlays/web.yaml,line=4,col=13,title=template-undefined::{note}" in err


def test_a_broken_overlay_file_stops_every_host_that_reads_it(tmp_path: Path) -> None:
    write_fleet(tmp_path, {**WEB, "overlays/web.yaml": "storage: [\n"})
    rc, _, err = run(["build", "--format", "parsable"], tmp_path)
    assert rc == 1
    assert err.splitlines()[-1] == (
        "overlays/web.yaml:1:11: [note] stops 4 hosts: a, b, c, d (yaml-syntax)"
    )
    assert built(tmp_path) == ["solo"]


def test_a_files_template_names_the_hosts_it_stops(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            **WEB,
            "overlays/web.yaml": (
                "storage:\n  files:\n    - path: /etc/motd\n      contents:\n"
                "        template: motd.j2\n"
            ),
            "files/motd.j2": "{{ host.name }}\n{{ vars.missing }}\n",
        },
    )
    rc, _, err = run(["build", "--format", "parsable"], tmp_path)
    assert (rc, err.splitlines()) == (
        1,
        [
            "files/motd.j2:2:1: [error] undefined in template: no key 'missing' "
            "(template-undefined)",
            "files/motd.j2:2:1: [note] stops 4 hosts: a, b, c, d (template-undefined)",
        ],
    )
    assert built(tmp_path) == ["solo"]


def test_a_long_list_of_hosts_is_counted(tmp_path: Path) -> None:
    files = {"overlays/all.yaml": LOGIN + "storage:\n  files:\n    - path: etc/x\n"}
    files |= {f"configs/h{i:02}.yaml": "{}\n" for i in range(1, 13)}
    write_fleet(tmp_path, files)
    _, _, err = run(["lint", "--format", "parsable"], tmp_path)
    assert err.splitlines()[-1] == (
        "overlays/all.yaml:8:13: [note] stops 12 hosts: h01, h02, h03, h04, h05, h06, h07, h08, "
        "h09, h10 and 2 more (relative-path)"
    )
    assert not any(p.exists() for p in outputs(tmp_path, "h01"))


def test_an_error_of_one_host_gets_no_note(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {**WEB, **overlay("0600"), "configs/solo.yaml": "storage:\n  files:\n    - path: etc/x\n"},
    )
    rc, _, err = run(["build", "--format", "parsable"], tmp_path)
    assert (rc, err) == (
        1,
        "configs/solo.yaml:3:13: [error] path 'etc/x' must be absolute (start with /) "
        "(relative-path)\n",
    )
