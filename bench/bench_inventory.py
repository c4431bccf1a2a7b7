"""Benchmark ``hostiso inventory --list`` on a generated fleet: wall time, and where it goes.

The issue's target: 10,000 hosts in under 2 s.  The fleet comes from
bench/genfleet.py (the example fleet's shape) with the example's kubespray
mapping added to ``overlays/all.yaml``; ``hostiso inventory --list`` runs in
a subprocess and its output is checked (every host, in its groups).  With
``--phases`` the same work runs in-process, timed stage by stage: reading the
fleet, each pipeline step, compiling (lint's Ignition checks), building the
inventory and writing the JSON (CPU seconds of this process).

    .venv/bin/python bench/bench_inventory.py               # 10,000 hosts
    .venv/bin/python bench/bench_inventory.py 1000 --phases # a breakdown
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HOSTISO = [sys.executable, "-m", "hostiso"]
TARGETS = {10000: 2.0}
MAPPING = """
inventory:
  groups:
    controller: kube_control_plane
    worker: kube_node
  children:
    k8s_cluster: [kube_control_plane, kube_node]
  python_interpreter: /opt/bin/python
  bin_dir: /opt/bin
"""


def write_fleet(root: Path, count: int) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        importlib.import_module("genfleet").write(count, root)
    finally:
        sys.path.pop(0)
    with (root / "overlays" / "all.yaml").open("a", encoding="utf-8") as fh:
        fh.write(MAPPING)


def run_inventory(root: Path, count: int) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one ``hostiso inventory --list``;
    the output is checked.  CPU time shows the cost when other work shares the cores."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [*HOSTISO, "inventory", "--list", "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if proc.returncode == 0:
        document = json.loads(proc.stdout)
        assert len(document["_meta"]["hostvars"]) == count, "not every host is listed"
        grouped = len(document["kube_control_plane"]["hosts"]) + len(document["kube_node"]["hosts"])
        assert grouped == count, "a host is missing from its group"
    else:
        print(proc.stderr[:2000], file=sys.stderr)
    return seconds, cpu, proc.returncode


def phases(root: Path) -> list[tuple[str, float]]:
    """Seconds per stage of the same work, in-process."""
    from hostiso.emit.compile import compile_host
    from hostiso.emit.v2.common import DEFAULT_SPEC
    from hostiso.export.formats import list_json
    from hostiso.export.model import build
    from hostiso.load.fleet import Layout, read_fleet
    from hostiso.pipeline.steps import STEPS
    from hostiso.util.collect import few_collections

    layout = Layout(root)
    out: list[tuple[str, float]] = []
    with few_collections():  # as the command does
        hosts: list[Any] = timed(out, "read-fleet", lambda: read_fleet(layout, writes=False))
        for name, step in STEPS:
            timed(out, name, lambda step=step: step(hosts))  # type: ignore[misc]
        timed(out, "compile", lambda: [compile_host(h, DEFAULT_SPEC, layout) for h in hosts])
        inventory = timed(out, "export-build", lambda: build(h for h in hosts if not h.failed))
        timed(out, "export-json", lambda: list_json(inventory))
    return out


def timed(out: list[tuple[str, float]], name: str, work: Callable[[], Any]) -> Any:
    start = time.process_time()
    result = work()
    out.append((name, time.process_time() - start))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=sorted(TARGETS))
    parser.add_argument("--phases", action="store_true", help="time each stage in-process")
    args = parser.parse_args(argv)
    failed = False
    for count in sorted(args.sizes):
        with tempfile.TemporaryDirectory(prefix=f"bench-inventory-{count}-") as tmp:
            root = Path(tmp)
            write_fleet(root, count)
            seconds, cpu, rc = run_inventory(root, count)
            limit = TARGETS.get(count)
            ok = rc == 0 and (limit is None or seconds < limit)
            failed |= not ok
            target = f" (target < {limit} s)" if limit else ""
            verdict = "" if ok else "  MISSED"
            print(
                f"{count:>6} hosts: {seconds:6.2f} s ({cpu:.2f} s CPU), exit {rc}{target}{verdict}"
            )
            if args.phases:
                for name, spent in phases(root):
                    print(f"    {name:<20} {spent:6.2f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.pop("GITHUB_ACTIONS", None)
    sys.exit(main())
