"""Shared pieces of the converters: the context and the value encoders."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hostiso.diagnostics import Diagnostic, Mark, Path, error

SPECS = ("2.2.0", "2.3.0")
DEFAULT_SPEC = "2.3.0"

LocalReader = Callable[[str, Path], "bytes | Diagnostic"]
"""Reads ``contents.local`` (a path under the files dir), or says why not."""

TemplateRenderer = Callable[[bytes, str, Path], "bytes | Diagnostic"]
"""Renders a ``contents.template`` file (its bytes, its name); None: kept as read."""


@dataclass
class Context:
    spec: str = DEFAULT_SPEC
    read_local: LocalReader | None = None
    render_template: TemplateRenderer | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    origins: dict[Path, Path] = field(default_factory=dict)
    """Output path -> the input path it came from, for mapping errors back."""
    locate: Callable[[Path], Mark | None] | None = None
    """Where an input path was set, for messages that cite a second place."""

    def error(self, code: str, message: str, path: Path) -> None:
        self.diagnostics.append(error(code, message, path))

    @property
    def v22(self) -> bool:
        return self.spec == "2.2.0"


# ct's data URL escaping: keep RFC 2396 "unreserved" bytes, %XX the rest
# (urllib.parse.quote_from_bytes with this ``safe``, by a table of all 256 bytes).
_SAFE = "-_.!~*'()"
_KEPT = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + _SAFE.encode()
)
_ESCAPED = [chr(b) if b in _KEPT else f"%{b:02X}" for b in range(256)]


def data_url(data: bytes) -> str:
    return "data:," + "".join(map(_ESCAPED.__getitem__, data))


def verification(node: dict[str, Any] | None) -> dict[str, Any]:
    hash_ = (node or {}).get("hash") or {}
    if hash_.get("function") and hash_.get("sum"):
        return {"hash": f"{hash_['function']}-{hash_['sum']}"}
    return {}


def source_ref(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": node.get("source") or "",
        "verification": verification(node.get("verification")),
    }


def set_if(out: dict[str, Any], key: str, value: Any) -> None:
    """Go's ``omitempty``: drop empty strings, false, zero, None and empty lists."""
    if value is None or value is False or value in ("", [], {}):
        return
    if isinstance(value, int) and value == 0:
        return
    out[key] = value


def set_given(out: dict[str, Any], key: str, value: Any) -> None:
    """A Go pointer field: emitted whenever the config gave it."""
    if value is not None:
        out[key] = value


_GO_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


# Python writes \b and \f as short escapes; the Go releases ct is built with
# write them as \u0008 and \u000c.  Every backslash in JSON text starts a
# two-character escape, so matching pairs left to right is exact.
_SHORT_ESCAPE = re.compile(r"\\(.)")
_GO_SHORT = {"b": "\\u0008", "f": "\\u000c"}


def to_json(config: dict[str, Any], pretty: bool) -> bytes:
    """Serialise as Go's encoding/json does (ct's output), keys in insertion order."""
    if pretty:
        text = json.dumps(config, ensure_ascii=False, indent=2) + "\n"
    else:
        text = json.dumps(config, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in _GO_ESCAPES.items():
        text = text.replace(raw, escaped)
    if "\\b" in text or "\\f" in text:
        text = _SHORT_ESCAPE.sub(lambda m: _GO_SHORT.get(m.group(1), m.group(0)), text)
    return text.encode("utf-8")
