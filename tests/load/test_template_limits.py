"""Templates cannot grow without bound (issue 11, defect 3).

Each payload once took gigabytes and seconds; now each is a ``template-error``
at its value, found before the memory is allocated: checked here with
tracemalloc (the peak of the whole render) and a clock.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from conftest import LOGIN, heads, outputs, run, write_fleet
from hostiso.load import limits
from hostiso.load.jinja import Failure, render

LIMIT = "(the limit of one template value: HOSTISO_TEMPLATE_LIMIT or --template-limit)"
OVER = f"would be over 1,048,576 characters long {LIMIT}"

# (payload, what the message names)
PAYLOADS = [
    ("{{ 'x'.ljust(10**9) }}", f"ljust() {OVER}"),
    ("{{ 'x'.rjust(10**9) }}", f"rjust() {OVER}"),
    ("{{ 'x'.center(10**9) }}", f"center() {OVER}"),
    ("{{ 'x'.zfill(10**9) }}", f"zfill() {OVER}"),
    ("{{ '%999999999d' % 1 }}", f"the % formatting {OVER}"),
    ("{{ '%.999999999f' % 1.5 }}", f"the % formatting {OVER}"),
    ("{{ '%*d' % (999999999, 1) }}", f"the % formatting {OVER}"),
    ("{{ '{:>999999999}'.format(1) }}", f"str.format() {OVER}"),
    ("{{ '{0:{1}}'.format(1, 999999999) }}", f"str.format() {OVER}"),
    ("{{ '{a:>999999999}'.format_map({'a': 1}) }}", f"str.format() {OVER}"),
    ("{{ 'x' | indent(10**9) }}", f"|indent {OVER}"),
    ("{{ 'x' | center(10**9) }}", f"|center {OVER}"),
    ("{{ '%999999999d' | format(1) }}", f"|format {OVER}"),
    ("{{ '\\tx'.expandtabs(10**9) }}", f"expandtabs() {OVER}"),
    (
        "{{ ('x' * 1000).replace('x', 'x' * 100).replace('x', 'x' * 100) }}",
        f"replace() {OVER}",
    ),
    ("{{ ('x' * 1000) | replace('x', 'x' * 10000) }}", f"|replace {OVER}"),
    ("{{ 'ab'.translate({97: 'x' * 1000000, 98: 'y'}) }}", f"translate() {OVER}"),
    ("{{ (1).to_bytes(10**9, 'big') }}", f"to_bytes() {OVER}"),
    ("{{ [1] | batch(10**9, 'x') | list }}", f"|batch {OVER}"),
    ("{{ [1] | slice(10**9) | list }}", f"|slice {OVER}"),
    ("{{ [1, 2] | tojson(indent=10**9) }}", f"|tojson {OVER}"),
    ("{{ ['x' * 600000] * 2 }}", f"the result {OVER}"),
    ("{{ ('x' * 600000) + ('x' * 600000) }}", f"the result {OVER}"),
    ("{{ ('x' * 600000) ~ ('x' * 600000) }}", f"the ~ join {OVER}"),
    ("{% set s = 'x' * 600000 %}{{ [s, s] | join }}", f"an argument {OVER}"),
    ("{% set s = 'x' * 600000 %}{{ ','.join([s, s]) }}", f"an argument {OVER}"),
    ("{% set s = 'x' * 60000 %}{{ (['a'] * 20) | join(s) }}", f"|join {OVER}"),
    ("{% set s = 'x' * 600 %}{{ (s * 1000).join(['a'] * 2000) }}", f"join() {OVER}"),
    ("{% set s = 'x' * 600000 %}{{ [s, s] }}", f"a value printed {OVER}"),
    ("{% set s = 'x' * 600000 %}{{ '{0}{0}'.format(s) }}", f"str.format() {OVER}"),
    ("{% set s = 'x' * 600000 %}{{ s }}{{ s }}", f"the rendered text {OVER}"),
    (
        "{% set s = 'x' * 600000 %}{% set t %}{{ s }}{{ s }}{% endset %}{{ t | length }}",
        f"the rendered text {OVER}",
    ),
    (
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        f"the ~ join {OVER}",
    ),
    ("{{ (2 ** 1000) ** 1000 }}", "the power would have more than 65,536 bits"),
    (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "the template does more than 100,000 operations",
    ),
]


BACKSTOP = 600.0
"""The wall-clock backstop, out of the way: on a loaded machine a render may
take seconds of wall time without doing more work, and the message must name
the limit the template's own work reached (operations or size), every time."""
FEWER = limits.Limits(operations=100_000, seconds=BACKSTOP)
"""So the loop runs out of operations (deterministic), whatever the machine's load."""
QUICK = 2.0
"""CPU seconds a refused template may take: its own work, not the machine's load."""


@pytest.mark.parametrize(("source", "message"), PAYLOADS)
def test_a_value_that_would_grow_too_large_is_refused_quickly(source: str, message: str) -> None:
    tracemalloc.start()
    started = time.process_time()
    try:
        with limits.limited(FEWER):
            result = render(source, {})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(result, Failure)
    # the line of the template, or none when the whole output is too long
    assert (result.code, result.message, result.line or 1) == (
        "template-error",
        f"template too large: {message}",
        1,
    )
    assert time.process_time() - started < QUICK
    assert peak < 16 << 20, f"{peak:,} bytes"


def test_work_without_output_runs_out_of_time_or_operations() -> None:
    """Exponentially many macro calls: each is cheap, the budget runs out."""
    source = (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"
    )
    started = time.process_time()
    with limits.limited(limits.Limits(operations=50_000, seconds=BACKSTOP)):
        result = render(source, {})
    assert result == Failure(
        "template-error", "template too large: the template does more than 50,000 operations", 1
    )
    assert time.process_time() - started < QUICK


def test_the_cpu_clock_backstop_stops_a_render() -> None:
    """Past its deadline a render stops at the next clock reading (every 1,024
    operations), whatever the operations left: a deadline already past makes
    it deterministic."""
    source = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    with limits.limited(limits.Limits(operations=10**9, seconds=0.0)):
        result = render(source, {})
    assert result == Failure(
        "template-error", "template too large: the template runs longer than 0 s of CPU time", 1
    )


SMALL = [
    ("{{ 'ok' | upper }}", "OK"),
    ("{{ [3, 1, 2] | sort | join(',') }}", "1,2,3"),
    ("{{ '%05d' % 42 }}|{{ '{:>5}'.format(1) }}|{{ 'a'.ljust(3) }}|", "00042|    1|a  |"),
    ("{{ ('x' * 1048576) | length }}", "1048576"),
    ("{{ range(1000) | map('string') | join(',') | length }}", "3889"),
    ("{% for i in range(3) %}{{ loop.index }}/{{ loop.length }} {% endfor %}", "1/3 2/3 3/3 "),
    ("{{ 'a\\tb'.expandtabs(4) }}|{{ 'a.b'.replace('.', '::') }}", "a   b|a::b"),
    ("{{ 'x' | indent(2, first=True) }}", "  x"),
    ("{{ {'a': 1} | tojson }}", '{"a": 1}'),
]


@pytest.mark.parametrize(("source", "expected"), SMALL)
def test_ordinary_templates_render_as_before(source: str, expected: str) -> None:
    assert render(source, {}) == expected


def test_the_limit_is_configurable() -> None:
    source = "{{ 'x'.ljust(2000000) | length }}"
    assert render(source, {}) == Failure("template-error", f"template too large: ljust() {OVER}", 1)
    with limits.limited(limits.Limits(size=4 << 20)):
        assert render(source, {}) == "2000000"


@pytest.mark.parametrize(
    ("text", "size"),
    [("1048576", 1 << 20), ("512K", 512 << 10), ("4M", 4 << 20), ("2MiB", 2 << 20), ("0", None)],
)
def test_parse_size(text: str, size: int | None) -> None:
    assert limits.parse_size(text) == size


# --- through the command line: at the value, the other hosts built --------------------------

FLEET = {
    "overlays/all.yaml": LOGIN,
    "configs/good.yaml": "network:\n  interface: eth0\n  addresses: [10.0.0.2/24]\n",
    "configs/bad.yaml": (
        "storage:\n  files:\n    - path: /etc/big\n      contents:\n"
        "        inline: \"{{ 'x'.ljust(2000000) }}\"\n"
    ),
}
BAD = f"configs/bad.yaml:5:17: error: template too large: ljust() {OVER} [template-error]"


@pytest.mark.parametrize("command", ["build", "lint"])
def test_a_growing_value_stops_its_host_only(tmp_path: Path, command: str) -> None:
    write_fleet(tmp_path, FLEET)
    rc, out, err = run([command], tmp_path)
    assert (rc, out) == (1, "")
    assert heads(err) == [BAD]
    assert "Traceback" not in err
    assert not any(p.exists() for p in outputs(tmp_path, "bad"))
    assert all(p.exists() for p in outputs(tmp_path, "good")) is (command == "build")


def test_a_growing_template_file_points_into_the_file(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            **FLEET,
            "configs/bad.yaml": (
                "storage:\n  files:\n    - path: /etc/big\n      contents:\n"
                "        template: big.j2\n"
            ),
            "files/big.j2": "line one\n{{ 'x' | indent(10**9) }}\n",
        },
    )
    rc, _, err = run(["build"], tmp_path)
    assert rc == 1
    assert heads(err) == [
        f"files/big.j2:2:1: error: template too large: |indent {OVER} [template-error]"
    ]
    assert all(p.exists() for p in outputs(tmp_path, "good"))


@pytest.mark.parametrize(
    ("argv", "env"),
    [(["--template-limit", "4M"], {}), ([], {"HOSTISO_TEMPLATE_LIMIT": "4M"})],
)
def test_a_larger_limit_from_the_flag_or_the_environment(
    tmp_path: Path, argv: list[str], env: dict[str, str]
) -> None:
    write_fleet(tmp_path, FLEET)
    assert run(["build", *argv], tmp_path, env=env) == (0, "", "")
    assert all(p.exists() for p in outputs(tmp_path, "bad"))


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (
            ["--template-limit", "big"],
            {},
            "hostiso: error: --template-limit: 'big' is not a size (a number of characters, "
            "like 4M)\n",
        ),
        (
            [],
            {"HOSTISO_TEMPLATE_LIMIT": "-1"},
            "hostiso: error: HOSTISO_TEMPLATE_LIMIT: '-1' is not a size (a number of "
            "characters, like 4M)\n",
        ),
    ],
)
def test_a_bad_limit_is_a_usage_error(
    tmp_path: Path, argv: list[str], env: dict[str, str], message: str
) -> None:
    write_fleet(tmp_path, FLEET)
    assert run(["lint", *argv], tmp_path, env=env) == (2, "", message)


@pytest.mark.parametrize(
    "source",
    [
        "{" * 100_000,
        "{{ " + "[" * 3000 + "]" * 3000 + " }}",
        "{{ " + "(" * 300 + "1" + ")" * 300 + " }}",
        "{% if 1 %}" * 500 + "x" + "{% endif %}" * 500,
        "{{ 1" + " + 1" * 5000 + " }}",
    ],
    ids=["braces", "lists", "parentheses", "ifs", "sums"],
)
def test_a_template_nested_too_deeply_is_a_syntax_error(source: str) -> None:
    """Found by the fuzz test: jinja2's parser recursed into a RecursionError."""
    assert render(source, {}) == Failure(
        "template-syntax", "template syntax error: the template nests too deeply"
    )


def test_a_deeply_nested_value_in_a_fleet(tmp_path: Path) -> None:
    deep = "{" * 5000
    write_fleet(
        tmp_path,
        {
            **FLEET,
            "configs/bad.yaml": FLEET["configs/bad.yaml"].replace(
                "\"{{ 'x'.ljust(2000000) }}\"", f"'{deep}'"
            ),
        },
    )
    rc, _, err = run(["build"], tmp_path)
    assert (rc, heads(err)) == (
        1,
        [
            "configs/bad.yaml:5:17: error: template syntax error: the template nests too deeply "
            "[template-syntax]"
        ],
    )
    assert all(p.exists() for p in outputs(tmp_path, "good"))


def test_a_template_file_over_the_limit_is_not_parsed(tmp_path: Path) -> None:
    write_fleet(
        tmp_path,
        {
            **FLEET,
            "configs/bad.yaml": (
                "storage:\n  files:\n    - path: /etc/big\n      contents:\n"
                "        template: big.j2\n"
            ),
            "files/big.j2": "{{ host.name }}\n" * 70_000,
        },
    )
    rc, _, err = run(["build"], tmp_path)
    assert (rc, heads(err)) == (
        1,
        [
            "files/big.j2:1:1: error: template too large: files/big.j2 is over 1,048,576 bytes "
            "(the limit of one template) [template-error]"
        ],
    )
    assert all(p.exists() for p in outputs(tmp_path, "good"))
