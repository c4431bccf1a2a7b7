"""Value formats of the host file: paths, unit names, hostnames, addresses.

Each check takes a value and returns what is wrong with it, or None.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from hostiso.util.units import NETWORKD_SUFFIXES, UNIT_SUFFIXES

_UNIT_CHARS = re.compile(r"^[A-Za-z0-9:_.\\@-]+$")
_HOSTNAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")
_IFNAME = re.compile(r"^[^\s/:]{1,15}$")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")


def check_abs_path(value: str) -> str | None:
    if not value.startswith("/"):
        return f"path '{value}' must be absolute (start with /)"
    return None


def _unit_name(value: str, suffixes: tuple[str, ...], what: str) -> str | None:
    if not value or len(value) > 255 or not _UNIT_CHARS.match(value):
        return f"'{value}' is not a valid {what} name"
    if not value.endswith(suffixes):
        return f"{what} name '{value}' must end in one of: {', '.join(suffixes)}"
    stem = value.rsplit(".", 1)[0]
    if not stem or stem.startswith("@") or stem.count("@") > 1:
        return f"'{value}' is not a valid {what} name"
    return None


def check_unit_name(value: str) -> str | None:
    problem = _unit_name(value, UNIT_SUFFIXES, "systemd unit")
    if problem and value.endswith(NETWORKD_SUFFIXES):
        problem += "; a networkd unit goes under networkd.units"
    return problem


def check_networkd_name(value: str) -> str | None:
    problem = _unit_name(value, NETWORKD_SUFFIXES, "networkd unit")
    if problem and value.endswith(UNIT_SUFFIXES):
        problem += "; a systemd unit goes under systemd.units"
    return problem


def check_dropin_name(value: str) -> str | None:
    if "/" in value or not value.endswith(".conf") or value == ".conf":
        return f"drop-in name '{value}' must be a file name ending in .conf"
    return None


def check_hostname(value: str) -> str | None:
    if len(value) > 253:
        return f"hostname '{value}' is too long ({len(value)} characters; at most 253)"
    long = next((label for label in value.split(".") if len(label) > 63), None)
    if long is not None:
        return f"hostname '{value}' has a label of {len(long)} characters (at most 63 between dots)"
    if not _HOSTNAME.match(value):
        return f"'{value}' is not a valid hostname (letters, digits, '-' and '.' only)"
    return None


def check_interface(value: str) -> str | None:
    if not _IFNAME.match(value):
        return f"'{value}' is not a valid interface name (at most 15 characters, no spaces)"
    return None


def check_mac(value: str) -> str | None:
    if not _MAC.match(value):
        return f"'{value}' is not a MAC address like 52:54:00:12:34:56"
    return None


IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=65536)
def parse_interface(value: str) -> IPInterface | None:
    """``value`` as an address with a prefix length, None when it is not one.

    Once per distinct text: the schema check, network facts and templates all
    read a host's addresses, and the objects are never changed."""
    try:
        return ipaddress.ip_interface(value) if "/" in value else None
    except ValueError:
        return None


def check_interface_cidr(value: str) -> str | None:
    if "/" not in value:
        return f"'{value}' needs a prefix length, like 192.168.1.10/24"
    if parse_interface(value) is None:
        return f"'{value}' is not an IPv4 or IPv6 address with prefix length"
    return None


@functools.lru_cache(maxsize=65536)
def parse_ip(value: str) -> IPAddress | None:
    """``value`` as an IP address, None when it is not one (once per distinct text)."""
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def check_ip(value: str) -> str | None:
    if parse_ip(value) is None:
        return f"'{value}' is not an IP address"
    return None


@functools.lru_cache(maxsize=4096)
def check_network(value: str) -> str | None:
    """Once per distinct text (route destinations: a few per fleet)."""
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        return f"'{value}' is not a network in CIDR form ({exc})"
    return None


ETCD_TLS_DAYS = (60, 3650)
"""Bounds of ``etcd_tls_days``: certificates are reused only while valid 30 more days, so
60 keeps rebuilds byte-identical for a month at least; 3650 is the etcd CA's own life."""


def check_etcd_tls_days(value: int) -> str | None:
    low, high = ETCD_TLS_DAYS
    if low <= value <= high:
        return None
    return (
        f"etcd_tls_days must be from {low} to {high}: certificates are re-issued when they "
        f"have less than 30 days left, and the etcd CA lives {high} days"
    )
