"""Values in messages: on one line, and shown by their ends and length when long.

A message quotes the value it is about (``hostname 'web-1' is ...``).  A
value can be as long as the input allows (a 100,000-character hostname, a
path pasted twice), and a report line of that size helps nobody: the source
line under the message (:mod:`.snippet`) is cut too.  So every run of
non-blank characters other than quotes longer than :data:`LONG_WORD` keeps its first
:data:`HEAD` and last :data:`TAIL` characters and says how long it was, and
a message still longer than :data:`MAX_MESSAGE` is cut there.  Both are
idempotent: a clipped message clips to itself (the cache stores messages,
and a cached diagnostic must read as a fresh one).

A value may also hold a control character (``"\\e[31m"`` in a quoted YAML
string): quoted as is it would reach the operator's terminal as a command.
:func:`printable` writes each as its escape (``\\x1b``, ``\\x07``), keeping
line breaks, which the reports lay out as continuation lines;
:func:`one_line` escapes line breaks too, for what must stay on one line (a
path of keys, one of which a ``? |`` block made).
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


_CONTROL = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` with every control character but a line break escaped."""
    if text.isprintable():  # the usual case, decided in C
        return text
    return _CONTROL.sub(_escape, text)


def one_line(text: str) -> str:
    """``text`` with every control character and line break escaped."""
    if text.isprintable():
        return text
    return _CONTROL_OR_BREAK.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    return repr(found[0])[1:-1]


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
