"""``hostiso transpile``: diagnostics name the input's own paths and keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run

BAD_UNIT = '      contents: "[Unit]\\nBad line\\n"\n'

CASES = [
    (  # ct's etcd and flannel units come first in the output, not in the input
        "etcd:\n  name: x\nflannel: ~\nsystemd:\n  units:\n    - name: foo.service\n" + BAD_UNIT,
        "<stdin>:6:7: [error] invalid unit content: unexpected newline encountered while "
        "parsing option name (ignition-unit-contents)",
        "systemd.units[0]",
    ),
    (  # the user's entry merged into ct's flanneld.service keeps the user's index
        "flannel: ~\nsystemd:\n  units:\n    - name: a.service\n      enabled: true\n"
        "    - name: flanneld.service\n      dropins:\n        - name: 30-x.conf\n"
        '          contents: "[Service]\\nBad\\n"\n',
        "<stdin>:6:7: [error] invalid unit content: unexpected newline encountered while "
        "parsing option name (ignition-unit-contents)",
        "systemd.units[1]",
    ),
    (  # the deprecated create object: at its key
        "passwd:\n  users:\n    - name: bob\n      create:\n        uid: 1001\n",
        "<stdin>:4:7: [warning] the create object has been deprecated in favor of user-level "
        "options (ignition-user-create-deprecated)",
        "passwd.users[0].create",
    ),
    (  # an unknown option of a ct section: at its key
        "locksmith:\n  reboot_stratgy: off\n",
        "<stdin>:2:3: [error] unknown key 'reboot_stratgy'; did you mean 'reboot_strategy'? "
        "(unknown-key)",
        "locksmith.reboot_stratgy",
    ),
]


@pytest.mark.parametrize(("config", "head", "path"), CASES)
def test_transpile_diagnostics_use_input_paths(
    tmp_path: Path, config: str, head: str, path: str
) -> None:
    _rc, _out, err = run(["transpile", "--format", "parsable"], tmp_path, stdin=config)
    assert head in err.splitlines()
    _rc, _out, err = run(["transpile", "--format", "json"], tmp_path, stdin=config)
    assert f'"path": "{path}"' in err
