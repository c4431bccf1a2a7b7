"""Real parts for the Redfish tests: the sushy-tools emulator, a fault proxy, hostiso serve.

* :class:`Emulator` runs ``sushy-emulator`` with its fake driver (no libvirt)
  on 127.0.0.1 and a free port, with N systems and HTTP basic auth from an
  htpasswd file (bcrypt, the only digest it takes); it really downloads every
  image it is given (``requests.get``) into its ``TMPDIR``.
* :class:`Proxy` sits in front of it on 127.0.0.1: it records every request
  (the emulator keeps no ``BootSourceOverrideEnabled``: it always says
  Continuous) and plays a BMC's quirks for the systems it is told to (an
  HTTP 500 once, Supermicro's refusal of ``Inserted``, a BMC that wants
  ``TransferProtocolType``, an old BMC with virtual media under the Manager).
* :func:`start_serve` runs ``hostiso serve`` on 127.0.0.1 and a free port.

Every process is stopped by its pid; every server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LOCAL = "127.0.0.1"
USER, PASSWORD = "admin", "Emul4tor-Pa55"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOCAL, 0))
        return int(s.getsockname()[1])


def system_id(number: int) -> str:
    return str(uuid.UUID(int=number))


STARTUP = 120.0
"""Seconds a server may take to listen: sushy-emulator imports Flask and more,
slowly on a loaded 2-core machine."""
TRIES = 3
"""Servers started on a port :func:`free_port` found: another process may bind
it between that probe and the server's own bind; then a fresh port is tried."""


def wait_port(port: int, proc: subprocess.Popen[Any], seconds: float = STARTUP) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex((LOCAL, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {LOCAL}:{port} after {seconds:g} s")


def listening(
    spawn: Callable[[int], subprocess.Popen[bytes]], log: Callable[[int], Path]
) -> tuple[int, subprocess.Popen[bytes]]:
    """``spawn(port)`` on a free port until it listens: (port, process).

    A process that exits before it listens (the port was taken in between)
    is started again on another port; the failure names the server's log."""
    problem = ""
    for _ in range(TRIES):
        port = free_port()
        proc = spawn(port)
        try:
            wait_port(port, proc)
        except RuntimeError as exc:
            exited = proc.poll() is not None
            stop(proc)
            tail = log(port).read_text(errors="replace")[-2000:] if log(port).exists() else ""
            problem = f"{exc}; {log(port)} ends:\n{tail}"
            if exited:
                continue
            break  # alive but deaf: another try would not help
        else:
            return port, proc
    raise RuntimeError(problem)


def stop(proc: subprocess.Popen[Any]) -> None:
    """Stop a process we started, by its pid: TERM, then KILL."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def emulator_binary() -> str | None:
    here = Path(sys.executable).parent / "sushy-emulator"
    return str(here) if here.exists() else shutil.which("sushy-emulator")


@dataclass
class Emulator:
    """A sushy-tools emulator with ``systems`` fake systems (power: ``powers``)."""

    workdir: Path
    systems: int
    powers: dict[int, str] = field(default_factory=dict)
    tls: tuple[Path, Path] | None = None
    """A certificate and its key: serve HTTPS."""
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{LOCAL}:{self.port}"

    @property
    def downloads(self) -> Path:
        return self.workdir / "downloads"

    def start(self) -> Emulator:
        import bcrypt  # a dependency of sushy-tools

        binary = emulator_binary()
        assert binary is not None, "sushy-tools is a test dependency"
        self.downloads.mkdir(parents=True, exist_ok=True)
        digest = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
        htpasswd = self.workdir / "htpasswd"
        htpasswd.write_text(f"{USER}:{digest}\n")
        env = {**os.environ, "TMPDIR": str(self.downloads)}

        def spawn(port: int) -> subprocess.Popen[bytes]:
            self.port = port
            config = self.workdir / "emulator.conf"
            config.write_text(self._config(htpasswd))
            with self._log(port).open("wb") as log:  # the child keeps its own copy
                return subprocess.Popen(
                    [binary, "--config", str(config)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                )

        self.port, self.proc = listening(spawn, self._log)
        return self

    def _log(self, port: int) -> Path:
        return self.workdir / f"emulator-{port}.log"

    def _config(self, htpasswd: Path) -> str:
        systems = [
            {
                "uuid": system_id(n),
                "name": f"node-{n}",
                "power_state": self.powers.get(n, "Off"),
                "nics": [{"mac": f"52:54:00:00:{n // 256:02x}:{n % 256:02x}"}],
            }
            for n in range(1, self.systems + 1)
        ]
        return (
            f"SUSHY_EMULATOR_LISTEN_IP = {LOCAL!r}\n"
            f"SUSHY_EMULATOR_LISTEN_PORT = {self.port}\n"
            "SUSHY_EMULATOR_FAKE_DRIVER = True\n"
            f"SUSHY_EMULATOR_AUTH_FILE = {str(htpasswd)!r}\n"
            f"SUSHY_EMULATOR_FAKE_SYSTEMS = {systems!r}\n"
            + (
                f"SUSHY_EMULATOR_SSL_CERT = {str(self.tls[0])!r}\n"
                f"SUSHY_EMULATOR_SSL_KEY = {str(self.tls[1])!r}\n"
                if self.tls
                else ""
            )
        )

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)

    def get(self, path: str, *, auth: bool = True) -> tuple[int, Any]:
        """GET a Redfish path straight from the emulator: (status, JSON)."""
        conn = http.client.HTTPConnection(LOCAL, self.port, timeout=60)
        headers = {"Authorization": _basic(USER, PASSWORD)} if auth else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, json.loads(body) if body else None


def _basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- the proxy ----------------------------------------------------------------

QUIRKS = ("fail-once", "no-inserted", "needs-protocol", "manager-vmedia")


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    status: int = 0


class Proxy(ThreadingHTTPServer):
    """Forwards to the emulator; records requests; plays quirks per system id."""

    daemon_threads = True
    request_queue_size = 128  # sushy opens a connection per request, 16 hosts at once

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.quirks: dict[str, set[str]] = {}
        self.records: list[Recorded] = []
        self.lock = threading.Lock()
        super().__init__((LOCAL, 0), _ProxyHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{LOCAL}:{self.server_address[1]}"

    def quirk(self, system: str, name: str) -> None:
        assert name in QUIRKS
        self.quirks.setdefault(system, set()).add(name)

    def requests_for(self, system: str, method: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.records if system in r.path and r.method == method]

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    server: Proxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_PATCH(self) -> None:
        self._forward()

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        record = Recorded(self.command, self.path, body)
        with self.server.lock:
            self.server.records.append(record)
        quirks = self._quirks()
        refusal = _refusal(self.command, self.path, body, quirks, self.server)
        if refusal is not None:
            record.status = refusal[0]
            self._reply(*refusal)
            return
        status, headers, data = self._upstream(raw)
        record.status = status
        if "manager-vmedia" in quirks and self.command == "GET":
            data = _hide_system_vmedia(self.path, data)
        self._reply(status, data, headers)

    def _quirks(self) -> set[str]:
        for system, names in self.server.quirks.items():
            if system in self.path:
                return names
        return set()

    def _upstream(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(LOCAL, self.server.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        conn.request(self.command, self.path, body=raw or None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        kept = {
            k: v
            for k, v in response.getheaders()
            if k.lower() in ("content-type", "www-authenticate")
        }
        conn.close()
        return response.status, kept, data

    def _reply(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {"Content-Type": "application/json"}).items():
            self.send_header(name, value)
        if self.close_connection:  # the client asked for it (sushy does): say so
            self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _error(status: int, message_id: str, message: str, related: list[str]) -> tuple[int, bytes]:
    info = {"MessageId": message_id, "Message": message, "RelatedProperties": related}
    body = {"error": {"code": message_id, "message": message, "@Message.ExtendedInfo": [info]}}
    return status, json.dumps(body).encode()


def _refusal(
    method: str, path: str, body: Any, quirks: set[str], proxy: Proxy
) -> tuple[int, bytes] | None:
    if method != "POST" or not path.endswith("VirtualMedia.InsertMedia"):
        return None
    if "fail-once" in quirks:
        quirks.discard("fail-once")
        return _error(500, "Base.1.8.InternalError", "The BMC is busy", [])
    body = body or {}
    if "no-inserted" in quirks and "Inserted" in body:
        text = "The property Inserted is not in the list of valid properties for the resource."
        return _error(400, "Base.1.8.PropertyUnknown", text, ["#/Inserted"])
    if "needs-protocol" in quirks and "TransferProtocolType" not in body:
        text = "The action requires the parameter TransferProtocolType."
        return _error(400, "Base.1.8.ActionParameterMissing", text, ["#/TransferProtocolType"])
    return None


def _hide_system_vmedia(path: str, data: bytes) -> bytes:
    """An older BMC: the ComputerSystem has no VirtualMedia link (the Manager has)."""
    parts = path.rstrip("/").split("/")
    if len(parts) != 5 or parts[3] != "Systems":
        return data
    document = json.loads(data)
    document.pop("VirtualMedia", None)
    return json.dumps(document).encode()


# --- hostiso serve ------------------------------------------------------------


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{LOCAL}:{self.port}"

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()


def start_serve(root: Path, *extra: str) -> Served:
    """``hostiso serve --bind 127.0.0.1:PORT`` in *root*, as a process."""

    def log(port: int) -> Path:
        return root / f"serve-{port}.log"

    def spawn(port: int) -> subprocess.Popen[bytes]:
        bind = f"{LOCAL}:{port}"
        command = [sys.executable, "-m", "hostiso", "serve", "--bind", bind, *extra]
        with log(port).open("wb") as handle:  # the child keeps its own copy
            return subprocess.Popen(command, cwd=root, stdout=handle, stderr=subprocess.STDOUT)

    port, proc = listening(spawn, log)
    return Served(proc, port, log(port))
