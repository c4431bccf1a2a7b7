"""ct's dynamic data: ``{PRIVATE_IPV4}`` in etcd and flannel options.

With ``-platform P`` ct replaces each ``{FIELD}`` in an etcd or flannel
argument by ``${VARIABLE}``, the variable coreos-metadata writes for P into
``/run/metadata/coreos``, and makes the drop-in wait for coreos-metadata and
read that file.  ``openstack-metadata`` and ``cloudstack-configdrive`` also
get drop-ins telling coreos-metadata (and its SSH-key unit, enabled) which
provider to ask.  Without a platform a brace is an error, as in ct.

Only ``hostiso transpile -platform`` has a platform: a fleet's hosts are bare
metal, with their addresses written in their host files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hostiso.diagnostics import Diagnostic, Path, error

_HOST, _V4, _V4PUB, _V6, _V6PUB = (
    "HOSTNAME",
    "PRIVATE_IPV4",
    "PUBLIC_IPV4",
    "PRIVATE_IPV6",
    "PUBLIC_IPV6",
)

#: platform -> placeholder -> the variable coreos-metadata sets (ct's table).
FIELDS: dict[str, dict[str, str]] = {
    "azure": {_V4: "COREOS_AZURE_IPV4_DYNAMIC", _V4PUB: "COREOS_AZURE_IPV4_VIRTUAL"},
    "digitalocean": {
        _HOST: "COREOS_DIGITALOCEAN_HOSTNAME",
        _V4: "COREOS_DIGITALOCEAN_IPV4_PRIVATE_0",
        _V4PUB: "COREOS_DIGITALOCEAN_IPV4_PUBLIC_0",
        _V6: "COREOS_DIGITALOCEAN_IPV6_PRIVATE_0",
        _V6PUB: "COREOS_DIGITALOCEAN_IPV6_PUBLIC_0",
    },
    "ec2": {
        _HOST: "COREOS_EC2_HOSTNAME",
        _V4: "COREOS_EC2_IPV4_LOCAL",
        _V4PUB: "COREOS_EC2_IPV4_PUBLIC",
    },
    "gce": {
        _HOST: "COREOS_GCE_HOSTNAME",
        _V4: "COREOS_GCE_IP_LOCAL_0",
        _V4PUB: "COREOS_GCE_IP_EXTERNAL_0",
    },
    "packet": {
        _HOST: "COREOS_PACKET_HOSTNAME",
        _V4: "COREOS_PACKET_IPV4_PRIVATE_0",
        _V4PUB: "COREOS_PACKET_IPV4_PUBLIC_0",
        _V6PUB: "COREOS_PACKET_IPV6_PUBLIC_0",
    },
    "openstack-metadata": {
        _HOST: "COREOS_OPENSTACK_HOSTNAME",
        _V4: "COREOS_OPENSTACK_IPV4_LOCAL",
        _V4PUB: "COREOS_OPENSTACK_IPV4_PUBLIC",
    },
    "vagrant-virtualbox": {
        _HOST: "COREOS_VAGRANT_VIRTUALBOX_HOSTNAME",
        _V4: "COREOS_VAGRANT_VIRTUALBOX_PRIVATE_IPV4",
    },
    "cloudstack-configdrive": {_HOST: "CLOUDSTACK_LOCAL_HOSTNAME"},
    "custom": {
        _HOST: "COREOS_CUSTOM_HOSTNAME",
        _V4: "COREOS_CUSTOM_PRIVATE_IPV4",
        _V4PUB: "COREOS_CUSTOM_PUBLIC_IPV4",
        _V6: "COREOS_CUSTOM_PRIVATE_IPV6",
        _V6PUB: "COREOS_CUSTOM_PUBLIC_IPV6",
    },
}
PLATFORMS = tuple(FIELDS)
"""The ``-platform`` values ct accepts, in its order."""

METADATA_UNIT_LINES = ("Requires=coreos-metadata.service", "After=coreos-metadata.service")
METADATA_ENV_FILE = "EnvironmentFile=/run/metadata/coreos"
_PROVIDER_PLATFORMS = ("openstack-metadata", "cloudstack-configdrive")
_PROVIDER_DROPIN = "20-clct-provider-override.conf"


def has_braces(value: object) -> bool:
    return isinstance(value, str) and ("{" in value or "}" in value)


def substitute(platform: str, text: str) -> tuple[str, str | None]:
    """``text`` with each ``{FIELD}`` replaced as ct replaces it, or the unknown
    field.  ct scans left to right: a ``{`` then the next ``}``; text after a
    replacement is scanned from where the placeholder ended."""
    fields = FIELDS[platform]
    start, end = text.find("{"), text.find("}")
    while start != -1 and end != -1 and start < end:
        name = text[start + 1 : end]
        if name not in fields:
            return text, name
        text = text.replace("{" + name + "}", "${" + fields[name] + "}", 1)
        start = text.find("{", end)
        end = text.find("}", start) if start != -1 else -1
    return text, None


def template_values(
    values: Mapping[str, str | int | bool], path: Path, platform: str | None
) -> tuple[dict[str, str | int | bool], bool, list[Diagnostic]]:
    """The option values with placeholders filled in for ``platform``, whether
    any value had one (the drop-in then waits for coreos-metadata), and the
    errors: a brace without a platform, a field the platform lacks."""
    templated = any(has_braces(v) for v in values.values())
    if not templated:
        return dict(values), False, []
    if platform is None:
        return (
            dict(values),
            True,
            [_no_platform(name, path) for name, v in values.items() if has_braces(v)],
        )
    out: dict[str, str | int | bool] = {}
    diags: list[Diagnostic] = []
    for name, value in values.items():
        out[name] = value
        if isinstance(value, str):
            out[name], unknown = substitute(platform, value)
            if unknown is not None:
                diags.append(_unknown_field(name, unknown, platform, (*path, name)))
    return out, True, diags


def _no_platform(name: str, path: Path) -> Diagnostic:
    return error(
        "templating-unsupported",
        f"{name} contains '{{' or '}}', which ct reads as a platform placeholder "
        "such as {PRIVATE_IPV4}; a fleet's hosts have no cloud platform to fill it in, "
        "so write the value itself (hostiso transpile -platform P fills it in as ct does)",
        (*path, name),
    )


def _unknown_field(name: str, field: str, platform: str, path: Path) -> Diagnostic:
    known = ", ".join("{" + f + "}" for f in FIELDS[platform])
    return error(
        "templating-unknown-field",
        f"{name}: platform {platform} has no placeholder {{{field}}} (it has {known})",
        path,
    )


def metadata_units(platform: str | None) -> list[dict[str, Any]]:
    """The coreos-metadata units ct adds for a platform whose provider must be named."""
    if platform not in _PROVIDER_PLATFORMS:
        return []
    contents = f"[Service]\nEnvironment=COREOS_METADATA_OPT_PROVIDER=--provider={platform}"
    dropins = [{"name": _PROVIDER_DROPIN, "contents": contents}]
    return [
        {"kind": "unit", "name": "coreos-metadata.service", "dropins": dropins},
        {
            "kind": "unit",
            "name": "coreos-metadata-sshkeys@.service",
            "enabled": True,
            "dropins": dropins,
        },
    ]
