"""Where spec 3 mounts each 2.x filesystem, as Flatcar's converter decides it.

Spec 2.x names filesystems and writes each file *on* one (``filesystem:
oem``, path relative to it); spec 3 mounts filesystems at a ``path`` and
writes files at absolute paths.  Flatcar's converter (flatcar/scripts,
``sys-apps/ignition/files``, ``config/util/translate.go`` ``FSGeneration``)
maps the names like this, and so do we:

* ``root`` is ``/``;
* ``oem`` is ``/usr/share/oem`` (Flatcar's mount stage mounts
  ``/usr/share/oem`` of ``/dev/disk/by-label/OEM`` at ``/oem`` on releases
  where ``/usr/share/oem`` became a link to it);
* every other name is ``/tmp/<name>-ign<k>``, ``k`` counting from 1 over the
  config's filesystems (``oem`` included, ``root`` and repeated names not);
* a filesystem without a name gets no mount point (it is created, not
  mounted), and still takes a number.

A node's spec 3 path is ``path.Join(mount point, path)``, so it comes out
clean (``/etc//x`` is ``/etc/x``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

OEM_MOUNT = "/usr/share/oem"


def mount_points(filesystems: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Filesystem name -> its spec 3 mount point (``root`` always included)."""
    found = {"root": "/"}
    counter = 0
    for fs in filesystems:
        name = str(fs.get("name") or "")
        if name in found:
            continue
        counter += 1
        if name:
            found[name] = OEM_MOUNT if name == "oem" else f"/tmp/{name}-ign{counter}"
    return found


def join(*parts: str) -> str:
    """Go's ``path.Join``: join with ``/`` and clean; absolute when the first part is."""
    text = "/".join(p for p in parts if p)
    if not text:
        return ""
    rooted = text.startswith("/")
    out: list[str] = []
    for part in text.split("/"):
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append(part)
        elif part not in ("", "."):
            out.append(part)
    joined = "/".join(out)
    return "/" + joined if rooted else (joined or ".")
