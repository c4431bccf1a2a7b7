"""Host rules: each has a failing and a passing case, asserting code, file, line, col."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SSH_KEY, write_fleet
from hostiso.check.rules.modes import looks_decimal
from hostiso.check.rules.networkd import scan_unit
from hostiso.cli.io import dedupe
from hostiso.diagnostics.report import sort_diagnostics
from hostiso.load.fleet import Layout
from hostiso.load.unitsections import NETWORK_SECTIONS
from hostiso.pipeline.lint import lint

Where = tuple[str, str, int, int]


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """An empty fleet directory."""
    (tmp_path / "configs").mkdir()
    (tmp_path / "overlays").mkdir()
    return tmp_path


def found(root: Path, codes: set[str]) -> list[Where]:
    """(code, file, line, col) of every diagnostic with one of ``codes``, in file order."""
    items = sort_diagnostics(dedupe(lint(Layout(root))))
    return [
        (d.code, d.mark.file, d.mark.line, d.mark.col)
        for d in items
        if d.code in codes and d.mark is not None
    ]


A = "configs/a.yaml"
NETWORKD_CODES = {"networkd-syntax", "networkd-unknown-section"}

UNIT = """\
networkd:
  units:
    - name: 10-eth0.network
      contents: |
        [Match]
        Name=eth0
        [{section}]
        Address{eq}10.0.0.5/24
"""

CASES: list[tuple[str, set[str], dict[str, str], list[Where]]] = [
    (
        "decimal-mode/fails",
        {"decimal-mode"},
        {
            A: """\
storage:
  files:
    - path: /etc/motd
      mode: 644
  directories:
    - path: /var/lib/x
      mode: 1777
"""
        },
        [("decimal-mode", A, 4, 13), ("decimal-mode", A, 7, 13)],
    ),
    (
        "decimal-mode/passes",
        {"decimal-mode"},
        {
            A: """\
storage:
  files:
    - path: /etc/motd
      mode: 0644
  directories:
    - path: /var/lib/x
      mode: 01777
"""
        },
        [],
    ),
    (
        "decimal-mode/in-overlay",
        {"decimal-mode"},
        {
            A: "groups: [worker]\n",
            "overlays/worker.yaml": "storage:\n  files:\n    - path: /etc/x\n      mode: 600\n",
        },
        [("decimal-mode", "overlays/worker.yaml", 4, 13)],
    ),
    (
        "networkd/fails",
        NETWORKD_CODES,
        {A: UNIT.format(section="Adress", eq=" ")},
        [("networkd-unknown-section", A, 7, 9), ("networkd-syntax", A, 8, 9)],
    ),
    ("networkd/passes", NETWORKD_CODES, {A: UNIT.format(section="Address", eq="=")}, []),
    (
        "flannel-overlap/address",
        {"flannel-overlap"},
        {
            A: """\
network:
  interface: eth0
  addresses: [10.1.2.11/24]
flannel:
  network_config: '{"Network": "10.1.0.0/16"}'
"""
        },
        [("flannel-overlap", A, 5, 19)],
    ),
    (
        "flannel-overlap/passes",
        {"flannel-overlap"},
        {
            A: """\
network:
  interface: eth0
  addresses: [192.168.1.11/24]
  gateway: 192.168.1.1
  dns: [192.168.1.2]
flannel:
  network_config: '{"Network": "10.1.0.0/16"}'
"""
        },
        [],
    ),
    (
        "flannel-overlap/raw-route",
        {"flannel-overlap"},
        {
            A: """\
networkd:
  units:
    - name: 10-eth0.network
      contents: |
        [Match]
        Name=eth0
        [Network]
        Address=192.168.1.11/24
        [Route]
        Destination=10.1.128.0/20
        Gateway=192.168.1.1
flannel:
  network_config: '{"Network": "10.1.0.0/16"}'
"""
        },
        [("flannel-overlap", A, 13, 19)],
    ),
    (
        "docker-bridge/address",
        {"docker-bridge-overlap"},
        {
            A: """\
network:
  interface: eth0
  addresses: [172.17.5.10/24]
"""
        },
        [("docker-bridge-overlap", A, 3, 15)],
    ),
    (
        "docker-bridge/flannel",
        {"docker-bridge-overlap"},
        {
            A: """\
flannel:
  network_config: '{"Network": "172.16.0.0/12"}'
"""
        },
        [("docker-bridge-overlap", A, 2, 19)],
    ),
    (
        "docker-bridge/bip-set",
        {"docker-bridge-overlap"},
        {
            A: """\
network:
  interface: eth0
  addresses: [172.17.5.10/24]
docker:
  flags: [--bip=10.99.0.1/24]
"""
        },
        [],
    ),
    (
        "gateway-unreachable/fails",
        {"gateway-unreachable"},
        {
            A: """\
network:
  interface: eth0
  addresses: [192.168.1.11/24]
  gateway: 192.168.2.1
  routes:
    - destination: 10.45.0.0/16
      gateway: 192.168.9.1
"""
        },
        [("gateway-unreachable", A, 4, 12), ("gateway-unreachable", A, 6, 7)],
    ),
    (
        "gateway-unreachable/passes",
        {"gateway-unreachable"},
        {
            A: """\
network:
  interface: eth0
  addresses: [192.168.1.11/24, "fd00::11/64"]
  gateway: 192.168.1.1
  routes:
    - destination: 10.45.0.0/16
      gateway: 192.168.1.9
    - destination: "fd01::/64"
      gateway: "fe80::1"
"""
        },
        [],
    ),
    (
        "no-login/fails",
        {"no-login"},
        {A: "passwd:\n  users:\n    - name: core\n"},
        [("no-login", A, 3, 5)],
    ),
    ("no-login/no-passwd", {"no-login"}, {A: "hostname: a\n"}, [("no-login", A, 1, 1)]),
    (
        "no-login/passes",
        {"no-login"},
        {A: f"passwd:\n  users:\n    - name: core\n      ssh_authorized_keys: ['{SSH_KEY}']\n"},
        [],
    ),
]


@pytest.mark.parametrize(
    ("codes", "files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_host_rule(
    fleet: Path, codes: set[str], files: dict[str, str], expected: list[Where]
) -> None:
    assert found(write_fleet(fleet, files), codes) == expected


def test_flannel_overlap_names_both_networks_and_places(fleet: Path) -> None:
    write_fleet(fleet, {A: CASES[5][2][A]})
    [d] = [d for d in lint(Layout(fleet)) if d.code == "flannel-overlap"]
    assert d.message == (
        "flannel network 10.1.0.0/16 overlaps subnet 10.1.2.0/24 of address 10.1.2.11/24 "
        "at configs/a.yaml:3:15; host traffic, sshd included, would be routed into the overlay"
    )
    assert [(note, str(m)) for note, m in d.related] == [
        ("subnet 10.1.2.0/24 of address 10.1.2.11/24 is set here", "configs/a.yaml:3:15")
    ]


def test_networkd_messages_stand_at_the_line_of_a_block(fleet: Path) -> None:
    write_fleet(fleet, {A: UNIT.format(section="Adress", eq=" ")})
    heads = sorted(d.format() for d in lint(Layout(fleet)) if d.code in NETWORKD_CODES)
    assert heads == [
        "configs/a.yaml:7:9: warning: 10-eth0.network: unknown section [Adress] in a "
        ".network unit; did you mean Address?",
        "configs/a.yaml:8:9: error: 10-eth0.network: 'Address 10.0.0.5/24' is not KEY=VALUE "
        "(missing '=')",
    ]


def test_networkd_messages_in_quoted_contents_name_the_unit_line(fleet: Path) -> None:
    unit = '    - name: 10-eth0.network\n      contents: "[Match]\\nName=eth0\\n[Adress]\\n"\n'
    write_fleet(fleet, {A: f"networkd:\n  units:\n{unit}"})
    heads = [d.format() for d in lint(Layout(fleet)) if d.code in NETWORKD_CODES]
    assert heads == [
        "configs/a.yaml:4:17: warning: 10-eth0.network, line 3 of the unit: unknown section "
        "[Adress] in a .network unit; did you mean Address?"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[Match]\nName=eth0\n", []),
        ("# comment\n; comment\n\n[Network]\nDNS=1.1.1.1 \\\n  8.8.8.8\n", []),
        ("[X-Mine]\nFoo=bar\n", []),
        ("Name=eth0\n[Match]\n", [(1, "networkd-syntax")]),
        ("[Match\nName=eth0\n", [(1, "networkd-syntax"), (2, "networkd-syntax")]),
        ("[]\n", [(1, "networkd-syntax")]),
        ("[Match]\n=eth0\n", [(2, "networkd-syntax")]),
        ("[Match]\nName=eth0\n[Netwrok]\nDHCP=yes\n", [(3, "networkd-unknown-section")]),
        ("[Match]\nName=a \\\nb\n[Foo]\n", [(4, "networkd-unknown-section")]),
    ],
)
def test_scan_unit(text: str, expected: list[tuple[int, str]]) -> None:
    assert [(n, c) for n, c, _ in scan_unit(text, NETWORK_SECTIONS, ".network")] == expected


@pytest.mark.parametrize(
    ("name", "section", "ok"),
    [
        ("wg0.netdev", "WireGuardPeer", True),
        ("wg0.netdev", "Address", False),
        ("10-eth.link", "Link", True),
        ("10-eth.link", "Network", False),
        ("10-eth.network", "DHCPv4", True),
        ("10-eth.network", "DHCP", True),
        ("10-eth.network", "IPv6AcceptRA", True),
    ],
)
def test_sections_per_unit_type(fleet: Path, name: str, section: str, ok: bool) -> None:
    text = f"networkd:\n  units:\n    - name: {name}\n      contents: |\n        [{section}]\n"
    write_fleet(fleet, {A: text})
    expected = [] if ok else [("networkd-unknown-section", A, 5, 9)]
    assert found(fleet, NETWORKD_CODES) == expected


@pytest.mark.parametrize(
    ("mode", "decimal"),
    [
        (644, True),
        (755, True),
        (600, True),
        (777, True),
        (400, True),
        (444, True),
        (1777, True),
        (4755, True),
        (10644, True),
        (0o644, False),
        (0o755, False),
        (0o600, False),
        (0o400, False),
        (0o777, False),
        (0o1777, False),
        (0o4755, False),
        (0o2755, False),
        (0, False),
        (420, False),
        (688, False),
    ],
)
def test_looks_decimal(mode: int, decimal: bool) -> None:
    assert looks_decimal(mode) is decimal
