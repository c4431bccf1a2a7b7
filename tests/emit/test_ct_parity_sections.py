"""Exact drop-in and file texts for ct's service sections, from YAML.

The cases restate ct's own test tables (config_test.go TestParse /
TestParseAndConvert, locksmith_test.go, update_test.go) and the rendering
rules of config/types/{common,etcd,flannel,docker,update,locksmith}.go as
docs/ct-sections.md describes them.  Each YAML goes through hostiso's loader
and ``shorthands.expand``, the way a host file does, so the source text of
numbers and booleans (``proxy: on``) is the one ct's YAML library sees.
"""

from __future__ import annotations

from typing import Any

import pytest

from hostiso.derive import shorthands
from hostiso.diagnostics import Diagnostic
from hostiso.load import hostschema
from hostiso.load.schema import validate
from hostiso.load.yamlload import load_text, to_plain

ETCD = "[Service]\n{env}ExecStart=\nExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS"
FLANNEL = "[Service]\n{env}ExecStart=\nExecStart=/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS"


def expand(text: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    node, problems = load_text(text, "t.yaml")
    assert node is not None and problems == []
    validate(node, hostschema.HOST)  # puts the text of `proxy: on` in place, as the build does
    base, diags = shorthands.expand(node, None)
    plain = to_plain(base)
    assert isinstance(plain, dict)
    return plain, diags


def errors(diags: list[Diagnostic]) -> list[tuple[str, tuple[str | int, ...]]]:
    return [(d.code, d.path) for d in diags if d.is_error]


def units(text: str) -> list[dict[str, Any]]:
    plain, diags = expand(text)
    assert errors(diags) == []
    result = plain.get("systemd", {}).get("units", [])
    assert isinstance(result, list)
    return result


def dropin(text: str, unit: str) -> str:
    (found,) = [u for u in units(text) if u["name"] == unit]
    (only,) = found["dropins"]
    assert isinstance(only["contents"], str)
    return only["contents"]


def args(*flags: str) -> str:
    return "".join(f" \\\n  {flag}" for flag in flags)


def tag(var: str, version: str) -> str:
    return f'Environment="{var}=v{version}"\n'


# --- etcd ---------------------------------------------------------------------------------

ETCD_CASES = [
    pytest.param(  # ct's TestParseAndConvert, byte for byte
        "etcd:\n    enable_v2: false\n    version: 3.3.1\n",
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "3.3.1")) + args("--enable-v2=false"),
        id="ct-oracle-3.3.1-enable-v2",
    ),
    pytest.param(  # ct's TestParse input: flags in Etcd3_0 field order, not YAML order
        'etcd:\n    version: "3.0.15"\n    discovery: "https://discovery.etcd.io/<token>"\n'
        '    listen_client_urls: "http://0.0.0.0:2379,http://0.0.0.0:4001"\n    max_wals: 44\n',
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "3.0.15"))
        + args(
            '--listen-client-urls="http://0.0.0.0:2379,http://0.0.0.0:4001"',
            "--max-wals=44",
            '--discovery="https://discovery.etcd.io/<token>"',
        ),
        id="ct-parse-3.0.15",
    ),
    pytest.param(  # Etcd2 fields are declared alphabetically by Go name
        "etcd:\n  version: 2.3.7\n  name: n1\n  data_dir: /var/lib/etcd2\n"
        "  advertise_client_urls: http://a:2379\n  proxy: on\n",
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "2.3.7"))
        + args(
            '--advertise-client-urls="http://a:2379"',
            '--data-dir="/var/lib/etcd2"',
            '--name="n1"',
            '--proxy="on"',
        ),
        id="etcd2-order-and-proxy-on",
    ),
    pytest.param(  # no version: no image tag
        "etcd:\n  name: infra0\n  initial_cluster_state: new\n",
        ETCD.format(env="") + args('--name="infra0"', '--initial-cluster-state="new"'),
        id="no-version-no-tag",
    ),
    pytest.param(  # set zero values are written; ints and bools bare
        "etcd:\n  version: 3.2.0\n  name: ''\n  snapshot_count: 0\n  debug: false\n",
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "3.2.0"))
        + args('--name=""', "--snapshot-count=0", "--debug=false"),
        id="zero-values",
    ),
    pytest.param(  # Go %q: quotes, backslashes and control characters escaped
        "etcd:\n  version: 3.3.0\n"
        '  name: "a b \\"q\\" back\\\\slash tab\\t nl\\n bell\\a del\\x7f"\n'
        "  data_dir: '/var/lib/100% $HOME é ☃'\n",
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "3.3.0"))
        + args(
            '--name="a b \\"q\\" back\\\\slash tab\\t nl\\n bell\\a del\\x7f"',
            '--data-dir="/var/lib/100% $HOME é ☃"',
        ),
        id="go-quoting",
    ),
    pytest.param(  # a string option takes a number's or boolean's source text
        "etcd:\n  version: 3.3.0\n  auto_compaction_retention: 1.50\n"
        "  cors: yes\n  log_package_levels: 010\n  max_wals: 0x10\n  enable_v2: y\n",
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "3.3.0"))
        + args(
            "--enable-v2=true",
            "--max-wals=16",
            '--cors="yes"',
            '--auto-compaction-retention="1.50"',
            '--log-package-levels="010"',
        ),
        id="scalar-texts",
    ),
    pytest.param(  # auto_compaction_retention is an int before etcd 3.3
        "etcd:\n  version: 3.2.5\n  auto_compaction_retention: 1\n",
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "3.2.5")) + args("--auto-compaction-retention=1"),
        id="retention-int-in-3.2",
    ),
    pytest.param(  # null options are left out; a null version means no version
        "etcd:\n  version: ~\n  name: ~\n  data_dir: /d\n",
        ETCD.format(env="") + args('--data-dir="/d"'),
        id="nulls-are-unset",
    ),
    pytest.param(  # go-semver drops leading zeros and keeps pre-release and metadata
        "etcd:\n  version: 3.03.1-rc.2+git\n",
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "3.3.1-rc.2+git")),
        id="semver-printing",
    ),
    pytest.param(
        "etcd: {}\n",
        ETCD.format(env=""),
        id="empty-section",
    ),
    pytest.param(  # the real config: Etcd3_5 puts --enable-v2 after the URLs
        "etcd:\n  version: 3.5.0\n  enable_v2: true\n  name: n1\n"
        "  listen_peer_urls: http://10.0.0.5:2380\n",
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "3.5.0"))
        + args('--name="n1"', '--listen-peer-urls="http://10.0.0.5:2380"', "--enable-v2=true"),
        id="etcd-3.5-enable-v2-after-listen-peer-urls",
    ),
    pytest.param(  # Etcd3_5 field order, the options 3.5 added, none of 3.3's order
        "etcd:\n  version: 3.5.2\n  unsafe_no_fsync: true\n  log_level: debug\n"
        "  log_outputs: stderr\n  logger: zap\n  experimental_warning_apply_duration: 200ms\n"
        "  socket_reuse_port: true\n  enable_v2: false\n  cert_file: /c\n"
        "  initial_cluster_token: t\n  v2_deprecation: write-only\n  cors: '*'\n",
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "3.5.2"))
        + args(
            "--socket-reuse-port=true",
            '--initial-cluster-token="t"',
            "--enable-v2=false",
            '--v2-deprecation="write-only"',
            '--cert-file="/c"',
            '--cors="*"',
            '--logger="zap"',
            '--log-outputs="stderr"',
            '--log-level="debug"',
            '--experimental-warning-apply-duration="200ms"',
            "--unsafe-no-fsync=true",
        ),
        id="etcd-3.5-order",
    ),
    pytest.param(  # the default version is 3.5 (as in the Flatcar ct), without an image tag
        "etcd:\n  logger: zap\n  enable_v2: true\n  name: n\n",
        ETCD.format(env="") + args('--name="n"', "--enable-v2=true", '--logger="zap"'),
        id="etcd-default-is-3.5",
    ),
    pytest.param(  # Etcd3_4: debug and log_package_levels last, enable_v2 after compaction
        "etcd:\n  version: 3.4.13\n  log_package_levels: etcdserver=DEBUG\n  debug: true\n"
        "  enable_v2: true\n  auto_compaction_mode: periodic\n  pre_vote: true\n"
        "  experimental_backend_bbolt_freelist_type: map\n  log_outputs: default\n",
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "3.4.13"))
        + args(
            "--pre-vote=true",
            '--auto-compaction-mode="periodic"',
            "--enable-v2=true",
            '--log-outputs="default"',
            '--experimental-backend-bbolt-freelist-type="map"',
            "--debug=true",
            '--log-package-levels="etcdserver=DEBUG"',
        ),
        id="etcd-3.4-order",
    ),
    pytest.param(  # 3.6 and later: 3.5's table (with a version-too-new warning)
        "etcd:\n  version: 3.6.0\n  unsafe_no_fsync: false\n",
        ETCD.format(env=tag("ETCD_IMAGE_TAG", "3.6.0")) + args("--unsafe-no-fsync=false"),
        id="etcd-3.6-uses-3.5",
    ),
]


@pytest.mark.parametrize(("yaml_text", "expected"), ETCD_CASES)
def test_etcd_dropin(yaml_text: str, expected: str) -> None:
    assert dropin(yaml_text, "etcd-member.service") == expected


def test_etcd_unit_is_enabled_with_ct_field() -> None:
    (unit,) = units("etcd:\n  name: a\n")
    assert unit["name"] == "etcd-member.service"
    assert unit["enable"] is True
    assert "enabled" not in unit
    assert [d["name"] for d in unit["dropins"]] == ["20-clct-etcd-member.conf"]


@pytest.mark.parametrize(
    ("yaml_text", "code", "path"),
    [
        ("etcd:\n  version: 2.3.0-rc.1\n", "unsupported-version", ("etcd", "version")),
        ("etcd:\n  version: 3.3\n", "invalid-version", ("etcd", "version")),
        ("etcd:\n  version: v3.3.0\n", "invalid-version", ("etcd", "version")),
        ("etcd:\n  version: 3.0.0\n  enable_v2: true\n", "unknown-key", ("etcd", "enable_v2")),
        ("etcd:\n  version: 3.3.0\n  max_wals: '44'\n", "wrong-type", ("etcd", "max_wals")),
        ("etcd:\n  version: 2.3.0\n  proxy: maybe\n", "invalid-value", ("etcd", "proxy")),
        ("etcd:\n  name: '{HOSTNAME}'\n", "templating-unsupported", ("etcd", "name")),
        ("etcd:\n  ca_file: /etc/ca.pem\n", "removed-option", ("etcd", "ca_file")),
        (
            "etcd:\n  version: 3.4.0\n  peer_ca_file: /p\n",
            "removed-option",
            ("etcd", "peer_ca_file"),
        ),
        ("etcd:\n  version: 3.5.0\n  debug: true\n", "unknown-key", ("etcd", "debug")),
        ("etcd:\n  version: 3.4.0\n  log_output: x\n", "unknown-key", ("etcd", "log_output")),
        ("etcd:\n  version: 3.3.0\n  logger: zap\n", "unknown-key", ("etcd", "logger")),
    ],
)
def test_etcd_errors(yaml_text: str, code: str, path: tuple[str, ...]) -> None:
    plain, diags = expand(yaml_text)
    assert errors(diags) == [(code, path)]
    assert "systemd" not in plain


# --- flannel ------------------------------------------------------------------------------

NETCONFIG = '{"Network": "10.1.0.0/16"}'
NETCONFIG_Q = '"{\\"Network\\": \\"10.1.0.0/16\\"}"'

FLANNEL_CASES = [
    pytest.param(  # ct's TestParse input
        'flannel:\n    version: 0.6.2\n    etcd_prefix: "/coreos.com/network2"\n',
        FLANNEL.format(env=tag("FLANNEL_IMAGE_TAG", "0.6.2"))
        + args('--etcd-prefix="/coreos.com/network2"'),
        id="ct-parse-0.6.2",
    ),
    pytest.param(
        "flannel:\n  version: 0.7.1\n  kube_subnet_mgr: true\n  interface: eth1\n"
        "  ip_masq: yes\n  public_ip: 10.0.0.5\n  subnet_file: /run/flannel/subnet.env\n"
        "  etcd_username: u\n  etcd_password: 'p w'\n",
        FLANNEL.format(env=tag("FLANNEL_IMAGE_TAG", "0.7.1"))
        + args(
            '--etcd-username="u"',
            '--etcd-password="p w"',
            '--ip-masq="yes"',
            '--subnet-file="/run/flannel/subnet.env"',
            '--iface="eth1"',
            '--public-ip="10.0.0.5"',
            "--kube-subnet-mgr=true",
        ),
        id="0.7-field-order",
    ),
    pytest.param(
        "flannel:\n  ip_masq: true\n",
        FLANNEL.format(env="") + args('--ip-masq="true"'),
        id="ip-masq-bool-text",
    ),
    pytest.param(  # the etcdctl line gets the endpoint and TLS flags, in ct's order
        "flannel:\n  etcd_keyfile: /k.pem\n  etcd_cafile: /ca.pem\n"
        "  etcd_endpoints: https://10.0.0.1:2379\n  etcd_certfile: /c.pem\n"
        f"  network_config: '{NETCONFIG}'\n",
        FLANNEL.format(env="")
        + args(
            '--etcd-endpoints="https://10.0.0.1:2379"',
            '--etcd-cafile="/ca.pem"',
            '--etcd-certfile="/c.pem"',
            '--etcd-keyfile="/k.pem"',
        )
        + '\nExecStartPre=/usr/bin/etcdctl --endpoints="https://10.0.0.1:2379" '
        '--ca-file="/ca.pem" --cert-file="/c.pem" --key-file="/k.pem" '
        f"set /coreos.com/network/config {NETCONFIG_Q}",
        id="network-config-tls",
    ),
    pytest.param(
        f"flannel:\n  version: 0.5.5\n  network_config: '{NETCONFIG}'\n",
        FLANNEL.format(env=tag("FLANNEL_IMAGE_TAG", "0.5.5"))
        + f"\nExecStartPre=/usr/bin/etcdctl set /coreos.com/network/config {NETCONFIG_Q}",
        id="network-config-plain",
    ),
    pytest.param(  # an empty network config writes nothing
        "flannel:\n  network_config: ''\n",
        FLANNEL.format(env=""),
        id="network-config-empty",
    ),
    pytest.param(  # the brief: flannel: ~ enables flannel with its defaults
        "flannel: ~\n",
        FLANNEL.format(env=""),
        id="null-section",
    ),
    pytest.param(  # ct has no table past 0.x: the image tag only
        f"flannel:\n  version: 1.0.0\n  network_config: '{NETCONFIG}'\n",
        FLANNEL.format(env=tag("FLANNEL_IMAGE_TAG", "1.0.0"))
        + f"\nExecStartPre=/usr/bin/etcdctl set /coreos.com/network/config {NETCONFIG_Q}",
        id="major-1-tag-only",
    ),
    pytest.param(  # a /24 network: flannel's default SubnetLen is 26
        'flannel:\n  network_config: \'{"Network": "10.9.0.0/24"}\'\n',
        FLANNEL.format(env="") + "\nExecStartPre=/usr/bin/etcdctl set /coreos.com/network/config "
        '"{\\"Network\\": \\"10.9.0.0/24\\"}"',
        id="small-network",
    ),
]


@pytest.mark.parametrize(("yaml_text", "expected"), FLANNEL_CASES)
def test_flannel_dropin(yaml_text: str, expected: str) -> None:
    assert dropin(yaml_text, "flanneld.service") == expected


@pytest.mark.parametrize(
    ("yaml_text", "code", "path"),
    [
        ("flannel:\n  version: 0.6.0\n  kube_subnet_mgr: true\n", "unknown-key", None),
        ("flannel:\n  version: 0.4.0\n", "unsupported-version", ("flannel", "version")),
        ("flannel:\n  version: 1.0.0\n  ip_masq: true\n", "unsupported-version", None),
        ("flannel:\n  network_config: 'x'\n", "invalid-network-config", None),
        (
            f"flannel:\n  kube_subnet_mgr: true\n  network_config: '{NETCONFIG}'\n",
            "conflicting-options",
            None,
        ),
    ],
)
def test_flannel_errors(yaml_text: str, code: str, path: tuple[str, ...] | None) -> None:
    plain, diags = expand(yaml_text)
    assert [c for c, _ in errors(diags)] == [code]
    if path is not None:
        assert errors(diags)[0][1] == path
    assert "systemd" not in plain


def test_flannel_unknown_backend_only_warns() -> None:
    text = 'flannel:\n  network_config: \'{"Network": "10.1.0.0/16", "Backend": {"Type": "x"}}\'\n'
    plain, diags = expand(text)
    assert errors(diags) == []
    assert [d.code for d in diags] == ["invalid-network-config"]
    assert plain["systemd"]["units"][0]["name"] == "flanneld.service"


# --- docker -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_text", "opts"),
    [
        ("docker:\n  flags:\n    - --insecure-registry=10.0.0.0/8\n    - --debug\n",
         "--insecure-registry=10.0.0.0/8 --debug"),
        ("docker:\n  flags: [--log-opt, max-size=10m, --max-concurrent-downloads, 5]\n",
         "--log-opt max-size=10m --max-concurrent-downloads 5"),
        ("docker:\n  flags: [--a, ~, --b]\n", "--a --b"),
        ("docker:\n  flags: ['--label=x=100% $Y']\n", "--label=x=100% $Y"),
        ("docker: {}\n", ""),
    ],
)  # fmt: skip
def test_docker_dropin(yaml_text: str, opts: str) -> None:
    assert dropin(yaml_text, "docker.service") == f'[Service]\nEnvironment="DOCKER_OPTS={opts}"'


def test_docker_null_section_is_ignored() -> None:
    assert units("docker: ~\n") == []


# --- update and locksmith -----------------------------------------------------------------


def update_conf(text: str) -> tuple[str, int]:
    plain, diags = expand(text)
    assert errors(diags) == []
    (file,) = [f for f in plain["storage"]["files"] if f["path"] == "/etc/coreos/update.conf"]
    assert file["filesystem"] == "root"
    return file["contents"]["inline"], file["mode"]


@pytest.mark.parametrize(
    ("yaml_text", "contents"),
    [
        ("update:\n  group: Stable\n", "GROUP=stable"),
        (
            "update:\n  group: beta\n  server: https://public.update.flatcar-linux.net/v1/update/\n",
            "GROUP=beta\nSERVER=https://public.update.flatcar-linux.net/v1/update/",
        ),
        (
            "update:\n  group: lts\n  server: https://nebraska.example/v1/update/\n"
            "  machine_alias: rack 4\n  download_user: u\n  download_password: p\n"
            "  pcr_policy_server: https://pcr.example/\n",
            "GROUP=lts\nSERVER=https://nebraska.example/v1/update/\n"
            "PCR_POLICY_SERVER=https://pcr.example/\nDOWNLOAD_USER=u\nDOWNLOAD_PASSWORD=p\n"
            "MACHINE_ALIAS=rack 4",
        ),
        ("locksmith:\n  reboot_strategy: off\n", '\nREBOOT_STRATEGY="off"'),
        (
            "update:\n  group: alpha\nlocksmith:\n  etcd_keyfile: /k\n  group: g1\n"
            "  window_length: 1h30m\n  window_start: Thu 04:00\n  reboot_strategy: etcd-lock\n"
            "  etcd_endpoints: https://10.0.0.1:2379,https://10.0.0.2:2379\n"
            "  etcd_certfile: /c\n  etcd_cafile: /ca\n",
            "GROUP=alpha\n"
            'REBOOT_STRATEGY="etcd-lock"\nLOCKSMITHD_REBOOT_WINDOW_START="Thu 04:00"\n'
            'LOCKSMITHD_REBOOT_WINDOW_LENGTH="1h30m"\nLOCKSMITHD_GROUP="g1"\n'
            'LOCKSMITHD_ENDPOINT="https://10.0.0.1:2379,https://10.0.0.2:2379"\n'
            'LOCKSMITHD_ETCD_CAFILE="/ca"\nLOCKSMITHD_ETCD_CERTFILE="/c"\n'
            'LOCKSMITHD_ETCD_KEYFILE="/k"',
        ),
        (  # set but empty: written, and not checked
            "locksmith:\n  reboot_strategy: ''\n  group: ''\n",
            '\nREBOOT_STRATEGY=""\nLOCKSMITHD_GROUP=""',
        ),
        ("locksmith:\n  group: 5\n  window_start: 4:00\n  window_length: 0\n",
         '\nLOCKSMITHD_REBOOT_WINDOW_START="4:00"\n'
         'LOCKSMITHD_REBOOT_WINDOW_LENGTH="0"\nLOCKSMITHD_GROUP="5"'),
        ('locksmith:\n  group: "a\\"b"\n', '\nLOCKSMITHD_GROUP="a\\"b"'),
    ],
)  # fmt: skip
def test_update_conf(yaml_text: str, contents: str) -> None:
    assert update_conf(yaml_text) == (contents, 0o644)


@pytest.mark.parametrize(
    "yaml_text",
    ["update: ~\n", "locksmith: ~\n", "locksmith: {}\n", "update:\n  group: ''\n  server: ''\n"],
)
def test_no_update_conf_when_empty(yaml_text: str) -> None:
    plain, diags = expand(yaml_text)
    assert errors(diags) == []
    assert "storage" not in plain


@pytest.mark.parametrize(
    ("yaml_text", "code"),
    [
        ("locksmith:\n  reboot_strategy: best-effort\n", "invalid-value"),
        ("locksmith:\n  window_start: mon 24:00\n  window_length: 1h\n", "invalid-value"),
        ("locksmith:\n  window_start: mon00:00\n  window_length: 1h\n", "invalid-value"),
        ("locksmith:\n  window_start: foo 00:00\n  window_length: 1h\n", "invalid-value"),
        ("locksmith:\n  window_start: mon 0:0\n  window_length: 1h\n", "invalid-value"),
        ("locksmith:\n  window_start: mon 00:00\n  window_length: 1 hour\n", "invalid-value"),
        ("locksmith:\n  window_start: mon 00:00\n", "incomplete-window"),
        ("locksmith:\n  window_length: 1h\n", "incomplete-window"),
        ("update:\n  server: 'http://[::1'\n", "invalid-url"),
    ],
)
def test_update_errors(yaml_text: str, code: str) -> None:
    plain, diags = expand(yaml_text)
    assert [c for c, _ in errors(diags)] == [code]
    assert "storage" not in plain


def test_unknown_update_group_warns() -> None:
    plain, diags = expand("update:\n  group: lts\n")
    assert [(d.code, d.is_error) for d in diags] == [("unknown-update-group", False)]
    assert plain["storage"]["files"][0]["contents"]["inline"] == "GROUP=lts"


# --- order and merging --------------------------------------------------------------------

ALL = (
    "flannel: {}\netcd: {}\ndocker: {}\nlocksmith:\n  reboot_strategy: reboot\n"
    "storage:\n  files:\n    - path: /etc/motd\n      contents:\n        inline: hi\n"
)


def test_units_in_ct_order() -> None:
    assert [u["name"] for u in units(ALL)] == [
        "docker.service",
        "etcd-member.service",
        "flanneld.service",
    ]
    assert all(u["enable"] is True for u in units(ALL))


def test_update_conf_comes_after_the_users_files() -> None:
    from hostiso.load import merge

    node, _ = load_text(ALL, "t.yaml")
    assert node is not None
    base, _ = shorthands.expand(node, None)
    tree = to_plain(merge.merge(base, node, (), generated=True))
    assert [f["path"] for f in tree["storage"]["files"]] == ["/etc/motd", "/etc/coreos/update.conf"]


def test_users_dropin_joins_cts_unit() -> None:
    from hostiso.load import merge

    text = (
        "etcd:\n  name: a\nsystemd:\n  units:\n    - name: etcd-member.service\n"
        "      dropins:\n        - name: 30-mine.conf\n          contents: |\n"
        "            [Service]\n            Environment=A=1\n"
    )
    node, _ = load_text(text, "t.yaml")
    assert node is not None
    base, _ = shorthands.expand(node, None)
    tree = to_plain(merge.merge(base, node, (), generated=True))
    (unit,) = tree["systemd"]["units"]
    assert unit["enable"] is True
    assert [d["name"] for d in unit["dropins"]] == ["20-clct-etcd-member.conf", "30-mine.conf"]
