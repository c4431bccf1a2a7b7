"""CPU per host of ``emit.compile.compile_host`` alone (the transpile and its self-check).

usage: cd FLEET && python bench/bench_compile.py [--spec SPEC] [--runs N] [--profile]

Lints the fleet (one process, no cache) N times (default 3), timing (CPU
seconds) every compile_host call of the run; prints each run's figure per
host and the lowest.  --spec compiles for SPEC instead of each host's own.
--profile prints a cProfile of the calls of the last run (it inflates
call-heavy code; trust the figures without it).  A fleet from bench/genfleet.py.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path
from typing import Any

import hostiso.pipeline.stages as stages
from hostiso.load.fleet import Layout
from hostiso.pipeline.lint import lint_run
from hostiso.util.collect import few_collections


def one_run(spec: str | None, prof: cProfile.Profile | None) -> float:
    """CPU seconds per host spent in compile_host during one lint."""
    real = stages.compile_host
    spent: list[float] = []

    def timed(host: Any, run_spec: str | None, layout: Layout) -> Any:
        if prof is not None:
            prof.enable()
        t = time.process_time()
        compiled = real(host, spec or run_spec, layout)
        spent.append(time.process_time() - t)
        if prof is not None:
            prof.disable()
        return compiled

    stages.compile_host = timed
    try:
        with few_collections():  # as the CLI runs
            lint_run(Layout(Path(".")), jobs=1, cache=False, extras=True)
    finally:
        stages.compile_host = real
    return sum(spent) / max(1, len(spent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    figures = []
    for n in range(args.runs):
        last = n == args.runs - 1
        prof = cProfile.Profile() if args.profile and last else None
        figures.append(one_run(args.spec, prof))
        print(f"run {n + 1}: compile_host {figures[-1] * 1e6:.0f} us/host")
        if prof is not None:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    print(f"lowest: compile_host {min(figures) * 1e6:.0f} us/host")


if __name__ == "__main__":
    main()
