"""Which files are read as host files, overlays, local files and secrets (issue 11).

* only regular files: a FIFO, a device or a socket is an error at its path,
  never a hang (defect 4);
* no symbolic link out of the fleet: its target's lines are never quoted (15);
* host file names and group names that make and the shell can take (5, 6, 9).

Every case: the exact diagnostic, exit 1, no traceback, the other hosts built.
"""

from __future__ import annotations

import json
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from conftest import LOGIN, build_ok, outputs, run, write_fleet

GOOD = {
    "overlays/all.yaml": LOGIN,
    "configs/good.yaml": "network:\n  interface: eth0\n  addresses: [10.0.0.2/24]\n",
}


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A read that blocks fails the test after 120 s instead of hanging the suite
    (not sooner: a loaded machine stretches a build's fraction of a second many
    times over)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("hostiso blocked (reading a FIFO?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def problems(err: str) -> list[str]:
    """The first line of each error or warning, with or without a position."""
    return [
        line
        for line in err.splitlines()
        if not line.startswith(" ") and (": error: " in line or ": warning: " in line)
    ]


def assert_only(root: Path, argv: list[str], expected: list[str], broken: str = "") -> str:
    rc, out, err = run(argv, root)
    assert (rc, out) == (1, ""), err
    assert problems(err) == expected
    assert "Traceback" not in err
    if argv[0] == "build":
        assert all(p.exists() for p in outputs(root, "good"))
        if broken:
            assert not any(p.exists() for p in outputs(root, broken))
    return err


# --- only regular files --------------------------------------------------------------


def fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


@pytest.mark.parametrize("command", ["build", "lint"])
def test_a_fifo_in_configs(tmp_path: Path, command: str) -> None:
    write_fleet(tmp_path, GOOD)
    fifo(tmp_path / "configs/pipe.yaml")
    expected = ["configs/pipe.yaml: error: a FIFO, not a regular file [file-unreadable]"]
    assert_only(tmp_path, [command], expected, "pipe")


def test_a_fifo_stops_no_build_of_another_host(tmp_path: Path) -> None:
    write_fleet(tmp_path, GOOD)
    fifo(tmp_path / "configs/pipe.yaml")
    build_ok(tmp_path, "good")


def test_a_socket_as_an_overlay(tmp_path: Path) -> None:
    write_fleet(tmp_path, {**GOOD, "configs/web.yaml": "groups: [web]\n"})
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "overlays/web.yaml"))
        expected = ["overlays/web.yaml: error: a socket, not a regular file [file-unreadable]"]
        assert_only(tmp_path, ["build"], expected, "web")
    finally:
        server.close()


def test_a_device_as_a_host_file(tmp_path: Path) -> None:
    write_fleet(tmp_path, GOOD)
    (tmp_path / "configs/zero.yaml").symlink_to("/dev/zero")
    expected = [
        "configs/zero.yaml: error: a symbolic link that leads outside the fleet directory; "
        "host files and overlays must stay inside it [path-escape]"
    ]
    assert_only(tmp_path, ["build"], expected, "zero")


def test_a_fifo_as_a_local_file(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            **GOOD,
            "configs/web.yaml": (
                "storage:\n  files:\n    - path: /etc/x\n      contents:\n        local: pipe\n"
            ),
        },
    )
    fifo(tmp_path / "files/pipe")
    expected = ["configs/web.yaml:5:16: error: 'pipe' is not a file in files/ [local-file-missing]"]
    assert_only(tmp_path, ["build"], expected, "web")


def test_a_local_file_too_large_to_carry(tmp_path: Path) -> None:
    """Read no further than the limit (a sparse file: nothing is allocated)."""
    write_fleet(
        tmp_path,
        {
            **GOOD,
            "configs/web.yaml": (
                "storage:\n  files:\n    - path: /etc/x\n      contents:\n        local: big\n"
            ),
        },
    )
    (tmp_path / "files").mkdir(exist_ok=True)
    with (tmp_path / "files/big").open("wb") as f:
        f.truncate((64 << 20) + 1)
    expected = [
        "configs/web.yaml:5:16: error: 'big' is larger than 64 MiB: the config carries its files "
        "inside itself; put large files on the machine another way [local-file-too-large]"
    ]
    assert_only(tmp_path, ["build"], expected, "web")


PASSWORD_USER = "passwd:\n  users:\n    - name: core\n      password_file: secrets/core.password\n"


def test_a_fifo_as_the_fleet_key(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {**GOOD, "configs/web.yaml": PASSWORD_USER, "secrets/core.password": "pw\n"},
    )
    fifo(tmp_path / "secrets/fleet.key")
    expected = [
        "configs/web.yaml:4:22: error: cannot use the fleet secret: [Errno 22] a FIFO, not a "
        "regular file: 'secrets/fleet.key' [bad-fleet-secret]"
    ]
    assert_only(tmp_path, ["build"], expected, "web")


def test_a_fifo_as_a_password_file(tmp_path: Path) -> None:
    write_fleet(tmp_path, {**GOOD, "configs/web.yaml": PASSWORD_USER})
    fifo(tmp_path / "secrets/core.password")
    expected = [
        "configs/web.yaml:4:22: error: secrets/core.password does not exist or is not a file; "
        "password_file must be a path under secrets/, like secrets/core.password "
        "[bad-password-file]"
    ]
    assert_only(tmp_path, ["build"], expected, "web")


# --- symbolic links out of the fleet ------------------------------------------------------

SECRET = "root:$6$notreally$butsecret:19000:0:99999:7:::\nkey: value\n"


@pytest.mark.parametrize("where", ["configs/stolen.yaml", "overlays/all.yaml"])
def test_a_symlink_out_of_the_fleet_is_refused_and_never_quoted(tmp_path: Path, where: str) -> None:
    root = tmp_path / "fleet"
    write_fleet(tmp_path, {"shadow": SECRET})
    write_fleet(root, {**GOOD, "configs/web.yaml": "{}\n"})
    (root / where).unlink(missing_ok=True)
    (root / where).symlink_to(tmp_path / "shadow")
    rc, out, err = run(["lint"], root)
    assert (rc, out) == (1, "")
    assert err.splitlines()[0] == (
        f"{where}: error: a symbolic link that leads outside the fleet directory; "
        "host files and overlays must stay inside it [path-escape]"
    )
    assert "notreally" not in err and "key" not in err
    for fmt in ("json", "sarif", "github", "parsable"):
        assert "notreally" not in "".join(run(["lint", "--format", fmt], root)[1:])


def test_a_symlink_inside_the_fleet_is_fine(tmp_path: Path) -> None:
    write_fleet(tmp_path, {**GOOD, "shared/web.yaml": "hostname: web\n"})
    (tmp_path / "configs/web.yaml").symlink_to("../shared/web.yaml")
    build_ok(tmp_path)
    assert all(p.exists() for p in outputs(tmp_path, "web"))


# --- names make and the shell can take ----------------------------------------------------

WHY = {
    "a b": "make splits names at spaces",
    "a:b": "make reads ':' as the end of a rule's targets",
    "a#b": "make reads '#' as the start of a comment",
    "a%b": "make reads '%' as a pattern",
    "a$b": "make reads '$' as a variable",
    "a;b": "make reads ';' as the start of a recipe",
    "a=b": "make reads '=' as an assignment",
    "a*b": "make and the shell read '*' as a wildcard",
    "a'b": 'make or the shell cannot take "\'" in a file name',
    "-a": "it starts with '-'",
    "caf\u00e9": "make or the shell cannot take '\u00e9' in a file name",
    "a\tb": "make splits names at tabs",
    "a\nb": "it holds the control character U+000A",
}
ALLOWED = "ASCII letters, digits, '.', '_', '-', '+' and '@' (not first: '.' or '-')"


@pytest.mark.parametrize("stem", list(WHY))
def test_a_host_file_name_make_cannot_take(tmp_path: Path, stem: str) -> None:
    write_fleet(tmp_path, {**GOOD, f"configs/{stem}.yaml": "hostname: web\n"})
    shown = stem.encode("unicode_escape").decode() if not stem.isprintable() else stem
    expected = [
        f"configs/{shown}.yaml: error: the host file name '{shown}' cannot be used: "
        f"{WHY[stem]}; name host files with {ALLOWED} and set the host's name with "
        "'hostname:' [bad-file-name]"
    ]
    assert_only(tmp_path, ["build"], expected)
    assert sorted(p.name for p in (tmp_path / "build").iterdir() if p.suffix == ".d") == ["good.d"]
    assert (tmp_path / "build/.hosts").read_text() == "good\n"


@pytest.mark.parametrize("command", [["build"], ["lint"], ["inventory", "--partial"]])
def test_a_host_file_name_that_is_not_utf8(tmp_path: Path, command: list[str]) -> None:
    """A name of bytes that are not UTF-8 once crashed every command (the fleet
    checks' key could not encode it)."""
    write_fleet(tmp_path, GOOD)
    (tmp_path / os.fsdecode(b"configs/a\xffb.yaml")).write_text("hostname: x\n")
    rc, out, err = run(command, tmp_path)
    assert rc == 1 and "Traceback" not in err
    assert err.splitlines()[0] == (
        "configs/a\\udcffb.yaml: error: the host file name 'a\\udcffb' cannot be used: it "
        f"holds the byte 0xFF, which is not UTF-8; name host files with {ALLOWED} and set "
        "the host's name with 'hostname:' [bad-file-name]"
    )
    if command == ["build"]:
        assert all(p.exists() for p in outputs(tmp_path, "good"))
    if command[0] == "inventory":
        assert "good" in json.loads(out)["_meta"]["hostvars"]


def test_the_record_of_built_hosts_never_names_a_foreign_iso(tmp_path: Path) -> None:
    """The name with a space once went into build/.hosts as two names, and the next
    whole-fleet build removed out/flatcar_production_iso_image.iso (defect 5)."""
    write_fleet(
        tmp_path,
        {
            **GOOD,
            "configs/flatcar_production_iso_image x.yaml": "hostname: x\n",
            "out/flatcar_production_iso_image.iso": "the installer\n",
        },
    )
    for _ in range(2):
        rc, _, err = run(["build"], tmp_path)
        assert rc == 1 and "[bad-file-name]" in err
    assert (tmp_path / "out/flatcar_production_iso_image.iso").read_text() == "the installer\n"
    # a record damaged before this fix is read safely too
    (tmp_path / "build/.hosts").write_text("flatcar_production_iso_image x good\n")
    (tmp_path / "configs/flatcar_production_iso_image x.yaml").unlink()
    build_ok(tmp_path)
    assert (tmp_path / "out/flatcar_production_iso_image.iso").exists()


@pytest.mark.parametrize(
    ("groups", "col", "why"),
    [
        ("g" * 300, 10, "it is longer than 200 bytes"),
        ("../x", 10, "it starts with '.'"),
        ("a/b", 10, "make or the shell cannot take '/' in a file name"),
        ("'a b'", 10, "make splits names at spaces"),
    ],
)
def test_a_group_name_that_cannot_be_a_file_name(
    tmp_path: Path, groups: str, col: int, why: str
) -> None:
    write_fleet(tmp_path, {**GOOD, "configs/web.yaml": f"groups: [{groups}]\n"})
    name = groups.strip("'")
    shown = name if len(name) <= 40 else name[:37] + "..."
    expected = [
        f"configs/web.yaml:1:{col}: error: the group name '{shown}' cannot be used: {why}; "
        f"name groups with {ALLOWED} [bad-group-name]"
    ]
    for command in ("lint", "build"):
        assert_only(tmp_path, [command], expected, "web")


@pytest.mark.parametrize(
    ("link", "files", "expected"),
    [
        (
            "configs/loop.yaml",
            {},
            "configs/loop.yaml: error: cannot read: Too many levels of symbolic links "
            "[file-unreadable]",
        ),
        (
            "files/loop",
            {
                "configs/web.yaml": "storage:\n  files:\n    - path: /x\n      contents:\n"
                "        local: loop\n"
            },
            "configs/web.yaml:5:16: error: 'loop' is not a file in files/ [local-file-missing]",
        ),
        (
            "secrets/loop",
            {"configs/web.yaml": PASSWORD_USER.replace("core.password", "loop")},
            "configs/web.yaml:4:22: error: secrets/loop does not exist or is not a file; "
            "password_file must be a path under secrets/, like secrets/core.password "
            "[bad-password-file]",
        ),
    ],
    ids=["configs", "files", "secrets"],
)
def test_a_symlink_loop_is_an_error_at_its_path(
    tmp_path: Path, link: str, files: dict[str, str], expected: str
) -> None:
    """Found by hand after the fuzz: Path.resolve raised RuntimeError on a loop."""
    write_fleet(tmp_path, {**GOOD, **files})
    (tmp_path / link).parent.mkdir(exist_ok=True)
    (tmp_path / link).symlink_to(Path(link).name)
    broken = Path(link).stem if link.startswith("configs/") else "web"
    assert_only(tmp_path, ["build"], [expected], broken)


def test_a_fifo_as_the_etcd_ca_key(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            **GOOD,
            "configs/web.yaml": "groups: [etcd]\nnetwork:\n  interface: eth0\n"
            "  addresses: [10.0.0.3/24]\n",
            "secrets/pki/ca.crt": "",
        },
    )
    fifo(tmp_path / "secrets/pki/ca.key")
    expected = [
        "configs/web.yaml:1:10: error: cannot use the etcd CA: secrets/pki/ca.key is not a PEM "
        "key/certificate [bad-pki]"
    ]
    assert_only(tmp_path, ["build"], expected, "web")


def test_configs_may_be_a_link_to_a_checkout_elsewhere(tmp_path: Path) -> None:
    elsewhere = tmp_path / "checkout"
    write_fleet(elsewhere, {"configs/web.yaml": "hostname: web\n"})
    (elsewhere / "configs/www.yaml").symlink_to("web.yaml")
    root = tmp_path / "fleet"
    write_fleet(root, {"overlays/all.yaml": LOGIN})
    (root / "configs").symlink_to(elsewhere / "configs")
    rc, _, err = run(["build"], root)
    assert rc == 1  # web and www are both named web: the link was read
    assert "[duplicate-hostname]" in err and "[path-escape]" not in err


LOCAL = "storage:\n  files:\n    - path: /x\n      contents:\n        local: '{}'\n"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("a;b", "make reads ';' as the start of a recipe"),
        ("a%b", "make reads '%' as a pattern"),
        ("a=b", "make reads '=' as an assignment"),
        ("a*b", "make and the shell read '*' as a wildcard"),
        ("a\\b", "make reads '\\' as an escape"),
    ],
)
def test_a_local_file_name_a_depfile_cannot_hold(tmp_path: Path, name: str, why: str) -> None:
    """Found while fuzzing by hand: the name went into build/<host>.d and
    build/.hosts.mk, and broke (or, with ';', ran a command in) make."""
    write_fleet(tmp_path, {**GOOD, "configs/web.yaml": LOCAL.format(name), f"files/{name}": "x"})
    expected = [
        f"configs/web.yaml:5:16: error: the file name '{name}' cannot be used: {why} "
        "[bad-file-name]"
    ]
    assert_only(tmp_path, ["build"], expected, "web")


def test_a_password_file_name_a_depfile_cannot_hold(tmp_path: Path) -> None:
    user = PASSWORD_USER.replace("core.password", "a;b")
    write_fleet(tmp_path, {**GOOD, "configs/web.yaml": user, "secrets/a;b": "pw\n"})
    expected = [
        "configs/web.yaml:4:22: error: the file name 'secrets/a;b' cannot be used: make reads "
        "';' as the start of a recipe [bad-password-file]"
    ]
    assert_only(tmp_path, ["build"], expected, "web")


def test_colons_and_spaces_in_a_local_file_name_are_escaped(tmp_path: Path) -> None:
    write_fleet(tmp_path, {**GOOD, "configs/web.yaml": LOCAL.format("a: b#$"), "files/a: b#$": "x"})
    build_ok(tmp_path)
    depfile = (tmp_path / "build/web.d").read_text()
    assert "files/a\\:\\ b\\#$$" in depfile
