"""Time one config ISO per host: pycdlib from scratch against the cached template.

Run as ``python bench/bench_iso.py [HOSTS]`` from the repository root.  Each
host gets a ~4 KB config.json whose size varies by a few bytes and its own
label, as a real fleet would.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from hostiso.media import iso

EPOCH = 1_700_000_000


def fleet(hosts: int) -> list[tuple[str, dict[str, bytes]]]:
    result = []
    for index in range(hosts):
        name = f"node-{index:04d}.rack{index % 40:02d}.example.com"
        body = {"ignition": {"version": "2.3.0"}, "host": name, "pad": "x" * (3900 + index % 300)}
        result.append((iso.volume_label(name), {"config.json": json.dumps(body).encode()}))
    return result


def per_iso_ms(
    build: Callable[[Mapping[str, bytes], str, int], bytes],
    hosts: list[tuple[str, dict[str, bytes]]],
) -> float:
    start = time.perf_counter()
    for label, files in hosts:
        build(files, label, EPOCH)
    return (time.perf_counter() - start) / len(hosts) * 1000


def main(argv: list[str]) -> int:
    count = int(argv[1]) if len(argv) > 1 else 1000
    hosts = fleet(count)
    sizes = sorted({len(files["config.json"]) for _, files in hosts})
    print(f"hosts: {count}, config.json sizes {sizes[0]}..{sizes[-1]} bytes")
    direct = per_iso_ms(iso.build_iso_direct, hosts)
    iso._layout_template.cache_clear()
    cold = per_iso_ms(iso.build_iso, hosts)
    warm = per_iso_ms(iso.build_iso, hosts)
    layouts = iso._layout_template.cache_info().currsize
    print(f"direct (pycdlib every time): {direct:.3f} ms/ISO, {direct * count / 1000:.3f} s total")
    print(f"cached, cold ({layouts} layouts): {cold:.3f} ms/ISO, {cold * count / 1000:.3f} s total")
    print(f"cached, warm: {warm:.3f} ms/ISO, {warm * count / 1000:.3f} s total")
    print(f"speed-up (direct / cold): {direct / cold:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
