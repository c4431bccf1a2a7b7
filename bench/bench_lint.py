"""Benchmark ``hostiso lint`` on generated fleets: wall time and peak memory.

The issue's targets: 1,000 hosts in under 1.5 s; 10,000 hosts in under 15 s
using under 1 GB.  Each fleet is generated into a temporary directory by
bench/genfleet.py (the example fleet's shape), or with ``--builtin`` by this
script (three overlays, flannel everywhere, three etcd members), then
``hostiso lint`` runs in a subprocess; peak RSS is the child's ``ru_maxrss``.

    .venv/bin/python bench/bench_lint.py            # 1,000 and 10,000 hosts
    .venv/bin/python bench/bench_lint.py 500 2000   # other sizes
    .venv/bin/python bench/bench_lint.py --profile 1000   # top costs (cProfile)
    .venv/bin/python bench/bench_lint.py --builtin        # this script's own fleet
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOSTISO = [sys.executable, "-m", "hostiso"]
TARGETS = {1000: (1.5, None), 10000: (15.0, 1024.0)}
SSH_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBJv5RvDoHOF7k93AMhnKTiy7cVnTf59Ljd4YO3Fy0rR "
    "operator@example"
)
ALL = f"""\
passwd:
  users:
    - name: core
      ssh_authorized_keys:
        - {SSH_KEY}
network:
  interface: eth0
  gateway: 10.0.0.1
  dns: [10.0.0.2, 10.0.0.3]
flannel:
  network_config: '{{"Network": "10.128.0.0/10", "SubnetLen": 26}}'
systemd:
  units:
    - name: systemd-timesyncd.service
      enabled: true
"""
GROUPS = {
    "controller": "etcd:\n  initial_cluster_token: bench\n",
    "worker": (
        "storage:\n  files:\n    - path: /etc/sysctl.d/10-worker.conf\n      mode: 0644\n"
        "      contents:\n        inline: |\n          fs.inotify.max_user_watches=1048576\n"
    ),
    "edge": "docker:\n  flags: [--bip=192.168.250.1/24]\n",
}


def host_file(i: int) -> str:
    """Host ``i``: a unique address in 10.0.0.0/16; the first three are etcd members."""
    group = "controller" if i < 3 else ("edge" if i % 10 == 0 else "worker")
    address = f"10.0.{(i + 10) // 250}.{(i + 10) % 250 + 1}/16"
    return f"groups: [{group}]\nnetwork:\n  addresses: [{address}]\n"


def write_fleet(root: Path, count: int, builtin: bool = False) -> None:
    """A fleet of ``count`` hosts under ``root``: bench/genfleet.py's, else the built-in one."""
    if not builtin and (Path(__file__).parent / "genfleet.py").exists():
        sys.path.insert(0, str(Path(__file__).parent))
        try:
            importlib.import_module("genfleet").write(count, root)
        finally:
            sys.path.pop(0)
        return
    (root / "configs").mkdir(parents=True)
    (root / "overlays").mkdir()
    (root / "overlays" / "all.yaml").write_text(ALL)
    for name, text in GROUPS.items():
        (root / "overlays" / f"{name}.yaml").write_text(text)
    for i in range(count):
        (root / "configs" / f"host-{i:05d}.yaml").write_text(host_file(i))


def run_lint(root: Path, extra: list[str]) -> tuple[float, float, int, int]:
    """(seconds, peak RSS in MiB, exit code, output lines) of one lint run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(
        [*HOSTISO, "lint", "--format", "parsable", "--root", str(root), *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak <= before:
        print(
            "  (peak RSS is a high-water mark over all children; run sizes in increasing order)",
            file=sys.stderr,
        )
    lines = len(proc.stderr.splitlines())
    return seconds, peak / 1024, proc.returncode, lines


def profile(root: Path) -> None:
    import cProfile
    import pstats

    from hostiso.load.fleet import Layout
    from hostiso.pipeline.lint import lint

    profiler = cProfile.Profile()
    profiler.runcall(lint, Layout(root))
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=sorted(TARGETS))
    parser.add_argument("--profile", action="store_true", help="cProfile lint in-process")
    parser.add_argument(
        "--builtin",
        action="store_true",
        help="use this script's fleet generator, not bench/genfleet.py",
    )
    args = parser.parse_args(argv)
    failed = False
    for count in sorted(args.sizes):
        with tempfile.TemporaryDirectory(prefix=f"bench-lint-{count}-") as tmp:
            root = Path(tmp)
            write_fleet(root, count, args.builtin)
            if args.profile:
                profile(root)
                continue
            seconds, mib, rc, lines = run_lint(root, [])
            limit_s, limit_mib = TARGETS.get(count, (None, None))
            ok = (limit_s is None or seconds < limit_s) and (limit_mib is None or mib < limit_mib)
            failed |= not ok or rc != 0
            target = (
                f" (target < {limit_s} s" + (f", < {limit_mib:.0f} MiB)" if limit_mib else ")")
                if limit_s
                else ""
            )
            print(
                f"{count:>6} hosts: {seconds:6.2f} s, peak RSS {mib:7.1f} MiB, exit {rc}, "
                f"{lines} diagnostic lines{target}{'' if ok else '  MISSED'}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.pop("GITHUB_ACTIONS", None)
    sys.exit(main())
