"""``hostiso transpile -platform``: ct's dynamic data in etcd and flannel.

The expected texts are what a ct built from flatcar/container-linux-config-
transpiler wrote for the same configs (tests/realworld/ has whole configs).
"""

from __future__ import annotations

import io
import json

import pytest

from hostiso import cli
from hostiso.sections.platform import PLATFORMS, substitute

WAIT = (
    "[Unit]\nRequires=coreos-metadata.service\nAfter=coreos-metadata.service\n\n"
    "[Service]\nEnvironmentFile=/run/metadata/coreos\n"
)


def transpile(yaml_text: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(["transpile", *argv], stdin=io.StringIO(yaml_text), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def dropin(output: str, unit: int = 0) -> str:
    contents: str = json.loads(output)["systemd"]["units"][unit]["dropins"][0]["contents"]
    return contents


def test_placeholders_are_filled_in_for_the_platform() -> None:
    text = "etcd:\n  name: '{HOSTNAME}-{HOSTNAME}-{PRIVATE_IPV4}'\n"
    text += "  initial_cluster: a={PRIVATE_IPV6}\n"
    rc, out, err = transpile(text, "-platform", "custom")
    assert rc == 0, err
    assert dropin(out) == WAIT + (
        "ExecStart=\nExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n"
        '  --name="${COREOS_CUSTOM_HOSTNAME}-${COREOS_CUSTOM_HOSTNAME}-'
        '${COREOS_CUSTOM_PRIVATE_IPV4}" \\\n'
        '  --initial-cluster="a=${COREOS_CUSTOM_PRIVATE_IPV6}"'
    )


def test_flannel_etcdctl_line_keeps_the_text_as_ct_does() -> None:
    text = (
        "flannel:\n  version: 0.7.0\n  etcd_endpoints: http://{PRIVATE_IPV4}:2379\n"
        "  public_ip: '{PUBLIC_IPV4}'\n  interface: '}x{HOSTNAME}'\n"
        '  network_config: \'{"Network":"10.2.0.0/16"}\'\n'
    )
    rc, out, err = transpile(text, "-platform", "custom")
    assert rc == 0, err
    assert dropin(out) == WAIT + (
        'Environment="FLANNEL_IMAGE_TAG=v0.7.0"\nExecStart=\n'
        "ExecStart=/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS \\\n"
        '  --etcd-endpoints="http://${COREOS_CUSTOM_PRIVATE_IPV4}:2379" \\\n'
        '  --iface="}x{HOSTNAME}" \\\n  --public-ip="${COREOS_CUSTOM_PUBLIC_IPV4}"\n'
        'ExecStartPre=/usr/bin/etcdctl --endpoints="http://{PRIVATE_IPV4}:2379" '
        'set /coreos.com/network/config "{\\"Network\\":\\"10.2.0.0/16\\"}"'
    )
    assert "warning: ct fills in the placeholders of etcd_endpoints" in err
    assert "[templating-etcdctl]" in err


def test_openstack_gets_the_provider_dropins_first() -> None:
    rc, out, err = transpile("docker:\n  flags: [--debug]\n", "-platform", "openstack-metadata")
    assert rc == 0, err
    units = json.loads(out)["systemd"]["units"]
    assert [(u["name"], u.get("enabled")) for u in units] == [
        ("coreos-metadata.service", None),
        ("coreos-metadata-sshkeys@.service", True),
        ("docker.service", None),
    ]
    provider = "[Service]\nEnvironment=COREOS_METADATA_OPT_PROVIDER=--provider=openstack-metadata"
    assert dropin(out, 0) == dropin(out, 1) == provider


@pytest.mark.parametrize(
    ("platform", "text", "field"),
    [
        ("ec2", "etcd:\n  name: '{FOO}'\n", "FOO"),
        ("cloudstack-configdrive", "etcd:\n  name: '{PRIVATE_IPV4}'\n", "PRIVATE_IPV4"),
        ("ec2", "flannel:\n  etcd_prefix: '{a{HOSTNAME}}'\n", "a{HOSTNAME"),
    ],
)
def test_a_field_the_platform_lacks_is_an_error(platform: str, text: str, field: str) -> None:
    rc, out, err = transpile(text, "-platform", platform)
    assert (rc, out) == (1, "")
    assert f"has no placeholder {{{field}}}" in err and "[templating-unknown-field]" in err


def test_without_a_platform_a_brace_is_an_error_that_names_the_flag() -> None:
    rc, out, err = transpile("etcd:\n  name: '{HOSTNAME}'\n")
    assert (rc, out) == (1, "")
    assert "<stdin>:2:9: error: name contains '{' or '}'" in err
    assert "hostiso transpile -platform P" in err


def test_an_unknown_platform_is_a_usage_error() -> None:
    rc, out, err = transpile("", "-platform", "metal")
    assert (rc, out) == (2, "")
    assert err.startswith("unsupported platform 'metal': -platform must be one of azure,")


def test_an_empty_platform_is_none_as_in_ct() -> None:
    assert transpile("", "-platform", "")[0] == 0


def test_substitute_scans_as_ct_does() -> None:
    assert substitute("ec2", "}{HOSTNAME}") == ("}{HOSTNAME}", None)
    assert substitute("ec2", "{HOSTNAME}{") == ("${COREOS_EC2_HOSTNAME}{", None)
    assert substitute("gce", "x{PUBLIC_IPV4}y") == ("x${COREOS_GCE_IP_EXTERNAL_0}y", None)
    assert len(PLATFORMS) == 9


def test_a_file_a_section_writes_again_is_replaced_as_on_the_machine() -> None:
    """ct writes the config's /etc/coreos/update.conf, then update's own: the
    machine ends with update's, so transpile writes that one, and warns."""
    text = "update: {group: beta}\nstorage:\n  files:\n    - path: /etc/coreos/update.conf\n"
    text += "      filesystem: root\n      mode: 0600\n      contents: {inline: GROUP=alpha}\n"
    rc, out, err = transpile(text)
    assert rc == 0, err
    assert json.loads(out)["storage"]["files"] == [
        {
            "filesystem": "root",
            "path": "/etc/coreos/update.conf",
            "contents": {"source": "data:,GROUP%3Dbeta", "verification": {}},
            "mode": 420,
        }
    ]
    assert "<stdin>:4:13: warning: ct writes /etc/coreos/update.conf from update" in err
