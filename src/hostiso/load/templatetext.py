"""What a template is, and how one failed, without importing jinja2.

A build that renders nothing (a fleet without templates, or a one-host
rebuild of a host without any) never pays for importing jinja2:
:mod:`hostiso.load.jinja` is imported when a value is first rendered.
"""

from __future__ import annotations

from dataclasses import dataclass


def is_template(value: str) -> bool:
    """Only strings with ``{{``, ``{%`` or ``{#`` go to jinja2."""
    return "{" in value and ("{{" in value or "{%" in value or "{#" in value)


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    line: int | None = None
    """The line inside the template, when known."""
