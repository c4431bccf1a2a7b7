"""A BMC over HTTPS with a certificate from a private CA: why ``ca_file`` is needed.

The emulator serves HTTPS with a certificate for 127.0.0.1 signed by a CA
made here (hostiso's own PKI code); one host names that CA in ``ca_file``,
one does not, one turns checking off.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bmc import PASSWORD, USER, Emulator, emulator_binary, start_serve, stop, system_id

from conftest import LOGIN, run, write_fleet
from hostiso.crypto import pki

pytestmark = pytest.mark.skipif(emulator_binary() is None, reason="sushy-tools is not installed")


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, Path]]:
    work = tmp_path_factory.mktemp("tls")
    now = datetime.now(UTC)
    ca = pki.init_ca(work / "pki", now=now)
    cert = pki.issue(ca, work / "pki", "bmc", "server", ["localhost"], ["127.0.0.1"], now=now)
    assert cert is not None
    pair = (work / "pki" / "bmc-server.crt", work / "pki" / "bmc-server.key")
    emulator = Emulator(work / "emulator", systems=3, tls=pair)
    emulator.workdir.mkdir()
    emulator.start()
    try:
        yield emulator, work / "pki" / pki.CA_CERT_FILE
    finally:
        emulator.stop()


def test_ca_file_is_what_makes_https_work(tmp_path: Path, secure: tuple[Emulator, Path]) -> None:
    emulator, ca_cert = secure
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "bmc-ca.pem").write_bytes(ca_cert.read_bytes())
    extra = {
        "trusted": "  ca_file: secrets/bmc-ca.pem\n",
        "unknown": "",
        "unchecked": "  verify_tls: false\n",
    }
    files = {"overlays/all.yaml": LOGIN, "secrets/bmc/pw": PASSWORD + "\n"}
    for number, (host, line) in enumerate(extra.items(), start=1):
        files[f"configs/{host}.yaml"] = (
            f"network: {{interface: eth0, addresses: [192.168.1.{number}/24]}}\n"
            f"bmc:\n  redfish: {emulator.url}\n  username: {USER}\n"
            f"  password_file: secrets/bmc/pw\n  system: {system_id(number)}\n{line}"
        )
    write_fleet(tmp_path, files)
    (tmp_path / "secrets/bmc/pw").chmod(0o600)
    assert run(["build"], tmp_path)[0] == 0
    served = start_serve(tmp_path)
    try:
        rc, out, err = run(["attach", "--url-base", served.url], tmp_path)
    finally:
        stop(served.proc)
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert rc == 1
    assert lines["trusted"].startswith("ok: ")
    assert lines["unchecked"].startswith("ok: ")
    assert lines["unknown"] == (
        f"error: connect: TLS to {emulator.url} failed: its certificate is not signed by a "
        "trusted CA; give the CA that signed the BMC's certificate in bmc.ca_file"
    )
    assert "[bmc-insecure-tls]" in err  # the warning of verify_tls: false, at its line
