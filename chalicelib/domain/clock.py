"""The SLA clock of a ticket: when each promise falls due, and whether it is kept.

Targets are chosen when a ticket is created (and re-chosen, from creation, when staff
re-classify it). The first response is met by the first public staff act. The resolution
clock stands still while the ticket waits on the resident (where the standard says so)
and between a resolve and a reopen; each stop moves the deadline by the time stood still
(open time of the business calendar for business targets).

A stop moves the deadline only if it began before the deadline as it then stood: once a
promise's time has run out, standing still gives none of it back (a ticket put on waiting,
or resolved, after it breached stays breached). A stop with no open time in it (waiting
from 19:00 to 20:00 under business hours) moves nothing.

A promise is judged when its milestone is first completed, against its due time as it
stood then (DESIGN.md). So the resolution is judged at the *first* resolve against the
resolution due as it stood at that moment: each "resolved" stop records that due, and a
later reopen, however long after, never turns a late first resolution into an on-time one
(nor an on-time one into a late one). The reopened work runs on a resumed clock (shown
while the ticket is open again), but it is not judged a second time.

Milestones (a target's ordered chain: investigate, then summary and safety work...) run
on the same rules, each on its own clock: it starts at the report or at the completion of
the milestone it follows (not started until then), falls due ``within`` after its start, and
is judged at its first completion against its due as it stood then. It stands still while
the ticket waits on the resident (where the standard pauses then) from its own start, and a
stop moves it only if it began before the due as it then stood. A resolve does not stop a
milestone: once the ticket is resolved or closed, a milestone that had started before the
first resolution and is still not done is "not_done" (never escalated), while one that
starts at or after it (a follow-up call after the work) runs on. ``milestones_done`` decides
what an event completes; ``replay_milestones`` rebuilds the completions from a timeline.

Everything here is derivable from the ticket's timeline: ``replay`` rebuilds the clock
from events alone, and a test checks it against a deliberately naive minute-walking clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .standards import LIFECYCLE_DONE_BY, Duration, Milestone, Targets, calendar_for, deadline


@dataclass(frozen=True)
class Stop:
    """A span in which the resolution clock stood still; ``until`` None while it still does.
    A "resolved" stop keeps ``due``: the resolution due as it stood when the work was
    resolved, which is what that resolution is judged against (None in older records)."""
    since: datetime
    until: datetime | None
    why: str  # "waiting" | "resolved"
    due: datetime | None = None

    def as_list(self) -> list:
        value = [self.since.isoformat(), self.until.isoformat() if self.until else None, self.why]
        return value + [self.due.isoformat()] if self.due is not None else value

    @classmethod
    def from_list(cls, value: list) -> "Stop":
        due = datetime.fromisoformat(value[3]) if len(value) > 3 and value[3] else None
        return cls(datetime.fromisoformat(value[0]), datetime.fromisoformat(value[1]) if value[1] else None,
                   value[2], due)


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
    resolution_due = resolution_due_now(created_at=created_at, targets=targets, calendar=calendar, stops=stops)
    running = is_open and not any(stop.until is None for stop in stops)
    next_update = None
    if targets.update_every and is_open and first_response_at is not None:
        base = last_public_update_at or first_response_at
        next_update = deadline(calendar, base, targets.update_every, emergency=emergency)
    return ClockState(first_due, resolution_due, next_update, running)


def resolution_due_now(*, created_at: datetime, targets: Targets, calendar: dict, stops: list[Stop]) -> datetime:
    """The resolution due after the stops that have ended: each moves it by the time it
    stood still (open time for business targets), if it began before the due as it then
    stood. An open stop moves nothing yet."""
    emergency = targets.emergency
    due = deadline(calendar, created_at, targets.resolution, emergency=emergency)
    for stop in stops:
        if stop.until is not None and stop.since < due:
            due = _moved(calendar, due, targets.resolution, stop.since, stop.until, emergency=emergency)
    return due


def _moved(calendar: dict, due: datetime, duration: Duration, since: datetime, until: datetime, *,
           emergency: bool) -> datetime:
    """``due`` moved later by the time the clock stood still from ``since`` to ``until``."""
    if until <= since:
        return due
    if duration.kind == "calendar" or emergency:
        return due + (until - since)
    from . import calendar as business
    cal = calendar_for(calendar, since.year)
    stood = business.between(cal, since, until)
    return business.add(cal, due, stood) if stood > timedelta(0) else due


def resolution_judged_against(*, created_at: datetime, targets: Targets | None, calendar: dict, stops: list[Stop],
                              first_resolved_at: datetime | None, fallback: datetime | None = None
                              ) -> datetime | None:
    """The due the first resolution is judged against: the resolution due as it stood when
    the work was first resolved (recorded on its "resolved" stop; for records without it,
    recomputed from the stops that had ended by then). None before a first resolution;
    ``fallback`` (the stored due) when the ticket has no targets to compute from."""
    if first_resolved_at is None:
        return None
    first = next((s for s in stops if s.why == "resolved" and s.since == first_resolved_at), None)
    if first is not None and first.due is not None:
        return first.due
    if targets is None:
        return fallback
    ended = [s for s in stops if s.until is not None and s.until <= first_resolved_at]
    return resolution_due_now(created_at=created_at, targets=targets, calendar=calendar, stops=ended)


def judge(done_at: datetime | None, due: datetime | None) -> bool | None:
    """Whether a promise completed at ``done_at`` was kept (None when not completed or no due)."""
    if done_at is None or due is None:
        return None
    return done_at <= due


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
            stops[-1] = replace(stops[-1], until=event.at)
        if event.type == "reopened" and stops and stops[-1].until is None:
            stops[-1] = replace(stops[-1], until=event.at)
        if event.type == "waiting" and pause:
            stops.append(Stop(event.at, None, "waiting"))
        if event.type == "resolved":
            due_then = resolution_due_now(created_at=created_at, targets=targets, calendar=calendar, stops=stops)
            stops.append(Stop(event.at, None, "resolved", due_then))
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


# --- milestones ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MilestoneState:
    milestone: Milestone
    start: datetime | None  # None: the milestone it follows is not done yet
    due: datetime | None
    done_at: datetime | None
    state: str  # "not_started" | "running" | "paused" | "breached" | "met" | "met_late" | "not_done"

    @property
    def key(self) -> str:
        return self.milestone.key

    @property
    def pending(self) -> bool:
        """Still to be kept and counting: what the sweep escalates and the queue sorts by."""
        return self.state in ("running", "breached")


def milestone_states(*, created_at: datetime, targets: Targets, calendar: dict, stops: list[Stop],
                     done: dict[str, datetime], now: datetime, is_open: bool = True,
                     first_resolved_at: datetime | None = None) -> list[MilestoneState]:
    """Every milestone of ``targets`` with its start, due and state at ``now``, in order.
    ``done`` maps a milestone's key to its first completion."""
    found: list[MilestoneState] = []
    for milestone in targets.milestones:
        start = created_at if milestone.after == "report" else done.get(milestone.after)
        done_at = done.get(milestone.key)
        if start is None:
            found.append(MilestoneState(milestone, None, None, None, "not_started"))
            continue
        judged_by = [s for s in stops if s.until is not None and (done_at is None or s.until <= done_at)]
        due = milestone_due(start=start, within=milestone.within, calendar=calendar, stops=judged_by,
                            emergency=targets.emergency)
        if done_at is not None:
            state = "met" if done_at <= due else "met_late"
        elif not is_open and (first_resolved_at is None or start < first_resolved_at):
            state = "not_done"
        elif any(s.until is None and s.why == "waiting" and max(s.since, start) < due for s in stops):
            state = "paused"
        else:
            state = "breached" if now > due else "running"
        found.append(MilestoneState(milestone, start, due, done_at, state))
    return found


def milestone_due(*, start: datetime, within: Duration, calendar: dict, stops: list[Stop], emergency: bool) -> datetime:
    """Due ``within`` after ``start``, moved by each ended "waiting" stop (only its part after
    ``start``) that began before the due as it then stood."""
    due = deadline(calendar, start, within, emergency=emergency)
    for stop in stops:
        if stop.why != "waiting" or stop.until is None:
            continue
        since = max(stop.since, start)
        if since < due and since < stop.until:
            due = _moved(calendar, due, within, since, stop.until, emergency=emergency)
    return due


def milestones_done(targets: Targets, done: dict[str, datetime], *, completes: set[str], at: datetime
                    ) -> dict[str, datetime]:
    """The completions after an event that completes the kinds in ``completes`` at ``at``:
    each milestone not yet done, already started (its predecessor done before this event),
    whose ``done_by`` is one of them. A milestone and the one after it are never completed by
    the same event."""
    before = dict(done)
    after = dict(done)
    for milestone in targets.milestones:
        started = milestone.after == "report" or milestone.after in before
        if milestone.key not in before and started and milestone.done_by in completes:
            after[milestone.key] = at
    return after


def completed_kinds(event_type: str, data: dict, *, first_response: bool) -> set[str]:
    """What an event completes: its lifecycle step, "first_response" when it is the firm's
    first public act, and a staff "milestone_done" event its ``kind``."""
    kinds = set()
    if event_type == "milestone_done" and data.get("kind"):
        kinds.add(str(data["kind"]))
    elif event_type in LIFECYCLE_DONE_BY:
        kinds.add(event_type)
    if first_response:
        kinds.add("first_response")
    return kinds


def replay_milestones(*, targets: Targets, events: list) -> dict[str, datetime]:
    """The milestones' completions from a timeline alone (events in order)."""
    done: dict[str, datetime] = {}
    responded = False
    for event in events:
        first = not responded and event.public and event.actor.kind == "staff" and event.type in PUBLIC_STAFF_UPDATES
        responded = responded or first
        done = milestones_done(targets, done, completes=completed_kinds(event.type, event.data, first_response=first),
                               at=event.at)
    return done
