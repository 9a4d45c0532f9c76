"""Photos on a ticket: upload forms, the check after upload, and links to look at them.

The resident's browser posts the file straight to S3 (presigned POST); S3 sends it back to
``/t/{token}/photos/added`` (or a script confirms with a POST). Only then is the file read:
its type from its bytes (``domain/photos.py``), location metadata stripped, the clean copy
stored and attached to the ticket under the same version guard as every other change.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from ..adapters import photo_storage as storage
from ..domain import photos as rules
from ..domain import tickets as ticket_rules
from ..domain import tokens
from ..domain.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, TransitionRefused
from ..store import tickets as store

UPLOAD_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


def _ticket_for(token: str):
    capability = tokens.read(token)
    if capability is None:
        raise NotFound("No such tracking link.")
    return capability


def can_add(view: dict) -> bool:
    """Whether the tracking page offers the upload form (the view is ``public_view``)."""
    return view["status"] != "closed" and len(view.get("photos") or []) < rules.MAX_PER_TICKET


def upload_form(token: str, *, redirect: str | None) -> storage.UploadForm:
    """A presigned POST for one new photo of the ticket behind ``token`` (already read by
    the caller: signing costs no round trip). ``redirect``: where S3 sends the browser."""
    capability = _ticket_for(token)
    key = storage.incoming_prefix(capability.tenant_id, capability.subject_id) + tokens.new_id()
    return storage.upload_form(key, max_bytes=rules.MAX_BYTES, redirect=redirect)


def bucket_origin() -> str:
    return storage.bucket_origin()


def accept(token: str, key: str, *, now: datetime | None = None) -> dict:
    """Check and attach the upload at ``key``. Returns the photo record. Safe to repeat: an
    upload already attached answers the same record.

    Raises NotFound (link or upload unknown), InvalidInput (not a photo we accept; the
    upload is deleted), PayloadTooLarge, TransitionRefused (closed, or 5 photos already)."""
    now = now or datetime.now(timezone.utc)
    capability = _ticket_for(token)
    tenant_id, ticket_id = capability.tenant_id, capability.subject_id
    prefix = storage.incoming_prefix(tenant_id, ticket_id)
    upload_id = key[len(prefix):] if isinstance(key, str) and key.startswith(prefix) else ""
    if not UPLOAD_ID.fullmatch(upload_id):
        raise NotFound("No such upload.")
    ticket, _ = store.get(tenant_id, ticket_id, with_events=False)
    if not tokens.matches(capability, ticket.tracking_digest):
        raise NotFound("No such tracking link.")
    done = next((p for p in ticket.photos if p.get("id") == upload_id), None)
    if done is not None:
        return done
    try:  # refused before anything is read or written: closed, or full
        ticket_rules.attach_photo(ticket, {"id": upload_id}, ticket_rules.RESIDENT, now, "", rules.MAX_PER_TICKET)
    except TransitionRefused:
        storage.delete(key)
        raise
    try:
        data = storage.read_incoming(key, rules.MAX_BYTES)
    except storage.TooLarge:
        storage.delete(key)
        raise PayloadTooLarge("That photo is larger than 10 MB.",
                              {"photo": f"must be at most {rules.MAX_BYTES // (1024 * 1024)} MB"}) from None
    if data is None:
        raise NotFound("No such upload.")
    try:
        kind, clean = rules.check(data)
    except InvalidInput:
        storage.delete(key)
        raise
    photo = {"id": upload_id, "type": kind, "bytes": len(clean)}
    storage.put_photo(storage.photo_key(tenant_id, ticket_id, upload_id, rules.extension(kind)), clean, kind)
    for attempt in range(3):  # a staff change may land between our read and write: read again
        decided = ticket_rules.attach_photo(ticket, photo, ticket_rules.RESIDENT, now, tokens.new_id(),
                                            rules.MAX_PER_TICKET)
        if decided is None:
            break
        try:
            store.record_event(tenant_id, ticket, decided[0], decided[1])
            break
        except Conflict:
            if attempt == 2:
                raise
            ticket, _ = store.get(tenant_id, ticket_id, with_events=False)
    storage.delete(key)
    from . import metering
    metering.after_photo(tenant_id, now)  # past the plan's storage the admins hear of it; the photo stays
    return photo


def links(tenant_id: str, ticket_id: str, photos: list[dict]) -> list[dict]:
    """Short-lived links to look at each photo (presigned GETs; signing is local)."""
    return [{"id": p["id"], "type": p["type"], "at": p.get("at"),
             "url": storage.view_url(storage.photo_key(tenant_id, ticket_id, p["id"], rules.extension(p["type"]))),
             "expires_in": storage.VIEW_SECONDS} for p in photos]


__all__ = ["accept", "upload_form", "links", "can_add", "bucket_origin", "TransitionRefused"]
