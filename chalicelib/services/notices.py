"""Residents are told at every public step: the message rides the step's own transaction.

- ``first`` (at intake): the short link item and message 1 ("received") join the creating
  transaction; the ticket keeps ``notice`` (the short link, the resident's language, the
  held message).
- ``record`` (every later event, staff's or the resident's): the step joins the held
  message or opens the next one, in the event's transaction; if the sweep claimed the
  held message in between, the event is written again with a new message (only then a
  second transaction).
- ``stop`` / ``resume`` (the stop link, the tracking page): recorded on the timeline, the
  held message cancelled in the same transaction.
A refused or retried action writes nothing, so it sends nothing.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from ..domain import notices as rules
from ..domain import tokens
from ..domain.errors import NotFound, TransitionRefused
from ..domain.tickets import RESIDENT, Event, Ticket
from ..settings import settings
from ..store import notices as store


def links(short: str) -> dict:
    base = f"{settings().public_base_url}/m/{short}"
    return {"track": base, "stop": f"{base}/stop", "survey": f"{base}/survey", "not_fixed": f"{base}/not-fixed"}


def _zone(ticket: Ticket, firm: dict) -> str:
    return (ticket.calendar or {}).get("time_zone") or firm.get("time_zone") or "UTC"


def _write(before: Ticket | None, after: Ticket, event: Event, firm: dict, messages: dict, now: datetime,
           *, fresh: bool = False):
    """The ticket with its notice state moved on, and the outbox write for this event (or None)."""
    step = rules.step_of(before, after, event)
    short = (after.notice or {}).get("link")
    channel = rules.channel_for(after.contact, after.notice)
    if step is None or channel is None or not short:
        return after, None
    urgent = bool((after.targets or {}).get("emergency"))
    zone = _zone(after, firm)
    at = rules.deliver_at(now + rules.HOLD, zone, rules.quiet_hours_of(messages), urgent=urgent)
    notice = dict(after.notice or {})
    if fresh:
        notice.pop("open_until", None)
    plan = rules.plan(notice, now, at)
    after = dataclasses.replace(after, notice=plan.notice)
    if plan.join:
        return after, store.JoinMessage(after.tenant_id, after.id, plan.seq, step)
    data = {"ticket": str(after.number), "channel": channel["channel"], "time_zone": zone,
            "signature": rules.signature_of(messages, firm.get("name", "")), "firm": firm.get("name", ""),
            "links": links(short)}
    return after, store.NewMessage(after.tenant_id, after.id, plan.seq, channel,
                                   (after.notice or {}).get("locale") or firm.get("locale") or "en", data, step,
                                   plan.deliver_at)


def first(ticket: Ticket, token: str, received: Event, firm: dict, messages: dict, locale: str | None):
    """At intake: (ticket with its notice state, the short link item, message 1 or None)."""
    short = tokens.short_of(token)
    if short is None or rules.channel_for(ticket.contact) is None:  # nobody to tell
        return ticket, None, None
    from ..domain.messages import normalise_locale
    ticket = dataclasses.replace(ticket, notice={"link": short,
                                                 "locale": normalise_locale(locale or firm.get("locale"))})
    ticket, write = _write(None, ticket, received, firm, messages, ticket.created_at)
    return ticket, store.link_item(short, ticket.tenant_id, ticket.id), write


def record(tenant_id: str, before: Ticket, after: Ticket, event: Event, context, now: datetime, **options) -> Ticket:
    """store.record_event with the resident's message for this event in the same transaction."""
    from ..store import tickets as ticket_store
    messages = (context.standards or {}).get("messages") or {}
    told, write = _write(before, after, event, context.firm, messages, now)
    try:
        ticket_store.record_event(tenant_id, before, told, event, notice=write, **options)
    except store.MessageTaken:  # the sweep took the held message a moment ago: open the next one
        told, write = _write(before, after, event, context.firm, messages, now, fresh=True)
        ticket_store.record_event(tenant_id, before, told, event, notice=write, **options)
    return told


# --- the short link, stop and resume ----------------------------------------------------------

def open_link(short: str) -> tokens.CapabilityToken:
    """The tracking token a message's link stands for; NotFound when it is none of ours."""
    found = store.find_link(short)
    if found is None:
        raise NotFound("No such link.")
    return found


def set_messages(short: str, on: bool, now: datetime | None = None) -> tuple[str, Ticket]:
    """The resident stops (or resumes) messages about this report: recorded on its
    timeline and honoured at once (a held message is not sent). Returns (tracking token,
    ticket). Doing it twice changes nothing the second time."""
    from ..store import tickets as ticket_store
    from ..services.tickets import watch_after
    now = now or datetime.now(timezone.utc)
    capability = open_link(short)
    context = ticket_store.get_for_change(capability.tenant_id, capability.subject_id, None)
    ticket = context.ticket
    if not tokens.matches(capability, ticket.tracking_digest):
        raise NotFound("No such link.")
    if rules.stopped(ticket.notice) != on:  # already as asked
        return capability.token, ticket
    if ticket.status == "closed" and on:
        raise TransitionRefused("This report is closed.", {"messages": "the report is closed"})
    notice = rules.with_stopped(ticket.notice, not on)
    cancel = None
    if not on and (ticket.notice or {}).get("seq"):  # the latest message, if still held, is not sent
        cancel = store.CancelMessage(ticket.tenant_id, ticket.id, int(ticket.notice.get("seq") or 0))
        notice.pop("open_until", None)
    after = dataclasses.replace(ticket, notice=notice, updated_at=now, version=ticket.version + 1)
    event = Event(id=tokens.new_id(), type="messages_resumed" if on else "messages_stopped", at=now, actor=RESIDENT,
                  public=True, data={})
    try:
        ticket_store.record_event(ticket.tenant_id, ticket, after, event, watch=watch_after(after, context),
                                  notice=cancel)
    except store.MessageTaken:  # it was being sent as the resident tapped: nothing left to cancel
        ticket_store.record_event(ticket.tenant_id, ticket, after, event, watch=watch_after(after, context))
    return capability.token, after
