"""Redfish virtual media: find the CD slot, eject it, insert an image by URL.

Where the slot lives differs by BMC (Redfish allows both): newer firmware
(iDRAC 6.x and later, iDRAC10 only) lists ``VirtualMedia`` under the
ComputerSystem, older BMCs under its Manager.  The System is tried first,
then each Manager, as Ironic does.  The slot is the first whose
``MediaTypes`` has ``CD`` or ``DVD`` and that can take an image.

``InsertMedia`` is sent with ``Image``, ``Inserted: true`` and
``WriteProtected: true``, as the standard describes; then, like sushy's
own fallbacks, the body is adjusted to what the BMC's error says it wants:

* some BMCs require ``TransferProtocolType`` (``HTTP``/``HTTPS`` from the URL);
* some Supermicro boards reject ``Inserted`` and ``WriteProtected``
  ("The property Inserted is not in the list of valid properties"), and iLO 4
  takes ``Image`` only: the two are dropped;
* some require ``TransferMethod: Stream``.

A BMC whose slot has no ``InsertMedia`` action but allows PATCH (Lenovo's
older XClarity) gets sushy's PATCH path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sushy import exceptions as sx
from sushy.connector import Connector
from sushy.resources.manager.virtual_media import VirtualMedia

CD_TYPES = frozenset({"CD", "DVD"})
INSERT_ACTION = "#VirtualMedia.InsertMedia"
MAX_SLOTS = 16
"""Virtual media slots looked at per System or Manager."""
MAX_ADJUSTMENTS = 3
"""Each fallback changes the body once: at most this many extra attempts."""


def find_cd(system: Any) -> VirtualMedia:
    """The CD or DVD slot of *system*: under the System, else under its Managers
    (looked up only when the System has none: each is a request to the BMC)."""
    for owner in _owners(system):
        slot = _cd_slot(owner)
        if slot is not None:
            return slot
    raise LookupError(
        "the BMC has no virtual CD or DVD slot (neither under the System nor under its Manager)"
    )


def _owners(system: Any) -> Iterator[Any]:
    if _has_vmedia(system):
        yield system
    try:
        managers = list(system.managers)
    except sx.MissingAttributeError:
        return
    yield from (m for m in managers if _has_vmedia(m))


def _has_vmedia(resource: Any) -> bool:
    """The resource links a VirtualMedia collection (read from its JSON: no request)."""
    return isinstance((resource.json.get("VirtualMedia") or {}).get("@odata.id"), str)


def _cd_slot(owner: Any) -> VirtualMedia | None:
    """The first CD or DVD slot with an InsertMedia action, else the first CD or DVD
    slot (sushy inserts by PATCH where the BMC allows it).  Slots are read one by one,
    so a BMC that lists its CD first costs one request."""
    collection = owner.virtual_media
    fallback = None
    for path in list(collection.members_identities)[:MAX_SLOTS]:
        slot = collection.get_member(path)
        if not _types(slot) & CD_TYPES:
            continue
        if INSERT_ACTION in (slot.json.get("Actions") or {}):
            return slot
        fallback = fallback or slot
    return fallback


def _types(slot: VirtualMedia) -> set[str]:
    return {t.value for t in slot.media_types}


def is_loaded(slot: VirtualMedia) -> bool:
    """Something is in the slot (Supermicro keeps ``Image`` after an eject, so
    ``Inserted`` decides when the BMC reports it)."""
    if slot.inserted is not None:
        return bool(slot.inserted)
    return bool(slot.image)


def eject(slot: VirtualMedia) -> bool:
    """Eject what the slot holds; False when it was empty."""
    if not is_loaded(slot):
        return False
    slot.eject_media()
    return True


def insert(slot: VirtualMedia, connector: Connector, url: str) -> list[str]:
    """Insert *url*; the adjustments the BMC asked for (for the output line)."""
    action = (slot.json.get("Actions") or {}).get(INSERT_ACTION) or {}
    target = action.get("target")
    if not target:
        slot.insert_media(url, inserted=True, write_protected=True)
        return ["PATCH"]
    body: dict[str, Any] = {"Image": url, "Inserted": True, "WriteProtected": True}
    notes: list[str] = []
    for _ in range(MAX_ADJUSTMENTS + 1):
        try:
            connector.post(target, data=body)
            break
        except sx.BadRequestError as exc:
            note = adjust(slot, body, exc)
            if note is None:
                raise
            notes.append(note)
    else:
        raise LookupError("the BMC refused InsertMedia with every body hostiso knows")
    slot.invalidate()
    return notes


def adjust(slot: VirtualMedia, body: dict[str, Any], exc: sx.HTTPError) -> str | None:
    """Change *body* as the BMC's error asks; what changed, or None (give up)."""
    if "TransferProtocolType" not in body and _wants_protocol(slot, exc):
        body["TransferProtocolType"] = "HTTPS" if body["Image"].startswith("https:") else "HTTP"
        return f"TransferProtocolType {body['TransferProtocolType']}"
    if "Inserted" in body and _rejects_flags(exc):
        del body["Inserted"], body["WriteProtected"]
        return "without Inserted/WriteProtected"
    if "TransferMethod" not in body and _wants_method(slot, exc):
        body["TransferMethod"] = "Stream"
        return "TransferMethod Stream"
    return None


def _wants_protocol(slot: VirtualMedia, exc: sx.HTTPError) -> bool:
    try:
        return bool(slot.is_transfer_protocol_required(exc))
    except TypeError:  # sushy reads exc.detail, which may be None
        return "TransferProtocolType" in _error_text(exc)


def _wants_method(slot: VirtualMedia, exc: sx.HTTPError) -> bool:
    try:
        return bool(slot.is_transfer_method_required(exc))
    except TypeError:
        return False


def _rejects_flags(exc: sx.HTTPError) -> bool:
    """The BMC names Inserted or WriteProtected in its error (unknown, unsupported)."""
    text = _error_text(exc)
    return "Inserted" in text or "WriteProtected" in text


def _error_text(exc: sx.HTTPError) -> str:
    parts = [str(exc.detail or "")]
    for info in exc.extended_info or []:
        if isinstance(info, dict):
            parts.append(str(info.get("Message") or ""))
            parts += [str(a) for a in info.get("MessageArgs") or []]
            parts += [str(p) for p in info.get("RelatedProperties") or []]
    return " ".join(parts)
