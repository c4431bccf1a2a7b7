"""The CLC ``flannel:`` section: a drop-in for ``flanneld.service``.

Tables mirror ct's ``Flannel0_5`` .. ``Flannel0_7`` structs (config/types/
flannel.go).  ``network_config`` is not a flag: ct writes it into etcd with an
``ExecStartPre=/usr/bin/etcdctl ... set /coreos.com/network/config`` line.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from typing import Any

from hostiso.diagnostics import Diagnostic, error, warning
from hostiso.sections.options import (
    OptionTable,
    Version,
    as_section,
    assemble_dropin,
    check_options,
    go_quote,
    parse_table,
    parse_version,
    render_args,
    string_keys,
)
from hostiso.sections.platform import has_braces, template_values

UNIT = "flanneld.service"
DROPIN = "20-clct-flannel.conf"
EXEC_START = "/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS"
DEFAULT_FLANNEL_VERSION = "0.7.0"
#: flannel's backends (its ``backend/`` packages); another type is a warning.
BACKEND_TYPES = (
    "vxlan",
    "udp",
    "host-gw",
    "ipip",
    "ipsec",
    "wireguard",
    "aws-vpc",
    "gce",
    "ali-vpc",
    "tencent-vpc",
    "alloc",
    "extension",
)
DEFAULT_SUBNET_LEN = 24
MAX_SUBNET_LEN = 30

_FLANNEL0_5 = """
etcd_endpoints:s etcd_cafile:s etcd_certfile:s etcd_keyfile:s etcd_prefix:s ip_masq:s
subnet_file:s interface:s public_ip:s
"""
_FLANNEL0_6 = "etcd_username:s etcd_password:s " + _FLANNEL0_5
_FLANNEL0_7 = _FLANNEL0_6 + " kube_subnet_mgr:b"
_FLAGS = {"interface": "iface"}

#: Which ct struct each hostiso table reproduces.
FLANNEL_VERSIONS: dict[str, str] = {"0.5": "Flannel0_5", "0.6": "Flannel0_6", "0.7": "Flannel0_7"}

#: Per version (``MAJOR.MINOR``): option name -> flag and type, in ct's order.
FLANNEL_OPTIONS: dict[str, OptionTable] = {
    "0.5": parse_table(_FLANNEL0_5, flags=_FLAGS),
    "0.6": parse_table(_FLANNEL0_6, flags=_FLAGS),
    "0.7": parse_table(_FLANNEL0_7, flags=_FLAGS),
}

#: etcdctl flags ct adds to the ExecStartPre line, from these flannel options.
_ETCDCTL_FLAGS = {
    "etcd_endpoints": "endpoints",
    "etcd_cafile": "ca-file",
    "etcd_certfile": "cert-file",
    "etcd_keyfile": "key-file",
}
_NETCONFIG_PATH = ("flannel", "network_config")


def text_keys(body: Mapping[str, Any]) -> frozenset[str]:
    """The keys of ``flannel:`` whose values ct reads as text, for its version."""
    _, key, _ = _resolve_version(body)
    table = FLANNEL_OPTIONS.get(key, {}) if key is not None else {}
    return string_keys(table) | {"network_config"}


def translate_flannel(
    section: Mapping[str, Any] | None, platform: str | None = None
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    """Translate ``flannel:``; ``None`` (``flannel: ~``) enables flannel with defaults."""
    body, diags = as_section(section, ("flannel",))
    if body is None:
        return [], diags
    version, key, found = _resolve_version(body)
    diags += found
    if key is None:
        return [], diags
    table = FLANNEL_OPTIONS.get(key, {})
    values, found = check_options(body, table, ("flannel",), skip=("version", "network_config"))
    args, metadata, templating = template_values(values, ("flannel",), platform)
    diags += found + templating
    netconfig = body.get("network_config")
    if isinstance(netconfig, bool | int | float):
        netconfig = str(netconfig)
    if netconfig == "":
        netconfig = None  # ct writes nothing for an empty network config
    diags += validate_network_config(netconfig) if netconfig is not None else []
    if netconfig is not None and values.get("kube_subnet_mgr") is True:
        diags.append(
            error(
                "conflicting-options",
                "flannel network config cannot be provided if kube_subnet_mgr is set",
                _NETCONFIG_PATH,
            )
        )
    if any(d.is_error for d in diags):
        return [], diags
    env = [f"FLANNEL_IMAGE_TAG=v{version}"] if body.get("version") is not None else []
    contents = assemble_dropin(EXEC_START, render_args(table, args), env, metadata)
    if isinstance(netconfig, str):
        contents += "\n" + etcdctl_line(values, netconfig)
        diags += _raw_placeholders(values) if metadata else []
    unit = {
        "kind": "unit",
        "name": UNIT,
        "enable": True,
        "dropins": [{"name": DROPIN, "contents": contents}],
    }
    return [unit], diags


def etcdctl_line(values: Mapping[str, str | int | bool], netconfig: str) -> str:
    """ct's ExecStartPre that stores the network config in etcd (v2 API)."""
    line = "ExecStartPre=/usr/bin/etcdctl"
    for name, flag in _ETCDCTL_FLAGS.items():
        if name in values:
            line += f" --{flag}={go_quote(str(values[name]))}"
    return line + f" set /coreos.com/network/config {go_quote(netconfig)}"


def _raw_placeholders(values: Mapping[str, str | int | bool]) -> list[Diagnostic]:
    """ct fills in placeholders in flanneld's arguments only: its etcdctl line
    for ``network_config`` gets the text as written, which etcdctl cannot use."""
    return [
        warning(
            "templating-etcdctl",
            f"ct fills in the placeholders of {name} for flanneld but not for the etcdctl "
            "command that stores network_config, which gets the text as written",
            ("flannel", name),
        )
        for name in _ETCDCTL_FLAGS
        if has_braces(values.get(name))
    ]


def _resolve_version(
    body: Mapping[str, Any],
) -> tuple[Version | None, str | None, list[Diagnostic]]:
    """The version and the table key (``""``: no table, ct emits no options)."""
    path = ("flannel", "version")
    raw = body.get("version")
    version, diags = parse_version(DEFAULT_FLANNEL_VERSION if raw is None else raw, path)
    if version is None:
        return None, None, diags
    if version < Version(0, 5, 0):
        return (
            version,
            None,
            [
                error(
                    "unsupported-version",
                    f"flannel {version} is too old; the oldest version ct supports is 0.5.0",
                    path,
                )
            ],
        )
    if version.major > 0:
        options = sorted(k for k in body if k not in ("version", "network_config"))
        if options:
            return (
                version,
                None,
                [
                    error(
                        "unsupported-version",
                        f"ct has no option table for flannel {version} and would silently "
                        f"drop {', '.join(options)}; ct knows flannel 0.5 to 0.7",
                        path,
                    )
                ],
            )
        diags.append(
            warning(
                "version-too-new",
                f"ct has no option table for flannel {version}; it writes the image tag only",
                path,
            )
        )
        return version, "", diags
    if version.minor > 7:
        diags.append(
            warning(
                "version-too-new",
                f"flannel {version} is newer than any known "
                "option table; only the options of flannel 0.7 are accepted",
                path,
            )
        )
        return version, "0.7", diags
    return version, version.minor_key, diags


def validate_network_config(netconfig: Any) -> list[Diagnostic]:
    """Check flannel's network config JSON: Network, SubnetLen, Backend.Type."""
    if not isinstance(netconfig, str):
        return [
            _bad(
                f"network_config must be a JSON string, got {type(netconfig).__name__}; "
                "write it as a quoted string or a YAML block scalar",
                "wrong-type",
            )
        ]
    try:
        config = json.loads(netconfig)
    except ValueError as exc:
        return [_bad(f"flannel network config is not valid JSON: {exc}")]
    if not isinstance(config, dict):
        return [
            _bad('flannel network config must be a JSON object like {"Network": "10.1.0.0/16"}')
        ]
    if config.get("EnableIPv4", True) is False:
        return _check_backend(config.get("Backend"))  # an IPv6-only network
    network, diags = _check_network(config.get("Network"))
    if network is not None:
        diags += _check_subnet_len(config.get("SubnetLen"), network)
    return diags + _check_backend(config.get("Backend"))


def _check_network(raw: Any) -> tuple[ipaddress.IPv4Network | None, list[Diagnostic]]:
    if raw is None:
        return None, [
            _bad('flannel network config needs "Network", an IPv4 CIDR such as "10.1.0.0/16"')
        ]
    if not isinstance(raw, str) or "/" not in raw:
        return None, [_bad(f'"Network" must be an IPv4 CIDR such as "10.1.0.0/16", got {raw!r}')]
    try:
        network = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        return None, [_bad(f'"Network" must be an IPv4 CIDR such as "10.1.0.0/16", got {raw!r}')]
    if not isinstance(network, ipaddress.IPv4Network):
        return None, [
            _bad(f'"Network" must be IPv4 (flannel puts IPv6 in "IPv6Network"), got {raw!r}')
        ]
    if str(network) != raw:
        return network, [
            warning(
                "invalid-network-config",
                f'"Network" {raw!r} has host bits set; flannel uses "{network}"',
                _NETCONFIG_PATH,
            )
        ]
    return network, []


def default_subnet_len(network: ipaddress.IPv4Network) -> int:
    """flannel's default SubnetLen: /24, or the Network's prefix + 2 past a /22."""
    prefix = network.prefixlen
    return DEFAULT_SUBNET_LEN if prefix <= 22 else prefix + 2


def _check_subnet_len(raw: Any, network: ipaddress.IPv4Network) -> list[Diagnostic]:
    given = raw is not None
    if raw is None:
        raw = default_subnet_len(network)
    if isinstance(raw, bool) or not isinstance(raw, int):
        return [_bad(f'"SubnetLen" must be an integer, got {raw!r}')]
    where = "" if given else " (flannel's default)"
    if raw <= network.prefixlen:
        return [
            _bad(
                f'"SubnetLen" {raw}{where} must be longer than the /{network.prefixlen} '
                f'of "Network" {network}, so that each host gets a subnet of it'
            )
        ]
    if raw > MAX_SUBNET_LEN:
        return [
            _bad(
                f'"SubnetLen" {raw}{where} is longer than /{MAX_SUBNET_LEN}; '
                "each host's subnet would be too small"
            )
        ]
    if raw == network.prefixlen + 1:
        return [
            warning(
                "invalid-network-config",
                f'"SubnetLen" {raw} splits "Network" {network} into only two subnets; '
                "flannel wants room for at least four",
                _NETCONFIG_PATH,
            )
        ]
    return []


def _check_backend(raw: Any) -> list[Diagnostic]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return [_bad(f'"Backend" must be a JSON object like {{"Type": "vxlan"}}, got {raw!r}')]
    kind = raw.get("Type", "vxlan")
    if not isinstance(kind, str):
        return [_bad(f'"Backend"."Type" must be a string, got {kind!r}')]
    if kind not in BACKEND_TYPES:
        return [
            warning(
                "invalid-network-config",
                f'"Backend"."Type" {kind!r} is not a flannel backend ({", ".join(BACKEND_TYPES)})',
                _NETCONFIG_PATH,
            )
        ]
    return []


def _bad(message: str, code: str = "invalid-network-config") -> Diagnostic:
    return error(code, message, _NETCONFIG_PATH)
