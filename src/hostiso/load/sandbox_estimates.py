"""How large a result would be, estimated from the arguments, before the work is done.

Each estimator takes the value's :class:`~hostiso.load.limits.Budget` (for
``weigh``) and the call's arguments, and returns a size in characters; an
estimator may be generous, never short.  :data:`METHODS` is for ``str``,
``bytes`` and ``int`` methods (the first argument is the object),
:data:`FILTERS` for jinja2's filters (the first argument is the filter's value).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from hostiso.load.limits import Budget

Estimate = Callable[..., int]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _pad(budget: Budget, text: Any, width: Any = 0, *_: Any) -> int:
    return max(budget.weigh(text), _int(width))


def _expandtabs(budget: Budget, text: str | bytes, tabsize: Any = 8) -> int:
    tab = "\t" if isinstance(text, str) else b"\t"
    return len(text) + (text.count(tab) + 1) * max(_int(tabsize), 0)  # type: ignore[arg-type]


def _replace(budget: Budget, text: Any, old: Any, new: Any, count: Any = -1) -> int:
    text, old, new = (v if isinstance(v, str | bytes) else str(v) for v in (text, old, new))
    found = text.count(old) if old else len(text) + 1
    if _int(count) >= 0 and count is not None and not isinstance(count, bool):
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)


def _translate(budget: Budget, text: str | bytes, table: Any = None, *_: Any) -> int:
    longest = 1
    if isinstance(table, Mapping):
        longest = max((len(v) for v in table.values() if isinstance(v, str | bytes)), default=1)
    return len(text) * max(longest, 1)


def _to_bytes(budget: Budget, number: int, length: Any = 1, *_: Any, **__: Any) -> int:
    return _int(length) * 2


def _join(budget: Budget, sep: Any, items: Any = (), *_: Any, **__: Any) -> int:
    if not isinstance(items, list | tuple):
        return 0
    return sum(budget.weigh(i) for i in items) + budget.weigh(sep) * len(items)


METHODS: dict[str, Estimate] = {
    "ljust": _pad,
    "rjust": _pad,
    "center": _pad,
    "zfill": _pad,
    "expandtabs": _expandtabs,
    "replace": _replace,
    "translate": _translate,
    "to_bytes": _to_bytes,
    "join": _join,
}


def _lines(budget: Budget, text: Any) -> int:
    return text.count("\n") + 1 if isinstance(text, str) else budget.weigh(text)


def _indent(budget: Budget, text: Any, width: Any = 4, *_: Any, **__: Any) -> int:
    step = len(width) if isinstance(width, str) else _int(width)
    return budget.weigh(text) + _lines(budget, text) * step


def _format(budget: Budget, text: Any, *args: Any, **kwargs: Any) -> int:
    return percent_size(str(text), kwargs or args, budget.weigh)


def _filter_join(budget: Budget, items: Any, d: Any = "", *_: Any, **__: Any) -> int:
    return _join(budget, d, items)


def _batch(budget: Budget, items: Any, linecount: Any = 1, fill_with: Any = None) -> int:
    return _int(linecount) * (1 + budget.weigh(fill_with)) if fill_with is not None else 0


def _slice(budget: Budget, items: Any, slices: Any = 1, fill_with: Any = None) -> int:
    return _int(slices) * (4 + budget.weigh(fill_with))


def _wordwrap(
    budget: Budget,
    text: Any,
    width: Any = 79,
    _long: Any = True,
    wrapstring: Any = None,
    *_: Any,
    **kwargs: Any,
) -> int:
    wrap = kwargs.get("wrapstring", wrapstring)
    return budget.weigh(text) * (1 + (len(wrap) if isinstance(wrap, str) else 1))


def _tojson(budget: Budget, value: Any, indent: Any = None) -> int:
    return budget.weigh(value) * (2 + _int(indent))


def _urlize(budget: Budget, text: Any, *args: Any, **kwargs: Any) -> int:
    extra = sum(len(v) for v in (*args, *kwargs.values()) if isinstance(v, str))
    return budget.weigh(text) * (12 + extra)


def _times(factor: int) -> Estimate:
    def estimate(budget: Budget, value: Any, *_: Any, **__: Any) -> int:
        return budget.weigh(value) * factor

    return estimate


FILTERS: dict[str, Estimate] = {
    "center": _pad,
    "indent": _indent,
    "format": _format,
    "join": _filter_join,
    "replace": _replace,
    "batch": _batch,
    "slice": _slice,
    "wordwrap": _wordwrap,
    "tojson": _tojson,
    "urlize": _urlize,
    "xmlattr": _times(6),
    "urlencode": _times(3),
    "escape": _times(6),
    "e": _times(6),
    "forceescape": _times(6),
    "pprint": _times(2),
}


_PERCENT = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|[0-9]+)?(?:\.(?P<prec>\*|[0-9]+))?"
    r"[hlL]?(?P<conv>.)",
    re.S,
)


def percent_size(fmt: str | bytes, args: Any, weigh: Callable[[object], int]) -> int:
    """How long ``fmt % args`` would be, from the widths, precisions and values."""
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    values = iter(args if isinstance(args, tuple) else (args,))
    mapping = args if isinstance(args, Mapping) else None
    size = len(text)
    for match in _PERCENT.finditer(text):
        if match["conv"] == "%":
            continue
        size += max(_number(match["width"], values), _number(match["prec"], values))
        if mapping is not None and match["key"] is not None:
            size += weigh(mapping.get(match["key"]))
        else:
            size += weigh(next(values, None))
    return size


def _number(part: str | None, values: Iterator[Any]) -> int:
    if part is None:
        return 0
    if part == "*":
        value = next(values, 0)
        return abs(value) if isinstance(value, int) else 0
    return int(part) if len(part) <= 12 else 10**12


def spec_size(spec: str) -> int:
    """The largest width or precision in a ``str.format`` spec (``>999999999`` -> 999999999)."""
    numbers = re.findall(r"[0-9]+", spec)
    return max((int(n) if len(n) <= 12 else 10**12 for n in numbers), default=0)
