"""The checks ``hostiso transpile`` adds to ct's: one config, no fleet.

``hostiso build`` runs these through the pipeline (credentials, lint rules);
a lone config gets the same host rules (decimal modes, password hashes, SSH
keys, networkd syntax, gateways) as warnings, minus the fleet-wide ones and
the "nobody can log in" warning (a ct config is often one piece of a larger
one).  Keys that only mean something in a fleet are refused or reported
instead of being dropped without a word, and ct's own warnings for unset
modes are given, so ``-strict`` fails where ct's ``-strict`` fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from hostiso.check import rules
from hostiso.diagnostics import Diagnostic, Severity, error, warning
from hostiso.load.fleet import Host
from hostiso.load.yamlload import Node

# ct's wording (config/types/files.go, config/config.go)
UNSET_FILE_MODE = "mode unspecified for file, defaulting to 0644"
UNSET_APPEND_MODE = "mode unspecified for file, defaulting to 0644 if the file does not exist"
UNSET_DIR_MODE = "mode unspecified for directory, defaulting to 0755"
EMPTY_CONFIG = "Configuration is empty"

FLEET_ONLY_KEYS = (
    "groups",
    "vars",
    "iso_label",
    "etcd_tls",
    "etcd_tls_key",
    "etcd_tls_days",
    "inventory",
    "bmc",
    "libvirt",
    "install",
)
SKIPPED_RULES = frozenset({"no-login"})


def check_input(node: Node) -> list[Diagnostic]:
    """Before expansion: fleet-only keys, passwords, ct's unset-mode warnings."""
    found = list(_fleet_only(node))
    found += _passwords(node)
    found += _unset_modes(node)
    found += _templates(node)
    if not node.value:
        found.append(warning("empty-config", EMPTY_CONFIG, (), node.mark))
    return found


def check_rules(source: str, node: Node, tree: Node) -> list[Diagnostic]:
    """The lint rules that need no fleet, on the expanded config, as warnings.

    ct accepts what they find (a placeholder key like ``key1``, an MD5
    hash), and transpile is ct's drop-in: the output is still written, the
    problem is shown, and ``-strict`` fails on it.  ``hostiso build`` and
    ``lint`` keep them as errors.
    """
    host = Host(stem=source, source=source, name="", user=node, tree=tree)
    found: list[Diagnostic] = []
    rules.common.reset()
    try:
        for code, rule in rules.HOST_RULES.items():
            if code not in SKIPPED_RULES:
                found += [_as_warning(d.at(d.mark or host.locate(d.path))) for d in rule(host)]
    finally:
        rules.common.reset()
    return found


def _as_warning(d: Diagnostic) -> Diagnostic:
    return replace(d, severity=Severity.WARNING) if d.is_error else d


def _fleet_only(node: Node) -> Iterator[Diagnostic]:
    for key in FLEET_ONLY_KEYS:
        child = node.get(key)
        if child is not None:
            message = f"'{key}' is used by `hostiso build` in a fleet; hostiso transpile ignores it"
            yield warning("fleet-only-key", message, (key,), child.key_mark or child.mark)


def _users(node: Node) -> Iterator[tuple[int, Node]]:
    passwd = node.get("passwd")
    users = passwd.get("users") if passwd is not None else None
    if users is not None and isinstance(users.value, list):
        for index, user in enumerate(users.value):
            if isinstance(user.value, dict):
                yield index, user


def _passwords(node: Node) -> Iterator[Diagnostic]:
    for index, user in _users(node):
        path = ("passwd", "users", index)
        plaintext = user.value.pop("password", None)  # never let it travel further
        if plaintext is not None:
            yield error(
                "plaintext-password",
                "a plaintext 'password' must not be written in a config; "
                "use 'password_hash' (from `hostiso passwd`)",
                (*path, "password"),
                plaintext.mark,
                blocking=False,
            )
        password_file = user.get("password_file")
        if password_file is not None:
            yield error(
                "password-file-needs-fleet",
                "'password_file' is hashed with the fleet's secret by `hostiso build`; "
                "hostiso transpile has no fleet: use 'password_hash'",
                (*path, "password_file"),
                password_file.mark,
            )


def _storage_items(node: Node, kind: str) -> Iterator[tuple[tuple[str | int, ...], Node]]:
    storage = node.get("storage")
    items = storage.get(kind) if storage is not None else None
    if items is not None and isinstance(items.value, list):
        for index, item in enumerate(items.value):
            if isinstance(item.value, dict):
                yield ("storage", kind, index), item


def _unset_modes(node: Node) -> Iterator[Diagnostic]:
    for kind, default in (("files", UNSET_FILE_MODE), ("directories", UNSET_DIR_MODE)):
        for path, item in _storage_items(node, kind):
            if item.get("mode") is not None:
                continue
            append = item.get("append")
            message = UNSET_APPEND_MODE if append is not None and append.value else default
            yield warning("mode-unset", message, path, item.mark)


def _templates(node: Node) -> Iterator[Diagnostic]:
    for path, item in _storage_items(node, "files"):
        contents = item.get("contents")
        template = contents.get("template") if contents is not None else None
        if template is not None:
            yield error(
                "template-needs-fleet",
                "'contents.template' is rendered with the host and fleet by `hostiso build`; "
                "hostiso transpile has neither: use 'contents.local' for a file as it is",
                (*path, "contents", "template"),
                template.mark,
            )
