"""File and directory modes written in decimal by mistake, and directories
nothing can be opened in."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from hostiso.check.rules.common import plain
from hostiso.diagnostics import Diagnostic, warning
from hostiso.load.fleet import Host

#: Permission triplets people write; a decimal mode ending in one of these
#: (``644``, ``1777``) is almost always octal without its leading 0.
COMMON_PERMS = frozenset(
    (
        "400",
        "440",
        "444",
        "500",
        "550",
        "555",
        "600",
        "640",
        "644",
        "660",
        "664",
        "666",
        "700",
        "711",
        "750",
        "755",
        "770",
        "775",
        "777",
    )
)
OCTAL_DIGITS = frozenset("01234567")
NODE_KINDS = ("files", "directories")


@functools.lru_cache(maxsize=1024)
def looks_decimal(mode: int) -> bool:
    """True for a mode like ``644``: written in decimal, meant in octal.

    The heuristic: every digit of the decimal form is 0-7 (so it reads as an
    octal mode), and one of

    * the value is above 0o7777, so it is no mode at all (``4755``);
    * it has three digits and is above 0o777 (``644`` is 0o1204: a sticky
      bit and odd permissions nobody means);
    * it has three or four digits and ends in a common permission triplet
      (``400``, ``1777``).

    A mode written in octal never matches in practice: ``0644`` is 420,
    ``0755`` is 493, ``01777`` is 1023, ``04755`` is 2541.  (Rare exceptions: ``02640`` is
    1440 and ``02644`` is 1444, which do match.)
    """
    text = str(mode)
    if mode <= 0 or not set(text) <= OCTAL_DIGITS:
        return False
    return (
        mode > 0o7777
        or (len(text) == 3 and mode > 0o777)
        or (len(text) in (3, 4) and text[-3:] in COMMON_PERMS)
    )


def decimal_mode(host: Host) -> Iterator[Diagnostic]:
    """A mode that YAML read as a decimal number although it looks octal.

    YAML reads ``644`` as the integer 644, which is 0o1204: the sticky bit
    and odd permissions.  Octal needs the leading zero (YAML 1.1, as ct).

    Failing::

        # configs/a.yaml
        storage:
          files:
            - path: /etc/motd
              mode: 644

    Passing::

        # configs/a.yaml
        storage:
          files:
            - path: /etc/motd
              mode: 0644
    """
    storage = plain(host).get("storage")
    if not isinstance(storage, dict):
        return
    for kind in NODE_KINDS:
        for i, node in enumerate(storage.get(kind) or []):
            mode = node.get("mode") if isinstance(node, dict) else None
            if isinstance(mode, int) and not isinstance(mode, bool) and looks_decimal(mode):
                yield warning(
                    "decimal-mode",
                    f"mode {mode} is decimal (octal 0{mode:o}); write 0{mode}",
                    ("storage", kind, i, "mode"),
                )


def directory_not_searchable(host: Host) -> Iterator[Diagnostic]:
    """A directory whose mode has no search (x) bit for its owner.

    Nothing under it can be opened but by root, and with spec 2.x Ignition
    gives the same mode to the parent directories it creates for it
    (``mode: 438`` is 0666: seen in a real config for ``/etc/bash/bashrc.d``).

    Failing::

        # configs/a.yaml
        storage:
          directories:
            - path: /etc/app/conf.d
              mode: 0666

    Passing::

        # configs/a.yaml
        storage:
          directories:
            - path: /etc/app/conf.d
              mode: 0755
    """
    storage = plain(host).get("storage")
    directories = storage.get("directories") if isinstance(storage, dict) else None
    for i, node in enumerate(directories if isinstance(directories, list) else []):
        mode = node.get("mode") if isinstance(node, dict) else None
        if isinstance(mode, int) and not isinstance(mode, bool) and not mode & 0o100:
            yield warning(
                "directory-not-searchable",
                f"directory mode 0{mode:o} has no search (x) bit for its owner: only root "
                "can open anything under it, and spec 2.x gives this mode to the parent "
                "directories Ignition creates for it; did you mean 0755?",
                ("storage", "directories", i, "mode"),
            )


HOST_RULES = {"decimal-mode": decimal_mode, "directory-not-searchable": directory_not_searchable}
