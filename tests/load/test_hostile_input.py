"""Hostile input found by fuzzing (the second round): each case is one exact
diagnostic at the file that set the value, exit 1, and the other hosts built."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import LOGIN, heads, outputs, run, write_fleet

GOOD = "network:\n  interface: eth0\n  addresses: [10.0.0.2/24]\n"


def _build(tmp_path: Path, files: dict[str, str]) -> str:
    write_fleet(tmp_path, {"overlays/all.yaml": LOGIN, "configs/good.yaml": GOOD, **files})
    rc, out, err = run(["build"], tmp_path)
    assert (rc, out) == (1, ""), err
    assert "Traceback" not in err
    assert all(p.exists() for p in outputs(tmp_path, "good"))
    assert not any(p.exists() for p in outputs(tmp_path, "bad"))
    return err


@pytest.mark.parametrize("group", ["1", "true", "2.5"])
def test_a_group_written_as_a_number_still_needs_its_overlay(tmp_path: Path, group: str) -> None:
    """``groups: [1]`` is group '1' (the schema keeps the text): with no
    overlays/1.yaml it was built without any overlay of its groups."""
    err = _build(tmp_path, {"configs/bad.yaml": f"groups: [{group}]\n"})
    assert heads(err) == [
        f"configs/bad.yaml:1:10: error: group '{group}' has no overlay: "
        f"overlays/{group}.yaml does not exist [missing-overlay]"
    ]


def test_a_group_written_as_a_number_reads_its_overlay(tmp_path: Path) -> None:
    write_fleet(tmp_path, {"overlays/1.yaml": "storage:\n  files:\n    - path: etc/x\n"})
    err = _build(tmp_path, {"configs/bad.yaml": "groups: [1]\n"})
    assert heads(err) == [
        "overlays/1.yaml:3:13: error: path 'etc/x' must be absolute (start with /) [relative-path]"
    ]


def test_a_file_of_too_many_values_is_refused_before_it_is_built(tmp_path: Path) -> None:
    """``[x,x,x,...]``: two bytes a value, a few hundred bytes of memory each
    once built; 2,000,000 of them took a minute and a gigabyte."""
    err = _build(tmp_path, {"configs/bad.yaml": "vars:\n  l:\n" + "    - x\n" * 300_000})
    # events: the root mapping, 'vars', its mapping, 'l', the list, then x number k is 5 + k
    assert heads(err) == [
        "configs/bad.yaml:249998:7: error: the file holds more than 250,000 values [yaml-too-large]"
    ]


def test_a_file_over_16_mib_is_not_read(tmp_path: Path) -> None:
    err = _build(tmp_path, {"configs/bad.yaml": "vars:\n  a: " + "x" * (16 << 20) + "\n"})
    assert err == (
        "configs/bad.yaml: error: the file is over 16 MiB, more than hostiso reads "
        "[file-too-large]\n"
    )


def test_a_dangling_symlink_is_an_error_at_the_file(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "bad.yaml").symlink_to("gone.yaml")
    err = _build(tmp_path, {})
    assert (
        err == "configs/bad.yaml: error: cannot read: No such file or directory [file-unreadable]\n"
    )


BMC = (
    "bmc:\n  redfish: {url}\n  username: admin\n  password_file: secrets/bmc/bad\n"
    "network:\n  interface: eth0\n  addresses: [10.0.0.3/24]\n"
)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://admin:hunter2@10.0.0.5",
            "configs/bad.yaml:2:12: error: no credentials in the URL: set bmc.username and "
            "bmc.password_file [bad-bmc-address]",
        ),
        (
            "'https://admin:hunter2@[::1'",
            "configs/bad.yaml:2:12: error: 'https://admin:********@[::1' is not a URL like "
            "https://10.0.0.5 [bad-bmc-address]",
        ),
        (
            "'ftp://admin:hunter2@10.0.0.5'",
            "configs/bad.yaml:2:12: error: 'ftp://admin:********@10.0.0.5' is not a BMC "
            "address like https://10.0.0.5 (https:// or http://) [bad-bmc-address]",
        ),
    ],
)
def test_a_bmc_password_in_a_url_is_never_shown(tmp_path: Path, url: str, message: str) -> None:
    """Not in the message, the quoted line, ``show`` or any format."""
    bmc = tmp_path / "secrets" / "bmc" / "bad"
    bmc.parent.mkdir(parents=True)
    bmc.write_text("pw\n")
    bmc.chmod(0o600)
    err = _build(tmp_path, {"configs/bad.yaml": BMC.format(url=url)})
    assert heads(err) == [message]
    assert err.splitlines()[1] == f" 2 |   redfish: {url.replace('hunter2', '********')}"
    for argv in (["show", "bad"], ["lint", "--format", "json"], ["lint", "--format", "sarif"]):
        rc, out, err = run(argv, tmp_path)
        assert rc == 1
        assert "hunter2" not in out + err
        if argv[0] == "show":
            assert "  redfish: " + url.strip("'").replace("hunter2", "********") in out


def test_show_never_prints_a_plaintext_password(tmp_path: Path) -> None:
    """``password:`` where it does not belong (an unknown key of bmc) is an
    error, and ``show`` still prints the tree: never that value."""
    bad = BMC.format(url="https://10.0.0.5").replace(
        "  username:", "  password: hunter2\n  username:"
    )
    write_fleet(tmp_path, {"configs/bad.yaml": bad})
    rc, out, err = run(["show", "bad"], tmp_path)
    assert rc == 1
    assert "hunter2" not in out + err
    assert "  password: ********\n" in out


FLEET_ONLY = (
    "values that define addresses are rendered before addresses are known; "
    "they see host.name, host.groups, vars and groups only"
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "network:\n  addresses: [\"{{ fleet.hosts['x'].addresses[0] }}\"]\n",
            "configs/bad.yaml:2:15: error: undefined in template: 'fleet' is undefined; "
            f"{FLEET_ONLY} [template-undefined]",
        ),
        (
            'storage:\n  files:\n    - path: "{{ nope }}"\n',
            "configs/bad.yaml:3:13: error: undefined in template: 'nope' is undefined "
            "[template-undefined]",
        ),
    ],
)
def test_a_value_whose_template_failed_has_that_one_error(
    tmp_path: Path, value: str, expected: str
) -> None:
    """Not also an error about its unrendered text ('{{ ... }}' is no address)."""
    err = _build(tmp_path, {"configs/bad.yaml": value})
    assert [h for h in heads(err) if h.startswith("configs/bad.yaml")] == [expected]
