"""Every host-file example in the README goes through the linter.

A block counts as a host-file example when it is fenced as ``yaml`` and is not
a CI workflow or an editor modeline.  Each is linted as a host file of a small
fleet whose ``all.yaml`` gives the host an address and a login, so the
examples are checked for what they show, not for what they leave out; one
that starts with ``# overlays/all.yaml`` is linted as that overlay instead
(the host file then brings the address and the login).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from conftest import run, write_fleet

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^( *)```yaml\n(.*?)^\1```", re.S | re.M)

BASE = """\
network:
  interface: eth0
  addresses: [192.168.1.11/24]
passwd:
  users:
    - name: core
      ssh_authorized_keys:
        - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBJv5RvDoHOF7k93AMhnKTiy7cVnTf59Ljd4YO3Fy0rR op@x
"""


def examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    blocks = [textwrap.dedent(body) for _indent, body in FENCE.findall(text)]
    return [b for b in blocks if "jobs:" not in b and not b.lstrip().startswith("# yaml-language")]


def test_the_readme_has_examples() -> None:
    assert len(examples()) >= 3


@pytest.mark.parametrize("number", range(len(examples())))
def test_readme_example_lints_clean(tmp_path: Path, number: int) -> None:
    example = examples()[number]
    overlay = example.startswith("# overlays/all.yaml")  # an overlay example, linted as one
    write_fleet(
        tmp_path,
        {
            "overlays/all.yaml": example if overlay else BASE,
            "overlays/controller.yaml": "",
            "configs/doc.yaml": BASE if overlay else example,
        },
    )
    for secret in re.findall(r"password_file: (secrets/\S+)", example):
        write_fleet(tmp_path, {secret: "a BMC password\n"})  # kept as it should be:
        (tmp_path / secret).chmod(0o600)  # private to its owner
    rc, _out, err = run(["lint", "--format", "parsable"], tmp_path)
    assert rc == 0, f"README example {number} does not lint clean:\n{example}\n{err}"
    assert "[error]" not in err
