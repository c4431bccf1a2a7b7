"""Which hosts ``hostiso attach`` does, and which it cannot, before it talks to any BMC.

A host whose ``bmc:`` or ``libvirt:`` section has an error (wrong type, a
password file open to others, two hosts on one BMC) fails with those
diagnostics; a host without either section is skipped (or fails, when it
was named on the command line); a host whose ISO is missing fails.  A
``--url-base`` is needed as soon as one BMC must fetch an image: without it
the plan is a usage error, and nothing is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hostiso.deliver.runner import Outcome
from hostiso.deliver.targets import Job, Options, Redfish, job_for, target_of
from hostiso.diagnostics import Diagnostic
from hostiso.load.fleet import Host

SECTIONS = ("bmc", "libvirt")


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    done: list[Outcome] = field(default_factory=list)
    """Hosts settled without a job: failed (bad section, missing ISO) or skipped."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    need_url: int = 0
    """BMC hosts that need ``--url-base`` (which was not given)."""

    @property
    def usage(self) -> str | None:
        if not self.need_url:
            return None
        return (
            f"--url-base is required: {self.need_url} hosts have a bmc:, whose BMC fetches "
            "the ISO from `hostiso serve` (like --url-base http://10.0.0.1:8000)"
        )


def plan(hosts: list[Host], options: Options, named: bool) -> Plan:
    """The plan for *hosts* (``named``: the user listed them on the command line)."""
    out = Plan()
    for host in hosts:
        _plan_host(host, options, named, out)
    return out


def _plan_host(host: Host, options: Options, named: bool, out: Plan) -> None:
    if host.user is None:
        out.done.append(Outcome(host.stem, False, "its host file does not load (hostiso lint)"))
        return
    found = [d for d in host.diagnostics if d.path[:1] and d.path[0] in SECTIONS]
    out.diagnostics += found
    if any(d.is_error for d in found):
        out.done.append(Outcome(host.stem, False, "its bmc: or libvirt: has errors (above)"))
        return
    target = target_of(host.plain(), host.root)
    if target is None:
        why = "no bmc: or libvirt: section"
        out.done.append(Outcome(host.stem, not named, why, skipped=not named))
        return
    if isinstance(target, Redfish) and options.url_base is None and not options.eject:
        out.need_url += 1
        return
    job = job_for(host.stem, target, options)
    if isinstance(job, str):
        out.done.append(Outcome(host.stem, False, job))
    else:
        out.jobs.append(job)
