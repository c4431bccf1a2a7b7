"""Mutated fleets for the fuzz test: a small realistic fleet, then a few mutations.

Mutations act on host files, overlays and a ``files/`` template: byte flips,
indentation shifts, type swaps, long strings, deep nesting, anchors and merge
keys (and alias bombs), odd tags, template payloads, lines cut or doubled,
encodings (BOM, CRLF, UTF-16, Latin-1), YAML oddities (.nan, huge numbers,
non-string and duplicate keys, sets), and host file names make cannot take;
a file may become a symbolic link (outside the tree, dangling, a loop) or a
FIFO.  Each is drawn from hypothesis, so a failure shrinks to a small
reproducer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml
from hypothesis import strategies as st

from conftest import PASSWORD_HASH, SSH_KEY

Draw = Callable[..., Any]
Files = dict[str, bytes]

LOGIN = (
    "passwd:\n  users:\n    - name: core\n"
    f'      password_hash: "{PASSWORD_HASH}"\n'
    f"      ssh_authorized_keys:\n        - {SSH_KEY}\n"
)
BASE: dict[str, str] = {
    "overlays/all.yaml": LOGIN
    + (
        "vars:\n  domain: dc1.example.com\n  role: node\n"
        "network:\n  interface: eth0\n  gateway: 10.0.0.1\n  dns: [10.0.0.1]\n"
        'flannel:\n  network_config: \'{"Network": "10.1.0.0/16"}\'\n'
        "storage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n      contents:\n"
        '        inline: "{{ host.name }}.{{ vars.domain }} {{ host.addresses[0].ip }}\\n"\n'
        "    - path: /etc/issue\n      contents:\n        template: motd.j2\n"
        "systemd:\n  units:\n    - name: hello.service\n      enabled: true\n"
        "      contents: |\n        [Service]\n        ExecStart=/usr/bin/echo {{ vars.role }}\n"
        "        [Install]\n        WantedBy=multi-user.target\n"
    ),
    "overlays/controller.yaml": (
        "etcd:\n  initial_cluster_token: fuzz\n"
        "storage:\n  directories:\n    - path: /var/lib/backup\n      mode: 0700\n"
    ),
    "overlays/worker.yaml": (
        "docker:\n  flags: [--bip=172.18.0.1/16]\n"
        "networkd:\n  units:\n    - name: 20-extra.network\n      contents: |\n"
        "        [Match]\n        Name=eth1\n\n        [Network]\n        DHCP=yes\n"
        "update:\n  group: stable\nlocksmith:\n  reboot_strategy: off\n"
    ),
    "configs/ctl-1.yaml": "groups: [controller, etcd]\nnetwork:\n  addresses: [10.0.0.11/24]\n",
    "configs/ctl-2.yaml": "groups: [controller, etcd]\nnetwork:\n  addresses: [10.0.0.12/24]\n",
    "configs/ctl-3.yaml": "groups: [controller, etcd]\nnetwork:\n  addresses: [10.0.0.13/24]\n",
    "configs/wk-1.yaml": (
        "groups: [worker]\nnetwork:\n  addresses: [10.0.0.21/24]\n"
        "vars:\n  role: '{{ host.name }}-worker'\n"
    ),
    "configs/wk-2.yaml": (
        "groups: [worker]\nnetwork:\n  mac: 52:54:00:12:34:56\n  addresses: [10.0.0.22/24]\n"
        "storage:\n  files:\n    - path: /etc/peers\n      contents:\n        inline: |\n"
        "          {% for name in groups.etcd %}{{ name }} "
        "{{ fleet.hosts[name].addresses[0].ip }}\n          {% endfor %}\n"
    ),
    "files/motd.j2": "Welcome to {{ host.name }} ({{ host.groups | join(', ') }})\n",
}
MUTABLE = sorted(BASE)

INTERESTING_BYTES = [
    0x00, 0x09, 0x0A, 0x0D, 0x1B, 0x20, 0x21, 0x22, 0x23, 0x25, 0x26, 0x27, 0x2A, 0x2C,
    0x2D, 0x3A, 0x3E, 0x3F, 0x40, 0x5B, 0x5D, 0x60, 0x7B, 0x7C, 0x7D, 0x7F, 0x80, 0x85,
    0xA0, 0xC3, 0xE2, 0xEF, 0xFE, 0xFF,
]  # fmt: skip
SCALARS: list[Any] = [
    None, True, False, 0, -1, 0o644, 2**70, 1.5, float("inf"), "", "x", "0644", "off",
    "/etc/x", "relative/x", "10.0.0.1/24", "52:54:00:12:34:56", [], {}, [1, "a", None],
    {"a": 1}, {"name": "x"}, [{"path": "/a"}], "{{ host.name }}", "é\u202e\u200b",
    float("nan"), float("-inf"), -0.0, 10**30, "1e999", "\x00", "\ufeff", "a\r\nb",
    ["x"] * 1000, {"a": {"b": {"c": {"d": None}}}}, "0x1F", "0o17",
]  # fmt: skip
TAGS = [
    "!!binary aGVsbG8=", "!!python/object:os.system x", "!!python/name:os.system",
    "!!int x", "!!int 0x1F", "!!float inf", "!!float nope", "!custom x", "!!set {a, b}",
    "!!omap [a: 1, b: 2]", "!!timestamp 2001-12-14", "!!str 0644", "!!null ''",
    "!!bool maybe", "!<tag:yaml.org,2002:str> x", "!!map {a: 1}", "!!seq [1]", "!!merge x",
]  # fmt: skip
PAYLOADS = [
    "{{ 'x'.ljust(10**9) }}", "{{ 'x'.center(10**9) }}", "{{ 'x'.zfill(10**9) }}",
    "{{ '%999999999d' % 1 }}", "{{ '{:>999999999}'.format(1) }}", "{{ 'x'|indent(10**9) }}",
    "{{ '\\tx'.expandtabs(10**9) }}", "{{ lipsum(10**6) }}",
    "{{ ('x'*1000).replace('x','x'*1000).replace('x','x'*1000) }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s }}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "{{ ''.__class__.__mro__ }}", "{{ cycler.__init__.__globals__ }}", "{% include 'x' %}",
    "{{ fleet.hosts['nope'].name }}", "{{ fleet.hosts['ctl-1'].addresses[0] }}", "{{ ",
    "{% for %}", "{{ 1/0 }}", "{{ groups.all | join(',') }}", "{{ range(10**9)|list }}",
    "{{ (2**1000)**1000 }}", "{{ [1]|batch(10**9, 'x')|list }}", "{{ vars }}",
    "{{ [1, 2]|random }}", "{{ lipsum(1) }}", "{{ 'a'.upper }}", "{{ cycler(1, 2) }}",
    "{{ (joiner()|string)[:40] }}", "{{ [joiner()]|pprint }}", "{{ fleet.hosts.get('nope') }}",
    "{{ fleet.hosts|tojson }}", "{{ fleet.hosts|dictsort }}", "{{ '{a}'.format_map({}) }}",
    "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", "{{ (10**5000)|string }}",
    "{{ ('9' * 100000)|int }}", "{{ '%.999999f'|format(1.0) }}", "{{ 1e308 * 10 }}",
    "{{ range(100000)|sort|list|length }}", "{{ host.groups[10**9] }}", "{{ host.nope.nope }}",
    "{{ fleet.hosts[host.name].addresses[0].ip }}", "{{ groups.nope }}", "{% raw %}{{{% endraw %}",
    "{{ self }}", "{{ self._TemplateReference__context }}", "{{ namespace(a=1) }}",
]  # fmt: skip
SNIPPETS = [
    "x: &a [1, 2]\ny: *a\n",
    "vars:\n  a: &a ['x','x','x','x','x','x','x','x','x']\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "  c: &c [*b,*b,*b,*b,*b,*b,*b,*b]\n  d: &d [*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "  e: [*d,*d,*d,*d,*d,*d,*d,*d]\n",
    "storage:\n  files:\n    - &f\n      path: /etc/a\n    - <<: *f\n      mode: 0600\n",
    "storage:\n  files:\n    - <<: [*nope]\n",
    "base: &b {path: /etc/b}\nstorage:\n  files:\n    - <<: *b\n",
    "network:\n  <<: 5\n",
    "---\nsecond: document\n",
    "%YAML 1.1\n---\n{}\n",
    "? [complex, key]\n: value\n",
    "1: integer key\n",
    "vars: {a: !!binary aGk=}\n",
    "systemd:\n  units:\n    - name: x.service\n      contents: |\n    [Service]\n",
    "groups: ['a b', 'x:y', '" + "g" * 300 + "', '../etc']\n",
    "groups: [1, true, 2.5]\n",
    "vars: {a: .nan, b: -.inf, c: 1e999, d: 123456789012345678901234567890, e: 0x_1F, f: -0.0}\n",
    "network:\n  addresses: [.nan]\n",
    "storage:\n  files:\n    - path: /etc/n\n      mode: .inf\n",
    "storage:\n  files:\n    - path: /etc/n\n      mode: 99999999999999999999999\n",
    "vars:\n  a: 1\n  a: 2\n",
    "{1: a, null: b, [x]: c, {y: 1}: d, 2.5: e, true: f}\n",
    "vars: !!set {a, b}\nstorage: !!omap [files: []]\n",
    "storage:\n  files:\n    - path: !!python/tuple [/etc/t]\n",
    "vars: {t: 2001-12-14t21:59:43.10-05:00, d: 2002-12-14, b: !!binary aGk=}\n",
    "storage:\n  files:\n    - <<: [{path: /etc/m}, {mode: 0600}]\n      contents: {inline: x}\n",
    "vars:\n  l: [" + "x," * 260_000 + "x]\n",  # past the limit of values
    "? |\n  block key\n: v\n",
    "&a a: *a\n",
    "!!str groups: [worker]\n",
    "'' : empty key\n",
    "vars: {'': x, ' ': y, 'a.b': z, 'é': w}\n",
]
NAMES = [
    "a b", "a:b", "a#b", "a%b", "a$b", "a;b", "a=b", "-x", "caf\u00e9", "x" * 250, "a\\b",
    "a*b", ".hidden", "a'b", "a\tb", "a\nb", "UPPER", "under_score", "dot.ted", "plus+at@",
    "x" * 200, "a..b", "trailing.", "0", "@", "_", "a\u200bb", "\u202ertl", "a\x7fb",
    "a\udcffb", "con", "a.yaml", "",
]  # fmt: skip
LINK = b"\0hostiso-fuzz-link:"
"""A file whose bytes start so is written as a symbolic link to the rest."""
FIFO = b"\0hostiso-fuzz-fifo"
"""A file whose bytes are exactly so is written as a FIFO."""
SPECIAL = [
    LINK + b"/etc/passwd", LINK + b"/nonexistent-hostiso-fuzz", LINK + b"self.yaml",
    LINK + b"../configs/ctl-1.yaml", LINK + b"../overlays/all.yaml", LINK + b"..", FIFO,
]  # fmt: skip


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def flip_bytes(draw: Draw, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not out:
            break
        pos = draw(st.integers(0, len(out) - 1))
        out[pos] = draw(st.sampled_from(INTERESTING_BYTES) | st.integers(0, 255))
    return bytes(out)


def shift_indent(draw: Draw, data: bytes) -> bytes:
    lines = _text(data).split("\n")
    i = draw(st.integers(0, max(len(lines) - 1, 0)))
    delta = draw(st.sampled_from([-4, -2, -1, 1, 2, 4]))
    line = lines[i]
    lines[i] = (
        " " * delta + line if delta > 0 else line[min(-delta, len(line) - len(line.lstrip())) :]
    )
    if draw(st.booleans()):
        lines[i] = "\t" + lines[i]
    return _bytes("\n".join(lines))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            out += _paths(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            out += _paths(child, (*path, i))
    return out


def _set(tree: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = tree
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return tree


def _replace_value(draw: Draw, data: bytes, value: Any, marker: str = "") -> bytes:
    """Parse the file, set a value somewhere, dump it (a file that does not parse
    is left as it is)."""
    try:
        tree = yaml.safe_load(_text(data))
        if not isinstance(tree, dict | list):
            return data
        paths = _paths(tree)[1:] or [()]
    except Exception:  # an earlier mutation's work (PyYAML raises more than YAMLError)
        return data
    tree = _set(tree, draw(st.sampled_from(paths)), value)
    try:
        text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=10**9)
    except Exception:
        return data
    return _bytes(text.replace(f"'{marker}'", marker) if marker else text)


def swap_type(draw: Draw, data: bytes) -> bytes:
    return _replace_value(draw, data, draw(st.sampled_from(SCALARS)))


def long_string(draw: Draw, data: bytes) -> bytes:
    size = draw(st.sampled_from([300, 5_000, 100_000, 2_000_000]))
    char = draw(st.sampled_from(["x", "é", "{", "\\", " ", "\u2028"]))
    return _replace_value(draw, data, char * size)


def deep_nesting(draw: Draw, data: bytes) -> bytes:
    depth = draw(st.sampled_from([20, 200, 2_000, 20_000]))
    kind = draw(st.sampled_from(["flow-list", "flow-map", "block"]))
    if kind == "flow-list":
        deep = "[" * depth + "1" + "]" * depth
    elif kind == "flow-map":
        deep = "{a: " * depth + "1" + "}" * depth
    else:  # a block list of lists, indented as deep as it goes
        deep = (
            "\n" + "".join("  " * i + "-\n" for i in range(min(depth, 2_000))) + "  " * depth + "x"
        )
        return data + _bytes(f"deep:{deep}\n")
    return _replace_value(draw, data, "DEEP_MARKER", "DEEP_MARKER").replace(
        b"DEEP_MARKER", _bytes(deep)
    )


_VALUE = re.compile(r"^(\s*(?:- )?[A-Za-z_][\w.-]*:[ ]+)(\S.*)$", re.M)


def _replace_scalar_text(draw: Draw, data: bytes, new: str) -> bytes:
    text = _text(data)
    found = list(_VALUE.finditer(text))
    if not found:
        return _bytes(text + f"\nvalue: {new}\n")
    match = draw(st.sampled_from(found))
    return _bytes(text[: match.start(2)] + new + text[match.end(2) :])


def odd_tag(draw: Draw, data: bytes) -> bytes:
    return _replace_scalar_text(draw, data, draw(st.sampled_from(TAGS)))


def template_payload(draw: Draw, data: bytes) -> bytes:
    payload = draw(st.sampled_from(PAYLOADS))
    if not _VALUE.search(_text(data)):  # the files/ template: a line of its own
        return data + _bytes(payload + "\n")
    quoted = '"' + payload.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _replace_scalar_text(draw, data, quoted)


def anchors_and_merges(draw: Draw, data: bytes) -> bytes:
    snippet = draw(st.sampled_from(SNIPPETS))
    return data + b"\n" + _bytes(snippet) if draw(st.booleans()) else _bytes(snippet) + data


def encoding(draw: Draw, data: bytes) -> bytes:
    """The same text as an editor on another system might save it."""
    kind = draw(st.sampled_from(["bom", "crlf", "cr", "utf-16", "latin-1", "nel"]))
    text = _text(data)
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    if kind == "cr":
        return data.replace(b"\n", b"\r")
    if kind == "nel":
        return _bytes(text.replace("\n", "\x85"))
    codec = "utf-16" if kind == "utf-16" else "latin-1"
    return text.encode(codec, errors="replace")


def special_file(draw: Draw, data: bytes) -> bytes:
    """A symbolic link (outside the tree, dangling, to itself, to a directory) or a FIFO."""
    return draw(st.sampled_from(SPECIAL))


def cut_or_double(draw: Draw, data: bytes) -> bytes:
    lines = data.split(b"\n")
    i = draw(st.integers(0, max(len(lines) - 1, 0)))
    action = draw(st.sampled_from(["delete", "double", "truncate", "empty"]))
    if action == "delete":
        del lines[i]
    elif action == "double":
        lines.insert(i, lines[i])
    elif action == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    else:
        return b""
    return b"\n".join(lines)


MUTATIONS: dict[str, Callable[[Draw, bytes], bytes]] = {
    "flip_bytes": flip_bytes,
    "shift_indent": shift_indent,
    "swap_type": swap_type,
    "long_string": long_string,
    "deep_nesting": deep_nesting,
    "anchors_and_merges": anchors_and_merges,
    "odd_tag": odd_tag,
    "template_payload": template_payload,
    "cut_or_double": cut_or_double,
    "encoding": encoding,
}


@st.composite
def fleets(draw: Draw) -> Files:
    """The base fleet with one to four mutations, and maybe a host file renamed."""
    files = {name: text.encode() for name, text in BASE.items()}
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(MUTABLE))
        if draw(st.integers(0, 9)) == 0:
            files[name] = special_file(draw, files[name])
            continue
        mutation = draw(st.sampled_from(sorted(MUTATIONS)))
        if files[name].startswith(b"\0"):  # a special file: nothing to mutate
            continue
        files[name] = MUTATIONS[mutation](draw, files[name])
    if draw(st.integers(0, 9)) == 0:
        old = draw(st.sampled_from([n for n in MUTABLE if n.startswith("configs/")]))
        files[f"configs/{draw(st.sampled_from(NAMES))}.yaml"] = files.pop(old)
    return files
