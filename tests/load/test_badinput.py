"""Bad input: one clear ``FILE:LINE:COL: error: MESSAGE [code]`` each, exit 1, no
traceback, no build/ or out/ file left for the broken host (stale outputs of an
earlier good build are removed), and every other host still builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import LOGIN, build_ok, heads, outputs, run, write_fleet

GOOD = {
    "overlays/all.yaml": LOGIN,
    "overlays/web.yaml": "storage:\n  directories:\n    - path: /srv/www\n",
    "configs/web.yaml": "groups: [web]\n",
    "configs/good.yaml": "network:\n  interface: eth0\n  addresses: [10.0.0.2/24]\n",
}

UNIT_SUFFIXES = (
    ".service, .socket, .device, .mount, .automount, .swap, .target, .path, .timer, "
    ".snapshot, .slice, .scope"
)

W = "configs/web.yaml"

# (id, files written over GOOD, expected first lines of the diagnostics)
CASES: list[tuple[str, dict[str, str], list[str]]] = [
    # invalid YAML
    (
        "tab-indent",
        {W: "storage:\n\tfiles: []\n"},
        [
            f"{W}:2:1: error: tab character used for indentation; YAML allows only spaces here "
            "[yaml-tab]",
        ],
    ),
    (
        "tab-in-list",
        {W: "groups: [web]\nstorage:\n  files:\n  \t- path: /a\n"},
        [
            f"{W}:4:3: error: tab character used for indentation; YAML allows only spaces here "
            "[yaml-tab]",
        ],
    ),
    (
        "block-scalar-not-indented",
        {
            W: (
                "groups: [web]\n"
                "networkd:\n"
                "  units:\n"
                "    - name: 10-static.network\n"
                "      contents: |\n"
                "      [Match]\n"
                "      Name=eth0\n"
                "\n"
                "      [Network]\n"
                "      Address=192.168.1.10/24\n"
            )
        },
        [
            f"{W}:6:7: error: could not find expected ':' (while scanning a simple key that "
            "starts here); the block scalar started on line 5 needs its text indented further "
            "than its key [yaml-syntax]",
        ],
    ),
    (
        "duplicate-key",
        {W: "hostname: web\ngroups: [web]\nhostname: www\n"},
        [
            f"{W}:3:1: error: duplicate key 'hostname' (first set at line 1) [duplicate-key]",
        ],
    ),
    (
        "duplicate-nested-key",
        {W: "storage:\n  files:\n    - path: /a\n      path: /b\n"},
        [
            f"{W}:4:7: error: duplicate key 'path' (first set at line 3) [duplicate-key]",
        ],
    ),
    (
        "unclosed-flow",
        {W: "groups: [web\n"},
        [
            f"{W}:1:9: error: this '[' is never closed: the file ends before its ']' [yaml-syntax]",
        ],
    ),
    (
        "recursive-alias",
        {W: "groups: [web]\nvars: &v\n  self: *v\n"},
        [
            f"{W}:2:7: error: this anchored value contains an alias to itself (a cycle) "
            "[yaml-alias]",
        ],
    ),
    (
        "alias-bomb",
        {
            W: "groups: [web]\nvars:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
                for i in range(6)
            )
        },
        [f"{W}:8:6: error: this value expands to more than 250,000 values (aliases) [yaml-alias]"],
    ),
    (
        "two-documents",
        {W: "groups: [web]\n---\nhostname: web\n"},
        [
            f"{W}:2:1: error: a second YAML document starts here; a host file or overlay must "
            "hold exactly one document (remove this '---' and what follows, or merge it into "
            "the first) [yaml-syntax]"
        ],
    ),
    (
        "hostname-label-too-long",
        {W: f"hostname: {'a' * 64}.example.com\n"},
        [
            f"{W}:1:11: error: hostname '{'a' * 64}.example.com' has a label of 64 characters "
            "(at most 63 between dots) [bad-hostname]"
        ],
    ),
    (
        "hostname-too-long",
        {W: f"hostname: {'.'.join(['a' * 60] * 5)}\n"},
        [
            f"{W}:1:11: error: hostname '{'.'.join(['a' * 60] * 5)}' is too long (304 "
            "characters; at most 253) [bad-hostname]"
        ],
    ),
    (
        "hostname-of-100000-characters-is-quoted-by-its-ends",
        {W: f"hostname: {'a' * 99_992}.example\n"},
        [
            f"{W}:1:11: error: hostname '{'a' * 160}...(100000 characters)..."
            f"{'a' * 32}.example' is too long (100000 characters; at most 253) [bad-hostname]"
        ],
    ),
    (
        "explicit-tag-on-a-bad-value",
        {W: "groups: [web]\nstorage:\n  files:\n    - path: /a\n      mode: !!int x\n"},
        [f"{W}:5:13: error: 'x' is not a valid int [yaml-value]"],
    ),
    (
        "tag-on-a-list",
        {W: "groups: [web]\nvars:\n  x: !!python/object/apply:os.system [echo hi]\n"},
        [
            f"{W}:3:6: error: the YAML tag '!!python/object/apply:os.system' is not "
            "supported: write a plain mapping or list [yaml-tag]"
        ],
    ),
    (
        "tag-on-a-section",
        {W: "groups: [web]\nstorage: !custom\n  files: []\n"},
        [
            f"{W}:2:10: error: the YAML tag '!custom' is not supported: write a plain "
            "mapping or list [yaml-tag]"
        ],
    ),
    (
        "not-utf8",
        {W: "hostname: caf\udce9\n"},
        [
            f"{W}:1:14: error: byte 0xE9 is not valid UTF-8; save the file as UTF-8 "
            "[yaml-encoding]",
        ],
    ),
    # wrong types
    (
        "not-a-mapping",
        {W: "- web\n"},
        [f"{W}:1:1: error: a host file must be a mapping [wrong-type]"],
    ),
    (
        "mode-string",
        {W: "storage:\n  files:\n    - path: /a\n      mode: '0644'\n"},
        [
            f"{W}:4:13: error: expected integer, got string [wrong-type]",
        ],
    ),
    (
        "keys-not-list",
        {
            W: (
                "passwd:\n  users:\n    - name: core\n"
                "      ssh_authorized_keys: ssh-ed25519 AAAA k\n"
            )
        },
        [f"{W}:4:28: error: expected a list, got string [wrong-type]"],
    ),
    (
        "section-list",
        {W: "storage: [a]\n"},
        [
            f"{W}:1:10: error: expected a mapping, got list [wrong-type]",
        ],
    ),
    (
        "bool-string",
        {W: "systemd:\n  units:\n    - name: a.service\n      enabled: maybe\n"},
        [
            f"{W}:4:16: error: expected boolean, got string [wrong-type]",
        ],
    ),
    (
        "missing-path",
        {W: "storage:\n  files:\n    - contents: {inline: a}\n"},
        [
            f"{W}:3:7: error: 'path' is required here [missing-key]",
        ],
    ),
    # unknown keys
    (
        "unknown-top",
        {W: "hostnme: web\n"},
        [
            f"{W}:1:1: error: unknown key 'hostnme'; did you mean 'hostname'? [unknown-key]",
        ],
    ),
    (
        "unknown-nested",
        {W: "storage:\n  files:\n    - path: /a\n      contnts: {inline: x}\n"},
        [
            f"{W}:4:7: error: unknown key 'contnts'; did you mean 'contents'? [unknown-key]",
        ],
    ),
    (
        "unknown-section-key",
        {W: "flannel:\n  etcd_prefx: /x\n"},
        [
            f"{W}:2:3: error: unknown key 'etcd_prefx'; did you mean 'etcd_prefix'? [unknown-key]",
        ],
    ),
    (
        "unknown-locksmith-key",
        {W: "locksmith:\n  reboot_stratgy: off\n"},
        [
            f"{W}:2:3: error: unknown key 'reboot_stratgy'; did you mean 'reboot_strategy'? "
            "[unknown-key]",
        ],
    ),
    (
        "unknown-update-key",
        {W: "update:\n  group: stable\n  serverr: https://x\n"},
        [f"{W}:3:3: error: unknown key 'serverr'; did you mean 'server'? [unknown-key]"],
    ),
    (
        "unknown-docker-key",
        {W: "docker:\n  flagz: [--debug]\n"},
        [f"{W}:2:3: error: unknown key 'flagz'; did you mean 'flags'? [unknown-key]"],
    ),
    # relative paths
    (
        "relative-file",
        {W: "groups: [web]\nstorage:\n  files:\n    - path: etc/foo\n"},
        [
            f"{W}:4:13: error: path 'etc/foo' must be absolute (start with /) [relative-path]",
        ],
    ),
    (
        "relative-directory",
        {W: "storage:\n  directories:\n    - path: var/lib/x\n"},
        [
            f"{W}:3:13: error: path 'var/lib/x' must be absolute (start with /) [relative-path]",
        ],
    ),
    # overlays named in groups
    (
        "missing-overlay",
        {W: "groups: [web, db]\n"},
        [
            f"{W}:1:15: error: group 'db' has no overlay: overlays/db.yaml does not exist "
            "[missing-overlay]",
        ],
    ),
    (
        "groups-in-overlay",
        {"overlays/web.yaml": "groups: [x]\n"},
        [
            "overlays/web.yaml:1:1: error: 'groups' can only be set in a host file [host-only-key]",
        ],
    ),
    # unit names
    (
        "unit-no-suffix",
        {W: "systemd:\n  units:\n    - name: foo\n"},
        [
            f"{W}:3:13: error: systemd unit name 'foo' must end in one of: {UNIT_SUFFIXES} "
            "[bad-unit-name]",
        ],
    ),
    (
        "unit-bad-char",
        {W: "systemd:\n  units:\n    - name: 'a b.service'\n"},
        [
            f"{W}:3:13: error: 'a b.service' is not a valid systemd unit name [bad-unit-name]",
        ],
    ),
    (
        "networkd-suffix",
        {W: "networkd:\n  units:\n    - name: eth0.service\n"},
        [
            f"{W}:3:13: error: networkd unit name 'eth0.service' must end in one of: "
            ".network, .netdev, .link; a systemd unit goes under systemd.units [bad-unit-name]",
        ],
    ),
    (  # seen in a real config: the networkd units under systemd.units
        "networkd-unit-under-systemd",
        {W: "systemd:\n  units:\n    - name: 10-bond0.netdev\n"},
        [
            f"{W}:3:13: error: systemd unit name '10-bond0.netdev' must end in one of: "
            f"{UNIT_SUFFIXES}; a networkd unit goes under networkd.units [bad-unit-name]",
        ],
    ),
    (
        "dropin-not-conf",
        {W: ("systemd:\n  units:\n    - name: a.service\n      dropins:\n        - name: 10-a\n")},
        [
            f"{W}:5:17: error: drop-in name '10-a' must be a file name ending in .conf "
            "[bad-unit-name]",
        ],
    ),
    (
        "networkd-dropin-not-conf",
        {
            W: (
                "networkd:\n  units:\n    - name: 10-a.network\n"
                "      dropins:\n        - name: x.cfg\n"
            )
        },
        [
            f"{W}:5:17: error: drop-in name 'x.cfg' must be a file name ending in .conf "
            "[bad-unit-name]",
        ],
    ),
    (
        "overlay-relative-path",
        {
            "overlays/web.yaml": "storage:\n  files:\n    - path: srv/www\n",
        },
        [
            "overlays/web.yaml:3:13: error: path 'srv/www' must be absolute (start with /) "
            "[relative-path]",
        ],
    ),
    (
        "overlay-unit-name",
        {
            "overlays/web.yaml": "# web servers\nsystemd:\n  units:\n    - name: nginx\n",
        },
        [
            f"overlays/web.yaml:4:13: error: systemd unit name 'nginx' must end in one of: "
            f"{UNIT_SUFFIXES} [bad-unit-name]",
        ],
    ),
]


def write_bytes_fleet(root: Path, files: dict[str, str]) -> None:
    """Like write_fleet, but lone surrogates become raw bytes (for the non-UTF-8 case)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogateescape"))


def build_good(root: Path) -> None:
    write_fleet(root, GOOD)
    build_ok(root)
    assert all(p.exists() for host in ("web", "good") for p in outputs(root, host))


def assert_broken(
    root: Path,
    expected: list[str],
    broken: tuple[str, ...] = ("web",),
    good: tuple[str, ...] = ("good",),
) -> str:
    rc, out, err = run(["build"], root)
    assert (rc, out) == (1, "")
    assert "Traceback" not in err
    assert heads(err) == expected
    assert err.splitlines()[0] == expected[0]
    for host in broken:
        assert [p.name for p in outputs(root, host) if p.exists()] == []
    for host in good:
        assert all(p.exists() for p in outputs(root, host))
    return err


@pytest.mark.parametrize(("files", "expected"), [pytest.param(f, e, id=i) for i, f, e in CASES])
def test_bad_input(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    build_good(tmp_path)
    good_iso = (tmp_path / "out/good.iso").read_bytes()
    write_bytes_fleet(tmp_path, files)
    assert_broken(tmp_path, expected)
    assert (tmp_path / "out/good.iso").read_bytes() == good_iso


def test_error_in_an_overlay_is_reported_once_for_all_its_hosts(tmp_path: Path) -> None:
    build_good(tmp_path)
    write_fleet(
        tmp_path,
        {
            "configs/web2.yaml": "groups: [web]\n",
            "overlays/web.yaml": "storage:\n  files:\n    - path: srv/www\n",
        },
    )
    assert_broken(
        tmp_path,
        [
            "overlays/web.yaml:3:13: error: path 'srv/www' must be absolute (start with /) "
            "[relative-path]",
        ],
        broken=("web", "web2"),
    )


def test_overlay_value_replaced_by_the_host_is_no_error(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            **GOOD,
            "overlays/web.yaml": "storage:\n  files:\n    - path: /a\n      mode: '0600'\n",
            "configs/web.yaml": (
                "groups: [web]\nstorage:\n  files:\n    - path: /a\n      mode: 0600\n"
            ),
        },
    )
    build_ok(tmp_path)


def test_two_hosts_with_the_same_hostname(tmp_path: Path) -> None:
    build_good(tmp_path)
    write_fleet(
        tmp_path,
        {
            "configs/a.yaml": "# first\nhostname: web\n",
            "configs/b.yaml": "groups: [web]\nhostname: web\n",
        },
    )
    rc, out, err = run(["build"], tmp_path)
    assert (rc, out) == (1, "")
    assert "Traceback" not in err
    # the stem "web" and the two hostname: keys all claim the name "web"
    assert [h for h in heads(err) if "[duplicate-hostname]" in h] == [
        "configs/a.yaml:2:11: error: hostname 'web' is also used by host b (configs/b.yaml:2:11) "
        "[duplicate-hostname]",
        "configs/b.yaml:2:11: error: hostname 'web' is also used by host a (configs/a.yaml:2:11) "
        "[duplicate-hostname]",
        "configs/web.yaml:1:1: error: hostname 'web' is also used by host a (configs/a.yaml:2:11) "
        "[duplicate-hostname]",
    ]
    for host in ("a", "b", "web"):
        assert [p for p in outputs(tmp_path, host) if p.exists()] == []
    assert all(p.exists() for p in outputs(tmp_path, "good"))


def test_two_hosts_with_the_same_name_only(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN,
            "configs/x1.yaml": "hostname: x\n",
            "configs/x2.yaml": "hostname: x\n",
            "configs/y.yaml": "{}\n",
        },
    )
    rc, _, err = run(["build"], tmp_path)
    assert rc == 1
    assert [h for h in heads(err) if "[duplicate-hostname]" in h] == [
        "configs/x1.yaml:1:11: error: hostname 'x' is also used by host x2 (configs/x2.yaml:1:11) "
        "[duplicate-hostname]",
        "configs/x2.yaml:1:11: error: hostname 'x' is also used by host x1 (configs/x1.yaml:1:11) "
        "[duplicate-hostname]",
    ]
    assert all(p.exists() for p in outputs(tmp_path, "y"))


def test_lint_reports_the_same_and_builds_nothing(tmp_path: Path) -> None:
    write_fleet(tmp_path, {**GOOD, W: "groups: [web]\nstorage:\n  files:\n    - path: etc/foo\n"})
    rc, out, err = run(["lint"], tmp_path)
    assert (rc, out) == (1, "")
    assert heads(err) == [
        f"{W}:4:13: error: path 'etc/foo' must be absolute (start with /) [relative-path]",
    ]
    assert not (tmp_path / "build").exists()
    assert not (tmp_path / "out").exists()


def test_section_errors_survive_a_network_shorthand(tmp_path: Path) -> None:
    build_good(tmp_path)
    write_fleet(
        tmp_path,
        {
            W: (
                "network:\n  interface: eth0\n  addresses: [10.0.0.3/24]\n"
                "flannel:\n  etcd_prefx: /x\n"
            )
        },
    )
    assert_broken(
        tmp_path,
        [
            f"{W}:5:3: error: unknown key 'etcd_prefx'; did you mean 'etcd_prefix'? [unknown-key]",
        ],
    )


def test_invalid_iso_label_is_a_diagnostic(tmp_path: Path) -> None:
    build_good(tmp_path)
    write_fleet(tmp_path, {W: "iso_label: web-01\n"})
    rc, out, err = run(["build"], tmp_path)
    assert (rc, out) == (1, "")
    assert err.startswith(f"{W}:1:12: error: ")
    assert "volume label" in heads(err)[0]
    assert [p for p in outputs(tmp_path, "web") if p.exists()] == []
    assert all(p.exists() for p in outputs(tmp_path, "good"))


def test_groups_not_a_list_is_one_error(tmp_path: Path) -> None:
    build_good(tmp_path)
    write_fleet(tmp_path, {W: "groups: web\n"})
    err = assert_broken(tmp_path, [f"{W}:1:9: error: expected a list, got string [wrong-type]"])
    assert err.count("[wrong-type]") == 1


def test_value_errors_do_not_hide_the_other_checks(tmp_path: Path) -> None:
    """A typo in one key still lets lint and build report every other problem of the host."""
    host = (
        "groups: [web]\n"
        "passwd:\n"
        "  users:\n"
        "    - name: ops\n"
        '      password_hash: "$1$abc$def"\n'
        "storage:\n"
        "  files:\n"
        "    - path: /etc/foo\n"
        "      mode: 644\n"
        "      bogus: 1\n"
    )
    write_fleet(tmp_path, {**GOOD, W: host})
    for command in ("lint", "build"):
        rc, _out, err = run([command], tmp_path)
        assert rc == 1
        assert [h.split(": ", 2)[1] + " " + h.rsplit(" ", 1)[1] for h in heads(err)] == [
            "error [bad-password-hash]",
            "warning [decimal-mode]",
            "error [unknown-key]",
        ], err
        assert [h.split(": ")[0] for h in heads(err)] == [f"{W}:5:22", f"{W}:9:13", f"{W}:10:7"]
    assert [p.name for p in outputs(tmp_path, "web") if p.exists()] == []
    assert all(p.exists() for p in outputs(tmp_path, "good"))


def test_each_host_with_a_shared_hostname_names_itself(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN,
            "configs/w2.yaml": "{}\n",
            "configs/w4.yaml": "hostname: w2\n",
        },
    )
    rc, out, _ = run(["lint", "--format", "json"], tmp_path)
    assert rc == 1
    found = [(d["file"], d["host"]) for d in json.loads(out) if d["code"] == "duplicate-hostname"]
    assert found == [("configs/w2.yaml", "w2"), ("configs/w4.yaml", "w4")]
