"""The error a template raises past one of its limits (:mod:`hostiso.load.limits`).

Its own module because it subclasses jinja2's ``SecurityError``: importing
jinja2 costs more than a one-host rebuild of a large fleet spends on
anything else at start, so only a run that renders a template loads it.
"""

from __future__ import annotations

from jinja2.exceptions import SecurityError


class TemplateLimit(SecurityError):
    """A template went past one of its :class:`~hostiso.load.limits.Limits`."""
