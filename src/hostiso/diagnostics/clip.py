"""Long values in messages: shown by their ends and their length, never whole.

A message quotes the value it is about (``hostname 'web-1' is ...``).  A
value can be as long as the input allows (a 100,000-character hostname, a
path pasted twice), and a report line of that size helps nobody: the source
line under the message (:mod:`.snippet`) is cut too.  So every run of
non-blank characters other than quotes longer than :data:`LONG_WORD` keeps its first
:data:`HEAD` and last :data:`TAIL` characters and says how long it was, and
a message still longer than :data:`MAX_MESSAGE` is cut there.  Both are
idempotent: a clipped message clips to itself (the cache stores messages,
and a cached diagnostic must read as a fresh one).
"""

from __future__ import annotations

import re

LONG_WORD = 400
HEAD = 160
TAIL = 40
MAX_MESSAGE = 4096
"""A message longer than this (after words are clipped) is cut to :data:`CUT_AT`."""
CUT_AT = 4000

_WORD = re.compile(r"[^\s'\"]{" + str(LONG_WORD + 1) + ",}")
"""A quoted value's quotes are not part of it: its length is the value's."""


def clip_text(text: str) -> str:
    """``text`` with every long word shortened, and cut when still too long."""
    if len(text) <= LONG_WORD:
        return text
    text = _WORD.sub(_shorten, text)
    if len(text) > MAX_MESSAGE:
        text = f"{text[:CUT_AT]}... ({len(text) - CUT_AT} more characters)"
    return text


def _shorten(found: re.Match[str]) -> str:
    word = found[0]
    return f"{word[:HEAD]}...({len(word)} characters)...{word[-TAIL:]}"
