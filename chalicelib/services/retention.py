"""Retention: a firm's periods (admins read and set them) and the sweep's erasure step.

The rules (what a period is, which steps a closed ticket has, what erasure leaves) are in
``domain/retention.py``; the steps ride the escalation watch, so the every-minute sweep
(``services/escalation.sweep``) finds them in the sparse ``work`` index when due.
"""

from __future__ import annotations

from datetime import datetime

from ..domain import contacts as contact_rules
from ..domain import retention as rules
from ..domain.errors import Conflict
from ..domain.escalation import Step
from ..domain.identity import Identity
from ..domain.tickets import Actor, Event, Ticket
from ..domain.tokens import new_id
from ..settings import settings
from ..store import retention as store
from ..store import tenants as tenant_store
from ..store import tickets as ticket_store

ERASED, SKIPPED, CONFLICT = "erased", "skipped", "conflict"


def describe(who: Identity) -> dict:
    who.require_admin()
    return rules.settings_of(tenant_store.get_tenant(who.tenant_id).resident_page)


def change(who: Identity, body: object) -> dict:
    """An admin sets the periods; they apply to reports closed from then on (and the
    residents' notice states them at once)."""
    who.require_admin()
    data = rules.SETTINGS_SHAPE.parse_body(body)
    tenant = tenant_store.get_tenant(who.tenant_id)
    page = rules.with_settings(tenant.resident_page, data)
    tenant_store.set_resident_page(who.tenant_id, tenant.slug, page)
    from . import audit
    was, now = rules.settings_of(tenant.resident_page), rules.settings_of(page)
    for name in now:
        audit.changed(f"retention.{name}", was[name], now[name])
    return now


def apply(watch, step: Step, now: datetime) -> str:
    """The sweep's step: erase what the step names if the ticket still holds it and is still
    closed as it was when the step was planned. CONFLICT: the ticket changed meanwhile (the
    step stays for the next sweep)."""
    ticket, events = ticket_store.get(watch.tenant_id, watch.ticket_id)
    if not rules.still_due(ticket, step):
        return SKIPPED
    try:
        erase(ticket, events, step.kind, now, time_zone=watch.info.get("time_zone") or "UTC")
    except Conflict:
        return CONFLICT
    return ERASED


def erase(ticket: Ticket, events: list[Event], what: str, now: datetime, *, time_zone: str,
          actor: Actor = rules.SYSTEM, event_type: str | None = None) -> Ticket:
    """Erase ``what`` (contact and entry notes, or photos) from the ticket (read with its
    ``events``). First what may be done twice: the resident's address out of its messages
    (a held one stopped), or the photos' objects; then the ticket, its event and its
    references in one transaction. Raises Conflict when the ticket changed since it was read."""
    after, event = rules.erase(ticket, what, now, new_id(), actor, event_type)
    references: list[str] = []
    if what == rules.CONTACT:
        from ..domain.escalation import resident_channels
        pepper = settings().contact_pepper
        digests = [contact_rules.digest(ticket.tenant_id, c, pepper)
                   for c in contact_rules.contacts_of(ticket.contact or {}, time_zone)]
        references = store.reference_sks(ticket, digests)
        sent = store.resident_message_keys(ticket.tenant_id, ticket, rules.resident_message_steps(ticket, events),
                                           resident_channels(ticket.contact or {}))
        store.scrub_messages(ticket.tenant_id, ticket.id, sent, now)
    freed = 0
    if what != rules.CONTACT:
        _delete_photos(ticket)
        freed = sum(int(photo.get("bytes") or 0) for photo in ticket.photos)
    store.erase(ticket.tenant_id, ticket, after, event, references, freed_photo_bytes=freed)
    return after


def _delete_photos(ticket: Ticket) -> None:
    from ..adapters import photo_storage
    from ..domain.photos import extension
    for photo in ticket.photos:
        photo_storage.delete(photo_storage.photo_key(ticket.tenant_id, ticket.id, photo["id"],
                                                     extension(photo["type"])))

