"""Incidents: several residents' reports of one fault (the lift in building 2 is down),
merged so the firm works, escalates and answers them as one.

Pure rules, no AWS. An incident is a small record (title, status, version, its reports)
and each merged report carries ``incident = {"id", "title", "lead"}`` on its own ticket.

- **The lead** is the incident's earliest report: its clock is the incident's clock. It
  keeps its escalation plan; every other member (a *follower*) leaves the sweep's watch
  index while merged (its watch keeps only its own survey, visit and retention steps), so
  a breach escalates once for the incident, not once per report.
- **Public updates and the resolution** are the incident's actions: each is applied to
  every member report it is allowed on, as that report's own event, so each reporter
  hears of it once on their own channel, and keeps their own tracking page and survey.
- **Scores** (``domain/scores.py``): a follower's service figures (first response and
  resolution: compliance, times, first-time fix, reopen and follow-up rates) are not
  counted while it is merged: the incident counts once, through its lead. Every report
  counts in volume and hotspots, and every reporter's survey answer counts in
  satisfaction (CSAT, NPS, the index, SERVQUAL, "fixed first time?").
- **Unmerge** takes a follower out again: its own clock, escalation and service figures
  come back from its own report time. The lead leaves only as the last member.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .errors import InvalidInput, TransitionRefused
from .fields import ListOf, Shape, Text
from .tickets import ID_PATTERN, Actor, Event, Ticket

MAX_MEMBERS = 50  # reports in one incident (each is its own small transaction when acted on)
SUGGEST_WITHIN_HOURS = 2  # "other open reports: same building, same category, last 2 hours"
TICKET_ID = Text(max_len=26, pattern=ID_PATTERN, pattern_reason="must be a ticket id")
TITLE = Text(min_len=3, max_len=120, description="what the fault is, e.g. 'Lift in building 2 is down'")

CREATE = Shape(fields={
    "title": TITLE,
    "tickets": ListOf(item=TICKET_ID, min_items=1, max_items=MAX_MEMBERS,
                      description="the reports to merge (the earliest becomes the lead)"),
})
# Incident actions and the ticket action each one is on every member report.
ACTIONS = {"merge": None, "unmerge": None, "acknowledge": "acknowledge", "update": "comment", "resolve": "resolve"}
EVENT_SHAPES: dict[str, Shape] = {
    "merge": Shape(fields={"ticket_id": TICKET_ID}),
    "unmerge": Shape(fields={"ticket_id": TICKET_ID}),
    "acknowledge": Shape(fields={"note": Text(multiline=True, required=False, max_len=2000)}),
    "update": Shape(fields={"body": Text(multiline=True, max_len=4000,
                                         description="a public update, sent to every reporter")}),
    "resolve": Shape(fields={"note": Text(multiline=True, max_len=2000,
                                          description="what was done; sent to every reporter")}),
}


@dataclass(frozen=True)
class Incident:
    id: str
    tenant_id: str
    title: str
    lead: str  # the lead report's ticket id
    members: list = field(default_factory=list)  # [{"id", "number", "unit"}], in merge order
    status: str = "open"  # open | resolved
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def member_ids(self) -> list[str]:
        return [m["id"] for m in self.members]


def parse_event(body: Any) -> tuple[str, dict]:
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or body["type"] not in ACTIONS:
        raise InvalidInput("Say what to do with the incident.", {"type": "must be one of: " + ", ".join(ACTIONS)})
    return body["type"], EVENT_SHAPES[body["type"]].parse_body({k: v for k, v in body.items() if k != "type"})


def check_mergeable(ticket: Ticket, field_name: str = "ticket_id") -> None:
    """Only an open report that is in no incident yet can be merged."""
    if ticket.incident:
        raise TransitionRefused(f"Report #{ticket.number} is already part of an incident.",
                                {field_name: f"#{ticket.number} is already merged into “{ticket.incident['title']}”"})
    if not ticket.is_open:
        raise TransitionRefused(f"Report #{ticket.number} is {ticket.status}; only open reports can be merged.",
                                {field_name: f"#{ticket.number} is {ticket.status}; only open reports can be merged"})


def new(incident_id: str, tenant_id: str, title: str, tickets: list[Ticket], now: datetime) -> Incident:
    """A new incident over these reports (distinct, each mergeable): the earliest leads."""
    ids = [t.id for t in tickets]
    if len(set(ids)) != len(ids):
        raise InvalidInput("A report is listed twice.", {"tickets": "must not list the same report twice"})
    for i, ticket in enumerate(tickets):
        check_mergeable(ticket, f"tickets[{i}]")
    lead = min(tickets, key=lambda t: (t.created_at, t.number))
    return Incident(incident_id, tenant_id, title, lead.id, [], "open", 0, now, now)


def _member(ticket: Ticket) -> dict:
    return {"id": ticket.id, "number": ticket.number, "unit": ticket.unit}


def merged(incident: Incident, ticket: Ticket, actor: Actor, now: datetime, event_id: str
           ) -> tuple[Incident, Ticket, Event]:
    """Add a report to the incident: (incident, version + 1), (report marked, version + 1), its event."""
    if incident.status != "open":
        raise TransitionRefused("A resolved incident takes no more reports.",
                                {"ticket_id": "the incident is resolved; merge into a new one"})
    if len(incident.members) >= MAX_MEMBERS:
        raise TransitionRefused(f"An incident holds at most {MAX_MEMBERS} reports.",
                                {"ticket_id": f"the incident already holds {MAX_MEMBERS} reports"})
    check_mergeable(ticket)
    lead_number = ticket.number if ticket.id == incident.lead else \
        next((m["number"] for m in incident.members if m["id"] == incident.lead), ticket.number)
    after_incident = dataclasses.replace(incident, members=[*incident.members, _member(ticket)],
                                         version=incident.version + 1, updated_at=now)
    after = dataclasses.replace(ticket, incident={"id": incident.id, "title": incident.title, "lead": incident.lead},
                                updated_at=now, version=ticket.version + 1)
    event = Event(event_id, "merged", now, actor, False,
                  {"incident": incident.id, "title": incident.title, "lead_number": lead_number,
                   "lead": ticket.id == incident.lead})
    return after_incident, after, event


def unmerged(incident: Incident, ticket: Ticket, actor: Actor, now: datetime, event_id: str
             ) -> tuple[Incident, Ticket, Event]:
    """Take a report out of the incident again (the lead only as the last member)."""
    if not ticket.incident or ticket.incident.get("id") != incident.id or ticket.id not in incident.member_ids:
        raise TransitionRefused(f"Report #{ticket.number} is not part of this incident.",
                                {"ticket_id": f"#{ticket.number} is not merged into this incident"})
    if ticket.id == incident.lead and len(incident.members) > 1:
        raise TransitionRefused("The lead report carries the incident's clock; unmerge the others first.",
                                {"ticket_id": "is the lead report; it can leave only as the last report"})
    members = [m for m in incident.members if m["id"] != ticket.id]
    after_incident = dataclasses.replace(incident, members=members, version=incident.version + 1, updated_at=now,
                                         status=incident.status if members else "dissolved")
    after = dataclasses.replace(ticket, incident=None, updated_at=now, version=ticket.version + 1)
    event = Event(event_id, "unmerged", now, actor, False, {"incident": incident.id, "title": incident.title})
    return after_incident, after, event


def after_action(incident: Incident, action: str, now: datetime) -> Incident:
    """The incident after one of its actions reached its members (version + 1)."""
    status = "resolved" if action == "resolve" else incident.status
    return dataclasses.replace(incident, status=status, version=incident.version + 1, updated_at=now)


def check_action(incident: Incident, action: str) -> None:
    if incident.status != "open":
        raise TransitionRefused(f"The incident is {incident.status}.",
                                {"type": f"not allowed while the incident is {incident.status}"})


def member_payload(action: str, payload: dict) -> tuple[str, dict]:
    """The ticket action and its payload that an incident action is on each member."""
    if action == "update":
        return "comment", {"body": payload["body"], "visibility": "public"}
    return ACTIONS[action], payload


def view(incident: Incident, tickets: dict[str, Ticket] | None = None) -> dict:
    """The incident for staff; with ``tickets`` (id → ticket) each member's live state."""
    def member(m: dict) -> dict:
        found = (tickets or {}).get(m["id"])
        live = {"status": found.status, "version": found.version, "category": found.category,
                "building_id": found.building_id} if found else {}
        return {**m, "lead": m["id"] == incident.lead, **live}
    return {"id": incident.id, "title": incident.title, "status": incident.status, "version": incident.version,
            "lead": incident.lead, "members": [member(m) for m in incident.members],
            "created_at": _iso(incident.created_at), "updated_at": _iso(incident.updated_at)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def suggestions(ticket: Ticket, candidates: list[Ticket], now: datetime) -> list[Ticket]:
    """Other open reports that look like the same fault: same building, same category,
    reported within the last two hours (of now), not yet in an incident; newest first."""
    since = now - timedelta(hours=SUGGEST_WITHIN_HOURS)
    found = [c for c in candidates if c.id != ticket.id and c.is_open and c.building_id == ticket.building_id
             and c.category == ticket.category and c.created_at >= since and not c.incident]
    return sorted(found, key=lambda c: c.created_at, reverse=True)
