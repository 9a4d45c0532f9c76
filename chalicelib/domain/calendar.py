"""The business-time calendar: when a firm is open, and deadlines counted in open time.

Pure rules, no AWS. A :class:`BusinessCalendar` says, in the firm's local wall time,
which hours of each weekday are open (several intervals a day, e.g. 08:30-12:00 and
13:30-18:00), which dates are closed (holidays) and which weekend dates are worked
(make-up working days, 调休). Emergency categories use an ``always_open`` calendar.

Open time is real elapsed time between the instants at which the local clock reads an
interval's start and end, so a day on which the clocks change is exactly as long as it
really is. A wall time that does not exist (skipped when clocks go forward) means the
instant the clocks jumped; a wall time that happens twice (clocks go back) means its
first occurrence. Intervals are half-open: open at the start, closed at the end.

The functions (all take and return aware datetimes; results are in UTC):

``add(cal, start, amount)``
    The instant at which ``amount`` of open time has passed since ``start``. Counting
    starts at the first open instant at or after ``start``. A deadline that lands
    exactly on an interval's end stays there (it does not move to the next opening);
    ``amount == 0`` gives the first open instant at or after ``start``
    (= ``next_open``). Hence for every ``t`` and ``a >= 0``:
    ``add(add(t, a), b) == add(t, a + b)`` when ``b > 0``, and
    ``add(add(t, a), 0) == next_open(add(t, a))``.
``add_working_days(cal, start, days)``
    "Within N working days" as people mean it; see its docstring for the exact rule.
``between(cal, a, b)``
    Open time from ``a`` to ``b`` (zero when ``b <= a``); ``between(t, add(t, a)) == a``.
``is_open(cal, t)``, ``next_open(cal, t)``, ``open_intervals(cal, day)``

Holidays and make-up days of a country come from the ``holidays`` library
(:func:`country_days`, through a table written from it for the supported countries); for the PRC it has the State Council's yearly notice, make-up
days included, for each year it was released after (2026 in 0.109). A later year gets the
library's rule-based estimate of the holidays and no make-up days until it is upgraded.

Walking is interval by interval, day by day: 30 working days or 200 business hours cost a
few dozen days of work, never minute steps. A calendar with no open time within about
three years of the start raises ValueError rather than searching forever.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .fields import Problem, parse_date

UTC = timezone.utc
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIDNIGHT = time(0)  # as an interval's end: 24:00, the end of the day

# No open time for this many consecutive days means the calendar is broken (no hours,
# or every date a holiday): about three years.
MAX_CLOSED_DAYS = 3 * 366
# However much time is asked for, never walk further than this.
MAX_WALK_DAYS = 100 * 366
# The latest instant open time is counted from: a walk of MAX_WALK_DAYS from it ends well
# before datetime.max, so no amount and no start can overflow.
LAST_START = datetime(9800, 1, 1, tzinfo=timezone.utc)

# Countries whose official notices give each holiday as a block of consecutive days off
# that includes the weekend days inside it (PRC: "10月1日至7日放假调休，共7天"). The library
# lists only the weekdays off, so a weekend day inside such a block is added as a holiday:
# it matters to firms open on Saturdays.
_BLOCK_HOLIDAY_COUNTRIES = frozenset({"CN"})
# A country given without a subdivision, where the library's country-wide list is not what
# firms there mean: "GB" alone lacks Easter Monday and the August bank holiday.
_DEFAULT_SUBDIVISIONS = {"GB": "ENG", "UK": "ENG"}


@dataclass(frozen=True)
class BusinessCalendar:
    """When a firm is open, in its local wall time.

    ``hours`` maps ``mon``..``sun`` to intervals ``(start, end)``; an absent or empty day is
    closed; an end of ``time(0)`` means 24:00. Lists of strings such as
    ``["08:30-12:00", "13:30-18:00"]`` are accepted too and parsed with :func:`parse_hours`.
    ``holidays`` are closed all day; ``workdays`` are make-up working days (调休), open
    with the hours of ``makeup_hours_from`` whatever weekday they fall on. A date cannot
    be both. ``always_open`` (emergencies) ignores everything else: open 24/7.
    """

    time_zone: str
    hours: Mapping[str, tuple[tuple[time, time], ...]] = field(default_factory=dict, hash=False)
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    makeup_hours_from: str = "mon"
    always_open: bool = False

    def __post_init__(self) -> None:
        zone_of(self.time_zone)
        if not isinstance(self.hours, Mapping):
            raise ValueError("hours must map weekdays (mon..sun) to intervals")
        hours: dict[str, tuple[tuple[time, time], ...]] = {}
        for day, intervals in self.hours.items():
            if day not in WEEKDAYS:
                raise ValueError(f"'{day}' is not a weekday (use {', '.join(WEEKDAYS)})")
            parsed = _intervals_of(intervals)
            if parsed:
                hours[day] = parsed
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError(f"{both[0].isoformat()} is both a holiday and a make-up working day")
        if self.makeup_hours_from not in WEEKDAYS:
            raise ValueError(f"makeup_hours_from must be a weekday ({', '.join(WEEKDAYS)})")

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.time_zone)

    def hours_on(self, day: date) -> tuple[tuple[time, time], ...]:
        """The wall-time intervals open on a local date (empty when closed)."""
        if day in self.holidays:
            return ()
        if day in self.workdays:
            return self.hours.get(self.makeup_hours_from, ())
        return self.hours.get(WEEKDAYS[day.weekday()], ())

    def is_working_day(self, day: date) -> bool:
        """A date with any open time: an open weekday that is not a holiday, or a make-up day."""
        return bool(open_intervals(self, day))


def zone_of(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError with a readable message otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"'{name}' is not a time zone (use an IANA name such as Asia/Shanghai)") from None


# --- parsing ---------------------------------------------------------------------------

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")


def parse_hours(ranges: Any) -> tuple[tuple[time, time], ...]:
    """``["08:30-12:00", "13:30-18:00"]`` → sorted ``((08:30, 12:00), (13:30, 18:00))``.

    ``24:00`` may end a range (stored as ``time(0)``). ``None`` or ``[]`` is a closed day;
    a single string is one range. Raises ValueError naming the problem: a bad format, a
    time that does not exist, a range that ends before it starts, overlapping ranges.
    Ranges that only touch (12:00-13:00, 13:00-14:00) are allowed.
    """
    if ranges is None:
        return ()
    if isinstance(ranges, str):
        ranges = [ranges]
    if not isinstance(ranges, (list, tuple)):
        raise ValueError("hours must be a list like ['08:30-12:00', '13:30-18:00']")
    parsed = []
    for text in ranges:
        match = _RANGE.match(text) if isinstance(text, str) else None
        if not match:
            raise ValueError(f"'{text}' is not a time range like 08:30-12:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        for h, m in ((h1, m1), (h2, m2)):
            if h > 24 or m > 59 or (h == 24 and m):
                raise ValueError(f"{h:02d}:{m:02d} is not a time of day")
        if h1 == 24:
            raise ValueError(f"{text.strip()} starts at 24:00; a range can only end there")
        parsed.append((time(h1, m1), MIDNIGHT if h2 == 24 else time(h2, m2)))
    return _checked(parsed)


def _intervals_of(value: Any) -> tuple[tuple[time, time], ...]:
    """A day's hours as given to BusinessCalendar: strings, or (time, time) pairs."""
    if value is None or isinstance(value, str) or (
            isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
        return parse_hours(value)
    pairs = []
    for pair in value:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(t, time) for t in pair)
                and not any(t.tzinfo for t in pair)):
            raise ValueError(f"{pair!r} is not an interval (start, end) of naive times")
        pairs.append(tuple(pair))
    return _checked(pairs)


def _checked(pairs: list) -> tuple[tuple[time, time], ...]:
    pairs = sorted(pairs, key=lambda p: _since_midnight(p[0]))
    for start, end in pairs:
        if _since_midnight(end, end=True) <= _since_midnight(start):
            word = "is empty" if end == start else "ends before it starts"
            raise ValueError(f"{_text(start, end)} {word}")
    for (s1, e1), (s2, e2) in zip(pairs, pairs[1:]):
        if _since_midnight(s2) < _since_midnight(e1, end=True):
            raise ValueError(f"{_text(s1, e1)} overlaps {_text(s2, e2)}")
    return tuple(pairs)


def _since_midnight(t: time, *, end: bool = False) -> timedelta:
    if end and t == MIDNIGHT:
        return timedelta(days=1)
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _clock(t: time, *, end: bool = False) -> str:
    if end and t == MIDNIGHT:
        return "24:00"
    return t.strftime("%H:%M:%S" if t.second or t.microsecond else "%H:%M")


def _text(start: time, end: time) -> str:
    return f"{_clock(start)}-{_clock(end, end=True)}"


# --- from a standards document ------------------------------------------------------------

def calendar_from_document(doc: Mapping[str, Any], years: Iterable[int]) -> BusinessCalendar:
    """The calendar of a standards document's ``calendar`` section (the whole document is
    accepted too). Keys: ``time_zone`` (required), ``hours`` ({mon: ["08:30-12:00", ...]}),
    ``country`` (optional: public holidays and make-up working days for ``years`` from the
    ``holidays`` library; "GB" means England and Wales, "GB-SCT" Scotland and so on),
    ``holidays`` and ``workdays`` (optional extra dates, "2026-12-24" or date objects),
    ``makeup_hours_from`` (default "mon") and ``always_open`` (default false).

    The document's own dates win over the library's: an extra workday reopens a public
    holiday, an extra holiday closes a make-up day. Outside ``years`` only the document's
    dates apply, so pass every year a deadline may reach (e.g. last year to two ahead).
    Raises ValueError with a readable message for anything it cannot use.
    """
    if not isinstance(doc, Mapping):
        raise ValueError("the calendar must be a mapping with time_zone and hours")
    section = doc.get("calendar") if isinstance(doc.get("calendar"), Mapping) else doc
    zone = section.get("time_zone")
    if not zone:
        raise ValueError("the calendar needs a time_zone, e.g. Asia/Shanghai")
    hours = section.get("hours") or {}
    if not isinstance(hours, Mapping):
        raise ValueError("hours must map weekdays to ranges, e.g. mon: ['09:00-17:30']")
    parsed = {}
    for day, ranges in hours.items():
        try:
            parsed[day] = parse_hours(ranges)
        except ValueError as exc:
            raise ValueError(f"{day}: {exc}") from None
    extra_holidays = _dates(section.get("holidays"), "holidays")
    extra_workdays = _dates(section.get("workdays"), "workdays")
    both = sorted(extra_holidays & extra_workdays)
    if both:
        raise ValueError(f"{both[0].isoformat()} is listed both in holidays and in workdays")
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    if section.get("country"):
        holidays, workdays = country_days(str(section["country"]), years)
    return BusinessCalendar(
        time_zone=str(zone),
        hours=parsed,
        holidays=(holidays - extra_workdays) | extra_holidays,
        workdays=(workdays - extra_holidays) | extra_workdays,
        makeup_hours_from=str(section.get("makeup_hours_from") or "mon"),
        always_open=bool(section.get("always_open", False)),
    )


def _dates(values: Any, name: str) -> frozenset[date]:
    if values is None:
        return frozenset()
    if not isinstance(values, (list, tuple, set, frozenset)):
        raise ValueError(f"{name} must be a list of dates like 2026-10-01")
    out = set()
    for value in values:
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            try:
                value = parse_date(str(value))
            except Problem as problem:
                raise ValueError(f"'{value}' in {name} is not a date like 2026-10-01 ({problem})") from None
        out.add(value)
    return frozenset(out)


def country_days(country: str, years: Iterable[int]) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays, make-up working days) of a country for ``years``; cached per
    (country, years). ``country`` is an ISO code, optionally with a subdivision ("GB-SCT").
    ValueError if the library does not know it.

    The countries a standards document may name (``SUPPORTED``), for ``TABLE_YEARS``, are read
    from ``holidays.json`` beside this module: the same days, written from the library by
    ``python -m infra.holiday_table`` (a test fails when an upgraded library disagrees). The
    library itself, ~200 ms to import with its 250 countries, is then never loaded by a
    request; other countries and years still ask it."""
    key = country.strip().upper()
    wanted = tuple(sorted({int(y) for y in years}))
    if _TABLE_KEYS.get(key) and all(TABLE_YEARS[0] <= y <= TABLE_YEARS[1] for y in wanted):
        return _table_days(_TABLE_KEYS[key], wanted)
    return _country_days(key, wanted)


SUPPORTED = ("CN", "GB", "HK", "SG", "US")  # domain/standards.SUPPORTED_COUNTRIES, which a test holds equal
TABLE_YEARS = (2015, 2045)
_TABLE_KEYS = {**{code: code for code in SUPPORTED}, "UK": "GB", "GB-ENG": "GB", "UK-ENG": "GB"}


@lru_cache(maxsize=1)
def _table() -> dict:
    import json
    from pathlib import Path
    return json.loads(Path(__file__).with_name("holidays.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=64)
def _table_days(code: str, years: tuple[int, ...]) -> tuple[frozenset[date], frozenset[date]]:
    found: tuple[set[date], set[date]] = (set(), set())
    for year in years:
        for kept, days in zip(found, _table()[code][str(year)]):
            kept.update(date(year, int(d[:2]), int(d[2:])) for d in days.split())
    return frozenset(found[0]), frozenset(found[1])


@lru_cache(maxsize=64)
def _country_days(country: str, years: tuple[int, ...]) -> tuple[frozenset[date], frozenset[date]]:
    import holidays as library  # imported on first use: only for a country or year the table has not

    if not years:
        return frozenset(), frozenset()
    code, _, subdivision = country.partition("-")
    subdivision = subdivision or _DEFAULT_SUBDIVISIONS.get(code, "")
    code = "GB" if code == "UK" else code
    # One year either side so that a holiday block crossing New Year is seen whole.
    span = range(years[0] - 1, years[-1] + 2)
    try:
        known = library.country_holidays(code, subdiv=subdivision or None, years=span, expand=False)
    except NotImplementedError:
        raise ValueError(f"country '{country}' is not known to the holidays library") from None
    first, last = date(span[0], 1, 1), date(span[-1], 12, 31)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    listed = {d for d in known if first <= d <= last}
    makeup = {d for d in days if known.is_weekend(d) and known.is_working_day(d)}
    closed = set(listed)
    if code in _BLOCK_HOLIDAY_COUNTRIES:
        # A run of days off (holidays and un-worked weekend days) that holds a holiday is
        # one holiday block: every day of it is closed.
        run: list[date] = []
        for d in days + [last + timedelta(days=1)]:
            if d <= last and (d in listed or (known.is_weekend(d) and d not in makeup)):
                run.append(d)
                continue
            if any(x in listed for x in run):
                closed.update(run)
            run = []
    wanted = set(years)
    return (frozenset(d for d in closed if d.year in wanted),
            frozenset(d for d in makeup if d.year in wanted))


# --- open time ----------------------------------------------------------------------------

def open_intervals(cal: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    """The open intervals of a local date as UTC instants ``[start, end)``, in order, none
    empty; an always-open calendar gives the whole day."""
    zone = cal.zone
    if cal.always_open:
        return [(_instant(zone, day, MIDNIGHT), _instant(zone, day + timedelta(days=1), MIDNIGHT))]
    out = []
    for start, end in cal.hours_on(day):
        s = _instant(zone, day, start)
        e = _instant(zone, day + timedelta(days=1), MIDNIGHT) if end == MIDNIGHT else _instant(zone, day, end)
        if e > s:
            out.append((s, e))
    return out


def is_open(cal: BusinessCalendar, t: datetime) -> bool:
    """Whether ``t`` is inside an open interval (an interval's end is not open)."""
    t = _utc(t, "t")
    if cal.always_open:
        return True
    day = t.astimezone(cal.zone).date()
    return any(s <= t < e for d in (day - timedelta(days=1), day, day + timedelta(days=1))
               for s, e in open_intervals(cal, d))


def next_open(cal: BusinessCalendar, t: datetime) -> datetime:
    """The first open instant at or after ``t`` (``t`` itself when open)."""
    return add(cal, t, timedelta(0))


def add(cal: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """The instant at which ``amount`` of open time has passed since ``start`` (in UTC).

    Counting begins at the first open instant at or after ``start``. A result exactly at
    an interval's end stays there; a zero amount gives the first open instant at or after
    ``start``. Always-open calendars add plain elapsed time.
    """
    start = _before_the_end(_utc(start, "start"))
    if amount < timedelta(0):
        raise ValueError("the amount of open time to add must not be negative")
    if amount > timedelta(days=MAX_WALK_DAYS):
        raise ValueError("that is more than 100 years of open time away")
    if cal.always_open:
        return start + amount
    remaining = amount
    for _, s, e in _walk(cal, start):
        s = max(s, start)
        if remaining <= e - s:
            return s + remaining
        remaining -= e - s
    raise AssertionError("unreachable: _walk raises when it runs out")


def between(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Open time elapsed from ``a`` to ``b``; zero when ``b <= a``."""
    a, b = _utc(a, "a"), _utc(b, "b")
    if b <= a:
        return timedelta(0)
    if cal.always_open:
        return b - a
    zone = cal.zone
    day, last = a.astimezone(zone).date() - timedelta(days=1), b.astimezone(zone).date() + timedelta(days=1)
    total = timedelta(0)
    while day <= last:
        for s, e in open_intervals(cal, day):
            if s < b and e > a:
                total += min(e, b) - max(s, a)
        day += timedelta(days=1)
    return total


def add_working_days(cal: BusinessCalendar, start: datetime, days: int) -> datetime:
    """"Within ``days`` working days": the same local clock time on the ``days``-th
    following working day (a working day is a date with any open time).

    Precisely:

    1. The anchor is the first open instant at or after ``start`` (``next_open``): a
       ticket received while open keeps its time; one received before opening, in a
       break, after the last closing, on a holiday or at a weekend is taken as received
       at the next opening. E.g. under Mon–Fri 09:00–17:30, Friday 17:00 stays Friday
       17:00, Friday 17:30 or Saturday becomes Monday 09:00.
    2. Count ``days`` working days after the anchor's date (that date itself is day 0);
       make-up days count, holidays and closed weekdays do not.
    3. The deadline is the anchor's local clock time on that date, kept within the
       date's opening hours: before its first opening it moves to that opening, after
       its last closing it moves to that closing (e.g. 15:00 on a Saturday open
       09:00–12:00 becomes 12:00). A clock time inside a break stays as it is.

    ``days == 0`` gives the anchor. Always-open calendars give ``start + days × 24 h``.
    """
    start = _before_the_end(_utc(start, "start"))
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError("the number of working days must be a whole number, zero or more")
    if days > MAX_WALK_DAYS:
        raise ValueError("that is more than 100 years of working days away")
    if cal.always_open:
        return start + timedelta(days=days)
    day, s, _ = next(_walk(cal, start))
    anchor = max(s, start)
    if days == 0:
        return anchor
    clock = anchor.astimezone(cal.zone).time()
    counted = closed = 0
    while counted < days:
        day += timedelta(days=1)
        spans = open_intervals(cal, day)
        if spans:
            counted, closed = counted + 1, 0
        else:
            closed += 1
            if closed > MAX_CLOSED_DAYS:
                raise ValueError(f"the calendar has no working day in the three years after "
                                 f"{day - timedelta(days=closed)}; check its hours and holidays")
    return min(max(_instant(cal.zone, day, clock), spans[0][0]), spans[-1][1])


# --- internals ----------------------------------------------------------------------------

def _utc(t: datetime, name: str) -> datetime:
    if not isinstance(t, datetime):
        raise TypeError(f"{name} must be a datetime")
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {t.isoformat()}")
    return t.astimezone(UTC)


def _before_the_end(t: datetime) -> datetime:
    """Deadlines are counted from instants before LAST_START, so that walking up to
    MAX_WALK_DAYS ahead never runs past the last date Python has (ValueError, not OverflowError)."""
    if t >= LAST_START:
        raise ValueError(f"{t:%Y-%m-%d} is too far in the future to count open time from")
    return t


def _walk(cal: BusinessCalendar, since: datetime) -> Iterator[tuple[date, datetime, datetime]]:
    """Open intervals ending after ``since``, in order, with their local date. Raises
    ValueError after MAX_CLOSED_DAYS days in a row without open time."""
    day = since.astimezone(cal.zone).date() - timedelta(days=1)
    closed = 0
    for _ in range(MAX_WALK_DAYS):
        spans = open_intervals(cal, day)
        if spans:
            closed = 0
        else:
            closed += 1
            if closed > MAX_CLOSED_DAYS:
                raise ValueError(f"the calendar has no open hours in the three years after "
                                 f"{since.astimezone(cal.zone):%Y-%m-%d %H:%M}; check its hours and holidays")
        for s, e in spans:
            if e > since:
                yield day, s, e
        day += timedelta(days=1)
    raise ValueError("that is more than 100 years of open time away")


def _instant(zone: ZoneInfo, day: date, clock: time) -> datetime:
    """The UTC instant at which the local clock reads ``clock`` on ``day``. A wall time
    skipped by a forward change means the instant of the change; a repeated wall time
    its first occurrence."""
    local = datetime(day.year, day.month, day.day, clock.hour, clock.minute, clock.second, clock.microsecond,
                     tzinfo=zone)  # fold=0: the first occurrence, or the offset before a gap
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # In a gap: fold=1 reads it with the offset after the change, which lands before the
    # change; fold=0 lands after it. The change is on a whole second between the two.
    after = instant.astimezone(zone).utcoffset()
    lo = int(local.replace(fold=1).astimezone(UTC).timestamp())
    hi = int(instant.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)
