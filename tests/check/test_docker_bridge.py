"""Docker's bridge: 172.17.0.0/16, or the network of ``--bip`` in ``docker.flags``."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import LOGIN, heads, run, write_fleet
from hostiso.check.rules.common import docker_bip

A = "configs/a.yaml"
OVERLAY = "overlays/docker.yaml"
HOST = f"groups: [docker]\n{LOGIN}network:\n  interface: eth0\n  addresses: [192.168.1.11/24]\n"
"""The address is at line 9, col 15 of the host file; added lines start at line 10."""
FLANNEL = 'flannel:\n  network_config: \'{"Network": "10.1.0.0/16"}\'\n'
SUBNET = "subnet 192.168.1.0/24 of address 192.168.1.11/24 at configs/a.yaml:9:15"
ROUTE = "the host loses its route there once Docker starts; choose another --bip"
INVALID = "(the bridge's address, like 10.99.0.1/24); dockerd would not start [docker-bip-invalid]"


def bridge(net: str, flag: str, at: str) -> str:
    return f"{at}: warning: Docker's bridge {net} (--bip={flag} at {at}) overlaps"


CASES: list[tuple[str, str, str, list[str]]] = [
    (
        "bip=/host-subnet",
        "docker:\n  flags: [--bip=192.168.1.1/24]\n",
        "",
        [
            f"{bridge('192.168.1.0/24', '192.168.1.1/24', f'{OVERLAY}:2:11')} {SUBNET}; {ROUTE} "
            "[docker-bridge-overlap]"
        ],
    ),
    (
        "bip-space-one-item/flannel",
        'docker:\n  flags: ["--bip 10.1.0.1/16"]\n',
        FLANNEL,
        [
            f"{bridge('10.1.0.0/16', '10.1.0.1/16', f'{OVERLAY}:2:11')} flannel network "
            f"10.1.0.0/16 "
            f"at {A}:11:19; containers would not reach the overlay; choose another --bip "
            "[docker-bridge-overlap]"
        ],
    ),
    (
        "bip-next-item/route",
        "docker:\n  flags:\n    - --mtu=1400\n    - --bip\n    - 10.45.3.1/24\n",
        "  routes:\n    - destination: 10.45.0.0/16\n      gateway: 192.168.1.1\n",
        [
            f"{bridge('10.45.3.0/24', '10.45.3.1/24', f'{OVERLAY}:4:7')} route destination "
            f"10.45.0.0/16 at {A}:11:7; {ROUTE} [docker-bridge-overlap]"
        ],
    ),
    (
        "bip-moves-bridge-off-172.17",
        "docker:\n  flags: [--bip=10.99.0.1/24]\n",
        "  dns: [172.17.0.2]\n",
        [],
    ),
    (
        "default-bridge/dns",
        "docker:\n  flags: [--mtu=1400]\n",
        "  dns: [172.17.0.2]\n",
        [
            f"{A}:10:9: warning: Docker's default bridge 172.17.0.0/16 overlaps DNS server "
            "172.17.0.2; the host loses its route there once Docker starts; set --bip in "
            "docker.flags [docker-bridge-overlap]"
        ],
    ),
    (
        "empty-bip-is-the-default",
        'docker:\n  flags: ["--bip="]\n',
        "  dns: [172.17.0.2]\n",
        [
            f"{A}:10:9: warning: Docker's default bridge 172.17.0.0/16 overlaps DNS server "
            "172.17.0.2; the host loses its route there once Docker starts; set --bip in "
            "docker.flags [docker-bridge-overlap]"
        ],
    ),
    (
        "last-bip-wins",
        "docker:\n  flags: [--bip=192.168.1.1/24, --bip=10.99.0.1/24]\n",
        "",
        [],
    ),
    (
        "gateway-inside-reported-subnet-is-not-repeated",
        "docker:\n  flags: [--bip=192.168.1.1/24]\n",
        "  gateway: 192.168.1.1\n  dns: [192.168.1.2]\n",
        [
            f"{bridge('192.168.1.0/24', '192.168.1.1/24', f'{OVERLAY}:2:11')} {SUBNET}; {ROUTE} "
            "[docker-bridge-overlap]"
        ],
    ),
    (  # a default route overlaps everything by definition: no conflict (issue 11)
        "default-route-and-default-bridge",
        "docker:\n  flags: [--mtu=1400]\n",
        "  routes:\n    - destination: 0.0.0.0/0\n      gateway: 192.168.1.1\n"
        "    - destination: ::/0\n      gateway: fe80::1\n",
        [],
    ),
    (
        "default-route-and-bip",
        "docker:\n  flags: [--bip=10.99.0.1/24]\n",
        "  routes:\n    - destination: 0.0.0.0/0\n      gateway: 192.168.1.1\n",
        [],
    ),
    (  # any shorter prefix than /0 still overlaps the bridge
        "route-covering-the-bridge",
        "docker:\n  flags: [--mtu=1400]\n",
        "  routes:\n    - destination: 172.16.0.0/12\n      gateway: 192.168.1.1\n",
        [
            f"{A}:11:7: warning: Docker's default bridge 172.17.0.0/16 overlaps route "
            "destination 172.16.0.0/12; the host loses its route there once Docker starts; "
            "set --bip in docker.flags [docker-bridge-overlap]"
        ],
    ),
    (
        "bip-without-prefix",
        "docker:\n  flags: [--bip, 10.99.0.1]\n",
        "",
        [
            f"{OVERLAY}:2:18: error: --bip value '10.99.0.1' is not an IPv4 address with a prefix "
            f"length {INVALID}"
        ],
    ),
    (
        "bip-ipv6",
        'docker:\n  flags: ["--bip=fd00::1/64"]\n',
        "",
        [
            f"{OVERLAY}:2:11: error: --bip value 'fd00::1/64' is not an IPv4 address with a prefix "
            f"length {INVALID}"
        ],
    ),
    (
        "bip-netmask",
        "docker:\n  flags: [--bip=10.99.0.1/255.255.255.0]\n",
        "",
        [
            f"{OVERLAY}:2:11: error: --bip value '10.99.0.1/255.255.255.0' is not an IPv4 address "
            f"with a prefix length {INVALID}"
        ],
    ),
    (
        "bip-without-value",
        "docker:\n  flags: [--mtu=1400, --bip]\n",
        "",
        [f"{OVERLAY}:2:23: error: --bip needs a value {INVALID}"],
    ),
]


@pytest.mark.parametrize(
    ("overlay", "extra", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_docker_bridge(tmp_path: Path, overlay: str, extra: str, expected: list[str]) -> None:
    write_fleet(tmp_path, {A: HOST + extra, OVERLAY: overlay})
    rc, out, err = run(["lint", "--format", "text"], tmp_path)
    assert heads(err) == expected
    assert (rc, out) == (1 if any(": error: " in e for e in expected) else 0, "")


def test_overlap_points_at_the_other_value(tmp_path: Path) -> None:
    write_fleet(tmp_path, {A: HOST, OVERLAY: CASES[0][1]})
    rc, _, err = run(["lint", "--format", "parsable"], tmp_path)
    assert rc == 0
    assert err.splitlines()[1] == (
        f"{A}:9:15: [note] subnet 192.168.1.0/24 of address 192.168.1.11/24 is set here "
        "(docker-bridge-overlap)"
    )


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], None),
        (["--mtu=1400"], None),
        (["--bip=10.1.0.1/16"], ("10.1.0.1/16", 0, 0)),
        (["--mtu=1 --bip 10.1.0.1/16"], ("10.1.0.1/16", 0, 0)),
        (["--bip", "10.1.0.1/16"], ("10.1.0.1/16", 0, 1)),
        (["--bip"], (None, 0, 0)),
        (["--bip", "--mtu=1"], ("--mtu=1", 0, 1)),
        (["--bip=1.2.3.4/8", None, 5, "--bip=", "x"], ("", 3, 3)),
    ],
)
def test_docker_bip(flags: list[object], expected: tuple[object, int, int] | None) -> None:
    bip = docker_bip({"docker": {"flags": flags}})
    got = None if bip is None else (bip.value, bip.path[-1], bip.value_path[-1])
    assert got == expected


VMWARE_UNIT = """networkd:
  units:
    - name: 00-vmware.network
      contents: |
        [Match]
        Name=ens192

        [Network]
        Address=10.20.30.40/24
        DNS=10.20.30.1

        [Route]
        Destination=0.0.0.0/0
        Gateway=10.20.30.1

        [Route]
        Destination=::/0
        Gateway=fe80::1
"""


def test_a_default_route_passes_transpile_strict(tmp_path: Path) -> None:
    """The real VMware config of issue 11: docker.service with a default route."""
    write_fleet(tmp_path, {"in.yaml": VMWARE_UNIT + "docker:\n  flags: [--mtu=1400]\n"})
    rc, out, err = run(["transpile", "-strict", "-in-file", "in.yaml"], tmp_path)
    assert (rc, err) == (0, "") and out.startswith("{")


def test_a_default_route_is_no_flannel_overlap(tmp_path: Path) -> None:
    host = f"{LOGIN}{VMWARE_UNIT}{FLANNEL}"
    write_fleet(tmp_path, {A: host})
    rc, out, err = run(["lint", "--strict"], tmp_path)
    assert (rc, out, err) == (0, "", "")
