"""The shorthands: ``hostname:`` and ``network:``, through ``hostiso build``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    CORE,
    EMPTY_IGNITION,
    LOGIN,
    build_ok,
    heads,
    hostname_file,
    load_ign,
    outputs,
    run,
    write_fleet,
)

REFERENCE_NETWORK = """\
network:
  interface: eth0
  addresses: [192.168.1.10/24]
  gateway: 192.168.1.1
  dns: [192.168.1.1, 192.168.1.2]
  routes:
    - destination: 10.45.0.0/16
      gateway: 192.168.1.124
"""

REFERENCE_UNIT = """\
[Match]
Name=eth0

[Network]
Address=192.168.1.10/24
Gateway=192.168.1.1
DNS=192.168.1.1
DNS=192.168.1.2

[Route]
Gateway=192.168.1.124
Destination=10.45.0.0/16
"""


def build_host(root: Path, text: str, stem: str = "h") -> Any:
    if not (root / "overlays/all.yaml").exists():
        write_fleet(root, {"overlays/all.yaml": LOGIN})
    write_fleet(root, {f"configs/{stem}.yaml": text})
    build_ok(root)
    return load_ign(root, stem)


def network_units(ign: Any) -> list[dict[str, str]]:
    units: list[dict[str, str]] = ign["networkd"]["units"]
    return units


# --- hostname -------------------------------------------------------------------


def test_hostname_defaults_to_the_file_stem(tmp_path: Path) -> None:
    ign = build_host(tmp_path, "{}\n", stem="web-01")
    assert ign == {
        "ignition": EMPTY_IGNITION,
        "networkd": {},
        "passwd": {"users": [CORE]},
        "storage": {"files": [hostname_file("web-01")]},
        "systemd": {},
    }


def test_hostname_key_overrides_the_stem(tmp_path: Path) -> None:
    ign = build_host(tmp_path, "hostname: web-01.example.com\n", stem="w1")
    assert ign["storage"]["files"] == [
        {
            "filesystem": "root",
            "path": "/etc/hostname",
            "contents": {"source": "data:,web-01.example.com%0A", "verification": {}},
            "mode": 0o644,
        }
    ]


def test_raw_hostname_file_merges_over_the_shorthand(tmp_path: Path) -> None:
    text = "storage:\n  files:\n    - path: /etc/hostname\n      contents:\n        inline: x\n"
    ign = build_host(tmp_path, text)
    assert ign["storage"]["files"] == [
        {
            "filesystem": "root",
            "path": "/etc/hostname",
            "contents": {"source": "data:,x", "verification": {}},
            "mode": 0o644,
        }
    ]


def _file(path: str, extra: str = "") -> str:
    return f"    - path: {path}\n      mode: 0644\n      contents: {{inline: x}}\n{extra}"


def test_raw_hostname_file_keeps_its_place_as_in_ct(tmp_path: Path) -> None:
    """ct writes the files in the config's order: a raw /etc/hostname after
    other files stays after them (tests/realworld/bond-cgroupv1-bare-metal)."""
    files = _file("/etc/a") + _file("/etc/hostname") + _file("/etc/b")
    ign = build_host(tmp_path, "storage:\n  files:\n" + files)
    assert [f["path"] for f in ign["storage"]["files"]] == ["/etc/a", "/etc/hostname", "/etc/b"]


def test_update_conf_before_a_raw_hostname_still_merges_with_ct_s(tmp_path: Path) -> None:
    files = _file("/etc/coreos/update.conf") + _file("/etc/hostname") + _file("/etc/b")
    ign = build_host(tmp_path, "update: {group: beta}\nstorage:\n  files:\n" + files)
    paths = [f["path"] for f in ign["storage"]["files"]]
    assert paths == ["/etc/hostname", "/etc/b", "/etc/coreos/update.conf"]


def test_bad_hostname_points_at_the_value(tmp_path: Path) -> None:
    write_fleet(tmp_path, {"overlays/all.yaml": LOGIN, "configs/h.yaml": "hostname: web_01\n"})
    rc, _, err = run(["build"], tmp_path)
    assert rc == 1
    assert heads(err) == [
        "configs/h.yaml:1:11: error: 'web_01' is not a valid hostname "
        "(letters, digits, '-' and '.' only) [bad-hostname]"
    ]
    assert not any(p.exists() for p in outputs(tmp_path, "h"))


# --- network ----------------------------------------------------------------------


def test_network_reference_example(tmp_path: Path) -> None:
    ign = build_host(tmp_path, REFERENCE_NETWORK)
    assert ign["networkd"] == {"units": [{"contents": REFERENCE_UNIT, "name": "10-static.network"}]}


@pytest.mark.parametrize(
    ("network", "unit"),
    [
        pytest.param(
            "  mac: 52-54-00-AB-cd-EF\n  addresses: [10.0.0.5/8]\n",
            "[Match]\nMACAddress=52:54:00:ab:cd:ef\n\n[Network]\nAddress=10.0.0.5/8\n",
            id="mac-normalised",
        ),
        pytest.param(
            "  interface: ens3\n  addresses: [192.168.1.10/24, '2001:db8::10/64']\n"
            "  gateway: '2001:db8::1'\n  dns: ['2001:db8::53']\n",
            "[Match]\nName=ens3\n\n[Network]\nAddress=192.168.1.10/24\n"
            "Address=2001:db8::10/64\nGateway=2001:db8::1\nDNS=2001:db8::53\n",
            id="ipv6",
        ),
        pytest.param(
            "  interface: eth0\n  domains: [example.com, lab.example.com]\n",
            "[Match]\nName=eth0\n\n[Network]\nDomains=example.com lab.example.com\n",
            id="domains",
        ),
        pytest.param(
            "  interface: eth0\n  routes:\n    - {destination: 10.1.0.0/16, gateway: 10.0.0.1}\n"
            "    - {destination: 'fd00::/8', gateway: 'fe80::1'}\n",
            "[Match]\nName=eth0\n\n[Network]\n\n[Route]\nGateway=10.0.0.1\n"
            "Destination=10.1.0.0/16\n\n[Route]\nGateway=fe80::1\nDestination=fd00::/8\n",
            id="two-routes",
        ),
    ],
)
def test_network_fields(tmp_path: Path, network: str, unit: str) -> None:
    ign = build_host(tmp_path, "network:\n" + network)
    assert network_units(ign) == [{"contents": unit, "name": "10-static.network"}]


def test_network_from_overlay_and_host_merge(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN
            + REFERENCE_NETWORK.replace("  addresses: [192.168.1.10/24]\n", ""),
        },
    )
    ign = build_host(tmp_path, "network:\n  addresses: [192.168.1.10/24]\n")
    assert network_units(ign) == [{"contents": REFERENCE_UNIT, "name": "10-static.network"}]


def test_raw_networkd_unit_overrides_the_shorthand(tmp_path: Path) -> None:
    text = REFERENCE_NETWORK + (
        "networkd:\n  units:\n    - name: 10-static.network\n"
        "      contents: |\n        [Match]\n        Name=eth9\n"
    )
    ign = build_host(tmp_path, text)
    assert network_units(ign) == [{"contents": "[Match]\nName=eth9\n", "name": "10-static.network"}]


def test_other_networkd_units_are_kept_beside_the_shorthand(tmp_path: Path) -> None:
    text = REFERENCE_NETWORK + (
        'networkd:\n  units:\n    - name: 20-bond.netdev\n      contents: "[NetDev]\\n"\n'
    )
    ign = build_host(tmp_path, text)
    assert network_units(ign) == [
        {"contents": REFERENCE_UNIT, "name": "10-static.network"},
        {"contents": "[NetDev]\n", "name": "20-bond.netdev"},
    ]


@pytest.mark.parametrize(
    ("network", "head"),
    [
        (
            "  addresses: [192.168.1.10/24]\n",
            "configs/h.yaml:2:3: error: network needs 'interface' or 'mac' to match a link "
            "[missing-key]",
        ),
        (
            "  interface: eth0\n  addresses: [192.168.1.10]\n",
            "configs/h.yaml:3:15: error: '192.168.1.10' needs a prefix length, "
            "like 192.168.1.10/24 [bad-address]",
        ),
        (
            "  interface: eth0\n  gateway: 192.168.1.300\n",
            "configs/h.yaml:3:12: error: '192.168.1.300' is not an IP address [bad-address]",
        ),
        (
            "  mac: 52:54:00:ab:cd\n",
            "configs/h.yaml:2:8: error: '52:54:00:ab:cd' is not a MAC address "
            "like 52:54:00:12:34:56 [bad-mac]",
        ),
    ],
)
def test_network_errors(tmp_path: Path, network: str, head: str) -> None:
    write_fleet(tmp_path, {"overlays/all.yaml": LOGIN, "configs/h.yaml": "network:\n" + network})
    rc, _, err = run(["build"], tmp_path)
    assert (rc, heads(err)) == (1, [head])
    assert not any(p.exists() for p in outputs(tmp_path, "h"))


def test_unquoted_all_digit_mac_is_a_string(tmp_path: Path) -> None:
    ign = build_host(tmp_path, "network:\n  mac: 52:54:00:12:34:56\n")
    assert network_units(ign) == [
        {
            "contents": "[Match]\nMACAddress=52:54:00:12:34:56\n\n[Network]\n",
            "name": "10-static.network",
        }
    ]


# --- the user's enabled/enable on a unit of ct's sections wins over ct's enable --------

SECTIONS_HOST = (
    "network:\n  interface: eth0\n  addresses: [10.0.0.11/24]\n"
    "etcd: {}\nflannel: ~\ndocker:\n  flags: [--debug]\n"
)
#: (the user's lines for each unit, each unit's keys in Ignition but its drop-ins);
#: Ignition 2.x enables a unit whose ``enable`` is true even next to ``enabled: false``
ENABLE_CASES = [
    ("", {"enable": True}),
    ("      enabled: false\n", {"enabled": False}),
    ("      enabled: true\n", {"enabled": True}),
    ("      enable: false\n", {}),
    ("      enabled: ~\n", {"enable": True}),
]
SECTION_UNITS = ("docker.service", "etcd-member.service", "flanneld.service")


def user_units(lines: str) -> str:
    return "systemd:\n  units:\n" + "".join(
        f"    - name: {name}\n{lines}" for name in SECTION_UNITS
    )


def unit_keys(ign: dict[str, Any]) -> dict[str, dict[str, Any]]:
    units = ign["systemd"]["units"]
    return {u["name"]: {k: v for k, v in u.items() if k not in ("name", "dropins")} for u in units}


@pytest.mark.parametrize(("lines", "keys"), ENABLE_CASES)
def test_user_enabled_wins_in_build(tmp_path: Path, lines: str, keys: dict[str, Any]) -> None:
    host = LOGIN + SECTIONS_HOST + "etcd_tls: false\n" + user_units(lines)
    write_fleet(tmp_path, {"configs/h.yaml": host})
    build_ok(tmp_path)
    assert unit_keys(load_ign(tmp_path, "h")) == dict.fromkeys(SECTION_UNITS, keys)


@pytest.mark.parametrize(("lines", "keys"), ENABLE_CASES)
def test_user_enabled_wins_in_transpile(tmp_path: Path, lines: str, keys: dict[str, Any]) -> None:
    rc, out, err = run(["transpile"], tmp_path, stdin=LOGIN + SECTIONS_HOST + user_units(lines))
    assert (rc, err) == (0, "")
    assert unit_keys(json.loads(out)) == dict.fromkeys(SECTION_UNITS, keys)
