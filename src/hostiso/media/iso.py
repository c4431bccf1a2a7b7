"""Config ISO images: ISO 9660 with Rock Ridge 1.09 and Joliet, built with pycdlib.

Every file goes at the root.  Rock Ridge and Joliet carry the name as given
(``config.json``); the plain ISO 9660 name is an interchange-level-1 8.3 form
(``CONFIG.JSO;1``).  Rock Ridge gives each file mode 0400 owned by uid/gid 0:
the target reads the file as root (``coreos-install ... -i /media/config.json``)
and an Ignition config may hold private keys and password hashes, so no other
user needs to read it.  The root directory keeps pycdlib's 0555.

Determinism: pycdlib takes every date (volume descriptors, directory records,
Rock Ridge TF entries) from ``time.time()`` and ``time.localtime()``.  The
modules of pycdlib that import :mod:`time` get a stand-in that, while a build
is running in the current context, returns ``epoch`` for the clock and UTC for
local time (so the GMT offset fields are 0); outside a build it is the real
:mod:`time`.  Nothing else in an image without UDF, El Torito or isohybrid is
random.  An epoch of 0 leaves the volume descriptor dates "not specified" (pycdlib
reads 0.0 that way); directory records then say 1970-01-01.

Speed: pycdlib builds one template image per *layout* (epoch plus each file's
name and size in sectors).  Each image is the template with the label, the
file bytes and the file lengths written in at offsets found in the template
and checked against it.  ``build_iso_direct`` is the plain pycdlib build; the
tests prove the two give the same bytes.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import importlib.util
import io
import os
import re
import struct
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from time import struct_time
from typing import Any

SECTOR = 2048
LABEL_MAX = 16
FILE_MODE = 0o100400
NAME_MAX = 64

_NAME_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_NOT_D_CHAR = re.compile(r"[^A-Z0-9_]")
_HASH_CHARS = 4
_LAST_EPOCH = (
    5_869_583_999  # 2155-12-31T23:59:59Z: directory records store years since 1900 in a byte
)
_PLACEHOLDER_LABEL = "X" * LABEL_MAX
_PVD_LABEL_OFFSET = 16 * SECTOR + 40
_VD_LABEL_OFFSET = 40
_VD_TYPE_SUPPLEMENTARY = 2
_VD_TYPE_TERMINATOR = 255
_DR_LENGTH_OFFSET = 10

_EPOCH: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "hostiso_iso_epoch", default=None
)


# --- labels -----------------------------------------------------------------


def volume_label(name: str) -> str:
    """Return the ISO volume label for a host name.

    Rule: upper-case the name and turn every character outside the ISO 9660
    d-characters (``A-Z``, ``0-9``, ``_``) into ``_``.  A result of at most
    16 characters is the label.  A longer one becomes its first 11 characters,
    ``_``, and the first 4 upper-case hex digits of the SHA-256 of the name as
    given (UTF-8), so two long names with the same first 11 characters still
    differ with probability 1 - 1/65536.  An empty name gives ``CONFIG``.

    >>> volume_label("web-01")
    'WEB_01'
    >>> volume_label("web-01.example.com")  # sha256("web-01.example.com") = 1258...
    'WEB_01_EXAM_1258'
    """
    mapped = _NOT_D_CHAR.sub("_", name.upper())
    if not mapped:
        return "CONFIG"
    if len(mapped) <= LABEL_MAX:
        return mapped
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest().upper()
    keep = LABEL_MAX - 1 - _HASH_CHARS
    return f"{mapped[:keep]}_{digest[:_HASH_CHARS]}"


def validate_label(label: str) -> str | None:
    """Return why ``label`` cannot be a volume label, or None when it can."""
    if not label:
        return "volume label is empty"
    if len(label) > LABEL_MAX:
        return (
            f"volume label {label!r} has {len(label)} characters; at most {LABEL_MAX} are allowed"
        )
    bad = sorted(set(_NOT_D_CHAR.findall(label)))
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"volume label {label!r} may use only A-Z, 0-9 and _, not {shown}"
    return None


# --- building ---------------------------------------------------------------


def build_iso(files: Mapping[str, bytes], label: str, epoch: int) -> bytes:
    """Return the ISO image holding ``files`` at the root, labelled ``label``.

    The bytes depend only on the arguments (and the pycdlib version); every
    date in the image is ``epoch`` (seconds since 1970, UTC).  Raises
    ValueError for an invalid label, file name or epoch value (check labels
    first with :func:`validate_label`), TypeError for an epoch that is no int.
    """
    entries = _check_inputs(files, label, epoch)
    template = _layout_template(epoch, tuple((name, _sectors(len(data))) for name, data in entries))
    if template is None:
        return build_iso_direct(files, label, epoch)
    return template.fill(label, [data for _, data in entries])


def build_iso_direct(files: Mapping[str, bytes], label: str, epoch: int) -> bytes:
    """Return the same image as :func:`build_iso`, built by pycdlib from scratch."""
    entries = _check_inputs(files, label, epoch)
    return _pycdlib_image(entries, label, epoch)[0]


def _check_inputs(files: Mapping[str, bytes], label: str, epoch: int) -> list[tuple[str, bytes]]:
    problem = validate_label(label)
    if problem is not None:
        raise ValueError(problem)
    _check_epoch(epoch)
    for name in files:
        _check_name(name)
    return sorted(files.items())


def _check_epoch(epoch: int) -> None:
    if isinstance(epoch, bool) or not isinstance(epoch, int):
        raise TypeError(f"epoch must be an int, not {type(epoch).__name__}")
    if not 0 <= epoch <= _LAST_EPOCH:
        raise ValueError(f"epoch {epoch} is outside 0..{_LAST_EPOCH} (1970 to 2155)")


def _check_name(name: str) -> None:
    if not (_NAME_RE.fullmatch(name) and len(name) <= NAME_MAX):
        raise ValueError(
            f"file name {name!r} must be 1-{NAME_MAX} characters of A-Z a-z 0-9 . _ - "
            "and not start with '.'"
        )


def _sectors(length: int) -> int:
    return -(-length // SECTOR)


def _iso9660_names(names: list[str]) -> dict[str, str]:
    """Map each name to a unique level-1 ISO 9660 identifier such as ``CONFIG.JSO;1``."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        stem, dot, ext = name.upper().rpartition(".")
        if not dot:
            stem, ext = ext, ""
        stem = _NOT_D_CHAR.sub("_", stem)[:8] or "_"
        ext = _NOT_D_CHAR.sub("_", ext)[:3]
        candidate, number = stem, 0
        while f"{candidate}.{ext}" in taken:
            number += 1
            candidate = stem[: 8 - len(str(number))] + str(number)
        taken.add(f"{candidate}.{ext}")
        result[name] = f"/{candidate}.{ext};1"
    return result


def _pycdlib_image(
    entries: list[tuple[str, bytes]], label: str, epoch: int
) -> tuple[bytes, dict[str, tuple[Any, Any]]]:
    """Build with pycdlib; return the image and each file's (ISO, Joliet) records.

    pycdlib is imported here, not with the module: a run that writes no ISO
    (lint, inventory, a build whose layouts are known) never loads it."""
    import pycdlib

    iso_names = _iso9660_names([name for name, _ in entries])
    iso = pycdlib.PyCdlib()
    out = io.BytesIO()
    with pinned_clock(epoch):
        iso.new(
            interchange_level=1,
            vol_ident=label,
            app_ident_str="HOSTISO",
            rock_ridge="1.09",
            joliet=3,
        )
        for name, data in entries:
            iso.add_fp(
                io.BytesIO(data),
                len(data),
                iso_names[name],
                rr_name=name,
                joliet_path=f"/{name}",
                file_mode=FILE_MODE,
            )
        iso.write_fp(out)
    records = {
        name: (iso.get_record(iso_path=iso_names[name]), iso.get_record(joliet_path=f"/{name}"))
        for name, _ in entries
    }
    iso.close()
    return out.getvalue(), records


# --- the pinned clock -------------------------------------------------------


class _Clock:
    """Stands in for :mod:`time` inside pycdlib; pinned to ``_EPOCH`` when set."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def time(self) -> float:
        epoch = _EPOCH.get()
        return time.time() if epoch is None else float(epoch)

    def localtime(self, secs: float | None = None) -> struct_time:
        epoch = _EPOCH.get()
        if epoch is None:
            return time.localtime(secs)
        return time.gmtime(epoch if secs is None else secs)

    def gmtime(self, secs: float | None = None) -> struct_time:
        epoch = _EPOCH.get()
        return time.gmtime(epoch if secs is None and epoch is not None else secs)


_CLOCK = _Clock()


def _install_clock() -> None:
    """Point every loaded pycdlib module that uses :mod:`time` at the stand-in."""
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("pycdlib.") and getattr(module, "time", None) is time:
            vars(module)["time"] = _CLOCK


@contextlib.contextmanager
def pinned_clock(epoch: int) -> Iterator[None]:
    """Every date pycdlib writes while inside is ``epoch`` (the installer uses it too)."""
    _install_clock()
    token = _EPOCH.set(epoch)
    try:
        yield
    finally:
        _EPOCH.reset(token)


# --- templates --------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    """A pycdlib image of one layout and where its per-image fields lie."""

    image: bytes
    label_offsets: tuple[int, int]  # primary VD (ASCII), Joliet VD (UCS-2)
    extents: tuple[int, ...]  # byte offset of each file's data
    length_offsets: tuple[tuple[int, int], ...]  # ISO and Joliet records' length field

    def fill(self, label: str, contents: list[bytes]) -> bytes:
        buf = bytearray(self.image)
        pvd_at, joliet_at = self.label_offsets
        buf[pvd_at : pvd_at + 32] = _label_field(label, "ascii")
        buf[joliet_at : joliet_at + 32] = _label_field(label, "utf-16_be")
        for data, start, (iso_at, joliet_at) in zip(
            contents, self.extents, self.length_offsets, strict=True
        ):
            buf[start : start + len(data)] = data
            both = _both_endian(len(data))
            buf[iso_at : iso_at + 8] = both
            buf[joliet_at : joliet_at + 8] = both
        return bytes(buf)


def _label_field(label: str, encoding: str) -> bytes:
    return (label.encode(encoding) + " ".encode(encoding) * 32)[:32]


def _both_endian(value: int) -> bytes:
    return struct.pack("<I", value) + struct.pack(">I", value)


@functools.lru_cache(maxsize=64)
def _layout_template(epoch: int, layout: tuple[tuple[str, int], ...]) -> _Template | None:
    """Build the template for a layout (unless an earlier run kept it: see
    :func:`keep_templates`), or None when its fields cannot be located."""
    kept = _KEPT.get((epoch, layout))
    if kept is not None:
        return kept
    entries = [(name, bytes(sectors * SECTOR)) for name, sectors in layout]
    image, records = _pycdlib_image(entries, _PLACEHOLDER_LABEL, epoch)
    try:
        template = _locate(image, [records[name] for name, _ in layout])
    except LookupError:
        return None
    # The fields must already hold what fill() writes for the template's own inputs.
    if template.fill(_PLACEHOLDER_LABEL, [data for _, data in entries]) != image:
        return None
    if len(_KEPT) < KEEP:
        _KEPT[epoch, layout] = template
    return template


def _locate(image: bytes, records: list[tuple[Any, Any]]) -> _Template:
    label_offsets = (_PVD_LABEL_OFFSET, _joliet_vd_offset(image) + _VD_LABEL_OFFSET)
    extents = tuple(iso_rec.extent_location() * SECTOR for iso_rec, _ in records)
    lengths = tuple(
        (_unique_offset(image, iso_rec.record()), _unique_offset(image, joliet_rec.record()))
        for iso_rec, joliet_rec in records
    )
    length_offsets = tuple((a + _DR_LENGTH_OFFSET, b + _DR_LENGTH_OFFSET) for a, b in lengths)
    return _Template(image, label_offsets, extents, length_offsets)


def _joliet_vd_offset(image: bytes) -> int:
    sector = 17
    while (sector + 1) * SECTOR <= len(image):
        kind = image[sector * SECTOR]
        if kind == _VD_TYPE_SUPPLEMENTARY:
            return sector * SECTOR
        if kind == _VD_TYPE_TERMINATOR:
            break
        sector += 1
    raise LookupError("no Joliet volume descriptor")


def _unique_offset(image: bytes, needle: bytes) -> int:
    first = image.find(needle)
    if first < 0 or image.find(needle, first + 1) >= 0:
        raise LookupError("directory record not found exactly once")
    return first


# --- templates kept between runs ---------------------------------------------

KEEP = 8
"""Templates a run keeps for the next (a fleet has one layout or a few)."""
Layout = tuple[tuple[str, int], ...]
_KEPT: dict[tuple[int, Layout], _Template] = {}


def kept_templates() -> tuple[Any, ...]:
    """The templates this process built or was given, as plain data for a build
    cache: the next run writes ISOs without importing pycdlib (with the
    ``logging``, ``uuid`` and ``platform`` modules it pulls in, the largest
    part of a one-host rebuild's start)."""
    templates = (
        (*key, t.image, t.label_offsets, t.extents, t.length_offsets) for key, t in _KEPT.items()
    )
    return (_pycdlib_stamp(), tuple(templates))


def keep_templates(raw: Any) -> None:
    """Use templates :func:`kept_templates` gave, if the same pycdlib made them
    and each is whole; anything else is ignored (they are built again)."""
    if not isinstance(raw, tuple) or len(raw) != 2 or raw[0] != _pycdlib_stamp():
        return
    for item in raw[1] if isinstance(raw[1], tuple) else ():
        with contextlib.suppress(TypeError, ValueError, IndexError, struct.error):
            epoch, layout, image, labels, extents, lengths = item
            template = _Template(image, labels, extents, lengths)
            blank = [bytes(sectors * SECTOR) for _, sectors in layout]
            if len(_KEPT) < KEEP and template.fill(_PLACEHOLDER_LABEL, blank) == image:
                _KEPT[epoch, layout] = template


def _pycdlib_stamp() -> tuple[Any, ...]:
    """Which pycdlib would build the templates (found, not imported)."""
    spec = importlib.util.find_spec("pycdlib")
    origin = spec.origin if spec is not None else None
    try:
        st = os.stat(origin) if origin else None
    except OSError:
        st = None
    return (origin, st.st_size, st.st_mtime_ns, st.st_ino) if st else (origin,)
