"""The install: section: schema (types, device), merge through overlays, lint rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import LOGIN, write_fleet
from hostiso.cli.io import dedupe
from hostiso.diagnostics.report import sort_diagnostics
from hostiso.load.fleet import Layout
from hostiso.load.installschema import check_install_device, identifiers, install_settings
from hostiso.pipeline.lint import lint
from hostiso.pipeline.steps import load_checked

CODES = {
    "bad-install-device",
    "bad-install-id",
    "wrong-type",
    "unknown-key",
    "missing-key",
    "duplicate-install-id",
    "duplicate-mac",
    "install-no-match",
    "placeholder-install-id",
}


def found(root: Path) -> list[tuple[str, str, int, int]]:
    items = sort_diagnostics(dedupe(lint(Layout(root))))
    return [
        (d.code, d.mark.file, d.mark.line, d.mark.col)
        for d in items
        if d.code in CODES and d.mark is not None
    ]


def fleet(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_fleet(tmp_path, {"overlays/all.yaml": LOGIN, **files})


@pytest.mark.parametrize(
    ("device", "ok"),
    [
        ("/dev/sda", True),
        ("/dev/nvme0n1", True),
        ("/dev/disk/by-path/pci-0000:00:1f.2-ata-1", True),
        ("/dev/disk/by-id/ata-Samsung_SSD_860_EVO_500GB_S3Z1NB0K123456A", True),
        ("/dev/vda", True),
        ("sda", False),
        ("/dev/sda1", False),
        ("/dev/nvme0n1p2", False),
        ("/dev/disk/by-id/ata-X-part6", False),
        ("/dev/../etc/passwd", False),
        ("/dev/sda b", False),
        ("/dev/sd'a", False),
        ("/tmp/disk.img", False),
    ],
)
def test_device_paths(device: str, ok: bool) -> None:
    assert (check_install_device(device) is None) is ok


def test_install_merges_through_overlays_and_keeps_marks(tmp_path: Path) -> None:
    root = fleet(
        tmp_path,
        {
            "overlays/rack.yaml": "install:\n  device: /dev/sda\n  wipe: true\n",
            "configs/a.yaml": "groups: [rack]\ninstall:\n  match: {mac: 52-54-00-AA-BB-01}\n",
        },
    )
    (host,) = load_checked(Layout(root), writes=False)
    settings = install_settings(host.plain())
    assert settings is not None
    assert (settings.device, settings.wipe) == ("/dev/sda", True)
    assert [(i.kind, i.value) for i in settings.identifiers] == [("mac", "52:54:00:aa:bb:01")]
    device = host.locate(("install", "device"))
    assert device is not None and (device.file, device.line) == ("overlays/rack.yaml", 2)
    mac = host.locate(("install", "match", "mac"))
    assert mac is not None and (mac.file, mac.line) == ("configs/a.yaml", 3)


def test_network_mac_counts_and_values_are_normalized() -> None:
    clc = {
        "network": {"mac": "52:54:00:AA:BB:02"},
        "install": {
            "device": "/dev/sda",
            "match": {
                "mac": ["52:54:00:AA:BB:01"],
                "uuid": "4C4C4544-0042-3510-8052-B4C04F5A4D32",
                "serial": "  CZ 2A1B  ",
            },
        },
    }
    assert [(i.kind, i.value, i.path) for i in identifiers(clc)] == [
        ("mac", "52:54:00:aa:bb:01", ("install", "match", "mac", 0)),
        ("serial", "CZ 2A1B", ("install", "match", "serial")),
        ("uuid", "4c4c4544-0042-3510-8052-b4c04f5a4d32", ("install", "match", "uuid")),
        ("mac", "52:54:00:aa:bb:02", ("network", "mac")),
    ]


def test_schema_errors_point_at_the_value(tmp_path: Path) -> None:
    root = fleet(
        tmp_path,
        {
            "configs/a.yaml": (
                "install:\n"
                "  device: /dev/sda1\n"
                "  wipe: yes please\n"
                "  match:\n"
                "    mac: {a: b}\n"
                "    serail: X\n"
            ),
        },
    )
    assert found(root) == [
        ("bad-install-device", "configs/a.yaml", 2, 11),
        ("wrong-type", "configs/a.yaml", 3, 9),
        ("wrong-type", "configs/a.yaml", 5, 10),
        ("unknown-key", "configs/a.yaml", 6, 5),
    ]


def test_malformed_identifiers_are_errors_at_their_line(tmp_path: Path) -> None:
    root = fleet(
        tmp_path,
        {
            "configs/a.yaml": (
                "install:\n"
                "  device: /dev/sda\n"
                "  match:\n"
                '    mac: ["52:54:00:12:34:56", "52:54:00:12:34"]\n'
                "    uuid: 4c4c4544-0042-3510-8052\n"
                '    serial: ""\n'
            ),
        },
    )
    assert found(root) == [
        ("bad-install-id", "configs/a.yaml", 4, 32),
        ("bad-install-id", "configs/a.yaml", 5, 11),
        ("bad-install-id", "configs/a.yaml", 6, 13),
    ]


def test_duplicate_identifiers_across_hosts_cite_each_other(tmp_path: Path) -> None:
    root = fleet(
        tmp_path,
        {
            "configs/a.yaml": "install:\n  device: /dev/sda\n  match: {serial: S1}\n",
            "configs/b.yaml": "install:\n  device: /dev/sda\n  match: {serial: S1}\n",
            "configs/c.yaml": (
                "network: {mac: '52:54:00:00:00:09', addresses: [10.0.0.3/24]}\n"
                "install: {device: /dev/sda}\n"
            ),
            "configs/d.yaml": "install:\n  device: /dev/sda\n  match: {mac: 52:54:00:00:00:09}\n",
        },
    )
    assert found(root) == [
        ("duplicate-install-id", "configs/a.yaml", 3, 19),
        ("duplicate-install-id", "configs/b.yaml", 3, 19),
        ("duplicate-install-id", "configs/c.yaml", 1, 16),
        ("duplicate-install-id", "configs/d.yaml", 3, 16),
    ]
    messages = [d.message for d in lint(Layout(root)) if d.code == "duplicate-install-id"]
    assert "serial S1 is also matched by host b (configs/b.yaml:3:19)" in messages[0]


def test_the_same_network_mac_on_two_hosts_is_duplicate_mac_only(tmp_path: Path) -> None:
    mac = "network: {mac: '52:54:00:00:00:09', addresses: [10.0.0.%d/24]}\n"
    root = fleet(
        tmp_path,
        {
            "configs/a.yaml": mac % 1 + "install: {device: /dev/sda}\n",
            "configs/b.yaml": mac % 2 + "install: {device: /dev/sda}\n",
        },
    )
    assert {code for code, *_ in found(root)} == {"duplicate-mac"}


def test_nothing_to_match_on_with_several_hosts(tmp_path: Path) -> None:
    root = fleet(
        tmp_path,
        {
            "configs/a.yaml": "install: {device: /dev/sda}\n",
            "configs/b.yaml": (
                "install: {device: /dev/sda, match: {uuid: 4c4c4544-0042-3510-8052-b4c04f5a4d32}}\n"
            ),
            "configs/c.yaml": "network: {interface: eth0, addresses: [10.0.0.3/24]}\n",
        },
    )
    assert found(root) == [("install-no-match", "configs/a.yaml", 1, 1)]


def test_one_host_with_install_needs_nothing_to_match(tmp_path: Path) -> None:
    root = fleet(tmp_path, {"configs/a.yaml": "install: {device: /dev/sda}\n"})
    assert found(root) == []


def test_placeholder_serial_is_a_warning(tmp_path: Path) -> None:
    root = fleet(
        tmp_path,
        {
            "configs/a.yaml": (
                "install:\n  device: /dev/sda\n  match:\n    serial: Default string\n"
                "    uuid: 03000200-0400-0500-0006-000700080009\n"
            )
        },
    )
    items = [d for d in lint(Layout(root)) if d.code == "placeholder-install-id"]
    assert [(d.severity.name, d.mark and d.mark.line) for d in items] == [
        ("WARNING", 4),
        ("WARNING", 5),
    ]


def test_install_is_no_ignition(tmp_path: Path) -> None:
    """install: never reaches the Ignition config (the installer reads it)."""
    from conftest import build_ok, load_ign

    root = fleet(tmp_path, {"configs/a.yaml": "install: {device: /dev/sda}\n"})
    build_ok(root)
    assert "install" not in load_ign(root, "a")
    assert "sda" not in (root / "build" / "a.ign").read_text()
