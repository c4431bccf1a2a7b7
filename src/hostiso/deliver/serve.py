"""``hostiso serve``: the ISOs over HTTP, for BMCs that fetch virtual media by URL.

Only GET and HEAD of ``/NAME.iso`` are answered, where ``NAME.iso`` is a
regular file directly in ``out/`` (opened relative to the directory, never
through a symbolic link) or ``/installer.iso``, the installer ISO.  Nothing
else is served: no listing, no other file, no path with a ``/`` in its name.
Range requests follow :mod:`hostiso.deliver.ranges`.  Every request gets one
log line: client, method, file, range, status, bytes sent.

Files are sent with ``sendfile(2)``: the server never holds an image in memory.
"""

from __future__ import annotations

import email.utils
import os
import re
import socket
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO

from hostiso.deliver.ranges import ByteRange, Plan, plan

INSTALLER_NAME = "installer.iso"
CONTENT_TYPE = "application/x-iso9660-image"
MAX_CONNECTIONS = 256
"""Connections served at once; more wait in the listen queue."""
IDLE_TIMEOUT = 60.0
"""Seconds a kept-alive connection may stay idle (or a read may stall)."""

_NAME = re.compile(r"^/([A-Za-z0-9_][A-Za-z0-9._-]{0,250}\.iso)$")

Log = Callable[[str], None]


@dataclass(frozen=True)
class Catalogue:
    """Where the served files are: ``out/`` and, optionally, the installer ISO."""

    out_dir: Path
    installer: Path | None = None

    def open(self, url_path: str) -> BinaryIO | None:
        """The file behind *url_path* opened for reading, or None (404)."""
        match = _NAME.match(url_path.split("?", 1)[0])
        if match is None:
            return None
        name = match.group(1)
        if name == INSTALLER_NAME and self.installer is not None:
            return _open_regular(str(self.installer), follow=True)
        return _open_in(self.out_dir, name)

    def names(self) -> list[str]:
        """The ISOs there are now (for the start-up message)."""
        try:
            found = [p.name for p in self.out_dir.iterdir() if _NAME.match("/" + p.name)]
        except OSError:
            found = []
        return sorted(found)


def _open_in(directory: Path, name: str) -> BinaryIO | None:
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        return _open_regular(name, follow=False, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


def _open_regular(path: str, *, follow: bool, dir_fd: int | None = None) -> BinaryIO | None:
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


class Handler(BaseHTTPRequestHandler):
    """One request: GET or HEAD of an ISO, with ranges."""

    protocol_version = "HTTP/1.1"
    server_version = "hostiso"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: Server

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _refuse(self) -> None:
        self._status(HTTPStatus.METHOD_NOT_ALLOWED, {"Allow": "GET, HEAD"})
        self._log("-", 0)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def _answer(self, *, body: bool) -> None:
        handle = self.server.catalogue.open(self.path)
        if handle is None:
            self._status(HTTPStatus.NOT_FOUND, {})
            self._log("-", 0)
            return
        with handle:
            sent = self._send_file(handle, body)
        self._log(self.headers.get("Range") or "-", sent)

    def _send_file(self, handle: BinaryIO, body: bool) -> int:
        info = os.fstat(handle.fileno())
        size, etag = info.st_size, f'"{info.st_size:x}-{info.st_mtime_ns:x}"'
        modified = email.utils.formatdate(info.st_mtime, usegmt=True)
        header = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        chosen = plan(header if if_range in (None, etag, modified) else None, size)
        common = {"Accept-Ranges": "bytes", "ETag": etag, "Last-Modified": modified}
        if chosen.unsatisfiable:
            self._status(
                HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                {**common, "Content-Range": f"bytes */{size}"},
            )
            return 0
        return self._send_plan(handle, chosen, size, common, body)

    def _send_plan(
        self, handle: BinaryIO, chosen: Plan, size: int, common: dict[str, str], body: bool
    ) -> int:
        if chosen.whole:
            self._head(HTTPStatus.OK, {**common, "Content-Type": CONTENT_TYPE}, size)
            return self._copy(handle, ByteRange(0, size - 1)) if body and size else 0
        if len(chosen.ranges) == 1:
            only = chosen.ranges[0]
            extra = {"Content-Type": CONTENT_TYPE, "Content-Range": only.content_range(size)}
            self._head(HTTPStatus.PARTIAL_CONTENT, {**common, **extra}, only.length)
            return self._copy(handle, only) if body else 0
        return self._send_parts(handle, chosen.ranges, size, common, body)

    def _send_parts(
        self,
        handle: BinaryIO,
        ranges: tuple[ByteRange, ...],
        size: int,
        common: dict[str, str],
        body: bool,
    ) -> int:
        boundary = f"hostiso-{os.urandom(12).hex()}"
        heads = [_part_head(boundary, r, size) for r in ranges]
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = sum(len(h) for h in heads) + sum(r.length for r in ranges) + len(tail)
        kind = {"Content-Type": f"multipart/byteranges; boundary={boundary}"}
        self._head(HTTPStatus.PARTIAL_CONTENT, {**common, **kind}, length)
        if not body:
            return 0
        sent = 0
        for head, part in zip(heads, ranges, strict=True):
            self.wfile.write(head)
            sent += self._copy(handle, part)
        self.wfile.write(tail)
        return sent

    def _copy(self, handle: BinaryIO, part: ByteRange) -> int:
        """Send the bytes of *part*; the number of file bytes sent."""
        self.wfile.flush()
        try:
            return int(self.connection.sendfile(handle, part.first, part.length))
        except (OSError, ValueError):
            self.close_connection = True
            return 0

    def _head(self, status: HTTPStatus, headers: dict[str, str], length: int) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _status(self, status: HTTPStatus, headers: dict[str, str]) -> None:
        """A status with no body (errors, 416): headers only, the connection kept."""
        self._head(status, headers, 0)

    def _log(self, what: str, sent: int) -> None:
        name = (getattr(self, "path", "") or "-").split("?", 1)[0]
        method = getattr(self, "command", None) or "-"
        client = self.client_address[0]
        line = f"{client} {method} {name} range={what} {self._code} {sent} bytes"
        self.server.log(line)

    _code = 0

    def send_response(self, code: int, message: str | None = None) -> None:
        self._code = int(code)
        super().send_response(code, message)

    def log_message(self, format: str, *args: object) -> None:
        """Silence http.server's own log: :meth:`_log` writes one line per request."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests: a bare status, logged like the others."""
        self.close_connection = True
        self._status(HTTPStatus(code), {"Connection": "close"})
        self._log("-", 0)


def _part_head(boundary: str, part: ByteRange, size: int) -> bytes:
    return (
        f"\r\n--{boundary}\r\nContent-Type: {CONTENT_TYPE}\r\n"
        f"Content-Range: {part.content_range(size)}\r\n\r\n"
    ).encode()


class Server(ThreadingHTTPServer):
    """A threaded server with a bound on the connections served at once."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], catalogue: Catalogue, log: Log) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.catalogue = catalogue
        self.log = _locked(log)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, Handler)

    def process_request(self, request: object, client_address: object) -> None:
        self._slots.acquire()
        try:
            super().process_request(request, client_address)  # type: ignore[arg-type]
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: object, client_address: object) -> None:
        try:
            super().process_request_thread(request, client_address)  # type: ignore[arg-type]
        finally:
            self._slots.release()


def _locked(log: Log) -> Log:
    lock = threading.Lock()

    def write(line: str) -> None:
        with lock:
            log(line)

    return write


def parse_bind(text: str) -> tuple[str, int] | str:
    """``ADDR:PORT`` (``[::1]:8000`` for IPv6) as a socket address, or why it is not one."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        return f"--bind: '{text}' is not ADDR:PORT (like 127.0.0.1:8000 or [::1]:8000)"
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        return f"--bind: '{text}' has no address; give one (0.0.0.0 only on purpose)"
    return host, int(port)
