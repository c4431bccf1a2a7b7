"""Real operators' Container Linux Configs against the real ct and the real Ignition.

tests/realworld/ holds configs from public repositories and docs (README.md
there names each source), with the Ignition JSON the real ct wrote for each
(``*.ign``) and ct's exit code and warnings (``expected.json``), regenerated
by tests/realworld_regen.py from a ct binary built from its source.

For each config: ``hostiso transpile`` writes ct's bytes and every warning ct
gives (same line, column and message); its spec 3.3.0 output passes Debian's
``ignition-validate``; and the real Ignition binary applies it to a directory
tree that must be what Flatcar's 2.x engine writes for ct's own 2.3.0 output
(tests/ign2_model.py), file by file.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import ign2_model
import ignition2_apply
from conftest import REPO, run
from hostiso import cli
from ignition_apply import Entry, applied, snapshot, unavailable

HERE = REPO / "tests" / "realworld"
EXPECTED: dict[str, dict[str, Any]] = json.loads((HERE / "expected.json").read_text())
NAMES = sorted(EXPECTED)
VALIDATE = shutil.which("ignition-validate")
_DIAG = re.compile(r"^\S+?:(\d+):(\d+): (warning|error): (.*) \[[a-z0-9-]+\]$")

SPEC3_REFUSED = {
    # mount.create is gone from spec 3 (docs/spec3.md): an error at its line.
    "ct-test-storage": {"spec3-removed"},
    "kola-root-on-raid": {"spec3-removed"},
    "matchbox-format-disk": {"spec3-removed"},
    "matchbox-k8s-worker": {"spec3-removed"},
}


def transpile(name: str, *argv: str) -> tuple[int, bytes, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["transpile", *EXPECTED[name]["flags"], *argv, "-in-file", str(HERE / f"{name}.yaml")]
    rc = cli.main(args, stdin=io.StringIO(""), stdout=out, stderr=err)
    return rc, out.getvalue().encode("utf-8"), err.getvalue()


def diagnostics(stderr: str) -> list[tuple[str, int, int, str]]:
    found = (_DIAG.match(line) for line in stderr.splitlines())
    return [(m[3], int(m[1]), int(m[2]), m[4]) for m in found if m]


def test_there_are_twenty_real_configs() -> None:
    assert len(NAMES) >= 20
    readme = (HERE / "README.md").read_text()
    for name in NAMES:
        assert f"`{name}`" in readme, f"{name}: no source in tests/realworld/README.md"
        assert (HERE / f"{name}.yaml").read_text().startswith("# source: ")


@pytest.mark.parametrize("name", NAMES)
def test_transpile_writes_ct_bytes_and_warnings(name: str) -> None:
    rc, out, err = transpile(name)
    assert (rc, EXPECTED[name]["rc"]) == (0, 0), err
    assert out == (HERE / f"{name}.ign").read_bytes()
    ours = {(kind, line, message) for kind, line, _, message in diagnostics(err)}
    for kind, line, _, message in EXPECTED[name]["diagnostics"]:
        # columns: ct puts a unit's warning at the list's dash, hostiso at the unit
        assert (kind, line, message) in ours, f"ct's {kind} missing: {message}\n{err}"


@pytest.mark.parametrize("name", NAMES)
def test_spec3_output_passes_ignition_validate(name: str, tmp_path: Path) -> None:
    rc, out, err = transpile(name, "-spec", "3.3.0")
    if name in SPEC3_REFUSED:
        codes = set(re.findall(r"error: .* \[([a-z0-9-]+)\]$", err, re.M))
        assert (rc, codes) == (1, SPEC3_REFUSED[name])
        return
    assert rc == 0, err
    if VALIDATE is None:
        pytest.skip("ignition-validate (Debian package ignition) missing")
    config = tmp_path / f"{name}.ign"
    config.write_bytes(out)
    done = subprocess.run([VALIDATE, str(config)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


# -- the same configs as host files of a fleet ------------------------------------

BUILD_REFUSED = {
    # a DES or an MD5 hash: an error in a fleet, a warning in transpile
    "kubernikus-node": "bad-password-hash",
    "packer-vagrant-users": "bad-password-hash",
    # docker info -f '{{.CgroupDriver}}': host files are jinja2 templates
    "lokomotive-packet-worker": "template-syntax",
}


def _without_hostname(config: dict[str, Any], host: str) -> dict[str, Any]:
    """``config`` without the ``/etc/hostname`` every host gets from its name."""
    files = config["storage"].get("files", [])
    mine = {"path": "/etc/hostname", "source": f"data:,{host}%0A"}
    kept = [f for f in files if {"path": f["path"], "source": f["contents"]["source"]} != mine]
    storage = {k: v for k, v in config["storage"].items() if k != "files"}
    return {**config, "storage": {**storage, **({"files": kept} if kept else {})}}


def test_build_of_the_configs_as_hosts_gives_ct_output(tmp_path: Path) -> None:
    """``hostiso build`` on the configs as host files: ct's output and the hostname file."""
    hosts = [n for n in NAMES if not EXPECTED[n]["flags"]]  # no fleet has a cloud platform
    (tmp_path / "configs").mkdir()
    for name in hosts:
        shutil.copy(HERE / f"{name}.yaml", tmp_path / "configs")
    rc, _, err = run(["build"], tmp_path, env={"SOURCE_DATE_EPOCH": "0"})
    codes = set(re.findall(r"error: .* \[([a-z-]+)\]$", err, re.M))
    assert rc == 1 and codes == set(BUILD_REFUSED.values()), err
    assert "{{.Field}} is Go template syntax" in err
    for name in hosts:
        built = tmp_path / "build" / f"{name}.ign"
        if name in BUILD_REFUSED:
            assert not built.exists()
            continue
        ct_config = json.loads((HERE / f"{name}.ign").read_text())
        assert _without_hostname(json.loads(built.read_text()), name) == ct_config, name


# -- applied by the real Ignition ------------------------------------------------


def _why_not_applied(name: str, ct_config: dict[str, Any], engine: int = 3) -> str | None:
    """Why a config cannot be applied to a directory tree here by Ignition
    ``engine`` (3: Debian's, on hostiso's 3.3.0 output; 2: Flatcar's 2.x, on
    the 2.3.0 output), or None."""
    if engine == 3 and name in SPEC3_REFUSED:
        return "refused in spec 3"
    if ct_config["ignition"]["config"]:
        return "fetches another config"
    storage = ct_config["storage"]
    for item in storage.get("files", []):
        if item["filesystem"] != "root":
            return "writes to another filesystem than root"
        if not item["contents"]["source"].startswith("data:"):
            return "fetches a file over the network"
    if any(u.get("noCreateHome") and u.get("sshAuthorizedKeys") for u in _users(ct_config)):
        return "keys-without-home: the real Ignition refuses it (test below)"
    if engine == 3 and any(
        "@." in unit["name"] and unit.get("enabled")
        for unit in ct_config["systemd"].get("units", [])
    ):
        return "enables a template unit: Ignition asks the running systemd, which a tree lacks"
    return None


def _users(ct_config: dict[str, Any]) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = ct_config["passwd"].get("users", [])
    return users


def _groups(name: str) -> tuple[str, ...]:
    """The groups a config adds users to: a machine has them, the test root must too."""
    users = json.loads((HERE / f"{name}.ign").read_text())["passwd"].get("users", [])
    return tuple(sorted({g for user in users for g in user.get("groups") or []}))


APPLIED_2X = [
    n for n in NAMES if _why_not_applied(n, json.loads((HERE / f"{n}.ign").read_text()), 2) is None
]
APPLIED = [
    n for n in NAMES if _why_not_applied(n, json.loads((HERE / f"{n}.ign").read_text())) is None
]


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Entry]]:
    why = unavailable()
    if why is not None:
        pytest.skip(why)
    work, out = tmp_path_factory.mktemp("realworld"), {}
    for name in APPLIED:
        rc, data, err = transpile(name, "-spec", "3.3.0")
        assert rc == 0, err
        (work / f"{name}.ign").write_bytes(data)
        with applied(work / f"{name}.ign", _groups(name)) as root:
            out[name] = snapshot(root)
    return out


def test_most_real_configs_are_applied() -> None:
    assert len(APPLIED) >= 15


def _owner_ids(tree: dict[str, Entry], owner: tuple[Any, Any]) -> tuple[int, int]:
    def table(path: str) -> dict[str, list[str]]:
        return {line.split(":")[0]: line.split(":") for line in tree[path].text.splitlines()}

    uid = owner[0] if isinstance(owner[0], int) else int(table("etc/passwd")[owner[0]][2])
    gid = owner[1] if isinstance(owner[1], int) else int(table("etc/group")[owner[1]][2])
    return uid, gid


USERADD = ("etc/passwd", "etc/group", "etc/shadow", "etc/gshadow", "etc/selinux", "home")


@pytest.mark.slow
@pytest.mark.parametrize("name", APPLIED)
def test_real_ignition_writes_what_ct_config_asks(
    name: str, trees: dict[str, dict[str, Entry]]
) -> None:
    """The spec 3 tree the real Ignition wrote == the 2.x engine's for ct's 2.3.0 output."""
    ct_config = json.loads((HERE / f"{name}.ign").read_text())
    model, tree, problems = ign2_model.expected_tree(ct_config), trees[name], []
    for path, want in model.items():
        got = tree.get(path)
        if got is None:
            problems.append(f"{path}: missing")
        elif path == ign2_model.PRESET:  # the order of the lines differs (docs/spec3.md)
            if sorted(got.text.splitlines()) != sorted(want.data.decode().splitlines()):
                problems.append(f"{path}: {got.text!r} != {want.data.decode()!r}")
        elif (got.kind, got.mode, (got.uid, got.gid), got.data) != (
            (want.kind, 0o755, (0, 0), b"")  # 3.x: a directory's parents are 0755, root's
            if want.implied_by
            else (want.kind, want.mode, _owner_ids(tree, want.owner), want.data)
        ):
            problems.append(f"{path}: {got} != {want}")
    extra = [p for p in tree if p not in model and not p.startswith(USERADD) and p != "etc"]
    assert not problems and not extra, "\n".join(problems + [f"{p}: not asked for" for p in extra])
    for user in ign2_model.users(ct_config).values():
        _check_user(tree, user)


def _check_user(tree: dict[str, Entry], user: dict[str, Any]) -> None:
    """The user's line in passwd, shadow and group, and its SSH keys."""

    def table(path: str) -> dict[str, list[str]]:
        return {line.split(":")[0]: line.split(":") for line in tree[path].text.splitlines()}

    name = user["name"]
    entry = table("etc/passwd")[name]
    assert entry[5] == user.get("homeDir", f"/home/{name}") and entry[6] == user.get(
        "shell", entry[6]
    )
    if user.get("passwordHash"):
        assert table("etc/shadow")[name][1] == user["passwordHash"]
    for group in user.get("groups") or []:
        assert name in table("etc/group")[group][3].split(",")
    keys = tree.get(f"home/{name}/.ssh/authorized_keys.d/ignition")
    assert (keys.text.splitlines() if keys else []) == (user.get("sshAuthorizedKeys") or [])


@pytest.mark.slow
@pytest.mark.parametrize("name", APPLIED_2X)
def test_flatcar_ignition_2x_writes_the_model(name: str) -> None:
    """ct's (= hostiso's) 2.3.0 output applied by Flatcar's real 2.x engine is
    what tests/ign2_model.py says, parents of directories included."""
    why = ignition2_apply.unavailable()
    if why is not None:
        pytest.skip(why)
    ct_config = json.loads((HERE / f"{name}.ign").read_text())
    with ignition2_apply.applied(HERE / f"{name}.ign", _groups(name)) as root:
        problems = ign2_model.engine_differences(ct_config, snapshot(root))
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_keys_without_home_fail_in_the_real_ignition_as_hostiso_warns(tmp_path: Path) -> None:
    """ct's own docs example: a new user with keys and ``no_create_home``."""
    why = unavailable()
    if why is not None:
        pytest.skip(why)
    rc, data, err = transpile("ct-doc-users", "-spec", "3.3.0")
    assert rc == 0 and "[keys-without-home]" in err
    (tmp_path / "c.ign").write_bytes(data)
    failing = pytest.raises(AssertionError, match="creating parent dirs")
    with failing, applied(tmp_path / "c.ign", _groups("ct-doc-users")):
        pass


@pytest.mark.slow
def test_keys_without_home_fail_in_flatcar_ignition_2x_too() -> None:
    why = ignition2_apply.unavailable()
    if why is not None:
        pytest.skip(why)
    failing = pytest.raises(AssertionError, match='adding ssh keys to user "user1"')
    with failing, ignition2_apply.applied(HERE / "ct-doc-users.ign", _groups("ct-doc-users")):
        pass


def test_cloud_config_keys_say_where_they_went(tmp_path: Path) -> None:
    """ct drops cloud-config's ``command: start`` with a warning (and the unit
    is still enabled); hostiso refuses it and says what to write."""
    config = tmp_path / "c.yaml"
    config.write_text(
        "systemd:\n  units:\n    - name: a.service\n      command: start\n      enable: true\n"
    )
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(["transpile", "-in-file", str(config)], stdout=out, stderr=err)
    assert rc == 1 and out.getvalue() == ""
    assert "c.yaml:4:7: error: unknown key 'command': `command: start` is cloud-config;" in (
        err.getvalue()
    )
