"""One host through its BMC, with sushy: media in (or out), boot once from CD, reset.

The steps, each retried on its own when it fails for a transient reason:

1. connect: the service root (HTTP basic auth: no session is left open on
   the BMC when hostiso stops), then the ComputerSystem (``bmc.system``, or
   the only one);
2. find the CD slot (:func:`hostiso.deliver.vmedia.find_cd`);
3. eject what it holds;
4. insert the image URL (skipped with ``--eject``);
5. ``--boot-once``: ``BootSourceOverrideTarget: Cd``, ``Enabled: Once`` (sushy
   picks ``UsbCd`` on Supermicro, where virtual media is a USB CD);
6. ``--reset``: ``On`` when the system is off, else ``ForceRestart`` (or
   another restart the BMC allows).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sushy
from sushy import auth as sushy_auth
from sushy import exceptions as sx
from sushy.connector import Connector

from hostiso.deliver import vmedia
from hostiso.deliver.errors import DeliverError, from_sushy
from hostiso.deliver.policy import Policy, retried, retrying
from hostiso.deliver.targets import Job, Redfish

T = TypeVar("T")

RESTARTS = ("ForceRestart", "GracefulRestart", "PowerCycle")
POWER_ON = ("On", "ForceOn")


@dataclass
class Context:
    """What the steps of one host share."""

    job: Job
    target: Redfish
    policy: Policy
    password: str
    connector: Connector | None = None
    retries: list[str] = field(default_factory=list)
    """Why calls were retried (the output line names the last reason)."""

    def call(self, step: str, action: Callable[[], T]) -> T:
        """*action*, retried on transient errors; a :class:`DeliverError` naming *step*."""

        def once() -> T:
            try:
                return action()
            except (sx.SushyError, LookupError) as exc:
                raise _named(step, exc, self.target.address) from None

        result, _tries = retrying(self.policy, once, self.retries.append)
        return result


def _named(step: str, exc: Exception, address: str) -> DeliverError:
    if isinstance(exc, LookupError):
        return DeliverError(f"{step}: {exc.args[0] if exc.args else exc}")
    found = from_sushy(exc, address)
    return DeliverError(f"{step}: {found.message}", transient=found.transient)


def attach(job: Job, policy: Policy, password: str) -> str:
    """Do *job* on its BMC; the summary for the output line (raises DeliverError)."""
    assert isinstance(job.target, Redfish)
    ctx = Context(job, job.target, policy, password)
    system = ctx.call("connect", lambda: _connect(ctx))
    slot = ctx.call("find the virtual CD", lambda: vmedia.find_cd(system))
    done = [_media(ctx, slot)]
    if job.boot_once:
        done.append(ctx.call("boot override", lambda: _boot_once(system)))
    if job.reset:
        done.append(ctx.call("reset", lambda: _reset(system)))
    return "; ".join(done + retried(ctx.retries))


def _media(ctx: Context, slot: Any) -> str:
    ejected = ctx.call("eject", lambda: vmedia.eject(slot))
    if ctx.job.media is None:
        return f"ejected from {slot.path}" if ejected else f"{slot.path} was empty"
    url = ctx.job.media
    assert ctx.connector is not None
    notes = ctx.call("InsertMedia", lambda: vmedia.insert(slot, ctx.connector, url))
    extra = f" ({', '.join(notes)})" if notes else ""
    return f"{url} in {slot.path}{extra}"


def _connect(ctx: Context) -> Any:
    target = ctx.target
    ctx.connector = Connector(
        target.address,
        verify=target.verify,
        server_side_retries=1,  # one attempt per call: hostiso retries, with backoff
        server_side_retries_delay=0,
        default_request_timeout=ctx.policy.timeout,
        connect_timeout=ctx.policy.timeout,
    )
    basic = sushy_auth.BasicAuth(username=target.username, password=ctx.password)
    root = sushy.Sushy(target.address, auth=basic, connector=ctx.connector)
    return _system(root, target.system)


def _system(root: Any, wanted: str | None) -> Any:
    """``bmc.system`` (an Id or a path), or the only system.

    An Id is tried at ``<Systems>/<Id>`` first: one GET, where listing the
    collection of a chassis manager with many systems costs far more."""
    if wanted is not None and not wanted.startswith("/"):
        collection = (root.json.get("Systems") or {}).get("@odata.id")
        if collection:
            with contextlib.suppress(sx.ResourceNotFoundError):
                return root.get_system(f"{collection.rstrip('/')}/{wanted}")
    return root.get_system(_system_path(root, wanted))


def _system_path(root: Any, wanted: str | None) -> str:
    """The path of ``bmc.system`` (an Id or a path), or of the only system."""
    if wanted is not None and wanted.startswith("/"):
        return wanted
    paths = [str(p) for p in root.get_system_collection().members_identities]
    ids = {p.rstrip("/").rsplit("/", 1)[-1]: p for p in paths}
    if wanted is None and len(paths) == 1:
        return paths[0]
    if wanted is not None and wanted in ids:
        return ids[wanted]
    known = ", ".join(list(ids)[:10]) or "none"
    if wanted is None:
        return _fail(f"the BMC has {len(paths)} systems: set bmc.system to one of: {known}")
    return _fail(f"the BMC has no system '{wanted}' (it has: {known})")


def _fail(message: str) -> str:
    raise LookupError(message)


def _boot_once(system: Any) -> str:
    system.set_system_boot_options(
        target=sushy.BOOT_SOURCE_TARGET_CD, enabled=sushy.BOOT_SOURCE_ENABLED_ONCE
    )
    return "boot once from CD"


def _reset(system: Any) -> str:
    allowed = {v.value for v in system.get_allowed_reset_system_values()}
    off = system.power_state == sushy.POWER_STATE_OFF
    wanted = POWER_ON if off else RESTARTS
    choice = next((v for v in wanted if v in allowed), None)
    if choice is None:
        raise LookupError(
            f"the BMC allows none of {', '.join(wanted)} (it allows: "
            f"{', '.join(sorted(allowed)) or 'nothing'})"
        )
    system.reset_system(sushy.ResetType(choice))
    return f"reset {choice}"
