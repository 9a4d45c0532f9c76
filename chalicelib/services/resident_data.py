"""A resident's own data, reached with their tracking link: download it (a ZIP of the report,
the messages sent to them and its photos) or erase their contact details. Both are recorded
on the report's timeline for the firm. Erasure is retention's (services/retention.py), done
now and on the resident's word.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timezone

from ..domain import retention as rules
from ..domain import tokens
from ..domain.errors import Conflict
from ..domain.escalation import resident_channels
from ..domain.tickets import RESIDENT, Event, Ticket, public_view
from ..store import retention as store
from ..store.items import plain, plain_list
from .retention import erase
from .tickets import ticket_by_link

ERASED = "resident_erased_contact"
DOWNLOADED = "resident_downloaded_data"


def _zone(ticket: Ticket) -> str:
    return (ticket.calendar or {}).get("time_zone") or "UTC"


def erase_contact(token: str, now: datetime | None = None) -> bool:
    """The resident erases their contact details and entry notes: the report stays,
    anonymised; no more messages go to them. False when nothing was left to erase."""
    now = now or datetime.now(timezone.utc)
    for attempt in range(2):  # a staff change landing in between: read again, once
        ticket, events = ticket_by_link(token)
        if not rules.holds_contact(ticket):
            return False
        try:
            erase(ticket, events, rules.CONTACT, now, time_zone=_zone(ticket), actor=RESIDENT, event_type=ERASED)
            return True
        except Conflict:
            if attempt:
                raise
    return False


def download(token: str, now: datetime | None = None) -> str:
    """Build the resident's ZIP, keep it under the firm's prefix and answer a short-lived link
    to it (the bytes never pass through API Gateway). Logged on the timeline."""
    from ..adapters import photo_storage
    from ..domain.photos import extension
    now = now or datetime.now(timezone.utc)
    ticket, events = ticket_by_link(token)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        report = public_view(ticket, events) | {"contact": ticket.contact, "entry": ticket.entry}
        archive.writestr("report.json", json.dumps(report, ensure_ascii=False, indent=2, default=str))
        archive.writestr("messages.json", json.dumps(_messages(ticket, events), ensure_ascii=False, indent=2))
        for photo in ticket.photos:
            name = f"{photo['id']}.{extension(photo['type'])}"
            archive.writestr(f"photos/{name}",
                             photo_storage.read(photo_storage.photo_key(ticket.tenant_id, ticket.id, photo["id"],
                                                                        extension(photo["type"]))))
    download_id = tokens.new_id()
    key = f"{ticket.tenant_id}/downloads/{ticket.id}/{download_id}.zip"
    photo_storage.put_download(key, out.getvalue())
    store.log_event(ticket.tenant_id, ticket.id, Event(id=download_id, type=DOWNLOADED, at=now, actor=RESIDENT,
                                                       public=False, data={}))
    return photo_storage.download_url(key, f"report-{ticket.number}.zip")


def _messages(ticket: Ticket, events: list[Event]) -> list[dict]:
    """The messages sent to the resident about this report: when, how, and which steps each
    told (once sent, the outbox keeps only that: their links and staff's words are not kept)."""
    sent_keys = store.resident_message_keys(ticket.tenant_id, ticket, rules.resident_message_steps(ticket, events),
                                            resident_channels(ticket.contact or {}))
    found = [{"sent_at": item.updated_at.isoformat(), "channel": plain(item.channel).get("channel"),
              "kind": item.message_kind, "steps": [s.get("kind") for s in plain_list(item.notice_steps)]}
             for item in store.resident_messages(ticket.tenant_id, ticket.id, sent_keys) if item.status == "sent"]
    return sorted(found, key=lambda m: m["sent_at"])
