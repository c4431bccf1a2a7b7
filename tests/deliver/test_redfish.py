"""``hostiso attach`` against a real Redfish service: the sushy-tools emulator.

One emulator (fake driver, basic auth) and one ``hostiso serve`` for the
module; the emulator downloads every image from that server, so the bytes
it stored are compared with ``out/<host>.iso``.  A recording proxy in front
plays BMC quirks per system (see ``bmc.py``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bmc import PASSWORD, USER, Emulator, Proxy, emulator_binary, start_serve, stop, system_id

from conftest import LOGIN, run, write_fleet

pytestmark = pytest.mark.skipif(emulator_binary() is None, reason="sushy-tools is not installed")

HOSTS = {  # host -> (system number, proxy quirk or None)
    "n1": (1, None),
    "n2": (2, None),
    "busy": (3, "fail-once"),
    "smc": (4, "no-inserted"),
    "proto": (5, "needs-protocol"),
    "old": (6, "manager-vmedia"),
}
ON = 2  # n2 is powered on: --reset restarts it


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = Emulator(tmp_path_factory.mktemp("emulator"), systems=8, powers={ON: "On"}).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="module")
def proxy(emulator: Emulator) -> Iterator[Proxy]:
    px = Proxy(emulator.port)
    for number, quirk in HOSTS.values():
        if quirk:
            px.quirk(system_id(number), quirk)
    try:
        yield px
    finally:
        px.close()


def _host(number: int, bmc_url: str, password_file: str = "secrets/bmc/pw") -> str:
    return (
        f"network: {{interface: eth0, addresses: [192.168.1.{10 + number}/24]}}\n"
        f"bmc:\n  redfish: {bmc_url}\n  username: {USER}\n"
        f"  password_file: {password_file}\n  system: {system_id(number)}\n"
    )


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, proxy: Proxy) -> Path:
    root = tmp_path_factory.mktemp("fleet")
    files = {"overlays/all.yaml": LOGIN, "secrets/bmc/pw": PASSWORD + "\n"}
    files.update({f"configs/{h}.yaml": _host(n, proxy.url) for h, (n, _) in HOSTS.items()})
    write_fleet(root, files)
    (root / "secrets/bmc/pw").chmod(0o600)
    rc, _out, err = run(["build"], root)
    assert rc == 0, err
    return root


@pytest.fixture(scope="module")
def served(fleet: Path) -> Iterator[object]:
    server = start_serve(fleet)
    try:
        yield server
    finally:
        stop(server.proc)


@pytest.fixture(scope="module")
def attached(fleet: Path, served: object) -> tuple[int, str, str]:
    url = served.url  # type: ignore[attr-defined]
    argv = ["attach", "--url-base", url, "--boot-once", "--reset", "--backoff", "0.05"]
    return run(argv, fleet)


def _lines(out: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in out.splitlines())


def test_every_host_is_attached(attached: tuple[int, str, str]) -> None:
    rc, out, err = attached
    assert rc == 0, (out, err)
    lines = _lines(out)
    assert sorted(lines) == sorted(HOSTS)
    assert all(text.startswith("ok: ") for text in lines.values()), out


def test_the_emulator_fetched_the_bytes(
    attached: tuple[int, str, str], emulator: Emulator, fleet: Path, served: object
) -> None:
    stored = {p.name: p.read_bytes() for p in emulator.downloads.rglob("*.iso")}
    for host in HOSTS:
        assert stored[f"{host}.iso"] == (fleet / "out" / f"{host}.iso").read_bytes()
    log = "\n".join(served.lines())  # type: ignore[attr-defined]
    size = (fleet / "out" / "n1.iso").stat().st_size
    assert f"GET /n1.iso range=- 200 {size} bytes" in log


def test_media_state_is_inserted_with_the_url(
    attached: tuple[int, str, str], emulator: Emulator, served: object
) -> None:
    for host, (number, _) in HOSTS.items():
        status, media = emulator.get(f"/redfish/v1/Systems/{system_id(number)}/VirtualMedia/Cd")
        assert status == 200
        assert media["Inserted"] is True, host
        assert media["Image"] == f"{served.url}/{host}.iso"  # type: ignore[attr-defined]


def test_boot_override_is_cd_once(
    attached: tuple[int, str, str], emulator: Emulator, proxy: Proxy
) -> None:
    number = HOSTS["n1"][0]
    _, system = emulator.get(f"/redfish/v1/Systems/{system_id(number)}")
    assert system["Boot"]["BootSourceOverrideTarget"] == "Cd"
    # the emulator always reports "Continuous": what was asked is read at the proxy
    boots = [r.body["Boot"] for r in proxy.requests_for(system_id(number), "PATCH")]
    assert [(b["BootSourceOverrideTarget"], b["BootSourceOverrideEnabled"]) for b in boots] == [
        ("Cd", "Once")
    ]


def test_basic_auth_is_required(emulator: Emulator) -> None:
    status, _ = emulator.get(f"/redfish/v1/Systems/{system_id(1)}", auth=False)
    assert status == 401


def test_quirks_were_met(attached: tuple[int, str, str], proxy: Proxy) -> None:
    lines = _lines(attached[1])
    assert "retr" in lines["busy"] and "The BMC is busy" in lines["busy"]
    assert "without Inserted/WriteProtected" in lines["smc"]
    assert "TransferProtocolType HTTP" in lines["proto"]
    assert f"/Managers/{system_id(6)}" not in lines["old"]  # the emulator's Manager links back
    gets = [r.path for r in proxy.requests_for(system_id(6), "GET")]
    assert f"/redfish/v1/Managers/{system_id(6)}" in gets


def test_eject(
    tmp_path: Path, fleet: Path, emulator: Emulator, proxy: Proxy, served: object
) -> None:
    """On a system of its own: the module's attached systems keep their media
    for the other tests, in whatever order they run."""
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN,
            "secrets/bmc/pw": PASSWORD + "\n",
            "configs/n1.yaml": _host(8, proxy.url),
        },
    )
    (tmp_path / "secrets/bmc/pw").chmod(0o600)
    _copy_isos(fleet, tmp_path, "n1")
    rc, out, err = run(["attach", "--url-base", served.url], tmp_path)  # type: ignore[attr-defined]
    assert rc == 0, (out, err)
    cd = f"/redfish/v1/Systems/{system_id(8)}/VirtualMedia/Cd"
    assert emulator.get(cd)[1]["Inserted"] is True
    rc, out, err = run(["attach", "n1", "--eject"], tmp_path)
    assert rc == 0, err
    assert _lines(out)["n1"].startswith("ok: ejected from ")
    _, media = emulator.get(cd)
    assert media["Inserted"] is False
    assert not media["Image"]


def test_wrong_password_fails_that_host_only(
    tmp_path: Path, fleet: Path, proxy: Proxy, served: object
) -> None:
    wrong = "Wr0ng-And-Secret"
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN,
            "secrets/bmc/wrong": wrong + "\n",
            "secrets/bmc/pw": PASSWORD + "\n",
            "configs/n2.yaml": _host(7, proxy.url, "secrets/bmc/wrong"),
            "configs/n1.yaml": _host(8, proxy.url),
        },
    )
    for name in ("wrong", "pw"):
        (tmp_path / "secrets/bmc" / name).chmod(0o600)
    _copy_isos(fleet, tmp_path, "n1", "n2")  # served by the module's server
    rc, out, err = run(["attach", "--url-base", served.url], tmp_path)  # type: ignore[attr-defined]
    assert rc == 1, (out, err)
    lines = _lines(out)
    assert lines["n1"].startswith("ok: ")
    assert lines["n2"].startswith("error: connect: the BMC at ")
    assert "refused the username or password (HTTP 401)" in lines["n2"]
    assert wrong not in out + err and PASSWORD not in out + err


def _copy_isos(src: Path, dst: Path, *hosts: str) -> None:
    (dst / "out").mkdir(exist_ok=True)
    for host in hosts:
        (dst / "out" / f"{host}.iso").write_bytes((src / "out" / "n1.iso").read_bytes())


@pytest.fixture
def silent_bmc() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def test_unreachable_bmc_times_out_and_others_succeed(
    tmp_path: Path, fleet: Path, proxy: Proxy, served: object, silent_bmc: int
) -> None:
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN,
            "secrets/bmc/pw": PASSWORD + "\n",
            "configs/n2.yaml": _host(7, f"http://127.0.0.1:{silent_bmc}"),
            "configs/n1.yaml": _host(8, proxy.url),
        },
    )
    (tmp_path / "secrets/bmc/pw").chmod(0o600)
    _copy_isos(fleet, tmp_path, "n1", "n2")
    # The timeout holds for n1 too: its answers through the proxy took up to
    # 0.75 s with the machine loaded (load 16), so 3 s, and a retry.
    url = served.url  # type: ignore[attr-defined]
    argv = ["attach", "--url-base", url, "--timeout", "3", "--retries", "1", "--backoff", "0.05"]
    rc, out, _err = run(argv, tmp_path)
    lines = _lines(out)
    assert rc == 1
    assert lines["n1"].startswith("ok: ")
    assert lines["n2"] == (
        f"error: connect: the BMC at http://127.0.0.1:{silent_bmc} did not answer in time"
    )


def test_parallel_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from hostiso.deliver import runner
    from hostiso.deliver.targets import Job, Libvirt

    changed, active, peak = threading.Condition(), [0], [0]

    def work(job: Job) -> str:
        # The first jobs wait for each other (not for a clock: a loaded machine
        # may start a thread late), so the bound is reached if it is allowed.
        with changed:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
            changed.notify_all()
            changed.wait_for(lambda: peak[0] >= 5, timeout=60)
        threading.Event().wait(0.002)
        with changed:
            active[0] -= 1
        return "done"

    jobs = [Job(f"h{i}", Libvirt("test:///default", f"d{i}"), None) for i in range(40)]
    outcomes = runner.run(jobs, work, 5, lambda o: None)
    assert len(outcomes) == 40 and all(o.ok for o in outcomes)
    assert peak[0] == 5


def test_reset_powers_on_or_restarts(
    attached: tuple[int, str, str], emulator: Emulator, proxy: Proxy
) -> None:
    def resets(number: int) -> list[tuple[str, int]]:
        posts = proxy.requests_for(system_id(number), "POST")
        return [(r.body["ResetType"], r.status) for r in posts if r.path.endswith(".Reset")]

    assert resets(1) == [("On", 204)]  # n1 was off
    assert resets(ON) == [("ForceRestart", 204)]
    # the fake driver applies a power change 1 to 11 s after the request, as
    # hardware would (this test comes last in the module: those seconds have
    # mostly passed); a loaded machine may answer late, so the wait is generous
    deadline = time.monotonic() + 120
    while emulator.get(f"/redfish/v1/Systems/{system_id(1)}")[1]["PowerState"] != "On":
        assert time.monotonic() < deadline, "n1 never came on"
        time.sleep(0.5)
