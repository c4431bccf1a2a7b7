"""``hostiso serve [--bind ADDR:PORT]``: out/*.iso and the installer ISO over HTTP.

BMCs fetch virtual media by URL; this is the server on the management
network they fetch from.  It binds the address given (127.0.0.1:8000 by
default: nothing else can reach it until you say where to listen) and runs
until interrupted.  Each request is one line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import time
from collections.abc import Callable
from pathlib import Path as FsPath
from types import FrameType

from hostiso.cli.io import CONFIG_EXIT, IO, USAGE_EXIT
from hostiso.deliver.serve import Catalogue, Server, parse_bind

HELP = "serve out/*.iso and the installer ISO over HTTP, for BMC virtual media"
DEFAULT_BIND = "127.0.0.1:8000"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=".", help="the fleet directory (default: .)")
    p.add_argument(
        "--bind",
        default=DEFAULT_BIND,
        metavar="ADDR:PORT",
        help=f"where to listen (default: {DEFAULT_BIND}; [::1]:8000 for IPv6; port 0: any free)",
    )
    p.add_argument("--out-dir", default="out", help="the ISOs' directory (default: out)")
    p.add_argument(
        "--installer",
        metavar="ISO",
        help="the installer ISO, served as /installer.iso (default: out/installer.iso)",
    )


def run(args: argparse.Namespace, io: IO) -> int:
    address = parse_bind(args.bind)
    if isinstance(address, str):
        io.stderr.write(f"hostiso serve: error: {address}\n")
        return USAGE_EXIT
    root = FsPath(args.root)
    out_dir = root / args.out_dir
    installer = FsPath(args.installer) if args.installer else None
    if installer is not None and not installer.is_file():
        io.stderr.write(f"{installer}: error: --installer: no such file\n")
        return USAGE_EXIT
    if not out_dir.is_dir():
        io.stderr.write(f"{out_dir}: error: no such directory (run `hostiso build` first)\n")
        return CONFIG_EXIT
    catalogue = Catalogue(out_dir, installer)
    try:
        server = Server(address, catalogue, _logger(io))
    except OSError as exc:
        io.stderr.write(f"hostiso serve: error: cannot listen on {args.bind}: {exc.strerror}\n")
        return CONFIG_EXIT
    return _serve(server, catalogue, io)


def _logger(io: IO) -> Callable[[str], None]:
    def log(line: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        io.stderr.write(f"{stamp} {line}\n")
        io.stderr.flush()

    return log


def _serve(server: Server, catalogue: Catalogue, io: IO) -> int:
    host, port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    names = catalogue.names()
    extra = ", installer.iso" if catalogue.installer is not None else ""
    io.stderr.write(
        f"hostiso serve: http://{shown}:{port}/ serves {len(names)} ISOs from "
        f"{catalogue.out_dir}{extra}; Ctrl-C stops\n"
    )
    io.stderr.flush()
    _stop_on_sigterm()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _stop_on_sigterm() -> None:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread (in-process tests)
        signal.signal(signal.SIGTERM, stop)
