"""The sandboxed jinja2 environment templates render in, and its failures as data.

* ``ImmutableSandboxedEnvironment``: no attribute starting with ``_``, no
  method that changes a list or dict, ranges capped; on top of it
  (:mod:`hostiso.load.sandbox`), nothing a value builds may exceed its size
  limit and no value may do more than a bounded amount of work
  (:mod:`hostiso.load.limits`: 1 MiB, 500,000 operations, 2 seconds of CPU time);
* strict undefined: a misspelt name is an error, never an empty string;
* no loader: ``include``, ``import`` and ``extends`` are errors; no globals
  beyond jinja2's own harmless ones (``range``, ``dict``, ``cycler``,
  ``joiner``, ``namespace``), no autoescaping;
* reproducible: ``|random`` and ``lipsum()`` are errors, and so is a value
  that prints a Python object's address (``<... object at 0x7f...>``, the
  text of a method or a ``cycler()``), which differs on every run;
* ``keep_trailing_newline``: a block scalar keeps its final newline.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError

from hostiso.load import limits
from hostiso.load.sandbox import Sandbox, count_loops
from hostiso.load.templatelimit import TemplateLimit
from hostiso.load.templatetext import Failure, is_template

__all__ = ["Failure", "Undefined", "is_template", "render"]

TEMPLATE_NAME = "<template>"


class Undefined(jinja2.StrictUndefined):
    """StrictUndefined with messages that name the missing key and its neighbours."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        hint: str | None = self._undefined_hint
        if hint:
            return hint
        name = self._undefined_name
        obj = self._undefined_obj
        if obj is jinja2.utils.missing:
            return f"'{name}' is undefined"
        if isinstance(obj, Mapping):
            return f"no key {name!r}{_did_you_mean(str(name), [str(k) for k in obj])}"
        return f"{type(obj).__name__} value has no attribute or item {name!r}"


def _did_you_mean(name: str, keys: list[str]) -> str:
    close = difflib.get_close_matches(name, keys, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    if keys and len(keys) <= 12:
        return f" (there is: {', '.join(sorted(keys))})"
    return ""


ENV = Sandbox(undefined=Undefined, autoescape=False, keep_trailing_newline=True, loader=None)


_LOADS = {
    jinja2.nodes.Include: "include",
    jinja2.nodes.Import: "import",
    jinja2.nodes.FromImport: "from ... import",
    jinja2.nodes.Extends: "extends",
}
"""Tags that read another template: there is no loader, so each is an error."""


@functools.lru_cache(maxsize=4096)
def _compile(source: str) -> jinja2.Template | Failure:
    try:
        return _checked(ENV.parse(source))
    except jinja2.TemplateSyntaxError as exc:
        message = f"template syntax error: {exc.message}{_literal_hint(source, str(exc.message))}"
        return Failure("template-syntax", message, exc.lineno)
    except (RecursionError, SyntaxError, MemoryError):  # brackets nested a thousand deep
        return Failure("template-syntax", "template syntax error: the template nests too deeply")


_GO_TEMPLATE = re.compile(r"\{\{-?\s*\.")
_AS_TEXT = "string values are jinja2 templates, so write {hint} or put the text in {{% raw %}}"


def _literal_hint(source: str, message: str) -> str:
    """Why text meant for another program broke: real configs carry shell and
    Go templates (ct passes them through; a host file renders them)."""
    if "comment" in message and "{#" in source:
        hint = _AS_TEXT.format(hint="{{ '{#' }}")
        return f"; '{{#' starts a jinja2 comment (a shell ${{#var}}?): {hint}"
    if _GO_TEMPLATE.search(source):
        hint = _AS_TEXT.format(hint="{{ '{{' }}.Field}}")
        return f"; {{{{.Field}}}} is Go template syntax (docker --format): {hint}"
    return ""


def _checked(tree: jinja2.nodes.Template) -> jinja2.Template | Failure:
    load = next((n for n in tree.find_all(tuple(_LOADS)) if isinstance(n, jinja2.nodes.Stmt)), None)
    if load is not None:
        return Failure(
            "template-error",
            f"{{% {_LOADS[type(load)]} %}} is not available: templates cannot read other "
            "templates; to render a whole file, use contents.template: NAME",
            load.lineno,
        )
    return ENV.from_string(count_loops(tree))


def render(source: str, context: Mapping[str, Any]) -> str | Failure:
    """``source`` rendered with ``context``, or why it could not be."""
    template = _compile(source)
    if isinstance(template, Failure):
        return template
    try:
        with limits.budget():
            text = template.render(context)
    except TemplateLimit as exc:
        return Failure("template-error", f"template too large: {exc}", _template_line(exc))
    except jinja2.UndefinedError as exc:
        return Failure(
            "template-undefined", f"undefined in template: {exc.message}", _template_line(exc)
        )
    except SecurityError as exc:
        return Failure("template-error", f"not allowed in a template: {exc}", _template_line(exc))
    except Exception as exc:  # a template can raise anything Python can; report it
        return Failure("template-error", f"template failed: {_describe(exc)}", _template_line(exc))
    return _unrepeatable(text, source) or text


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]{4,}")
"""The default text of a Python object: its memory address changes on every run."""


def _unrepeatable(text: str, source: str) -> Failure | None:
    """A failure when ``text`` holds an object's address the template did not
    spell out itself (the same inputs must give the same output)."""
    if " at 0x" not in text:  # the common case, at C speed
        return None
    found = _ADDRESS.search(text)
    if found is None or found[0] in source:
        return None
    before = text[max(found.start() - 60, 0) : found.start()]
    what = before[before.rfind("<") + 1 :] if "<" in before else before
    return Failure(
        "template-error",
        f"the template prints a Python object (<{what} at 0x...>), whose text "
        "changes on every build; print one of its values instead",
    )


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: {text}"


def _template_line(exc: BaseException) -> int | None:
    """The template line the error happened on (jinja2 rewrites the traceback)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == TEMPLATE_NAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
