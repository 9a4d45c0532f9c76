"""The local EventBridge: fires the app's scheduled handlers as AWS would.

moto's EventBridge keeps rules but never fires them, so the local stack does it here.
Handlers are found on the Chalice app (``@app.schedule(...)`` registers a
``ScheduledEventConfig`` in ``app.event_sources`` and the wrapped handler in
``app.handler_map``) and invoked with the event EventBridge sends: a "Scheduled Event"
whose ``time`` is the scheduled time (handlers take "now" from it).

Expressions are EventBridge's:

* ``rate(N minute[s]|hour[s]|day[s])`` (or ``chalice.Rate``). EventBridge counts a rate
  from when the rule was created; locally rates are aligned to the Unix epoch in UTC
  (``rate(5 minutes)`` fires at :00, :05, …; ``rate(1 day)`` at 00:00 UTC), which makes
  runs predictable and testable.
* ``cron(minutes hours day-of-month month day-of-week year)`` (or ``chalice.Cron``), in
  UTC, with ``*``, ``?``, numbers, names (JAN-DEC, SUN-SAT), lists, ranges and ``/``
  steps. Day-of-week counts 1-7 from Sunday, as in AWS. Exactly one of day-of-month and
  day-of-week must be ``?``. ``L``, ``W`` and ``#`` are not supported locally.

Missed runs (the machine slept) are not replayed one by one: like EventBridge, the loop
fires once, for the latest scheduled time that has passed.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

log = logging.getLogger("propdesk.local.schedules")

ACCOUNT_ID = "123456789012"  # moto's default account
MAX_YEAR = 2199  # EventBridge's cron years run 1970-2199
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# --- expressions ---------------------------------------------------------------------------

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)", re.IGNORECASE)
_CRON = re.compile(r"cron\((.*)\)", re.IGNORECASE | re.DOTALL)
_UNIT = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
_MONTHS = {name: n for n, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_WEEKDAYS = {name: n for n, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}


def expression_text(expression: Any) -> str:
    """``"rate(1 minute)"`` for a string, a ``chalice.Rate`` or a ``chalice.Cron``."""
    if isinstance(expression, str):
        return expression.strip()
    to_string = getattr(expression, "to_string", None)
    if callable(to_string):
        return to_string().strip()
    raise ValueError(f"not a schedule expression: {expression!r}")


@dataclass(frozen=True)
class CronSpec:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # 1 = Sunday … 7 = Saturday
    years: frozenset[int]

    def day_matches(self, day: datetime) -> bool:
        if self.days_of_month is not None:
            return day.day in self.days_of_month
        assert self.days_of_week is not None
        return (day.isoweekday() % 7) + 1 in self.days_of_week


@dataclass(frozen=True)
class RateSpec:
    interval: timedelta


def parse(expression: Any) -> RateSpec | CronSpec:
    """Parse an EventBridge schedule expression; ValueError says what is wrong."""
    text = expression_text(expression)
    rate = _RATE.fullmatch(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).lower().rstrip("s")
        if value < 1:
            raise ValueError(f"{text}: the rate must be a positive whole number")
        return RateSpec(value * _UNIT[unit])
    cron = _CRON.fullmatch(text)
    if not cron:
        raise ValueError(f"{text!r} is neither rate(...) nor cron(...)")
    parts = cron.group(1).split()
    if len(parts) != 6:
        raise ValueError(f"{text}: cron needs 6 fields (minutes hours day-of-month month day-of-week year), "
                         f"got {len(parts)}")
    minute, hour, dom, month, dow, year = parts
    days_of_month = _parse_field(dom, 1, 31, {}, "day-of-month", text, question_ok=True)
    days_of_week = _parse_field(dow, 1, 7, _WEEKDAYS, "day-of-week", text, question_ok=True)
    if (days_of_month is None) == (days_of_week is None):
        raise ValueError(f"{text}: exactly one of day-of-month and day-of-week must be '?'")
    return CronSpec(
        minutes=_parse_field(minute, 0, 59, {}, "minutes", text),
        hours=_parse_field(hour, 0, 23, {}, "hours", text),
        days_of_month=days_of_month,
        months=_parse_field(month, 1, 12, _MONTHS, "month", text),
        days_of_week=days_of_week,
        years=_parse_field(year, 1970, MAX_YEAR, {}, "year", text),
    )


def _parse_field(raw: str, low: int, high: int, names: dict[str, int], what: str, text: str,
                 question_ok: bool = False) -> Any:
    if raw == "?":
        if not question_ok:
            raise ValueError(f"{text}: '?' is only allowed in day-of-month or day-of-week")
        return None

    def number(token: str) -> int:
        token = token.strip().upper()
        if token in names:
            return names[token]
        if not token.isdigit():
            if any(c in token for c in "LW#"):
                raise ValueError(f"{text}: {what} uses L, W or #, which the local scheduler does not support")
            raise ValueError(f"{text}: {what} has {token!r}, not a number"
                             + (f" or one of {', '.join(names)}" if names else ""))
        value = int(token)
        if not low <= value <= high:
            raise ValueError(f"{text}: {what} must be between {low} and {high}, got {value}")
        return value

    values: set[int] = set()
    for item in raw.split(","):
        if not item:
            raise ValueError(f"{text}: {what} has an empty list item")
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"{text}: {what} step must be a positive number, got {step_text!r}")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = number(first), number(last)
        else:
            start = number(base)
            end = high if slash else start  # "5/15": from 5, every 15, to the end of the range
        if start <= end:
            values.update(range(start, end + 1, step))
        else:  # a wrapping range such as FRI-MON
            span = list(range(start, high + 1)) + list(range(low, end + 1))
            values.update(span[::step])
    return frozenset(values)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def next_fire(expression: Any, after: datetime) -> datetime | None:
    """The first firing time strictly after ``after`` (UTC, aware), or None if the
    expression never fires again (a cron whose years are all past)."""
    spec = expression if isinstance(expression, (RateSpec, CronSpec)) else parse(expression)
    after = _utc(after)
    if isinstance(spec, RateSpec):
        periods = (after - _EPOCH) // spec.interval + 1
        return _EPOCH + periods * spec.interval
    return _next_cron(spec, after)


def _next_cron(spec: CronSpec, after: datetime) -> datetime | None:
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t.year <= MAX_YEAR:
        if t.year not in spec.years:
            later = [y for y in spec.years if y > t.year]
            if not later:
                return None
            t = datetime(min(later), 1, 1, tzinfo=timezone.utc)
            continue
        if t.month not in spec.months:
            t = (datetime(t.year + 1, 1, 1, tzinfo=timezone.utc) if t.month == 12
                 else datetime(t.year, t.month + 1, 1, tzinfo=timezone.utc))
            continue
        if not spec.day_matches(t):
            t = datetime(t.year, t.month, t.day, tzinfo=timezone.utc) + timedelta(days=1)
            continue
        if t.hour not in spec.hours:
            t = t.replace(minute=0) + timedelta(hours=1)
            continue
        if t.minute not in spec.minutes:
            later_minutes = [m for m in spec.minutes if m > t.minute]
            t = t.replace(minute=min(later_minutes)) if later_minutes else t.replace(minute=0) + timedelta(hours=1)
            continue
        return t
    return None


# --- the event --------------------------------------------------------------------------

def iso(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def rule_arn(rule_name: str, region: str | None = None) -> str:
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{rule_name}"


def scheduled_event(rule_name: str, scheduled: datetime, region: str | None = None) -> dict:
    """What EventBridge sends a scheduled target (the shape of chalice.test's generate_cw_event)."""
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": iso(scheduled),
        "region": region,
        "resources": [rule_arn(rule_name, region)],
        "detail": {},
    }


# --- the loop ---------------------------------------------------------------------------

def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Job:
    name: str  # the handler's name: app.handler_map key and Lambda function name
    expression: str
    spec: RateSpec | CronSpec
    rule_name: str
    due: datetime | None = None


@dataclass(frozen=True)
class Firing:
    name: str
    scheduled: datetime
    ok: bool
    error: str | None = None
    skipped: int = 0  # missed runs folded into this one


@dataclass
class ScheduleLoop:
    """Fires ``app``'s scheduled handlers when due.

    ``run_once(now)`` fires whatever is due at ``now`` and returns what it fired; ``run()``
    repeats that until ``stop()``, sleeping (via ``sleep``) until the next due time.
    ``clock`` gives the current UTC time; it is read once at construction to schedule the
    first runs (nothing fires for times before the loop existed).
    """

    app: Any
    clock: Callable[[], datetime] = _utcnow
    sleep: Callable[[float], Any] | None = None
    stage: str = "local"
    max_sleep: float = 30.0
    jobs: list[Job] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        if self.sleep is None:
            self.sleep = self._stop.wait
        app_name = getattr(self.app, "app_name", "app")
        start = _utc(self.clock())
        for source in getattr(self.app, "event_sources", []):
            expression = getattr(source, "schedule_expression", None)
            if expression is None:
                continue
            text = expression_text(expression)
            try:
                spec = parse(text)
            except ValueError as error:
                raise ValueError(f"scheduled handler {source.name!r}: {error}") from None
            if source.name not in self.app.handler_map:
                raise ValueError(f"scheduled handler {source.name!r} is not in the app's handler map")
            self.jobs.append(Job(source.name, text, spec, f"{app_name}-{self.stage}-{source.name}",
                                 next_fire(spec, start)))

    # -- describing -----------------------------------------------------------------------
    def describe(self) -> list[str]:
        if not self.jobs:
            return ["No scheduled jobs are defined."]
        return [f"Scheduled job {job.name}: {job.expression}, next at "
                f"{iso(job.due) if job.due else 'never'}" for job in self.jobs]

    def next_due(self) -> datetime | None:
        dues = [job.due for job in self.jobs if job.due is not None]
        return min(dues) if dues else None

    # -- firing ---------------------------------------------------------------------------
    def run_once(self, now: datetime | None = None) -> list[Firing]:
        now = _utc(now or self.clock())
        fired: list[Firing] = []
        for job in self.jobs:
            if job.due is None or job.due > now:
                continue
            scheduled, skipped = job.due, 0
            while (later := next_fire(job.spec, scheduled)) is not None and later <= now:
                scheduled, skipped = later, skipped + 1
            if skipped:
                log.warning("scheduled job %s missed %d run(s); firing once for %s", job.name, skipped,
                            iso(scheduled))
            job.due = next_fire(job.spec, scheduled)
            fired.append(self._invoke(job, scheduled, skipped))
        return fired

    def _invoke(self, job: Job, scheduled: datetime, skipped: int) -> Firing:
        from chalice.local import LambdaContext

        event = scheduled_event(job.rule_name, scheduled)
        context = LambdaContext(job.name, memory_size=128, max_runtime_ms=900_000)
        try:
            self.app.handler_map[job.name](event, context)
        except Exception as error:  # a failing job is logged; the loop and the other jobs go on
            log.exception("scheduled job %s (%s) failed for %s", job.name, job.expression, event["time"])
            return Firing(job.name, scheduled, False, f"{type(error).__name__}: {error}", skipped)
        log.info("scheduled job %s ran for %s", job.name, event["time"])
        return Firing(job.name, scheduled, True, None, skipped)

    # -- running --------------------------------------------------------------------------
    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once(self.clock())
            except Exception:  # never let the loop die: it is the only clock the jobs have
                log.exception("the schedule loop failed; it carries on")
            due = self.next_due()
            if due is None:
                if not self.jobs:
                    return
                delay = self.max_sleep
            else:
                delay = (due - _utc(self.clock())).total_seconds()
            if self._stop.is_set():
                return
            self.sleep(min(max(delay, 0.05), self.max_sleep))  # type: ignore[misc]

    def stop(self) -> None:
        self._stop.set()

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="propdesk-schedules", daemon=True)
        thread.start()
        return thread
