"""The CLC ``docker:`` section: ``DOCKER_OPTS`` in a drop-in for ``docker.service``.

ct joins ``flags`` with single spaces into ``Environment="DOCKER_OPTS=..."``
and quotes nothing, so a flag holding ``"`` or a newline would break the
line; hostiso keeps ct's text and warns about such flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hostiso.diagnostics import Diagnostic, error, warning
from hostiso.sections.options import as_section, did_you_mean, scalar_text

UNIT = "docker.service"
DROPIN = "20-clct-docker.conf"


def text_keys(body: Mapping[str, Any]) -> frozenset[str]:
    """The keys of ``docker:`` whose values (each flag) ct reads as text."""
    del body
    return frozenset({"flags"})


def translate_docker(
    section: Mapping[str, Any] | None,
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    """Translate ``docker:``; ``None`` (``docker: ~``) is ignored, as ct ignores it."""
    if section is None:
        return [], []
    body, diags = as_section(section, ("docker",))
    if body is None:
        return [], diags
    for key in body:
        if key != "flags":
            diags.append(
                error(
                    "unknown-key",
                    f"unknown key '{key}'{did_you_mean(str(key), ['flags'])}",
                    ("docker", str(key)),
                    blocking=False,
                    at_key=True,
                )
            )
    flags, found = _check_flags(body.get("flags"))
    diags += found
    if any(d.is_error for d in diags):
        return [], diags
    contents = f'[Service]\nEnvironment="DOCKER_OPTS={" ".join(flags)}"'
    unit = {
        "kind": "unit",
        "name": UNIT,
        "enable": True,
        "dropins": [{"name": DROPIN, "contents": contents}],
    }
    return [unit], diags


def _check_flags(raw: Any) -> tuple[list[str], list[Diagnostic]]:
    """The flags as ct's YAML library reads a list of strings: a number or a
    boolean keeps its source text, a null item is dropped."""
    path = ("docker", "flags")
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [
            error("wrong-type", f"flags must be a list of strings, got {type(raw).__name__}", path)
        ]
    flags: list[str] = []
    diags: list[Diagnostic] = []
    for index, item in enumerate(raw):
        if item is None:
            continue
        flag = scalar_text(item)
        if flag is None:
            diags.append(
                error(
                    "wrong-type",
                    f"each flag must be a string, got {type(item).__name__}",
                    (*path, index),
                )
            )
            continue
        if '"' in flag or "\n" in flag or "\\" in flag:
            diags.append(
                warning(
                    "unquoted-value",
                    "ct writes flags into the "
                    'Environment="DOCKER_OPTS=..." line unescaped; a \'"\', '
                    "'\\' or newline here breaks that line",
                    (*path, index),
                )
            )
        flags.append(flag)
    return flags, diags
