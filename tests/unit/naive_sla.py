"""A deliberately naive SLA clock, written for the tests and sharing no code with
``chalicelib.domain.clock``, ``standards`` or ``calendar``: it walks a ticket's timeline
one minute at a time.

- A minute is open when the firm's local clock, on a date that is not a holiday (a make-up
  working day takes Monday's hours), reads inside one of that weekday's ranges.
- First response: the first public staff act (acknowledge, wait, resolve, public comment).
  It is due when the open minutes since the report reach the target (any minute for a
  calendar target or an emergency).
- Resolution: the clock stands still while the ticket waits on the resident (if the
  standard pauses then) and from a resolve until a reopen. A stop counts once it has
  ended. It is due at the first minute boundary by which the running (open, not stopped)
  minutes reach the target; for "N working days" the due starts at the same local clock
  time on the Nth working day after the first open minute, and every open stopped minute
  of a stop that began before the due moves it one open minute later.
- The resolution is judged once, at the first resolve, against the due as it stood then
  (the stops that had ended by that minute); first response at its own completion.

Every time here is a whole minute, which the histories of the tests keep to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)
WEEKDAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PUBLIC_STAFF_ACTS = ("acknowledged", "waiting", "resolved", "comment")


@dataclass(frozen=True)
class Hours:
    """A firm's week: local ranges per weekday ("08:30-12:00"), holidays, make-up days."""
    zone: str
    week: tuple  # ((weekday, ((from_minute, to_minute), ...)), ...)
    holidays: frozenset = frozenset()
    workdays: frozenset = frozenset()

    @classmethod
    def of(cls, zone: str, week: dict[str, list[str]], holidays=(), workdays=()) -> "Hours":
        def minutes(text: str) -> int:
            h, m = text.split(":")
            return int(h) * 60 + int(m)
        parsed = tuple((day, tuple((minutes(r.split("-")[0]), minutes(r.split("-")[1])) for r in ranges))
                       for day, ranges in week.items())
        return cls(zone, parsed, frozenset(holidays), frozenset(workdays))

    def ranges(self, day: date) -> tuple:
        if day in self.holidays:
            return ()
        name = "mon" if day in self.workdays else WEEKDAY[day.weekday()]
        return dict(self.week).get(name, ())

    def is_open(self, t: datetime) -> bool:
        return _open(self, t.timestamp() // 60)

    def local_date(self, t: datetime) -> date:
        return t.astimezone(ZoneInfo(self.zone)).date()


@lru_cache(maxsize=400_000)
def _open(hours: Hours, minute_number: float) -> bool:
    from datetime import timezone
    local = datetime.fromtimestamp(minute_number * 60, timezone.utc).astimezone(ZoneInfo(hours.zone))
    clock = local.hour * 60 + local.minute
    return any(a <= clock < b for a, b in hours.ranges(local.date()))


@dataclass
class Target:
    kind: str  # "calendar" | "business_hours" | "working_days"
    minutes: int = 0  # calendar and business hours
    days: int = 0  # working days


@dataclass
class Figures:
    first_response_at: datetime | None
    first_response_due: datetime
    first_response_met: bool | None
    first_resolved_at: datetime | None
    resolution_judged_due: datetime | None  # the due as it stood at the first resolve
    resolution_met: bool | None
    resolution_due: datetime  # the running due, with the stops that have ended
    stops: list = field(default_factory=list)  # [(since, until or None, why)]


def stops_of(events: list, pause_on_wait: bool) -> list:
    """The spans the resolution clock stood still, from the timeline: (since, until, why)."""
    stops: list = []
    status = "new"
    for e in events:
        before = status
        if e.type in ("acknowledged", "waiting", "resolved", "closed"):
            status = e.type
        elif e.type == "assigned":
            status = "waiting" if status == "waiting" else "active"
        elif e.type in ("reopened", "resident_replied"):
            status = "active"
        open_stop = stops[-1] if stops and stops[-1][1] is None else None
        if open_stop and ((open_stop[2] == "waiting" and before == "waiting" and status != "waiting")
                          or (open_stop[2] == "resolved" and e.type == "reopened")):
            stops[-1] = (open_stop[0], e.at, open_stop[2])
        if e.type == "waiting" and pause_on_wait:
            stops.append((e.at, None, "waiting"))
        if e.type == "resolved":
            stops.append((e.at, None, "resolved"))
    return stops


def _stopped(stops: list, t: datetime) -> bool:
    return any(since <= t < until for since, until, _ in stops if until is not None)


def _counts(hours: Hours, t: datetime, business: bool) -> bool:
    return hours.is_open(t) if business else True


def _spend(hours: Hours, start: datetime, budget: int, business: bool, stops: list) -> datetime:
    """The first minute boundary by which ``budget`` running minutes have passed since ``start``."""
    t, used = start, 0
    while used < budget:
        if _counts(hours, t, business) and not _stopped(stops, t):
            used += 1
        t += MINUTE
    return t


def _one_open_minute_after(hours: Hours, t: datetime) -> datetime:
    while not hours.is_open(t):
        t += MINUTE
    return t + MINUTE


def working_days_due(hours: Hours, start: datetime, days: int) -> datetime:
    """The same local clock time on the ``days``-th working day after the first open minute
    (a working day: a date with open hours); kept within that date's opening hours."""
    anchor = start
    while not hours.is_open(anchor):
        anchor += MINUTE
    zone = ZoneInfo(hours.zone)
    local = anchor.astimezone(zone)
    day, counted = local.date(), 0
    while counted < days:
        day += timedelta(days=1)
        counted += bool(hours.ranges(day))
    ranges = hours.ranges(day)
    clock = min(max(local.hour * 60 + local.minute, ranges[0][0]), ranges[-1][1])
    return datetime(day.year, day.month, day.day, clock // 60, clock % 60, tzinfo=zone).astimezone(start.tzinfo)


def resolution_due(hours: Hours, created: datetime, target: Target, emergency: bool, stops: list) -> datetime:
    """The resolution due with the stops that have ended (open ones move nothing yet)."""
    ended = [s for s in stops if s[1] is not None]
    if target.kind == "working_days" and emergency:  # around the clock: N days of 24 h
        return _spend(hours, created, target.days * 24 * 60, False, ended)
    if target.kind != "working_days":
        business = target.kind == "business_hours" and not emergency
        return _spend(hours, created, target.minutes, business, ended)
    due = working_days_due(hours, created, target.days)
    for since, until, _ in ended:
        if since < due:
            t = since
            while t < until:
                if hours.is_open(t):
                    due = _one_open_minute_after(hours, due)
                t += MINUTE
    return due


def next_update_due(hours: Hours, events: list, every: Target | None, *, emergency: bool) -> datetime | None:
    """While open and answered: ``every`` after the last public staff act."""
    if every is None:
        return None
    status = "new"
    last = None
    for e in events:
        if e.type in ("resolved", "closed"):
            status = "done"
        elif e.type in ("reopened",):
            status = "open"
        if e.public and e.actor.kind == "staff" and e.type in PUBLIC_STAFF_ACTS:
            last = e.at
    if status == "done" or last is None:
        return None
    return _spend(hours, last, every.minutes, every.kind == "business_hours" and not emergency, [])


def figures(hours: Hours, created: datetime, events: list, first_response: Target, resolution: Target, *,
            emergency: bool, pause_on_wait: bool) -> Figures:
    """Every SLA figure of a ticket from its timeline (events with type, at, public, actor.kind)."""
    fr_business = first_response.kind == "business_hours" and not emergency
    fr_due = _spend(hours, created, first_response.minutes, fr_business, [])
    fr_at = next((e.at for e in events if e.public and e.actor.kind == "staff" and e.type in PUBLIC_STAFF_ACTS),
                 None)
    stops = stops_of(events, pause_on_wait)
    resolved_at = next((e.at for e in events if e.type == "resolved"), None)
    judged = None
    if resolved_at is not None:
        then = [s for s in stops if s[1] is not None and s[1] <= resolved_at]  # ended by then
        judged = resolution_due(hours, created, resolution, emergency, then)
    return Figures(fr_at, fr_due, None if fr_at is None else fr_at <= fr_due, resolved_at, judged,
                   None if resolved_at is None else resolved_at <= judged,
                   resolution_due(hours, created, resolution, emergency, stops), stops)
