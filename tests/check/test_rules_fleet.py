"""Fleet rules: each has a failing and a passing case, asserting code, file, line, col."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run, write_fleet
from hostiso.check.rules.common import FlannelNet, flannel_net
from hostiso.cli.io import dedupe
from hostiso.diagnostics.report import sort_diagnostics
from hostiso.load.fleet import Layout
from hostiso.pipeline.lint import lint

Where = tuple[str, str, int, int]


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """An empty fleet directory."""
    (tmp_path / "configs").mkdir()
    (tmp_path / "overlays").mkdir()
    return tmp_path


def found(root: Path, codes: set[str]) -> list[Where]:
    items = sort_diagnostics(dedupe(lint(Layout(root))))
    return [
        (d.code, d.mark.file, d.mark.line, d.mark.col)
        for d in items
        if d.code in codes and d.mark is not None
    ]


def host(address: str, extra: str = "") -> str:
    return f"network:\n  interface: eth0\n  addresses: [{address}]\n{extra}"


def hosts(*addresses: str, extra: str = "") -> dict[str, str]:
    return {f"configs/h{i}.yaml": host(a, extra) for i, a in enumerate(addresses, 1)}


def mac_host(mac: str, address: str) -> str:
    return f'network:\n  mac: "{mac}"\n  addresses: [{address}]\n'


FLANNEL_28 = 'flannel:\n  network_config: \'{"Network": "10.1.0.0/28", "SubnetLen": 30}\'\n'
ETCD = "groups: [etcd]\n"

CASES: list[tuple[str, set[str], dict[str, str], list[Where]]] = [
    (
        "duplicate-address/fails",
        {"duplicate-address"},
        hosts("192.168.1.11/24", "192.168.1.12/24", "192.168.1.11/24"),
        [
            ("duplicate-address", "configs/h1.yaml", 3, 15),
            ("duplicate-address", "configs/h3.yaml", 3, 15),
        ],
    ),
    (
        "duplicate-address/passes",
        {"duplicate-address"},
        hosts("192.168.1.11/24", "192.168.1.12/24"),
        [],
    ),
    (
        "duplicate-mac/fails",
        {"duplicate-mac"},
        {
            "configs/a.yaml": mac_host("52:54:00:00:00:01", "192.168.1.11/24"),
            "configs/b.yaml": mac_host("52-54-00-00-00-01", "192.168.1.12/24"),
        },
        [("duplicate-mac", "configs/a.yaml", 2, 8), ("duplicate-mac", "configs/b.yaml", 2, 8)],
    ),
    (
        "duplicate-mac/passes",
        {"duplicate-mac"},
        {
            "configs/a.yaml": mac_host("52:54:00:00:00:01", "192.168.1.11/24"),
            "configs/b.yaml": mac_host("52:54:00:00:00:02", "192.168.1.12/24"),
        },
        [],
    ),
    (
        "flannel-capacity/fails",
        {"flannel-capacity"},
        {
            "overlays/all.yaml": FLANNEL_28,
            **hosts("192.168.1.11/24", "192.168.1.12/24", "192.168.1.13/24", "192.168.1.14/24"),
        },
        [("flannel-capacity", "overlays/all.yaml", 2, 19)],
    ),
    (
        "flannel-capacity/passes",
        {"flannel-capacity"},
        {
            "overlays/all.yaml": FLANNEL_28,
            **hosts("192.168.1.11/24", "192.168.1.12/24", "192.168.1.13/24"),
        },
        [],
    ),
    (
        "prefix-mismatch/fails",
        {"prefix-mismatch"},
        hosts("192.168.1.11/24", "192.168.1.12/24", "192.168.1.13/16"),
        [("prefix-mismatch", "configs/h3.yaml", 3, 15)],
    ),
    (
        "prefix-mismatch/passes",
        {"prefix-mismatch"},
        hosts("192.168.1.11/24", "192.168.1.12/24", "10.0.0.1/8", "192.168.2.1/32"),
        [],
    ),
    (
        "etcd-even-members/fails",
        {"etcd-even-members"},
        hosts("192.168.1.11/24", "192.168.1.12/24", extra=ETCD),
        [("etcd-even-members", "configs/h1.yaml", 4, 10)],
    ),
    (
        "etcd-even-members/passes",
        {"etcd-even-members"},
        hosts("192.168.1.11/24", "192.168.1.12/24", "192.168.1.13/24", extra=ETCD),
        [],
    ),
    (
        "etcd-foreign-url/fails",
        {"etcd-foreign-url"},
        {
            "configs/a.yaml": host(
                "192.168.1.11/24",
                "etcd:\n  initial_advertise_peer_urls: http://192.168.1.12:2380\n",
            ),
            "configs/b.yaml": host("192.168.1.12/24"),
        },
        [("etcd-foreign-url", "configs/a.yaml", 5, 32)],
    ),
    (
        "etcd-foreign-url/name",
        {"etcd-foreign-url"},
        {
            "configs/a.yaml": host(
                "192.168.1.11/24", "etcd:\n  advertise_client_urls: http://b:2379\n"
            ),
            "configs/b.yaml": host("192.168.1.12/24"),
        },
        [("etcd-foreign-url", "configs/a.yaml", 5, 26)],
    ),
    (
        "etcd-foreign-url/passes",
        {"etcd-foreign-url"},
        {
            "configs/a.yaml": host(
                "192.168.1.11/24",
                "etcd:\n  advertise_client_urls: "
                "http://192.168.1.11:2379,http://127.0.0.1:2379,http://a:2379\n",
            ),
        },
        [],
    ),
]


@pytest.mark.parametrize(
    ("codes", "files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_fleet_rule(
    fleet: Path, codes: set[str], files: dict[str, str], expected: list[Where]
) -> None:
    assert found(write_fleet(fleet, files), codes) == expected


def test_duplicate_cites_the_other_host(fleet: Path) -> None:
    write_fleet(fleet, hosts("192.168.1.11/24", "192.168.1.11/24"))
    got = sorted(
        (d.host, d.message, [(n, str(m)) for n, m in d.related])
        for d in lint(Layout(fleet))
        if d.code == "duplicate-address"
    )
    assert got == [
        (
            "h1",
            "address 192.168.1.11 is also used by host h2 (configs/h2.yaml:3:15)",
            [("address 192.168.1.11 of host h2", "configs/h2.yaml:3:15")],
        ),
        (
            "h2",
            "address 192.168.1.11 is also used by host h1 (configs/h1.yaml:3:15)",
            [("address 192.168.1.11 of host h1", "configs/h1.yaml:3:15")],
        ),
    ]


def test_capacity_message(fleet: Path) -> None:
    write_fleet(
        fleet,
        {"overlays/all.yaml": FLANNEL_28, **hosts(*(f"192.168.1.{i}/24" for i in range(11, 15)))},
    )
    [found] = [d for d in lint(Layout(fleet)) if d.code == "flannel-capacity"]
    assert found.format() == (
        "overlays/all.yaml:2:19: error: 4 hosts run flannel on 10.1.0.0/28 with SubnetLen 30, "
        "but it has room for only 3 host subnets; flannel on the others cannot get a lease "
        "(widen Network or lengthen SubnetLen)"
    )
    assert [note for note, _ in found.related] == ["stops 4 hosts: h1, h2, h3, h4"]  # none built


def test_capacity_of_one_and_hosts_without_network_config(fleet: Path) -> None:
    one = 'flannel:\n  network_config: \'{"Network": "10.1.0.0/29", "SubnetLen": 30}\'\n'
    write_fleet(
        fleet,
        {
            "configs/h1.yaml": host("192.168.1.11/24", one),
            "configs/h2.yaml": host("192.168.1.12/24", "flannel: ~\n"),
        },
    )
    rc, _out, err = run(["build", "--format", "parsable"], fleet)
    assert rc == 1
    tail = (
        "error] 2 hosts run flannel on 10.1.0.0/29 with SubnetLen 30, but it has room for "
        "only 1 host subnet; flannel on the others cannot get a lease (widen Network or "
        "lengthen SubnetLen) (flannel-capacity)"
    )
    assert [line for line in err.splitlines() if "flannel-capacity" in line] == [
        f"configs/h1.yaml:5:19: [{tail}",
        f"configs/h2.yaml:4:10: [{tail}",
    ]
    assert not (fleet / "out").exists() or list((fleet / "out").iterdir()) == []


@pytest.mark.parametrize(
    ("config", "capacity"),
    [
        ('{"Network": "10.1.0.0/16"}', 255),
        ('{"Network": "10.1.0.0/16", "SubnetLen": 20}', 15),
        ('{"Network": "10.1.0.0/16", "SubnetMin": "10.1.0.0"}', 256),
        ('{"Network": "10.1.0.0/16", "SubnetMin": "10.1.10.0", "SubnetMax": "10.1.19.0"}', 10),
    ],
)
def test_flannel_capacity_follows_flannel_defaults(config: str, capacity: int) -> None:
    net = flannel_net({"flannel": {"network_config": config}})
    assert isinstance(net, FlannelNet)
    assert net.capacity == capacity


@pytest.mark.parametrize(
    "config",
    [None, "not json", "[]", '{"Network": 5}', '{"Network": "10.1.0.0/16", "SubnetLen": 8}'],
)
def test_flannel_net_ignores_invalid_configs(config: str | None) -> None:
    assert flannel_net({"flannel": {"network_config": config}}) is None
