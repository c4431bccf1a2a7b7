"""Host-file features that only some Ignition specs have, and the gate on them.

``FEATURES`` lists each one with the oldest spec that can express it on
Flatcar; :func:`gate` makes every use below that spec an error at its line
(nothing is ever dropped).  ``None`` means no spec hostiso writes: the
feature is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, error
from hostiso.load.specs import at_least

CODE = "spec-feature"


@dataclass(frozen=True)
class Feature:
    pattern: Path
    """A host-file path; ``"*"`` matches any list index."""
    since: str | None
    why: str = ""


FEATURES: tuple[Feature, ...] = (
    Feature(("kernel_arguments",), "3.3.0"),
    Feature(("storage", "luks"), "3.3.0"),
    Feature(("storage", "luks", "*", "discard"), "3.4.0"),
    Feature(("storage", "luks", "*", "open_options"), "3.4.0"),
    Feature(("storage", "luks", "*", "clevis", "tang", "*", "advertisement"), "3.4.0"),
    Feature(
        ("storage", "luks", "*", "clevis"),
        "3.5.0",
        " on Flatcar (Butane's flatcar variant refuses clevis for 3.3.0 and 3.4.0)",
    ),
    Feature(
        ("storage", "luks", "*", "cex"),
        None,
        "IBM CEX secure keys are for s390x, which Flatcar does not run on "
        "(Butane's flatcar variant refuses them too)",
    ),
)


def _matches(value: Any, pattern: Path, path: Path) -> Iterator[Path]:
    """Every path under ``value`` that ``pattern`` names and that is set."""
    if not pattern:
        if value not in (None, [], {}):
            yield path
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        for i, item in enumerate(value if isinstance(value, list) else []):
            yield from _matches(item, rest, (*path, i))
    elif isinstance(value, dict):
        yield from _matches(value.get(head), rest, (*path, head))


def _uses_any(clc: dict[str, Any]) -> bool:
    storage = clc.get("storage")
    return clc.get("kernel_arguments") is not None or (
        isinstance(storage, dict) and storage.get("luks") is not None
    )


def gate(clc: dict[str, Any], spec: str) -> list[Diagnostic]:
    """An error for each feature ``clc`` uses that ``spec`` cannot express."""
    out: list[Diagnostic] = []
    if not _uses_any(clc):  # every feature lives under one of these two
        return out
    for feature in FEATURES:
        if feature.since is not None and at_least(spec, feature.since):
            continue
        for where in _matches(clc, feature.pattern, ()):
            out.append(error(CODE, _message(feature, where, spec), where, at_key=True))
    return out


def _message(feature: Feature, where: Path, spec: str) -> str:
    name = str(where[-1])
    if feature.since is None:
        return f"{name!r} cannot be used with any Ignition spec hostiso writes: {feature.why}"
    return (
        f"{name!r} needs Ignition spec {feature.since} or newer{feature.why} "
        f"(this host is built for {spec}; pin ignition.version or pass --spec)"
    )
