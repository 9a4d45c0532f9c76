"""The SLA clock of a ticket: when each promise falls due, and whether it is kept.

Targets are chosen when a ticket is created (and re-chosen, from creation, when staff
re-classify it). The first response is met by the first public staff act. The resolution
clock stands still while the ticket waits on the resident (where the standard says so)
and between a resolve and a reopen; each stop moves the deadline by the time stood still
(open time of the business calendar for business targets).

Everything here is derivable from the ticket's timeline: ``replay`` rebuilds the clock
from events alone, and a test checks it always agrees with what ``tickets.apply`` stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .standards import Targets, deadline, shift


@dataclass(frozen=True)
class Stop:
    """A span in which the resolution clock stood still; ``until`` None while it still does."""
    since: datetime
    until: datetime | None
    why: str  # "waiting" | "resolved"

    def as_list(self) -> list:
        return [self.since.isoformat(), self.until.isoformat() if self.until else None, self.why]

    @classmethod
    def from_list(cls, value: list) -> "Stop":
        return cls(datetime.fromisoformat(value[0]), datetime.fromisoformat(value[1]) if value[1] else None,
                   value[2])


@dataclass(frozen=True)
class ClockState:
    first_response_due: datetime
    resolution_due: datetime
    next_update_due: datetime | None
    running: bool  # the resolution clock is counting now

    def promise_state(self, which: str, met_at: datetime | None, now: datetime, stopped: bool = False) -> str:
        due = self.first_response_due if which == "first_response" else self.resolution_due
        if met_at is not None:
            return "met" if met_at <= due else "met_late"
        if stopped:
            return "paused"
        return "breached" if now > due else "running"


def compute(*, created_at: datetime, targets: Targets, calendar: dict, stops: list[Stop],
            last_public_update_at: datetime | None, first_response_at: datetime | None,
            is_open: bool) -> ClockState:
    emergency = targets.emergency
    first_due = deadline(calendar, created_at, targets.first_response, emergency=emergency)
    resolution_due = deadline(calendar, created_at, targets.resolution, emergency=emergency)
    for stop in stops:
        if stop.until is not None:
            resolution_due = shift(calendar, resolution_due, targets.resolution, stop.since, stop.until,
                                   emergency=emergency)
    running = is_open and not any(stop.until is None for stop in stops)
    next_update = None
    if targets.update_every and is_open and first_response_at is not None:
        base = last_public_update_at or first_response_at
        next_update = deadline(calendar, base, targets.update_every, emergency=emergency)
    return ClockState(first_due, resolution_due, next_update, running)


PUBLIC_STAFF_UPDATES = ("acknowledged", "waiting", "resolved", "comment")


def replay(*, created_at: datetime, targets: Targets, calendar: dict, events: list, pause_on_wait: bool | None = None
           ) -> tuple[ClockState, list[Stop], datetime | None, datetime | None]:
    """Rebuild the clock from a timeline alone (events in order, each with type, at, public,
    actor.kind). Returns (clock, stops, first_response_at, last_public_update_at).

    The resident's events count as status moves only: ``resident_replied`` ends a wait and
    a ``reopened`` by the resident ("not fixed") resumes the clock like staff's; neither is
    a response from the firm."""
    pause = targets.pause_on_wait if pause_on_wait is None else pause_on_wait
    stops: list[Stop] = []
    first_response_at = last_update = None
    status = "new"
    for event in events:
        staff_public = event.public and event.actor.kind == "staff" and event.type in PUBLIC_STAFF_UPDATES
        if staff_public:
            first_response_at = first_response_at or event.at
            last_update = event.at
        previous = status
        status = _status_after(event, status)
        if previous == "waiting" and status != "waiting" and stops and stops[-1].until is None:
            stops[-1] = Stop(stops[-1].since, event.at, stops[-1].why)
        if event.type == "reopened" and stops and stops[-1].until is None:
            stops[-1] = Stop(stops[-1].since, event.at, stops[-1].why)
        if event.type == "waiting" and pause:
            stops.append(Stop(event.at, None, "waiting"))
        if event.type == "resolved":
            stops.append(Stop(event.at, None, "resolved"))
    clock = compute(created_at=created_at, targets=targets, calendar=calendar, stops=stops,
                    last_public_update_at=last_update, first_response_at=first_response_at,
                    is_open=status not in ("resolved", "closed"))
    return clock, stops, first_response_at, last_update


def _status_after(event, status: str) -> str:
    moves = {"acknowledged": "acknowledged", "waiting": "waiting", "resolved": "resolved", "closed": "closed"}
    if event.type in moves:
        return moves[event.type]
    if event.type == "assigned":
        return status if status == "waiting" else "assigned"
    if event.type == "reopened":
        return event.data.get("status_after", "acknowledged")
    if event.type == "resident_replied":
        return event.data.get("status_after", "acknowledged")
    return status
