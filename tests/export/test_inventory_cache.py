"""``hostiso inventory`` prints the same bytes whichever cache it starts from.

Cold (no ``build/``), after ``hostiso build`` (the build's cache), after
``hostiso lint`` (lint's), after another inventory, after an edit, and with
every cache damaged: stdout, stderr and the exit code equal those of a cold
run on a fresh copy of the fleet.  The fleet has etcd members with TLS (a
build issues their certificates, a lint never does), a flannel client, a
host with inventory variables and, in some cases, a host with an error.
"""

from __future__ import annotations

import marshal
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import LOGIN, run, tls_fleet, write_fleet
from hostiso.load.fleet import Layout
from hostiso.pipeline import cache, records, store
from hostiso.pipeline.inventory import inventory

MAPPING = "inventory:\n  groups: {etcd: kube_control_plane, worker: kube_node}\n"
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}
Result = tuple[int, str, str]


def fleet(root: Path, *, broken: bool = False) -> Path:
    tls_fleet(root, MAPPING)
    extra = {
        "configs/w-2.yaml": "groups: [worker]\nnetwork:\n  addresses: [10.0.0.22/24]\n"
        "inventory: {vars: {rack: '{{ host.name }}-r1', zone: 3}}\n",
        "overlays/worker.yaml": "storage: {files: [{path: /etc/w, contents: {inline: w}}]}\n",
    }
    if broken:  # an address w-1 already has: both stopped by the fleet checks
        extra["configs/w-3.yaml"] = "network:\n  addresses: [10.0.0.21/24]\n"
    return write_fleet(root, extra)


def listing(root: Path) -> Result:
    return run(["inventory", "--list", "--partial"], root, env=EPOCH)


def linting(root: Path) -> Result:
    return run(["lint"], root, env=EPOCH)


def cold(root: Path, tmp: Path, command: Callable[[Path], Result] = listing) -> Result:
    """The inventory (or ``command``) of a fresh copy of ``root``'s inputs (no build/)."""
    copy = tmp / f"cold-{len(list(tmp.iterdir()))}"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("build", "out"))
    return command(copy)


def loaded(root: Path) -> int:
    """How many hosts an inventory run loads (the rest come from a cache)."""
    counts = [0]

    def hook(stage: str, done: int, total: int) -> None:
        if stage == "load":
            counts[0] = max(counts[0], total)

    inventory(Layout(root), partial=True, jobs=1, hook=hook)
    return counts[0]


def edit_worker(root: Path) -> None:
    with (root / "configs/w-2.yaml").open("a") as fh:
        fh.write("hostname: w-2b\n")


STEPS: dict[str, Callable[[Path], object]] = {
    "build": lambda root: run(["build"], root, env=EPOCH),
    "lint": linting,
    "inventory": listing,
    "edit": edit_worker,
}


@pytest.mark.parametrize("broken", [False, True])
@pytest.mark.parametrize(
    "steps",
    [
        [],
        ["build"],
        ["lint"],
        ["inventory"],
        ["build", "edit"],
        ["lint", "edit"],
        ["inventory", "edit"],
        ["build", "lint", "edit", "inventory"],
    ],
    ids=lambda steps: "-".join(steps) or "cold",
)
def test_the_same_bytes_from_every_cache(tmp_path: Path, steps: list[str], broken: bool) -> None:
    root = fleet(tmp_path / "fleet", broken=broken)
    for step in steps:
        STEPS[step](root)
    found = listing(root)
    assert found == cold(root, tmp_path)
    assert found[0] == (1 if broken else 0)
    assert listing(root) == found  # and again, from the cache this run left
    assert linting(root) == cold(root, tmp_path, linting)  # and lint from it


def plain_fleet(root: Path) -> Path:
    files = {
        "overlays/all.yaml": LOGIN + "network: {interface: eth0}\n" + MAPPING,
        "overlays/worker.yaml": "vars: {role: w}\n",
    }
    for i in range(4):
        net = f"network: {{addresses: [10.0.0.{i + 10}/24]}}\n"
        files[f"configs/w-{i}.yaml"] = "groups: [worker]\n" + net
    return write_fleet(root, files)


def test_after_a_build_no_host_is_loaded(tmp_path: Path) -> None:
    root = plain_fleet(tmp_path / "fleet")
    assert run(["build"], root)[0] == 0
    assert loaded(root) == 0
    edit = root / "configs/w-1.yaml"
    edit.write_text(edit.read_text() + "inventory: {vars: {x: 1}}\n")
    assert loaded(root) == 1
    assert listing(root) == cold(root, tmp_path)


def renewals(root: Path) -> dict[str, float]:
    """The renewal date of every entry in lint's cache, by host file stem."""
    path = store.cache_path(root / "build", "lint-pinned")
    body = cache.load(path, store.header("lint-pinned"))
    assert body is not None
    return {stem: records.entry_of(raw).until for stem, raw in body["hosts"].items()}  # type: ignore[union-attr]


def test_hosts_with_certificates(tmp_path: Path) -> None:
    """A build compiled them with their certificates, a lint checks them without:
    their warnings may differ, not their errors nor their inventory records.  An
    inventory takes the build's entries, a lint checks those hosts again."""
    root = fleet(tmp_path / "fleet")
    assert run(["build"], root)[0] == 0
    assert loaded(root) == 3  # the etcd members, always
    assert all(until < float("inf") for until in renewals(root).values())  # the build's
    assert linting(root) == cold(root, tmp_path, linting)
    assert renewals(root) == {"w-1": float("inf"), "w-2": float("inf")}  # lint's own
    assert listing(root) == cold(root, tmp_path)


def test_a_fresh_checkout_gets_a_cache(tmp_path: Path) -> None:
    root = plain_fleet(tmp_path / "fleet")
    assert loaded(root) == 4
    assert (root / "build").is_dir()
    assert loaded(root) == 0


def test_a_read_only_fleet_still_gets_its_inventory(tmp_path: Path) -> None:
    root = plain_fleet(tmp_path / "fleet")
    expected = cold(root, tmp_path)
    os.chmod(root, 0o555)
    try:
        assert listing(root) == expected
        assert not (root / "build").exists() or os.geteuid() == 0
    finally:
        os.chmod(root, 0o755)


def _caches(root: Path) -> list[Path]:
    found = sorted((root / "build").glob(f"{store.CACHE_PREFIX}*"))
    assert found, "no cache to damage"
    return found


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))


def _foreign(path: Path) -> None:
    data = path.read_bytes().replace(b" ", b" 0", 1)
    path.write_bytes(data)


def _readable(path: Path) -> None:
    path.chmod(0o644)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _records(extra: bytes) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        """A sound cache whose entries lack the inventory's record, or have a damaged one."""
        header = path.read_bytes().split(b"\n")[1].decode()
        body = cache.load(path, header)
        assert body is not None
        for stem, raw in body["hosts"].items():
            entry = records.entry_of(raw)
            assert entry is not None
            body["hosts"][stem] = tuple(entry._replace(extra=extra))
        cache.save(path, header, body)

    return damage


_no_records, _no_record = _records(marshal.dumps(None)), _records(marshal.dumps({}))
_bad_record = _records(b"\xff garbage")
DAMAGE = [_truncate, _flip, _foreign, _readable, _empty, _directory]
DAMAGE += [_no_records, _no_record, _bad_record]


@pytest.mark.parametrize("damage", DAMAGE, ids=range(len(DAMAGE)))
def test_a_damaged_cache_is_never_trusted(tmp_path: Path, damage: Callable[[Path], None]) -> None:
    root = fleet(tmp_path / "fleet")
    run(["build"], root, env=EPOCH)
    listing(root)
    edit_worker(root)
    for path in _caches(root):
        damage(path)
    assert listing(root) == cold(root, tmp_path)
    assert listing(root) == cold(root, tmp_path)


def _signature(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def test_an_unchanged_fleet_leaves_the_cache_as_it_was(tmp_path: Path) -> None:
    """No 10 MB rewrite per run; but a removed host is news (its readers change)."""
    root = plain_fleet(tmp_path / "fleet")
    listing(root)
    path = store.cache_path(root / "build", "lint-pinned")
    deadline = time.monotonic() + 120  # files written just now are hashed again for 2 s
    while True:
        before = _signature(path)
        listing(root)
        if _signature(path) == before:
            break
        assert time.monotonic() < deadline, "the cache is rewritten on every run"
        time.sleep(0.5)
    (root / "configs/w-3.yaml").unlink()
    assert listing(root) == cold(root, tmp_path)
    assert _signature(path) != before
