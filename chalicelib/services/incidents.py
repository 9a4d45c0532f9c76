"""Incident use cases: merge duplicate reports, act on all of them at once, unmerge.

Round trips: creating an incident of n reports reads them in one BatchGetItem and writes
one transaction per report (the incident, version-guarded, rides each). An action
(acknowledge, a public update, resolve) reads the incident (GetItem) and its reports
(BatchGetItem), then writes one transaction per report it applies to: that report's
event, its resident's message (the outbox, exactly once), its watch and score counters.
The first of them carries the incident at the ``If-Match`` version, so a stale version
writes nothing at all. A report a colleague changed in between is read again and retried.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ..domain import incidents as rules
from ..domain import tickets as ticket_rules
from ..domain import tokens
from ..domain.errors import Conflict, NotFound, TransitionRefused
from ..domain.identity import Identity
from ..store import incidents as store
from ..store import tickets as ticket_store
from .tickets import parse_version, watch_after

RETRIES = 2  # a report changed by a colleague between our read and our write is read again


def _now() -> datetime:
    return datetime.now(timezone.utc)


def create(who: Identity, body: object, *, now: datetime | None = None) -> dict:
    """Merge reports into a new incident; the earliest report leads (carries the clock)."""
    now = now or _now()
    data = rules.CREATE.parse_body(body)
    found = ticket_store.get_many_for_change(who.tenant_id, data["tickets"])
    if any(ticket_id not in found for ticket_id in data["tickets"]):
        raise NotFound("No such ticket.")  # absent, or another firm's: the same answer
    tickets = [found[ticket_id].ticket for ticket_id in data["tickets"]]
    incident = rules.new(tokens.new_id(), who.tenant_id, data["title"], tickets, now)
    for ticket in sorted(tickets, key=lambda t: t.id != incident.lead):  # the lead first: it creates the incident
        incident = _merge(who, incident, found[ticket.id], now)
    return rules.view(incident, {t.id: t for t in tickets})


def read(who: Identity, incident_id: str) -> dict:
    """The incident with each report's live state."""
    incident = store.get(who.tenant_id, _checked(incident_id))
    found = ticket_store.get_many_for_change(who.tenant_id, incident.member_ids) if incident.members else {}
    return rules.view(incident, {tid: context.ticket for tid, context in found.items()})


def _checked(incident_id: str) -> str:
    if not re.fullmatch(ticket_rules.ID_PATTERN, incident_id or ""):
        raise NotFound("No such incident.")  # (or ticket: either way, nothing of this firm's)
    return incident_id


def act(who: Identity, incident_id: str, body: object, if_match: str | None, *, now: datetime | None = None) -> dict:
    """merge / unmerge a report, or acknowledge, update (public) or resolve every report."""
    now = now or _now()
    action, payload = rules.parse_event(body)
    expected = parse_version(if_match)
    incident = store.get(who.tenant_id, _checked(incident_id))
    if incident.version != expected:
        raise Conflict("Someone else changed this incident first. Reload it and try again.",
                       {"If-Match": f"version {expected} is no longer current; the incident is at {incident.version}"})
    if action == "merge":
        context = ticket_store.get_for_change(who.tenant_id, payload["ticket_id"], None)
        return rules.view(_merge(who, incident, context, now))
    if action == "unmerge":
        context = ticket_store.get_for_change(who.tenant_id, payload["ticket_id"], None)
        after_incident, after, event = rules.unmerged(incident, context.ticket, who.actor, now, tokens.new_id())
        ticket_store.record_event(who.tenant_id, context.ticket, after, event, watch=watch_after(after, context),
                                  guarded=(store.guarded(incident, after_incident),))
        return rules.view(after_incident)
    return rules.view(_to_every_report(who, incident, action, payload, now))


def _merge(who: Identity, incident: rules.Incident, context, now: datetime) -> rules.Incident:
    """One report joins: its mark, its watch (a follower's without escalation steps), its
    score counters (a follower's service figures leave) and the incident, in one transaction."""
    after_incident, after, event = rules.merged(incident, context.ticket, who.actor, now, tokens.new_id())
    ticket_store.record_event(who.tenant_id, context.ticket, after, event, watch=watch_after(after, context),
                              guarded=(store.guarded(incident, after_incident),))
    return after_incident


def _to_every_report(who: Identity, incident: rules.Incident, action: str, payload: dict,
                     now: datetime) -> rules.Incident:
    rules.check_action(incident, action)
    ticket_action, ticket_payload = rules.member_payload(action, payload)
    after_incident = rules.after_action(incident, action, now)
    found = ticket_store.get_many_for_change(who.tenant_id, incident.member_ids)
    order = sorted(incident.member_ids, key=lambda tid: tid != incident.lead)
    guard = (store.guarded(incident, after_incident),)
    for ticket_id in order:
        context = found.get(ticket_id)
        if context is None or context.ticket.status not in ticket_rules.ALLOWED_FROM[ticket_action]:
            continue  # e.g. a report resolved on its own already
        for attempt in range(RETRIES + 1):
            try:
                _apply(who, context, ticket_action, ticket_payload, now, guard)
                break
            except ticket_store.GuardFailed:
                raise  # the incident's version moved: nothing was written
            except Conflict:
                if attempt == RETRIES:
                    raise  # the report keeps changing
                context = ticket_store.get_for_change(who.tenant_id, ticket_id, None)
                if context.ticket.status not in ticket_rules.ALLOWED_FROM[ticket_action]:
                    break
        guard = ()  # the incident is written once, with the first report
    if guard:
        raise TransitionRefused(f"No report of this incident can be {action}d now.",
                                {"type": "every report of the incident is past that step"})
    return after_incident


def _apply(who: Identity, context, action: str, payload: dict, now: datetime, guard: tuple) -> None:
    from . import notices
    after, event = ticket_rules.apply(context.ticket, action, payload, who.actor, now, tokens.new_id())
    notices.record(who.tenant_id, context.ticket, after, event, context, now, watch=watch_after(after, context),
                   guarded=guard)


def similar(who: Identity, ticket_id: str, *, now: datetime | None = None) -> dict:
    """Other open reports that look like the same fault as this one (same building, same
    category, the last two hours), for staff to merge. Round trips: GetItem + one Query."""
    now = now or _now()
    ticket, found = _similar(who, ticket_id, now)
    return {"ticket": {"id": ticket.id, "number": ticket.number, "incident": ticket.incident},
            "hours": rules.SUGGEST_WITHIN_HOURS, "tickets": [ticket_rules.staff_view(t, None, now) for t in found]}


def merge_choices(who: Identity, ticket_id: str, *, now: datetime | None = None) -> dict:
    """What the console's merge page offers: the ticket, its incident (with the version to
    merge into) if it has one, and the look-alikes. Round trips: at most 3."""
    now = now or _now()
    ticket, found = _similar(who, ticket_id, now)
    incident = store.get(who.tenant_id, ticket.incident["id"]) if ticket.incident else None
    return {"ticket": ticket_rules.staff_view(ticket, None, now), "hours": rules.SUGGEST_WITHIN_HOURS,
            "incident": {"id": incident.id, "title": incident.title, "version": incident.version,
                         "status": incident.status} if incident else None,
            "time_zone": (ticket.calendar or {}).get("time_zone") or "UTC",
            "tickets": [ticket_rules.staff_view(t, None, now) for t in found]}


def _similar(who: Identity, ticket_id: str, now: datetime) -> tuple[ticket_rules.Ticket, list[ticket_rules.Ticket]]:
    ticket, _ = ticket_store.get(who.tenant_id, _checked(ticket_id), with_events=False)
    candidates = store.similar_open(who.tenant_id, ticket.building_id, ticket.category,
                                    now - timedelta(hours=rules.SUGGEST_WITHIN_HOURS))
    return ticket, rules.suggestions(ticket, candidates, now)
