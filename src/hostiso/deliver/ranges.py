"""HTTP Range requests (RFC 9110, section 14): which bytes of a file to send.

A BMC mounts a remote ISO by reading it piece by piece with ``Range:``
headers, so the server must answer every form a client may send:
``bytes=0-499``, ``bytes=500-`` (to the end), ``bytes=-500`` (the last 500),
and several of them at once (``bytes=0-0,-1``).

The parser follows the RFC's rules for a server that supports ranges:

* a header that does not parse, or a unit other than ``bytes``, is ignored
  (the whole file is sent, 200);
* a range past the end is clamped to the end; a range that starts past the
  end, and ``-0``, are unsatisfiable; when no range is satisfiable the answer
  is 416 with ``Content-Range: bytes */SIZE``;
* ranges that overlap or touch are merged (in file order), so no request can
  make the server send more than the file's size in parts: the defence
  against the "many overlapping ranges" attack (CVE-2011-3192);
* more than :data:`MAX_RANGES` ranges are ignored (the whole file is sent).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

MAX_RANGES = 64
"""More ranges than this in one header: ignore the header and send the file."""

MAX_HEADER = 4096
"""A longer ``Range:`` header is ignored."""

_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")
_DIGITS = 19
"""At most this many digits in a position (2**63 has 19): longer ones are not sizes."""


@dataclass(frozen=True)
class ByteRange:
    """The bytes ``first`` to ``last`` inclusive, as ``Content-Range`` counts them."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.first}-{self.last}/{size}"


@dataclass(frozen=True)
class Plan:
    """What to send: the whole file (``ranges`` empty, 200), some ranges (206), or 416."""

    ranges: tuple[ByteRange, ...] = ()
    unsatisfiable: bool = False

    @property
    def whole(self) -> bool:
        return not self.ranges and not self.unsatisfiable


WHOLE = Plan()
UNSATISFIABLE = Plan(unsatisfiable=True)


def plan(header: str | None, size: int) -> Plan:
    """The :class:`Plan` for a ``Range:`` header (``None``: no header) on *size* bytes."""
    if header is None or len(header) > MAX_HEADER:
        return WHOLE
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return WHOLE
    parts = spec.split(",")
    if len(parts) > MAX_RANGES:
        return WHOLE
    parsed = [_parse(part) for part in parts if part.strip()]
    if not parsed or any(p is None for p in parsed):
        return WHOLE
    found = [r for r in (_resolve(p, size) for p in parsed if p is not None) if r is not None]
    if not found:
        return UNSATISFIABLE
    return Plan(ranges=_merge(found))


def _parse(part: str) -> tuple[int | None, int | None] | None:
    """``(first, last)`` of one range-spec (``None`` where omitted), or None if invalid."""
    match = _SPEC.match(part)
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if len(first_text) > _DIGITS or len(last_text) > _DIGITS:
        return None
    first = int(first_text) if first_text else None
    last = int(last_text) if last_text else None
    if first is not None and last is not None and last < first:
        return None
    return first, last


def _resolve(spec: tuple[int | None, int | None], size: int) -> ByteRange | None:
    """The satisfiable byte range of a parsed spec on *size* bytes, or None."""
    first, last = spec
    if first is None:  # a suffix: the last `last` bytes
        assert last is not None
        if last == 0 or size == 0:
            return None
        return ByteRange(max(0, size - last), size - 1)
    if first >= size:
        return None
    end = size - 1 if last is None else min(last, size - 1)
    return ByteRange(first, end)


def _merge(ranges: list[ByteRange]) -> tuple[ByteRange, ...]:
    """The ranges in the client's order, or merged in file order when any overlap or touch."""
    ordered = sorted(ranges, key=lambda r: (r.first, r.last))
    if all(a.last + 1 < b.first for a, b in itertools.pairwise(ordered)):
        return tuple(ranges)
    merged = [ordered[0]]
    for current in ordered[1:]:
        previous = merged[-1]
        if current.first <= previous.last + 1:
            merged[-1] = ByteRange(previous.first, max(previous.last, current.last))
        else:
            merged.append(current)
    return tuple(merged)
