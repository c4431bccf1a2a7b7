"""Time ``make -j2 hosts`` on a generated fleet: ``python bench/bench_build.py [--hosts N]``.

The fleet (bench/genfleet.py) goes into a temporary directory with a copy of
the Makefile and a ``.venv`` whose ``bin`` is this checkout's, so make never
builds a venv there.  Each figure is the median of ``--runs`` runs:

* full: ``make -j2 hosts`` after removing build/ and out/;
* no-op: ``make -j2 hosts`` again, nothing changed;
* incremental: ``make -j2 hosts`` after touching overlays/controller.yaml
  (the number of hosts rebuilt is counted from the ISOs' mtimes);
* lint: ``hostiso lint`` on the whole fleet.

The etcd certificates are made once by an untimed warm-up build, as they
would be on the first build of a real fleet.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import genfleet

REPO = Path(__file__).resolve().parent.parent
TOUCHED = "overlays/controller.yaml"
TARGETS = {"full": 2.5, "no-op": 0.3}


@dataclass
class Figure:
    name: str
    seconds: list[float]
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def prepare(root: Path, hosts: int) -> None:
    genfleet.write(hosts, root)
    shutil.copy(REPO / "Makefile", root / "Makefile")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    os.utime(root / "pyproject.toml", (0, 0))  # older than the venv stamp
    (root / ".venv").mkdir()
    (root / ".venv/bin").symlink_to(REPO / ".venv/bin")
    (root / ".venv/.installed").touch()


def environment() -> dict[str, str]:
    drop = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "GITHUB_ACTIONS")
    return {k: v for k, v in os.environ.items() if k not in drop}


def timed(argv: list[str], root: Path, check: bool = True) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=root, env=environment(), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def make_hosts(root: Path) -> float:
    return timed(["make", "-j2", "--no-print-directory", "PYTHON=false", "hosts"], root)


def iso_mtimes(root: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (root / "out").glob("*.iso")}


def full(root: Path) -> tuple[float, str]:
    shutil.rmtree(root / "build", ignore_errors=True)
    shutil.rmtree(root / "out", ignore_errors=True)
    seconds = make_hosts(root)
    return seconds, f"{len(iso_mtimes(root))} ISOs"


def no_op(root: Path) -> tuple[float, str]:
    before = iso_mtimes(root)
    seconds = make_hosts(root)
    changed = sum(1 for k, v in iso_mtimes(root).items() if before.get(k) != v)
    return seconds, f"{changed} rebuilt"


def incremental(root: Path) -> tuple[float, str]:
    before = iso_mtimes(root)
    (root / TOUCHED).touch()
    seconds = make_hosts(root)
    changed = sum(1 for k, v in iso_mtimes(root).items() if before.get(k) != v)
    return seconds, f"{changed} rebuilt after touching {TOUCHED}"


def lint(root: Path) -> tuple[float, str]:
    return timed([str(REPO / ".venv/bin/hostiso"), "lint"], root), ""


STEPS: tuple[tuple[str, Callable[[Path], tuple[float, str]]], ...] = (
    ("full", full),
    ("no-op", no_op),
    ("incremental", incremental),
    ("lint", lint),
)


def measure(root: Path, runs: int) -> list[Figure]:
    cold, _ = full(root)  # warm-up: makes the etcd CA and certificates
    figures = [Figure("full (cold, first build)", [cold])]
    for name, step in STEPS:
        seconds, notes = [], set()
        for _ in range(runs):
            elapsed, note = step(root)
            seconds.append(elapsed)
            notes.add(note)
        figures.append(Figure(name, seconds, "; ".join(sorted(n for n in notes if n))))
    return figures


def table(figures: list[Figure], hosts: int) -> str:
    lines = [
        f"make -j2 hosts, {hosts} hosts, median of runs (seconds)",
        f"{'step':<26} {'median':>7} {'target':>7}  {'runs':<24} note",
    ]
    for f in figures:
        target = TARGETS.get(f.name)
        runs = " ".join(f"{s:.3f}" for s in f.seconds)
        mark = "" if target is None else f"< {target}"
        lines.append(f"{f.name:<26} {f.median:7.3f} {mark:>7}  {runs:<24} {f.note}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--keep", type=Path, help="build the fleet in this new directory and keep it"
    )
    args = parser.parse_args()
    if shutil.which("make") is None:
        raise SystemExit("make is not installed")
    with tempfile.TemporaryDirectory(prefix="hostiso-bench-") as tmp:
        root = args.keep or Path(tmp)
        prepare(root, args.hosts)
        print(table(measure(root, args.runs), args.hosts))


if __name__ == "__main__":
    main()
