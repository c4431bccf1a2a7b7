"""Timeouts and retries: how long to wait for one BMC, how often to try again.

A call that fails for a transient reason (a timeout, a refused connection,
an HTTP 5xx, a hypervisor that is restarting) is tried again after
``backoff``, then twice that, and so on (capped at :data:`MAX_DELAY`), with
a little jitter so a fleet does not retry in lockstep.  Other failures (a
wrong password, a missing domain) are final at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from hostiso.deliver.errors import DeliverError

T = TypeVar("T")

MAX_DELAY = 30.0


@dataclass(frozen=True)
class Policy:
    timeout: float = 30.0
    """Seconds to wait for one answer (connect, then read) from a BMC or virsh."""
    retries: int = 3
    """Further attempts of a call after a transient failure."""
    backoff: float = 1.0
    """Seconds before the first retry; doubled for each further one."""
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


def delay(policy: Policy, attempt: int) -> float:
    base = min(MAX_DELAY, policy.backoff * float(2**attempt))
    return base + random.uniform(0, policy.backoff / 4)


def retrying(
    policy: Policy, action: Callable[[], T], on_retry: Callable[[str], None] | None = None
) -> tuple[T, int]:
    """``(action(), retries it took)``; a transient :class:`DeliverError` is retried
    (``on_retry`` hears why)."""
    attempt = 0
    while True:
        try:
            return action(), attempt
        except DeliverError as exc:
            if not exc.transient or attempt >= policy.retries:
                raise
            if on_retry is not None:
                on_retry(exc.message)
        policy.sleep(delay(policy, attempt))
        attempt += 1


def retried(reasons: list[str]) -> list[str]:
    """``["2 retries (last: why)"]``, or nothing."""
    if not reasons:
        return []
    count = f"{len(reasons)} {'retry' if len(reasons) == 1 else 'retries'}"
    return [f"{count} (last: {reasons[-1]})"]
