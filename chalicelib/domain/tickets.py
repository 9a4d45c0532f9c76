"""Tickets: what a resident reports and the lifecycle staff move it through.

Pure rules, no AWS. ``intake_shape`` validates a report against the firm's standards
and register; ``apply`` decides whether a lifecycle event is allowed in the ticket's
current state and returns the changed ticket plus the timeline event to record.

States and the events that move between them::

    new ──acknowledge──► acknowledged ──assign──► assigned ──wait──► waiting
     │                        │                      │                 │
     └──────────────── resolve (from any open state) ───────────────────┘
                                         ▼
                                      resolved ──close──► closed
                                         │
                                         └──reopen──► assigned | acknowledged

The resident acts too (with the ``RESIDENT`` actor, from the tracking link): ``reply``
while the ticket waits on them (back to assigned | acknowledged, which ends the clock's
pause) and ``not_fixed`` within 14 days of a resolve (a reopen like staff's, recorded
as a ``reopened`` event by the resident).

``comment`` is allowed in every state but closed; ``close`` from an open state needs
a reason (duplicate, withdrawn, spam). The first public staff act (acknowledge, a
public comment, waiting on the resident, resolving) meets the first response.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from . import clock
from .errors import InvalidInput, TransitionRefused
from .fields import Boolean, Choice, DateTime, Email, ListOf, Phone, Problem, Shape, Text
from .standards import MILESTONE_KINDS, Standards, Targets

OPEN_STATES = ("new", "acknowledged", "assigned", "waiting")
DONE_STATES = ("resolved", "closed")
STATES = OPEN_STATES + DONE_STATES
ACTIONS = ("acknowledge", "assign", "comment", "wait", "schedule", "cancel_visit", "resolve", "reopen", "close",
           "follow_up", "milestone")
RESIDENT_ACTIONS = ("reply", "not_fixed", "escalate")  # from the tracking link only, never through the staff API
NOT_FIXED_WITHIN = timedelta(days=14)
REPEAT_WITHIN = timedelta(days=30)  # the same unit and category again within this is a repeat complaint
CLOSE_REASONS = ("resolved", "duplicate", "withdrawn", "spam")
SOURCES = ("resident_form", "phone", "walk_in", "staff")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_PATTERN = r"([01][0-9]|2[0-3]):[0-5][0-9]"
ID_PATTERN = r"[0-9A-HJKMNP-TV-Z]{26}"
UNIT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9\-_/. ]{0,31}"

# Event types residents see on the tracking timeline, and those they never do.
PUBLIC_EVENT_TYPES = ("received", "acknowledged", "assigned", "waiting", "scheduled", "comment", "resolved",
                      "reopened", "closed", "updated", "resident_replied", "photo_added",
                      "messages_stopped", "messages_resumed", "visit_cancelled", "milestone_done",
                      "escalation_requested")


def _check_window(window: dict, problems: dict[str, str], prefix: str) -> None:
    if window["from"] >= window["to"]:
        problems[f"{prefix}to"] = "must be later than 'from'"


def _check_entry(entry: dict, problems: dict[str, str], prefix: str) -> None:
    if not entry["present"] and not entry["windows"]:
        problems[f"{prefix}windows"] = "give at least one time window when staff may enter without you"


WINDOW = Shape(fields={
    "days": ListOf(item=Choice(options=WEEKDAYS), required=False, default=[], max_items=7,
                   description="weekdays the window applies to; all days when empty"),
    "from": Text(pattern=TIME_PATTERN, pattern_reason="must be a time like 09:00", max_len=5),
    "to": Text(pattern=TIME_PATTERN, pattern_reason="must be a time like 17:30", max_len=5),
}, check=_check_window)

ENTRY = Shape(fields={
    "present": Boolean(description="true: staff may enter only with the resident present"),
    "windows": ListOf(item=WINDOW, required=False, default=[], max_items=14),
    "pets": Text(required=False, max_len=200, description="pets staff should know about"),
}, check=_check_entry, required=False, description="entry permission; absent means the resident must be present")

def _check_contact(contact: dict, problems: dict[str, str], prefix: str) -> None:
    from .notices import contact_problems
    problems.update({f"{prefix}{name}": reason for name, reason in contact_problems(contact).items()})


CONTACT = Shape(fields={
    "name": Text(required=False, max_len=80),
    "phone": Phone(required=False),
    "email": Email(required=False),
    "notify": Choice(options=("sms", "email", "none"), required=False,
                     description="how to tell the resident about each step; default SMS if a phone is given, "
                                 "else e-mail"),
}, check=_check_contact, required=False, description="optional; needed for updates by SMS or e-mail")


def intake_shape(standards: Standards | None = None, *, staff: bool = False) -> Shape:
    """The fields of a new ticket. Categories and priorities come from the firm's standards."""
    categories = (lambda: standards.categories) if standards else ()
    priorities = (lambda: standards.priorities) if standards else ()
    fields: dict[str, Any] = {
        "property_id": Text(pattern=ID_PATTERN, pattern_reason="must be a property id from the register", max_len=26),
        "building_id": Text(pattern=ID_PATTERN, pattern_reason="must be a building id from the register", max_len=26),
        "unit": Text(pattern=UNIT_PATTERN, max_len=32, pattern_reason="must be a unit number like 1203 or B-2/301"),
        "category": Choice(options=categories, description="a category key of the firm's standards"),
        "urgency": Choice(options=priorities, description="a priority key of the firm's standards"),
        "description": Text(min_len=5, max_len=4000, multiline=True),
        "contact": CONTACT,
        "entry": ENTRY,
        "nonce": Text(required=False, max_len=128, pattern=r"[A-Za-z0-9_\-.:]{8,128}",
                      pattern_reason="must be 8-128 letters, digits or _-.:",
                      description="the form's one-time nonce; same effect as an Idempotency-Key header"),
    }
    if staff:
        fields["source"] = Choice(options=SOURCES, required=False, default="staff")
        fields.pop("nonce")
    return Shape(fields=fields)


@dataclass(frozen=True)
class Actor:
    kind: str  # "staff" | "resident" | "system"
    sub: str = ""
    name: str = ""

    def public(self) -> dict:
        """What a resident may see of who acted: staff by first name only."""
        if self.kind == "staff":
            return {"kind": "staff", "name": (self.name or "").split(" ")[0] or "Staff"}
        return {"kind": self.kind}

    def as_dict(self) -> dict:
        return {"kind": self.kind, "sub": self.sub, "name": self.name}


RESIDENT = Actor("resident")


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    at: datetime
    actor: Actor
    public: bool
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Ticket:
    id: str
    tenant_id: str
    number: int
    status: str
    category: str
    urgency: str
    property_id: str
    building_id: str
    unit: str
    description: str
    created_at: datetime
    updated_at: datetime
    version: int = 1
    source: str = "resident_form"
    contact: dict = field(default_factory=dict)
    entry: dict = field(default_factory=dict)
    assignee: str | None = None
    assignee_name: str | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    tracking_digest: str = ""
    # The SLA clock (domain/clock.py): targets and calendar as chosen at creation, the spans
    # the resolution clock stood still, and the last public word from staff.
    targets: dict = field(default_factory=dict)
    calendar: dict = field(default_factory=dict)
    stops: list = field(default_factory=list)
    last_public_update_at: datetime | None = None
    next_update_due: datetime | None = None
    visit_at: datetime | None = None
    # What the scores need (domain/scores.py): visits booked, the first resolution (a reopen
    # does not move it), the first follow-up (a call logged or a survey answered), and
    # whether the same unit reported the same category within 30 days before this one.
    visits: int = 0
    first_resolved_at: datetime | None = None
    followed_up_at: datetime | None = None
    repeat: bool = False
    photos: list = field(default_factory=list)
    # The resident's answer to the after-resolution survey (counted in the ticket's slices).
    survey: dict | None = None
    # Messages to the resident (domain/notices.py): the held message, stop, the short link.
    notice: dict = field(default_factory=dict)
    # The incident this report is merged into (domain/incidents.py): {"id", "title", "lead"}.
    incident: dict | None = None
    # The milestones of its targets already completed (domain/clock.py): {key: ISO time}.
    milestones_done: dict = field(default_factory=dict)

    @property
    def milestones_done_at(self) -> dict[str, datetime]:
        return {k: datetime.fromisoformat(v.replace("Z", "+00:00")) for k, v in (self.milestones_done or {}).items()}

    def milestone_states(self, now: datetime) -> list[clock.MilestoneState]:
        """Each milestone of the ticket's targets with its start, due and state (none without)."""
        if not self.targets or not self.targets.get("milestones"):
            return []
        return clock.milestone_states(created_at=self.created_at, targets=Targets.from_dict(self.targets),
                                      calendar=self.calendar, stops=self.clock_stops, done=self.milestones_done_at,
                                      now=now, is_open=self.is_open, first_resolved_at=self.first_resolved_at)

    @property
    def follows_incident(self) -> bool:
        """Merged into an incident whose lead is another report: that lead carries the
        clock, the escalation and the service figures for both."""
        return bool(self.incident) and self.incident.get("lead") != self.id

    @property
    def clock_stops(self) -> list[clock.Stop]:
        return [clock.Stop.from_list(s) for s in self.stops]

    @property
    def paused(self) -> bool:
        return any(s.until is None and s.why == "waiting" for s in self.clock_stops)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def first_resolution_due(self) -> datetime | None:
        """The due the first resolution is judged against (as it stood then; see domain/clock.py)."""
        return clock.resolution_judged_against(
            created_at=self.created_at, targets=Targets.from_dict(self.targets) if self.targets else None,
            calendar=self.calendar, stops=self.clock_stops, first_resolved_at=self.first_resolved_at,
            fallback=self.resolution_due)

    @property
    def resolution_met(self) -> bool | None:
        """Whether the first resolution kept its promise (None before one): what the
        ticket view, the CSV export and the scores all report."""
        return clock.judge(self.first_resolved_at, self.first_resolution_due)

    @property
    def due_at(self) -> datetime | None:
        """The next promise the firm must keep: first response, then the earlier of the
        next update and resolution. None while the clock stands still."""
        if not self.is_open:
            return None
        milestones = [m.due for m in self.milestone_states(self.updated_at) if m.pending and m.due is not None]
        if self.first_response_at is None:
            return min([self.first_response_due, *milestones]) if self.first_response_due else None
        if self.paused:
            return None
        candidates = [d for d in (self.next_update_due, self.resolution_due, *milestones) if d is not None]
        return min(candidates) if candidates else None


def reclock(ticket: "Ticket") -> "Ticket":
    """Recompute the deadlines from the ticket's targets, calendar and stops. A first
    response already given keeps the due it was judged against (a re-classification
    later does not re-judge it; the first resolution's due is kept on its stop)."""
    if not ticket.targets:
        return ticket
    state = clock.compute(created_at=ticket.created_at, targets=Targets.from_dict(ticket.targets),
                          calendar=ticket.calendar, stops=ticket.clock_stops,
                          last_public_update_at=ticket.last_public_update_at,
                          first_response_at=ticket.first_response_at, is_open=ticket.is_open)
    judged = ticket.first_response_at is not None and ticket.first_response_due is not None
    return dataclasses.replace(ticket, first_response_due=ticket.first_response_due if judged
                               else state.first_response_due,
                               resolution_due=state.resolution_due, next_update_due=state.next_update_due)


def new_ticket(*, ticket_id: str, tenant_id: str, number: int, report: dict, standards: Standards,
               now: datetime, tracking_digest: str, source: str = "resident_form") -> Ticket:
    targets = standards.targets(report["category"], report["urgency"])
    return reclock(Ticket(
        id=ticket_id, tenant_id=tenant_id, number=number, status="new",
        category=report["category"], urgency=report["urgency"],
        property_id=report["property_id"], building_id=report["building_id"], unit=report["unit"],
        description=report["description"], contact=_compact(report.get("contact") or {}),
        entry=report.get("entry") or {"present": True, "windows": [], "pets": None},
        source=source, created_at=now, updated_at=now,
        tracking_digest=tracking_digest,
        targets=targets.as_dict(), calendar=standards.document.get("calendar") or {},
    ))


def _compact(d: dict) -> dict:
    return {k: v for k, v in d.items() if v not in (None, "", [])}


# --- lifecycle ---------------------------------------------------------------------

EVENT_SHAPES: dict[str, Shape] = {
    "acknowledge": Shape(fields={"note": Text(multiline=True, required=False, max_len=2000)}),
    "assign": Shape(fields={"assignee": Text(max_len=64, pattern=r"[A-Za-z0-9\-]{1,64}",
                                             pattern_reason="must be a staff member's id")}),
    "comment": Shape(fields={"body": Text(multiline=True, max_len=4000),
                             "visibility": Choice(options=("internal", "public"), required=False, default="internal")}),
    "wait": Shape(fields={"question": Text(multiline=True, max_len=2000,
                                           description="what the resident is asked; shown to them")}),
    "resolve": Shape(fields={"note": Text(multiline=True, max_len=2000,
                                          description="what was done, shown to the resident (required)")}),
    "cancel_visit": Shape(fields={"note": Text(multiline=True, required=False, max_len=2000,
                                               description="shown to the resident")}),
    "reopen": Shape(fields={"reason": Text(multiline=True, max_len=2000)}),
    "schedule": Shape(fields={
        "at": DateTime(description="when staff will visit (with its offset, e.g. 2026-11-28T09:30:00+08:00); "
                                   "must fall in one of the resident's entry windows"),
        "until": DateTime(required=False, description="the end of the visit's time range (told to the resident); "
                                                      "later than 'at'"),
        "note": Text(multiline=True, required=False, max_len=2000, description="shown to the resident")}),
    "close": Shape(fields={"reason": Choice(options=CLOSE_REASONS, required=False, default="resolved"),
                           "note": Text(multiline=True, required=False, max_len=2000)}),
    # 回访: staff called the resident back after the work; the first one within 48 h counts
    "follow_up": Shape(fields={"note": Text(multiline=True, required=False, max_len=2000,
                                            description="what the resident said")}),
    # a milestone of the ticket's targets done (on site, investigation done, summary sent...):
    # completes every started milestone of the ticket that this kind completes
    "milestone": Shape(fields={"kind": Choice(options=MILESTONE_KINDS, description="what was done"),
                               "note": Text(multiline=True, required=False, max_len=2000,
                                            description="shown to the resident when the milestone is public")}),
}

# The resident's own events (kept apart so the staff API neither accepts nor documents them).
RESIDENT_EVENT_SHAPES: dict[str, Shape] = {
    "reply": Shape(fields={"body": Text(multiline=True, min_len=1, max_len=2000,
                                        description="the resident's answer to the question")}),
    "not_fixed": Shape(fields={"reason": Text(multiline=True, max_len=2000, description="what is still wrong")}),
    # A complaint's answer did not settle it: the resident takes it to the next stage (the
    # Housing Ombudsman's Code: stage 1 to stage 2 at the resident's request).
    "escalate": Shape(fields={"reason": Text(multiline=True, min_len=5, max_len=2000,
                                             description="why the answer did not settle the complaint")}),
}

ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "acknowledge": ("new",),
    "assign": OPEN_STATES,
    "comment": OPEN_STATES + ("resolved",),
    "wait": ("new", "acknowledged", "assigned"),
    "schedule": ("acknowledged", "assigned", "waiting"),
    "cancel_visit": ("acknowledged", "assigned", "waiting"),
    "resolve": OPEN_STATES,
    "reopen": ("resolved",),
    "close": OPEN_STATES + ("resolved",),
    "follow_up": STATES,
    "milestone": OPEN_STATES + ("resolved",),
    "reply": ("waiting",),
    "not_fixed": ("resolved",),
    "escalate": DONE_STATES,
}


def parse_event(action: str, body: Any) -> dict:
    if action not in EVENT_SHAPES:
        raise InvalidInput("Unknown ticket event.", {"type": "must be one of: " + ", ".join(ACTIONS)})
    return EVENT_SHAPES[action].parse_body(body)


def parse_resident_event(action: str, body: Any) -> dict:
    return RESIDENT_EVENT_SHAPES[action].parse_body(body)


def apply(ticket: Ticket, action: str, payload: dict, actor: Actor, now: datetime, event_id: str,
          assignee_name: str | None = None) -> tuple[Ticket, Event]:
    """Decide a lifecycle event. Returns the next ticket (version + 1) and its timeline event."""
    if (action in RESIDENT_ACTIONS) != (actor.kind == "resident"):
        raise TransitionRefused(f"Only {'the resident' if action in RESIDENT_ACTIONS else 'staff'} can do that.",
                                {"type": f"{action} is not allowed for {actor.kind}"})
    if ticket.status not in ALLOWED_FROM[action]:
        raise TransitionRefused(
            f"A ticket that is {ticket.status} cannot be {_past(action)}.",
            {"type": f"not allowed while the ticket is {ticket.status}"},
        )
    if action == "not_fixed" and (ticket.resolved_at is None or now > ticket.resolved_at + NOT_FIXED_WITHIN):
        raise TransitionRefused("It is too late to say this was not fixed; please report it again.",
                                {"reason": "the 14 days to say it was not fixed have passed"})
    changes: dict[str, Any] = {}
    public = True
    data: dict[str, Any] = {}
    event_type = {"acknowledge": "acknowledged", "assign": "assigned", "comment": "comment", "wait": "waiting",
                  "schedule": "scheduled", "cancel_visit": "visit_cancelled",
                  "resolve": "resolved", "reopen": "reopened", "close": "closed",
                  "reply": "resident_replied", "not_fixed": "reopened", "follow_up": "followed_up",
                  "milestone": "milestone_done", "escalate": "escalation_requested"}[action]

    if action == "acknowledge":
        changes["status"] = "acknowledged"
        data["note"] = payload.get("note")
    elif action == "assign":
        changes["assignee"] = payload["assignee"]
        changes["assignee_name"] = assignee_name
        if ticket.status in ("new", "acknowledged"):
            changes["status"] = "assigned"
        data = {"assignee": payload["assignee"], "assignee_name": (assignee_name or "").split(" ")[0]}
    elif action == "comment":
        public = payload["visibility"] == "public"
        data = {"body": payload["body"], "visibility": payload["visibility"]}
    elif action == "wait":
        changes["status"] = "waiting"
        data = {"question": payload["question"]}
    elif action == "schedule":
        visit = payload["at"].astimezone(timezone.utc)  # an aware datetime: fields.DateTime read it
        check_visit_time(ticket, visit, now)
        changes["visit_at"] = visit
        # Moving a booked visit that has not happened yet is the same visit, not another one.
        rebooked = ticket.visit_at is not None and ticket.visit_at > now
        changes["visits"] = ticket.visits + (0 if rebooked else 1)
        data = {"at": _iso(visit), "note": payload.get("note")}
        if payload.get("until"):
            until = payload["until"].astimezone(timezone.utc)  # an aware datetime: fields.DateTime read it
            if not visit < until <= visit + timedelta(hours=12):
                raise InvalidInput("The visit's range must end after it starts, the same day.",
                                   {"until": "must be later than 'at' and within 12 hours of it"})
            data["until"] = _iso(until)
    elif action == "cancel_visit":
        if ticket.visit_at is None or ticket.visit_at <= now:
            raise TransitionRefused("There is no booked visit to cancel.", {"type": "no visit is booked ahead"})
        changes["visit_at"] = None
        data = {"at": _iso(ticket.visit_at), "note": payload.get("note")}
    elif action == "resolve":
        changes["status"] = "resolved"
        changes["visit_at"] = None
        changes["resolved_at"] = now
        changes["first_resolved_at"] = ticket.first_resolved_at or now
        data = {"note": payload.get("note")}
    elif action in ("reopen", "not_fixed"):
        changes["status"] = "assigned" if ticket.assignee else "acknowledged"
        changes["resolved_at"] = None
        changes["reopen_count"] = ticket.reopen_count + 1
        data = {"reason": payload["reason"]}
        if action == "not_fixed":
            data["by_resident"] = True
    elif action == "reply":
        changes["status"] = "assigned" if ticket.assignee else "acknowledged"
        data = {"body": payload["body"]}
    elif action == "follow_up":
        if ticket.first_resolved_at is None:
            raise TransitionRefused("A follow-up call comes after the work is resolved.",
                                    {"type": "the ticket has not been resolved yet"})
        public = False
        changes["followed_up_at"] = ticket.followed_up_at or now
        data = {"note": payload.get("note")}
    elif action == "milestone":
        public, data = _milestone_event(ticket, payload, now)
    elif action == "escalate":  # the next stage is a report of its own (``number``); this one stays as it is
        if ticket.first_resolved_at is None:
            raise TransitionRefused("The answer at this stage has not been given yet.",
                                    {"type": "the complaint has not been answered yet"})
        data = {"reason": payload["reason"], "number": payload.get("number")}
    elif action == "close":
        if ticket.status != "resolved" and payload["reason"] == "resolved":
            raise InvalidInput("Say why an unresolved ticket is closed.",
                               {"reason": "must be duplicate, withdrawn or spam for an unresolved ticket"})
        changes["status"] = "closed"
        changes["closed_at"] = now
        data = {"reason": payload["reason"], "note": payload.get("note")}

    if public and actor.kind == "staff" and event_type in clock.PUBLIC_STAFF_UPDATES:
        if ticket.first_response_at is None:
            changes["first_response_at"] = now
        changes["last_public_update_at"] = now
    if action in ("reopen", "not_fixed", "reply"):
        data["status_after"] = changes["status"]
    if ticket.targets.get("milestones"):
        first = public and actor.kind == "staff" and event_type in clock.PUBLIC_STAFF_UPDATES \
            and ticket.first_response_at is None
        done = clock.milestones_done(Targets.from_dict(ticket.targets), ticket.milestones_done_at, at=now,
                                     completes=clock.completed_kinds(event_type, data, first_response=first))
        changes["milestones_done"] = {key: _iso(at) for key, at in done.items()}
    changes["stops"] = _stops_after(ticket, action, changes.get("status", ticket.status), now)
    changes["updated_at"] = now
    changes["version"] = ticket.version + 1
    event = Event(id=event_id, type=event_type, at=now, actor=actor, public=public,
                  data={k: v for k, v in data.items() if v is not None})
    return reclock(dataclasses.replace(ticket, **changes)), event


def _milestone_event(ticket: Ticket, payload: dict, now: datetime) -> tuple[bool, dict]:
    """A staff "milestone" action: which of the ticket's milestones it completes (their keys and
    names go on the event, so timelines say them without the standards). Public when any is."""
    kind = payload["kind"]
    targets = Targets.from_dict(ticket.targets) if ticket.targets else None
    chain = [m for m in (targets.milestones if targets else ()) if m.done_by == kind]
    if not chain:
        raise InvalidInput("This ticket has no milestone of that kind.",
                           {"kind": "is not a milestone of this ticket's standard" + (
                               " (its kinds: " + ", ".join(sorted({m.done_by for m in targets.milestones
                                                                   if m.done_by in MILESTONE_KINDS})) + ")"
                               if targets and targets.milestones else "")})
    done = clock.milestones_done(targets, ticket.milestones_done_at, completes={kind}, at=now)
    completed = [m for m in chain if m.key in done and m.key not in ticket.milestones_done]
    if not completed:
        waiting_on = [m.after for m in chain if m.key not in ticket.milestones_done]
        reason = "was already recorded" if not waiting_on else \
            "cannot be recorded before " + ", ".join(waiting_on) + " is done"
        raise TransitionRefused("That milestone cannot be recorded now.", {"kind": reason})
    data = {"kind": kind, "note": payload.get("note"), "milestones": [m.key for m in completed],
            "names": [dict(m.name) for m in completed]}
    return any(m.public for m in completed), data


def check_visit_time(ticket: Ticket, visit: datetime, now: datetime) -> None:
    """A visit is in the future and, when the resident gave windows for entry without them,
    inside one of those windows (in the firm's time zone)."""
    from zoneinfo import ZoneInfo
    if visit <= now:
        raise InvalidInput("A visit must be in the future.", {"at": "is in the past"})
    windows = (ticket.entry or {}).get("windows") or []
    if not windows:
        return
    local = visit.astimezone(ZoneInfo((ticket.calendar or {}).get("time_zone") or "UTC"))
    day, clock_time = WEEKDAYS[local.weekday()], local.strftime("%H:%M")
    for window in windows:
        if (not window.get("days") or day in window["days"]) and window["from"] <= clock_time < window["to"]:
            return
    allowed = "; ".join(f"{','.join(w.get('days') or ['any day'])} {w['from']}-{w['to']}" for w in windows)
    raise InvalidInput("That time is outside the resident's windows.",
                       {"at": f"is {day} {clock_time} local time; the resident allows: {allowed}"})


def _stops_after(ticket: Ticket, action: str, status_after: str, now: datetime) -> list:
    """Where the resolution clock stands still: while waiting on the resident (if the
    standard pauses then) and from a resolve until a reopen."""
    stops = list(ticket.clock_stops)
    open_stop = stops[-1] if stops and stops[-1].until is None else None
    if open_stop and ((open_stop.why == "waiting" and status_after != "waiting")
                      or (open_stop.why == "resolved" and action in ("reopen", "not_fixed"))):
        stops[-1] = dataclasses.replace(open_stop, until=now)
    pause_on_wait = bool(ticket.targets.get("pause_on_wait", True))
    if action == "wait" and pause_on_wait:
        stops.append(clock.Stop(now, None, "waiting"))
    if action == "resolve" and ticket.targets:  # the due it is judged against, as it stands now
        due_then = clock.resolution_due_now(created_at=ticket.created_at, targets=Targets.from_dict(ticket.targets),
                                            calendar=ticket.calendar, stops=stops)
        stops.append(clock.Stop(now, None, "resolved", due_then))
    elif action == "resolve":
        stops.append(clock.Stop(now, None, "resolved", ticket.resolution_due))
    return [s.as_list() for s in stops]


def _past(action: str) -> str:
    return {"acknowledge": "acknowledged", "assign": "assigned", "comment": "commented on", "schedule": "scheduled",
            "cancel_visit": "given a visit cancellation",
            "wait": "put on waiting", "resolve": "resolved", "reopen": "reopened", "close": "closed",
            "reply": "replied to", "not_fixed": "marked not fixed", "follow_up": "followed up",
            "milestone": "given a milestone", "escalate": "taken to the next stage"}[action]


def received_event(ticket: Ticket, event_id: str) -> Event:
    return Event(id=event_id, type="received", at=ticket.created_at, actor=RESIDENT if ticket.source ==
                 "resident_form" else Actor("staff"), public=True, data={"number": ticket.number})


# --- views ---------------------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def sla_view(ticket: Ticket, now: datetime) -> dict:
    """Every pending deadline of a ticket, each with its state and time left (negative: overdue)."""
    stopped = ticket.paused or not ticket.is_open
    state = clock.ClockState(ticket.first_response_due or ticket.created_at, ticket.resolution_due or ticket.created_at,
                             ticket.next_update_due, not stopped)
    view = {
        "targets": ticket.targets,
        "paused": ticket.paused,
        "first_response": {"due": _iso(ticket.first_response_due),
                           "state": state.promise_state("first_response", ticket.first_response_at, now)},
        "resolution": {"due": _iso(ticket.resolution_due),
                       "state": state.promise_state("resolution", None, now, stopped=ticket.paused)},
    }
    if ticket.first_resolved_at is not None:
        # judged once, at the first resolution, against the due as it stood then; a reopened
        # ticket shows its resumed clock as well, but that judgement does not change
        judged = {"at": _iso(ticket.first_resolved_at), "due": _iso(ticket.first_resolution_due),
                  "state": "met" if ticket.resolution_met is not False else "met_late"}
        view["first_resolution"] = judged
        if not ticket.is_open:
            view["resolution"] = {"due": judged["due"], "state": judged["state"]}
    if ticket.next_update_due:
        view["next_update"] = {"due": _iso(ticket.next_update_due)}
    milestones = milestones_view(ticket, now)
    if milestones:
        view["milestones"] = milestones
    due = ticket.due_at
    view["seconds_left"] = int((due - now).total_seconds()) if due else None
    return view


def milestones_view(ticket: Ticket, now: datetime, *, public_only: bool = False) -> list[dict]:
    """Each milestone: key, names, what completes it, start, due, when done, and its state
    (not_started, running, paused, breached, met, met_late, not_done)."""
    return [{"key": m.key, "name": dict(m.milestone.name), "done_by": m.milestone.done_by,
             "after": m.milestone.after, "within": m.milestone.within.text, "public": m.milestone.public,
             "start": _iso(m.start), "due": _iso(m.due), "done_at": _iso(m.done_at), "state": m.state}
            for m in ticket.milestone_states(now) if m.milestone.public or not public_only]


def staff_view(ticket: Ticket, events: list[Event] | None = None, now: datetime | None = None) -> dict:
    view = {
        "id": ticket.id, "number": ticket.number, "status": ticket.status, "version": ticket.version,
        "category": ticket.category, "urgency": ticket.urgency, "source": ticket.source,
        "property_id": ticket.property_id, "building_id": ticket.building_id, "unit": ticket.unit,
        "description": ticket.description, "contact": ticket.contact, "entry": ticket.entry,
        "assignee": ticket.assignee, "assignee_name": ticket.assignee_name,
        "created_at": _iso(ticket.created_at), "updated_at": _iso(ticket.updated_at),
        "first_response_at": _iso(ticket.first_response_at), "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at), "reopen_count": ticket.reopen_count,
        "first_response_due": _iso(ticket.first_response_due), "resolution_due": _iso(ticket.resolution_due),
        "due_at": _iso(ticket.due_at), "visit_at": _iso(ticket.visit_at),
        "sla": sla_view(ticket, now or datetime.now(ticket.created_at.tzinfo)),
        "photos": [dict(p) for p in ticket.photos],
        "visits": ticket.visits, "repeat": ticket.repeat, "first_resolved_at": _iso(ticket.first_resolved_at),
        "first_resolution_due": _iso(ticket.first_resolution_due), "resolution_met": ticket.resolution_met,
        "followed_up_at": _iso(ticket.followed_up_at), "survey": ticket.survey, "incident": ticket.incident,
        "milestones_done": dict(ticket.milestones_done or {}),
    }
    if events is not None:
        view["timeline"] = [
            {"id": e.id, "type": e.type, "at": _iso(e.at), "public": e.public, "actor": e.actor.as_dict(),
             "data": e.data} for e in events
        ]
    return view


def not_fixed_until(ticket: Ticket) -> datetime | None:
    """Until when the resident may say a resolved ticket is not fixed (None: not now)."""
    if ticket.status != "resolved" or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + NOT_FIXED_WITHIN


# The after-resolution survey's window belongs to the ticket's resolution (like "not fixed?"
# above); domain/surveys.py builds on it, so this module never imports surveys.
ANSWER_WITHIN = timedelta(days=28)  # a survey link (and the tracking page's form) works this long


def open_until(ticket: Ticket) -> datetime | None:
    """Until when the ticket's survey may be answered (None: not now, or never)."""
    if ticket.first_resolved_at is None or ticket.survey or ticket.status not in ("resolved", "closed"):
        return None
    if ticket.status == "closed" and ticket.resolved_at is None:  # closed as duplicate, spam... unresolved
        return None
    return ticket.first_resolved_at + ANSWER_WITHIN


def public_view(ticket: Ticket, events: list[Event], now: datetime | None = None) -> dict:
    """What the resident's tracking link shows: no internal notes, no staff surnames, no ids."""
    timeline = []
    for e in events:
        if not e.public or e.type not in PUBLIC_EVENT_TYPES:
            continue
        data = {k: v for k, v in e.data.items() if k in ("number", "question", "note", "body", "reason",
                                                          "assignee_name", "retargeted", "at", "until",
                                                          "by_resident", "kind")}
        if e.type == "milestone_done":  # only the public milestones it completed, by their names
            public_keys = {m["key"] for m in milestones_view(ticket, ticket.updated_at, public_only=True)}
            data["names"] = [name for key, name in zip(e.data.get("milestones") or [], e.data.get("names") or [])
                             if key in public_keys]
        if "at" in data:  # a booking says for when (``for``); its entry is stamped when it was booked
            data["for"] = data.pop("at")
        timeline.append({"type": e.type, "at": _iso(e.at), "by": e.actor.public(), **data})
    return {
        "number": ticket.number, "status": ticket.status, "category": ticket.category,
        "urgency": ticket.urgency, "unit": ticket.unit, "description": ticket.description,
        "created_at": _iso(ticket.created_at),
        "promised": {"first_response_by": _iso(ticket.first_response_due),
                     "resolution_by": _iso(ticket.resolution_due)},
        "visit_at": _iso(ticket.visit_at) if ticket.is_open else None,
        "reopen_count": ticket.reopen_count,
        "photos": [{"id": p["id"], "type": p["type"], "at": p.get("at")} for p in ticket.photos],
        # what the resident can do from the link: answer the question while waiting, or say
        # "not fixed" until this time after a resolve
        "can_reply": ticket.status == "waiting",
        "question": next((e.data.get("question") for e in reversed(events) if e.type == "waiting"), None)
        if ticket.status == "waiting" else None,
        "not_fixed_until": _iso(not_fixed_until(ticket)),
        # the after-resolution survey: open until (None: not open), or already answered
        "survey_until": _iso(open_until(ticket)),
        "survey_answered": bool(ticket.survey),
        "timeline": timeline,
        # the public milestones of its standard (Awaab's Law steps, 到场...), each with its due and state
        "milestones": [{k: v for k, v in m.items() if k != "public"}
                       for m in milestones_view(ticket, now or ticket.updated_at, public_only=True)],
        **_status_card(ticket, timeline),
        # messages about each step: on which channel, and whether the resident stopped them
        "messages": _messages_view(ticket),
    }


def _messages_view(ticket: Ticket) -> dict | None:
    from .notices import choice_of, stopped
    if not (ticket.notice or {}).get("link"):
        return None
    return {"channel": choice_of(ticket.contact), "on": not stopped(ticket.notice)}


def _status_card(ticket: Ticket, timeline: list[dict]) -> dict:
    """What the tracking page's status card needs: promises already met (and when), the
    next visit's end when staff gave one, who is coming (first name), where the link went."""
    from .contacts import mask
    from .notices import choice_of
    booked = next((e for e in reversed(timeline) if e["type"] == "scheduled"), None)
    contact = ticket.contact or {}
    channel = choice_of(contact)
    to = contact.get("phone") if channel == "sms" else contact.get("email") if channel == "email" else None
    return {"met": {"first_response_at": _iso(ticket.first_response_at), "resolved_at": _iso(ticket.resolved_at)},
            "visit_until": booked.get("until") if booked and ticket.visit_at and ticket.is_open else None,
            "assignee_name": (ticket.assignee_name or "").split(" ")[0] or None,
            "link_sent_to": {"channel": channel, "to": mask(to)} if to else None}


def attach_photo(ticket: Ticket, photo: dict, actor: Actor, now: datetime, event_id: str,
                 max_photos: int) -> tuple[Ticket, Event] | None:
    """Add a checked photo (``{"id", "type", "bytes"}``) to the ticket. None when it is already
    attached (the same upload confirmed twice: a reload of the page S3 redirected to)."""
    if any(p.get("id") == photo["id"] for p in ticket.photos):
        return None
    if ticket.status == "closed":
        raise TransitionRefused("A closed report takes no more photos.",
                                {"photo": "the report is closed"})
    if len(ticket.photos) >= max_photos:
        raise TransitionRefused(f"A report takes at most {max_photos} photos.",
                                {"photo": f"this report already has {max_photos} photos"})
    record = {**photo, "at": _iso(now), "by": actor.kind}
    after = dataclasses.replace(ticket, photos=[*ticket.photos, record], updated_at=now, version=ticket.version + 1)
    event = Event(id=event_id, type="photo_added", at=now, actor=actor, public=True, data={"photo": photo["id"]})
    return after, event


__all__ = ["Ticket", "Event", "Actor", "RESIDENT", "intake_shape", "new_ticket", "apply", "parse_event",
           "parse_resident_event", "RESIDENT_ACTIONS", "not_fixed_until",
           "staff_view", "public_view", "received_event", "Problem", "OPEN_STATES", "DONE_STATES", "STATES"]


def reclassify(ticket: Ticket, standards: Standards, *, category: str | None, urgency: str | None, actor: Actor,
               now: datetime, event_id: str) -> tuple[Ticket, Event]:
    """Change category and/or urgency; the promised times are re-targeted from creation."""
    if not ticket.is_open:
        raise TransitionRefused(f"A ticket that is {ticket.status} cannot be re-classified.",
                                {"status": f"not allowed while the ticket is {ticket.status}"})
    new_category = category or ticket.category
    new_urgency = urgency or ticket.urgency
    if (new_category, new_urgency) == (ticket.category, ticket.urgency):
        raise InvalidInput("Nothing changed.", {"body": "category and urgency are already set to these values"})
    targets = standards.targets(new_category, new_urgency)
    after = reclock(dataclasses.replace(
        ticket, category=new_category, urgency=new_urgency, updated_at=now, version=ticket.version + 1,
        targets=targets.as_dict(), calendar=standards.document.get("calendar") or ticket.calendar))
    event = Event(id=event_id, type="updated", at=now, actor=actor, public=True, data={
        "from": {"category": ticket.category, "urgency": ticket.urgency},
        "to": {"category": new_category, "urgency": new_urgency},
        "retargeted": {"first_response_by": _iso(after.first_response_due), "resolution_by": _iso(after.resolution_due)},
    })
    return after, event
