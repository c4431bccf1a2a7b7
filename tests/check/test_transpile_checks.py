"""What ``hostiso transpile`` adds to ct: the documented strict checks, ct's own
warnings, and no silent drop of hostiso-only keys."""

from __future__ import annotations

import io
import json

import pytest

from hostiso import cli


def transpile(yaml_text: str, *argv: str) -> tuple[int, str, list[str]]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(["transpile", *argv], stdin=io.StringIO(yaml_text), stdout=out, stderr=err)
    heads = [line for line in err.getvalue().splitlines() if line.startswith("<stdin>:")]
    return rc, out.getvalue(), heads


USER = "passwd:\n  users:\n    - name: core\n"


@pytest.mark.parametrize(
    ("clc", "heads"),
    [
        (
            USER + "      password: hunter2\n",
            [
                "<stdin>:4:17: error: a plaintext 'password' must not be written in a config; "
                "use 'password_hash' (from `hostiso passwd`) [plaintext-password]"
            ],
        ),
        (
            USER + "      password_file: secrets/core.password\n",
            [
                "<stdin>:4:22: error: 'password_file' is hashed with the fleet's secret by "
                "`hostiso build`; hostiso transpile has no fleet: use 'password_hash' "
                "[password-file-needs-fleet]"
            ],
        ),
        (
            "storage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n"
            "      contents:\n        template: motd.j2\n",
            [
                "<stdin>:6:19: error: 'contents.template' is rendered with the host and fleet "
                "by `hostiso build`; hostiso transpile has neither: use 'contents.local' for a "
                "file as it is [template-needs-fleet]"
            ],
        ),
    ],
)
def test_hostiso_keys_are_errors_never_dropped(clc: str, heads: list[str]) -> None:
    rc, out, found = transpile(clc)
    assert (rc, out) == (1, "")
    assert found == heads


def test_fleet_only_keys_are_reported() -> None:
    rc, out, heads = transpile("groups: [web]\nvars: {a: 1}\n")
    assert rc == 0
    assert json.loads(out)["passwd"] == {}
    assert heads == [
        "<stdin>:1:1: warning: 'groups' is used by `hostiso build` in a fleet; "
        "hostiso transpile ignores it [fleet-only-key]",
        "<stdin>:2:1: warning: 'vars' is used by `hostiso build` in a fleet; "
        "hostiso transpile ignores it [fleet-only-key]",
    ]


@pytest.mark.parametrize(
    ("clc", "head"),
    [
        (
            "storage:\n  files:\n    - path: /etc/a\n",
            "<stdin>:3:7: warning: mode unspecified for file, defaulting to 0644 [mode-unset]",
        ),
        (
            "storage:\n  files:\n    - path: /etc/a\n      append: true\n",
            "<stdin>:3:7: warning: mode unspecified for file, defaulting to 0644 if the file "
            "does not exist [mode-unset]",
        ),
        (
            "storage:\n  directories:\n    - path: /srv\n",
            "<stdin>:3:7: warning: mode unspecified for directory, defaulting to 0755 [mode-unset]",
        ),
        ("", "<stdin>:1:1: warning: Configuration is empty [empty-config]"),
    ],
)
def test_cts_own_warnings_fail_strict_as_in_ct(clc: str, head: str) -> None:
    rc, out, heads = transpile(clc)
    assert (rc, heads) == (0, [head])
    assert out.startswith('{"ignition"')
    rc, out, heads = transpile(clc, "-strict")
    assert (rc, out, heads) == (1, "", [head])


def test_lint_findings_are_warnings_and_the_output_is_still_written() -> None:
    """ct accepts a placeholder key and an MD5 hash; transpile says so, and -strict fails."""
    clc = (
        USER + "      ssh_authorized_keys: [key1]\n"
        '      password_hash: "$1$abc$def"\n'
        "storage:\n  files:\n    - path: /etc/x\n      mode: 644\n"
    )
    rc, out, heads = transpile(clc)
    assert rc == 0
    user = json.loads(out)["passwd"]["users"][0]
    assert user == {"name": "core", "passwordHash": "$1$abc$def", "sshAuthorizedKeys": ["key1"]}
    assert [h.rsplit(" ", 1)[1] for h in heads] == [
        "[bad-ssh-key]",
        "[bad-password-hash]",
        "[ignition-mode-special-bits]",
        "[decimal-mode]",
    ]
    assert all(": warning: " in h for h in heads)
    assert (
        heads[3]
        == "<stdin>:9:13: warning: mode 644 is decimal (octal 01204); write 0644 [decimal-mode]"
    )
    assert transpile(clc, "-strict")[0] == 1
