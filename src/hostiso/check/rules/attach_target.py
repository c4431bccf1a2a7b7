"""A host is a bare-metal machine (``bmc:``) or a VM (``libvirt:``), not both.

``hostiso attach`` would not know which one to put the ISO into.  An overlay
that gives every host a ``bmc:`` can be reset in a VM's host file with
``bmc: null``.
"""

from __future__ import annotations

from collections.abc import Iterator

from hostiso.check.rules.common import plain
from hostiso.diagnostics import Diagnostic, error
from hostiso.load.fleet import Host


def attach_target_conflict(host: Host) -> Iterator[Diagnostic]:
    """Set bmc: or libvirt:, not both.

    Failing::

        # configs/a.yaml
        bmc: {redfish: "https://10.0.0.5", username: admin, password_file: secrets/bmc}
        libvirt: {uri: "qemu:///system", domain: a}

    Passing::

        # configs/a.yaml
        libvirt: {uri: "qemu:///system", domain: a}
    """
    clc = plain(host)
    if isinstance(clc.get("bmc"), dict) and isinstance(clc.get("libvirt"), dict):
        yield error(
            "attach-target-conflict",
            "set either bmc: (a machine's BMC) or libvirt: (a VM), not both "
            "(reset one with 'bmc: null' or 'libvirt: null')",
            ("libvirt",),
        )


HOST_RULES = {"attach-target-conflict": attach_target_conflict}
