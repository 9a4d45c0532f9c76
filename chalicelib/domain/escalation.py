"""Escalation: which steps a ticket's clock has scheduled, and who each step tells.

For every promise still running (first response until met; resolution while the clock
runs), the chain gives up to three steps: a warning at ``warn_at`` of the way to the
deadline, level 1 at the deadline, level 2 a set time after it. Each step has a key that
names the promise, the step and the deadline it is about, so a step fires once per
deadline: a repeated sweep finds its mark already written; a deadline moved by a pause
is a new promise and may warn again.

Milestones (domain/clock.py) escalate the same way, each on its own: a milestone that has
started, is not done and not paused has its warning, level 1 and level 2 (unless it is the
first response or the resolution under another name, which escalate already), keyed
``milestone.<key>:<due>:<step>`` (its promise is ``milestone.<key>``), so each fires once per
milestone and due. A milestone that starts after the first resolution (a follow-up call
after the work) keeps escalating while the ticket is resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .fields import Choice, Shape
from .standards import Targets, calendar_for, parse_duration
from .tickets import Ticket

STEPS = ("warn", "level1", "level2")
REMINDERS = {"remind24h": timedelta(hours=24), "remind1h": timedelta(hours=1)}
NOTIFICATIONS_QUERY = Shape(fields={"status": Choice(options=("pending", "sending", "sent", "failed", "held"),
                                                          required=False)})


@dataclass(frozen=True)
class Step:
    key: str
    promise: str  # "first_response" | "resolution"
    kind: str  # "warn" | "level1" | "level2"
    at: datetime
    due: datetime

    def as_dict(self) -> dict:
        return {"key": self.key, "promise": self.promise, "kind": self.kind, "at": _iso(self.at),
                "due": _iso(self.due)}

    @classmethod
    def from_dict(cls, d: dict) -> "Step":
        return cls(d["key"], d["promise"], d["kind"], datetime.fromisoformat(d["at"].replace("Z", "+00:00")),
                   datetime.fromisoformat(d["due"].replace("Z", "+00:00")))


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def plan(ticket: Ticket, escalation: dict, survey: dict | None = None) -> list[Step]:
    """Every step the ticket's running clocks have scheduled, in time order (past ones too:
    the sweep fires what is due and not yet marked). With the firm's ``survey`` settings, a
    resolved ticket whose resident left a phone or e-mail also gets its survey invitation."""
    if not ticket.is_open or not ticket.targets:
        steps = _survey_step(ticket, survey)
        if ticket.targets and ticket.status == "resolved":
            steps += _milestone_steps(ticket, escalation, ticket.updated_at)
        return sorted(steps, key=lambda s: (s.at, s.key))
    targets = Targets.from_dict(ticket.targets)
    promises = []
    if ticket.first_response_at is None and ticket.first_response_due:
        promises.append(("first_response", ticket.created_at, ticket.first_response_due, targets.first_response))
    if not ticket.paused and ticket.resolution_due:
        promises.append(("resolution", ticket.created_at, ticket.resolution_due, targets.resolution))
    warn_at = escalation.get("warn_at")
    level2_after = escalation.get("level2", {}).get("after") if isinstance(escalation.get("level2"), dict) else None
    steps: list[Step] = []
    for promise, start, due, duration in promises:
        key = f"{promise}:{_iso(due)}"
        if warn_at:
            steps.append(Step(f"{key}:warn", promise, "warn", _share_of(ticket, start, due, duration, warn_at), due))
        steps.append(Step(f"{key}:level1", promise, "level1", due, due))  # a breach is marked even if nobody is told
        if level2_after:
            steps.append(Step(f"{key}:level2", promise, "level2", due + parse_duration(level2_after).amount, due))
    steps += _milestone_steps(ticket, escalation, ticket.updated_at)
    if ticket.visit_at is not None:
        for kind, before in REMINDERS.items():
            at = ticket.visit_at - before
            if at > ticket.updated_at:  # a visit booked 3 h ahead gets the 1 h reminder only
                steps.append(Step(f"visit:{_iso(ticket.visit_at)}:{kind}", "visit", kind, at, ticket.visit_at))
    return sorted(steps, key=lambda s: (s.at, s.key))


def _milestone_steps(ticket: Ticket, escalation: dict, now: datetime) -> list[Step]:
    """The warning and levels of every milestone that is counting (running or past due)."""
    warn_at = escalation.get("warn_at")
    level2_after = escalation.get("level2", {}).get("after") if isinstance(escalation.get("level2"), dict) else None
    steps: list[Step] = []
    targets = Targets.from_dict(ticket.targets)
    for state in ticket.milestone_states(now):
        if not state.pending or state.start is None or state.due is None or _same_promise(state.milestone, targets):
            continue
        promise = f"milestone.{state.key}"
        key = f"{promise}:{_iso(state.due)}"
        if warn_at:
            steps.append(Step(f"{key}:warn", promise, "warn",
                              _share_of(ticket, state.start, state.due, state.milestone.within, warn_at), state.due))
        steps.append(Step(f"{key}:level1", promise, "level1", state.due, state.due))
        if level2_after:
            steps.append(Step(f"{key}:level2", promise, "level2",
                              state.due + parse_duration(level2_after).amount, state.due))
    return steps


def _same_promise(milestone, targets: Targets) -> bool:
    """A milestone that is the first response or the resolution under another name (接单 in 30
    minutes when the first response is 30 minutes): that promise escalates already, once."""
    if milestone.after != "report":
        return False
    same = {"first_response": targets.first_response, "resolved": targets.resolution}.get(milestone.done_by)
    return same is not None and (same.kind, same.amount, same.days) == \
        (milestone.within.kind, milestone.within.amount, milestone.within.days)


def milestone_key(promise: str) -> str | None:
    """The milestone a step's promise names (``milestone.investigate`` → ``investigate``)."""
    return promise.split(".", 1)[1] if promise.startswith("milestone.") else None


def _survey_step(ticket: Ticket, survey: dict | None) -> list[Step]:
    from .surveys import ANSWER_WITHIN, open_until
    if survey is None or open_until(ticket) is None or not resident_channels(ticket.contact):
        return []
    at = ticket.first_resolved_at + parse_duration(survey.get("after_resolution") or "24h").amount
    return [Step(f"survey:{_iso(ticket.first_resolved_at)}", "survey", "survey", at, at + ANSWER_WITHIN)]


def resident_channels(contact: dict) -> list[dict]:
    """How a resident hears about their visit: SMS if they gave a phone, e-mail if an address."""
    found = []
    if contact.get("phone"):
        found.append({"channel": "sms", "to": contact["phone"]})
    if contact.get("email"):
        found.append({"channel": "email", "to": contact["email"]})
    return found


def _share_of(ticket: Ticket, start: datetime, due: datetime, duration, share: float) -> datetime:
    """The instant ``share`` of the way from start to due, counted as the promise counts."""
    if duration.kind == "calendar" or ticket.targets.get("emergency"):
        return start + (due - start) * share
    from . import calendar as business
    cal = calendar_for(ticket.calendar, start.year)
    return business.add(cal, start, business.between(cal, start, due) * share)


def recipients(escalation: dict, kind: str) -> list[dict]:
    """Who a step tells: the warning and level 1 go to level 1's list; level 2 to both."""
    level1 = list((escalation.get("level1") or {}).get("notify") or [])
    level2 = list((escalation.get("level2") or {}).get("notify") or [])
    if kind == "level2":
        seen, merged = set(), []
        for entry in level1 + level2:
            ident = (entry.get("channel"), entry.get("to") or entry.get("url"))
            if ident not in seen:
                seen.add(ident)
                merged.append(entry)
        return merged
    return level1


def backoff(attempt: int) -> timedelta:
    """Delivery retry delays: 1, 2, 4, 8 minutes..."""
    return timedelta(minutes=2 ** max(attempt - 1, 0))
