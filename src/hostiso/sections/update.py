"""The CLC ``update:`` and ``locksmith:`` sections: ``/etc/coreos/update.conf``.

ct builds the file text by concatenation: ``GROUP=`` first (lowercased),
then each other update key on a line that *starts* with ``\\n``, then the
locksmith lines (``KEY="value"``, Go-quoted) after one more ``\\n``.  So a
config without ``update.group`` yields a file whose first line is empty;
hostiso reproduces that byte for byte.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from hostiso.diagnostics import Diagnostic, error, warning
from hostiso.sections.options import (
    OptionTable,
    as_section,
    check_options,
    parse_table,
    render_args,
    string_keys,
)

PATH = "/etc/coreos/update.conf"
MODE = 0o644
UPDATE_GROUPS = ("stable", "beta", "alpha")
REBOOT_STRATEGIES = ("reboot", "etcd-lock", "off")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

#: update option -> the update.conf variable, in ct's order (GROUP is first).
UPDATE_OPTIONS: OptionTable = parse_table(
    "group:s server:s pcr_policy_server:s download_user:s download_password:s machine_alias:s",
    flags={
        "group": "GROUP",
        "server": "SERVER",
        "pcr_policy_server": "PCR_POLICY_SERVER",
        "download_user": "DOWNLOAD_USER",
        "download_password": "DOWNLOAD_PASSWORD",
        "machine_alias": "MACHINE_ALIAS",
    },
)

#: locksmith option -> the update.conf variable, in ct's order.
LOCKSMITH_OPTIONS: OptionTable = parse_table(
    "reboot_strategy:s window_start:s window_length:s group:s etcd_endpoints:s etcd_cafile:s "
    "etcd_certfile:s etcd_keyfile:s",
    flags={
        "reboot_strategy": "REBOOT_STRATEGY",
        "window_start": "LOCKSMITHD_REBOOT_WINDOW_START",
        "window_length": "LOCKSMITHD_REBOOT_WINDOW_LENGTH",
        "group": "LOCKSMITHD_GROUP",
        "etcd_endpoints": "LOCKSMITHD_ENDPOINT",
        "etcd_cafile": "LOCKSMITHD_ETCD_CAFILE",
        "etcd_certfile": "LOCKSMITHD_ETCD_CERTFILE",
        "etcd_keyfile": "LOCKSMITHD_ETCD_KEYFILE",
    },
)

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
_DURATION = re.compile(r"^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$")


def update_text_keys(body: Mapping[str, Any]) -> frozenset[str]:
    """The keys of ``update:`` whose values ct reads as text."""
    del body
    return string_keys(UPDATE_OPTIONS)


def locksmith_text_keys(body: Mapping[str, Any]) -> frozenset[str]:
    """The keys of ``locksmith:`` whose values ct reads as text."""
    del body
    return string_keys(LOCKSMITH_OPTIONS)


def translate_update(
    update: Mapping[str, Any] | None,
    locksmith: Mapping[str, Any] | None,
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    """Translate ``update:`` and ``locksmith:`` into ``/etc/coreos/update.conf``."""
    contents, diags = "", []
    if update is not None:
        text, found = _update_text(update)
        contents, diags = text, found
    if locksmith is not None:
        lines, found = _locksmith_lines(locksmith)
        contents += ("\n" + "\n".join(lines)) if lines else ""
        diags += found
    if any(d.is_error for d in diags) or not contents:
        return [], diags
    file = {"kind": "file", "path": PATH, "filesystem": "root", "mode": MODE, "contents": contents}
    return [file], diags


def _update_text(section: Any) -> tuple[str, list[Diagnostic]]:
    body, diags = as_section(section, ("update",))
    if body is None:
        return "", diags
    values, found = check_options(body, UPDATE_OPTIONS, ("update",))
    diags += found + _check_update(values)
    parts = []
    for name, option in UPDATE_OPTIONS.items():
        value = str(values.get(name, ""))
        if value:
            text = value.lower() if name == "group" else value
            parts.append(("" if name == "group" else "\n") + f"{option.flag}={text}")
    return "".join(parts), diags


def _check_update(values: Mapping[str, str | int | bool]) -> list[Diagnostic]:
    diags = []
    group, server = str(values.get("group", "")), str(values.get("server", ""))
    if group.lower() not in UPDATE_GROUPS and not server:
        what = f"unknown update group {group!r}" if group else "update has no group"
        diags.append(
            warning(
                "unknown-update-group",
                f"{what}: ct knows {', '.join(UPDATE_GROUPS)}; any other group needs a server",
                ("update", "group") if group else ("update",),
            )
        )
    try:
        urllib.parse.urlsplit(server)
    except ValueError as exc:
        diags.append(
            error("invalid-url", f"server is not a valid URL: {exc}", ("update", "server"))
        )
    return diags


def _locksmith_lines(section: Any) -> tuple[list[str], list[Diagnostic]]:
    body, diags = as_section(section, ("locksmith",))
    if body is None:
        return [], diags
    values, found = check_options(body, LOCKSMITH_OPTIONS, ("locksmith",))
    diags += found + check_locksmith({k: str(v) for k, v in values.items()})
    return render_args(LOCKSMITH_OPTIONS, values, fmt="{flag}={value}"), diags


def check_locksmith(values: Mapping[str, str]) -> list[Diagnostic]:
    """ct's locksmith checks: strategy, window start and length, both or neither."""
    diags = []
    strategy = values.get("reboot_strategy", "")
    if strategy and strategy.lower() not in REBOOT_STRATEGIES:
        diags.append(
            error(
                "invalid-value",
                f"unknown reboot strategy {strategy!r}; use one of {', '.join(REBOOT_STRATEGIES)}",
                ("locksmith", "reboot_strategy"),
            )
        )
    start, length = values.get("window_start", ""), values.get("window_length", "")
    if start:
        diags += _check_window_start(start)
    if length and not _DURATION.match(length):
        diags.append(
            error(
                "invalid-value",
                f"couldn't parse window length {length!r}: write a duration such as 1h30m",
                ("locksmith", "window_length"),
            )
        )
    if bool(start) != bool(length):
        diags.append(
            error(
                "incomplete-window",
                "window-start and window-length must both be specified",
                ("locksmith",),
            )
        )
    return diags


def _check_window_start(start: str) -> list[Diagnostic]:
    path = ("locksmith", "window_start")
    words = start.split()
    day, clock = (words[0], words[1]) if len(words) >= 2 else ("", start)
    if day and day.lower() not in DAYS:
        return [
            error(
                "invalid-value",
                f"unknown day {day!r} in window start; use one of {', '.join(DAYS)}",
                path,
            )
        ]
    if not _CLOCK.match(clock):
        return [
            error(
                "invalid-value",
                f"couldn't parse window start {start!r}: write '[day] HH:MM' such as 'thu 04:00'",
                path,
            )
        ]
    return []
