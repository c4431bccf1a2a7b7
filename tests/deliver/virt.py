"""A real libvirtd for the tests (Debian's libvirt-daemon and libvirt-daemon-driver-qemu).

As root libvirtd runs privileged: the QEMU driver needs the ``libvirt-qemu``
user (Debian's libvirt-daemon-system creates it; so does ``.ci/run``, and
this helper when it is missing), in group ``kvm`` when there is one (else
libvirtd finds /dev/kvm unusable for that user and re-probes QEMU on every
call, seconds each), and ``/var/log/libvirt``.  Its sockets go to a private
directory (``unix_sock_dir``), so the tests talk to this daemon only, through
``qemu+unix:///system?socket=...``; ``virtlogd`` (which ``virsh start`` needs)
listens on its usual socket.  Both run under ``reaper.py``; both are stopped
by pid.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bmc import stop

QEMU_USER = "libvirt-qemu"
REAPER = Path(__file__).with_name("reaper.py")


def missing() -> str | None:
    """Why libvirt cannot be tested here, or None."""
    for tool in ("libvirtd", "virsh", "virtlogd", "qemu-system-x86_64"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: libvirt-daemon, libvirt-clients, qemu)"
    if os.geteuid() != 0:
        return "libvirtd's QEMU driver is tested as root (privileged daemon)"
    return None


def prepare_host() -> None:
    """The user and directories a privileged libvirtd wants (what .ci/run also does)."""
    try:
        pwd.getpwnam(QEMU_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/var/lib/libvirt",
                "--shell",
                "/usr/sbin/nologin",
                QEMU_USER,
            ],
            check=True,
        )
    if _has_group("kvm") and QEMU_USER not in grp.getgrnam("kvm").gr_mem:
        subprocess.run(["usermod", "-aG", "kvm", QEMU_USER], check=True)
    Path("/var/log/libvirt").mkdir(parents=True, exist_ok=True)


def _has_group(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


@dataclass
class Libvirtd:
    workdir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def socket(self) -> Path:
        return self.workdir / "sock" / "libvirt-sock"

    @property
    def uri(self) -> str:
        return f"qemu+unix:///system?socket={self.socket}"

    def start(self) -> Libvirtd:
        prepare_host()
        (self.workdir / "sock").mkdir(parents=True, exist_ok=True)
        config = self.workdir / "libvirtd.conf"
        config.write_text(
            f'unix_sock_dir = "{self.workdir / "sock"}"\n'
            'unix_sock_rw_perms = "0700"\nauth_unix_rw = "none"\nauth_unix_ro = "none"\n'
            f'log_outputs = "3:file:{self.workdir / "libvirtd.log"}"\n'
        )
        self._spawn("virtlogd", "-p", str(self.workdir / "virtlogd.pid"))
        self._spawn("libvirtd", "-f", str(config), "-p", str(self.workdir / "libvirtd.pid"))
        self._wait()
        return self

    def _spawn(self, *command: str) -> None:
        log = open(self.workdir / f"{command[0]}.out", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, str(REAPER), *command], stdout=log, stderr=subprocess.STDOUT
        )
        self.procs.append(proc)

    def _wait(self) -> None:
        deadline = time.monotonic() + 120  # libvirtd probes QEMU first: slow when loaded
        while time.monotonic() < deadline:
            if self.virsh("version", check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("libvirtd did not come up: " + self._log_tail())

    def _log_tail(self) -> str:
        log = self.workdir / "libvirtd.log"
        return log.read_text()[-2000:] if log.exists() else "(no log)"

    def virsh(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["virsh", "-q", "-c", self.uri, *args],
            capture_output=True,
            text=True,
            timeout=300,
            check=check,
        )

    def stop(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)
