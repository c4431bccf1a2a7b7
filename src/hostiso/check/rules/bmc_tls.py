"""``verify_tls: false`` talks to a BMC without checking who answers.

Anyone on the management network who can take the BMC's address then gets
its password (sent with every request) and can hand the machine any ISO.
A BMC with a self-signed certificate wants ``ca_file`` (its certificate, or
the CA that signed it), not ``verify_tls: false``.
"""

from __future__ import annotations

from collections.abc import Iterator

from hostiso.check.rules.common import plain
from hostiso.diagnostics import Diagnostic, warning
from hostiso.load.fleet import Host


def bmc_insecure_tls(host: Host) -> Iterator[Diagnostic]:
    """A BMC's certificate should be checked: set ca_file rather than verify_tls: false.

    Failing::

        # configs/a.yaml
        bmc: {redfish: "https://10.0.0.5", username: admin, password_file: secrets/bmc,
              verify_tls: false}

    Passing::

        # configs/a.yaml
        bmc: {redfish: "https://10.0.0.5", username: admin, password_file: secrets/bmc,
              ca_file: secrets/bmc-ca.pem}
    """
    bmc = plain(host).get("bmc")
    if isinstance(bmc, dict) and bmc.get("verify_tls") is False:
        yield warning(
            "bmc-insecure-tls",
            "verify_tls: false sends the BMC password to whoever answers at this address; "
            "give the BMC's CA in ca_file instead",
            ("bmc", "verify_tls"),
        )


HOST_RULES = {"bmc-insecure-tls": bmc_insecure_tls}
