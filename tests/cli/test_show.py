"""``hostiso show``: the effective config after merging and templates, and its origins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import SSH_KEY, load_ign, run, write_fleet
from hostiso.cli.show import scalar_lines
from hostiso.load.fleet import Layout
from hostiso.pipeline.steps import load_checked

FLEET = {
    "overlays/all.yaml": (
        "passwd:\n"
        "  users:\n"
        "    - name: core\n"
        f"      ssh_authorized_keys: [{SSH_KEY}]\n"
        "vars:\n"
        "  domain: example.com\n"
        "network:\n"
        "  interface: eth0\n"
        "  gateway: 192.168.1.1\n"
        "storage:\n"
        "  files:\n"
        "    - path: /etc/motd\n"
        "      mode: 0640\n"
        "      contents:\n"
        '        inline: "{{ host.name }}.{{ vars.domain }}\\n"\n'
        "systemd:\n"
        "  units:\n"
        "    - name: a.service\n"
        "      enabled: true\n"
        "      mask: false\n"
    ),
    "overlays/web.yaml": (
        "network:\n"
        "  gateway: null\n"
        "systemd:\n"
        "  units:\n"
        "    - name: a.service\n"
        "      enabled: false\n"
        "      mask: null\n"
    ),
    "configs/w1.yaml": "groups: [web]\nnetwork:\n  addresses: [192.168.1.21/24]\n",
    "configs/w2.yaml": "hostname: w2.example.com\nnetwork:\n  addresses: [192.168.1.22/24]\n",
}

EXPECTED_ORIGIN = f"""\
groups:
  - web  # configs/w1.yaml:1
network:
  addresses:
    - 192.168.1.21/24  # configs/w1.yaml:3
  interface: eth0  # overlays/all.yaml:8
networkd:
  units:
    - name: 10-static.network  # configs/w1.yaml:3
      contents: |  # configs/w1.yaml:3
        [Match]
        Name=eth0

        [Network]
        Address=192.168.1.21/24
passwd:
  users:
    - name: core  # overlays/all.yaml:3
      ssh_authorized_keys:
        - {SSH_KEY}  # overlays/all.yaml:4
storage:
  files:
    - path: /etc/hostname  # configs/w1.yaml:1
      contents:
        inline: |  # configs/w1.yaml:1
          w1
      filesystem: root  # configs/w1.yaml:1
      mode: 0644  # configs/w1.yaml:1
    - path: /etc/motd  # overlays/all.yaml:12
      contents:
        inline: |  # overlays/all.yaml:15
          w1.example.com
      mode: 0640  # overlays/all.yaml:13
systemd:
  units:
    - name: a.service  # overlays/web.yaml:5
      enabled: false  # overlays/web.yaml:6
vars:
  domain: example.com  # overlays/all.yaml:6
"""


def test_show_origin_prints_every_value_with_the_layer_that_set_it(tmp_path: Path) -> None:
    write_fleet(tmp_path, FLEET)
    assert run(["show", "w1", "--origin"], tmp_path) == (0, EXPECTED_ORIGIN, "")


def test_show_without_origin_is_the_effective_config_as_yaml(tmp_path: Path) -> None:
    write_fleet(tmp_path, FLEET)
    rc, out, err = run(["show", "w1"], tmp_path)
    assert (rc, err) == (0, "")
    assert out == "".join(line.split("  # ")[0] + "\n" for line in EXPECTED_ORIGIN.splitlines())
    [host] = [h for h in load_checked(Layout(tmp_path)) if h.stem == "w1"]
    assert yaml.safe_load(out) == host.plain()


def test_null_resets_a_value_set_by_an_earlier_layer(tmp_path: Path) -> None:
    write_fleet(tmp_path, FLEET)
    _, w1, _ = run(["show", "w1"], tmp_path)
    _, w2, _ = run(["show", "w2"], tmp_path)
    assert "gateway" in yaml.safe_load(w2)["network"]
    assert "gateway" not in yaml.safe_load(w1)["network"]
    assert yaml.safe_load(w1)["systemd"]["units"] == [{"name": "a.service", "enabled": False}]
    assert yaml.safe_load(w2)["systemd"]["units"] == [
        {"name": "a.service", "enabled": True, "mask": False}
    ]


def test_show_finds_a_host_by_its_hostname(tmp_path: Path) -> None:
    write_fleet(tmp_path, FLEET)
    by_stem = run(["show", "w2"], tmp_path)
    assert by_stem[0] == 0
    assert run(["show", "w2.example.com"], tmp_path) == by_stem


def test_show_ignition_prints_what_the_build_writes(tmp_path: Path) -> None:
    write_fleet(tmp_path, FLEET)
    rc, out, err = run(["show", "w1", "--ignition"], tmp_path)
    assert (rc, err) == (0, "")
    assert run(["build", "w1"], tmp_path) == (0, "", "")
    assert json.loads(out) == load_ign(tmp_path, "w1")
    assert out.startswith('{\n  "ignition": {\n    "config": {},\n') and out.endswith("}\n")
    motd = load_ign(tmp_path, "w1")["storage"]["files"][1]
    assert motd["contents"]["source"] == "data:,w1.example.com%0A"


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("w3", "<fleet>: error: no host 'w3' in configs/ (hosts: w1, w2) [no-such-host]\n"),
        ("ww1", "<fleet>: error: no host 'ww1' in configs/; did you mean 'w1'? [no-such-host]\n"),
    ],
)
def test_show_an_unknown_host(tmp_path: Path, host: str, message: str) -> None:
    write_fleet(tmp_path, FLEET)
    assert run(["show", host], tmp_path) == (1, "", message)


def test_show_reports_errors_on_stderr_and_still_prints_what_it_can(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {**FLEET, "configs/w1.yaml": FLEET["configs/w1.yaml"] + "vars:\n  x: '{{ vars.nope }}'\n"},
    )
    rc, out, err = run(["show", "w1", "--format", "parsable"], tmp_path)
    assert rc == 1
    assert err == (
        "configs/w1.yaml:5:6: [error] undefined in template: 'vars' is undefined; "
        "values under vars: are rendered first; they see host.name, host.groups and "
        "groups only (template-undefined)\n"
    )
    assert yaml.safe_load(out)["vars"] == {"domain": "example.com", "x": "{{ vars.nope }}"}
    rc, out, err = run(["show", "w1", "--ignition", "--format", "json"], tmp_path)
    assert (rc, out) == (1, "")
    assert [d["code"] for d in json.loads(err)] == ["template-undefined"]


def test_show_ignition_reports_compile_errors(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            **FLEET,
            "configs/w1.yaml": FLEET["configs/w1.yaml"]
            + "storage:\n  files:\n    - path: /x\n      contents: {local: nope}\n",
        },
    )
    rc, out, err = run(["show", "w1", "--ignition", "--format", "parsable"], tmp_path)
    assert (rc, out) == (1, "")
    assert (
        err == "configs/w1.yaml:7:25: [error] 'nope' is not a file in files/ (local-file-missing)\n"
    )


# --- scalars -------------------------------------------------------------------------

SCALARS: list[tuple[Any, str | None, str, list[str]]] = [
    ("plain", None, "plain", []),
    ("yes", None, "'yes'", []),
    ("123", None, "'123'", []),
    ("a: b", None, "'a: b'", []),
    ("# not a comment", None, "'# not a comment'", []),
    ("", None, "''", []),
    ("x" * 200, None, "x" * 200, []),
    ("a\nb\n", None, "|", ["a", "b"]),
    ("a\nb", None, "|-", ["a", "b"]),
    ("a\n\n", None, "|+", ["a", ""]),
    ("a\n\nb\n", None, "|", ["a", "", "b"]),
    ("  indented\nfirst\n", None, '"  indented\\nfirst\\n"', []),
    ("trailing \nspace\n", None, '"trailing \\nspace\\n"', []),
    ("tab\there\n", None, '"tab\\there\\n"', []),
    ("a\n\n\n", None, "|+", ["a", "", ""]),
    (420, "mode", "0644", []),
    (0, "mode", "00", []),
    (420, "id", "420", []),
    (True, None, "true", []),
    (None, None, "null", []),
    ([], None, "[]", []),
    ({}, None, "{}", []),
]


@pytest.mark.parametrize(("value", "key", "first", "rest"), SCALARS)
def test_scalars_are_valid_yaml_that_reads_back(
    value: Any, key: str | None, first: str, rest: list[str]
) -> None:
    assert scalar_lines(value, key) == (first, rest)
    text = f"k: {first}  # origin\n" + "".join(f"  {line}\n" if line else "\n" for line in rest)
    assert yaml.safe_load(text) == {"k": value}
