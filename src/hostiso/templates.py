"""jinja2 templates inside string values (issue 6). Not wired in yet."""

from __future__ import annotations

from hostiso.fleet import Host


def render_fleet(hosts: list[Host]) -> None:
    """Render every templated string value of every host, in place."""
