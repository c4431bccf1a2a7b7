"""``hostiso attach`` before it talks to anything: usage errors, the plan, the pieces."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sushy import exceptions as sx

from conftest import LOGIN, run, write_fleet
from hostiso.deliver import bootorder, errors, policy
from hostiso.deliver.errors import DeliverError

BMC = "bmc: {redfish: 'https://10.0.0.5', username: admin, password_file: secrets/bmc/pw}\n"


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN,
            "secrets/bmc/pw": "s3cret\n",
            "configs/bm.yaml": BMC,
            "configs/plain.yaml": "hostname: plain\n",
        },
    )
    (tmp_path / "secrets/bmc/pw").chmod(0o600)
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["attach", "nope"], "no such host: nope"),
        (["attach", "--parallel", "0"], "--parallel must be from 1 to 256"),
        (["attach", "--retries", "11"], "--retries must be from 0 to 10"),
        (["attach", "--timeout", "0"], "--timeout must be positive"),
        (["attach", "--eject", "--boot-once"], "do not go together"),
        (["attach", "--url-base", "ftp://x"], "is not an http:// or https:// URL"),
        (["attach", "--url-base", "http://u:p@x"], "must not carry credentials"),
        (["attach"], "--url-base is required: 1 hosts have a bmc:"),
        (["attach", "--media", "dvd"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(fleet: Path, argv: list[str], message: str) -> None:
    rc, out, err = run(argv, fleet)
    assert rc == 2 and out == ""
    assert message in err


def test_missing_iso_and_hosts_without_target(fleet: Path) -> None:
    rc, out, err = run(["attach", "--url-base", "http://10.0.0.1:8000"], fleet)
    assert (rc, err) == (1, "")
    assert sorted(out.splitlines()) == [
        "bm: error: out/bm.iso does not exist: build it with `hostiso build bm`",
        "plain: skipped: no bmc: or libvirt: section",
    ]


def test_a_named_host_without_target_fails(fleet: Path) -> None:
    rc, out, _err = run(["attach", "plain"], fleet)
    assert (rc, out) == (1, "plain: error: no bmc: or libvirt: section\n")


def test_section_errors_fail_the_host_with_their_diagnostic(fleet: Path) -> None:
    (fleet / "secrets/bmc/pw").chmod(0o640)
    rc, out, err = run(["attach", "bm", "--eject"], fleet)
    assert rc == 1
    assert out == "bm: error: its bmc: or libvirt: has errors (above)\n"
    assert "configs/bm.yaml:1:" in err and "[bmc-password-file]" in err and "s3cret" not in err


# --- the pieces ---------------------------------------------------------------

OS_BOOT = (
    "<domain><os><type>hvm</type><boot dev='network'/><boot dev='hd'/></os><devices>"
    "<disk device='disk'><target dev='vda'/></disk>"
    "<disk device='cdrom'><target dev='hdc'/></disk>"
    "<disk device='cdrom'><target dev='hdd'/></disk>"
    "<interface type='network'><mac address='52:54:00:00:00:01'/></interface>"
    "</devices></domain>"
)
PER_DEVICE = (
    "<domain><os><type>hvm</type></os><devices>"
    "<disk device='disk'><target dev='vdb'/><boot order='2'/></disk>"
    "<disk device='disk'><target dev='vda'/><boot order='1'/></disk>"
    "<disk device='cdrom'><target dev='sdb'/><boot order='3'/></disk>"
    "</devices></domain>"
)


def test_cd_first_from_os_boot() -> None:
    xml = bootorder.cd_first(OS_BOOT, "hdd")
    assert bootorder.boot_order(xml) == ["hdd", "interface", "vda"]
    assert ET.fromstring(xml).find("os/boot") is None


def test_cd_first_from_per_device_order() -> None:
    assert bootorder.boot_order(bootorder.cd_first(PER_DEVICE, "sdb")) == ["sdb", "vda", "vdb"]


def test_cd_first_default_is_the_disk() -> None:
    xml = OS_BOOT.replace("<boot dev='network'/><boot dev='hd'/>", "")
    assert bootorder.boot_order(bootorder.cd_first(xml, "hdc")) == ["hdc", "vda"]


def test_cd_first_needs_the_drive() -> None:
    with pytest.raises(bootorder.BootOrderError):
        bootorder.cd_first(OS_BOOT, "sdz")


def test_retries_transient_errors_with_backoff() -> None:
    slept: list[float] = []
    calls = iter([DeliverError("busy", transient=True), DeliverError("busy", transient=True)])

    def flaky() -> str:
        failure = next(calls, None)
        if failure is not None:
            raise failure
        return "done"

    rules = policy.Policy(retries=3, backoff=1.0, sleep=slept.append)
    reasons: list[str] = []
    assert policy.retrying(rules, flaky, reasons.append) == ("done", 2)
    assert reasons == ["busy", "busy"] and 1.0 <= slept[0] < 1.3 and 2.0 <= slept[1] < 2.3
    assert policy.retried(reasons) == ["2 retries (last: busy)"]


def test_final_errors_are_not_retried() -> None:
    def wrong() -> str:
        raise DeliverError("wrong password")

    with pytest.raises(DeliverError):
        policy.retrying(policy.Policy(sleep=lambda _s: None), wrong)


def test_redact() -> None:
    assert errors.redact("user admin password hunter2", "hunter2") == "user admin password ****"


class _Response:
    status_code = 401

    @staticmethod
    def json() -> dict[str, object]:
        return {"error": {"code": "Base.1.0.GeneralError", "message": "Unauthorized"}}


def test_access_errors_say_what_to_check() -> None:
    exc = sx.AccessError("GET", "https://10.0.0.5/redfish/v1/Systems", _Response())
    found = errors.from_sushy(exc, "https://10.0.0.5")
    assert not found.transient
    assert found.message == (
        "the BMC at https://10.0.0.5 refused the username or password (HTTP 401); "
        "check bmc.username and bmc.password_file"
    )


def test_progress_bar_only_on_a_terminal() -> None:
    import io

    from hostiso.deliver.progress import Progress

    out, bar = io.StringIO(), io.StringIO()
    shown = Progress(bar, 2, enabled=True)
    shown.line(out, "a: ok: x", ok=True)
    shown.line(out, "b: error: y", ok=False)
    shown.close()
    assert out.getvalue() == "a: ok: x\nb: error: y\n"
    assert "[###############...............] 1/2" in bar.getvalue()
    quiet = io.StringIO()
    Progress(quiet, 2, enabled=False).line(out, "c: ok: z", ok=True)
    assert quiet.getvalue() == ""
