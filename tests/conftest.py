"""Shared helpers: small fleets written into tmp_path, the CLI run in-process."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from hostiso import cli

REPO = Path(__file__).resolve().parent.parent

needs_isoinfo = pytest.mark.skipif(
    shutil.which("isoinfo") is None, reason="isoinfo (Debian genisoimage) is not installed"
)
needs_xorriso = pytest.mark.skipif(shutil.which("xorriso") is None, reason="xorriso is missing")

# No per-example deadline and no "too slow" health check: on a loaded CI machine
# (2 cores shared with QEMU boots) an example's wall time says nothing about
# the code; what an example asserts is unchanged.
settings.register_profile("hostiso", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("hostiso")

# Variables that change how the CLI reports or stamps; tests set them explicitly.
_SCRUBBED_ENV = ("GITHUB_ACTIONS", "NO_COLOR", "SOURCE_DATE_EPOCH")

_HEAD = re.compile(r"^\S+:\d+:\d+: (error|warning): ")

SSH_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBJv5RvDoHOF7k93AMhnKTiy7cVnTf59Ljd4YO3Fy0rR "
    "operator@example"
)
PASSWORD_HASH = (
    "$6$hostisoexample01$NRlJEWqY2AcgL6m9K2SPZZbo0a8N/fRdJIsTPMVQgWffBYtvXLYlO2g9grT6gQs"
    "HdqTe8LTpQvs5tLqw76XWP."
)

KEYS = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMehzlqVhuiZfHeBg1OewCO0Q94PIAVbheHVlt+Kq3GQ "
    "user1@example",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG+5VHPiQIU7FgiYeL60Xr8kLQEvdQYRm2pN6dGoo0/f "
    "user2@example",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICwxlyibAfIAtk8GCtXo5n/sVlnB0Qg6e8x+z9dixqlP "
    "user3@example",
)
LOGIN = f"passwd:\n  users:\n    - name: core\n      ssh_authorized_keys:\n        - {SSH_KEY}\n"
"""An overlay (or the top of a host file) that lets ``core`` log in: without one,
every host gets the ``no-login`` warning."""
CORE: dict[str, Any] = {"name": "core", "sshAuthorizedKeys": [SSH_KEY]}
"""``core`` from :data:`LOGIN`, in Ignition."""


def installer_guest() -> ModuleType:
    """tests/kernel/installer_guest.py (the stand-in Flatcar ISO, its guest and
    QEMU runner), loaded once for every test file that needs it."""
    if "installer_guest" not in sys.modules:
        path = Path(__file__).resolve().parent / "kernel" / "installer_guest.py"
        spec = importlib.util.spec_from_file_location("installer_guest", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["installer_guest"] = module
        spec.loader.exec_module(module)
    return sys.modules["installer_guest"]


def write_fleet(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root``; return ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@contextlib.contextmanager
def _environment(env: Mapping[str, str] | None) -> Iterator[None]:
    saved = dict(os.environ)
    try:
        for name in _SCRUBBED_ENV:
            os.environ.pop(name, None)
        os.environ.update(env or {})
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(
    argv: list[str],
    cwd: Path,
    *,
    stdin: str = "",
    env: Mapping[str, str] | None = None,
) -> tuple[int, str, str]:
    """``hostiso ARGV`` in-process, in ``cwd``: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), _environment(env):
        rc = cli.main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def heads(stderr: str) -> list[str]:
    """The first line of each diagnostic: ``FILE:LINE:COL: error: MESSAGE [code]``."""
    return [line for line in stderr.splitlines() if _HEAD.match(line)]


def load_ign(root: Path, host: str) -> Any:
    return json.loads((root / "build" / f"{host}.ign").read_text(encoding="utf-8"))


def outputs(root: Path, host: str) -> list[Path]:
    """The files a successful build leaves for ``host`` (the depfile is always written)."""
    return [root / "build" / f"{host}.ign", root / "out" / f"{host}.iso"]


def hostname_file(name: str) -> dict[str, Any]:
    """``/etc/hostname`` as the ``hostname:`` shorthand writes it, in Ignition 2.3.0."""
    return {
        "filesystem": "root",
        "path": "/etc/hostname",
        "contents": {"source": f"data:,{name}%0A", "verification": {}},
        "mode": 0o644,
    }


EMPTY_IGNITION: dict[str, Any] = {
    "config": {},
    "security": {"tls": {}},
    "timeouts": {},
    "version": "2.3.0",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: runs make or extra processes (a few seconds)")
    config.addinivalue_line(
        "markers", "kernel: boots a Linux kernel under QEMU to mount ISOs (tests/kernel/)"
    )


def build_ok(root: Path, *hosts: str, env: Mapping[str, str] | None = None) -> None:
    """``hostiso build [HOST...]`` succeeds without a word."""
    rc, out, err = run(["build", *hosts], root, env=env)
    assert (rc, out, err) == (0, "", ""), err


# An etcd fleet with TLS, shared by the etcd TLS, secrets and no-leak tests.
MEMBERS = ("ctl-1", "ctl-2", "ctl-3")
CORE_KEY_LOGIN = f'passwd:\n  users:\n    - name: core\n      ssh_authorized_keys: ["{SSH_KEY}"]\n'


def tls_fleet(root: Path, all_yaml: str = "") -> Path:
    files = {
        "overlays/all.yaml": CORE_KEY_LOGIN + "network: {interface: eth0}\nflannel: ~\n" + all_yaml,
        "configs/w-1.yaml": "network:\n  addresses: [10.0.0.21/24]\n",
    }
    for i, host in enumerate(MEMBERS, 1):
        files[f"configs/{host}.yaml"] = f"groups: [etcd]\nnetwork:\n  addresses: [10.0.0.1{i}/24]\n"
    return write_fleet(root, files)
