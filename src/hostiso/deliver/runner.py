"""Many hosts at once: a bounded pool of threads, one outcome per host.

The work of a host is I/O (HTTP to its BMC, virsh): threads overlap the
waits, ``parallel`` bounds how many BMCs are talked to at once (default 16).
Each host's work ends in an :class:`Outcome`; an exception never escapes
(an unexpected one becomes a failed outcome naming its type), so one host
can never stop the others.  Outcomes are reported as they finish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from hostiso.deliver.errors import DeliverError
from hostiso.deliver.targets import Job

DEFAULT_PARALLEL = 16
MAX_PARALLEL = 256


@dataclass(frozen=True)
class Outcome:
    host: str
    ok: bool
    message: str
    skipped: bool = False

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else "ok" if self.ok else "error"

    def line(self) -> str:
        return f"{self.host}: {self.status}: {self.message}"


Work = Callable[[Job], str]
Report = Callable[[Outcome], None]


def run(jobs: Sequence[Job], work: Work, parallel: int, report: Report) -> list[Outcome]:
    """Run *work* on every job, at most *parallel* at once; outcomes in finishing order."""
    if not jobs:
        return []
    workers = max(1, min(parallel, MAX_PARALLEL, len(jobs)))
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="attach") as pool:
        futures = [pool.submit(_one, job, work) for job in jobs]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            report(outcome)
    return outcomes


def _one(job: Job, work: Work) -> Outcome:
    try:
        return Outcome(job.host, True, work(job))
    except DeliverError as exc:
        return Outcome(job.host, False, exc.message)
    except Exception as exc:
        return Outcome(job.host, False, f"unexpected {type(exc).__name__}")
