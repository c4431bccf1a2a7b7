"""How a source line is quoted under a diagnostic: a window around the caret,
tabs expanded, control and invisible characters neutralised, and the display
column of each character (wide characters take two)."""

from __future__ import annotations

import unicodedata

TAB_SIZE = 8
MAX_SHOWN = 160
"""Characters of a source line quoted around the caret: a line of megabytes
(a long value on one line) is cut, so a report takes time and memory in
proportion to its diagnostics, not to the lines they point at."""
CUT = "..."


def window(line: str, col: int) -> tuple[str, int]:
    """At most :data:`MAX_SHOWN` characters of ``line`` around 1-based ``col``,
    with ``...`` where it was cut; and ``col`` within what is returned."""
    if len(line) <= MAX_SHOWN:
        return line, col
    start = max(min(col - 1, len(line)) - MAX_SHOWN // 2, 0)
    head = CUT if start > 0 else ""
    tail = CUT if start + MAX_SHOWN < len(line) else ""
    return head + line[start : start + MAX_SHOWN] + tail, col - start + len(head)


def _display_char(ch: str, column: int) -> tuple[str, int]:
    """How one source character is shown at display ``column``: (text, width)."""
    if ch == "\t":
        width = TAB_SIZE - column % TAB_SIZE
        return " " * width, width
    category = unicodedata.category(ch)
    if category == "Cc":  # other control characters: never send them to a terminal
        return "\ufffd", 1
    if category == "Cf":  # invisible format characters (BOM, bidi overrides)
        return "", 0
    if category in ("Mn", "Me"):  # combining marks sit on the previous character
        return ch, 0
    return ch, 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def render_line(line: str) -> tuple[str, list[int]]:
    """Tabs expanded, control characters replaced; and the display column
    at which each character starts, plus one entry for the end of the line."""
    shown: list[str] = []
    starts: list[int] = []
    column = 0
    for ch in line:
        starts.append(column)
        text, width = _display_char(ch, column)
        shown.append(text)
        column += width
    starts.append(column)
    return "".join(shown), starts


def caret_column(line: str, col: int) -> int:
    """Display column for 1-based ``col``; past the end means just after it."""
    _, starts = render_line(line)
    return starts[min(max(col, 1), len(starts)) - 1]
