"""``bmc:`` and ``libvirt:``: the schema and the lint rules, at their file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import LOGIN, heads, run, write_fleet

BMC = "bmc:\n  redfish: https://10.0.0.5\n  username: admin\n  password_file: secrets/bmc/pw\n"


def lint(root: Path, files: dict[str, str], *, private: bool = True) -> tuple[int, list[str]]:
    write_fleet(root, {"overlays/all.yaml": LOGIN, "secrets/bmc/pw": "s3cret\n", **files})
    (root / "secrets/bmc/pw").chmod(0o600 if private else 0o644)
    rc, _out, err = run(["lint", "--format", "text"], root)
    assert "s3cret" not in err
    return rc, heads(err)


def test_a_good_bmc_lints_clean(tmp_path: Path) -> None:
    assert lint(tmp_path, {"configs/a.yaml": BMC}) == (0, [])


@pytest.mark.parametrize(
    ("text", "where", "code"),
    [
        (BMC.replace("https://10.0.0.5", "ftp://10.0.0.5"), "2:12", "bad-bmc-address"),
        (BMC.replace("https://10.0.0.5", "https://root:pw@10.0.0.5"), "2:12", "bad-bmc-address"),
        (BMC.replace("https://10.0.0.5", "https://10.0.0.5/redfish/v1"), "2:12", "bad-bmc-address"),
        (BMC + "  verify_tsl: false\n", "5:3", "unknown-key"),
        (BMC + "  verify_tls: nope\n", "5:15", "wrong-type"),
        (BMC.replace("  username: admin\n", ""), "2:3", "missing-key"),
        ("libvirt: {uri: nowhere, domain: a}\n", "1:16", "bad-libvirt-uri"),
        (
            'libvirt: {uri: "qemu:///system", domain: a, device: cdrom}\n',
            "1:53",
            "bad-libvirt-device",
        ),
        ('libvirt: {uri: "qemu:///system"}\n', "1:10", "missing-key"),
    ],
)
def test_schema_errors_point_at_the_value(tmp_path: Path, text: str, where: str, code: str) -> None:
    rc, found = lint(tmp_path, {"configs/a.yaml": text})
    assert rc == 1
    assert any(
        line.startswith(f"configs/a.yaml:{where}: error:") and f"[{code}]" in line for line in found
    ), found


def test_an_overlay_error_points_at_the_overlay(tmp_path: Path) -> None:
    files = {
        "overlays/bmc.yaml": "bmc:\n  username: admin\n  password_file: secrets/bmc/pw\n"
        "  verify_tls: false\n",
        "configs/a.yaml": "groups: [bmc]\nbmc:\n  redfish: https://10.0.0.5\n",
    }
    rc, found = lint(tmp_path, files)
    assert rc == 0  # a warning only
    assert found == [
        "overlays/bmc.yaml:4:15: warning: verify_tls: false sends the BMC password to whoever "
        "answers at this address; give the BMC's CA in ca_file instead [bmc-insecure-tls]"
    ]


def test_password_file_open_to_others(tmp_path: Path) -> None:
    rc, found = lint(tmp_path, {"configs/a.yaml": BMC}, private=False)
    assert rc == 1
    assert found == [
        "configs/a.yaml:4:18: error: secrets/bmc/pw can be read by its group or others "
        "(mode 0644): chmod 600 it [bmc-password-file]"
    ]


def test_password_file_missing_or_outside_secrets(tmp_path: Path) -> None:
    rc, found = lint(
        tmp_path,
        {
            "configs/a.yaml": BMC.replace("secrets/bmc/pw", "secrets/x"),
            "configs/b.yaml": BMC.replace("secrets/bmc/pw", "/etc/passwd").replace(
                "10.0.0.5", "10.0.0.6"
            ),
        },
    )
    assert rc == 1
    assert [line.split(": error: ")[0] for line in found] == [
        "configs/a.yaml:4:18",
        "configs/b.yaml:4:18",
    ]
    assert all("[bmc-password-file]" in line for line in found)


def test_duplicate_bmc_and_domain(tmp_path: Path) -> None:
    virt = 'libvirt: {uri: "qemu:///system", domain: vm}\n'
    rc, found = lint(
        tmp_path,
        {
            "configs/a.yaml": BMC,
            "configs/b.yaml": BMC.replace("10.0.0.5", "10.0.0.5:443"),
            "configs/c.yaml": BMC + "  system: '1'\n",
            "configs/d.yaml": virt,
            "configs/e.yaml": virt,
        },
    )
    codes = sorted((line.split(":")[0], line.rsplit("[", 1)[1]) for line in found)
    assert rc == 1
    assert codes == [
        ("configs/a.yaml", "duplicate-bmc]"),
        ("configs/b.yaml", "duplicate-bmc]"),
        ("configs/c.yaml", "duplicate-bmc]"),  # no system on a and b: they claim them all
        ("configs/d.yaml", "duplicate-domain]"),
        ("configs/e.yaml", "duplicate-domain]"),
    ]


def test_systems_of_one_bmc_may_be_shared(tmp_path: Path) -> None:
    rc, found = lint(
        tmp_path,
        {"configs/a.yaml": BMC + "  system: '1'\n", "configs/b.yaml": BMC + "  system: '2'\n"},
    )
    assert (rc, found) == (0, [])


def test_both_targets_is_an_error_and_null_resets(tmp_path: Path) -> None:
    virt = 'libvirt: {uri: "qemu:///system", domain: vm}\n'
    files = {
        "overlays/all.yaml": LOGIN + BMC,
        "secrets/bmc/pw": "s3cret\n",
        "configs/a.yaml": virt,
        "configs/b.yaml": "bmc: null\n" + virt.replace("vm", "vb"),
    }
    write_fleet(tmp_path, files)
    (tmp_path / "secrets/bmc/pw").chmod(0o600)
    rc, _out, err = run(["lint", "--format", "text"], tmp_path)
    assert rc == 1
    assert heads(err) == [
        "configs/a.yaml:1:10: error: set either bmc: (a machine's BMC) or libvirt: (a VM), "
        "not both (reset one with 'bmc: null' or 'libvirt: null') [attach-target-conflict]"
    ]


def test_the_bmc_never_reaches_ignition(tmp_path: Path) -> None:
    write_fleet(
        tmp_path, {"overlays/all.yaml": LOGIN, "secrets/bmc/pw": "s3cret\n", "configs/a.yaml": BMC}
    )
    (tmp_path / "secrets/bmc/pw").chmod(0o600)
    assert run(["build"], tmp_path)[0] == 0
    text = (tmp_path / "build" / "a.ign").read_text()
    assert "10.0.0.5" not in text and "secrets/bmc" not in text
