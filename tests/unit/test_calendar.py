"""The business-time calendar as a firm's staff and residents count time (pure, no AWS).

Dates of public holidays and make-up working days come from the holidays library; the
examples assert the real ones, so a library that loses them fails here first.
"""

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from random import Random
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import calendar as business
from chalicelib.domain.calendar import BusinessCalendar, calendar_from_document, parse_hours

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEMPLATES = Path(__file__).resolve().parents[2] / "tenants" / "templates"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
H = timedelta(hours=1)
MICRO = timedelta(microseconds=1)


def hours(*ranges: str, days=WEEKDAYS) -> dict:
    return {day: list(ranges) for day in days}


def local(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def template(name: str) -> dict:
    return yaml.safe_load((TEMPLATES / name).read_text(encoding="utf-8"))


OFFICE = BusinessCalendar("Europe/London", hours("09:00-17:30"))
LUNCH = BusinessCalendar("Asia/Shanghai", hours("08:30-12:00", "13:30-18:00"))
PRC = calendar_from_document(template("prc-residential.yaml")["calendar"], range(2025, 2028))
PRC_WEEKDAYS = calendar_from_document({"time_zone": "Asia/Shanghai", "country": "CN",
                                       "hours": hours("08:30-12:00", "13:30-18:00")}, [2026])
UK = calendar_from_document({"time_zone": "Europe/London", "country": "GB", "hours": hours("09:00-17:30")},
                            range(2025, 2028))
# Open through the nights on which London's clocks change (01:00 UTC on the last Sundays
# of March and October), with interval edges inside the skipped and the repeated hour.
NIGHTS = BusinessCalendar("Europe/London", {
    "sat": ["20:00-24:00"], "sun": ["00:00-00:45", "01:15-01:30", "01:45-02:30", "03:00-24:00"],
    "mon": ["00:00-06:00", "09:00-17:00"], "wed": ["10:00-11:00"],
})
NEW_YORK = BusinessCalendar("America/New_York", {"sun": ["01:30-03:30"], "sat": ["22:00-24:00"],
                                                 **hours("07:00-19:00")})
NO_HOURS = BusinessCalendar("Asia/Shanghai", {})
EMERGENCY = BusinessCalendar("Asia/Shanghai", always_open=True)


# --- strategies --------------------------------------------------------------------------

CLOCK_CHANGES = [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC),  # London
                 datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)]    # New York


DAY_PATTERNS = [parse_hours(p) for p in (
    [], [], ["09:00-17:30"], ["08:30-12:00", "13:30-18:00"], ["09:00-12:00"], ["00:00-24:00"],
    ["00:00-00:45", "01:15-01:30", "01:45-02:30", "03:00-24:00"],  # edges in London's skipped/repeated hour
    ["01:30-03:30", "07:00-19:00"],  # edges in New York's
    ["22:00-24:00"], ["00:00-06:00", "10:00-10:15"], ["06:00-06:15", "12:00-24:00"], ["23:45-24:00"],
)]


def random_calendar(zone: str, seed: int) -> BusinessCalendar:
    """A week of patterns, a few holidays and make-up weekend days, from one seed (cheap to draw)."""
    rng = Random(seed)
    week = {day: rng.choice(DAY_PATTERNS) for day in business.WEEKDAYS}
    week["mon"] = week["mon"] or DAY_PATTERNS[2]
    first = date(2025, 11, 29)  # a Saturday
    holidays = {first + timedelta(days=rng.randrange(430)) for _ in range(rng.randrange(16))}
    workdays = {first + timedelta(days=7 * rng.randrange(62) + rng.randrange(2)) for _ in range(rng.randrange(5))}
    return BusinessCalendar(zone, week, frozenset(holidays), frozenset(workdays - holidays))


calendars = st.one_of(
    st.sampled_from([OFFICE, LUNCH, PRC, PRC_WEEKDAYS, UK, NIGHTS, NEW_YORK]),
    st.builds(random_calendar, st.sampled_from(["Europe/London", "Asia/Shanghai", "America/New_York"]),
              st.integers(0, 2**32)),
)


YEAR_START = datetime(2025, 12, 20, tzinfo=UTC)
any_instant = st.integers(0, 377 * 86_400 * 10**6).map(lambda us: YEAR_START + timedelta(microseconds=us))


@st.composite
def instants(draw, cal: BusinessCalendar):
    """Any instant in 2026, one near a clock change, or a quarter hour of local wall time
    (which hits interval edges exactly)."""
    kind = draw(st.sampled_from(["any", "clock change", "wall"]))
    if kind == "any":
        return draw(any_instant)
    if kind == "clock change":
        return draw(st.sampled_from(CLOCK_CHANGES)) + timedelta(seconds=draw(st.integers(-40 * 3600, 40 * 3600)))
    day = draw(st.dates(date(2025, 12, 20), date(2026, 12, 31)))
    q = draw(st.integers(0, 95))
    return datetime(day.year, day.month, day.day, q // 4, q % 4 * 15, tzinfo=cal.zone).astimezone(UTC)


amounts = st.one_of(st.integers(0, 320).map(lambda q: q * timedelta(minutes=15)),
                    st.timedeltas(timedelta(0), timedelta(hours=80)))


@st.composite
def cases(draw):
    cal = draw(calendars)
    return cal, draw(instants(cal))


def interval_end(cal: BusinessCalendar, t: datetime) -> bool:
    day = t.astimezone(cal.zone).date()
    return any(e == t for d in (day - timedelta(days=1), day) for _, e in business.open_intervals(cal, d))


# --- properties --------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(cases(), amounts, amounts)
def test_adding_open_time_in_two_steps_is_adding_it_at_once(case, a, b):
    """For any start t: add(add(t, a), b) == add(t, a + b) when b > 0. When b == 0 the
    first step may end exactly at a closing, and adding nothing moves on to the next
    opening: add(add(t, a), 0) == next_open(add(t, a))."""
    cal, t = case
    once = business.add(cal, t, a)
    if b > timedelta(0):
        assert business.add(cal, once, b) == business.add(cal, t, a + b)
    else:
        assert business.add(cal, once, b) == business.next_open(cal, once)


@settings(max_examples=300, deadline=None)
@given(cases(), amounts)
def test_a_deadline_is_reached_while_open_and_counts_exactly_the_time_asked(case, a):
    cal, t = case
    due = business.add(cal, t, a)
    assert due.tzinfo is UTC
    assert due >= t
    assert business.between(cal, t, due) == a
    if a:
        # counted up to the deadline: open just before it, and it is open or a closing
        assert business.is_open(cal, due - MICRO)
        assert business.is_open(cal, due) or interval_end(cal, due)
    else:
        assert business.is_open(cal, due)


@settings(max_examples=200, deadline=None)
@given(cases(), amounts, amounts)
def test_more_time_never_gives_an_earlier_deadline(case, a, b):
    cal, t = case
    small, large = sorted((a, b))
    assert business.add(cal, t, small) <= business.add(cal, t, large)


@settings(max_examples=200, deadline=None)
@given(cases(), st.integers(0, 200 * 3600), st.integers(0, 200 * 3600))
def test_open_time_over_consecutive_spans_adds_up(case, x, y):
    cal, t = case
    u, v = t + timedelta(seconds=x), t + timedelta(seconds=x + y)
    assert business.between(cal, t, u) + business.between(cal, u, v) == business.between(cal, t, v)
    assert business.between(cal, v, t) == timedelta(0) or x + y == 0
    assert business.between(cal, t, v) <= v - t


@settings(max_examples=300, deadline=None)
@given(cases())
def test_next_open_is_the_first_open_instant(case):
    cal, t = case
    first = business.next_open(cal, t)
    assert first >= t and business.is_open(cal, first)
    assert business.between(cal, t, first) == timedelta(0)
    if business.is_open(cal, t):
        assert first == t


@settings(max_examples=300, deadline=None)
@given(calendars, any_instant)
def test_open_means_the_wall_clock_reads_an_opening_hour_of_that_date_away_from_clock_changes(cal, t):
    """An independent reading of the rules wherever the clocks do not change nearby."""
    offsets = {(t + dt).astimezone(cal.zone).utcoffset() for dt in (-4 * H, 0 * H, 4 * H)}
    if len(offsets) > 1:
        return
    wall = t.astimezone(cal.zone)
    since_midnight = wall - wall.replace(hour=0, minute=0, second=0, microsecond=0)

    def seconds(clock: time, end: bool = False) -> timedelta:
        return 24 * H if end and clock == time(0) else timedelta(hours=clock.hour, minutes=clock.minute)

    expected = any(seconds(s) <= since_midnight < seconds(e, True) for s, e in cal.hours_on(wall.date()))
    assert business.is_open(cal, t) == expected


@settings(max_examples=200, deadline=None)
@given(cases(), st.integers(0, 25), st.integers(0, 25))
def test_working_days_land_on_the_nth_working_day_and_grow_with_n(case, n, m):
    cal, t = case
    anchor = business.next_open(cal, t)
    start_day = anchor.astimezone(cal.zone).date()
    due = business.add_working_days(cal, t, n)
    if n == 0:
        assert due == anchor
    else:
        days = [d for d in (due.astimezone(cal.zone).date(), (due - MICRO).astimezone(cal.zone).date())
                if (spans := business.open_intervals(cal, d)) and spans[0][0] <= due <= spans[-1][1]]
        assert days, "the deadline lies within a working day's opening and closing"
        day = days[0]
        assert sum(cal.is_working_day(start_day + timedelta(days=k)) for k in range(1, (day - start_day).days + 1)) == n
    small, large = sorted((n, m))
    assert business.add_working_days(cal, t, small) <= business.add_working_days(cal, t, large)


# --- examples a person would check with a calendar --------------------------------------

def test_a_friday_evening_ticket_with_4_business_hours_is_due_monday_late_morning():
    # Friday 20 November 2026, Mon-Fri 09:00-17:30: half an hour on Friday, 3.5 h on Monday
    due = business.add(OFFICE, local(LONDON, 2026, 11, 20, 17, 0), 4 * H)
    assert due.astimezone(LONDON) == local(LONDON, 2026, 11, 23, 12, 30)
    # received after closing: all four hours on Monday
    assert business.add(OFFICE, local(LONDON, 2026, 11, 20, 19, 0), 4 * H) == local(LONDON, 2026, 11, 23, 13, 0)


def test_across_the_spring_clock_change_business_hours_count_in_local_time():
    # Friday 27 March 2026 16:00 GMT + 4 h: 1.5 h on Friday, 2.5 h on Monday 30 March (BST)
    due = business.add(OFFICE, local(LONDON, 2026, 3, 27, 16, 0), 4 * H)
    assert due == datetime(2026, 3, 30, 10, 30, tzinfo=UTC)
    assert due.astimezone(LONDON) == local(LONDON, 2026, 3, 30, 11, 30)
    assert due.astimezone(LONDON).tzname() == "BST"
    # and back in October: Monday 26 October 11:30 GMT is 11:30 UTC
    assert business.add(OFFICE, local(LONDON, 2026, 10, 23, 16, 0), 4 * H) == datetime(2026, 10, 26, 11, 30,
                                                                                        tzinfo=UTC)


def test_five_working_days_keep_the_clock_time_across_the_clock_change():
    due = business.add_working_days(OFFICE, local(LONDON, 2026, 3, 27, 17, 0), 5)
    assert due == datetime(2026, 4, 3, 16, 0, tzinfo=UTC)  # Friday 3 April 17:00 BST


def test_a_day_the_clocks_change_is_as_long_as_it_really_is():
    all_day = BusinessCalendar("Europe/London", {"sun": ["00:00-24:00"]})
    assert business.between(all_day, local(LONDON, 2026, 3, 29, 0, 0), local(LONDON, 2026, 3, 30, 0, 0)) == 23 * H
    assert business.between(all_day, local(LONDON, 2026, 10, 25, 0, 0), local(LONDON, 2026, 10, 26, 0, 0)) == 25 * H
    # 01:15-01:30 does not exist on 29 March: that interval is empty; 01:45-02:30 opens at the
    # jump (01:00 UTC) and closes at 02:30 BST, 30 minutes later
    night = business.between(NIGHTS, local(LONDON, 2026, 3, 29, 0, 50), local(LONDON, 2026, 3, 29, 2, 50))
    assert night == timedelta(minutes=30)
    # on 25 October 01:15-01:30 happens twice: it opens the first time and closes the first time
    assert business.between(NIGHTS, datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
                            datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == timedelta(minutes=15)


def test_a_lunch_break_is_not_counted():
    assert business.add(LUNCH, local(SHANGHAI, 2026, 11, 24, 11, 0), 2 * H) == local(SHANGHAI, 2026, 11, 24, 14, 30)
    assert business.between(LUNCH, local(SHANGHAI, 2026, 11, 24, 11, 0), local(SHANGHAI, 2026, 11, 24, 14, 30)) == 2 * H


def test_a_deadline_landing_on_a_closing_stays_there_and_zero_time_waits_for_the_opening():
    assert business.add(LUNCH, local(SHANGHAI, 2026, 11, 24, 11, 0), H) == local(SHANGHAI, 2026, 11, 24, 12, 0)
    assert business.add(LUNCH, local(SHANGHAI, 2026, 11, 24, 12, 0), timedelta(0)) == local(SHANGHAI, 2026, 11, 24,
                                                                                             13, 30)
    assert business.add(LUNCH, local(SHANGHAI, 2026, 11, 24, 10, 0), timedelta(0)) == local(SHANGHAI, 2026, 11, 24,
                                                                                             10, 0)
    assert not business.is_open(LUNCH, local(SHANGHAI, 2026, 11, 24, 12, 0))
    assert business.is_open(LUNCH, local(SHANGHAI, 2026, 11, 24, 13, 30))


def test_working_days_as_people_count_them():
    friday_1700 = local(LONDON, 2026, 11, 20, 17, 0)
    assert business.add_working_days(OFFICE, friday_1700, 5) == local(LONDON, 2026, 11, 27, 17, 0)
    # after closing, or at a weekend: as if received at the next opening
    assert business.add_working_days(OFFICE, local(LONDON, 2026, 11, 20, 17, 30), 5) == local(LONDON, 2026, 11, 30, 9)
    assert business.add_working_days(OFFICE, local(LONDON, 2026, 11, 21, 11, 0), 5) == local(LONDON, 2026, 11, 30, 9)
    assert business.add_working_days(OFFICE, local(LONDON, 2026, 11, 21, 11, 0), 0) == local(LONDON, 2026, 11, 23, 9)
    # before opening: from the opening; in a lunch break: from the afternoon opening
    assert business.add_working_days(LUNCH, local(SHANGHAI, 2026, 11, 24, 7, 0), 1) == local(SHANGHAI, 2026, 11, 25,
                                                                                             8, 30)
    assert business.add_working_days(LUNCH, local(SHANGHAI, 2026, 11, 24, 12, 30), 1) == local(SHANGHAI, 2026, 11,
                                                                                               25, 13, 30)


def test_a_clock_time_after_a_short_days_closing_is_due_at_that_closing():
    # The PRC template opens Saturday mornings only: Friday 15:00 + 1 working day is Saturday 12:00
    assert business.add_working_days(PRC, local(SHANGHAI, 2026, 11, 20, 15, 0), 1) == local(SHANGHAI, 2026, 11, 21, 12)
    assert business.add_working_days(PRC, local(SHANGHAI, 2026, 11, 20, 15, 0), 2) == local(SHANGHAI, 2026, 11, 23, 15)


def test_national_day_2026_closes_a_week_and_the_make_up_saturday_counts():
    # the State Council's 2026 arrangement, as the library gives it
    assert {date(2026, 10, d) for d in range(1, 8)} <= PRC_WEEKDAYS.holidays
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= PRC_WEEKDAYS.workdays  # Sunday and Saturday worked
    assert not PRC_WEEKDAYS.is_working_day(date(2026, 9, 30) + timedelta(days=1))
    # received on Wednesday 30 September, the last working day before the holiday:
    # 3 working days are Thursday 8, Friday 9 and Saturday 10 October (make-up day)
    received = local(SHANGHAI, 2026, 9, 30, 10, 0)
    assert business.add_working_days(PRC_WEEKDAYS, received, 3) == local(SHANGHAI, 2026, 10, 10, 10, 0)
    assert business.add_working_days(PRC_WEEKDAYS, received, 3) == datetime(2026, 10, 10, 2, 0, tzinfo=UTC)
    assert business.add_working_days(PRC_WEEKDAYS, received, 4) == local(SHANGHAI, 2026, 10, 12, 10, 0)
    # business hours: one hour on 30 September, the next on the morning of 8 October
    assert business.add(PRC_WEEKDAYS, local(SHANGHAI, 2026, 9, 30, 17, 0), 2 * H) == local(SHANGHAI, 2026, 10, 8, 9,
                                                                                           30)
    # a make-up Sunday opens with Monday's hours: a Saturday ticket waits for it, not for Monday
    assert business.next_open(PRC_WEEKDAYS, local(SHANGHAI, 2026, 9, 19, 15, 0)) == local(SHANGHAI, 2026, 9, 20, 8, 30)


def test_the_spring_festival_block_closes_its_weekend_days_for_firms_open_on_saturdays():
    # 2026: 15-23 February off, 14 and 28 February (Saturdays) worked
    assert {date(2026, 2, 15) + timedelta(days=k) for k in range(9)} <= PRC.holidays
    assert not PRC.is_working_day(date(2026, 2, 21))  # a Saturday inside the block
    assert PRC.hours_on(date(2026, 2, 14)) == PRC.hours["mon"]  # make-up Saturday: a full day
    assert business.next_open(PRC, local(SHANGHAI, 2026, 2, 13, 19, 0)) == local(SHANGHAI, 2026, 2, 14, 8, 30)
    assert business.next_open(PRC, local(SHANGHAI, 2026, 2, 14, 19, 0)) == local(SHANGHAI, 2026, 2, 24, 8, 30)


def test_make_up_days_of_2025_come_from_the_library_too():
    assert {date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)} <= \
        PRC.workdays


def test_english_bank_holidays_are_closed():
    assert {date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25), date(2026, 8, 31),
            date(2026, 12, 25), date(2026, 12, 28)} <= UK.holidays
    assert not UK.workdays
    # received Thursday 2 April 2026 16:00: Good Friday and Easter Monday are skipped
    assert business.add(UK, local(LONDON, 2026, 4, 2, 16, 0), 4 * H) == local(LONDON, 2026, 4, 7, 11, 30)
    assert business.add_working_days(UK, local(LONDON, 2026, 4, 2, 16, 0), 1) == local(LONDON, 2026, 4, 7, 16, 0)


def test_an_always_open_calendar_passes_time_through():
    t = local(SHANGHAI, 2026, 10, 1, 3, 17)
    u = local(SHANGHAI, 2026, 10, 2, 5, 0)
    assert business.add(EMERGENCY, t, 90 * timedelta(minutes=1)) == t + timedelta(minutes=90)
    assert business.between(EMERGENCY, t, u) == u - t
    assert business.add_working_days(EMERGENCY, t, 3) == t + 72 * H
    assert business.is_open(EMERGENCY, t) and business.next_open(EMERGENCY, t) == t
    assert business.add(EMERGENCY, t, H).tzinfo is UTC
    # how the SLA engine runs an emergency category on a firm's calendar
    assert business.add(replace(PRC, always_open=True), t, 90 * timedelta(minutes=1)) == t + timedelta(minutes=90)


def test_a_calendar_with_no_hours_raises_instead_of_searching_forever():
    t = local(SHANGHAI, 2026, 11, 23, 9, 0)
    for attempt in (lambda: business.add(NO_HOURS, t, H), lambda: business.next_open(NO_HOURS, t),
                    lambda: business.add_working_days(NO_HOURS, t, 1)):
        with pytest.raises(ValueError, match="no open hours|no working day"):
            attempt()
    assert not business.is_open(NO_HOURS, t)
    assert business.between(NO_HOURS, t, t + 48 * H) == timedelta(0)


def test_thirty_working_days_or_200_business_hours_walk_day_by_day(monkeypatch):
    seen: list[date] = []
    real = business.open_intervals
    monkeypatch.setattr(business, "open_intervals", lambda cal, day: seen.append(day) or real(cal, day))
    start = local(SHANGHAI, 2026, 9, 1, 9, 0)
    due = business.add_working_days(PRC_WEEKDAYS, start, 30)
    assert due == local(SHANGHAI, 2026, 10, 19, 9, 0)  # Mid-Autumn and National Day off, 2 make-up days
    assert len(seen) < 60
    seen.clear()
    business.add(OFFICE, local(LONDON, 2026, 1, 5, 9, 0), 200 * H)
    assert len(seen) < 45


@pytest.mark.parametrize("call", [
    lambda t: business.add(OFFICE, t, H), lambda t: business.add_working_days(OFFICE, t, 1),
    lambda t: business.between(OFFICE, t, t), lambda t: business.is_open(OFFICE, t),
    lambda t: business.next_open(OFFICE, t), lambda t: business.add(EMERGENCY, t, H),
])
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2026, 11, 23, 9, 0))


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        business.add(OFFICE, datetime(2026, 11, 23, tzinfo=UTC), -H)
    with pytest.raises(ValueError, match="working days"):
        business.add_working_days(OFFICE, datetime(2026, 11, 23, tzinfo=UTC), -1)


# --- hours and documents -----------------------------------------------------------------

def test_hours_are_read_as_people_write_them():
    assert parse_hours(["13:30-18:00", "08:30-12:00"]) == ((time(8, 30), time(12)), (time(13, 30), time(18)))
    assert parse_hours("9:00 - 17:30") == ((time(9), time(17, 30)),)
    assert parse_hours(["18:00-24:00"]) == ((time(18), time(0)),)
    assert parse_hours(["08:00-12:00", "12:00-13:00"]) == ((time(8), time(12)), (time(12), time(13)))
    assert parse_hours(None) == () and parse_hours([]) == ()


def test_the_last_minute_of_an_hour_and_of_the_day_are_times_people_write():
    assert parse_hours(["09:00-17:59"]) == ((time(9), time(17, 59)),)
    assert parse_hours(["00:59-01:00", "23:59-24:00"]) == ((time(0, 59), time(1)), (time(23, 59), time(0)))
    assert parse_hours(["00:00-24:00"]) == ((time(0), time(0)),)


@pytest.mark.parametrize("ranges,message", [
    (["9-17"], "'9-17' is not a time range like 08:30-12:00"),
    (["08:30-12:00", 9], "'9' is not a time range"),
    (["25:00-26:00"], "25:00 is not a time of day"),
    (["09:60-10:00"], "09:60 is not a time of day"),
    (["24:00-24:00"], "starts at 24:00"),
    (["18:00-24:30"], "24:30 is not a time of day"),
    (["18:00-24:01"], "24:01 is not a time of day"),
    (["24:00-24:30"], "24:30 is not a time of day"),
    (["09:00-17:60"], "17:60 is not a time of day"),
    (["12:00-08:30"], "12:00-08:30 ends before it starts"),
    (["09:00-09:00"], "09:00-09:00 is empty"),
    (["08:30-12:00", "11:00-13:00"], "08:30-12:00 overlaps 11:00-13:00"),
    (["11:00-13:00", "08:30-12:00"], "08:30-12:00 overlaps 11:00-13:00"),
    ({"mon": "09:00-17:00"}, "must be a list"),
])
def test_hours_that_make_no_sense_are_refused_with_the_reason(ranges, message):
    with pytest.raises(ValueError) as refused:
        parse_hours(ranges)
    assert message in str(refused.value)


def test_a_calendar_refuses_what_it_cannot_use():
    with pytest.raises(ValueError, match="is not a time zone"):
        BusinessCalendar("Mars/Olympus", {})
    with pytest.raises(ValueError, match="'monday' is not a weekday"):
        BusinessCalendar("UTC", {"monday": ["09:00-17:00"]})
    with pytest.raises(ValueError, match="both a holiday and a make-up working day"):
        BusinessCalendar("UTC", {}, frozenset({date(2026, 10, 10)}), frozenset({date(2026, 10, 10)}))
    assert BusinessCalendar("UTC", {"mon": ((time(9), time(12)),)}) == BusinessCalendar("UTC", {"mon": ["09:00-12:00"]})
    assert hash(OFFICE) == hash(BusinessCalendar("Europe/London", hours("09:00-17:30")))


def test_a_documents_own_dates_come_on_top_of_the_countrys():
    doc = {"time_zone": "Asia/Shanghai", "country": "CN", "hours": {"mon": ["09:00-17:00"]},
           "holidays": ["2026-12-24", date(2026, 10, 10)], "workdays": ["2026-10-08", "2026-10-03"]}
    cal = calendar_from_document(doc, [2026])
    assert date(2026, 12, 24) in cal.holidays
    assert date(2026, 10, 10) in cal.holidays and date(2026, 10, 10) not in cal.workdays  # a make-up day closed
    assert date(2026, 10, 3) in cal.workdays and date(2026, 10, 3) not in cal.holidays  # a holiday reopened
    assert date(2026, 10, 8) in cal.workdays


def test_the_whole_standards_document_or_its_calendar_section_will_do():
    whole = template("uk-social-housing.yaml")
    assert calendar_from_document(whole, [2026]) == calendar_from_document(whole["calendar"], [2026])


@pytest.mark.parametrize("section,message", [
    ({"hours": {}}, "needs a time_zone"),
    ({"time_zone": "Asia/Shanghai", "country": "XX"}, "country 'XX' is not known"),
    ({"time_zone": "Asia/Shanghai", "hours": {"mon": ["9-5"]}}, "mon: '9-5' is not a time range"),
    ({"time_zone": "Asia/Shanghai", "holidays": ["2026-13-01"]}, "'2026-13-01' in holidays is not a date"),
    ({"time_zone": "UTC", "holidays": ["2026-10-10"], "workdays": ["2026-10-10"]}, "both in holidays and in workdays"),
])
def test_a_calendar_section_that_cannot_be_used_says_why(section, message):
    with pytest.raises(ValueError) as refused:
        calendar_from_document(section, [2026])
    assert message in str(refused.value)


def test_country_days_are_looked_up_once_per_country_and_years():
    assert business.country_days("cn", (2026, 2025)) is business.country_days("CN", [2025, 2026, 2026])
    scotland, _ = business.country_days("GB-SCT", [2026])
    assert date(2026, 11, 30) in scotland and date(2026, 4, 6) not in scotland  # St Andrew's Day, no Easter Monday


# --- the supported countries' table (domain/holidays.json, written by infra/holiday_table.py) ----

@pytest.mark.parametrize("code", business.SUPPORTED)
def test_the_table_gives_the_librarys_days_for_every_supported_country_and_year(code):
    for year in range(business.TABLE_YEARS[0], business.TABLE_YEARS[1] + 1):
        assert business.country_days(code, [year]) == business._country_days(code, (year,)), (code, year)
    for years in ((2025, 2026), (2026, 2027, 2028), (2015, 2045)):  # several years at once: the same days
        assert business.country_days(code, years) == business._country_days(code, years), (code, years)


def test_the_table_is_what_the_generator_writes_from_the_installed_library():
    import json

    from infra import holiday_table
    assert holiday_table.table() == json.loads(holiday_table.PATH.read_text(encoding="utf-8")), \
        "regenerate with `python -m infra.holiday_table`"


def test_the_table_covers_exactly_the_countries_a_standards_document_may_name():
    from chalicelib.domain.standards import SUPPORTED_COUNTRIES
    assert business.SUPPORTED == SUPPORTED_COUNTRIES
    # England's bank holidays for "GB" and "UK", as the library's default subdivision gives them
    assert business.country_days("UK", [2026]) == business.country_days("GB", [2026]) == \
        business._country_days("GB-ENG", (2026,))


def test_a_supported_countrys_calendar_never_imports_the_library():
    import subprocess
    import sys
    code = ("import sys\nfrom chalicelib.domain.calendar import calendar_from_document\n"
            "for country in ('CN', 'GB', 'HK', 'SG', 'US'):\n"
            "    calendar_from_document({'time_zone': 'UTC', 'country': country}, [2025, 2026, 2027])\n"
            "print('holidays' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "False"


# --- what the mutation run of calendar.py found unguarded --------------------------------------

DAILY = {d: ["09:00-17:00"] for d in business.WEEKDAYS}


def test_intervals_given_as_times_are_named_to_the_second_and_24_00_in_the_reasons():
    with pytest.raises(ValueError, match=r"^09:00:30-09:00:30 is empty$"):
        BusinessCalendar("UTC", {"mon": [(time(9, 0, 30), time(9, 0, 30))]})
    with pytest.raises(ValueError, match=r"^09:00:00-08:00 ends before it starts$"):
        BusinessCalendar("UTC", {"mon": [(time(9, 0, 0, 500000), time(8))]})
    with pytest.raises(ValueError, match=r"^20:00-24:00 overlaps 22:00-23:00$"):
        BusinessCalendar("UTC", {"mon": [(time(20), time(0)), (time(22), time(23))]})


@pytest.mark.parametrize("call,message", [
    (lambda cal, t: business.is_open(cal, t), "t must be timezone-aware"),
    (lambda cal, t: business.between(cal, t, datetime(2026, 1, 2, tzinfo=UTC)), "a must be timezone-aware"),
    (lambda cal, t: business.between(cal, datetime(2026, 1, 1, tzinfo=UTC), t), "b must be timezone-aware"),
    (lambda cal, t: business.add_working_days(cal, t, 1), "start must be timezone-aware"),
])
def test_a_naive_instant_is_refused_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=f"^{message}, got naive 2026-01-01T12:00:00$"):
        call(BusinessCalendar("UTC", DAILY), datetime(2026, 1, 1, 12))


def test_a_number_of_working_days_must_be_whole_and_within_a_century():
    always = BusinessCalendar("UTC", always_open=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for days in (True, 1.0, -1):
        with pytest.raises(ValueError, match="^the number of working days must be a whole number, zero or more$"):
            business.add_working_days(always, start, days)
    assert business.add_working_days(always, start, business.MAX_WALK_DAYS) == \
        start + timedelta(days=business.MAX_WALK_DAYS)
    with pytest.raises(ValueError, match="^that is more than 100 years of working days away$"):
        business.add_working_days(always, start, business.MAX_WALK_DAYS + 1)


def test_working_days_may_be_exactly_three_years_apart_but_not_more():
    start = datetime(2026, 1, 1, 10, tzinfo=UTC)
    gap = business.MAX_CLOSED_DAYS  # closed days in a row after 2 January
    closed = frozenset(date(2026, 1, 3) + timedelta(days=i) for i in range(gap))
    cal = BusinessCalendar("UTC", DAILY, holidays=closed)
    after_the_gap = date(2026, 1, 3) + timedelta(days=gap)
    assert business.add_working_days(cal, start, 2) == datetime(after_the_gap.year, after_the_gap.month,
                                                                 after_the_gap.day, 10, tzinfo=UTC)
    longer = BusinessCalendar("UTC", DAILY, holidays=closed | {after_the_gap})
    with pytest.raises(ValueError, match="^the calendar has no working day in the three years after 2026-01-02; "
                                         "check its hours and holidays$"):
        business.add_working_days(longer, start, 2)


@pytest.mark.parametrize("doc,message", [
    (["09:00-17:00"], "the calendar must be a mapping with time_zone and hours"),
    ({"hours": {}}, "the calendar needs a time_zone, e.g. Asia/Shanghai"),
    ({"time_zone": "UTC", "hours": ["09:00-17:00"]}, "hours must map weekdays to ranges, e.g. mon: ['09:00-17:30']"),
    ({"time_zone": "UTC", "holidays": "2026-10-01"}, "holidays must be a list of dates like 2026-10-01"),
])
def test_a_calendar_document_it_cannot_use_is_refused_saying_what_to_write(doc, message):
    with pytest.raises(ValueError) as refused:
        calendar_from_document(doc, [2026])
    assert str(refused.value) == message


def test_holidays_given_as_instants_close_their_whole_date():
    cal = calendar_from_document({"time_zone": "UTC", "hours": DAILY,
                                  "holidays": [datetime(2026, 10, 1, 15, tzinfo=UTC)]}, [2026])
    assert cal.holidays == {date(2026, 10, 1)}
    assert business.open_intervals(cal, date(2026, 10, 1)) == []


@pytest.mark.parametrize("build,message", [
    (lambda: BusinessCalendar("UTC", ["09:00-17:00"]), "hours must map weekdays (mon..sun) to intervals"),
    (lambda: BusinessCalendar("UTC", {"monday": []}), "'monday' is not a weekday (use mon, tue, wed, thu, fri, sat, sun)"),
    (lambda: BusinessCalendar("UTC", {}, makeup_hours_from="1"),
     "makeup_hours_from must be a weekday (mon, tue, wed, thu, fri, sat, sun)"),
    (lambda: BusinessCalendar("UTC", {"mon": [(time(9), time(10), time(11))]}),
     f"{(time(9), time(10), time(11))!r} is not an interval (start, end) of naive times"),
    (lambda: BusinessCalendar("UTC", {"mon": [[time(9), "10:00"]]}),
     f"{[time(9), '10:00']!r} is not an interval (start, end) of naive times"),
    (lambda: BusinessCalendar("UTC", {"mon": [(time(9, tzinfo=UTC), time(10))]}),
     f"{(time(9, tzinfo=UTC), time(10))!r} is not an interval (start, end) of naive times"),
    (lambda: BusinessCalendar("UTC", {"mon": [(time(9), time(12, 0, 30)), (time(12), time(13))]}),
     "09:00-12:00:30 overlaps 12:00-13:00"),
    (lambda: BusinessCalendar("UTC", {"mon": [(time(9), time(12, 0, 0, 1)), (time(12), time(13))]}),
     "09:00-12:00:00 overlaps 12:00-13:00"),
    (lambda: parse_hours({"mon": "09:00-17:00"}), "hours must be a list like ['08:30-12:00', '13:30-18:00']"),
])
def test_hours_it_cannot_use_are_refused_with_the_exact_reason(build, message):
    with pytest.raises(ValueError) as refused:
        build()
    assert str(refused.value) == message


def test_a_day_given_as_none_is_closed_and_one_string_is_one_range():
    cal = BusinessCalendar("UTC", {"mon": None, "tue": "09:00-17:00"}, holidays=[date(2026, 12, 25)])
    assert cal.hours == {"tue": ((time(9), time(17)),)}
    assert cal.holidays == frozenset({date(2026, 12, 25)}) and hash(cal) == hash(cal)


@pytest.mark.parametrize("call,message", [
    (lambda cal, t: business.add(cal, t, -H), "the amount of open time to add must not be negative"),
    (lambda cal, t: business.add(cal, t, timedelta(days=business.MAX_WALK_DAYS, seconds=1)),
     "that is more than 100 years of open time away"),
    (lambda cal, t: business.add(cal, datetime(9800, 1, 1, tzinfo=UTC), H),
     "9800-01-01 is too far in the future to count open time from"),
    (lambda cal, t: business.add(cal, t.replace(tzinfo=None), H), "start must be timezone-aware, got naive 2026-01-01T12:00:00"),
])
def test_open_time_that_cannot_be_counted_is_refused_saying_why(call, message):
    with pytest.raises(ValueError) as refused:
        call(BusinessCalendar("UTC", DAILY), datetime(2026, 1, 1, 12, tzinfo=UTC))
    assert str(refused.value) == message


def test_a_century_of_open_time_is_the_most_that_is_counted():
    always = BusinessCalendar("UTC", always_open=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert business.add(always, start, timedelta(days=business.MAX_WALK_DAYS)) == \
        start + timedelta(days=business.MAX_WALK_DAYS)


def test_open_time_may_resume_after_exactly_three_years_closed_but_not_more():
    # the walk starts the day before the start: 31 December 2025 is the first of the closed days
    first = date(2025, 12, 31)
    closed = frozenset(first + timedelta(days=i) for i in range(business.MAX_CLOSED_DAYS))
    reopens = first + timedelta(days=business.MAX_CLOSED_DAYS)
    start = datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert business.add(BusinessCalendar("UTC", DAILY, holidays=closed), start, H) == \
        datetime(reopens.year, reopens.month, reopens.day, 10, tzinfo=UTC)
    with pytest.raises(ValueError) as refused:
        business.add(BusinessCalendar("UTC", DAILY, holidays=closed | {reopens}), start, H)
    assert str(refused.value) == ("the calendar has no open hours in the three years after 2026-01-01 10:00; "
                                  "check its hours and holidays")
    # after an open day, the count of closed days starts again from nothing
    later = frozenset(d + timedelta(days=2) for d in closed)  # open 31 Dec and 1 Jan, then closed
    back = reopens + timedelta(days=2)
    assert business.add(BusinessCalendar("UTC", DAILY, holidays=later), datetime(2026, 1, 1, 16, tzinfo=UTC), 2 * H) == \
        datetime(back.year, back.month, back.day, 10, tzinfo=UTC)


def test_a_calendar_with_no_hours_names_the_local_start_when_it_gives_up():
    with pytest.raises(ValueError) as refused:
        business.add(BusinessCalendar("Asia/Shanghai", {}), datetime(2026, 1, 1, 20, tzinfo=UTC), H)
    assert str(refused.value) == ("the calendar has no open hours in the three years after 2026-01-02 04:00; "
                                  "check its hours and holidays")


def test_a_document_gives_every_setting_to_the_calendar():
    doc = {"time_zone": "Asia/Shanghai", "hours": {"mon": ["09:00-17:00"], "sat": ["09:00-12:00"]},
           "holidays": ["2026-10-01"], "workdays": ["2026-10-11"], "makeup_hours_from": "sat", "always_open": True}
    assert calendar_from_document(doc, [2026]) == BusinessCalendar(
        "Asia/Shanghai", {"mon": ["09:00-17:00"], "sat": ["09:00-12:00"]}, holidays={date(2026, 10, 1)},
        workdays={date(2026, 10, 11)}, makeup_hours_from="sat", always_open=True)
    plain = calendar_from_document({"time_zone": "UTC"}, [2026])
    assert (plain.always_open, plain.makeup_hours_from, plain.workdays) == (False, "mon", frozenset())
    with pytest.raises(ValueError) as refused:
        calendar_from_document({"time_zone": "UTC", "workdays": ["someday"]}, [2026])
    assert str(refused.value).startswith("'someday' in workdays is not a date like 2026-10-01")


def test_a_make_up_day_takes_the_hours_of_its_day_even_when_that_day_is_closed():
    sunday_hours = BusinessCalendar("UTC", {"mon": ["09:00-17:00"]}, workdays=[date(2026, 10, 10)],
                                    makeup_hours_from="sun")
    assert sunday_hours.workdays == frozenset({date(2026, 10, 10)})
    assert not sunday_hours.is_working_day(date(2026, 10, 10))


def test_an_always_open_day_runs_from_local_midnight_to_midnight():
    cal = BusinessCalendar("Asia/Shanghai", always_open=True)
    assert business.open_intervals(cal, date(2026, 10, 10)) == [(datetime(2026, 10, 9, 16, tzinfo=UTC),
                                                                  datetime(2026, 10, 10, 16, tzinfo=UTC))]


def test_hours_starting_in_the_skipped_hour_open_at_the_second_the_clocks_jump():
    cal = BusinessCalendar("Europe/London", {"sun": ["01:30-03:00"]})
    assert business.open_intervals(cal, date(2026, 3, 29)) == [(datetime(2026, 3, 29, 1, tzinfo=UTC),
                                                                 datetime(2026, 3, 29, 2, tzinfo=UTC))]


def test_a_range_from_midnight_is_named_from_00_00():
    with pytest.raises(ValueError) as refused:
        parse_hours(["00:00-01:00", "00:30-02:00"])
    assert str(refused.value) == "00:00-01:00 overlaps 00:30-02:00"
