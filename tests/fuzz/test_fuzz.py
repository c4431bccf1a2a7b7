"""Fuzzing ``hostiso build`` and ``hostiso lint`` with mutated fleets (issue 11).

Each example is a small realistic fleet with a few mutations (see
:mod:`fuzz_fleets`), built and linted in a subprocess under a memory limit
(RLIMIT_AS) and a timeout.  Whatever the input:

* no traceback, exit 0, 1 or 2;
* every stderr line of ``build`` belongs to the report format: a
  ``FILE:LINE:COL: severity: MESSAGE [code]`` or ``PATH: error: MESSAGE
  [code]`` head, its quoted source line and caret, its ``= host/path``
  context, and ``note:`` lines after it;
* outputs only for hosts without errors, and every host built when the exit
  is 0; lint and build agree on which hosts fail;
* in the long run, a rebuild with ``--no-cache`` gives the same bytes, and
  ``show`` and ``inventory --list`` take the fleet without a traceback;
* each run within :data:`MAX_SECONDS` of CPU time (its own work, whatever
  the machine's load; :data:`TIMEOUT` of wall time kills a run that hangs)
  and :data:`MAX_RSS`.

``make test`` runs :func:`test_fuzz` with a fixed derandomized seed and no
example database (the same :data:`QUICK` examples every time, about 50 s of CPU;
``HOSTISO_FUZZ_QUICK`` to change);
``make fuzz`` runs :func:`test_fuzz_long` with fresh seeds
(``HOSTISO_FUZZ_EXAMPLES``, default 300).
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from fuzz_fleets import FIFO, LINK, Files, fleets
from hypothesis import HealthCheck, given, settings

MEMORY_LIMIT = 2 << 30
"""RLIMIT_AS of each run: a runaway allocation fails instead of taking the machine."""
MAX_RSS = 512 << 20
MAX_SECONDS = 30.0
"""CPU seconds (user and system) of one run."""
TIMEOUT = 180.0
"""Wall seconds after which a run is killed (and fails): a loaded CI machine
may stretch a run's few CPU seconds many times over."""

QUICK = settings(
    max_examples=int(os.environ.get("HOSTISO_FUZZ_QUICK", "40")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
LONG = settings(
    QUICK,
    max_examples=int(os.environ.get("HOSTISO_FUZZ_EXAMPLES", "300")),
    derandomize=False,
)


@dataclass
class Ran:
    rc: int
    stdout: str
    stderr: str
    seconds: float
    cpu_seconds: float
    max_rss: int


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def hostiso(root: Path, *argv: str) -> Ran:
    """``hostiso ARGV`` in ``root``, limited; its own rusage through wait4."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSTISO_", "GITHUB_"))}
    env |= {"NO_COLOR": "1", "SOURCE_DATE_EPOCH": "1700000000", "PYTHONIOENCODING": "utf-8"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "hostiso", *argv],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            preexec_fn=_limit_memory,  # no threads in the test process: preexec_fn is safe
        )
        status, usage = _wait(child, started)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Ran(
            os.waitstatus_to_exitcode(status),
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss * 1024,
        )


def _wait(child: subprocess.Popen[bytes], started: float) -> tuple[int, resource.struct_rusage]:
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return status, usage
        if time.monotonic() - started > TIMEOUT:
            child.kill()
        time.sleep(0.01)


# --- the report format --------------------------------------------------------------------

HEAD = re.compile(r"^(?P<file>\S.*?)(?::\d+:\d+)?: (?P<severity>error|warning): (?P<message>.*)$")
NOTE = re.compile(r"^\S.*?:\d+:\d+: note: (?P<message>.*)$")
CONTINUATION = re.compile(r"^    ")  # a message of several lines (the report indents them)
SOURCE = re.compile(r"^ \d+ \|( .*)?$")
CARET = re.compile(r"^ +\| +\^$")
CONTEXT = re.compile(r"^  = (?:host: (?P<host>.*?)(?:, path: .*)?|path: .*)$")
CODE = re.compile(r" \[[a-z0-9-]+\]$")
STOPS = re.compile(r"stops \d+ hosts?: (?P<names>.*?)(?:;|$)")


@dataclass
class Problem:
    severity: str
    file: str
    message: str
    hosts: set[str]


def parse_report(stderr: str) -> list[Problem]:
    """The text report, line by line; anything outside the format fails the test."""
    problems: list[Problem] = []
    lines = stderr.splitlines()
    i = 0
    while i < len(lines):
        head = HEAD.match(lines[i])
        assert head, f"not a diagnostic: {lines[i]!r}\n{stderr}"
        message = head["message"]
        i += 1
        while i < len(lines) and CONTINUATION.match(lines[i]):
            message += " " + lines[i].strip()
            i += 1
        assert CODE.search(message), f"no [code]: {message!r}\n{stderr}"
        problem = Problem(head["severity"], head["file"], message, set())
        own = re.fullmatch(r"configs/(.+)\.yaml", head["file"])
        problem.hosts |= {own[1]} if own else set()  # a host file's own problem
        i = _tail(lines, i, problem)
        problems.append(problem)
    return problems


def _tail(lines: list[str], i: int, problem: Problem) -> int:
    """The source line and caret, the context and the notes after a head."""
    if i + 1 < len(lines) and SOURCE.match(lines[i]) and CARET.match(lines[i + 1]):
        i += 2
    context = CONTEXT.match(lines[i]) if i < len(lines) else None
    if context:
        problem.hosts |= {context["host"]} if context["host"] else set()
        i += 1
    while i < len(lines) and NOTE.match(lines[i]):
        note = NOTE.match(lines[i])
        assert note is not None
        stops = STOPS.search(note["message"])
        problem.hosts |= set(stops["names"].split(", ")) if stops else set()
        i += 1
        while i < len(lines) and CONTINUATION.match(lines[i]):
            i += 1
    return i


# --- one example --------------------------------------------------------------------------


def write(root: Path, files: Files) -> list[str]:
    """The fleet on disk; the stems hostiso may build (names make can take)."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if data.startswith(LINK):
            path.symlink_to(data[len(LINK) :].decode())
        elif data == FIFO:
            os.mkfifo(path)
        else:
            path.write_bytes(data)
    stems = [n[len("configs/") : -len(".yaml")] for n in files if n.startswith("configs/")]
    return [s for s in stems if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._+@-]{0,199}", s)]


def check_run(ran: Ran, what: str) -> None:
    assert "Traceback" not in ran.stderr + ran.stdout, f"{what}:\n{ran.stderr}"
    assert ran.seconds < TIMEOUT, f"{what}: killed after {ran.seconds:.0f} s\n{ran.stderr}"
    assert ran.rc in (0, 1, 2), f"{what}: exit {ran.rc}\n{ran.stderr}"
    assert ran.cpu_seconds < MAX_SECONDS, f"{what}: {ran.cpu_seconds:.1f} s of CPU"
    assert ran.max_rss < MAX_RSS, f"{what}: {ran.max_rss:,} bytes"


def outputs(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for d in ("build", "out")
        for p in sorted((root / d).glob("*"))
        if p.suffix in (".ign", ".iso")
    }


def check_other_commands(root: Path, stems: list[str]) -> None:
    """The long run only: a rebuild from scratch gives the same bytes, and
    ``show`` and ``inventory`` take the same fleet without a traceback."""
    before = outputs(root)
    again = hostiso(root, "build", "--no-cache")
    check_run(again, "build --no-cache")
    after = outputs(root)
    assert {k: v for k, v in after.items() if k in before} == before, "not reproducible"
    for argv in (["show", *stems[:1], "--origin"], ["inventory", "--list"]):
        ran = hostiso(root, *argv)
        check_run(ran, " ".join(argv))
        if argv[0] == "inventory" and ran.rc == 0:
            json.loads(ran.stdout)


def check_fleet(files: Files, *, thorough: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="hostiso-fuzz-") as tmp:
        root = Path(tmp)
        stems = write(root, files)
        build = hostiso(root, "build", "--format", "text")
        check_run(build, "build")
        assert build.stdout == ""
        problems = parse_report(build.stderr)
        errors = [p for p in problems if p.severity == "error"]
        assert (build.rc == 1) == bool(errors), build.stderr
        stopped = {h for p in errors for h in p.hosts}
        built = {p.stem for p in (root / "out").glob("*.iso")} if (root / "out").is_dir() else set()
        assert not built & stopped, f"built with errors: {built & stopped}\n{build.stderr}"
        assert built <= set(stems)
        if build.rc == 0:
            assert built == set(stems), build.stderr
        lint = hostiso(root, "lint", "--format", "json")
        check_run(lint, "lint")
        found = json.loads(lint.stdout)
        assert lint.stderr == ""
        assert (lint.rc == 1) == any(d["severity"] == "error" for d in found)
        assert lint.rc == build.rc, f"lint {lint.rc}, build {build.rc}\n{build.stderr}"
        if thorough:
            check_other_commands(root, stems)


@QUICK
@given(files=fleets())
def test_fuzz(files: Files) -> None:
    check_fleet(files)


@pytest.mark.fuzz
@LONG
@given(files=fleets())
def test_fuzz_long(files: Files) -> None:
    check_fleet(files, thorough=True)


def test_the_base_fleet_builds() -> None:
    """The fleet every example starts from is clean: every error is the mutation's."""
    from fuzz_fleets import BASE

    with tempfile.TemporaryDirectory(prefix="hostiso-fuzz-") as tmp:
        root = Path(tmp)
        stems = write(root, {k: v.encode() for k, v in BASE.items()})
        build = hostiso(root, "build")
        assert (build.rc, build.stderr) == (0, "")
        assert {p.stem for p in (root / "out").glob("*.iso")} == set(stems)
