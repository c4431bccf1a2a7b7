"""One host's attach, whatever its target: the work the runner runs.

For a BMC, the password is read here, in the worker, from ``password_file``
(under ``secrets/``, private to its owner): a host whose file is missing or
open to others fails alone.  Every message leaving this module passes
through :func:`hostiso.deliver.errors.redact` with that password.
"""

from __future__ import annotations

from pathlib import Path

from hostiso.crypto.secretfile import not_private
from hostiso.deliver import libvirt, redfish
from hostiso.deliver.errors import DeliverError, redact
from hostiso.deliver.policy import Policy
from hostiso.deliver.targets import Job, Redfish
from hostiso.derive.credentials import read_password_file


def attach_host(job: Job, policy: Policy, root: Path) -> str:
    """Do *job*; the line to show on success (raises :class:`DeliverError`)."""
    if not isinstance(job.target, Redfish):
        return libvirt.attach(job, policy)
    password = read_bmc_password(root, job.target.password_file)
    try:
        return redact(redfish.attach(job, policy, password), password)
    except DeliverError as exc:
        raise DeliverError(redact(exc.message, password)) from None
    except Exception as exc:
        raise DeliverError(redact(f"unexpected {type(exc).__name__}: {exc}", password)) from None


def read_bmc_password(root: Path, rel: str) -> str:
    """The first line of the BMC's ``password_file``; the file must be private."""
    password, problem = read_password_file(root, rel)
    if problem is None:
        problem = not_private(root / rel, rel)
    if problem is not None or password is None:
        raise DeliverError(f"bmc.password_file: {problem}")
    return password
