"""The installer's slow parts, started with the command while the fleet is loaded.

``hostiso installer`` spends a fixed ~0.25 s of Python (imports, loading,
checking and compiling the fleet) before it can write the ISO, and then the
image takes the time: copying 500 MB, hashing it when it is new, gpgv.  None
of that needs the fleet, so :class:`Ahead` starts it in threads (the kernel
copies, hashlib hashes and gpgv runs without holding Python's lock):

* the image's SHA-512, unless the digest cache holds it; ``gpgv`` with ``--image-key``;
* the ISO's big file data (the base's files and the image) that lies before
  the fleet's own files.  Where it goes depends only on the base, the host
  names and the image's name: pycdlib places the directories first, then the
  files directory by directory, and the index and the configs come after the
  image.  A dry run of the remaster with those names and placeholder configs
  gives the places; the data is copied there into the temporary output file.

The host names are a guess (HOST... or every ``configs/*.yaml``).  The real
write (:func:`hostiso.media.installer.write_installer`) skips each copy it
finds made exactly (same file, unchanged, same offsets and length) and, when
one is not where the real layout puts it, writes the file again from nothing:
the bytes are the same either way, only the time differs.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Generic, TypeVar

from hostiso.media import image as images
from hostiso.media.errors import MediaError

if TYPE_CHECKING:
    from hostiso.media.fastcopy import Copy
    from hostiso.media.installer import Prefilled

MIN_AHEAD = 1 << 20
"""Smaller files are not worth a copy ahead."""
PLACEHOLDER_LABEL = "HOSTISO_00000000"
T = TypeVar("T")


class _Task(Generic[T]):
    """A function run in a thread; :meth:`result` waits and gives its value or raises."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hostiso-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # handed to the thread that asks
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


class Ahead:
    """Started before the fleet is loaded; :meth:`close` always (it removes what is unused)."""

    def __init__(
        self,
        base: Path,
        image: Path | None,
        output: Path,
        stems: Sequence[str],
        cache: Path | None,
        key: Path | None = None,
    ) -> None:
        self._stop = threading.Event()
        self._hash: _Task[tuple[str, str, bool]] | None = None
        self._copies: _Task[Prefilled | None] | None = None
        self._gpgv: images.Gpgv | BaseException | None = None
        if image is not None and image.is_file():
            self._hash = _Task(lambda: _digest(image, cache, self._stop))
            self._gpgv = _gpgv(image, key)
        plan = _plan(base, image, list(stems)) if output.parent.is_dir() else []
        if plan:
            tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
            self._copies = _Task(lambda: _prefill(plan, tmp, self._stop))

    def digest(self) -> tuple[str, str, bool] | None:
        """(stat key, SHA-512, from the cache) of the image, or None: not started."""
        return self._hash.result() if self._hash is not None else None

    def gpgv(self) -> images.Gpgv | None:
        """The signature check started for the image (MediaError if it could not start)."""
        started, self._gpgv = self._gpgv, None
        if isinstance(started, BaseException):
            raise started
        return started

    def prefilled(self) -> Prefilled | None:
        """The temporary output file with the data copied ahead (waits for the copies)."""
        return self._copies.result() if self._copies is not None else None

    def close(self) -> None:
        """Stop what still runs; remove the temporary file unless it became the output."""
        self._stop.set()
        if self._hash is not None:
            with contextlib.suppress(BaseException):
                self._hash.result()
        if isinstance(self._gpgv, images.Gpgv):
            self._gpgv.stop()
        if self._copies is not None:
            with contextlib.suppress(BaseException):
                prefilled = self._copies.result()
                if prefilled is not None:
                    prefilled.path.unlink(missing_ok=True)


def _digest(image: Path, cache: Path | None, stop: threading.Event) -> tuple[str, str, bool]:
    hit = images.cached_sha512(image, cache)
    if hit is not None:
        return images.stat_key(image), hit, True
    key, digest = images.fresh_sha512(image, stop)
    return key, digest, False


def _gpgv(image: Path, key: Path | None) -> images.Gpgv | BaseException | None:
    signature = image.with_name(image.name + ".sig")
    if key is None or not signature.is_file():
        return None
    try:
        return images.Gpgv(image, signature, key)
    except (MediaError, OSError) as exc:
        return exc


# --- the copies ahead --------------------------------------------------------


class _Incomplete(Exception):
    """A copy ahead stopped partway: the file holds bytes no copy accounts for."""


class _Sink:
    """An output file for pycdlib that keeps only its position."""

    def __init__(self) -> None:
        self.pos = 0
        self.end = 0

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.pos, os.SEEK_END: self.end}[whence]
        self.pos = base + offset
        return self.pos

    def tell(self) -> int:
        return self.pos

    def write(self, data: bytes) -> int:
        self.pos += len(data)
        self.end = max(self.end, self.pos)
        return len(data)

    def flush(self) -> None:
        pass


def _plan(base: Path, image: Path | None, stems: list[str]) -> list[tuple[str, Copy]]:
    """The copies to make ahead: (source file, copy); none when the remaster fails.

    Planned in the calling thread, before the pipeline's imports: it takes
    ~15 ms, and in a thread it would share Python's lock with them (the copy
    would start later).
    """
    try:
        return _dry_run(base, image, stems)
    except Exception:  # the real write reports what is wrong
        return []


def _dry_run(base: Path, image: Path | None, stems: list[str]) -> list[tuple[str, Copy]]:
    """The remaster with placeholders, written nowhere: the copies before the index."""
    from hostiso.media import fastcopy, installer

    hosts = [installer.HostEntry(s, "/dev/sda", False, (), b"{}") for s in sorted(set(stems))]
    placeholder = installer.Image(image, "0" * 128) if image is not None else None
    plan: list[tuple[str, Copy]] = []
    with installer.opened(base) as iso:
        installer.assemble(iso, base, hosts, "#\n", placeholder, PLACEHOLDER_LABEL)
        index = iso.get_record(rr_path="/hostiso/index")
        limit = index.extent_location() * installer.SECTOR
        with fastcopy.copying(_planner(limit, plan)):
            iso.write_fp(_Sink(), blocksize=1 << 20)
    return plan


def _planner(
    limit: int, plan: list[tuple[str, Copy]]
) -> Callable[[int, int, BinaryIO, IO[Any]], Generator[int, None, None]]:
    from hostiso.media import fastcopy

    def helper(
        data_length: int, blocksize: int, infp: BinaryIO, outfp: IO[Any]
    ) -> Generator[int, None, None]:
        src, dst = infp.tell(), outfp.tell()
        source = fastcopy.fileno(infp)
        name = getattr(infp, "name", None)
        big = data_length >= MIN_AHEAD and dst + data_length <= limit
        if big and source is not None and isinstance(name, str):
            plan.append((name, fastcopy.Copy(fastcopy.fd_key(source), src, dst, data_length)))
        infp.seek(src + data_length)
        outfp.seek(dst + data_length)
        yield data_length

    return helper


def _prefill(plan: list[tuple[str, Copy]], tmp: Path, stop: threading.Event) -> Prefilled | None:
    """Make the planned copies into a new ``tmp`` (in a thread)."""
    from hostiso.media.fastcopy import Done
    from hostiso.media.installer import Prefilled

    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return None
    try:
        made = [copy for name, copy in plan if _copy(name, copy, fd, stop)]
    except (OSError, _Incomplete):  # bytes no copy accounts for: the write starts anew
        made = []
    finally:
        os.close(fd)
    return Prefilled(tmp, Done(frozenset(made)))


def _copy(name: str, copy: Copy, fd: int, stop: threading.Event) -> bool:
    """Make one copy; False (nothing written) when the file is not the one planned."""
    from hostiso.media import fastcopy

    with open(name, "rb") as f:
        if fastcopy.fd_key(f.fileno()) != copy.source:
            return False
        if fastcopy.copy_range(f.fileno(), fd, copy.length, copy.src, copy.dst, stop):
            raise _Incomplete
    return True
