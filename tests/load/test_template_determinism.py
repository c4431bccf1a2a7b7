"""A template cannot make a build differ from run to run.

The same inputs must give byte-identical outputs, so a value whose text
would change on every run is an error at the value: ``|random`` and
``lipsum()`` (random by design), and a Python object printed with its memory
address (``{{ 'a'.upper }}``, ``{{ cycler(1, 2) }}``, ``{{ lipsum }}``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import LOGIN, heads, outputs, run, write_fleet

UNREPEATABLE = "gives a different result on every build; the same inputs must give the same output"
PRINTS = "whose text changes on every build; print one of its values instead"

CASES = [
    ("{{ [1, 2, 3] | random }}", f"not allowed in a template: |random {UNREPEATABLE}"),
    ("{{ lipsum(1) }}", f"not allowed in a template: lipsum() {UNREPEATABLE}"),
    (
        "{{ 'a'.upper }}",
        "the template prints a Python object (<built-in method upper of str object at 0x...>), "
        + PRINTS,
    ),
    (
        "{{ cycler(1, 2) }}",
        f"the template prints a Python object (<jinja2.utils.Cycler object at 0x...>), {PRINTS}",
    ),
    ("{{ lipsum }}", f"the template prints a Python object (<function lipsum at 0x...>), {PRINTS}"),
    (
        "{{ (joiner() | string)[:40] }}",
        f"the template prints a Python object (<jinja2.utils.Joiner object at 0x...>), {PRINTS}",
    ),
    (
        "{{ [joiner()] | pprint }}",
        f"the template prints a Python object (<jinja2.utils.Joiner object at 0x...>), {PRINTS}",
    ),
]


def _fleet(root: Path, source: str) -> Path:
    quoted = source.replace('"', '\\"')
    return write_fleet(
        root,
        {
            "overlays/all.yaml": LOGIN,
            "configs/a.yaml": (
                "storage:\n  files:\n    - path: /etc/x\n      contents:\n"
                f'        inline: "{quoted}"\n'
            ),
            "configs/b.yaml": "hostname: b\n",
        },
    )


@pytest.mark.parametrize(("source", "message"), CASES)
def test_a_value_that_differs_on_every_run_is_an_error(
    tmp_path: Path, source: str, message: str
) -> None:
    rc, out, err = run(["build"], _fleet(tmp_path, source))
    assert (rc, out) == (1, "")
    assert heads(err) == [f"configs/a.yaml:5:17: error: {message} [template-error]"]
    assert not any(p.exists() for p in outputs(tmp_path, "a"))
    assert all(p.exists() for p in outputs(tmp_path, "b"))


def test_an_address_the_template_spells_out_is_its_own_text(tmp_path: Path) -> None:
    """``at 0x...`` written in the template itself is the same on every run."""
    rc, _, err = run(["build"], _fleet(tmp_path, "{{ '<a at 0x1234>' }}"))
    assert (rc, heads(err)) == (0, [])
