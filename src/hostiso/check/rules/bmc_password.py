"""A BMC's ``password_file`` must exist, stay under ``secrets/`` and be private.

The file holds the BMC's password in plain text (its first line), so like an
ssh private key it must not be readable by the group or others (mode 0600),
and like the users' password files it must live under ``secrets/``, which
is never committed.  ``hostiso attach`` refuses such a file too; lint says
so before anyone runs it.  No message ever shows the file's contents.
"""

from __future__ import annotations

from collections.abc import Iterator

from hostiso.check.rules.common import plain
from hostiso.crypto.secretfile import not_private
from hostiso.derive.credentials import fleet_root, read_password_file
from hostiso.diagnostics import Diagnostic, error
from hostiso.load.fleet import Host

PATH = ("bmc", "password_file")


def bmc_password_file(host: Host) -> Iterator[Diagnostic]:
    """The BMC password file exists under secrets/ and only its owner can read it.

    Failing::

        # configs/a.yaml
        bmc:
          redfish: https://10.0.0.5
          username: admin
          password_file: secrets/bmc/missing

    Passing::

        # secrets/bmc/a
        s3cret
        # configs/a.yaml
        bmc:
          redfish: https://10.0.0.5
          username: admin
          password_file: secrets/bmc/a
    """
    bmc = plain(host).get("bmc")
    rel = bmc.get("password_file") if isinstance(bmc, dict) else None
    if not isinstance(rel, str):
        return
    root = fleet_root(host)
    _password, problem = read_password_file(root, rel)
    if problem is None:
        problem = not_private(root / rel, rel)
    if problem is not None:
        yield error("bmc-password-file", problem, PATH)


HOST_RULES = {"bmc-password-file": bmc_password_file}
