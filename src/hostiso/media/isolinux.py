"""The isolinux configuration of a live ISO: find its default label, add an install label.

Flatcar's ISO (flatcar/scripts ``build_library/vm_image_util.sh``,
``_write_iso_disk``) has ``isolinux/isolinux.cfg`` holding ``INCLUDE
/syslinux/syslinux.cfg``, and there::

    default flatcar
    prompt 1
    timeout 15

    label flatcar
      menu default
      kernel /flatcar/vmlinuz
      append initrd=/flatcar/cpio.gz flatcar.autologin

(Container Linux: ``/coreos/`` and ``coreos.autologin``.)  :func:`add_install_label`
rewrites the file holding the default label: a new label ``install``, a copy
of the default label whose ``append`` line keeps everything and gains the
installer's kernel arguments, becomes the default; the original label stays
as it was under the name ``manual`` (the stock live system).  Every other
line is kept.  Keywords are case-insensitive, as syslinux reads them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

CONFIG_PATHS = ("/isolinux/isolinux.cfg", "/boot/isolinux/isolinux.cfg", "/isolinux.cfg")
"""Where isolinux looks for its configuration, in its order."""
INSTALL_LABEL = "install"
MANUAL_LABEL = "manual"
MAX_APPEND = 2000
"""Bytes of an ``append`` line: the x86 kernel command line holds 2048 with
``BOOT_IMAGE=...``, which syslinux adds."""
MAX_INCLUDES = 8

_KEYWORD = re.compile(r"^(\s*)(\S+)(\s*)(.*?)(\s*)$")


class ConfigError(ValueError):
    """The base ISO's isolinux configuration cannot take an install label."""


@dataclass(frozen=True)
class Line:
    text: str
    keyword: str  # lower-cased first word ("" for blank lines and comments)
    value: str  # the rest, stripped


def parse(text: str) -> list[Line]:
    out = []
    for raw in text.splitlines():
        m = _KEYWORD.match(raw)
        if m is None or raw.lstrip().startswith("#"):
            out.append(Line(raw, "", ""))
        else:
            out.append(Line(raw, m.group(2).lower(), m.group(4)))
    return out


@dataclass(frozen=True)
class Config:
    """The configuration files isolinux reads, in order, and the default label."""

    files: tuple[tuple[str, str], ...]  # (absolute path on the ISO, text)
    label: str
    path: str  # the file holding the label


Reader = Callable[[str], "str | None"]
"""Reads a file of the ISO by its absolute path; None when there is none."""


def read_config(read: Reader) -> Config:
    """Follow isolinux's configuration (and its INCLUDEs) to the default label.

    The default label is the one a DEFAULT line names, else the one marked
    MENU DEFAULT, else the first."""
    start = next(((p, t) for p in CONFIG_PATHS if (t := read(p)) is not None), None)
    if start is None:
        raise ConfigError(f"no isolinux configuration ({', '.join(CONFIG_PATHS)})")
    files = _config_files(read, *start)
    labels = [(name, path, i, end) for path, text in files for name, i, end in _labels(parse(text))]
    if not labels:
        raise ConfigError(f"no label in {' or '.join(p for p, _ in files)}")
    by_name = {name: path for name, path, _, _ in reversed(labels)}
    defaults = [d for _, text in files for d in _default_names(parse(text)) if d in by_name]
    marked = [n for n, p, i, e in labels if any(map(_is_menu_default, _lines(files, p)[i:e]))]
    label = (defaults or marked or [labels[0][0]])[0]
    return Config(tuple(files), label, by_name[label])


def _lines(files: list[tuple[str, str]], path: str) -> list[Line]:
    return parse(dict(files)[path])


def _config_files(read: Reader, path: str, text: str) -> list[tuple[str, str]]:
    """The configuration file and those it includes, at most MAX_INCLUDES."""
    out = [(path, text)]
    pending = [(path, text)]
    while pending:
        parent, body = pending.pop(0)
        for line in parse(body):
            if line.keyword != "include" or not line.value:
                continue
            if len(out) > MAX_INCLUDES:
                raise ConfigError(f"more than {MAX_INCLUDES} INCLUDEs from {path}")
            name = _resolve(parent, line.value.split()[0])
            included = read(name)
            if included is None:
                raise ConfigError(f"{parent} includes {name}, which the ISO does not have")
            out.append((name, included))
            pending.append((name, included))
    return out


def _resolve(parent: str, name: str) -> str:
    if name.startswith("/"):
        return name
    return parent.rsplit("/", 1)[0] + "/" + name


def _default_names(lines: list[Line]) -> list[str]:
    return [ln.value.split()[0] for ln in lines if ln.keyword == "default" and ln.value]


def _labels(lines: list[Line]) -> list[tuple[str, int, int]]:
    """Each label's name, first line and end (exclusive)."""
    starts = [(i, ln.value.split()[0]) for i, ln in enumerate(lines) if _is_label(ln)]
    ends = [i for i, _ in starts[1:]] + [len(lines)]
    return [(name, i, end) for (i, name), end in zip(starts, ends[: len(starts)], strict=True)]


def _is_label(line: Line) -> bool:
    return line.keyword == "label" and bool(line.value)


def _is_menu_default(line: Line) -> bool:
    return line.keyword == "menu" and line.value.lower().split() == ["default"]


def add_install_label(config: Config, kernel_args: str, say: str) -> dict[str, str]:
    """The files to change (path -> new text): see the module doc.

    The file holding the default label gets the ``install`` label (first, and
    the default) and keeps the original as ``manual``; a DEFAULT or ONTIMEOUT
    naming the original label, in any file, names ``install``."""
    names = {name for _, text in config.files for name, _, _ in _labels(parse(text))}
    for taken in (INSTALL_LABEL, MANUAL_LABEL):
        if taken in names:
            raise ConfigError(f"the base already has a label '{taken}' (is it an installer ISO?)")
    has_default = any(_default_names(parse(text)) for _, text in config.files)
    changed: dict[str, str] = {}
    for path, text in config.files:
        lines = _retarget(parse(text), config.label)
        if path == config.path:
            lines = _with_install(lines, config, kernel_args, say, has_default)
        new = "".join(ln.text + "\n" for ln in lines)
        if new != text:
            changed[path] = new
    return changed


def _with_install(
    lines: list[Line], config: Config, kernel_args: str, say: str, has_default: bool
) -> list[Line]:
    start, end = next((i, e) for n, i, e in _labels(lines) if n == config.label)
    block = lines[start:end]
    install = _install_block(block, config, kernel_args)
    manual = [_with_value(block[0], MANUAL_LABEL)]
    manual += [ln for ln in block[1:] if not _is_menu_default(ln)]
    head = lines[:start]
    if not has_default:
        head = [Line(f"default {INSTALL_LABEL}", "default", INSTALL_LABEL), *head]
    return [*_with_say(head, say), *install, *manual, *lines[end:]]


def _install_block(block: list[Line], config: Config, kernel_args: str) -> list[Line]:
    appends = [i for i, ln in enumerate(block) if ln.keyword == "append"]
    if not appends or "initrd=" not in block[appends[-1]].value:
        raise ConfigError(
            f"label '{config.label}' in {config.path} has no 'append' line with initrd="
        )
    last = appends[-1]
    value = f"{block[last].value} {kernel_args}"
    if len(value.encode()) > MAX_APPEND:
        raise ConfigError(
            f"the append line of label '{config.label}' would be {len(value.encode())} bytes "
            f"with the installer's arguments (at most {MAX_APPEND})"
        )
    out = [_with_value(block[0], INSTALL_LABEL)]
    out += [_with_value(ln, value) if i == last else ln for i, ln in enumerate(block) if i]
    if out[-1].text.strip():
        out.append(Line("", "", ""))
    return out


def _with_value(line: Line, value: str) -> Line:
    m = _KEYWORD.match(line.text)
    assert m is not None
    return Line(f"{m.group(1)}{m.group(2)} {value}", line.keyword, value)


def _retarget(lines: list[Line], old: str) -> list[Line]:
    """DEFAULT and ONTIMEOUT naming the original label now name ``install``."""
    out = []
    for line in lines:
        words = line.value.split()
        if line.keyword in ("default", "ontimeout") and words[:1] == [old]:
            line = _with_value(line, " ".join([INSTALL_LABEL, *words[1:]]))
        out.append(line)
    return out


def _with_say(head: list[Line], say: str) -> list[Line]:
    """A ``say`` line right after the DEFAULT line (syslinux prints it when it reads the file)."""
    at = next((i + 1 for i, ln in enumerate(head) if ln.keyword == "default"), 0)
    return [*head[:at], Line(f"say {say}", "say", say), *head[at:]]
