"""``hostiso attach`` on libvirt domains, through a real libvirtd (see ``virt.py``).

The test driver (``test:///default``) keeps no state between two virsh
calls, so a real daemon is started for the module; every domain is read
back with ``virsh dumpxml --inactive``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from virt import Libvirtd, missing

from conftest import LOGIN, run, write_fleet
from hostiso.deliver.bootorder import boot_order

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))

TAG = secrets.token_hex(3)
WITH_CD, WITHOUT_CD, MISSING = f"hostiso-cd-{TAG}", f"hostiso-nocd-{TAG}", f"hostiso-none-{TAG}"


def domain_xml(name: str, disk: Path, *, cd: bool) -> str:
    cdrom = (
        "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
        "<target dev='hdc' bus='ide'/><readonly/></disk>"
        if cd
        else ""
    )
    boot, disk_boot = ("<boot dev='hd'/>", "") if cd else ("", "<boot order='1'/>")
    return (
        f"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        f"<os><type arch='x86_64' machine='pc'>hvm</type>{boot}</os><devices>"
        "<emulator>/usr/bin/qemu-system-x86_64</emulator>"
        f"<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
        f"<source file='{disk}'/><target dev='vda' bus='virtio'/>{disk_boot}</disk>"
        f"{cdrom}</devices></domain>"
    )


@pytest.fixture(scope="module")
def libvirtd() -> Iterator[Libvirtd]:
    # not under pytest's 0700 tmp: QEMU runs as libvirt-qemu and must reach the disk image
    work = Path(tempfile.mkdtemp(prefix="hostiso-libvirt-"))
    work.chmod(0o755)
    daemon = Libvirtd(work).start()
    disk = work / "disk.img"
    disk.write_bytes(b"\0" * 1024 * 1024)
    try:
        for name, cd in ((WITH_CD, True), (WITHOUT_CD, False)):
            path = work / f"{name}.xml"
            path.write_text(domain_xml(name, disk, cd=cd))
            daemon.virsh("define", str(path))
        yield daemon
    finally:
        for name in (WITH_CD, WITHOUT_CD):
            daemon.virsh("destroy", name, check=False)
            daemon.virsh("undefine", name, check=False)
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def fleet(libvirtd: Libvirtd) -> Path:
    root = libvirtd.workdir / "fleet"  # QEMU (libvirt-qemu) opens out/<host>.iso here
    files = {"overlays/all.yaml": LOGIN}
    for number, (host, domain) in enumerate(
        (("vm1", WITH_CD), ("vm2", WITHOUT_CD), ("vm3", MISSING)), start=1
    ):
        files[f"configs/{host}.yaml"] = (
            f"network: {{interface: eth0, addresses: [192.168.1.{number}/24]}}\n"
            f'libvirt: {{uri: "{libvirtd.uri}", domain: {domain}}}\n'
        )
    write_fleet(root, files)
    rc, _out, err = run(["build"], root)
    (root / "out").chmod(0o755)
    assert rc == 0, err
    return root


def inactive(daemon: Libvirtd, name: str) -> str:
    return daemon.virsh("dumpxml", "--inactive", name).stdout


def sources(xml: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for disk in ET.fromstring(xml).iter("disk"):
        target = disk.find("target")
        source = disk.find("source")
        assert target is not None
        out[target.get("dev", "")] = source.get("file") if source is not None else None
    return out


def test_attach_inserts_and_puts_the_cd_first(fleet: Path, libvirtd: Libvirtd) -> None:
    rc, out, err = run(["attach", "vm1", "--boot-once"], fleet)
    assert (rc, err) == (0, ""), out
    iso = str((fleet / "out" / "vm1.iso").resolve())
    assert out == f"vm1: ok: {iso} in hdc; boot order: hdc first\n"
    xml = inactive(libvirtd, WITH_CD)
    assert sources(xml)["hdc"] == iso
    assert boot_order(xml) == ["hdc", "vda"]
    assert ET.fromstring(xml).find("os/boot") is None


def test_attach_again_replaces_the_media(fleet: Path, libvirtd: Libvirtd, tmp_path: Path) -> None:
    installer = tmp_path / "installer.iso"
    installer.write_bytes(b"installer")
    argv = ["attach", "vm1", "--media", "installer", "--installer", str(installer)]
    rc, out, _err = run(argv, fleet)
    assert rc == 0, out
    assert sources(inactive(libvirtd, WITH_CD))["hdc"] == str(installer.resolve())


def test_a_domain_without_cd_gets_one(fleet: Path, libvirtd: Libvirtd) -> None:
    rc, out, _err = run(["attach", "vm2", "--boot-once"], fleet)
    assert rc == 0, out
    assert "in new CD drive sda" in out
    xml = inactive(libvirtd, WITHOUT_CD)
    assert sources(xml)["sda"] == str((fleet / "out" / "vm2.iso").resolve())
    assert boot_order(xml) == ["sda", "vda"]


def test_eject(fleet: Path, libvirtd: Libvirtd) -> None:
    run(["attach", "vm1"], fleet)
    rc, out, _err = run(["attach", "vm1", "--eject"], fleet)
    assert (rc, out) == (0, "vm1: ok: ejected from hdc\n")
    assert sources(inactive(libvirtd, WITH_CD))["hdc"] is None


def test_reset_starts_the_domain(fleet: Path, libvirtd: Libvirtd) -> None:
    # virsh start waits for QEMU to come up: seconds on a loaded machine, and a
    # start that timed out is not one to retry
    rc, out, _err = run(["attach", "vm1", "--reset", "--timeout", "300"], fleet)
    try:
        assert rc == 0, out
        assert out.endswith("; started\n")
        assert libvirtd.virsh("domstate", WITH_CD).stdout.strip() == "running"
    finally:
        libvirtd.virsh("destroy", WITH_CD, check=False)


SLOW_FIRST = """#!/bin/sh
# virsh, whose first '$HOSTISO_TEST_SLOW' (a verb) is done, then answers too late
if [ "$4" = "$HOSTISO_TEST_SLOW" ] && mkdir "$HOSTISO_TEST_MARK" 2>/dev/null; then
    "$HOSTISO_TEST_VIRSH" "$@"
    exec sleep 600 </dev/null >/dev/null 2>&1
fi
exec "$HOSTISO_TEST_VIRSH" "$@"
"""


def slow_first(tmp_path: Path, verb: str) -> dict[str, str]:
    """The environment of a run whose first ``virsh VERB`` answers too late."""
    wrapper = tmp_path / "bin" / "virsh"
    wrapper.parent.mkdir()
    wrapper.write_text(SLOW_FIRST)
    wrapper.chmod(0o755)
    return {
        "PATH": f"{wrapper.parent}:{os.environ['PATH']}",
        "HOSTISO_TEST_VIRSH": str(shutil.which("virsh")),
        "HOSTISO_TEST_MARK": str(tmp_path / "once"),
        "HOSTISO_TEST_SLOW": verb,
    }


def test_a_start_that_timed_out_but_went_through_is_done(
    fleet: Path, libvirtd: Libvirtd, tmp_path: Path
) -> None:
    """The retry of a timed-out ``virsh start`` finds the domain running: started."""
    env = slow_first(tmp_path, "start")
    argv = ["attach", "vm1", "--reset", "--timeout", "5", "--retries", "3", "--backoff", "0.05"]
    rc, out, _err = run(argv, fleet, env=env)
    try:
        assert rc == 0, out
        assert (tmp_path / "once").is_dir()
        assert re.search(
            r"; started; \d+ retr(y|ies) \(last: virsh start took longer than 5 s\)\n$", out
        ), out
        assert libvirtd.virsh("domstate", WITH_CD).stdout.strip() == "running"
    finally:
        libvirtd.virsh("destroy", WITH_CD, check=False)


def test_a_media_change_that_timed_out_but_went_through_is_done(
    fleet: Path, libvirtd: Libvirtd, tmp_path: Path
) -> None:
    """The retry of a timed-out ``virsh change-media --insert`` fails ("already
    has media"), but the drive holds the ISO: inserted."""
    libvirtd.virsh("change-media", WITH_CD, "hdc", "--eject", "--config", check=False)
    env = slow_first(tmp_path, "change-media")
    argv = ["attach", "vm1", "--timeout", "5", "--retries", "3", "--backoff", "0.05"]
    rc, out, _err = run(argv, fleet, env=env)
    iso = str((fleet / "out" / "vm1.iso").resolve())
    assert rc == 0, out
    assert (tmp_path / "once").is_dir()
    assert re.fullmatch(
        rf"vm1: ok: {re.escape(iso)} in hdc; \d+ retr(y|ies) "
        r"\(last: virsh change-media took longer than 5 s\)\n",
        out,
    ), out
    assert sources(inactive(libvirtd, WITH_CD))["hdc"] == iso


def test_a_missing_domain_fails_that_host(fleet: Path, libvirtd: Libvirtd) -> None:
    rc, out, _err = run(["attach", "vm1", "vm3"], fleet)
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert rc == 1
    assert lines["vm1"].startswith("ok: ")
    assert lines["vm3"].startswith("error: virsh dumpxml: ")
    assert MISSING in lines["vm3"]
