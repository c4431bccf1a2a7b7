"""Issue 15's figures, side by side: ``python bench/bench_scale.py [--hosts 10000] [--big 0]``.

The fleet (racks of 10 hosts, an overlay per rack, a worker overlay with a
unit, a user with a key and a hash in overlays/all.yaml, a static network
per host) goes into a temporary directory with a copy of the Makefile, as in
bench/bench_build.py.  Measured, each in a subprocess, with peak RSS:

* full build from clean (``make hosts``), then the no-op;
* one host file edited, ``make hosts`` (make's own no-op time included): a
  rename (the fleet checks run again), then a change no other host sees;
* one rack overlay edited (10 hosts), ``make hosts``;
* ``hostiso lint`` after one more host edit (its cache warm);
* ``hostiso inventory --list`` right after the last ``make hosts`` (from the
  build's cache), and after one more edit (from the lint cache);
* with ``--big N``: a full ``hostiso build`` of N hosts, with ``--timings``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOSTISO = str(REPO / ".venv/bin/hostiso")
SSH_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBJv5RvDoHOF7k93AMhnKTiy7cVnTf59Ljd4YO3Fy0rR "
    "operator@example"
)
HASH = (
    "$6$hostisoexample01$NRlJEWqY2AcgL6m9K2SPZZbo0a8N/fRdJIsTPMVQgWffBYtvXLYlO2g9grT6gQs"
    "HdqTe8LTpQvs5tLqw76XWP."
)
ALL = f"""passwd:
  users:
    - name: core
      password_hash: "{HASH}"
      ssh_authorized_keys:
        - {SSH_KEY}
network:
  interface: eth0
  gateway: 10.0.0.1
  dns: [10.0.0.2]
"""
WORKER = (
    "systemd:\n  units:\n    - name: worker.service\n      enabled: true\n"
    "      contents: |\n        [Service]\n        ExecStart=/usr/bin/true\n"
    "        [Install]\n        WantedBy=multi-user.target\n"
)
RACK = "storage:\n  files:\n    - path: /etc/rack\n      contents:\n        inline: rack {rack}\n"
HOST = "groups: [worker, rack-{rack:05d}]\nnetwork:\n  addresses: [{address}/8]\n"
TARGETS = {
    "edit one host": 1.0,
    "edit one host, content": 1.0,
    "full": 8.0,
    "no-op": 1.0,
    "lint after one edit": 1.5,
    "inventory after make": 2.0,
    "inventory after one edit": 2.0,
}


def write(root: Path, hosts: int) -> None:
    (root / "configs").mkdir(parents=True)
    (root / "overlays").mkdir()
    (root / "overlays/all.yaml").write_text(ALL)
    (root / "overlays/worker.yaml").write_text(WORKER)
    for rack in range((hosts + 9) // 10):
        (root / f"overlays/rack-{rack:05d}.yaml").write_text(RACK.format(rack=rack))
    for i in range(hosts):
        n = i + 16
        address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        (root / f"configs/host-{i:06d}.yaml").write_text(HOST.format(rack=i // 10, address=address))


def prepare(root: Path, hosts: int) -> None:
    write(root, hosts)
    shutil.copy(REPO / "Makefile", root / "Makefile")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    os.utime(root / "pyproject.toml", (0, 0))
    (root / ".venv").mkdir()
    (root / ".venv/bin").symlink_to(REPO / ".venv/bin")
    (root / ".venv/.installed").touch()


def timed(argv: list[str], root: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS of the largest child in MB, stderr); CPU seconds in CPU."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled once, not per run
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[0] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    rss = after.ru_maxrss / 1024
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return seconds, rss, done.stderr


CPU = [0.0]
"""CPU seconds (user + system, every process) of the last :func:`timed` command."""


def make(root: Path) -> tuple[float, float, str]:
    return timed(["make", "--no-print-directory", "PYTHON=false", "hosts"], root)


def edit(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def changed(root: Path, before: dict[str, int]) -> int:
    return sum(
        1 for p in (root / "out").glob("*.iso") if p.stat().st_mtime_ns != before.get(p.name)
    )


def mtimes(root: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (root / "out").glob("*.iso")}


Row = tuple[str, float, float, str]
"""name, wall seconds, CPU seconds (every process), note."""


def scenario(root: Path, hosts: int) -> list[Row]:
    rows = []
    seconds, rss, _ = make(root)
    rows.append(("full", seconds, CPU[0], f"{len(mtimes(root))} ISOs, peak RSS {rss:.0f} MB"))
    seconds, _, _ = make(root)
    rows.append(("no-op", seconds, CPU[0], "make only (stamp up to date)"))
    before = mtimes(root)
    edit(root / "configs/host-000005.yaml", "hostname: renamed-5\n")
    seconds, _, _ = make(root)
    note = f"{changed(root, before)} ISO rewritten (a rename: the fleet checks run again)"
    rows.append(("edit one host", seconds, CPU[0], note))
    before = mtimes(root)
    edit(root / "configs/host-000006.yaml", "storage: {directories: [{path: /var/x}]}\n")
    seconds, _, _ = make(root)
    note = f"{changed(root, before)} ISO rewritten (no fleet fact changed)"
    rows.append(("edit one host, content", seconds, CPU[0], note))
    before = mtimes(root)
    edit(
        root / "overlays/rack-00003.yaml",
        "    - path: /etc/rack-note\n      contents:\n        inline: x\n",
    )
    seconds, _, _ = make(root)
    note = f"{changed(root, before)} ISOs rewritten"
    rows.append(("edit one rack overlay", seconds, CPU[0], note))
    seconds, _, _ = timed([HOSTISO, "inventory", "--list"], root)
    rows.append(("inventory after make", seconds, CPU[0], "from the build's cache"))
    timed([HOSTISO, "lint"], root)  # the lint cache
    edit(root / "configs/host-000007.yaml", "hostname: renamed-7\n")
    seconds, _, _ = timed([HOSTISO, "lint"], root)
    rows.append(("lint after one edit", seconds, CPU[0], ""))
    edit(root / "configs/host-000008.yaml", "hostname: renamed-8\n")
    seconds, _, _ = timed([HOSTISO, "inventory", "--list"], root)
    rows.append(("inventory after one edit", seconds, CPU[0], "hostiso inventory --list"))
    return rows


def big(root: Path, hosts: int) -> list[Row]:
    write(root, hosts)
    seconds, rss, err = timed([HOSTISO, "build", "--timings"], root)
    return [(f"full build, {hosts} hosts", seconds, CPU[0], f"peak RSS {rss:.0f} MB\n{err}")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--big", type=int, default=0, help="also build a fleet this large")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], check=True)
    with tempfile.TemporaryDirectory(prefix="hostiso-scale-") as tmp:
        prepare(Path(tmp) / "fleet", args.hosts)
        rows = scenario(Path(tmp) / "fleet", args.hosts)
        if args.big:
            rows += big(Path(tmp) / "big", args.big)
    print(f"{'':<24} {'wall':>10} {'target':>7} {'CPU':>9}")
    for name, seconds, cpu, note in rows:
        target = TARGETS.get(name)
        mark = f"< {target}" if target else ""
        print(f"{name:<24} {seconds:8.3f} s {mark:>7} {cpu:7.2f} s  {note}")


if __name__ == "__main__":
    sys.exit(main())
