"""Host-file sections that only Ignition spec 3 can express.

``storage.luks`` and ``kernel_arguments`` have no 2.x form; the emitters
accept them from the spec version that has them (``hostiso.emit.features``)
and make them an error below it.  Names follow the Container Linux Config's
style (snake_case, ``contents``-like sources), as Butane spells them.
"""

from __future__ import annotations

from typing import Any

from hostiso.load.formats import check_abs_path
from hostiso.load.schema import ListOf, Obj, Scalar


def _s(doc: str = "", **kw: Any) -> Scalar:
    return Scalar(kind="string", doc=doc, **kw)


_BOOL = Scalar(kind="boolean")
_STRS = ListOf(item=_s())
_PATH = _s("absolute path", check=check_abs_path, code="relative-path")
_VERIFICATION = Obj(fields={"hash": Obj(fields={"function": _s(enum=("sha512",)), "sum": _s()})})

_TANG = Obj(
    fields={
        "url": _s("the tang server"),
        "thumbprint": _s(),
        "advertisement": _s("the server's advertisement JSON (spec 3.4.0 and newer)"),
    },
    required=("url",),
)
_CLEVIS = Obj(
    doc="clevis bindings; Flatcar takes them from spec 3.5.0 (docs/spec3.md)",
    fields={
        "tang": ListOf(item=_TANG),
        "tpm2": _BOOL,
        "threshold": Scalar(kind="integer"),
        "custom": Obj(fields={"pin": _s(), "config": _s(), "needs_network": _BOOL}),
    },
)
_KEY_FILE = Obj(
    fields={
        "inline": _s("the key material"),
        "local": _s("a file under the files directory"),
        "remote": Obj(fields={"url": _s(), "verification": _VERIFICATION}),
    }
)

LUKS = Obj(
    doc="an encrypted volume, /dev/mapper/<name> (Ignition spec 3 only)",
    fields={
        "name": _s("the volume's name"),
        "device": _PATH,
        "label": _s(),
        "uuid": _s(),
        "options": _STRS,
        "open_options": ListOf(item=_s(), doc="spec 3.4.0 and newer"),
        "discard": Scalar(kind="boolean", doc="spec 3.4.0 and newer"),
        "wipe_volume": _BOOL,
        "key_file": _KEY_FILE,
        "clevis": _CLEVIS,
        "cex": Obj(fields={"enabled": _BOOL}, doc="IBM CEX secure keys: not on Flatcar"),
    },
    required=("name", "device"),
)
KERNEL_ARGUMENTS = Obj(
    doc="kernel arguments Ignition makes sure of (Ignition spec 3 only)",
    fields={"should_exist": _STRS, "should_not_exist": _STRS},
)
