"""ct parity for the etcd, flannel, docker, update and locksmith sections.

Expected texts come from ct's own tests where ct has them (marked "ct
oracle"), otherwise from ct's rendering rules as written in
docs/ct-sections.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from hostiso.diagnostics import Diagnostic, Severity
from hostiso.sections import (
    DEFAULT_ETCD_VERSION,
    ETCD_OPTIONS,
    ETCD_VERSIONS,
    FLANNEL_OPTIONS,
    etcd_option_names,
    translate_docker,
    translate_etcd,
    translate_flannel,
    translate_update,
)
from hostiso.sections.options import go_quote

ETCD_HEAD = "[Service]\nExecStart=\nExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS"
FLANNEL_HEAD = "[Service]\nExecStart=\nExecStart=/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS"


def found(diags: list[Diagnostic]) -> list[tuple[str, str, tuple[str | int, ...]]]:
    return [(str(d.severity), d.code, d.path) for d in diags]


def only_dropin(units: list[dict[str, Any]], name: str, dropin: str) -> str:
    assert len(units) == 1
    unit = units[0]
    assert (unit["kind"], unit["name"], unit["enable"]) == ("unit", name, True)
    assert [d["name"] for d in unit["dropins"]] == [dropin]
    contents = unit["dropins"][0]["contents"]
    assert isinstance(contents, str)
    return contents


def etcd_text(section: dict[str, Any]) -> str:
    units, diags = translate_etcd(section)
    assert not [d for d in diags if d.is_error], diags
    return only_dropin(units, "etcd-member.service", "20-clct-etcd-member.conf")


def flannel_text(section: dict[str, Any] | None) -> str:
    units, diags = translate_flannel(section)
    assert found(diags) == []
    return only_dropin(units, "flanneld.service", "20-clct-flannel.conf")


# --- etcd -------------------------------------------------------------------


def test_etcd_ct_oracle_enable_v2_false() -> None:
    # ct oracle: config/config_test.go TestParseAndConvert (flatcar fork).
    text = etcd_text({"enable_v2": False, "version": "3.3.1"})
    assert text == (
        '[Service]\nEnvironment="ETCD_IMAGE_TAG=v3.3.1"\nExecStart=\n'
        "ExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n  --enable-v2=false"
    )


def test_etcd_reference_cluster_member_3_3() -> None:
    section = {
        "version": "3.3.9",
        "name": "node1",
        "listen_client_urls": "http://192.168.1.10:2379,http://127.0.0.1:2379",
        "advertise_client_urls": "http://192.168.1.10:2379",
        "listen_peer_urls": "http://192.168.1.10:2380",
        "initial_advertise_peer_urls": "http://192.168.1.10:2380",
        "initial_cluster": "node1=http://192.168.1.10:2380,node2=http://192.168.1.11:2380",
        "initial_cluster_token": "my-etcd-token",
        "initial_cluster_state": "new",
    }
    assert etcd_text(section) == (
        '[Service]\nEnvironment="ETCD_IMAGE_TAG=v3.3.9"\nExecStart=\n'
        "ExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n"
        '  --name="node1" \\\n'
        '  --listen-peer-urls="http://192.168.1.10:2380" \\\n'
        '  --listen-client-urls="http://192.168.1.10:2379,http://127.0.0.1:2379" \\\n'
        '  --initial-advertise-peer-urls="http://192.168.1.10:2380" \\\n'
        '  --initial-cluster="node1=http://192.168.1.10:2380,node2=http://192.168.1.11:2380"'
        " \\\n"
        '  --initial-cluster-state="new" \\\n'
        '  --initial-cluster-token="my-etcd-token" \\\n'
        '  --advertise-client-urls="http://192.168.1.10:2379"'
    )


@pytest.mark.parametrize(
    ("version", "key", "value", "arg"),
    [
        ("3.3.0", "name", "infra0", '--name="infra0"'),
        ("3.3.0", "name", "two words", '--name="two words"'),
        ("3.3.0", "name", 'say "hi"\\', '--name="say \\"hi\\"\\\\"'),
        ("3.3.0", "name", "tab\there\nnl", '--name="tab\\there\\nnl"'),
        ("3.3.0", "max_wals", 44, "--max-wals=44"),
        ("3.3.0", "snapshot_count", 0, "--snapshot-count=0"),
        ("3.3.0", "quota_backend_bytes", -1, "--quota-backend-bytes=-1"),
        ("3.3.0", "debug", True, "--debug=true"),
        ("3.3.0", "auto_tls", False, "--auto-tls=false"),
        ("3.3.0", "data_dir", "", '--data-dir=""'),
        # 3.3 made auto_compaction_retention a string; a bare YAML int is its text.
        ("3.3.0", "auto_compaction_retention", 1, '--auto-compaction-retention="1"'),
        ("3.0.0", "auto_compaction_retention", 1, "--auto-compaction-retention=1"),
        ("3.3.0", "experimental_enable_v2v3", "/v2/", '--experimental-enable-v2v3="/v2/"'),
        ("2.3.7", "proxy", "readonly", '--proxy="readonly"'),
        ("3.1.0", "log_output", "stderr", '--log-output="stderr"'),
    ],
)
def test_etcd_option_rendering(version: str, key: str, value: Any, arg: str) -> None:
    text = etcd_text({"version": version, key: value})
    assert text == (
        f'[Service]\nEnvironment="ETCD_IMAGE_TAG=v{version}"\nExecStart=\n'
        f"ExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n  {arg}"
    )


def test_etcd_flags_follow_ct_field_order_not_yaml_order() -> None:
    text = etcd_text({"force_new_cluster": True, "wal_dir": "/w", "name": "n"})
    assert (
        text == ETCD_HEAD + ' \\\n  --name="n" \\\n  --wal-dir="/w" \\\n  --force-new-cluster=true'
    )


def test_etcd_without_version_has_no_image_tag_and_uses_3_5_table() -> None:
    assert DEFAULT_ETCD_VERSION == "3.5.0"
    assert etcd_text({}) == ETCD_HEAD
    assert etcd_text({"enable_v2": True}) == ETCD_HEAD + " \\\n  --enable-v2=true"


def test_etcd_null_section_is_ignored_like_ct() -> None:
    assert translate_etcd(None) == ([], [])


@pytest.mark.parametrize(
    ("version", "key"),
    [
        ("3.1.0", "enable_v2"),
        ("3.0.4", "metrics"),
        ("3.2.0", "quota_backend_bytes"),
        ("2.3.8", "auto_tls"),
        ("2.3.8", "metrics"),
    ],
)
def test_etcd_option_not_in_version(version: str, key: str) -> None:
    units, diags = translate_etcd({"version": version, key: "x"})
    assert units == []
    assert found(diags) == [("error", "unknown-key", ("etcd", key))]
    assert f"etcd {version}" in diags[0].message


def test_etcd_unknown_key_did_you_mean() -> None:
    units, diags = translate_etcd({"version": "3.3.0", "listen_client_url": "http://a:2379"})
    assert units == []
    assert found(diags) == [("error", "unknown-key", ("etcd", "listen_client_url"))]
    assert "did you mean 'listen_client_urls'?" in diags[0].message


@pytest.mark.parametrize("version", ["3.5", "v3.5.0", "3.5.x", 3.5, "3.5.0.1", "", 3, "-3.5.0"])
def test_etcd_bad_version_strings(version: Any) -> None:
    units, diags = translate_etcd({"version": version, "name": "a"})
    assert units == []
    assert found(diags) == [("error", "invalid-version", ("etcd", "version"))]


@pytest.mark.parametrize(
    ("version", "severity", "code"),
    [
        ("2.2.9", "error", "unsupported-version"),
        ("1.0.0", "error", "unsupported-version"),
        ("4.0.0", "error", "unsupported-version"),
        ("3.6.0", "warning", "version-too-new"),
        ("2.4.0", "warning", "version-too-new"),
    ],
)
def test_etcd_version_range(version: str, severity: str, code: str) -> None:
    units, diags = translate_etcd({"version": version})
    assert found(diags) == [(severity, code, ("etcd", "version"))]
    assert len(units) == (1 if severity == "warning" else 0)


def test_etcd_too_new_minor_uses_newest_table_and_keeps_tag() -> None:
    units, _ = translate_etcd({"version": "3.6.1-rc.0", "enable_v2": True})
    assert units[0]["dropins"][0]["contents"] == (
        '[Service]\nEnvironment="ETCD_IMAGE_TAG=v3.6.1-rc.0"\nExecStart=\n'
        "ExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n  --enable-v2=true"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_wals", "44"),
        ("max_wals", True),
        ("max_wals", [4]),
        ("debug", "true"),
        ("debug", 1),
        ("name", ["a"]),
        ("name", {"a": 1}),
    ],
)
def test_etcd_wrong_type(key: str, value: Any) -> None:
    units, diags = translate_etcd({"version": "3.3.0", key: value})
    assert units == []
    assert found(diags) == [("error", "wrong-type", ("etcd", key))]


def test_etcd_section_must_be_mapping() -> None:
    assert found(translate_etcd(["name"])[1]) == [("error", "wrong-type", ("etcd",))]  # type: ignore[arg-type]


def test_etcd_deprecated_option_warns_and_renders() -> None:
    units, diags = translate_etcd({"version": "3.3.0", "ca_file": "/etc/ca.pem"})
    assert found(diags) == [("warning", "deprecated-option", ("etcd", "ca_file"))]
    assert only_dropin(units, "etcd-member.service", "20-clct-etcd-member.conf") == (
        '[Service]\nEnvironment="ETCD_IMAGE_TAG=v3.3.0"\nExecStart=\n'
        'ExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n  --ca-file="/etc/ca.pem"'
    )


@pytest.mark.parametrize("version", [None, "3.4.0", "3.5.0", "3.6.1"])
@pytest.mark.parametrize(
    ("key", "instead"),
    [
        ("ca_file", "trusted_ca_file plus client_cert_auth: true"),
        ("peer_ca_file", "peer_trusted_ca_file plus peer_client_cert_auth: true"),
    ],
)
def test_etcd_removed_ca_file_is_an_error(version: str | None, key: str, instead: str) -> None:
    """etcd 3.4 removed --ca-file and --peer-ca-file: etcd would not start with them."""
    section = {key: "/etc/ca.pem"} if version is None else {"version": version, key: "/x"}
    units, diags = translate_etcd(section)
    assert units == []
    flag = "--" + key.replace("_", "-")
    shown = version or "3.5.0"
    removed = [d for d in diags if d.code == "removed-option"]
    assert [(d.message, d.path, d.is_error, d.at_key) for d in removed] == [
        (
            f"etcd {shown} has no {flag} flag (etcd 3.4 removed it, and etcd does not start "
            f"with it): {instead} replace it",
            ("etcd", key),
            True,
            True,
        )
    ]


def test_etcd2_proxy_must_be_on_off_or_readonly() -> None:
    units, diags = translate_etcd({"version": "2.3.0", "proxy": "maybe"})
    assert (units, found(diags)) == ([], [("error", "invalid-value", ("etcd", "proxy"))])


def test_etcd_braces_are_ct_templating_and_need_a_platform() -> None:
    units, diags = translate_etcd({"advertise_client_urls": "http://{PUBLIC_IPV4}:2379"})
    assert units == []
    assert found(diags) == [("error", "templating-unsupported", ("etcd", "advertise_client_urls"))]


def test_etcd_tables() -> None:
    assert list(ETCD_VERSIONS) == ["2.3", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5"]
    assert set(ETCD_OPTIONS) == set(ETCD_VERSIONS)
    assert len(ETCD_OPTIONS["2.3"]) == 41 and len(ETCD_OPTIONS["3.0"]) == 44
    assert len(ETCD_OPTIONS["3.1"]) == 46 and len(ETCD_OPTIONS["3.2"]) == 48
    assert len(ETCD_OPTIONS["3.3"]) == 62
    assert len(ETCD_OPTIONS["3.4"]) == 78 and len(ETCD_OPTIONS["3.5"]) == 88
    assert "ca_file" not in ETCD_OPTIONS["3.4"] and "peer_ca_file" not in ETCD_OPTIONS["3.5"]
    assert "debug" in ETCD_OPTIONS["3.4"] and "debug" not in ETCD_OPTIONS["3.5"]
    assert ETCD_OPTIONS["3.3"]["auto_compaction_retention"].kind == "string"
    assert ETCD_OPTIONS["3.2"]["auto_compaction_retention"].kind == "int"
    assert etcd_option_names("3.1.2") == frozenset(ETCD_OPTIONS["3.1"])
    assert etcd_option_names("3.5") == frozenset(ETCD_OPTIONS["3.5"])
    assert "enable_v2" not in etcd_option_names("3.1.0")
    assert etcd_option_names("v3") == frozenset()


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("plain", '"plain"'),
        ("", '""'),
        ('a"b', '"a\\"b"'),
        ("back\\slash", '"back\\\\slash"'),
        ("\x00\x1b\x7f", '"\\x00\\x1b\\x7f"'),
        ("\a\b\f\n\r\t\v", '"\\a\\b\\f\\n\\r\\t\\v"'),
        ("caf\u00e9", '"caf\u00e9"'),
        ("zero\u200bwidth", '"zero\\u200bwidth"'),
        ("nb\u00a0sp", '"nb\\u00a0sp"'),
        ("\U0001f600", '"\U0001f600"'),
        ("\U000e0001", '"\\U000e0001"'),
        ("<token>", '"<token>"'),
    ],
)
def test_go_quote_matches_go_strconv_quote(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted


# --- flannel ----------------------------------------------------------------


def test_flannel_null_section_enables_defaults() -> None:
    assert flannel_text(None) == FLANNEL_HEAD
    assert flannel_text({}) == FLANNEL_HEAD


def test_flannel_network_config_becomes_etcdctl_set() -> None:
    text = flannel_text({"network_config": '{"Network": "10.1.0.0/16"}'})
    assert text == (
        FLANNEL_HEAD + "\nExecStartPre=/usr/bin/etcdctl set /coreos.com/network/config"
        ' "{\\"Network\\": \\"10.1.0.0/16\\"}"'
    )


def test_flannel_etcdctl_gets_endpoint_and_tls_flags() -> None:
    text = flannel_text(
        {
            "version": "0.7.1",
            "etcd_keyfile": "/k.pem",
            "etcd_cafile": "/ca.pem",
            "etcd_certfile": "/c.pem",
            "etcd_endpoints": "https://10.0.0.1:2379",
            "interface": "eth0",
            "ip_masq": True,
            "network_config": '{"Network": "10.2.0.0/16", "Backend": {"Type": "host-gw"}}',
        }
    )
    assert text == (
        '[Service]\nEnvironment="FLANNEL_IMAGE_TAG=v0.7.1"\nExecStart=\n'
        "ExecStart=/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS \\\n"
        '  --etcd-endpoints="https://10.0.0.1:2379" \\\n'
        '  --etcd-cafile="/ca.pem" \\\n  --etcd-certfile="/c.pem" \\\n'
        '  --etcd-keyfile="/k.pem" \\\n  --ip-masq="true" \\\n  --iface="eth0"\n'
        'ExecStartPre=/usr/bin/etcdctl --endpoints="https://10.0.0.1:2379" --ca-file="/ca.pem"'
        ' --cert-file="/c.pem" --key-file="/k.pem" set /coreos.com/network/config'
        ' "{\\"Network\\": \\"10.2.0.0/16\\", \\"Backend\\": {\\"Type\\": \\"host-gw\\"}}"'
    )


@pytest.mark.parametrize(
    ("version", "key", "value", "arg"),
    [
        ("0.6.2", "etcd_prefix", "/coreos.com/network2", '--etcd-prefix="/coreos.com/network2"'),
        ("0.7.0", "kube_subnet_mgr", True, "--kube-subnet-mgr=true"),
        ("0.5.5", "public_ip", "192.168.1.10", '--public-ip="192.168.1.10"'),
        ("0.6.0", "etcd_username", "u", '--etcd-username="u"'),
    ],
)
def test_flannel_option_rendering(version: str, key: str, value: Any, arg: str) -> None:
    assert flannel_text({"version": version, key: value}) == (
        f'[Service]\nEnvironment="FLANNEL_IMAGE_TAG=v{version}"\nExecStart=\n'
        f"ExecStart=/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS \\\n  {arg}"
    )


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            {"version": "0.6.0", "kube_subnet_mgr": True},
            [("error", "unknown-key", ("flannel", "kube_subnet_mgr"))],
        ),
        (
            {"version": "0.5.0", "etcd_password": "p"},
            [("error", "unknown-key", ("flannel", "etcd_password"))],
        ),
        (
            {"version": "0.7", "ip_masq": True},
            [("error", "invalid-version", ("flannel", "version"))],
        ),
        ({"version": "0.4.0"}, [("error", "unsupported-version", ("flannel", "version"))]),
        (
            {"version": "1.0.0", "ip_masq": "true"},
            [("error", "unsupported-version", ("flannel", "version"))],
        ),
        (
            {"kube_subnet_mgr": True, "network_config": '{"Network": "10.1.0.0/16"}'},
            [("error", "conflicting-options", ("flannel", "network_config"))],
        ),
        ({"kube_subnet_mgr": "maybe"}, [("error", "wrong-type", ("flannel", "kube_subnet_mgr"))]),
        ({"iface": "eth0"}, [("error", "unknown-key", ("flannel", "iface"))]),
    ],
)
def test_flannel_errors(section: dict[str, Any], expected: list[Any]) -> None:
    units, diags = translate_flannel(section)
    assert (units, found(diags)) == ([], expected)


def test_flannel_newer_minor_warns_and_uses_0_7() -> None:
    units, diags = translate_flannel({"version": "0.10.0", "kube_subnet_mgr": True})
    assert found(diags) == [("warning", "version-too-new", ("flannel", "version"))]
    assert only_dropin(units, "flanneld.service", "20-clct-flannel.conf").endswith(
        "\\\n  --kube-subnet-mgr=true"
    )


def test_flannel_tables() -> None:
    assert list(FLANNEL_OPTIONS) == ["0.5", "0.6", "0.7"]
    assert FLANNEL_OPTIONS["0.7"]["interface"].flag == "iface"
    assert list(FLANNEL_OPTIONS["0.6"])[:3] == ["etcd_username", "etcd_password", "etcd_endpoints"]


@pytest.mark.parametrize(
    ("netconfig", "fragment"),
    [
        ('{"Network": 10.1.0.0/16}', "not valid JSON"),
        ('["10.1.0.0/16"]', "must be a JSON object"),
        ('{"SubnetLen": 24}', 'needs "Network"'),
        ('{"Network": "10.1.0.0"}', "IPv4 CIDR"),
        ('{"Network": "10.1.0.0/33"}', "IPv4 CIDR"),
        ('{"Network": "banana/16"}', "IPv4 CIDR"),
        ('{"Network": 16}', "IPv4 CIDR"),
        ('{"Network": "fd00::/48"}', "IPv6Network"),
        ('{"Network": "10.1.0.0/16", "SubnetLen": 16}', "must be longer than the /16"),
        ('{"Network": "10.1.0.0/16", "SubnetLen": 8}', "must be longer than the /16"),
        ('{"Network": "10.1.0.0/16", "SubnetLen": 31}', "longer than /30"),
        ('{"Network": "10.1.0.0/16", "SubnetLen": "24"}', "must be an integer"),
        ('{"Network": "10.1.0.0/16", "SubnetLen": true}', "must be an integer"),
        ('{"Network": "10.1.0.0/29"}', "31 (flannel's default) is longer than /30"),
        ('{"Network": "10.1.0.0/16", "Backend": {"Type": 5}}', "must be a string"),
        ('{"Network": "10.1.0.0/16", "Backend": "vxlan"}', '"Backend" must be a JSON object'),
    ],
)
def test_flannel_bad_network_config(netconfig: str, fragment: str) -> None:
    units, diags = translate_flannel({"network_config": netconfig})
    assert units == []
    assert found(diags) == [("error", "invalid-network-config", ("flannel", "network_config"))]
    assert fragment in diags[0].message


@pytest.mark.parametrize(
    "netconfig",
    [
        '{"Network": "10.1.0.0/16"}',
        '{"Network": "10.1.0.0/16", "SubnetLen": 30}',
        '{"Network": "10.0.0.0/8", "SubnetLen": 16, "Backend": {"Type": "udp"}}',
        '{"Network": "10.1.0.0/16", "Backend": {"Type": "vxlan", "VNI": 1}}',
        '{"Network": "10.1.0.0/16", "Backend": {}}',
    ],
)
def test_flannel_good_network_config(netconfig: str) -> None:
    assert flannel_text({"network_config": netconfig}).endswith(go_quote(netconfig))


def test_flannel_network_with_host_bits_warns() -> None:
    units, diags = translate_flannel({"network_config": '{"Network": "10.1.2.3/16"}'})
    assert found(diags) == [("warning", "invalid-network-config", ("flannel", "network_config"))]
    assert '"10.1.0.0/16"' in diags[0].message and len(units) == 1


def test_flannel_network_config_must_be_a_string() -> None:
    units, diags = translate_flannel({"network_config": {"Network": "10.1.0.0/16"}})
    assert (units, found(diags)) == ([], [("error", "wrong-type", ("flannel", "network_config"))])


# --- docker -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "opts"),
    [
        (["--selinux-enabled"], "--selinux-enabled"),
        (
            ["--log-level=warn", "--insecure-registry=10.0.0.0/8"],
            "--log-level=warn --insecure-registry=10.0.0.0/8",
        ),
        ([], ""),
        (None, ""),
    ],
)
def test_docker_flags(flags: list[str] | None, opts: str) -> None:
    units, diags = translate_docker({"flags": flags})
    assert diags == []
    contents = only_dropin(units, "docker.service", "20-clct-docker.conf")
    assert contents == f'[Service]\nEnvironment="DOCKER_OPTS={opts}"'


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"flags": "--debug"}, [("error", "wrong-type", ("docker", "flags"))]),
        ({"flags": ["--debug", ["3"]]}, [("error", "wrong-type", ("docker", "flags", 1))]),
        ({"flag": ["--debug"]}, [("error", "unknown-key", ("docker", "flag"))]),
    ],
)
def test_docker_errors(section: dict[str, Any], expected: list[Any]) -> None:
    units, diags = translate_docker(section)
    assert (units, found(diags)) == ([], expected)


def test_docker_flag_with_quote_warns_but_keeps_ct_text() -> None:
    units, diags = translate_docker({"flags": ['--label=a="b"']})
    assert found(diags) == [("warning", "unquoted-value", ("docker", "flags", 0))]
    assert (
        units[0]["dropins"][0]["contents"] == '[Service]\nEnvironment="DOCKER_OPTS=--label=a="b""'
    )


def test_docker_null_section_is_ignored_like_ct() -> None:
    assert translate_docker(None) == ([], [])


# --- update and locksmith ----------------------------------------------------


def update_conf(update: dict[str, Any] | None, locksmith: dict[str, Any] | None) -> str:
    files, diags = translate_update(update, locksmith)
    assert not [d for d in diags if d.is_error], diags
    assert len(files) == 1
    file = files[0]
    assert {k: v for k, v in file.items() if k != "contents"} == {
        "kind": "file",
        "path": "/etc/coreos/update.conf",
        "filesystem": "root",
        "mode": 0o644,
    }
    contents = file["contents"]
    assert isinstance(contents, str)
    return contents


@pytest.mark.parametrize(
    ("update", "locksmith", "text"),
    [
        # ct oracle (decoded from ct output data:,GROUP%3Dbeta%0AREBOOT_STRATEGY%3D%22etcd-lock%22)
        (
            {"group": "beta"},
            {"reboot_strategy": "etcd-lock"},
            'GROUP=beta\nREBOOT_STRATEGY="etcd-lock"',
        ),
        # ct oracle (data:,%0AREBOOT_STRATEGY%3D%22off%22): no update -> leading newline
        (None, {"reboot_strategy": "off"}, '\nREBOOT_STRATEGY="off"'),
        ({"group": "Stable"}, None, "GROUP=stable"),
        (
            {"group": "stable", "server": "https://upd.example/v1/update/"},
            {},
            "GROUP=stable\nSERVER=https://upd.example/v1/update/",
        ),
        ({"server": "https://upd.example/"}, None, "\nSERVER=https://upd.example/"),
        (
            {
                "group": "alpha",
                "machine_alias": "node 1",
                "download_user": "u",
                "download_password": "p",
                "pcr_policy_server": "https://p/",
            },
            None,
            (
                "GROUP=alpha\nPCR_POLICY_SERVER=https://p/\nDOWNLOAD_USER=u\nDOWNLOAD_PASSWORD=p"
                "\nMACHINE_ALIAS=node 1"
            ),
        ),
        (
            {"group": "beta"},
            {
                "etcd_keyfile": "/k",
                "window_length": "1h30m",
                "window_start": "Thu 04:00",
                "reboot_strategy": "reboot",
                "group": "g1",
                "etcd_endpoints": "https://e:2379",
                "etcd_cafile": "/ca",
                "etcd_certfile": "/c",
            },
            (
                'GROUP=beta\nREBOOT_STRATEGY="reboot"\nLOCKSMITHD_REBOOT_WINDOW_START="Thu 04:00"'
                '\nLOCKSMITHD_REBOOT_WINDOW_LENGTH="1h30m"\nLOCKSMITHD_GROUP="g1"'
                '\nLOCKSMITHD_ENDPOINT="https://e:2379"\nLOCKSMITHD_ETCD_CAFILE="/ca"'
                '\nLOCKSMITHD_ETCD_CERTFILE="/c"\nLOCKSMITHD_ETCD_KEYFILE="/k"'
            ),
        ),
    ],
)
def test_update_conf_contents(
    update: dict[str, Any] | None, locksmith: dict[str, Any] | None, text: str
) -> None:
    assert update_conf(update, locksmith) == text


@pytest.mark.parametrize(("update", "locksmith"), [(None, None), (None, {}), ({"group": ""}, {})])
def test_update_conf_not_written_when_empty(update: Any, locksmith: Any) -> None:
    files, _ = translate_update(update, locksmith)
    assert files == []


@pytest.mark.parametrize(
    ("start", "ok"),
    # ct oracle: locksmith_test.go TestValidateWindowStart
    [
        ("mon 00:00", True),
        ("tue 23:59", True),
        ("sun 12:00", True),
        ("mon00:00", False),
        ("foo 00:00", False),
        ("mon 0000", False),
        ("mon 24:00", False),
        ("04:00", True),
        ("Fri 4:30", True),
        ("mon 12:60", False),
    ],
)
def test_locksmith_window_start(start: str, ok: bool) -> None:
    files, diags = translate_update(None, {"window_start": start, "window_length": "1h"})
    expected = [] if ok else [("error", "invalid-value", ("locksmith", "window_start"))]
    assert (len(files), found(diags)) == (1 if ok else 0, expected)


@pytest.mark.parametrize(
    ("strategy", "ok"),
    # ct oracle: locksmith_test.go TestValidateRebootStrategy
    [("reboot", True), ("etcd-lock", True), ("off", True), ("in", False), ("OFF", True)],
)
def test_locksmith_reboot_strategy(strategy: str, ok: bool) -> None:
    _, diags = translate_update(None, {"reboot_strategy": strategy})
    expected = [] if ok else [("error", "invalid-value", ("locksmith", "reboot_strategy"))]
    assert found(diags) == expected


@pytest.mark.parametrize(
    ("length", "ok"),
    [
        ("1h", True),
        ("1h30m", True),
        ("90m", True),
        ("1.5h", True),
        ("0", True),
        ("1 hour", False),
        ("90", False),
        ("h", False),
    ],
)
def test_locksmith_window_length(length: str, ok: bool) -> None:
    _, diags = translate_update(None, {"window_start": "mon 01:00", "window_length": length})
    expected = [] if ok else [("error", "invalid-value", ("locksmith", "window_length"))]
    assert found(diags) == expected


@pytest.mark.parametrize(
    "locksmith",
    [
        {"window_start": "mon 01:00"},
        {"window_length": "1h"},
        {"window_start": "", "window_length": "2h"},
    ],
)
def test_locksmith_window_needs_start_and_length(locksmith: dict[str, str]) -> None:
    files, diags = translate_update(None, locksmith)
    assert (files, found(diags)) == ([], [("error", "incomplete-window", ("locksmith",))])


@pytest.mark.parametrize(
    ("update", "locksmith", "expected"),
    [
        ({"group": "edge"}, None, [("warning", "unknown-update-group", ("update", "group"))]),
        ({"group": "edge", "server": "https://u/"}, None, []),
        (
            {"grup": "beta"},
            None,
            [
                ("error", "unknown-key", ("update", "grup")),
                ("warning", "unknown-update-group", ("update",)),
            ],
        ),
        ({"server": "http://[::1"}, None, [("error", "invalid-url", ("update", "server"))]),
        (
            None,
            {"reboot_stratgy": "off"},
            [("error", "unknown-key", ("locksmith", "reboot_stratgy"))],
        ),
        (
            None,
            {"reboot_strategy": ["off"]},
            [("error", "wrong-type", ("locksmith", "reboot_strategy"))],
        ),
        ("beta", None, [("error", "wrong-type", ("update",))]),
    ],
)
def test_update_diagnostics(update: Any, locksmith: Any, expected: list[Any]) -> None:
    _, diags = translate_update(update, locksmith)
    assert found(diags) == expected


def test_every_diagnostic_is_warning_or_error() -> None:
    _, diags = translate_etcd({"version": "3.6.0", "bogus": 1})
    assert {d.severity for d in diags} == {Severity.WARNING, Severity.ERROR}
