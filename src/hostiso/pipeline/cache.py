"""The build cache: one file per kind of run, ``build/.cache-KIND``.

A cache file is a header (format, the tool's digest, the kind of run), a
marshalled body and the SHA-256 of both.  It is only ever an optimisation:
a file that is missing, truncated, corrupt, of another version or tool, not
a regular file, not ours or readable by others is ignored (the build then
starts cold) and replaced by the next build.  Files are written to a temp
file and renamed (mode 0600), so a build killed at any point leaves the old
cache or the new one.  Nothing secret is stored: records hold paths, marks,
addresses, messages and digests; password hashes and keys stay in the
outputs, and diagnostics never quote them.

Input files are remembered by their stat signature and content digest, like
git's index: a file whose size, mtime, ctime and inode are unchanged is not
read again, unless it was modified so recently before it was recorded that a
later write could have kept its mtime ("racy"), in which case it is hashed.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hostiso.util import fsutil

FORMAT = 2
MAGIC = b"hostiso-cache\n"
RACY_NS = 2_000_000_000
"""A file modified less than this before it was recorded is hashed again next time."""
MISSING = "-"


def tool_digest() -> str:
    """A digest of this hostiso's own sources: another version never reads our cache.

    Sources are known by their stat signature (name, size, mtime, inode), as
    input files are: reading 200 files on every run would cost more than the
    rest of a one-host rebuild."""
    import hostiso

    root = os.path.dirname(hostiso.__file__)
    h = hashlib.sha256(f"{FORMAT} {hostiso.__version__} {root}".encode())
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(f for f in filenames if f.endswith(".py")):
            st = os.stat(os.path.join(dirpath, name))
            rel = f"{dirpath[len(root) :]}/{name}"
            h.update(f"{rel} {st.st_size} {st.st_mtime_ns} {st.st_ino}\n".encode())
    return h.hexdigest()[:32]


def load(path: Path, header: str) -> dict[str, Any] | None:
    """The cached body, or None when there is no usable cache."""
    data = _read_own(path)
    if data is None or not data.startswith(MAGIC):
        return None
    view = memoryview(data)
    end = data.find(b"\n", len(MAGIC))
    if end < 0 or data[len(MAGIC) : end].decode("ascii", "replace") != header:
        return None
    if len(data) < end + 1 + 32 or hashlib.sha256(view[:-32]).digest() != bytes(view[-32:]):
        return None
    try:
        value = marshal.loads(view[end + 1 : -32])
    except (EOFError, ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def _read_own(path: Path) -> bytes | None:
    """The file's bytes if it is a regular file of ours that nobody else can read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def save(path: Path, header: str, body: dict[str, Any]) -> None:
    """Write the cache atomically (mode 0600); a failure only loses the cache."""
    payload = MAGIC + header.encode("ascii") + b"\n" + marshal.dumps(body)
    payload += hashlib.sha256(payload).digest()
    with contextlib.suppress(OSError):
        fsutil.write_private(path, payload)


def remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


Signature = tuple[int, int, int, int]


@dataclass
class Files:
    """Content digests of input files, by path relative to the fleet root."""

    root: str
    known: dict[str, tuple[Signature | None, str]] = field(default_factory=dict)
    """path -> (trusted stat signature or None when racy, digest)."""
    now: dict[str, str] = field(default_factory=dict)
    hashed: int = 0
    """How many files this run read to hash them (new, changed or racy ones)."""

    def digest(self, rel: str) -> str:
        found = self.now.get(rel)
        if found is None:
            found = self.now[rel] = sys.intern(self._digest(rel))
        return found

    def _digest(self, rel: str) -> str:
        path = rel if self.root == "." else f"{self.root}/{rel}"
        try:
            st = os.stat(path)
        except OSError:
            self.known[rel] = (None, MISSING)
            return MISSING
        sig = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        old = self.known.get(rel)
        if old is not None and old[0] == sig:
            return old[1]
        digest = _hash(path) if stat.S_ISREG(st.st_mode) else f"mode:{st.st_mode:o}"
        self.hashed += 1
        racy = max(st.st_mtime_ns, st.st_ctime_ns) > _now_ns() - RACY_NS
        self.known[rel] = (None if racy else sig, digest)
        return digest

    def same(self, inputs: tuple[str, ...], digests: tuple[str, ...]) -> bool:
        """Every input still has the digest it had (one stat per file per run)."""
        try:
            found = tuple(map(self.now.__getitem__, inputs))
        except KeyError:  # not in :meth:`digest_all`'s paths
            found = tuple(map(self.digest, inputs))
        return found == digests

    def digest_all(self, paths: Iterable[str]) -> None:
        """Digest every path not digested yet in this run: a 10,000-host fleet's
        hosts share their overlays, so each file is looked at once, and
        :meth:`same` is then one look-up per input."""
        now = self.now
        for rel in paths:
            if rel not in now:
                self.digest(rel)

    def dump(self) -> dict[str, Any]:
        return {k: v for k, v in self.known.items() if k in self.now}


def _now_ns() -> int:
    import time

    return time.time_ns()


def _hash(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()[:32]
    except OSError:
        return MISSING


def output_signature(path: Path) -> int | None:
    """An output's inode, None when it is not a regular file: outputs are written
    by rename, so a new file has a new inode (dates are left out: make's users
    re-date outputs)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_ino if stat.S_ISREG(st.st_mode) else None


def output_inodes(directory: Path) -> dict[str, int]:
    """:func:`output_signature` of every regular file in ``directory``, by name,
    from one directory listing (no stat per file)."""
    try:
        with os.scandir(directory) as entries:
            return {e.name: e.inode() for e in entries if e.is_file(follow_symlinks=False)}
    except OSError:
        return {}
