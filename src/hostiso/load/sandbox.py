"""The jinja2 environment templates render in, with every way to grow a value checked.

``ImmutableSandboxedEnvironment`` already refuses attributes starting with
``_``, methods that change a list or dict, and ranges past 100,000 items.
On top of it, each operation that can build something larger than its
inputs is checked against the value's :class:`~hostiso.load.limits.Budget`
before it runs, from its arguments:

* calls: ``str``/``bytes`` methods (``ljust``, ``rjust``, ``center``,
  ``zfill``, ``expandtabs``, ``replace``, ``translate``, ``join``),
  ``int.to_bytes``; ``str.format`` through a formatter that
  checks every width and field;
* operators ``*``, ``**``, ``%``, ``+`` (and ``~``, compiled to a checked join);
* filters: every argument is weighed, and those that grow (``indent``,
  ``center``, ``format``, ``join``, ``replace``, ``batch``, ``slice``,
  ``wordwrap``, ``tojson``, ``urlize``...) are estimated first;
* ``{{ }}`` output (``finalize``) and every joined buffer (``concat``);
* every loop iteration, call, filter, test and look-up costs one operation.

``|random`` and ``lipsum()`` are refused: their output changes from run to
run, and the same inputs must give the same bytes.
"""

from __future__ import annotations

import functools
import itertools
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from jinja2.utils import _PassArg
from markupsafe import EscapeFormatter, Markup

from hostiso.load.limits import MAX_INT_BITS, Budget, current
from hostiso.load.sandbox_estimates import FILTERS, METHODS, percent_size, spec_size
from hostiso.load.templatelimit import TemplateLimit

CHUNK = 32
"""Parts of a buffer counted at a time: at most 32 over-long parts are held
before the total is checked (each part is itself within the limit)."""
COUNTED = "hostiso_counted"
"""The filter every ``{% for %}`` iterable is wrapped in (see :func:`count_loops`)."""


def counted(iterable: Iterable[Any]) -> Iterable[Any]:
    """The items of ``iterable``, one operation each."""
    budget = current()
    for item in iterable:
        budget.left -= 1  # Budget.tick() inlined: loops are the hot path
        if budget.left & 0x3FF == 0 or budget.left < 0:
            budget.check_work()
        yield item


def count_loops(tree: nodes.Template) -> nodes.Template:
    """Wrap the iterable of every ``{% for %}`` in :data:`COUNTED`, so that nested
    loops that print nothing still spend the budget."""
    for loop in list(tree.find_all(nodes.For)):
        lineno = loop.iter.lineno
        loop.iter = nodes.Filter(loop.iter, COUNTED, [], [], None, None, lineno=lineno)
    return tree


class _CodeGenerator(CodeGenerator):
    """``a ~ b`` joins through :meth:`Sandbox.join_values`, which checks the size."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.join_values((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _finalize(value: Any) -> Any:
    """Every ``{{ }}`` value, before it becomes text."""
    budget = current()
    if type(value) is str:  # the common case, quickly
        if len(value) > budget.limits.size:
            budget.check(len(value), "a value printed")
        return value
    budget.check_value(value, "a value printed")
    return value


def _unrepeatable(what: str) -> Callable[..., Any]:
    """A stand-in for ``what``, whose result is random: refused when called."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise SecurityError(
            f"{what} gives a different result on every build; "
            "the same inputs must give the same output"
        )

    refuse.__name__ = refuse.__qualname__ = what.strip("|()")
    return refuse


BOUNDED = frozenset(
    {
        "length", "count", "first", "last", "min", "max", "sum", "sort", "unique",
        "reverse", "list", "map", "select", "reject", "selectattr", "rejectattr", "groupby",
        "dictsort", "items", "default", "d", "attr", "abs", "int", "float", "round", "bool",
        "filesizeformat", "wordcount",
    }
)  # fmt: skip
"""Filters whose result is no larger than their input and that never turn a
whole container into text: counted, not weighed (``groups.all | length``
stays cheap).  ``map`` and friends call a filter per item, which is checked."""


def _checked_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with its arguments weighed, its result estimated and checked."""
    if name in BOUNDED:
        return _counted_test(func)
    estimate = FILTERS.get(name)
    skip = 1 if _PassArg.from_obj(func) is not None else 0  # the context jinja2 passes

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        budget = current()
        budget.tick()
        if name == "join" and len(args) > skip:
            args = (*args[:skip], materialize(budget, args[skip]), *args[skip + 1 :])
        for arg in (*args[skip:], *kwargs.values()):
            budget.check_value(arg, "an argument")
        if estimate is not None:
            budget.check(_estimated(estimate, budget, args[skip:], kwargs), f"|{name}")
        return _checked_result(budget, func(*args, **kwargs))

    return run


def _counted_test(func: Any) -> Callable[..., Any]:
    """``func`` (a test, or a filter in :data:`BOUNDED`) costing one operation."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        current().tick()
        return func(*args, **kwargs)

    return run


def _estimated(
    estimate: Callable[..., int], budget: Budget, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> int:
    """The estimate, or 0 when the arguments are wrong (the call itself says how)."""
    try:
        return estimate(budget, *args, **kwargs)
    except (TypeError, ValueError, AttributeError, OverflowError):
        return 0


def _checked_result(budget: Budget, result: Any) -> Any:
    if isinstance(result, str | bytes | list | tuple | dict):
        budget.check_value(result)
    return result


def materialize(budget: Budget, iterable: Any) -> Any:
    """The items of a one-shot iterable as a list (to weigh them before a join)."""
    if isinstance(iterable, str | bytes | list | tuple | dict) or not isinstance(
        iterable, Iterable
    ):
        return iterable
    items = []
    for item in iterable:
        budget.tick()
        items.append(item)
    return items


def _check_call(
    budget: Budget, obj: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Any, ...]:
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if isinstance(owner, str | bytes) and name == "join" and args:
        args = (materialize(budget, args[0]), *args[1:])
    for arg in (*args, *kwargs.values()):
        budget.check_value(arg, "an argument")
    estimate = METHODS.get(name) if isinstance(owner, str | bytes | int) else None
    if estimate is not None and not isinstance(owner, bool):
        budget.check(_estimated(estimate, budget, (owner, *args), kwargs), f"{name}()")
    return args


def check_binop(budget: Budget, operator: str, left: Any, right: Any) -> None:
    """``*``, ``**``, ``%`` and ``+`` whose result would be too large are refused."""
    if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        if max(left.bit_length(), 1) * right > MAX_INT_BITS or right > MAX_INT_BITS:
            raise TemplateLimit(f"the power would have more than {MAX_INT_BITS:,} bits")
    elif operator == "*":
        _check_times(budget, left, right)
    elif operator == "%" and isinstance(left, str | bytes):
        budget.check(percent_size(left, right, budget.weigh), "the % formatting")
    elif operator == "+" and isinstance(left, str | bytes | list | tuple):
        budget.check(budget.weigh(left) + budget.weigh(right))


def _check_times(budget: Budget, left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateLimit(f"the product would have more than {MAX_INT_BITS:,} bits")
        return
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | bytes | list | tuple) and isinstance(count, int):
            budget.check(budget.weigh(seq) * max(count, 0))


class _Formatter(SandboxedFormatter):
    """``str.format`` that weighs every field and width before formatting it."""

    _total = 0

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self._total = len(format_string)
        return str(super().vformat(format_string, args, kwargs))

    def format_field(self, value: Any, format_spec: str) -> Any:
        budget = current()
        budget.tick()
        self._total += max(spec_size(format_spec), budget.weigh(value))
        budget.check(self._total, "str.format()")
        return super().format_field(value, format_spec)


class _EscapeFormatter(_Formatter, EscapeFormatter):
    pass


class Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _CodeGenerator

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(finalize=_finalize, optimized=False, **kwargs)
        self.filters = {name: _checked_filter(name, f) for name, f in self.filters.items()}
        self.filters[COUNTED] = counted
        self.tests = {name: _counted_test(test) for name, test in self.tests.items()}
        self.filters["random"] = _unrepeatable("|random")
        self.globals["lipsum"] = _unrepeatable("lipsum()")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = current()
        budget.tick()
        check_binop(budget, operator, left, right)
        return _checked_result(budget, super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = current()
        budget.tick()
        args = _check_call(budget, __obj, args, kwargs)
        return _checked_result(budget, super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        current().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        current().tick()
        return super().getitem(obj, argument)

    def concat(self, parts: Iterable[str]) -> str:
        """Every buffer a template joins (its output, ``{% set %}`` blocks, macros)."""
        budget, total, items = current(), 0, []
        parts = iter(parts)
        while chunk := list(itertools.islice(parts, CHUNK)):
            total += sum(map(len, chunk))
            budget.check(total, "the rendered text")
            items += chunk
        return "".join(items)

    def join_values(self, values: tuple[Any, ...]) -> str:
        """``a ~ b ~ c``."""
        budget = current()
        budget.tick()
        budget.check(sum(budget.weigh(v) for v in values), "the ~ join")
        return "".join(map(str, values))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` and ``str.format_map`` through :class:`_Formatter`."""
        if not isinstance(value, types.MethodType | types.BuiltinMethodType):
            return None
        owner = getattr(value, "__self__", None)
        if value.__name__ not in ("format", "format_map") or not isinstance(owner, str):
            return None
        formatter: _Formatter = (
            _EscapeFormatter(self, escape=owner.escape)
            if isinstance(owner, Markup)
            else _Formatter(self)
        )
        mapping = value.__name__ == "format_map"

        def run(*args: Any, **kwargs: Any) -> str:
            if mapping:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs = args[0]
                args = ()
            return type(owner)(formatter.vformat(owner, args, kwargs))

        return functools.update_wrapper(run, value)
