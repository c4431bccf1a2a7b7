"""etcd, flannel, docker, update and locksmith through the whole pipeline.

Every test writes a small fleet into tmp_path, runs ``hostiso build``
in-process and reads ``build/<host>.ign``: the drop-in texts are checked
exactly, so the etcd cluster derived from the fleet, ct's quoting and the
diagnostics' file:line:col are all real.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from conftest import load_ign, run, write_fleet
from hostiso.derive.etcd.cluster import cluster_differences, default_token, parse_initial_cluster

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}
ETCD = ("etcd-member.service", "20-clct-etcd-member.conf")
FLANNEL = ("flanneld.service", "20-clct-flannel.conf")
DOCKER = ("docker.service", "20-clct-docker.conf")
ETCD_HEAD = "[Service]\nExecStart=\nExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS"
FLANNEL_HEAD = "[Service]\nExecStart=\nExecStart=/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS"
NETCONFIG = '{"Network": "10.1.0.0/16"}'
ALL = f"network:\n  interface: eth0\nflannel:\n  network_config: '{NETCONFIG}'\n"
NO_TLS = "etcd_tls: false\n"
#: The etcd flags this step derives; the TLS step (etcdtls) adds its own.
DERIVED = (
    "--name=",
    "--listen-peer-urls=",
    "--listen-client-urls=",
    "--initial-advertise-peer-urls=",
    "--initial-cluster=",
    "--initial-cluster-state=",
    "--initial-cluster-token=",
    "--advertise-client-urls=",
)
CONTROLLER = "etcd:\n  initial_cluster_token: tok\n"


def build(root: Path, *hosts: str) -> tuple[int, list[str]]:
    """Exit code and the parsable lines of the errors (and their notes).

    Warnings from lint rules (no-login, an even member count...) are left out.
    """
    rc, _out, err = run(["build", "--format", "parsable", *hosts], root, env=EPOCH)
    lines = err.splitlines()
    codes = {line.rsplit(" (", 1)[-1] for line in lines if ": [error] " in line}
    return rc, [line for line in lines if line.rsplit(" (", 1)[-1] in codes]


def host_file(address: str | None, *lines: str, groups: str = "controller") -> str:
    text = f"groups: [{groups}]\n" if groups else ""
    text += f"network:\n  interface: eth0\n  addresses: [{address}]\n" if address else ""
    return text + "".join(line + "\n" for line in lines)


def dropin(root: Path, host: str, which: tuple[str, str]) -> str:
    units = load_ign(root, host)["systemd"]["units"]
    unit = next(u for u in units if u["name"] == which[0])
    assert unit["enable"] is True
    text: str = next(d["contents"] for d in unit["dropins"] if d["name"] == which[1])
    return text


def args(text: str) -> list[str]:
    """The flags of a drop-in's ExecStart line (ct joins them with space, backslash, newline)."""
    exec_start = next(part for part in text.split("\nExecStart=") if part.startswith("/usr"))
    return exec_start.split("\nExecStartPre=")[0].split(" \\\n  ")[1:]


def file_text(root: Path, host: str, path: str) -> str:
    files = load_ign(root, host)["storage"]["files"]
    source: str = next(f["contents"]["source"] for f in files if f["path"] == path)
    assert source.startswith("data:,")
    return urllib.parse.unquote(source[len("data:,") :])


def derived(text: str) -> list[str]:
    """The flags of an etcd drop-in that this step derives, in ct's order."""
    return [a for a in args(text) if a.startswith(DERIVED)]


def endpoints_flag(text: str) -> str:
    return next(a for a in args(text) if a.startswith("--etcd-endpoints="))


def fleet_of(tmp_path: Path, extra: dict[str, str] | None = None, tls: bool = False) -> Path:
    """Three controllers (etcd members via the overlay's ``etcd:``), two workers."""
    files = {
        "overlays/all.yaml": ALL + ("" if tls else NO_TLS),
        "overlays/controller.yaml": CONTROLLER,
        "overlays/worker.yaml": "",
        **{f"configs/c{i}.yaml": host_file(f"10.0.0.1{i}/24") for i in (1, 2, 3)},
        **{f"configs/w{i}.yaml": host_file(f"10.0.0.2{i}/24", groups="worker") for i in (1, 2)},
    }
    return write_fleet(tmp_path, {**files, **(extra or {})})


def url(scheme: str, n: int, port: int) -> str:
    return f"{scheme}://10.0.0.1{n}:{port}"


def cluster(scheme: str = "http") -> str:
    return ",".join(f"c{n}={url(scheme, n, 2380)}" for n in (1, 2, 3))


def endpoints(scheme: str = "http") -> str:
    return ",".join(url(scheme, n, 2379) for n in (1, 2, 3))


# --- each section and option type, through the pipeline ---------------------------

OPTION_CASES = [
    # (section yaml, unit, the flag ct writes) -- strings quoted, numbers/bools bare
    ("etcd:\n  max_wals: 44", ETCD, "--max-wals=44"),
    ("etcd:\n  enable_v2: false", ETCD, "--enable-v2=false"),
    ("etcd:\n  strict_reconfig_check: true", ETCD, "--strict-reconfig-check=true"),
    ("etcd:\n  data_dir: /var/lib/etcd", ETCD, '--data-dir="/var/lib/etcd"'),
    ("etcd:\n  cors: 'a\"b\\c'", ETCD, '--cors="a\\"b\\\\c"'),
    ('etcd:\n  log_outputs: "x\\ty"', ETCD, '--log-outputs="x\\ty"'),
    ("etcd:\n  unsafe_no_fsync: true", ETCD, "--unsafe-no-fsync=true"),
    ("etcd:\n  auto_compaction_retention: 1", ETCD, '--auto-compaction-retention="1"'),
    ("etcd:\n  snapshot_count: 0", ETCD, "--snapshot-count=0"),
    ("flannel:\n  interface: eth1", FLANNEL, '--iface="eth1"'),
    ("flannel:\n  ip_masq: true", FLANNEL, '--ip-masq="true"'),
    ("flannel:\n  kube_subnet_mgr: true", FLANNEL, "--kube-subnet-mgr=true"),
    ("flannel:\n  etcd_prefix: /coreos.com/net", FLANNEL, '--etcd-prefix="/coreos.com/net"'),
]


@pytest.mark.parametrize(("section", "unit", "flag"), OPTION_CASES)
def test_option_types(tmp_path: Path, section: str, unit: tuple[str, str], flag: str) -> None:
    host = host_file("10.0.0.5/24", NO_TLS + section, groups="")
    write_fleet(tmp_path, {"configs/h1.yaml": host})
    assert build(tmp_path) == (0, [])
    assert flag in args(dropin(tmp_path, "h1", unit))


DROPIN_CASES = [
    # (section yaml, unit, the whole drop-in)
    ("flannel: ~", FLANNEL, FLANNEL_HEAD),
    (
        "flannel:\n  version: 0.7.1\n  etcd_endpoints: http://e:2379\n"
        f"  network_config: '{NETCONFIG}'",
        FLANNEL,
        '[Service]\nEnvironment="FLANNEL_IMAGE_TAG=v0.7.1"\nExecStart=\n'
        "ExecStart=/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS \\\n"
        '  --etcd-endpoints="http://e:2379"\n'
        'ExecStartPre=/usr/bin/etcdctl --endpoints="http://e:2379" '
        'set /coreos.com/network/config "{\\"Network\\": \\"10.1.0.0/16\\"}"',
    ),
    (
        "docker:\n  flags: [--selinux-enabled=true, --log-level=warn]",
        DOCKER,
        '[Service]\nEnvironment="DOCKER_OPTS=--selinux-enabled=true --log-level=warn"',
    ),
]


@pytest.mark.parametrize(("section", "unit", "expected"), DROPIN_CASES)
def test_dropins(tmp_path: Path, section: str, unit: tuple[str, str], expected: str) -> None:
    write_fleet(tmp_path, {"configs/h1.yaml": host_file("10.0.0.5/24", section, groups="")})
    assert build(tmp_path) == (0, [])
    assert dropin(tmp_path, "h1", unit) == expected


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ("update:\n  group: Stable", "GROUP=stable"),
        ("locksmith:\n  reboot_strategy: 'off'", '\nREBOOT_STRATEGY="off"'),
        (
            "update:\n  group: beta\n  server: https://u.example/v1/update/\n"
            "locksmith:\n  reboot_strategy: etcd-lock\n  window_start: Sun 1:00\n"
            "  window_length: 2h",
            "GROUP=beta\nSERVER=https://u.example/v1/update/\n"
            'REBOOT_STRATEGY="etcd-lock"\nLOCKSMITHD_REBOOT_WINDOW_START="Sun 1:00"\n'
            'LOCKSMITHD_REBOOT_WINDOW_LENGTH="2h"',
        ),
    ],
)
def test_update_conf(tmp_path: Path, sections: str, expected: str) -> None:
    write_fleet(tmp_path, {"configs/h1.yaml": host_file("10.0.0.5/24", sections, groups="")})
    assert build(tmp_path) == (0, [])
    assert file_text(tmp_path, "h1", "/etc/coreos/update.conf") == expected


def test_single_member_whole_dropin(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            "configs/h1.yaml": "etcd:\n  version: 3.3.1\n  max_wals: 4\n"
            "network:\n  interface: eth0\n  addresses: [10.0.0.5/24]\n"
            "etcd_tls: false\n"
        },
    )
    assert build(tmp_path) == (0, [])
    token = default_token(["h1"])
    assert dropin(tmp_path, "h1", ETCD) == (
        '[Service]\nEnvironment="ETCD_IMAGE_TAG=v3.3.1"\nExecStart=\n'
        "ExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n"
        '  --name="h1" \\\n'
        '  --listen-peer-urls="http://10.0.0.5:2380" \\\n'
        '  --listen-client-urls="http://10.0.0.5:2379,http://127.0.0.1:2379" \\\n'
        "  --max-wals=4 \\\n"
        '  --initial-advertise-peer-urls="http://10.0.0.5:2380" \\\n'
        '  --initial-cluster="h1=http://10.0.0.5:2380" \\\n'
        '  --initial-cluster-state="new" \\\n'
        f'  --initial-cluster-token="{token}" \\\n'
        '  --advertise-client-urls="http://10.0.0.5:2379"'
    )


# --- the cluster derived from the fleet ---------------------------------------------


def member_args(name: str, n: int, scheme: str = "http", token: str = "tok") -> list[str]:
    return [
        f'--name="{name}"',
        f'--listen-peer-urls="{url(scheme, n, 2380)}"',
        f'--listen-client-urls="{url(scheme, n, 2379)},{scheme}://127.0.0.1:2379"',
        f'--initial-advertise-peer-urls="{url(scheme, n, 2380)}"',
        f'--initial-cluster="{cluster(scheme)}"',
        '--initial-cluster-state="new"',
        f'--initial-cluster-token="{token}"',
        f'--advertise-client-urls="{url(scheme, n, 2379)}"',
    ]


def flannel_dropin(eps: str) -> str:
    return (
        f'{FLANNEL_HEAD} \\\n  --etcd-endpoints="{eps}"\n'
        f'ExecStartPre=/usr/bin/etcdctl --endpoints="{eps}" '
        'set /coreos.com/network/config "{\\"Network\\": \\"10.1.0.0/16\\"}"'
    )


def test_three_members_two_workers(tmp_path: Path) -> None:
    fleet_of(tmp_path)
    assert build(tmp_path) == (0, [])
    for n in (1, 2, 3):
        assert args(dropin(tmp_path, f"c{n}", ETCD)) == member_args(f"c{n}", n)
    for host in ("c1", "c2", "c3", "w1", "w2"):
        assert dropin(tmp_path, host, FLANNEL) == flannel_dropin(endpoints())
    units = {u["name"] for u in load_ign(tmp_path, "w1")["systemd"]["units"]}
    assert "etcd-member.service" not in units


def test_tls_is_the_default(tmp_path: Path) -> None:
    fleet_of(tmp_path, tls=True)
    assert build(tmp_path) == (0, [])
    for n in (1, 2, 3):
        assert derived(dropin(tmp_path, f"c{n}", ETCD)) == member_args(f"c{n}", n, "https")
    for host in ("c1", "c2", "c3", "w1", "w2"):
        flannel = dropin(tmp_path, host, FLANNEL)
        assert endpoints_flag(flannel) == f'--etcd-endpoints="{endpoints("https")}"'


def test_depfiles_list_every_member(tmp_path: Path) -> None:
    fleet_of(tmp_path)
    assert build(tmp_path) == (0, [])
    members = "configs/c1.yaml overlays/controller.yaml configs/c2.yaml configs/c3.yaml"
    deps = (tmp_path / "build" / "w1.d").read_text().splitlines()
    assert deps[0].startswith("# fleet-facts: ")
    assert len(deps[0]) == len("# fleet-facts: ") + 32
    assert deps[1] == (
        "build/w1.ign out/w1.iso: configs/w1.yaml overlays/all.yaml overlays/worker.yaml " + members
    )
    deps = (tmp_path / "build" / "c2.d").read_text().splitlines()
    assert deps[1] == (
        "build/c2.ign out/c2.iso: configs/c2.yaml overlays/all.yaml overlays/controller.yaml "
        "configs/c1.yaml configs/c3.yaml"
    )


def test_new_member_rebuilds_the_others(tmp_path: Path) -> None:
    fleet_of(tmp_path)
    assert build(tmp_path) == (0, [])
    write_fleet(tmp_path, {"configs/c4.yaml": host_file("10.0.0.14/24")})
    assert build(tmp_path, "c4") == (0, [])  # what make asks for: only the new host
    assert f'--initial-cluster="{cluster()},c4=http://10.0.0.14:2380"' in args(
        dropin(tmp_path, "c1", ETCD)
    )
    assert endpoints_flag(dropin(tmp_path, "w2", FLANNEL)).endswith(',http://10.0.0.14:2379"')


def test_explicit_values_win(tmp_path: Path) -> None:
    c2 = host_file(
        "10.0.0.12/24",
        "etcd:",
        "  name: zz",
        "  initial_advertise_peer_urls: https://c2.example:2380",
        "  advertise_client_urls: https://c2.example:2379",
        "  initial_cluster_state: existing",
    )
    w1 = host_file("10.0.0.21/24", "flannel:", "  etcd_endpoints: http://own:2379", groups="worker")
    fleet_of(tmp_path, {"configs/c2.yaml": c2, "configs/w1.yaml": w1})
    assert build(tmp_path) == (0, [])
    want = f"c1={url('http', 1, 2380)},c3={url('http', 3, 2380)},zz=https://c2.example:2380"
    assert f'--initial-cluster="{want}"' in args(dropin(tmp_path, "c1", ETCD))
    assert args(dropin(tmp_path, "c2", ETCD)) == [
        '--name="zz"',
        '--listen-peer-urls="http://10.0.0.12:2380"',
        '--listen-client-urls="http://10.0.0.12:2379,http://127.0.0.1:2379"',
        '--initial-advertise-peer-urls="https://c2.example:2380"',
        f'--initial-cluster="{want}"',
        '--initial-cluster-state="existing"',
        '--initial-cluster-token="tok"',
        '--advertise-client-urls="https://c2.example:2379"',
    ]
    eps = f"{url('http', 1, 2379)},{url('http', 3, 2379)},https://c2.example:2379"
    assert dropin(tmp_path, "w2", FLANNEL) == flannel_dropin(eps)
    assert dropin(tmp_path, "w1", FLANNEL) == flannel_dropin("http://own:2379")


def test_null_removes_a_derived_value(tmp_path: Path) -> None:
    fleet_of(tmp_path, {"configs/c1.yaml": host_file("10.0.0.11/24", "etcd:", "  name: ~")})
    assert build(tmp_path) == (0, [])
    flags = args(dropin(tmp_path, "c1", ETCD))
    assert not [f for f in flags if f.startswith("--name=")]


@pytest.mark.parametrize("name", ["010", "0x1F", "1.50", "yes", "true", "off"])
def test_name_keeps_its_source_text(tmp_path: Path, name: str) -> None:
    """An unquoted number or boolean as the name: the cluster lists it as written,
    as the translator writes ``--name`` (``010``, not ``8``)."""
    c2 = host_file("10.0.0.12/24", "etcd:", f"  name: {name}")
    fleet_of(tmp_path, {"configs/c2.yaml": c2})
    assert build(tmp_path) == (0, [])
    entries = sorted([f"c1={url('http', 1, 2380)}", f"c3={url('http', 3, 2380)}", f"{name}="])
    entries = [e + url("http", 2, 2380) if e.endswith("=") else e for e in entries]
    for host in ("c1", "c2", "c3"):
        flags = args(dropin(tmp_path, host, ETCD))
        assert f'--initial-cluster="{",".join(entries)}"' in flags
    assert f'--name="{name}"' in args(dropin(tmp_path, "c2", ETCD))


@pytest.mark.parametrize(
    ("files", "scheme", "token"),
    [
        # the built-in group, no overlays/etcd.yaml
        (
            {f"configs/c{n}.yaml": host_file(f"10.0.0.1{n}/24", groups="etcd") for n in (1, 2, 3)},
            "https",
            default_token(["c1", "c2", "c3"]),
        ),
        # overlays/etcd.yaml is applied when it exists
        (
            {
                **{
                    f"configs/c{n}.yaml": host_file(f"10.0.0.1{n}/24", groups="etcd")
                    for n in (1, 2, 3)
                },
                "overlays/etcd.yaml": "etcd_tls: false\netcd:\n  initial_cluster_token: grp\n",
            },
            "http",
            "grp",
        ),
        # `etcd: ~` makes a member; etcd_tls: false in an overlay turns TLS off
        (
            {
                **{
                    f"configs/c{n}.yaml": host_file(f"10.0.0.1{n}/24", "etcd: ~", groups="x")
                    for n in (1, 2, 3)
                },
                "overlays/x.yaml": "etcd_tls: false\n",
            },
            "http",
            default_token(["c1", "c2", "c3"]),
        ),
    ],
)
def test_membership(tmp_path: Path, files: dict[str, str], scheme: str, token: str) -> None:
    write_fleet(tmp_path, {"overlays/all.yaml": ALL, **files})
    assert build(tmp_path) == (0, [])
    for n in (1, 2, 3):
        assert derived(dropin(tmp_path, f"c{n}", ETCD)) == member_args(f"c{n}", n, scheme, token)
        flannel = dropin(tmp_path, f"c{n}", FLANNEL)
        assert endpoints_flag(flannel) == f'--etcd-endpoints="{endpoints(scheme)}"'


def test_default_token_is_documented_hash() -> None:
    digest = hashlib.sha256(b"a\nb\nc").hexdigest()[:16]
    assert default_token(["c", "a", "b"]) == f"etcd-{digest}"


def test_other_groups_still_need_their_overlay(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            "configs/h1.yaml": "groups: [etcd, nosuch]\n"
            "network:\n  interface: eth0\n  addresses: [10.0.0.5/24]\n"
        },
    )
    rc, lines = build(tmp_path)
    assert (rc, lines) == (
        1,
        [
            "configs/h1.yaml:1:16: [error] group 'nosuch' has no overlay: "
            "overlays/nosuch.yaml does not exist (missing-overlay)"
        ],
    )


def test_ipv6_member(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {"configs/h1.yaml": "etcd: ~\nnetwork:\n  interface: eth0\n  addresses: [fd00::5/64]\n"},
    )
    assert build(tmp_path) == (0, [])
    assert '--initial-cluster="h1=https://[fd00::5]:2380"' in args(dropin(tmp_path, "h1", ETCD))


# --- errors -------------------------------------------------------------------------

MISMATCH = "configs/c1.yaml:6:20: [error] initial_cluster disagrees with the fleet's etcd members: "
FLEET_VALUE = (
    f" (the fleet's value is '{cluster()}'; remove initial_cluster to have it derived)"
    " (etcd-cluster-mismatch)"
)


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (cluster().rsplit(",", 1)[0], f"missing c3={url('http', 3, 2380)}"),
        (cluster() + ",c9=http://10.0.0.19:2380", "extra c9=http://10.0.0.19:2380"),
        (
            cluster().replace("10.0.0.12", "10.0.0.99"),
            f"c2 has http://10.0.0.99:2380 but the fleet has {url('http', 2, 2380)}",
        ),
        (
            cluster("https"),
            "; ".join(
                f"c{n} has {url('https', n, 2380)} but the fleet has {url('http', n, 2380)}"
                for n in (1, 2, 3)
            ),
        ),
    ],
)
def test_cluster_mismatch(tmp_path: Path, given: str, problem: str) -> None:
    c1 = host_file("10.0.0.11/24", "etcd:", f"  initial_cluster: {given}")
    fleet_of(tmp_path, {"configs/c1.yaml": c1})
    rc, lines = build(tmp_path)
    assert (rc, lines) == (1, [MISMATCH + problem + FLEET_VALUE])
    assert not (tmp_path / "build" / "c1.ign").exists()
    assert (tmp_path / "build" / "c2.ign").exists()


def test_cluster_in_another_order_is_fine(tmp_path: Path) -> None:
    given = ",".join(reversed(cluster().split(",")))
    fleet_of(
        tmp_path,
        {"configs/c1.yaml": host_file("10.0.0.11/24", "etcd:", f"  initial_cluster: {given}")},
    )
    assert build(tmp_path) == (0, [])
    assert f'--initial-cluster="{given}"' in args(dropin(tmp_path, "c1", ETCD))


def test_token_mismatch_points_at_the_odd_one(tmp_path: Path) -> None:
    c1 = host_file("10.0.0.11/24", "etcd:", "  initial_cluster_token: other")
    fleet_of(tmp_path, {"configs/c1.yaml": c1})
    rc, lines = build(tmp_path)
    assert (rc, lines) == (
        1,
        [
            "configs/c1.yaml:6:26: [error] initial_cluster_token 'other' differs from the fleet's "
            "'tok': set it once, in an overlay all members use (etcd-token-mismatch)",
            "overlays/controller.yaml:2:26: [note] the fleet's token is set here "
            "(etcd-token-mismatch)",
        ],
    )


def test_member_without_address(tmp_path: Path) -> None:
    fleet_of(tmp_path, {"configs/c2.yaml": "groups: [worker, etcd]\n"})
    rc, lines = build(tmp_path)
    no_address = (
        "configs/c2.yaml:1:18: [error] etcd member 'c2' has no address to derive its URLs from: "
        "give the host 'network: addresses' (or a .network unit with Address=), or set "
        "initial_advertise_peer_urls, advertise_client_urls, listen_peer_urls, "
        "listen_client_urls (etcd-member-no-address)"
    )
    assert (rc, lines) == (
        1,
        [
            no_address,
            # w1 and w2 (flannel), c1 and c3 (members): the same diagnostic at one place
            "overlays/all.yaml:3:1: [error] the etcd cluster cannot be derived: member 'c2' "
            "has no address (etcd-cluster-incomplete)",
            "configs/c2.yaml:1:18: [note] member without an address (etcd-cluster-incomplete)",
            "overlays/all.yaml:3:1: [note] stops 2 hosts: w1, w2 (etcd-cluster-incomplete)",
            "overlays/controller.yaml:1:1: [error] the etcd cluster cannot be derived: member 'c2' "
            "has no address (etcd-cluster-incomplete)",
            "configs/c2.yaml:1:18: [note] member without an address (etcd-cluster-incomplete)",
            "overlays/controller.yaml:1:1: [note] stops 2 hosts: c1, c3 (etcd-cluster-incomplete)",
        ],
    )
    assert not [p.name for p in (tmp_path / "out").glob("*.iso")]


def test_duplicate_member_names(tmp_path: Path) -> None:
    fleet_of(
        tmp_path,
        {
            f"configs/c{n}.yaml": host_file(f"10.0.0.1{n}/24", "etcd:", "  name: same")
            for n in (1, 2)
        },
    )
    rc, lines = build(tmp_path)
    assert (rc, lines) == (
        1,
        [
            # c1 and the others must not be built with 'same=...,same=...' either
            "configs/c1.yaml:5:1: " + SAME,
            SAME_NOTE,
            "configs/c2.yaml:6:9: [error] etcd member name 'same' is also the name of the member "
            "in configs/c1.yaml (etcd-duplicate-name)",
            "configs/c1.yaml:6:9: [note] first member with this name (etcd-duplicate-name)",
            "overlays/all.yaml:3:1: " + SAME,
            SAME_NOTE,
            "overlays/all.yaml:3:1: [note] stops 2 hosts: w1, w2 (etcd-cluster-incomplete)",
            "overlays/controller.yaml:1:1: " + SAME,
            SAME_NOTE,
        ],
    )


SAME = (
    "[error] the etcd cluster cannot be derived: members 'c1' and 'c2' have the same name "
    "'same' (etcd-cluster-incomplete)"
)
SAME_NOTE = "configs/c2.yaml:6:9: [note] the second member named 'same' (etcd-cluster-incomplete)"


# --- the pure helpers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=u1,b=u2", {"a": ["u1"], "b": ["u2"]}),
        ("a=u1, a=u2", {"a": ["u1", "u2"]}),
        ("", {}),
        ("noequals", {"noequals": [""]}),
    ],
)
def test_parse_initial_cluster(text: str, expected: dict[str, list[str]]) -> None:
    assert parse_initial_cluster(text) == expected


def test_cluster_differences_order_does_not_matter() -> None:
    fleet: dict[str, Any] = {"a": ["u1", "u2"]}
    assert cluster_differences({"a": ["u2", "u1"]}, fleet) == []
    assert cluster_differences({"a": ["u1"]}, fleet) == ["a has u1 but the fleet has u1,u2"]
