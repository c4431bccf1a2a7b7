"""Benchmark ``hostiso attach`` on 200 emulated BMCs: the target is under 15 s.

Generates a 200-host fleet whose hosts each have a ``bmc:`` on one of several
sushy-tools emulators (fake driver, basic auth, 127.0.0.1; 4 emulators of 50
systems by default, so their work spreads over the cores), builds it (not
timed), starts ``hostiso serve`` on 127.0.0.1, then times

    hostiso attach --url-base http://127.0.0.1:PORT --boot-once --reset

in a subprocess: every emulator downloads every host's ISO from the server,
gets the boot override and the reset.  Every process is stopped at the end.

    .venv/bin/python bench/bench_attach.py                  # 200 hosts, 4 emulators
    .venv/bin/python bench/bench_attach.py --hosts 200 --emulators 1
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "deliver"))

from bmc import PASSWORD, USER, Emulator, start_serve, stop, system_id  # noqa: E402

from conftest import LOGIN  # noqa: E402

TARGET = 15.0


def write_fleet(root: Path, hosts: int, emulators: list[Emulator]) -> None:
    (root / "configs").mkdir(parents=True)
    (root / "overlays").mkdir()
    (root / "secrets" / "bmc").mkdir(parents=True)
    secret = root / "secrets" / "bmc" / "pw"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    bmc = f"bmc:\n  username: {USER}\n  password_file: secrets/bmc/pw\n"
    (root / "overlays" / "all.yaml").write_text(LOGIN + bmc)
    per = -(-hosts // len(emulators))
    for i in range(hosts):
        emulator, number = emulators[i // per], i % per + 1
        (root / "configs" / f"node-{i:04d}.yaml").write_text(
            f"network: {{interface: eth0, addresses: [10.{i // 250}.{i % 250}.10/16]}}\n"
            f"bmc:\n  redfish: {emulator.url}\n  system: {system_id(number)}\n"
        )


def _cpu(pid: int) -> float:
    """User + system seconds of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--emulators", type=int, default=4)
    parser.add_argument("--parallel", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-attach-") as tmp:
        return run(Path(tmp), args.hosts, args.emulators, args.parallel)


def run(tmp: Path, hosts: int, count: int, parallel: int) -> int:
    per = -(-hosts // count)
    emulators = [Emulator(tmp / f"emu{k}", systems=per) for k in range(count)]
    root = tmp / "fleet"
    served = None
    try:
        for emulator in emulators:
            emulator.workdir.mkdir(parents=True)
            emulator.start()
        write_fleet(root, hosts, emulators)
        hostiso = [sys.executable, "-m", "hostiso"]
        subprocess.run([*hostiso, "build"], cwd=root, check=True)
        served = start_serve(root)
        command = [
            *hostiso,
            "attach",
            "--url-base",
            served.url,
            "--boot-once",
            "--reset",
            "--parallel",
            str(parallel),
        ]
        busy = [_cpu(e.proc.pid) for e in emulators if e.proc is not None]
        start, before = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, cwd=root, capture_output=True, text=True)
        elapsed, after = time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        own = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        emus = sum(_cpu(e.proc.pid) for e in emulators if e.proc is not None) - sum(busy)
        print(
            f"CPU: hostiso attach {own:.2f} s, emulators {emus:.2f} s "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
    finally:
        if served is not None:
            stop(served.proc)
        for emulator in emulators:
            emulator.stop()
    ok = sum(line.split(": ", 2)[1] == "ok" for line in done.stdout.splitlines())
    print(
        f"hostiso attach: {hosts} hosts on {count} emulators, --parallel {parallel}: "
        f"{elapsed:.2f} s, {ok} ok, exit {done.returncode} (target: under {TARGET:g} s)"
    )
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
    return 0 if done.returncode == 0 and ok == hosts and elapsed < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
