"""Spec 3 against 2.3.0, side by side: ``python bench/bench_spec.py [--hosts N] [--runs R]``.

The target (issue 13): building 1,000 hosts with ``--spec 3.4.0`` costs at
most 10% more than with 2.3.0.  On one generated fleet (bench/genfleet.py,
the example fleet's shape) this times, alternating the specs run by run so
that machine noise hits both alike:

* build: ``hostiso build --spec S`` in a subprocess, build/ and out/ removed
  first (load, checks, compile, JSON, ISO, depfile: what ``make hosts`` runs);
* compile: ``compile_host`` of every host in-process after one shared
  ``load_checked`` (the part the spec changes, without the ISO writer).

Each is measured as CPU time (user + system, the build's child processes
included), which other work on a shared machine barely moves, and as wall
time.  The etcd certificates are made by an untimed warm-up build.  Each
figure is the median of the runs; the ratio is 3.4.0 / 2.3.0, and the
target is checked on the build's CPU time.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import genfleet

from hostiso.emit.compile import compile_host
from hostiso.load.fleet import Layout
from hostiso.pipeline.steps import load_checked

SPECS = ("2.3.0", "3.4.0")
LIMIT = 1.10


Timing = tuple[float, float]
"""(CPU seconds, wall seconds)."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(root: Path, spec: str) -> Timing:
    shutil.rmtree(root / "build", ignore_errors=True)
    shutil.rmtree(root / "out", ignore_errors=True)
    argv = [sys.executable, "-m", "hostiso", "build", "--spec", spec]
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True)
    timing = (_children_cpu() - cpu, time.perf_counter() - start)
    if done.returncode != 0:
        raise SystemExit(f"hostiso build --spec {spec} failed:\n{done.stderr}")
    return timing


def compile_all(root: Path) -> Callable[[str], Timing]:
    layout = Layout(root)
    hosts = load_checked(layout, writes=False)

    def run(spec: str) -> Timing:
        cpu, start = time.process_time(), time.perf_counter()
        for host in hosts:
            compiled = compile_host(host, spec, layout)
            assert compiled.ignition is not None, compiled.diagnostics
        return time.process_time() - cpu, time.perf_counter() - start

    return run


def alternate(step: Callable[[str], Timing], runs: int) -> dict[str, list[Timing]]:
    timings: dict[str, list[Timing]] = {spec: [] for spec in SPECS}
    for i in range(runs):
        for spec in SPECS if i % 2 == 0 else reversed(SPECS):
            timings[spec].append(step(spec))
    return timings


def report(name: str, timings: dict[str, list[Timing]]) -> tuple[list[str], float]:
    lines, ratios = [], []
    for kind, index in (("cpu", 0), ("wall", 1)):
        seconds = {s: [t[index] for t in timings[s]] for s in SPECS}
        base, new = (statistics.median(seconds[s]) for s in SPECS)
        ratios.append(new / base)
        runs = "  ".join(" ".join(f"{x:.2f}" for x in seconds[s]) for s in SPECS)
        label = f"{name} {kind}"
        lines.append(f"{label:<13} {base:8.3f} {new:8.3f} {new / base:7.3f}   {runs}")
    return lines, ratios[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostiso-bench-spec-") as tmp:
        root = Path(tmp)
        genfleet.write(args.hosts, root)
        build(root, SPECS[0])  # warm-up: the etcd CA and certificates
        lines, ratios = [], []
        for name, step in (("build", lambda s: build(root, s)), ("compile", compile_all(root))):
            found, ratio = report(name, alternate(step, args.runs))
            lines += found
            ratios.append(ratio)
    target = f"target: build cpu ratio <= {LIMIT}"
    print(f"{args.hosts} hosts, median of {args.runs} runs (seconds); {target}")
    print(f"{'step':<13} {SPECS[0]:>8} {SPECS[1]:>8} {'ratio':>7}   runs (2.3.0, then 3.4.0)")
    print("\n".join(lines))
    if ratios[0] > LIMIT:
        raise SystemExit(f"--spec {SPECS[1]} costs {ratios[0]:.2f}x the 2.3.0 build")


if __name__ == "__main__":
    main()
