"""jinja2 in string values: positions, context, rounds, errors, sandbox, files, depfiles."""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from conftest import SSH_KEY, heads, load_ign, run, write_fleet
from hostiso.diagnostics import Mark
from hostiso.load import templates
from hostiso.load.fleet import Host, Layout, locate, read_fleet
from hostiso.load.jinja import is_template
from hostiso.load.yamlload import to_plain

LOGIN = f"passwd:\n  users:\n    - name: core\n      ssh_authorized_keys: [{SSH_KEY}]\n"


def render(root: Path, files: dict[str, str]) -> dict[str, Host]:
    write_fleet(root, files)
    hosts = read_fleet(Layout(root))
    templates.render_fleet(hosts)
    return {h.stem: h for h in hosts}


def value(host: Host, path: tuple[str | int, ...]) -> Any:
    node = host.user
    for part in path:
        assert node is not None
        node = node.value[part]
    return to_plain(node)


def problems(host: Host) -> list[tuple[str, str, str]]:
    return [(d.code, str(d.mark), d.message) for d in host.diagnostics]


def data(source: str) -> str:
    assert source.startswith("data:,")
    return urllib.parse.unquote(source[len("data:,") :])


# --- every position ------------------------------------------------------------------

HOST = "vars: {svc: web, n: 7}\nnetwork:\n  interface: eth0\n  addresses: [10.0.0.5/24]\n"

POSITIONS = [
    (
        "storage:\n  files:\n    - path: /etc/{{ host.name }}.conf\n",
        ("storage", "files", 0, "path"),
        "/etc/h.conf",
    ),
    (
        "storage:\n  files:\n    - path: /etc/a\n      contents:\n"
        "        inline: '{{ vars.svc }}'\n",
        ("storage", "files", 0, "contents", "inline"),
        "web",
    ),
    (
        "storage:\n  files:\n    - path: /etc/a\n      contents:\n"
        "        template: '{{ host.name }}.j2'\n",
        ("storage", "files", 0, "contents", "template"),
        "h.j2",
    ),
    (
        "storage:\n  links:\n    - path: /etc/l\n      target: /opt/{{ vars.svc }}\n",
        ("storage", "links", 0, "target"),
        "/opt/web",
    ),
    (
        "storage:\n  directories:\n    - path: /srv/{{ vars.svc }}\n",
        ("storage", "directories", 0, "path"),
        "/srv/web",
    ),
    (
        "systemd:\n  units:\n    - name: '{{ vars.svc }}.service'\n",
        ("systemd", "units", 0, "name"),
        "web.service",
    ),
    (
        "systemd:\n  units:\n    - name: a.service\n      contents: |\n        [Service]\n"
        "        Environment=HOST={{ host.name }}\n",
        ("systemd", "units", 0, "contents"),
        "[Service]\nEnvironment=HOST=h\n",
    ),
    (
        "systemd:\n  units:\n    - name: a.service\n      dropins:\n        - name: 10-x.conf\n"
        "          contents: |\n            [Service]\n"
        "            Environment=IP={{ host.addresses[0].ip }}\n",
        ("systemd", "units", 0, "dropins", 0, "contents"),
        "[Service]\nEnvironment=IP=10.0.0.5\n",
    ),
    (
        "passwd:\n  users:\n    - name: core\n      gecos: '{{ host.name }} operator'\n",
        ("passwd", "users", 0, "gecos"),
        "h operator",
    ),
    (
        "passwd:\n  users:\n    - name: core\n"
        "      ssh_authorized_keys: ['ssh-ed25519 AAAA {{ host.name }}']\n",
        ("passwd", "users", 0, "ssh_authorized_keys", 0),
        "ssh-ed25519 AAAA h",
    ),
    (
        "networkd:\n  units:\n    - name: 20-b.network\n      contents: |\n        [Network]\n"
        "        Address=10.1.0.{{ vars.n }}/24\n",
        ("networkd", "units", 0, "contents"),
        "[Network]\nAddress=10.1.0.7/24\n",
    ),
    (
        "networkd:\n  units:\n    - name: 20-b.network\n      dropins:\n        - name: 1.conf\n"
        "          contents: 'DNS={{ host.addresses[0].ip }}'\n",
        ("networkd", "units", 0, "dropins", 0, "contents"),
        "DNS=10.0.0.5",
    ),
    (
        "network:\n  gateway: '{{ host.addresses[0].network[:-4] }}1'\n",
        ("network", "gateway"),
        "10.0.0.1",
    ),
    ("hostname: '{{ host.name }}.{{ vars.svc }}.example'\n", ("hostname",), "h.web.example"),
    ("etcd:\n  name: '{{ host.name }}'\n", ("etcd", "name"), "h"),
    ("vars:\n  nested:\n    list: ['{{ host.name }}']\n", ("vars", "nested", "list", 0), "h"),
]


@pytest.mark.parametrize(("overlay", "path", "expected"), POSITIONS)
def test_templates_render_in_every_position(
    tmp_path: Path, overlay: str, path: tuple[str | int, ...], expected: str
) -> None:
    hosts = render(tmp_path, {"overlays/all.yaml": overlay, "configs/h.yaml": HOST})
    assert problems(hosts["h"]) == []
    assert value(hosts["h"], path) == expected


def test_rendered_values_keep_their_marks(tmp_path: Path) -> None:
    hosts = render(
        tmp_path,
        {
            "overlays/all.yaml": "storage:\n  files:\n    - path: /etc/a\n      contents:\n"
            "        inline: '{{ host.name }}'\n",
            "configs/h.yaml": "{}\n",
        },
    )
    path = ("storage", "files", 0, "contents", "inline")
    assert locate(hosts["h"].user, path) == Mark("overlays/all.yaml", 5, 17)


def test_an_overlay_template_renders_per_host_without_touching_the_overlay(
    tmp_path: Path,
) -> None:
    hosts = render(
        tmp_path,
        {
            "overlays/all.yaml": "storage:\n  files:\n    - path: /etc/a\n      contents:\n"
            "        inline: '{{ host.name }}'\n",
            "configs/a.yaml": "{}\n",
            "configs/b.yaml": "{}\n",
        },
    )
    path = ("storage", "files", 0, "contents", "inline")
    assert (value(hosts["a"], path), value(hosts["b"], path)) == ("a", "b")


def test_values_without_template_markers_are_left_alone(tmp_path: Path) -> None:
    text = "${HOME} {x} %s {not a template} {{"
    hosts = render(tmp_path, {"configs/h.yaml": f"vars:\n  a: '{text[:-3]}'\n  b: 12\n"})
    assert value(hosts["h"], ("vars",)) == {"a": text[:-3], "b": 12}
    assert [is_template(s) for s in ("{{ x }}", "{% if 1 %}{% endif %}", "{# c #}", "{x}")] == [
        True,
        True,
        True,
        False,
    ]


def test_block_scalars_keep_their_trailing_newline(tmp_path: Path) -> None:
    hosts = render(
        tmp_path,
        {"configs/h.yaml": "vars:\n  a: |\n    {{ host.name }}\n\n  b: |-\n    {{ host.name }}\n"},
    )
    assert value(hosts["h"], ("vars",)) == {"a": "h\n", "b": "h"}


# --- the context --------------------------------------------------------------------


def test_vars_merge_across_layers(tmp_path: Path) -> None:
    hosts = render(
        tmp_path,
        {
            "overlays/all.yaml": "vars: {a: all, b: all, d: all}\n",
            "overlays/web.yaml": "vars: {b: web, c: web}\n",
            "configs/h.yaml": "groups: [web]\nvars: {c: host, d: null}\n"
            "hostname: '{{ vars.a }}-{{ vars.b }}-{{ vars.c }}-{{ vars.d is defined }}'\n",
        },
    )
    assert value(hosts["h"], ("hostname",)) == "all-web-host-False"


def test_addresses_render_as_cidr_with_helpers(tmp_path: Path) -> None:
    hosts = render(
        tmp_path,
        {
            "configs/h.yaml": (
                "network:\n  addresses: [192.168.1.11/24, 'fd00::11/64']\n"
                "vars:\n  x: ''\n"
                'hostname: "{{ host.addresses[0] }} {{ host.addresses[0].ip }} '
                "{{ host.addresses[0].network }} {{ host.addresses[0].prefixlen }} "
                "{{ host.addresses[1].ip }} {{ host.addresses | join(',') }}\"\n"
            )
        },
    )
    assert value(hosts["h"], ("hostname",)) == (
        "192.168.1.11/24 192.168.1.11 192.168.1.0/24 24 fd00::11 192.168.1.11/24,fd00::11/64"
    )


def test_addresses_come_from_raw_networkd_units_too(tmp_path: Path) -> None:
    hosts = render(
        tmp_path,
        {
            "configs/a.yaml": "networkd:\n  units:\n    - name: 10-eth.network\n      contents: |\n"
            "        [Network]\n        Address=10.2.0.4/16\n",
            "configs/b.yaml": "hostname: \"{{ fleet.hosts['a'].addresses[0].ip }}\"\n",
        },
    )
    assert value(hosts["b"], ("hostname",)) == "10.2.0.4"


def test_fleet_hosts_by_name_and_by_stem(tmp_path: Path) -> None:
    hosts = render(
        tmp_path,
        {
            "configs/ctl-1.yaml": "hostname: ctl-1.example.com\n"
            "network:\n  addresses: [10.0.0.1/24]\n",
            "configs/w.yaml": "vars:\n"
            "  x: \"{{ fleet.hosts['ctl-1.example.com'].addresses[0].ip }} "
            "{{ fleet.hosts['ctl-1'].name }} {{ fleet.hosts | length }} "
            "{{ 'ctl-1' in fleet.hosts }} {{ 'nope' in fleet.hosts }}\"\n",
        },
    )
    assert problems(hosts["w"]) == [
        (
            "template-undefined",
            "configs/w.yaml:2:6",
            "undefined in template: 'fleet' is undefined; values under vars: are rendered "
            "first; they see host.name, host.groups and groups only",
        )
    ]
    hosts = render(
        tmp_path,
        {
            "configs/w.yaml": "hostname: \"{{ fleet.hosts['ctl-1.example.com'].addresses[0].ip }} "
            "{{ fleet.hosts['ctl-1'].name }} {{ fleet.hosts | length }} "
            "{{ 'ctl-1' in fleet.hosts }} {{ 'nope' in fleet.hosts }}\"\n",
        },
    )
    assert value(hosts["w"], ("hostname",)) == "10.0.0.1 ctl-1.example.com 2 True False"


def test_containers_render_deterministically(tmp_path: Path) -> None:
    hosts = render(
        tmp_path,
        {
            "configs/h.yaml": "network:\n  addresses: [10.0.0.1/24]\n"
            "hostname: '{{ host.addresses }} {{ fleet.hosts }} {{ groups }}'\n"
        },
    )
    assert value(hosts["h"], ("hostname",)) == "['10.0.0.1/24'] ['h'] ['all', 'etcd']"


def test_groups_are_sorted_members_with_etcd_and_all_always_present(tmp_path: Path) -> None:
    files = {
        "overlays/web.yaml": "{}\n",
        "configs/c.yaml": "groups: [web, etcd]\n",
        "configs/a.yaml": "groups: [etcd]\n",
        "configs/b.yaml": "groups: [web]\n",
        "configs/z.yaml": (
            'vars:\n  e: "{{ groups.etcd | join(\',\') }}"\n  w: "{{ groups.web }}"\n'
            '  all: "{{ groups.all | join(\' \') }}"\n  g: "{{ host.groups }}"\n'
        ),
    }
    hosts = render(tmp_path, files)
    assert value(hosts["z"], ("vars",)) == {
        "e": "a,c",
        "w": "['b', 'c']",
        "all": "a b c z",
        "g": "[]",
    }
    hosts = render(tmp_path, {**files, "configs/a.yaml": "{}\n", "configs/c.yaml": "{}\n"})
    assert value(hosts["z"], ("vars", "e")) == ""


# --- rounds: addresses may be templates ------------------------------------------------


def test_addresses_may_use_vars_and_others_see_the_result(tmp_path: Path) -> None:
    hosts = render(
        tmp_path,
        {
            "overlays/all.yaml": 'vars:\n  n: "{{ host.name[-1] }}"\nnetwork:\n'
            "  addresses: ['10.0.0.{{ vars.n }}/24']\n"
            "hostname: \"n{{ host.addresses[0].ip | replace('.', '-') }}\"\n",
            "configs/h1.yaml": "{}\n",
            "configs/h2.yaml": "vars:\n  peer: \"{{ fleet.hosts['h1'].addresses[0] }}\"\n",
            "configs/h3.yaml": "storage:\n  files:\n    - path: /etc/peer\n      contents:\n"
            "        inline: \"{{ fleet.hosts['h1'].addresses[0] }}\"\n",
        },
    )
    assert value(hosts["h2"], ("network", "addresses")) == ["10.0.0.2/24"]
    assert value(hosts["h2"], ("hostname",)) == "n10-0-0-2"
    assert value(hosts["h3"], ("storage", "files", 0, "contents", "inline")) == "10.0.0.1/24"
    assert [d.code for d in hosts["h2"].diagnostics] == ["template-undefined"]  # vars: no fleet


@pytest.mark.parametrize(
    ("host_file", "where", "message"),
    [
        (
            "vars:\n  a: x\n  b: '{{ vars.a }}'\n",
            "configs/h.yaml:3:6",
            "undefined in template: 'vars' is undefined; values under vars: are rendered first; "
            "they see host.name, host.groups and groups only",
        ),
        (
            "network:\n  addresses: ['{{ host.addresses[0] }}']\n",
            "configs/h.yaml:2:15",
            "undefined in template: no key 'addresses' (there is: groups, name); "
            "values that define "
            "addresses are rendered before addresses are known; they see host.name, host.groups, "
            "vars and groups only",
        ),
    ],
)
def test_early_rounds_say_what_they_cannot_see(
    tmp_path: Path, host_file: str, where: str, message: str
) -> None:
    hosts = render(tmp_path, {"configs/h.yaml": host_file})
    assert problems(hosts["h"]) == [("template-undefined", where, message)]


# --- errors ---------------------------------------------------------------------------

ERRORS = [
    (
        "inline: '{{ vars.domian }}'",
        "template-undefined",
        "undefined in template: no key 'domian'; did you mean 'domain'?",
    ),
    (
        "inline: '{{ nothing }}'",
        "template-undefined",
        "undefined in template: 'nothing' is undefined",
    ),
    (
        "inline: '{{ host.addresses[3] }}'",
        "template-undefined",
        "undefined in template: list value has no attribute or item 3",
    ),
    (
        "inline: \"{{ fleet.hosts['ghost'] }}\"",
        "template-undefined",
        "undefined in template: no key 'ghost' (there is: h)",
    ),
    (
        "inline: '{{ vars.domain '",
        "template-syntax",
        "template syntax error: unexpected end of template, expected 'end of print statement'.",
    ),
    (
        "inline: '{% if %}{% endif %}'",
        "template-syntax",
        "template syntax error: Expected an expression, got 'end of statement block'",
    ),
    (  # a shell script's ${#var}, seen in real configs
        "inline: 'n=${#arr[@]}'",
        "template-syntax",
        "template syntax error: Missing end of comment tag; '{#' starts a jinja2 comment "
        "(a shell ${#var}?): string values are jinja2 templates, so write {{ '{#' }} or put "
        "the text in {% raw %}",
    ),
    (  # docker --format in a unit or script (kinvolk/lokomotive's workers)
        "inline: \"docker info -f '{{.CgroupDriver}}'\"",
        "template-syntax",
        "template syntax error: unexpected '.'; {{.Field}} is Go template syntax (docker "
        "--format): string values are jinja2 templates, so write {{ '{{' }}.Field}} or put "
        "the text in {% raw %}",
    ),
    (
        "inline: '{{ 1 // 0 }}'",
        "template-error",
        "template failed: ZeroDivisionError: integer division or modulo by zero",
    ),
    (
        "inline: \"{{ 'a' | int + none }}\"",
        "template-error",
        "template failed: TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'",
    ),
]


@pytest.mark.parametrize(("line", "code", "message"), ERRORS)
def test_template_errors_point_at_the_value(
    tmp_path: Path, line: str, code: str, message: str
) -> None:
    overlay = "vars: {domain: x}\nstorage:\n  files:\n    - path: /a\n      contents:\n"
    overlay += f"        {line}\n"
    hosts = render(tmp_path, {"overlays/all.yaml": overlay, "configs/h.yaml": "{}\n"})
    assert problems(hosts["h"]) == [(code, "overlays/all.yaml:6:17", message)]


UNIT_HEAD = "systemd:\n  units:\n    - name: a.service\n      contents: "
NOPE = "undefined in template: no key 'nope'"

MULTI_LINE = [
    (  # literal: line k of the value is file line (indicator line) + k
        "|\n        [Service]\n        ExecStart=/bin/true\n"
        "        Environment=X={{ vars.nope }}\n",
        "overlays/all.yaml:7:9",
        NOPE,
    ),
    (  # empty lines and a strip indicator count too
        "|-\n        [Service]\n\n        Environment=X={{ vars.nope }}\n",
        "overlays/all.yaml:7:9",
        NOPE,
    ),
    (  # an explicit indentation indicator
        "|2\n          [Service]\n        Environment=X={{ vars.nope }}\n",
        "overlays/all.yaml:6:9",
        NOPE,
    ),
    (  # folded: "a b" is one line of the value, the empty line a line break
        ">\n        a\n        b\n\n        {{ vars.nope }}\n",
        "overlays/all.yaml:8:9",
        NOPE,
    ),
    (  # folded: more-indented lines keep their line breaks
        ">\n        a\n          b\n        {{ vars.nope }}\n",
        "overlays/all.yaml:7:9",
        NOPE,
    ),
    (  # folded: the error is on the second of the lines folded into one (issue 11, #13)
        ">\n        [Service] ExecStart=/bin/true\n        Environment=X={{ vars.nope }}\n",
        "overlays/all.yaml:6:9",
        NOPE,
    ),
    (  # folded: a syntax error on a folded line, after a kept line break
        ">\n        a\n\n        b\n        c {% if %}\n        d\n",
        "overlays/all.yaml:8:9",
        "template syntax error: Expected an expression, got 'end of statement block'",
    ),
    (  # folded with a strip indicator and an error on its last line
        ">-\n        one\n        two\n        {{ vars.nope }}\n",
        "overlays/all.yaml:7:9",
        NOPE,
    ),
    (  # a quoted multi-line value: at the value, naming the line
        '"[Service]\\nExecStart=/bin/true\\nEnvironment=X={{ vars.nope }}\\n"\n',
        "overlays/all.yaml:4:17",
        NOPE + " (line 3 of the template)",
    ),
    (  # a plain multi-line scalar folds: one line
        "Environment=A\n        X={{ vars.nope }}\n",
        "overlays/all.yaml:4:17",
        NOPE,
    ),
]


@pytest.mark.parametrize(("contents", "where", "message"), MULTI_LINE)
def test_multi_line_values_point_at_the_line(
    tmp_path: Path, contents: str, where: str, message: str
) -> None:
    overlay = UNIT_HEAD + contents
    hosts = render(tmp_path, {"overlays/all.yaml": overlay, "configs/h.yaml": "{}\n"})
    code = "template-syntax" if "syntax" in message else "template-undefined"
    assert problems(hosts["h"]) == [(code, where, message)]


def test_multi_line_syntax_error_line(tmp_path: Path) -> None:
    hosts = render(tmp_path, {"configs/h.yaml": "vars:\n  a: |\n    x\n    {% for %}\n"})
    assert problems(hosts["h"]) == [
        (
            "template-syntax",
            "configs/h.yaml:4:5",
            "template syntax error: Expected an expression, got 'end of statement block'",
        )
    ]


def test_block_scalar_error_through_the_cli(tmp_path: Path) -> None:
    overlay = UNIT_HEAD + "|\n        [Service]\n        Environment=X={{ vars.nope }}\n"
    write_fleet(tmp_path, {"overlays/all.yaml": LOGIN + overlay, "configs/a.yaml": "{}\n"})
    rc, _out, err = run(["lint", "--format", "text"], tmp_path)
    assert rc == 1
    assert err.splitlines()[:3] == [
        f"overlays/all.yaml:10:9: error: {NOPE} [template-undefined]",
        " 10 |         Environment=X={{ vars.nope }}",
        "    |         ^",
    ]


def test_folded_block_error_at_its_line_in_build_and_lint(tmp_path: Path) -> None:
    """Issue 11, #13: a `>` block starting on line 8, the mistake on line 9."""
    host = (
        "hostname: a\nstorage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n"
        "      contents:\n        inline: >\n          Welcome to\n          {{ host.nmae }}\n"
    )
    write_fleet(tmp_path, {"overlays/all.yaml": LOGIN, "configs/a.yaml": host})
    assert host.splitlines()[7].endswith("Welcome to")  # the block's text starts on line 8
    for command in ("lint", "build"):
        rc, out, err = run([command, "--format", "parsable"], tmp_path)
        assert (rc, out) == (1, "")
        assert err.splitlines() == [
            "configs/a.yaml:9:11: [error] undefined in template: no key 'nmae'; did you mean "
            "'name'? (template-undefined)"
        ]


def test_lint_reports_an_overlay_error_once_at_the_overlay(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN + "storage:\n  files:\n    - path: /etc/a\n      contents:\n"
            "        inline: '{{ vars.nope }}'\n",
            "configs/a.yaml": "{}\n",
            "configs/b.yaml": "{}\n",
        },
    )
    rc, out, err = run(["lint", "--format", "parsable"], tmp_path)
    assert (rc, out) == (1, "")
    assert err.splitlines() == [
        "overlays/all.yaml:9:17: [error] undefined in template: no key 'nope' (template-undefined)",
        "overlays/all.yaml:9:17: [note] stops 2 hosts: a, b (template-undefined)",
    ]


# --- the sandbox ------------------------------------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ vars.__class__ }}",
    "{{ host.addresses[0].__class__.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ fleet.hosts._get }}",
    "{{ vars.update({'a': 1}) }}",
    "{{ host.groups.append('x') }}",
    "{{ 'a' * 100000000 }}",
    "{{ 2 ** 100000000 }}",
    "{{ range(100000000) | list | length }}",
    "{{ self._TemplateReference__context }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_sandbox_escapes_are_diagnostics(tmp_path: Path, source: str) -> None:
    host = f'vars: {{a: b}}\nnetwork:\n  addresses: [10.0.0.1/24]\nhostname: "{source}"\n'
    hosts = render(tmp_path, {"configs/h.yaml": host})
    [(code, where, message)] = problems(hosts["h"])
    assert code in ("template-error", "template-undefined")
    assert where == "configs/h.yaml:4:11"
    assert "Traceback" not in message


LOADS = [
    ("{% include '/etc/passwd' %}", "include"),
    ("{% import 'os' as os %}", "import"),
    ("{% from 'os' import path %}", "from ... import"),
    ("{% extends 'base' %}", "extends"),
]


@pytest.mark.parametrize(("source", "tag"), LOADS)
def test_include_and_import_say_they_are_not_available(
    tmp_path: Path, source: str, tag: str
) -> None:
    hosts = render(tmp_path, {"configs/h.yaml": f'hostname: "{source}"\n'})
    assert problems(hosts["h"]) == [
        (
            "template-error",
            "configs/h.yaml:1:11",
            f"{{% {tag} %}} is not available: templates cannot read other templates; "
            "to render a whole file, use contents.template: NAME",
        )
    ]


def test_a_sandbox_escape_through_the_cli_is_a_plain_error(tmp_path: Path) -> None:
    write_fleet(tmp_path, {"configs/h.yaml": LOGIN + "hostname: \"{{ ''.__class__.__mro__ }}\"\n"})
    rc, out, err = run(["lint"], tmp_path)
    assert (rc, out) == (1, "")
    assert (
        "configs/h.yaml:5:11: error: not allowed in a template: access to attribute "
        "'__class__' of 'str' object is unsafe. [template-error]"
    ) in heads(err)
    assert "Traceback" not in err


# --- contents.template ------------------------------------------------------------------

TEMPLATE_FLEET = {
    "overlays/all.yaml": LOGIN + "vars: {role: db}\nstorage:\n  files:\n    - path: /etc/motd\n"
    "      contents:\n        template: motd.j2\n",
    "configs/a.yaml": "network:\n  interface: eth0\n  addresses: [10.0.0.1/24]\n",
    "configs/b.yaml": "network:\n  interface: eth0\n  addresses: [10.0.0.2/24]\n",
    "files/motd.j2": "{{ host.name }} ({{ vars.role }}) {{ host.addresses[0].ip }}\n"
    "peer {{ fleet.hosts['b'].addresses[0].ip }}\n",
}


def motd(root: Path, host: str) -> str:
    files = load_ign(root, host)["storage"]["files"]
    return data(next(f for f in files if f["path"] == "/etc/motd")["contents"]["source"])


def test_contents_template_is_rendered_per_host(tmp_path: Path) -> None:
    write_fleet(tmp_path, TEMPLATE_FLEET)
    rc, out, err = run(["build"], tmp_path)
    assert (rc, out, err) == (0, "", "")
    assert motd(tmp_path, "a") == "a (db) 10.0.0.1\npeer 10.0.0.2\n"
    assert motd(tmp_path, "b") == "b (db) 10.0.0.2\npeer 10.0.0.2\n"


def test_contents_template_errors_point_into_the_template_file(tmp_path: Path) -> None:
    write_fleet(tmp_path, {**TEMPLATE_FLEET, "files/motd.j2": "ok\n\n{{ vars.rol }}\n"})
    rc, out, err = run(["build", "--format", "parsable"], tmp_path)
    assert (rc, out) == (1, "")
    assert err.splitlines() == [
        "files/motd.j2:3:1: [error] undefined in template: no key 'rol'; did you mean 'role'? "
        "(template-undefined)",
        "files/motd.j2:3:1: [note] stops 2 hosts: a, b (template-undefined)",
    ]


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("../secrets/x", "path-escape", "'../secrets/x' must be a relative path inside files/"),
        ("/etc/passwd", "path-escape", "'/etc/passwd' must be a relative path inside files/"),
        ("link.j2", "path-escape", "'link.j2' leads outside files/ (through a symlink)"),
        (
            "files/motd.j2",
            "local-file-missing",
            "'files/motd.j2' is not a file in files/; "
            "names are relative to files/, so write 'motd.j2'",
        ),
    ],
)
def test_contents_template_cannot_leave_the_files_directory(
    tmp_path: Path, name: str, code: str, message: str
) -> None:
    write_fleet(
        tmp_path,
        {
            **TEMPLATE_FLEET,
            "secrets/x": "{{ host.name }}\n",
            "overlays/all.yaml": TEMPLATE_FLEET["overlays/all.yaml"].replace("motd.j2", name),
        },
    )
    os.symlink("../secrets/x", tmp_path / "files" / "link.j2")
    rc, _, err = run(["build", "a", "--format", "json"], tmp_path)
    assert rc == 1
    [d] = json.loads(err)
    assert (d["code"], d["file"], d["line"], d["col"], d["message"]) == (
        code,
        "overlays/all.yaml",
        10,
        19,
        message,
    )
    assert not (tmp_path / "build" / "a.ign").exists()


def test_a_symlink_inside_files_is_fine(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            **TEMPLATE_FLEET,
            "files/real/m.j2": "{{ host.name }}\n",
            "overlays/all.yaml": TEMPLATE_FLEET["overlays/all.yaml"].replace("motd.j2", "alias.j2"),
        },
    )
    os.symlink("real/m.j2", tmp_path / "files" / "alias.j2")
    rc, _, err = run(["build"], tmp_path)
    assert (rc, err) == (0, "")
    assert motd(tmp_path, "a") == "a\n"


# --- make dependencies --------------------------------------------------------------------


def depfile_inputs(root: Path, host: str) -> list[str]:
    lines = [
        ln
        for ln in (root / "build" / f"{host}.d").read_text().splitlines()
        if not ln.startswith("#")
    ]
    return lines[0].split(": ", 1)[1].split()


def test_depfile_lists_template_files_and_hosts_read_through_fleet(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            **TEMPLATE_FLEET,
            "overlays/web.yaml": "{}\n",
            "configs/b.yaml": "groups: [web]\n" + TEMPLATE_FLEET["configs/b.yaml"],
            "configs/c.yaml": "hostname: \"c{{ fleet.hosts['a'].addresses[0].ip[-1] }}\"\n"
            "network:\n  interface: eth0\n  addresses: [10.0.0.3/24]\n",
        },
    )
    rc, _, err = run(["build"], tmp_path)
    assert (rc, err) == (0, "")
    assert depfile_inputs(tmp_path, "a") == [
        "configs/a.yaml",
        "overlays/all.yaml",
        "files/motd.j2",
        "configs/b.yaml",
        "overlays/web.yaml",
    ]
    assert depfile_inputs(tmp_path, "b") == [
        "configs/b.yaml",
        "overlays/all.yaml",
        "overlays/web.yaml",
        "files/motd.j2",
    ]
    assert depfile_inputs(tmp_path, "c") == [
        "configs/c.yaml",
        "overlays/all.yaml",
        "configs/a.yaml",
        "files/motd.j2",
        "configs/b.yaml",
        "overlays/web.yaml",
    ]


def test_reading_a_group_records_its_members_as_a_fleet_fact(tmp_path: Path) -> None:
    hosts = render(
        tmp_path,
        {
            "configs/a.yaml": "groups: [etcd]\n",
            "configs/b.yaml": 'hostname: "b{{ groups.etcd | length }}"\n',
            "configs/c.yaml": "hostname: c{{ host.name }}\n",
        },
    )
    assert [f for f in hosts["b"].fleet_facts if "template" in f] == ["template groups.etcd=a"]
    assert hosts["c"].fleet_facts == []
    assert hosts["b"].inputs == ["configs/b.yaml"]


# --- speed ----------------------------------------------------------------------------------


def test_a_thousand_hosts_render_quickly(tmp_path: Path) -> None:
    import time

    files = {
        "overlays/all.yaml": "storage:\n  files:\n    - path: /etc/a\n      contents:\n"
        "        inline: '{{ host.name }} {{ host.addresses[0].ip }}'\n"
        "    - path: /etc/b\n      contents:\n        inline: plain\n"
    }
    for i in range(1000):
        files[f"configs/h{i}.yaml"] = f"network:\n  addresses: [10.0.{i // 200}.{i % 200 + 1}/16]\n"
    write_fleet(tmp_path, files)
    hosts = read_fleet(Layout(tmp_path))
    # CPU time: the work's own cost (0.1 s here), which a loaded machine does
    # not stretch as it stretches wall time (1.3 to 3.2 s at load 12)
    start = time.process_time()
    templates.render_fleet(hosts)
    elapsed = time.process_time() - start
    assert value(hosts[999], ("storage", "files", 0, "contents", "inline")) == "h999 10.0.4.200"
    assert elapsed < 1.0


# --- a broken host read through fleet.hosts ------------------------------------------

HOSTS_J2 = "{% for h in groups.all %}\n{{ fleet.hosts[h].addresses[0].ip }} {{ h }}\n{% endfor %}\n"
READER = "storage:\n  files:\n    - path: /etc/hosts\n      contents:\n        template: hosts.j2\n"
NET = "network:\n  interface: eth0\n  addresses: [192.168.1.{}/24]\n"
J2_ERROR = "files/hosts.j2:2:1: [error] undefined in template: "
NO_ITEM = J2_ERROR + "list value has no attribute or item 0 (template-undefined)"

BROKEN_HOSTS = [
    (
        "tab",
        NET.format(21) + "foo:\n\tbar: 1\n",
        [
            J2_ERROR + "host w1 has errors (configs/w1.yaml:5:1), so its data is not "
            "available to templates (template-undefined)",
            "configs/w1.yaml:5:1: [note] host w1: tab character used for indentation; YAML "
            "allows only spaces here (template-undefined)",
        ],
    ),
    (
        "top-level list",
        "- a\n",
        [
            J2_ERROR + "host w1 has errors (configs/w1.yaml:1:1), so its data is not "
            "available to templates (template-undefined)",
            "configs/w1.yaml:1:1: [note] host w1: a host file must be a mapping "
            "(template-undefined)",
        ],
    ),
    (
        "unknown key",
        "network:\n  interface: eth0\n  adresses: [192.168.1.21/24]\n",
        [
            NO_ITEM,
            "configs/w1.yaml:3:3: [note] host w1 has no addresses: unknown key 'adresses'; "
            "did you mean 'addresses'? (template-undefined)",
        ],
    ),
    (
        "empty file",
        "",
        [NO_ITEM, "configs/w1.yaml:1:1: [note] host w1 has no addresses (template-undefined)"],
    ),
]


@pytest.mark.parametrize(
    ("w1", "expected"), [c[1:] for c in BROKEN_HOSTS], ids=[c[0] for c in BROKEN_HOSTS]
)
def test_a_broken_host_read_by_templates_is_named(
    tmp_path: Path, w1: str, expected: list[str]
) -> None:
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN,
            "overlays/reader.yaml": READER,
            "files/hosts.j2": HOSTS_J2,
            "configs/m1.yaml": "groups: [reader]\n" + NET.format(11),
            "configs/m2.yaml": NET.format(12),
            "configs/w1.yaml": w1,
        },
    )
    rc, _out, err = run(["build", "m1", "m2", "--format", "parsable"], tmp_path)
    assert rc == 1
    assert err.splitlines() == expected
    assert not (tmp_path / "out" / "m1.iso").exists()
    assert (tmp_path / "out" / "m2.iso").exists()  # reads no other host: still built


def test_templates_that_do_not_read_the_broken_host_still_render(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": LOGIN + "vars: {x: '{{ groups.all | join(\",\") }}'}\n",
            "configs/m1.yaml": NET.format(11)
            + "hostname: \"{{ fleet.hosts['m2'].addresses[0].ip | replace('.', '-') }}\"\n",
            "configs/m2.yaml": NET.format(12),
            "configs/w1.yaml": "- a\n",
        },
    )
    rc, _out, err = run(["build", "m1", "--format", "parsable"], tmp_path)
    assert (rc, err) == (0, "")
    assert "192-168-1-12" in json.dumps(load_ign(tmp_path, "m1"))
