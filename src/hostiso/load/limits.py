"""The limits of one template value: how large what it builds, how much work it does.

jinja2's sandbox keeps templates away from Python's internals and caps
``range()``, but a short template can still ask for gigabytes:
``'x'.ljust(10**9)``, ``'%999999999d' % 1``, ``'{:>999999999}'.format(1)``,
``indent(10**9)``, a string doubled in a loop.  Each
operation is checked *before* it runs, against :class:`Limits`:

* ``size``: no string, list or mapping a template handles (or renders to)
  may exceed it, counted in characters as its text would be (1 MiB unless
  ``HOSTISO_TEMPLATE_LIMIT`` or ``--template-limit`` says otherwise);
* ``operations``: calls, filters, attribute look-ups, operators and loop
  iterations of one value;
* ``seconds``: CPU time of one value (the rendering thread's, so that a
  loaded machine does not turn a good template into an error), a backstop
  for operations that are each bounded but slow.

Exceeding any of them raises :class:`~hostiso.load.templatelimit.TemplateLimit`
(imported when raised: only a render gets here, and jinja2 stays unloaded
in a run that renders nothing), which ``jinja.render``
turns into a ``template-error`` at the value.  The checks estimate a
result's size from the arguments (``width`` of ``ljust``, the widths in a
format string, the items of ``join``...) so the memory is never allocated.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

DEFAULT_SIZE = 1 << 20
MAX_INT_BITS = 1 << 16
"""Integers a template computes: 65,536 bits (about 19,700 digits)."""


@dataclass(frozen=True)
class Limits:
    size: int = DEFAULT_SIZE
    operations: int = 500_000
    seconds: float = 2.0


_LIMITS: ContextVar[Limits] = ContextVar("template_limits", default=Limits())  # noqa: B039
_BUDGET: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


@contextlib.contextmanager
def limited(limits: Limits) -> Iterator[None]:
    """Render every template inside with ``limits`` (the CLI's ``--template-limit``)."""
    token = _LIMITS.set(limits)
    try:
        yield
    finally:
        _LIMITS.reset(token)


def configured() -> Limits:
    """The limits templates render with now (see :func:`limited`)."""
    return _LIMITS.get()


def parse_size(text: str) -> int | None:
    """``1048576``, ``512K``, ``4M``, ``1MiB`` as a number of characters, or None."""
    match = re.fullmatch(r"\s*([0-9]{1,12})\s*([kKmMgG]?)(?:i?[bB])?\s*", text)
    if match is None:
        return None
    scale = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[match[2].lower()]
    size = int(match[1]) * scale
    return size if size > 0 else None


class Budget:
    """What one value has left; :func:`budget` makes one per render."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.operations
        self.deadline = time.thread_time() + limits.seconds
        self._weights: dict[int, tuple[object, int]] = {}

    def tick(self, count: int = 1) -> None:
        """Spend ``count`` operations (the clock is read every 1,024)."""
        self.left -= count
        if self.left < 0 or self.left & 0x3FF < count:
            self.check_work()

    def check_work(self) -> None:
        from hostiso.load.templatelimit import TemplateLimit

        if self.left < 0:
            raise TemplateLimit(
                f"the template does more than {self.limits.operations:,} operations"
            )
        if time.thread_time() > self.deadline:
            raise TemplateLimit(
                f"the template runs longer than {self.limits.seconds:g} s of CPU time"
            )

    def check(self, size: int, what: str = "the result") -> None:
        if size > self.limits.size:
            from hostiso.load.templatelimit import TemplateLimit

            raise TemplateLimit(
                f"{what} would be over {self.limits.size:,} characters long "
                "(the limit of one template value: HOSTISO_TEMPLATE_LIMIT or --template-limit)"
            )

    def weigh(self, value: object) -> int:
        """How long ``value``'s text would be, roughly; counting stops past the limit."""
        if type(value) is str or type(value) is bytes:  # the common cases, quickly
            return len(value)
        if type(value) is int:
            return value.bit_length() // 3 + 1
        cached = self._weights.get(id(value))
        if cached is not None and cached[0] is value:
            return cached[1]
        size = _weigh(value, self.limits.size)
        if isinstance(value, list | tuple | dict):  # the sandbox never lets them change
            self._weights[id(value)] = (value, size)
        return size

    def check_value(self, value: object, what: str = "a value") -> None:
        self.check(self.weigh(value), what)


def _weigh(value: object, cap: int) -> int:
    """Characters, plus 2 for each item's quotes or brackets and separator in a
    container's repr (a string on its own is just its length)."""
    from jinja2.utils import Namespace  # loaded already: only a render weighs values

    total, stack = -2 if isinstance(value, str | bytes) else 0, [value]
    while stack and total <= cap:
        item = stack.pop()
        total += 2
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, bool | float) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list | tuple | set | frozenset):
            stack += item
        elif isinstance(item, Namespace):
            stack.append(dict(item._Namespace__attrs))
        elif type(item).__name__ in ("dict_keys", "dict_values", "dict_items"):
            stack += list(item)  # type: ignore[call-overload]
        elif isinstance(item, Mapping):  # fleet.hosts: its repr lists the names
            total += 16 + 32 * len(item)
        else:  # an address, a range, a macro, a loop: a short repr
            total += 16
    return total


@contextlib.contextmanager
def budget() -> Iterator[Budget]:
    """A fresh budget for one value, used by every hook while inside."""
    current = Budget(_LIMITS.get())
    token = _BUDGET.set(current)
    try:
        yield current
    finally:
        _BUDGET.reset(token)


def current() -> Budget:
    """The budget of the value being rendered (a fresh one outside a render)."""
    return _BUDGET.get() or Budget(_LIMITS.get())
