"""CPU per host of the load stage: ``load_host`` (read, parse, convert, merge) and
``view_of``, as a run without a cache does them (every host once, all kept).

Writes a fleet with genfleet.py (2,000 hosts by default) and times each run in
a fresh process, single-threaded, in CPU seconds; prints the lowest of the runs
(the machine may be shared).

    .venv/bin/python bench/bench_load.py                 # 2,000 hosts, 5 runs
    .venv/bin/python bench/bench_load.py --hosts 10000 --runs 3
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import genfleet  # noqa: E402

ONE_RUN = """
import sys, time
from pathlib import Path
from hostiso.load.fleet import Layout, OverlayCache, load_host
from hostiso.load.fleetview import view_of
from hostiso.util.collect import few_collections
layout = Layout(Path("."))
stems = layout.host_stems()
with few_collections():
    overlays = OverlayCache(layout)
    start = time.process_time()
    hosts = [load_host(layout, stem, overlays) for stem in stems]
    loaded = time.process_time()
    views = [view_of(host) for host in hosts]
    viewed = time.process_time()
print(len(stems), loaded - start, viewed - loaded)
"""


def one_run(root: Path) -> tuple[int, float, float]:
    out = subprocess.run(
        [sys.executable, "-c", ONE_RUN],
        cwd=root,  # as the CLI runs in the fleet: paths shown as they are
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
    ).stdout.split()
    return int(out[0]), float(out[1]), float(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        genfleet.write(args.hosts, root)
        runs = [one_run(root) for _ in range(args.runs)]
    n = runs[0][0]
    load = min(r[1] for r in runs) / n * 1e6
    view = min(r[2] for r in runs) / n * 1e6
    best = f"CPU, best of {len(runs)}"
    print(f"{n} hosts: load_host {load:.0f} us/host, view_of {view:.0f} us/host ({best})")


if __name__ == "__main__":
    main()
