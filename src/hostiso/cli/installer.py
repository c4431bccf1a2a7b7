"""``hostiso installer --base ISO [--image IMAGE] [--image-key KEYRING] [-o OUT] [HOST...]``.

One bootable ISO that installs every host given (all by default) with no
keyboard: the operator's own Flatcar (or CoreOS) live ISO plus each host's
Ignition config, the OS image and an install script.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

from hostiso.cli.build import add_spec_option
from hostiso.cli.io import (
    CONFIG_EXIT,
    IO,
    USAGE_EXIT,
    add_fleet_options,
    check_root,
    emit,
    make_dirs,
    source_date_epoch,
)

if TYPE_CHECKING:
    from hostiso.media.installer_ahead import Ahead
    from hostiso.pipeline.installer import InstallerResult

HELP = "write one unattended installer ISO for the fleet (or HOST...)"
DEFAULT_OUTPUT = "out/installer.iso"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_fleet_options(p)
    p.add_argument("hosts", nargs="*", metavar="HOST", help="host stems (default: all)")
    p.add_argument(
        "--base",
        required=True,
        metavar="ISO",
        help="flatcar_production_iso_image.iso (or CoreOS's)",
    )
    p.add_argument(
        "--image", metavar="IMAGE", help="flatcar_production_image.bin.bz2 to put on the ISO"
    )
    p.add_argument(
        "--image-key",
        metavar="KEYRING",
        help="check IMAGE.sig with this public key (binary or ASCII-armored) using gpgv",
    )
    p.add_argument("-o", "--output", default=DEFAULT_OUTPUT, metavar="OUT.iso")
    add_spec_option(p)
    p.add_argument("--build-dir", default="build", help="where the image digest cache lives")


def run(args: argparse.Namespace, io: IO) -> int:
    epoch = source_date_epoch(io)
    if epoch is None or not check_root(args.root, io):
        return USAGE_EXIT
    ahead = _ahead(args)
    try:
        return _run(args, io, epoch, ahead)
    finally:
        ahead.close()


def _ahead(args: argparse.Namespace) -> Ahead:
    """The image's digest and copy, started before the pipeline is even imported."""
    from hostiso.media.image import DIGEST_CACHE
    from hostiso.media.installer_ahead import Ahead

    root = FsPath(args.root)
    return Ahead(
        FsPath(args.base),
        FsPath(args.image) if args.image else None,
        FsPath(args.output),
        args.hosts or _host_stems(root / "configs"),
        root / args.build_dir / DIGEST_CACHE,
        FsPath(args.image_key) if args.image_key else None,
    )


def _host_stems(configs: FsPath) -> list[str]:
    """The hosts the installer will likely hold (a wrong guess costs time, not bytes)."""
    try:
        return [n[:-5] for n in os.listdir(configs) if n.endswith(".yaml") and n[0] != "."]
    except OSError:
        return []


def _run(args: argparse.Namespace, io: IO, epoch: int, ahead: Ahead) -> int:
    from hostiso.load.fleet import Layout
    from hostiso.pipeline.installer import InstallerOptions, installer

    root = FsPath(args.root)
    options = InstallerOptions(
        base=FsPath(args.base),
        output=FsPath(args.output),
        image=FsPath(args.image) if args.image else None,
        image_key=FsPath(args.image_key) if args.image_key else None,
        spec=args.spec,
        epoch=epoch,
        build_dir=root / args.build_dir,
        ahead=ahead,
    )
    try:
        make_dirs(options.build_dir)
        result = installer(Layout(root), args.hosts or None, options)
    except OSError as exc:
        io.stderr.write(f"{exc.filename}: error: {exc.strerror}\n")
        return CONFIG_EXIT
    items = emit(result.diagnostics, io, args.format, args.root)
    if result.written is None or any(d.is_error for d in items):
        return CONFIG_EXIT
    _summary(args.output, result, io)
    return 0


def _summary(output: str, result: InstallerResult, io: IO) -> None:
    written = result.written
    assert written is not None
    io.stdout.write(
        f"{output}: {written.size // (1 << 20)} MiB, label {written.label}"
        f" (from {written.base_label or 'an unlabelled ISO'})\n"
    )
    io.stdout.write(f"  hosts ({len(result.hosts)}): {' '.join(result.hosts)}\n")
    if result.image is not None:
        io.stdout.write(f"  image: {result.image.path.name} SHA-512 {result.image.sha512}\n")
    else:
        io.stdout.write("  image: none (the target downloads it: flatcar-install without -f)\n")
