"""How long a firm keeps its residents' personal data, and what erasing it leaves. Pure: no AWS.

The firm's setting (``retention`` in its ``resident_page`` settings, beside the notice that
states it to residents)::

    {"contact_days": 180,   # contact details (name, phone, e-mail) and entry notes, after close
     "photo_days": 365}     # the report's photos, after close

When a ticket is closed its escalation watch (``store/escalations.py``) gains one step per
kind of data still held, ``promise == "retention"``; the scheduled sweep reads them from the
sparse ``work`` index when due (no Scan) and erases. Closed is final in the lifecycle; the
sweep still checks that the ticket is closed at the moment the step was planned for.

What erasure leaves: the ticket's facts (category, urgency, unit, description, every time,
the SLA clock, the survey's answer) and therefore every score; what it takes: the contact
map, the entry permission (windows, pets) and, later, the photos. Each erasure is one
timeline event, worded in the console's catalogue.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from .escalation import Step, _iso
from .fields import Integer, Shape
from .resident_page import PHOTO_RETENTION_DAYS, RETENTION_DAYS
from .tickets import Actor, Event, Ticket

MAX_DAYS = 3650
SETTINGS_SHAPE = Shape(fields={
    "contact_days": Integer(minimum=1, maximum=MAX_DAYS,
                            description="days after a report is closed until its contact details and entry "
                                        "notes are erased"),
    "photo_days": Integer(minimum=1, maximum=MAX_DAYS,
                          description="days after a report is closed until its photos are erased"),
})

CONTACT, PHOTOS = "contact", "photos"
EVENT_TYPES = {CONTACT: "retention_contact_erased", PHOTOS: "retention_photos_erased"}
SYSTEM = Actor("system", "", "PropDesk")


def settings_of(firm_page: dict | None) -> dict:
    """The firm's periods in days, the defaults filling what it has not set."""
    chosen = (firm_page or {}).get("retention") or {}
    return {"contact_days": int(chosen.get("contact_days") or RETENTION_DAYS),
            "photo_days": int(chosen.get("photo_days") or PHOTO_RETENTION_DAYS)}


def with_settings(firm_page: dict | None, data: dict) -> dict:
    """The firm's ``resident_page`` settings with new periods (``SETTINGS_SHAPE`` parsed)."""
    return {**(firm_page or {}), "retention": settings_of({"retention": data})}


def holds_contact(ticket: Ticket) -> bool:
    return bool(ticket.contact) or bool(ticket.entry)


def steps(ticket: Ticket, settings: dict) -> list[Step]:
    """A closed ticket's erasure steps, for what it still holds."""
    if ticket.status != "closed" or ticket.closed_at is None:
        return []
    planned = []
    for what, days, held in ((CONTACT, settings["contact_days"], holds_contact(ticket)),
                             (PHOTOS, settings["photo_days"], bool(ticket.photos))):
        if held:
            at = ticket.closed_at + timedelta(days=days)
            planned.append(Step(f"retention:{_iso(ticket.closed_at)}:{what}", "retention", what, at, at))
    return planned


def still_due(ticket: Ticket, step: Step) -> bool:
    """Whether a step read from the watch still applies: the ticket is closed at the same
    moment (not reopened and closed again since) and still holds that data."""
    if ticket.status != "closed" or ticket.closed_at is None or step.promise != "retention":
        return False
    if step.key != f"retention:{_iso(ticket.closed_at)}:{step.kind}":
        return False
    return holds_contact(ticket) if step.kind == CONTACT else bool(ticket.photos)


def erase(ticket: Ticket, what: str, now: datetime, event_id: str, actor: Actor = SYSTEM,
          event_type: str | None = None) -> tuple[Ticket, Event]:
    """The ticket without the data ``what`` names, and the timeline event that says so."""
    if what == CONTACT:
        after = dataclasses.replace(ticket, contact={}, entry={})
        data: dict = {}
    elif what == PHOTOS:
        after = dataclasses.replace(ticket, photos=[])
        data = {"count": len(ticket.photos)}
    else:
        raise ValueError(f"unknown kind of data: {what}")  # a programming error
    after = dataclasses.replace(after, version=ticket.version + 1, updated_at=max(now, ticket.updated_at))
    event = Event(id=event_id, type=event_type or EVENT_TYPES[what], at=now, actor=actor, public=False, data=data)
    return after, event


def resident_message_steps(ticket: Ticket, events: list[Event]) -> list[str]:
    """The step keys of the messages the sweep sent to the resident about this ticket, as
    ``domain/escalation.plan`` named them: the survey invitation and each visit reminder."""
    keys = [f"survey:{_iso(ticket.first_resolved_at)}"] if ticket.first_resolved_at else []
    keys += [f"visit:{e.data['due']}:{e.data['step']}" for e in events
             if e.type == "reminded" and e.data.get("promise") == "visit" and e.data.get("due")]
    return keys
