"""What the template limits cost, and what the hostile payloads cost now.

1. Typical templates rendered by hostiso (checked sandbox, budget per value)
   and by a plain jinja2 ``ImmutableSandboxedEnvironment`` (no limits): the
   time per render of each, so the price of the checks is visible.
2. The payloads of issue 11 (defect 3): time and peak memory (tracemalloc)
   until each is refused.

    .venv/bin/python bench/bench_templates.py
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment

from hostiso.load.jinja import render

CONTEXT: dict[str, Any] = {
    "host": {"name": "web-01", "groups": ["web", "etcd"], "addresses": ["10.0.0.1/24"]},
    "vars": {"domain": "dc1.example.com", "role": "web", "peers": [f"p{i}" for i in range(50)]},
    "groups": {"all": [f"h{i}" for i in range(1000)], "etcd": ["c1", "c2", "c3"]},
}
TYPICAL = [
    "{{ host.name }}.{{ vars.domain }}",
    "{% for p in vars.peers %}{{ p }}:2380{% if not loop.last %},{% endif %}{% endfor %}",
    "{{ groups.all | length }} hosts, {{ groups.etcd | join(',') }}",
    "{{ '%-10s|%5d' % (host.name, 42) }} {{ '{:>8}'.format(vars.role) }}",
    "{% for h in groups.all %}{{ h }} {% endfor %}",
]
PAYLOADS = [
    "{{ 'x'.ljust(10**9) }}",
    "{{ 'x'.center(10**9) }}",
    "{{ 'x'.zfill(10**9) }}",
    "{{ '%999999999d' % 1 }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ 'x' | indent(10**9) }}",
    "{{ '\\tx'.expandtabs(10**9) }}",
    "{{ ('x'*1000).replace('x','x'*1000).replace('x','x'*1000) }}",
    "{{ lipsum(10**6) }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
]


def per_render(run: Any, source: str, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        run(source)
    return (time.perf_counter() - started) / count * 1e6


def main() -> None:
    plain = ImmutableSandboxedEnvironment()
    cache: dict[str, Any] = {}

    def baseline(source: str) -> str:
        if source not in cache:
            cache[source] = plain.from_string(source)
        return str(cache[source].render(CONTEXT))

    print("typical templates (µs per render): hostiso / plain jinja2 sandbox")
    for source in TYPICAL:
        ours = per_render(lambda s: render(s, CONTEXT), source, 300)
        theirs = per_render(baseline, source, 300)
        print(f"  {ours:8.1f} / {theirs:8.1f}  x{ours / theirs:4.1f}  {source[:60]}")
    print("issue 11 payloads: time and peak memory until refused")
    for source in PAYLOADS:
        tracemalloc.start()
        started = time.perf_counter()
        result = render(source, {})
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        code = getattr(result, "code", "rendered")
        print(f"  {seconds * 1000:8.1f} ms {peak / 2**20:6.2f} MiB  {code:15} {source[:56]}")


if __name__ == "__main__":
    main()
