"""The etcd cluster derived from a fleet whose members have errors.

A member with a broken value must not crash the derivation, must not leave
the other members built with a half-wrong cluster, and counts as a member
(the even-members warning counts what ``initial_cluster`` lists).  Also:
``etcd_tls`` on a non-member, and the bounds of ``etcd_tls_days``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import LOGIN, load_ign, run, write_fleet
from hostiso.crypto import pki
from hostiso.load import netfacts

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}
ALL = LOGIN + "network:\n  interface: eth0\nflannel: ~\n"
HOSTS = ("c1", "c2", "c3", "w1")


def member(n: int, extra: str = "", groups: str = "controller") -> str:
    return f"groups: [{groups}]\nnetwork:\n  addresses: [10.0.0.1{n}/24]\n{extra}"


def fleet(tmp_path: Path, files: dict[str, str]) -> Path:
    """Three controllers (members through the overlay's ``etcd:``), one flannel worker."""
    base = {
        "overlays/all.yaml": ALL,
        "overlays/controller.yaml": "etcd:\n  initial_cluster_token: tok\n",
        **{f"configs/c{n}.yaml": member(n) for n in (1, 2, 3)},
        "configs/w1.yaml": "network:\n  addresses: [10.0.0.21/24]\n",
    }
    return write_fleet(tmp_path, {**base, **files})


def build(root: Path) -> tuple[int, list[str], list[str]]:
    """Exit code, every parsable diagnostic line, the hosts that got an ISO."""
    rc, _out, err = run(["build", "--format", "parsable"], root, env=EPOCH)
    assert "Traceback" not in err
    built = sorted(p.stem for p in (root / "out").glob("*.iso"))
    return rc, err.splitlines(), built


def incomplete(at: str, reason: str, note: str) -> list[str]:
    return [
        f"{at}: [error] the etcd cluster cannot be derived: {reason} (etcd-cluster-incomplete)",
        f"{note} (etcd-cluster-incomplete)",
    ]


def others(reason: str, note: str) -> list[str]:
    """The one diagnostic of w1 (at flannel) and of c2 and c3 (at the overlay's etcd,
    with a note naming the two hosts it stops)."""
    return [
        *incomplete("overlays/all.yaml:8:1", reason, note),
        *incomplete("overlays/controller.yaml:1:1", reason, note),
        "overlays/controller.yaml:1:1: [note] stops 2 hosts: c2, c3 (etcd-cluster-incomplete)",
    ]


# --- a badly typed network on a member: its own error, no crash -----------------------

NO_ADDRESS = "member 'c1' has no address"
CRASH_CASES = [
    # (c1's extra lines, every diagnostic, hosts built)
    (
        "networkd: x\n",
        ["configs/c1.yaml:4:11: [error] expected a mapping, got string (wrong-type)"],
    ),
    (
        "networkd: [a, b]\n",
        ["configs/c1.yaml:4:11: [error] expected a mapping, got list (wrong-type)"],
    ),
    (
        "networkd: {units: 5}\n",
        ["configs/c1.yaml:4:19: [error] expected a list, got integer (wrong-type)"],
    ),
    ("  dns: 5\n", ["configs/c1.yaml:4:8: [error] expected a list, got integer (wrong-type)"]),
    ("  routes: 5\n", ["configs/c1.yaml:4:11: [error] expected a list, got integer (wrong-type)"]),
    (
        "  routes: [5]\n",
        ["configs/c1.yaml:4:12: [error] expected a mapping, got integer (wrong-type)"],
    ),
    (
        "  interface: [1]\n",
        ["configs/c1.yaml:4:14: [error] expected string, got list (wrong-type)"],
    ),
]


@pytest.mark.parametrize(("extra", "expected"), CRASH_CASES, ids=[c[0] for c in CRASH_CASES])
def test_badly_typed_network_is_only_its_error(
    tmp_path: Path, extra: str, expected: list[str]
) -> None:
    root = fleet(tmp_path, {"configs/c1.yaml": member(1, extra)})
    rc, _out, err = run(["lint", "--format", "parsable"], root)
    assert (rc, err.splitlines()) == (1, expected)
    rc, _out, err = run(["show", "c1"], root)
    assert rc == 1 and "Traceback" not in err
    # the address still comes from network.addresses: the others are built
    assert build(root) == (1, expected, ["c2", "c3", "w1"])


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "groups: [controller]\nnetwork:\n  addresses: 1.5\n",
            "configs/c1.yaml:3:14: [error] expected a list, got number (wrong-type)",
        ),
        (
            "groups: [controller]\nnetworkd:\n  units:\n    - name: [x]\n      contents: 5\n",
            "configs/c1.yaml:4:13: [error] expected string, got list (wrong-type)",
        ),
    ],
)
def test_member_whose_address_is_badly_typed(tmp_path: Path, text: str, error: str) -> None:
    """No etcd-member-no-address on c1 (its error says it); the others are not built."""
    root = fleet(tmp_path, {"configs/c1.yaml": text})
    note = f"{error.split(' [error]')[0]} [note] member without an address"
    assert build(root) == (1, [error, *others(NO_ADDRESS, note)], [])


@pytest.mark.parametrize(
    "clc",
    [
        "x",
        {"networkd": "x"},
        {"networkd": {"units": 5}},
        {"networkd": {"units": [5, {"name": ["x"]}, {"name": "a.network", "contents": 5}]}},
        {"network": 5},
        {"network": {"addresses": 1.5, "dns": 5, "routes": 5, "gateway": [1], "mac": {}}},
        {"network": {"addresses": [["x"], {"a": 1}, None], "routes": [5, {"destination": [1]}]}},
    ],
)
def test_network_facts_take_any_shape(clc: object) -> None:
    assert netfacts.network_facts(clc).addresses == []


# --- the cluster cannot be derived: nobody is built with half of it -----------------------

TLS_OFF = (
    "configs/c1.yaml:4:11: [error] etcd_tls must be the same on every etcd member; "
    "set it in one overlay (inconsistent-etcd-tls)"
)
NAME_ERROR = "configs/c1.yaml:5:9: [error] name must be a string, got list (wrong-type)"
HOSTNAME_ERROR = "configs/c1.yaml:4:11: [error] expected string, got list (wrong-type)"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "etcd_tls: false\n",
            [
                TLS_OFF,
                *others(
                    "member 'c1' sets etcd_tls: false and other members do not",
                    "configs/c1.yaml:4:11: [note] etcd_tls of member c1",
                ),
            ],
        ),
        (
            "etcd:\n  name: [x]\n",
            [
                NAME_ERROR,
                *others(
                    "member 'c1' has an error in a value the cluster is made from",
                    "configs/c1.yaml:5:9: [note] the error in member c1",
                ),
            ],
        ),
        (
            "hostname: [x]\n",
            [
                HOSTNAME_ERROR,
                *others(
                    "member 'c1' has an error in a value the cluster is made from",
                    "configs/c1.yaml:4:11: [note] the error in member c1",
                ),
            ],
        ),
    ],
    ids=["etcd_tls", "etcd-name", "hostname"],
)
def test_cluster_incomplete(tmp_path: Path, extra: str, expected: list[str]) -> None:
    root = fleet(tmp_path, {"configs/c1.yaml": member(1, extra)})
    assert build(root) == (1, expected, [])


def test_unrelated_error_keeps_the_cluster(tmp_path: Path) -> None:
    """c1 fails on its own; c2, c3 and w1 get the cluster c1 will join once fixed."""
    root = fleet(
        tmp_path, {"configs/c1.yaml": member(1, "storage:\n  files:\n    - path: etc/x\n")}
    )
    assert build(root) == (
        1,
        [
            "configs/c1.yaml:6:13: [error] path 'etc/x' must be absolute (start with /) "
            "(relative-path)"
        ],
        ["c2", "c3", "w1"],
    )
    units = load_ign(root, "c2")["systemd"]["units"]
    etcd = next(u for u in units if u["name"] == "etcd-member.service")
    cluster = ",".join(f"c{n}=https://10.0.0.1{n}:2380" for n in (1, 2, 3))
    assert f'--initial-cluster="{cluster}"' in etcd["dropins"][0]["contents"]


# --- the even-members warning counts every member -----------------------------------------

EVEN4 = [
    "overlays/controller.yaml:2:3: [warning] the etcd cluster has 4 members (c1, c2, c3, c4); "
    "4 members tolerate no more failures than 3 do: add or remove one (etcd-even-members)",
    "overlays/controller.yaml:2:3: [note] member c2 (etcd-even-members)",
    "overlays/controller.yaml:2:3: [note] member c3 (etcd-even-members)",
]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"configs/c3.yaml": "network:\n  addresses: [10.0.0.13/24]\n"},
            [
                "overlays/controller.yaml:2:3: [warning] the etcd cluster has 2 members (c1, c2); "
                "2 members tolerate no more failures than 1 does: add or remove one "
                "(etcd-even-members)",
                "overlays/controller.yaml:2:3: [note] member c2 (etcd-even-members)",
            ],
        ),
        (
            {"configs/c4.yaml": member(4, groups="controller, nope")},
            [
                "configs/c4.yaml:1:22: [error] group 'nope' has no overlay: overlays/nope.yaml "
                "does not exist (missing-overlay)",
                *EVEN4,
                "overlays/controller.yaml:2:3: [note] member c4 (etcd-even-members)",
            ],
        ),
        (
            {"configs/c4.yaml": member(4, "etcd:\n  initial_cluster: c1=http://x:1\n")},
            [
                "configs/c4.yaml:5:20: [error] initial_cluster disagrees with the fleet's etcd "
                "members: missing c2=https://10.0.0.12:2380; missing c3=https://10.0.0.13:2380; "
                "missing c4=https://10.0.0.14:2380; c1 has http://x:1 but the fleet has "
                "https://10.0.0.11:2380 (the fleet's value is 'c1=https://10.0.0.11:2380,"
                "c2=https://10.0.0.12:2380,c3=https://10.0.0.13:2380,c4=https://10.0.0.14:2380'; "
                "remove initial_cluster to have it derived) (etcd-cluster-mismatch)",
                *EVEN4,
                "configs/c4.yaml:5:3: [note] member c4 (etcd-even-members)",
            ],
        ),
    ],
    ids=["two", "missing-overlay", "wrong-initial-cluster"],
)
def test_even_members_counts_members_with_errors(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    root = fleet(tmp_path, files)
    rc, _out, err = run(["lint", "--format", "parsable"], root)
    assert (rc, err.splitlines()) == (1 if "[error]" in "".join(expected) else 0, expected)


# --- etcd_tls on a host that is not a member ----------------------------------------------

NOT_MEMBER = (
    "configs/w1.yaml:3:11: [warning] etcd_tls only applies to etcd members, and this host is "
    "not one: it reaches the cluster with {how}; remove etcd_tls here or set it on the members "
    "(etcd-tls-not-member)"
)
WORKER = "network:\n  addresses: [10.0.0.21/24]\n"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"configs/w1.yaml": WORKER + "etcd_tls: false\n"},
            [NOT_MEMBER.format(how="https and a client certificate, as the members use TLS")],
        ),
        (
            {
                "configs/w1.yaml": WORKER + "etcd_tls: true\n",
                "overlays/controller.yaml": "etcd_tls: false\netcd:\n  initial_cluster_token: t\n",
            },
            [NOT_MEMBER.format(how="plain http, as the members turn TLS off")],
        ),
        ({"overlays/all.yaml": ALL + "etcd_tls: false\n"}, []),  # agrees with the members
    ],
    ids=["off-on-a-tls-cluster", "on-on-a-plain-cluster", "the-same-everywhere"],
)
def test_etcd_tls_on_a_non_member(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    root = fleet(tmp_path, files)
    assert build(root) == (0, expected, list(HOSTS))


# --- etcd_tls_days ------------------------------------------------------------------------

DAYS_ERROR = (
    "configs/c1.yaml:4:16: [error] etcd_tls_days must be from 60 to 3650: certificates are "
    "re-issued when they have less than 30 days left, and the etcd CA lives 3650 days (bad-value)"
)


@pytest.mark.parametrize(
    "days", ["99999999", "99999999999999999999", "3651", "59", "30", "0", "-1"]
)
def test_etcd_tls_days_out_of_range(tmp_path: Path, days: str) -> None:
    root = fleet(tmp_path, {"configs/c1.yaml": member(1, f"etcd_tls_days: {days}\n")})
    rc, _out, err = run(["lint", "--format", "parsable"], root)
    assert (rc, err.splitlines()) == (1, [DAYS_ERROR])
    assert build(root) == (1, [DAYS_ERROR], ["c2", "c3", "w1"])


@pytest.mark.parametrize("days", [60, 3650])
def test_etcd_tls_days_bounds_build(tmp_path: Path, days: int) -> None:
    root = fleet(tmp_path, {"overlays/all.yaml": ALL + f"etcd_tls_days: {days}\n"})
    assert build(root) == (0, [], list(HOSTS))


NOW = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, NOW + timedelta(days=1)),
        (3 * 10**6, pki.LAST_DATE),
        (10**12, pki.LAST_DATE),
    ],
)
def test_days_after_never_overflows(days: int, expected: datetime) -> None:
    assert pki.days_after(NOW, days) == expected


@pytest.mark.parametrize("days", [0, -5, True])
def test_days_after_rejects_no_validity(days: int) -> None:
    with pytest.raises(ValueError):
        pki.days_after(NOW, days)


def test_issue_with_a_huge_validity_stops_at_the_ca(tmp_path: Path) -> None:
    ca = pki.init_ca(tmp_path, validity_days=10**9, now=NOW)
    assert ca.cert.not_valid_after_utc == pki.LAST_DATE
    issued = pki.issue(ca, tmp_path, "h", "client", ["h"], [], validity_days=10**12, now=NOW)
    assert issued.not_after == pki.LAST_DATE


def test_plain_http_url_under_tls_is_a_warning(tmp_path: Path) -> None:
    """A hand-written http:// listener with TLS on: etcd would serve plain http there."""
    extra = "etcd:\n  listen_client_urls: http://0.0.0.0:2379\n"
    root = fleet(tmp_path, {"configs/c1.yaml": member(1, extra)})
    rc, lines, built = build(root)
    assert rc == 0
    assert lines == [
        "configs/c1.yaml:5:23: [warning] etcd TLS is on (etcd_tls defaults to true) but "
        "listen_client_urls uses http://: etcd serves plain http there; write https:// or set "
        "etcd_tls: false on the members (etcd-plain-url)"
    ]
    assert built == sorted(HOSTS)


def test_plain_http_url_without_tls_is_fine(tmp_path: Path) -> None:
    extra = "etcd:\n  listen_client_urls: http://0.0.0.0:2379\n"
    root = fleet(
        tmp_path,
        {
            "overlays/all.yaml": ALL + "etcd_tls: false\n",
            "configs/c1.yaml": member(1, extra),
        },
    )
    rc, lines, built = build(root)
    assert (rc, lines, built) == (0, [], sorted(HOSTS))


@pytest.mark.parametrize(
    ("extra", "warned"),
    [
        # (c1's etcd lines, whether etcd-plain-url fires): loopback listeners are local
        ("  listen_client_urls: http://127.0.0.1:2379\n", False),
        ("  listen_client_urls: https://10.0.0.11:2379,http://127.0.0.1:2379\n", False),
        ("  listen_client_urls: http://127.9.9.9:2379\n", False),
        ("  listen_client_urls: http://localhost:2379\n", False),
        ("  listen_client_urls: http://[::1]:2379\n", False),
        ("  listen_peer_urls: HTTP://127.0.0.1:2380\n", False),
        ("  listen_client_urls: http://10.0.0.11:2379,http://127.0.0.1:2379\n", True),
        ("  listen_client_urls: http://[::1:2379\n", True),
        ("  advertise_client_urls: http://127.0.0.1:2379\n", True),
    ],
)
def test_plain_http_loopback_listener_is_fine(tmp_path: Path, extra: str, warned: bool) -> None:
    root = fleet(tmp_path, {"configs/c1.yaml": member(1, "etcd:\n" + extra)})
    key, _, _ = extra.strip().partition(":")
    rc, lines, built = build(root)
    warning = (
        f"configs/c1.yaml:5:{len(key) + 5}: [warning] etcd TLS is on (etcd_tls defaults to "
        f"true) but {key} uses http://: etcd serves plain http there; write https:// or set "
        "etcd_tls: false on the members (etcd-plain-url)"
    )
    assert (rc, lines, built) == (0, [warning] if warned else [], sorted(HOSTS))


# --- errors without a path (YAML problems) -------------------------------------------------

C3_NO_ADDRESS = "member 'c3' has an error in a value the cluster is made from; " + (
    "member 'c3' has no address"
)


def c3_incomplete(reason: str, *notes: str) -> list[str]:
    """c1 and c2 (at the overlay's etcd) and w1 (at flannel) wait for c3."""
    lines = []
    for at in ("overlays/all.yaml:8:1", "overlays/controller.yaml:1:1"):
        lines.append(
            f"{at}: [error] the etcd cluster cannot be derived: {reason} (etcd-cluster-incomplete)"
        )
        lines += [f"{note} (etcd-cluster-incomplete)" for note in notes]
    return [
        *lines,
        "overlays/controller.yaml:1:1: [note] stops 2 hosts: c1, c2 (etcd-cluster-incomplete)",
    ]


DUPLICATE_PATH = [
    "configs/c3.yaml:7:7: [error] duplicate key 'path' (first set at line 6) (duplicate-key)",
    "configs/c3.yaml:6:7: [note] first set here (duplicate-key)",
]
DUPLICATE_NAME = [
    "configs/c3.yaml:6:3: [error] duplicate key 'name' (first set at line 5) (duplicate-key)",
    "configs/c3.yaml:5:3: [note] first set here (duplicate-key)",
]
BROKEN_NET = [
    "overlays/net.yaml:2:14: [error] this '[' is never closed: the file ends before its ']' "
    "(yaml-syntax)",
    "overlays/net.yaml:2:27: [note] the file ends here (yaml-syntax)",
]


@pytest.mark.parametrize(
    ("files", "expected", "built"),
    [
        (  # a duplicate key elsewhere stops c3 only
            {"configs/c3.yaml": member(3, "storage:\n  files:\n    - path: /a\n      path: /b\n")},
            DUPLICATE_PATH,
            ["c1", "c2", "w1"],
        ),
        (  # which name c3 will have is not known
            {"configs/c3.yaml": member(3, "etcd:\n  name: a\n  name: b\n")},
            DUPLICATE_NAME
            + c3_incomplete(
                "member 'a' has an error in a value the cluster is made from",
                "configs/c3.yaml:6:3: [note] the error in member a",
            ),
            [],
        ),
        (  # the overlay with c3's address does not load
            {
                "configs/c3.yaml": "groups: [controller, net]\n",
                "overlays/net.yaml": "network:\n  addresses: [10.0.0.13/24\n",
            },
            [
                *c3_incomplete(
                    C3_NO_ADDRESS,
                    "overlays/net.yaml:2:14: [note] the error in member c3",
                    "overlays/net.yaml:2:14: [note] member without an address",
                ),
                *BROKEN_NET,
            ],
            [],
        ),
    ],
    ids=["duplicate-key-in-storage", "duplicate-etcd-name", "broken-overlay"],
)
def test_error_without_a_path(
    tmp_path: Path, files: dict[str, str], expected: list[str], built: list[str]
) -> None:
    assert build(fleet(tmp_path, files)) == (1, expected, built)


def test_a_host_file_that_does_not_load_is_named_on_the_members(tmp_path: Path) -> None:
    """It may be a member nobody can see; the others build, and say the cluster may change."""
    root = fleet(tmp_path, {"configs/c4.yaml": "groups: [controller\n"})
    rc, lines, built = build(root)
    assert rc == 1
    assert lines == [
        "configs/c4.yaml:1:9: [error] this '[' is never closed: the file ends before its ']' "
        "(yaml-syntax)",
        "configs/c4.yaml:1:20: [note] the file ends here (yaml-syntax)",
        "overlays/controller.yaml:1:1: [warning] the etcd cluster was derived without "
        "configs/c4.yaml, which does not load: if it is a member, initial_cluster changes once "
        "it is fixed (rebuild before installing) (etcd-host-unreadable)",
        "overlays/controller.yaml:1:1: [note] is found in 3 hosts: c1, c2, c3 "
        "(etcd-host-unreadable)",
    ]
    assert built == sorted(HOSTS)
