"""``hostiso attach [HOST...]``: put each host's ISO into its BMC or VM, a fleet at a time.

The fleet is loaded and checked as ``hostiso lint`` does; the problems of a
host's ``bmc:`` or ``libvirt:`` section are printed and fail that host.
Then every host with a target is done in parallel (``--parallel``, default
16), each BMC call with a timeout and retries on transient errors.  One line
per host on stdout (``HOST: ok: ...``, ``HOST: error: ...``), a progress
bar on a terminal.  Exit 0 when every host succeeded, 1 when one failed, 2
on usage errors.  Passwords never reach the output.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

from hostiso.cli.io import CONFIG_EXIT, IO, USAGE_EXIT, add_fleet_options, check_root, emit

if TYPE_CHECKING:
    from hostiso.deliver.runner import Outcome
    from hostiso.deliver.targets import Job, Options

HELP = "put the ISOs into BMCs (Redfish) and VMs (libvirt)"
LIMITS = {"parallel": (1, 256), "retries": (0, 10)}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_fleet_options(p)
    p.add_argument("hosts", nargs="*", metavar="HOST", help="host stems (default: all)")
    p.add_argument(
        "--media",
        choices=("config", "installer"),
        default="config",
        help="the host's config ISO (default) or the installer ISO",
    )
    p.add_argument(
        "--url-base", metavar="URL", help="where BMCs find the ISOs: the URL of `hostiso serve`"
    )
    p.add_argument(
        "--installer", metavar="ISO", help="the installer ISO (default: out/installer.iso)"
    )
    p.add_argument("--out-dir", default="out", help="the ISOs' directory (default: out)")
    p.add_argument("--boot-once", action="store_true", help="boot from the CD at the next start")
    p.add_argument("--reset", action="store_true", help="power on, or restart")
    p.add_argument("--eject", action="store_true", help="remove the media instead")
    p.add_argument("--parallel", type=int, default=16, help="hosts at once (default: 16)")
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for each answer of a BMC or virsh (default: 30)",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=3,
        help="retries of a call that failed for a transient reason (default: 3)",
    )
    p.add_argument("--backoff", type=float, default=1.0, help=argparse.SUPPRESS)


def usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options alone, or None."""
    from hostiso.deliver.targets import check_url_base

    for name, (low, high) in LIMITS.items():
        if not low <= getattr(args, name) <= high:
            return f"--{name} must be from {low} to {high}"
    if args.timeout <= 0 or args.backoff < 0:
        return "--timeout must be positive (and --backoff not negative)"
    if args.eject and args.boot_once:
        return "--eject and --boot-once do not go together"
    return check_url_base(args.url_base) if args.url_base else None


def run(args: argparse.Namespace, io: IO) -> int:
    problem = usage_problem(args)
    if problem is None and not check_root(args.root, io):
        return USAGE_EXIT
    if problem is None:
        problem = _unknown_hosts(args)
    if problem is not None:
        io.stderr.write(f"hostiso attach: error: {problem}\n")
        return USAGE_EXIT
    return _attach(args, io)


def _unknown_hosts(args: argparse.Namespace) -> str | None:
    from hostiso.load.fleet import Layout

    known = set(Layout(FsPath(args.root)).host_stems())
    unknown = [h for h in args.hosts if h not in known]
    return f"no such host: {', '.join(unknown)} (not in configs/)" if unknown else None


def _attach(args: argparse.Namespace, io: IO) -> int:
    from hostiso.deliver.plan import plan
    from hostiso.load.fleet import Layout
    from hostiso.pipeline.steps import load_checked

    _quiet_libraries()
    root = FsPath(args.root)
    hosts = load_checked(Layout(root), list(args.hosts) or None, writes=False)
    found = plan(hosts, _options(args, root), named=bool(args.hosts))
    emit(found.diagnostics, io, args.format, args.root)
    if found.usage is not None:
        io.stderr.write(f"hostiso attach: error: {found.usage}\n")
        return USAGE_EXIT
    outcomes = found.done + _run(found.jobs, args, root, io, settled=found.done)
    return 0 if all(o.ok for o in outcomes) else CONFIG_EXIT


def _options(args: argparse.Namespace, root: FsPath) -> Options:
    from hostiso.deliver.targets import Options

    return Options(
        media=args.media,
        url_base=args.url_base,
        out_dir=root / args.out_dir,
        installer=FsPath(args.installer) if args.installer else None,
        eject=args.eject,
        boot_once=args.boot_once,
        reset=args.reset,
    )


def _run(
    jobs: list[Job], args: argparse.Namespace, root: FsPath, io: IO, settled: list[Outcome]
) -> list[Outcome]:
    from hostiso.deliver import runner
    from hostiso.deliver.attach import attach_host
    from hostiso.deliver.policy import Policy
    from hostiso.deliver.progress import Progress

    policy = Policy(timeout=args.timeout, retries=args.retries, backoff=args.backoff)
    progress = Progress(io.stderr, len(jobs) + len(settled), enabled=io.isatty())
    for outcome in settled:
        progress.line(io.stdout, outcome.line(), ok=outcome.ok)

    def report(outcome: Outcome) -> None:
        progress.line(io.stdout, outcome.line(), ok=outcome.ok)

    try:
        return runner.run(jobs, lambda job: attach_host(job, policy, root), args.parallel, report)
    finally:
        progress.close()


def _quiet_libraries() -> None:
    """sushy and urllib3 log warnings (retries, every failed request) through logging:
    the result lines say what happened, once per host."""
    for name in ("sushy", "urllib3"):
        logger = logging.getLogger(name)
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
