"""Time ``hostiso installer`` against ``cp`` of the same image: ``python bench/bench_installer.py``.

Options: ``--size MB`` (500), ``--hosts N`` (20), ``--runs N`` (3), ``--base-mb MB``
(0: a base ISO of 1 MB; Flatcar's is about 400 MB), ``--signed``.  In one
temporary directory on one filesystem it makes a random (incompressible)
image of SIZE MB, a stand-in base ISO (tests/kernel/installer_guest.py: Debian's
isolinux, Flatcar's layout) and a fleet of N hosts, then alternates, RUNS times:

* ``cp IMAGE COPY`` and ``cp ISO COPY`` (the image; all the bytes of the installer ISO);
* ``write_installer`` alone, timed inside a Python process (the remaster: no
  start-up, imports or fleet; the part that grows with the image);
* ``hostiso installer`` with the image digest cached (the digest of an unchanged
  image is kept in build/: every rebuild of the installer);
* ``hostiso installer`` with the cache removed (the first build with a new
  image: it hashes the image, SHA-512, before copying it);
* with ``--signed`` and gpg: the same with ``IMAGE.sig`` checked by gpgv.

Every run writes a new file (earlier outputs are removed, untimed: replacing a
500 MB file costs ext4 a writeback).  Each figure is the median; peak RSS is
each process's own (``wait4``).
Budget: at most 2x ``cp`` of the same bytes (the ISO's), and under 150 MB of
memory.  The hostiso process adds a fixed ~0.25 s (Python start-up, the
pipeline's imports, loading and compiling the fleet) that does not grow with
the image; the remaster itself copies like ``cp`` (copy_file_range).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOSTISO = REPO / ".venv" / "bin" / "hostiso"
RSS_BUDGET_MB = 150
RATIO_BUDGET = 2.0


@dataclass
class Figure:
    name: str
    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed")
    return seconds, usage.ru_maxrss / 1024


def guest() -> object:
    path = REPO / "tests" / "kernel" / "installer_guest.py"
    spec = importlib.util.spec_from_file_location("installer_guest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["installer_guest"] = module
    spec.loader.exec_module(module)
    return module


def make_fleet(root: Path, hosts: int) -> Path:
    fleet = root / "fleet"
    (fleet / "configs").mkdir(parents=True)
    (fleet / "overlays").mkdir()
    (fleet / "overlays" / "all.yaml").write_text(
        "passwd:\n  users:\n    - name: core\n      ssh_authorized_keys:\n"
        "        - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBJv5RvDoHOF7k93AMhnKTiy7cVnTf59Ljd4YO3Fy0rR"
        " operator@example\n"
        "network: {interface: eth0}\ninstall: {device: /dev/sda}\n"
    )
    for n in range(hosts):
        (fleet / "configs" / f"node-{n:03d}.yaml").write_text(
            f"network: {{addresses: [10.0.{n // 250}.{n % 250 + 2}/16]}}\n"
            f"install: {{match: {{mac: '52:54:00:00:{n // 256:02x}:{n % 256:02x}'}}}}\n"
        )
    return fleet


def random_file(path: Path, megabytes: int) -> None:
    with path.open("wb") as f:
        for _ in range(megabytes):
            f.write(os.urandom(1 << 20))


def sign(root: Path, image: Path) -> Path | None:
    if shutil.which("gpg") is None or shutil.which("gpgv") is None:
        return None
    home = root / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    gen = ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Bench <b@example.invalid>"]
    subprocess.run([*gen, "rsa2048", "sign", "never"], env=env, check=True, capture_output=True)
    key = root / "key.asc"
    export = ["gpg", "--batch", "--armor", "--export"]
    key.write_bytes(subprocess.run(export, env=env, check=True, capture_output=True).stdout)
    sig = ["gpg", "--batch", "--detach-sign", "-o", f"{image}.sig", str(image)]
    subprocess.run(sig, env=env, check=True, capture_output=True)
    return key


def remaster_only(base: str, image: str, out: str) -> int:
    """Child mode: time write_installer alone (no start-up, no fleet), print seconds."""
    sys.path.insert(0, str(REPO / "src"))
    from hostiso.media.image import stat_key
    from hostiso.media.installer import HostEntry, Image, write_installer

    ident = (("mac", "52:54:00:00:00:01"),)
    hosts = [HostEntry(f"h{n}", "/dev/sda", False, ident, b"{}") for n in range(1)]
    start = time.perf_counter()
    write_installer(
        Path(base), hosts, Image(Path(image), "0" * 128, stat_key(Path(image))), Path(out), 1
    )
    print(time.perf_counter() - start)
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--remaster-only"]:
        return remaster_only(*sys.argv[2:5])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=500, help="image size in MB (500)")
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument(
        "--base-mb", type=int, default=0, help="pad the stand-in base ISO (Flatcar's is ~400 MB)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--signed", action="store_true", help="also time the gpgv check")
    args = parser.parse_args()
    g = guest()
    with tempfile.TemporaryDirectory(prefix="hostiso-bench-installer-") as tmp:
        root = Path(tmp)
        base = g.dummy_base_iso(g.find_iso_parts(), root, args.base_mb << 20)  # type: ignore[attr-defined]
        image = root / "flatcar_production_image.bin.bz2"
        random_file(image, args.size)
        fleet = make_fleet(root, args.hosts)
        key = sign(root, image) if args.signed else None
        figures = run(args.runs, fleet, base, image, key)
        report(figures, args, base.stat().st_size)
    return 0


def run(runs: int, fleet: Path, base: Path, image: Path, key: Path | None) -> list[Figure]:
    """Every run writes a new file: earlier outputs are removed first, untimed."""
    # As installed (pip compiles bytecode): with PYTHONDONTWRITEBYTECODE set, every
    # run would compile hostiso's 90 modules again (~0.4 s).
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    names = ("cp IMAGE", "cp ISO", "remaster only", "installer", "installer, new image")
    cp_image, cp_iso, remaster, warm, cold = (Figure(n) for n in names)
    signed = Figure("installer, gpgv")
    argv = [str(HOSTISO), "installer", "--base", str(base), "--image", str(image)]
    iso = fleet / "out" / "installer.iso"
    cache = fleet / "build" / ".installer-image-digests"
    timed(argv, fleet, env)  # warm-up: page cache, digest cache, etcd CA
    reference = fleet / "reference.iso"
    iso.rename(reference)
    copy = fleet / "copy.bin"
    for _ in range(runs):
        _add(cp_image, timed(["cp", str(image), str(copy)], fleet))
        copy.unlink()
        _add(cp_iso, timed(["cp", str(reference), str(copy)], fleet))
        copy.unlink()
        child = [sys.executable, __file__, "--remaster-only", str(base), str(image), str(copy)]
        seconds = subprocess.run(child, check=True, capture_output=True, text=True).stdout
        remaster.seconds.append(float(seconds))
        copy.unlink()
        _add(warm, timed(argv, fleet, env))
        iso.unlink()
        cache.unlink()
        _add(cold, timed(argv, fleet, env))
        iso.unlink()
        if key is not None:
            _add(signed, timed([*argv, "--image-key", str(key)], fleet, env))
            iso.unlink()
    iso.write_bytes(b"")
    return [f for f in (cp_image, cp_iso, remaster, warm, cold, signed) if f.seconds]


def _add(figure: Figure, measured: tuple[float, float]) -> None:
    figure.seconds.append(measured[0])
    figure.rss_mb.append(measured[1])


def report(figures: list[Figure], args: argparse.Namespace, base_size: int) -> None:
    cp_image, cp_iso = figures[0].median, figures[1].median
    print(
        f"image {args.size} MB (random), base ISO {base_size >> 20} MB, {args.hosts} hosts, "
        f"median of {args.runs} runs"
    )
    print(f"{'':22} {'seconds':>8} {'x cp IMAGE':>11} {'x cp ISO':>9} {'peak RSS MB':>12}")
    for f in figures:
        rss = f"{max(f.rss_mb):12.1f}" if f.rss_mb else f"{'-':>12}"
        ratios = f"{f.median / cp_image:11.2f} {f.median / cp_iso:9.2f}"
        print(f"{f.name:22} {f.median:8.3f} {ratios} {rss}")
    warm = next(f for f in figures if f.name == "installer")
    remaster = next(f for f in figures if f.name == "remaster only")
    rss_ok = all(max(f.rss_mb) < RSS_BUDGET_MB for f in figures if f.name.startswith("installer"))
    print(
        f"budget ({RATIO_BUDGET}x cp of the same bytes, the ISO's): "
        f"installer {_verdict(warm.median <= RATIO_BUDGET * cp_iso)}, "
        f"remaster {_verdict(remaster.median <= RATIO_BUDGET * cp_iso)}; "
        f"peak RSS < {RSS_BUDGET_MB} MB: {_verdict(rss_ok)}"
    )


def _verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


if __name__ == "__main__":
    sys.exit(main())
