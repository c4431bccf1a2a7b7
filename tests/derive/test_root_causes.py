"""Root causes first (issue 11, #17): a member whose part of the etcd cluster
cannot be derived still goes through every other check, and where one finding
explains another, the explanation is a note on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import LOGIN, run, write_fleet

NETWORKD_TYPO = (
    "groups: [etcd]\n"
    "networkd:\n"
    "  units:\n"
    "    - name: 10-eth0.network\n"
    "      contents: |\n"
    "        [Match]\n"
    "        Name=eth0\n"
    "\n"
    "        [Netwrok]\n"
    "        Address=10.0.0.13/24\n"
)


def member(n: int, extra: str = "") -> str:
    return f"groups: [etcd]\nnetwork:\n  interface: eth0\n  addresses: [10.0.0.1{n}/24]\n{extra}"


def fleet(root: Path, c3: str) -> Path:
    files = {"overlays/all.yaml": LOGIN, "configs/c1.yaml": member(1), "configs/c2.yaml": member(2)}
    return write_fleet(root, {**files, "configs/c3.yaml": c3})


CAUSE = "no address: the .network unit's [Netwrok] section is not read; did you mean [Network]?"
INCOMPLETE = "the etcd cluster cannot be derived: member 'c3' has no address"


def test_a_section_typo_explains_the_missing_address(tmp_path: Path) -> None:
    root = fleet(tmp_path, NETWORKD_TYPO)
    expected = [
        f"configs/c1.yaml:1:10: [error] {INCOMPLETE} (etcd-cluster-incomplete)",
        f"configs/c3.yaml:9:9: [note] member c3 has {CAUSE} (etcd-cluster-incomplete)",
        f"configs/c2.yaml:1:10: [error] {INCOMPLETE} (etcd-cluster-incomplete)",
        f"configs/c3.yaml:9:9: [note] member c3 has {CAUSE} (etcd-cluster-incomplete)",
        "configs/c3.yaml:1:10: [error] etcd member 'c3' has no address to derive its URLs from: "
        "give the host 'network: addresses' (or a .network unit with Address=), or set "
        "initial_advertise_peer_urls, advertise_client_urls, listen_peer_urls, "
        "listen_client_urls (etcd-member-no-address)",
        f"configs/c3.yaml:9:9: [note] {CAUSE} (etcd-member-no-address)",
        "configs/c3.yaml:9:9: [warning] 10-eth0.network: unknown section [Netwrok] in a "
        ".network unit; did you mean Network? (networkd-unknown-section)",
    ]
    for command in ("lint", "build"):
        rc, out, err = run([command, "--format", "parsable"], root)
        assert (rc, out, err.splitlines()) == (1, "", expected), command
    assert not list((root / "out").glob("*.iso"))


def test_an_address_before_any_section_is_named(tmp_path: Path) -> None:
    c3 = "groups: [etcd]\nnetworkd:\n  units:\n    - name: a.network\n"
    c3 += "      contents: |\n        Address=10.0.0.13/24\n        [Match]\n        Name=eth0\n"
    rc, _, err = run(["lint", "--format", "parsable"], fleet(tmp_path, c3))
    assert rc == 1
    assert (
        "configs/c3.yaml:6:9: [note] no address: Address= stands before any [Section] header "
        "and is not read (etcd-member-no-address)"
    ) in err.splitlines()


MODE = "storage:\n  files:\n    - path: /etc/x\n      mode: 644\n"
"""A decimal-looking mode: a lint rule's warning, which must survive the etcd errors."""

DERIVATION_FAILURES = [
    pytest.param("etcd:\n  name: c1\n", "etcd-duplicate-name", id="duplicate-name"),
    pytest.param("etcd_tls: false\n", "inconsistent-etcd-tls", id="tls-off-on-one-member"),
    pytest.param(
        "etcd:\n  initial_cluster: x=https://10.9.9.9:2380\n",
        "etcd-cluster-mismatch",
        id="initial-cluster-mismatch",
    ),
]


@pytest.mark.parametrize(("extra", "code"), DERIVATION_FAILURES)
def test_every_check_reports_when_the_derivation_fails(
    tmp_path: Path, extra: str, code: str
) -> None:
    root = fleet(tmp_path, member(3, extra + MODE))
    for command in ("lint", "build"):
        rc, _, err = run([command, "--format", "parsable"], root)
        c3 = [line for line in err.splitlines() if line.startswith("configs/c3.yaml")]
        codes = [line.rsplit("(", 1)[1].rstrip(")") for line in c3 if "] " in line]
        assert rc == 1
        assert code in codes and "decimal-mode" in codes, (command, err)


def test_token_mismatch_keeps_the_other_checks(tmp_path: Path) -> None:
    token = "etcd:\n  initial_cluster_token: {}\n"
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN,
            "configs/c1.yaml": member(1, token.format("tok")),
            "configs/c2.yaml": member(2, token.format("tok")),
            "configs/c3.yaml": member(3, token.format("other") + MODE),
        },
    )
    rc, _, err = run(["lint", "--format", "parsable"], tmp_path)
    assert rc == 1
    heads = [line for line in err.splitlines() if "[note]" not in line]
    assert [h.split(": [")[0] + " " + h.rsplit(" ", 1)[1] for h in heads] == [
        "configs/c3.yaml:6:26 (etcd-token-mismatch)",
        "configs/c3.yaml:10:13 (decimal-mode)",
    ]
