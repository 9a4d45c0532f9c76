"""Scores from counters: each score equals the plain formula over the raw records, and the
counters stay right however a ticket changes (pure rules, no AWS)."""

from __future__ import annotations

import math
import statistics
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from chalicelib.domain import scores
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.tickets import Ticket

START = datetime(2026, 10, 5, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in Shanghai; all fixtures stay in Q2026-4
ALL = [("all", "all")]
QUARTER = ("Q2026-4", "all", "all")
ZONES = ["UTC", "Asia/Shanghai", "America/Santiago", "Europe/London", "Pacific/Chatham", "Pacific/Kiritimati"]
WEIGHTS = {"tangibles": 10, "reliability": 30, "responsiveness": 25, "assurance": 20, "empathy": 15}


def a_ticket(**changes) -> Ticket:
    ticket = Ticket(id="T", tenant_id="X", number=1, status="new", category="plumbing", urgency="normal",
                    property_id="P1", building_id="B1", unit="1203", description="Tap drips",
                    created_at=START, updated_at=START,
                    first_response_due=START + timedelta(hours=4), resolution_due=START + timedelta(days=3))
    return replace(ticket, **changes)


def total(contributions: list[dict]) -> dict:
    result: dict = {}
    for contribution in contributions:
        result = scores.add(result, contribution)
    return result


def wilson_pct(k: int, n: int) -> tuple[float, float]:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return 100 * low, 100 * high


def t_interval(values: list[float]) -> tuple[float, float]:
    mean, half = statistics.mean(values), stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values)
    half /= math.sqrt(len(values))
    return mean - half, mean + half


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


# --- periods -------------------------------------------------------------------------

def test_periods_follow_the_firms_time_zone_at_local_midnight():
    # Given Monday 16 November 2026 00:00 in Shanghai, still Sunday in UTC
    at = datetime(2026, 11, 15, 16, 0, tzinfo=timezone.utc)
    # Then the Shanghai firm counts it in the new ISO week, a UTC firm in the old one
    assert scores.period_keys(at, "Asia/Shanghai") == {"week": "W2026-47", "month": "M2026-11", "quarter": "Q2026-4"}
    assert scores.period_keys(at, "UTC") == {"week": "W2026-46", "month": "M2026-11", "quarter": "Q2026-4"}


def test_new_year_in_shanghai_is_still_last_year_in_utc():
    at = datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)  # 1 January 2027 00:00 in Shanghai, a Friday
    assert scores.period_keys(at, "Asia/Shanghai") == {"week": "W2026-53", "month": "M2027-01", "quarter": "Q2027-1"}
    assert scores.period_keys(at, "UTC") == {"week": "W2026-53", "month": "M2026-12", "quarter": "Q2026-4"}
    # the first ISO week of 2027 starts on Monday 4 January
    monday = datetime(2027, 1, 3, 16, 0, tzinfo=timezone.utc)
    assert scores.period_keys(monday, "Asia/Shanghai")["week"] == "W2027-01"
    assert scores.period_keys(monday, "UTC")["week"] == "W2026-53"


def test_previous_periods_run_oldest_first_across_the_year_boundary():
    assert scores.previous_periods("W2027-02", 4) == ["W2026-52", "W2026-53", "W2027-01", "W2027-02"]
    assert scores.previous_periods("M2026-02", 3) == ["M2025-12", "M2026-01", "M2026-02"]
    trend = scores.previous_periods("Q2026-1", 12)
    assert (len(trend), trend[0], trend[-1]) == (12, "Q2023-2", "Q2026-1")
    assert scores.previous_periods("M2026-02", 0) == []


def test_period_bounds_are_local_midnights_in_utc():
    assert scores.period_bounds("Q2026-4", "Asia/Shanghai") == (datetime(2026, 9, 30, 16, tzinfo=timezone.utc),
                                                               datetime(2026, 12, 31, 16, tzinfo=timezone.utc))
    assert scores.period_bounds("W2026-53", "UTC") == (datetime(2026, 12, 28, tzinfo=timezone.utc),
                                                       datetime(2027, 1, 4, tzinfo=timezone.utc))


@pytest.mark.parametrize("text", ["W2025-53", "W2026-54", "W2026-00", "M2026-13", "M2026-00", "Q2026-5", "Q2026-0",
                                  "W2026-7", "M2026-1", "Q2026-04", "X2026-1", "2026-11", "", "M1969-12",
                                  "W２０２６-47", "M2026/11", " M2026-11"])
def test_nonsense_periods_are_refused_naming_the_period(text):
    with pytest.raises(InvalidInput) as refused:
        scores.parse_period(text)
    assert set(refused.value.fields) == {"period"}


def test_a_53rd_week_is_accepted_only_in_years_that_have_one():
    assert scores.parse_period("W2026-53").key == "W2026-53"
    assert scores.parse_period("W2020-53").key == "W2020-53"


@settings(max_examples=200, deadline=None)
@given(at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)),
       zone=st.sampled_from(ZONES))
def test_every_instant_lies_within_the_bounds_of_its_periods(at, zone):
    for key in scores.period_keys(at, zone).values():
        start, end = scores.period_bounds(key, zone)
        assert start <= at < end
        assert scores.parse_period(key).key == key
        assert scores.period_bounds(scores.parse_period(key).shift(1).key, zone)[0] == end


# --- slices and contributions of a ticket --------------------------------------------

def test_a_ticket_counts_in_firm_property_building_category_and_staff_slices():
    assert scores.slices(a_ticket()) == [("all", "all"), ("property", "P1"), ("building", "B1"),
                                         ("category", "plumbing")]
    assert scores.slices(a_ticket(assignee="s1"))[-1] == ("staff", "s1")


def test_a_new_ticket_counts_once_in_each_period_and_slice_of_its_creation():
    contributions = scores.ticket_contributions(a_ticket(repeat=True), "Asia/Shanghai")
    assert set(contributions) == {(period, by, value) for period in ("W2026-41", "M2026-10", "Q2026-4")
                                  for by, value in scores.slices(a_ticket())}
    assert all(counters == {"tickets": 1, "repeat": 1} for counters in contributions.values())


def test_first_response_counts_at_its_own_period_with_its_minutes():
    # Given a ticket created on 30 November (Shanghai) and answered 30 hours later, in December
    created = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
    ticket = a_ticket(created_at=created, first_response_at=created + timedelta(hours=30),
                      first_response_due=created + timedelta(hours=24))
    contributions = scores.ticket_contributions(ticket, "Asia/Shanghai")
    assert contributions[("M2026-11", "all", "all")] == {"tickets": 1}
    assert contributions[("M2026-12", "all", "all")] == {"fr_n": 1, **scores.timed(scores.FIRST_RESPONSE, 1800)}


def test_a_ticket_closed_as_duplicate_without_resolution_never_counts_as_resolved():
    resolved = START + timedelta(hours=5)
    # resolved, reopened, then closed as a duplicate: a reopen clears resolved_at
    ticket = a_ticket(status="closed", first_resolved_at=resolved, resolved_at=None, reopen_count=1,
                      closed_at=resolved + timedelta(hours=1))
    assert "resolved" not in scores.ticket_contributions(ticket, "UTC")[QUARTER]
    # closed after a resolution it still counts
    kept = replace(ticket, resolved_at=resolved, reopen_count=0)
    assert scores.ticket_contributions(kept, "UTC")[QUARTER]["resolved"] == 1


def test_a_reopened_ticket_keeps_its_first_resolution_but_is_no_first_time_fix():
    first = START + timedelta(hours=5)
    ticket = a_ticket(status="resolved", first_response_at=START + timedelta(hours=1), first_resolved_at=first,
                      resolved_at=first + timedelta(days=2), reopen_count=1, visits=1)
    counters = scores.ticket_contributions(ticket, "UTC")[QUARTER]
    assert counters["resolved"] == 1 and counters["reopened"] == 1 and counters["res_met"] == 1
    assert "ftf_ops" not in counters
    assert scores.histogram(counters, scores.RESOLUTION, 1) == {scores.bucket(300): 1}


def test_a_follow_up_counts_only_within_48_hours_of_the_first_resolution():
    resolved = START + timedelta(hours=5)
    on_time = a_ticket(status="resolved", first_resolved_at=resolved, resolved_at=resolved,
                       followed_up_at=resolved + timedelta(hours=48))
    late = replace(on_time, followed_up_at=resolved + timedelta(hours=48, seconds=1))
    assert scores.ticket_contributions(on_time, "UTC")[QUARTER]["followed_up"] == 1
    assert "followed_up" not in scores.ticket_contributions(late, "UTC")[QUARTER]


def test_reassignment_moves_the_counts_from_one_staff_member_to_the_other():
    before = a_ticket(status="assigned", assignee="s1", first_response_at=START + timedelta(hours=1))
    after = replace(before, assignee="s2")
    change = scores.ticket_change(before, after, "UTC")
    assert change[("Q2026-4", "staff", "s1")] == {"tickets": -1, "fr_n": -1, "fr_met": -1,
                                                  **scores.subtract({}, scores.timed(scores.FIRST_RESPONSE, 60))}
    assert change[("Q2026-4", "staff", "s2")] == {"tickets": 1, "fr_n": 1, "fr_met": 1, **scores.timed(scores.FIRST_RESPONSE, 60)}
    assert ("Q2026-4", "all", "all") not in change  # nothing changed for the firm as a whole


def test_add_and_subtract_merge_nested_counters_and_drop_zeros():
    a = {("W", "all", "all"): {"tickets": 2, "repeat": 1}, ("W", "staff", "s1"): {"tickets": 1}}
    b = {("W", "all", "all"): {"tickets": 1, "repeat": 1}, ("W", "staff", "s1"): {"tickets": 1}}
    assert scores.subtract(a, b) == {("W", "all", "all"): {"tickets": 1}}
    assert scores.add(a, scores.subtract(b, a)) == b
    assert scores.add({"fr_n": 1}, {"fr_n": -1, "fr_met": 2}) == {"fr_met": 2}


STAFF = ["s1", "s2", "s3"]
CATEGORIES = ["plumbing", "electrical", "lifts"]
CHANGES = st.one_of(
    st.just(("acknowledge",)), st.tuples(st.just("assign"), st.sampled_from(STAFF)),
    st.tuples(st.just("recategorise"), st.sampled_from(CATEGORIES)), st.just(("resolve",)), st.just(("reopen",)),
    st.just(("follow_up",)), st.just(("visit",)), st.just(("close",)), st.tuples(st.just("survey"), st.integers(1, 5)),
)


def changed(ticket: Ticket, change: tuple, now: datetime, responses: list) -> tuple[Ticket, list]:
    """A plain model of what the lifecycle does to the fields the scores read."""
    kind, open_ = change[0], ticket.status in ("new", "acknowledged", "assigned")
    responded = ticket.first_response_at or now
    if kind == "acknowledge" and ticket.status == "new":
        return replace(ticket, status="acknowledged", first_response_at=responded), responses
    if kind == "assign" and open_:
        return replace(ticket, status="assigned", assignee=change[1]), responses
    if kind == "recategorise" and open_:
        return replace(ticket, category=change[1]), responses
    if kind == "resolve" and open_:
        return replace(ticket, status="resolved", resolved_at=now, first_response_at=responded,
                       first_resolved_at=ticket.first_resolved_at or now), responses
    if kind == "reopen" and ticket.status == "resolved":
        return replace(ticket, status="assigned" if ticket.assignee else "acknowledged", resolved_at=None,
                       reopen_count=ticket.reopen_count + 1), responses
    if kind == "follow_up" and ticket.first_resolved_at:
        return replace(ticket, followed_up_at=ticket.followed_up_at or now), responses
    if kind == "visit" and open_:
        return replace(ticket, visits=ticket.visits + 1), responses
    if kind == "close" and ticket.status != "closed":
        return replace(ticket, status="closed", closed_at=now), responses
    if kind == "survey" and ticket.status == "resolved" and not responses:
        return ticket, [scores.SurveyResponse(at=now, rating=change[1], nps=2 * change[1], fixed_first_visit=True)]
    return ticket, responses


@settings(max_examples=400, deadline=None)
@given(steps=st.lists(st.tuples(CHANGES, st.integers(min_value=1, max_value=40_000)), min_size=3, max_size=16),
       zone=st.sampled_from(ZONES), repeat=st.booleans(), start_minutes=st.integers(0, 60 * 24 * 400))
def test_adding_each_changes_difference_gives_the_final_tickets_contributions(steps, zone, repeat, start_minutes):
    # Given a stored total that only ever receives ADDs of differences
    created = datetime(2025, 12, 1, tzinfo=timezone.utc) + timedelta(minutes=start_minutes)
    ticket = a_ticket(created_at=created, repeat=repeat, first_response_due=created + timedelta(hours=4),
                      resolution_due=created + timedelta(days=3))
    responses: list = []
    stored = scores.ticket_change(None, ticket, zone)
    now = created
    # When the ticket goes through any sequence of changes
    for change, minutes in steps:
        now += timedelta(minutes=minutes)
        after, after_responses = changed(ticket, change, now, responses)
        stored = scores.add(stored, scores.ticket_change(ticket, after, zone, responses_before=responses,
                                                         responses_after=after_responses))
        ticket, responses = after, after_responses
        assert all(value > 0 for counters in stored.values() for value in counters.values())
    # Then the total is what the final ticket alone contributes
    assert stored == scores.ticket_contributions(ticket, zone, responses=responses)


# --- operational scores from a fixture of tickets ------------------------------------

# first response, its due, resolution, its due (minutes after creation; None: not yet),
# visits, reopens, follow-up (minutes after resolution), repeat, closed as duplicate
RECORDS = [
    (12, 240, 300, 4320, 1, 0, 60, False, False),
    (45, 240, 1500, 4320, 1, 0, None, False, False),
    (250, 240, 5000, 4320, 2, 0, 3000, True, False),
    (0.5, 240, 90, 4320, 0, 0, 10, False, False),
    (30, 30, 700, 1440, 1, 1, 2880, False, False),
    (95, 240, 2880, 4320, 3, 0, None, True, False),
    (8, 240, None, 4320, 0, 0, None, False, False),
    (None, 240, None, 4320, 0, 0, None, False, False),
    (600, 480, 9000, 8640, 1, 2, 100, False, False),
    (20, 240, 400, 4320, 1, 0, 20, False, True),
    (3, 240, 150, 4320, 1, 0, 2000, False, False),
    (75, 240, 4000, 4320, 2, 1, None, True, False),
]


def record_ticket(i: int, record: tuple) -> Ticket:
    fr, fr_due, res, res_due, visits, reopens, follow, repeat, duplicate = record
    created = START + timedelta(days=i)
    at = lambda minutes: created + timedelta(minutes=minutes) if minutes is not None else None  # noqa: E731
    resolved = at(res)
    return a_ticket(created_at=created, status="closed" if duplicate else "resolved" if res else "acknowledged",
                    first_response_at=at(fr), first_response_due=at(fr_due), resolution_due=at(res_due),
                    first_resolved_at=resolved, resolved_at=None if duplicate else resolved, visits=visits,
                    reopen_count=reopens, repeat=repeat,
                    followed_up_at=resolved + timedelta(minutes=follow) if follow is not None else None)


def operational_counters() -> dict:
    contributions = [scores.ticket_contributions(record_ticket(i, r), "Asia/Shanghai") for i, r in enumerate(RECORDS)]
    return total(contributions)[QUARTER]


def test_sla_compliance_is_the_share_met_of_first_responses_and_of_resolutions():
    result = scores.scores(operational_counters())
    answered = [r for r in RECORDS if r[0] is not None]
    met = sum(1 for r in answered if r[0] <= r[1])
    assert result["sla_first_response"].value == pytest.approx(100 * met / len(answered))
    assert (result["sla_first_response"].low, result["sla_first_response"].high) == pytest.approx(
        wilson_pct(met, len(answered)))
    resolved = [r for r in RECORDS if r[2] is not None and not r[8]]
    met = sum(1 for r in resolved if r[2] <= r[3])
    resolution = result["sla_resolution"]
    assert (resolution.value, resolution.n) == (pytest.approx(100 * met / len(resolved)), len(resolved))
    assert (resolution.low, resolution.high) == pytest.approx(wilson_pct(met, len(resolved)))


def test_first_time_fix_reopen_and_follow_up_rates_are_shares_of_resolved_tickets():
    result = scores.scores(operational_counters())
    resolved = [r for r in RECORDS if r[2] is not None and not r[8]]
    n = len(resolved)
    fixed = sum(1 for r in resolved if r[4] <= 1 and r[5] == 0)
    reopened = sum(1 for r in resolved if r[5] > 0)
    followed = sum(1 for r in resolved if r[6] is not None and r[6] <= 48 * 60)
    for name, k in (("first_time_fix_ops", fixed), ("reopen_rate", reopened), ("follow_up_rate", followed)):
        assert result[name].value == pytest.approx(100 * k / n), name
        assert (result[name].low, result[name].high) == pytest.approx(wilson_pct(k, n)), name
        assert result[name].n == n and result[name].unit == "%"


def test_repeat_rate_volume_and_share_count_created_tickets():
    result = scores.scores(operational_counters(), total_tickets=40)
    repeats = sum(1 for r in RECORDS if r[7])
    assert result["repeat_rate"].value == pytest.approx(100 * repeats / len(RECORDS))
    assert (result["volume"].value, result["volume"].n, result["volume"].unit) == (len(RECORDS), len(RECORDS),
                                                                                   "tickets")
    assert result["share"].value == pytest.approx(100 * len(RECORDS) / 40)
    assert (result["share"].low, result["share"].high) == pytest.approx(wilson_pct(len(RECORDS), 40))
    assert "share" not in scores.scores(operational_counters())


def test_response_and_resolution_percentiles_are_within_five_percent_of_the_exact_ones():
    result = scores.scores(operational_counters())
    first = [r[0] for r in RECORDS if r[0] is not None]
    resolution = [r[2] for r in RECORDS if r[2] is not None and not r[8]]
    for values, name, q in ((first, "first_response_p50", 0.5), (first, "first_response_p90", 0.9),
                            (resolution, "resolution_p50", 0.5), (resolution, "resolution_p90", 0.9)):
        score = result[name]
        assert score.value == pytest.approx(nearest_rank(values, q), rel=scores.RELATIVE_ERROR), name
        assert score.low <= score.value <= score.high and score.n == len(values) and score.unit == "minutes"


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(min_value=1, max_value=600_000, allow_nan=False), min_size=1, max_size=300),
       q=st.sampled_from([0.01, 0.25, 0.5, 0.9, 0.99, 1.0]))
def test_histogram_percentiles_are_within_the_bucket_error_of_the_exact_percentile(values, q):
    counts: dict[int, int] = {}
    for value in values:
        counts[scores.bucket(value)] = counts.get(scores.bucket(value), 0) + 1
    assert scores.percentile(counts, q) == pytest.approx(nearest_rank(values, q), rel=scores.RELATIVE_ERROR + 1e-9)
    assert scores.RELATIVE_ERROR < 0.05


def test_a_percentile_of_no_times_is_none():
    assert scores.percentile({}, 0.5) is None


def unpacked(packed: int) -> list[int]:
    """A packed histogram counter read as its six six-digit buckets, lowest first (by text)."""
    digits = str(packed).zfill(36)
    return [int(digits[i - 6:i]) for i in range(36, 0, -6)]


@settings(max_examples=200, deadline=None)
@given(added=st.lists(st.floats(min_value=0, max_value=600_000, allow_nan=False), max_size=200),
       taken=st.data())
def test_packed_histograms_add_and_subtract_like_a_count_per_bucket(added, taken):
    # Given durations recorded one at a time, some of them later taken back (a reassignment)
    removed = taken.draw(st.lists(st.sampled_from(added), unique_by=id, max_size=len(added)) if added else st.just([]))
    remaining = list(added)
    for value in removed:
        remaining.remove(value)
    counters: dict = {}
    for value in added:
        counters = scores.add(counters, scores.timed(scores.RESOLUTION, value))
    for value in removed:
        counters = scores.subtract(counters, scores.timed(scores.RESOLUTION, value))
    # Then each bucket holds how many remain in it, read back both by the app and by text
    expected: dict[int, int] = {}
    for value in remaining:
        expected[scores.bucket(value)] = expected.get(scores.bucket(value), 0) + 1
    assert scores.histogram(counters, scores.RESOLUTION, len(remaining)) == expected
    by_text = {int(name.split(".")[1]) * 6 + place: tally for name, packed in counters.items()
               for place, tally in enumerate(unpacked(packed)) if tally}
    assert by_text == expected
    assert all(len(str(packed)) <= 36 for packed in counters.values())  # DynamoDB keeps 38 digits


def test_a_bucket_past_its_capacity_gives_no_percentiles_rather_than_wrong_ones():
    # 1,000,000 first responses in one bucket of one period and slice carry into the next
    one = scores.timed(scores.FIRST_RESPONSE, 30)
    (name, amount), = one.items()
    counters = {"fr_n": 1_000_000, name: amount * 1_000_000}
    assert scores.histogram(counters, scores.FIRST_RESPONSE, 1_000_000) == {}
    assert scores.scores(counters)["first_response_p50"].value is None
    # while 999,999 fit
    counters = {"fr_n": 999_999, name: amount * 999_999}
    assert scores.histogram(counters, scores.FIRST_RESPONSE, 999_999) == {scores.bucket(30): 999_999}
    assert scores.scores(counters)["first_response_p50"].value == pytest.approx(30, rel=scores.RELATIVE_ERROR)


# --- satisfaction scores from a fixture of survey answers ----------------------------

# rating, nps, fixed first visit, SERVQUAL {dimension: (P, E)} on 1-7
ANSWERS = [
    (5, 10, True, {"tangibles": (6, 7), "reliability": (7, 6), "responsiveness": (6, 6), "assurance": (7, 7),
                   "empathy": (6, 5)}),
    (4, 9, True, {"tangibles": (5, 6), "reliability": (5, 7), "responsiveness": (4, None), "empathy": (5, 6)}),
    (3, 7, False, {"tangibles": (4, 6), "reliability": (3, 7), "responsiveness": (3, 6), "assurance": (4, 6),
                   "empathy": (4, 5)}),
    (1, 0, False, {}),
    (5, 8, None, {"reliability": (7, 7), "assurance": (6, None)}),
    (2, 3, False, {"tangibles": (2, 5), "reliability": (1, 7), "responsiveness": (2, 7), "assurance": (3, 6),
                   "empathy": (2, 6)}),
    (4, 10, True, {"tangibles": (6, 6), "reliability": (6, 6), "responsiveness": (5, 6), "assurance": (6, 6),
                   "empathy": (7, 6)}),
    (None, 6, True, {}),
    (5, None, True, {"tangibles": (7, 7), "reliability": (6, 7), "responsiveness": (7, 7), "assurance": (7, 6),
                     "empathy": (6, 6)}),
    (4, 9, None, {}),
    (3, 5, False, {"tangibles": (4, 4), "reliability": (4, 6), "responsiveness": (3, 5), "assurance": (5, 5),
                   "empathy": (4, 6)}),
]


def answer(record: tuple, i: int = 0) -> scores.SurveyResponse:
    rating, nps, fixed, servqual = record
    return scores.SurveyResponse(at=START + timedelta(days=i), rating=rating, nps=nps, fixed_first_visit=fixed,
                                 servqual={d: {"p": p, "e": e} for d, (p, e) in servqual.items()},
                                 scale=(1, 7), weights=WEIGHTS)


def survey_counters(records: list = ANSWERS) -> dict:
    return total([scores.response_contributions(answer(r, i), ALL, "UTC") for i, r in enumerate(records)])[QUARTER]


def test_csat_counts_ratings_of_four_and_five():
    result = scores.scores(survey_counters())["csat"]
    ratings = [r[0] for r in ANSWERS if r[0] is not None]
    positive = sum(1 for r in ratings if r >= 4)
    assert (result.value, result.n, result.unit) == (pytest.approx(100 * positive / len(ratings)), len(ratings), "%")
    assert (result.low, result.high) == pytest.approx(wilson_pct(positive, len(ratings)))


def adjusted_wald_nps(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    """The adjusted-Wald 95 % interval of an NPS as Sauro & Rocks give it (and DESIGN.md's
    "add 3 to n, 0.75 to promoters and to detractors"), written out from the literature:
    n' = n + 3, p± = (count± + 0.75) / n', Var = (p+ + p- - (p+ - p-)²) / n', z from scipy."""
    z = stats.norm.ppf(0.975)
    adjusted = n + 3
    p_pro, p_det = (promoters + 0.75) / adjusted, (detractors + 0.75) / adjusted
    half = z * math.sqrt((p_pro + p_det - (p_pro - p_det) ** 2) / adjusted)
    return max(-100.0, 100 * (p_pro - p_det - half)), min(100.0, 100 * (p_pro - p_det + half))


def test_nps_is_promoters_minus_detractors_with_the_adjusted_wald_interval():
    result = scores.scores(survey_counters())["nps"]
    answers = [r[1] for r in ANSWERS if r[1] is not None]
    n, pro, det = len(answers), sum(1 for a in answers if a >= 9), sum(1 for a in answers if a <= 6)
    assert (n, pro, det) == (10, 4, 4)  # the fixture, counted by hand
    assert (result.value, result.n, result.unit) == (0, 10, "points")
    assert (result.low, result.high) == pytest.approx(adjusted_wald_nps(pro, det, n))


def test_seven_promoters_of_seven_give_a_lower_bound_near_33_not_44():
    # by hand: n' = 10, p+ = 7.75/10, p- = 0.75/10, centre 0.70, Var = (0.85 - 0.49)/10 = 0.036,
    # half = 1.96 · 0.18974 = 0.3719 → 100 · (0.70 - 0.3719) = 32.8 (adding only 1.5 to n gave 44)
    result = scores.nps(7, 0, 7)
    assert (result.value, result.high) == (100, 100)
    assert result.low == pytest.approx(32.81, abs=0.01)


def test_an_even_split_has_the_hand_computed_adjusted_wald_width():
    # 5 promoters, 5 detractors of 10: n' = 13, p+ = p- = 5.75/13, centre 0, Var = 11.5/13/13,
    # half = 1.959964 · sqrt(11.5)/13 = 0.51127 → ±51.13 points
    result = scores.nps(5, 5, 10)
    assert result.value == 0
    assert (result.low, result.high) == pytest.approx((-51.13, 51.13), abs=0.01)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(min_value=1, max_value=400), data=st.data())
def test_nps_intervals_agree_with_the_adjusted_wald_formula_for_any_counts(n, data):
    promoters = data.draw(st.integers(min_value=0, max_value=n))
    detractors = data.draw(st.integers(min_value=0, max_value=n - promoters))
    result = scores.nps(promoters, detractors, n)
    assert result.value == pytest.approx(100 * (promoters - detractors) / n)
    assert (result.low, result.high) == pytest.approx(adjusted_wald_nps(promoters, detractors, n), abs=1e-9)


# 20 of 20 on one side, by the formula above: n' = 23, p' - d' = 20/23, p' + d' = 21.5/23
ONE_SIDED_LOW = 100 * (20 / 23 - 1.959964 * math.sqrt((21.5 / 23 - (20 / 23) ** 2) / 23))  # about 69.7


def test_all_promoters_give_nps_100_with_an_interval_reaching_below_100():
    result = scores.scores(survey_counters([(None, 10, None, {})] * 20))["nps"]
    assert (result.value, result.high) == (100, 100)
    assert result.low == pytest.approx(ONE_SIDED_LOW) and result.low < 100


def test_all_detractors_give_nps_minus_100_with_an_interval_reaching_above_it():
    result = scores.scores(survey_counters([(None, 0, None, {})] * 20))["nps"]
    assert (result.value, result.low) == (-100, -100)
    assert result.high == pytest.approx(-ONE_SIDED_LOW) and result.high > -100


def test_first_time_fix_said_is_the_share_of_residents_answering_yes():
    result = scores.scores(survey_counters())["first_time_fix_said"]
    said = [r[2] for r in ANSWERS if r[2] is not None]
    assert result.value == pytest.approx(100 * said.count(True) / len(said))
    assert (result.low, result.high) == pytest.approx(wilson_pct(said.count(True), len(said)))


def expected_index(record: tuple) -> float | None:
    rating, _nps, _fixed, servqual = record
    if servqual:
        weight = sum(WEIGHTS[d] for d in servqual)
        return sum(WEIGHTS[d] * (p - 1) / 6 * 100 for d, (p, _e) in servqual.items()) / weight
    return (rating - 1) / 4 * 100 if rating is not None else None


def test_satisfaction_index_is_the_weighted_rescaled_mean_with_a_t_interval():
    result = scores.scores(survey_counters())["satisfaction_index"]
    values = [v for v in map(expected_index, ANSWERS) if v is not None]
    assert (result.n, result.unit) == (len(values), "points")
    assert result.value == pytest.approx(statistics.mean(values), abs=0.005)  # stored in hundredths
    assert (result.low, result.high) == pytest.approx(t_interval(values), abs=0.01)


def test_satisfaction_index_without_weights_weighs_dimensions_equally():
    response = scores.SurveyResponse(at=START, servqual={"tangibles": {"p": 7, "e": None},
                                                         "empathy": {"p": 4, "e": None}}, scale=(1, 7))
    assert response.index() == pytest.approx((100 + 50) / 2)


@pytest.mark.parametrize("dimension", scores.DIMENSIONS)
def test_servqual_perception_expectation_and_gap_are_means_with_t_intervals(dimension):
    result = scores.scores(survey_counters())
    items = [r[3][dimension] for r in ANSWERS if dimension in r[3]]
    for name, values in (("p", [p for p, _ in items]), ("e", [e for _, e in items if e is not None]),
                         ("gap", [p - e for p, e in items if e is not None])):
        score = result[f"servqual.{dimension}.{name}"]
        assert (score.value, score.n) == (pytest.approx(statistics.mean(values)), len(values))
        assert (score.low, score.high) == pytest.approx(t_interval(values))


def test_weighted_gap_weighs_each_dimensions_mean_gap_by_its_importance():
    result = scores.scores(survey_counters(), weights=WEIGHTS)["servqual.weighted_gap"]
    gaps = {d: [p - e for r in ANSWERS for dd, (p, e) in r[3].items() if dd == d and e is not None]
            for d in scores.DIMENSIONS}
    value = sum(WEIGHTS[d] * statistics.mean(g) for d, g in gaps.items()) / 100
    n = min(len(g) for g in gaps.values())
    half = stats.t.ppf(0.975, n - 1) * sum(WEIGHTS[d] / 100 * statistics.stdev(g) / math.sqrt(len(g))
                                           for d, g in gaps.items())
    assert (result.value, result.n) == (pytest.approx(value), n)
    assert (result.low, result.high) == pytest.approx((value - half, value + half))
    equal = scores.scores(survey_counters())["servqual.weighted_gap"]
    assert equal.value == pytest.approx(statistics.mean(statistics.mean(g) for g in gaps.values()))


def test_survey_answers_out_of_range_are_refused_by_field():
    with pytest.raises(InvalidInput) as refused:
        scores.SurveyResponse(at=START, rating=6, nps=11, servqual={"tangibles": {"p": 8, "e": 0}, "speed": {"p": 1}},
                              scale=(1, 7), weights={"tangibles": 60})
    assert set(refused.value.fields) == {"rating", "nps", "servqual.tangibles.p", "servqual.tangibles.e",
                                         "servqual.speed", "weights"}


# --- edges ---------------------------------------------------------------------------

def test_no_counters_give_no_values_and_too_few_without_crashing():
    result = scores.scores({}, total_tickets=0)
    for name, score in result.items():
        if name == "volume":
            assert (score.value, score.too_few) == (0, False)  # a count: no tickets is a value
            continue
        assert (score.value, score.n, score.low, score.high, score.too_few) == (None, 0, None, None, True), name
        assert score.as_dict()["value"] is None


def test_below_the_minimum_n_scores_are_too_few_but_still_computed():
    result = scores.scores(survey_counters(ANSWERS[:3]), min_n=5)
    assert result["csat"].too_few and result["csat"].value == pytest.approx(200 / 3)
    assert result["nps"].too_few and result["satisfaction_index"].too_few
    assert not scores.scores(survey_counters(ANSWERS[:3]), min_n=3)["csat"].too_few


def test_a_single_answer_has_a_mean_but_no_interval():
    result = scores.scores(survey_counters(ANSWERS[:1]), min_n=1)["satisfaction_index"]
    assert result.value is not None and (result.low, result.high, result.too_few) == (None, None, True)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=1, max_value=100_000), share=st.floats(min_value=0, max_value=1))
def test_wilson_interval_agrees_with_statsmodels(n, share):
    k = round(share * n)
    assert scores.wilson(k, n) == pytest.approx(proportion_confint(k, n, alpha=0.05, method="wilson"), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(df=st.one_of(st.integers(min_value=1, max_value=200), st.integers(min_value=1, max_value=2_000_000)),
       p=st.sampled_from([0.9, 0.95, 0.975, 0.995]))
def test_t_quantile_agrees_with_scipy(df, p):
    assert scores.t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-8)


def test_one_bucket_counters_of_the_older_format_are_not_read_as_packed():
    counters = {"fr_n": 3, "fr_h.37": 3}  # three first responses in bucket 37, one counter per bucket
    assert scores.histogram(counters, scores.FIRST_RESPONSE, 3) == {}
    assert scores.scores(counters)["first_response_p50"].value is None


# --- edges the mutation run of issue 20 found unguarded ---------------------------------------

@pytest.mark.parametrize("name,counters", [
    ("csat", {"csat_n": 3}), ("sla_first_response", {"fr_n": 4}), ("sla_resolution", {"resolved": 2}),
    ("first_time_fix_said", {"ftf_said_n": 1}), ("repeat_rate", {"tickets": 7}),
    ("first_time_fix_ops", {"resolved": 3}), ("reopen_rate", {"resolved": 3}), ("follow_up_rate", {"resolved": 3}),
])
def test_a_period_with_no_successes_scores_zero_with_its_wilson_interval(name, counters):
    # zero counters are dropped when stored, so an absent success counter must read as 0
    n = next(iter(counters.values()))
    score = scores.scores(counters, min_n=1)[name]
    assert (score.value, score.n) == (0, n)
    assert (score.low, score.high) == pytest.approx(wilson_pct(0, n))
    assert score.high > 0  # an interval, not a point


def test_percentile_intervals_are_the_order_statistics_of_the_distribution_free_interval():
    result = scores.scores(operational_counters())
    first = sorted(r[0] for r in RECORDS if r[0] is not None)
    n, z = len(first), stats.norm.ppf(0.975)
    for name, q in (("first_response_p50", 0.5), ("first_response_p90", 0.9)):
        spread = z * math.sqrt(n * q * (1 - q))
        low_rank = min(n, max(1, math.floor(n * q - spread)))
        high_rank = min(n, max(1, math.ceil(n * q + spread)))
        score = result[name]
        assert score.low == pytest.approx(first[low_rank - 1], rel=scores.RELATIVE_ERROR, abs=0.5), name
        assert score.high == pytest.approx(first[high_rank - 1], rel=scores.RELATIVE_ERROR, abs=0.5), name


def test_the_weighted_gap_is_too_few_only_below_the_minimum_n():
    counters = survey_counters()
    n = scores.scores(counters)["servqual.weighted_gap"].n
    assert scores.scores(counters, min_n=n)["servqual.weighted_gap"].too_few is False
    assert scores.scores(counters, min_n=n + 1)["servqual.weighted_gap"].too_few is True


@pytest.mark.parametrize("field,value", [("rating", 4.5), ("rating", True), ("nps", 9.0), ("nps", "10")])
def test_a_survey_answer_that_is_not_a_whole_number_is_refused(field, value):
    with pytest.raises(InvalidInput) as refused:
        scores.SurveyResponse(at=START, **{field: value})
    assert field in refused.value.fields


# --- the nightly rollup's choice of period, by hand, around month, quarter and year ends -------

def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("now,zone,month,quarter", [
    (utc(2026, 11, 15, 12), "UTC", "M2026-10", "Q2026-3"),  # mid-quarter
    (utc(2026, 1, 15, 12), "UTC", "M2025-12", "Q2025-4"),  # back across the year
    (utc(2026, 12, 31, 16, 30), "Asia/Shanghai", "M2026-12", "Q2026-4"),  # 00:30 on 1 January there
    (utc(2026, 12, 31, 16, 30), "UTC", "M2026-11", "Q2026-3"),  # still 31 December
    (utc(2026, 12, 31, 16, 30), "America/New_York", "M2026-11", "Q2026-3"),
    (utc(2026, 3, 31, 23, 30), "Europe/London", "M2026-03", "Q2026-1"),  # 00:30 BST on 1 April
    (utc(2026, 3, 31, 23, 30), "UTC", "M2026-02", "Q2025-4"),
    (utc(2026, 7, 1, 3, 0), "America/Los_Angeles", "M2026-05", "Q2026-1"),  # 20:00 on 30 June there
    (utc(2026, 7, 1, 3, 0), "Asia/Shanghai", "M2026-06", "Q2026-2"),
    (utc(2026, 10, 1, 0, 0), "UTC", "M2026-09", "Q2026-3"),  # the first instant of a quarter
])
def test_the_rollup_freezes_the_latest_month_and_quarter_ended_in_the_firms_zone(now, zone, month, quarter):
    assert scores.last_closed(now, zone) == {"month": month, "quarter": quarter}


@pytest.mark.parametrize("now,zone,expected", [
    (utc(2026, 11, 2, 0, 59), "UTC", utc(2026, 11, 2, 1)),
    (utc(2026, 11, 2, 1, 0), "UTC", utc(2026, 11, 3, 1)),  # strictly after: not the 01:00 it is
    (utc(2026, 11, 2, 1, 0, 1), "UTC", utc(2026, 11, 3, 1)),
    (utc(2026, 12, 31, 16, 30), "Asia/Shanghai", utc(2026, 12, 31, 17)),  # 01:00 on 1 January, +08:00
    (utc(2026, 12, 31, 17, 0), "Asia/Shanghai", utc(2027, 1, 1, 17)),
    (utc(2026, 12, 31, 23, 0), "America/New_York", utc(2027, 1, 1, 6)),  # 18:00 EST -> 01:00 EST
    (utc(2026, 2, 28, 23, 30), "UTC", utc(2026, 3, 1, 1)),  # across the month end
    (utc(2026, 10, 24, 23, 30), "Europe/London", utc(2026, 10, 25, 0)),  # the first (BST) 01:00 of 25 October
    (utc(2026, 3, 29, 0, 30), "Europe/London", utc(2026, 3, 29, 1)),  # 01:00 GMT is skipped: 02:00 BST
])
def test_the_next_finalisation_is_the_next_0100_in_the_firms_zone(now, zone, expected):
    assert scores.next_finalisation(now, zone) == expected


def test_previous_periods_of_none_one_and_a_negative_count():
    assert scores.previous_periods("M2026-01", 0) == []
    assert scores.previous_periods("M2026-01", 1) == ["M2026-01"]
    assert scores.previous_periods("Q2026-1", 3) == ["Q2025-3", "Q2025-4", "Q2026-1"]
    assert scores.previous_periods("W2026-01", 2) == ["W2025-52", "W2026-01"]  # 2025 has 52 ISO weeks
    with pytest.raises(ValueError):
        scores.previous_periods("M2026-01", -1)


def test_exactly_the_minimum_n_is_enough():
    assert scores.scores({"csat_n": 5, "csat_pos": 4}, min_n=5)["csat"].too_few is False
    assert scores.scores({"csat_n": 4, "csat_pos": 4}, min_n=5)["csat"].too_few is True


def test_identical_answers_have_a_mean_with_an_interval_of_no_width():
    counters = {"sq.tangibles.p_n": 3, "sq.tangibles.p_sum": 15, "sq.tangibles.p_sq": 75}  # 5, 5, 5
    result = scores.scores(counters, min_n=1)["servqual.tangibles.p"]
    assert (result.value, result.low, result.high, result.n) == (5, 5, 5, 3)


def test_a_dimension_of_several_items_is_the_mean_item_score_with_its_t_interval():
    # three answers to a two-item dimension, each stored as the sum of its items: 7, 9, 11 -> 3.5, 4.5, 5.5
    counters = {"sq.tangibles.p_n": 3, "sq.tangibles.p_sum": 27, "sq.tangibles.p_sq": 49 + 81 + 121}
    result = scores.scores(counters, min_n=1, items={"tangibles": 2})["servqual.tangibles.p"]
    half = stats.t.ppf(0.975, 2) * 1 / math.sqrt(3)  # the item means 3.5, 4.5, 5.5 have s = 1
    assert result.value == pytest.approx(4.5)
    assert (result.low, result.high) == pytest.approx((4.5 - half, 4.5 + half))


UNITS = {"csat": "%", "nps": "points", "satisfaction_index": "points", "sla_first_response": "%",
         "sla_resolution": "%", "first_response_p50": "minutes", "first_response_p90": "minutes",
         "resolution_p50": "minutes", "resolution_p90": "minutes", "first_time_fix_ops": "%",
         "first_time_fix_said": "%", "reopen_rate": "%", "repeat_rate": "%", "follow_up_rate": "%",
         "follow_up_calls_on_time": "%",
         "volume": "tickets", "share": "%", "servqual.weighted_gap": "points"} | {
    f"servqual.{d}.{part}": "points" for d in scores.DIMENSIONS for part in ("p", "e", "gap")}


def test_every_score_keeps_its_unit_with_no_answers_and_with_one():
    assert {name: s.unit for name, s in scores.scores({}, total_tickets=0).items()} == UNITS
    one = {"idx_n": 1, "idx_sum": 7500, "idx_sq": 7500 ** 2}
    for d in scores.DIMENSIONS:
        one |= {f"sq.{d}.{part}_{m}": v for part in ("p", "e", "g") for m, v in (("n", 1), ("sum", 3), ("sq", 9))}
    result = scores.scores(one, min_n=1)
    assert {name: result[name].unit for name in UNITS if name != "share"} == {n: u for n, u in UNITS.items()
                                                                              if n != "share"}
    # one answer: its value, n = 1, no interval, too few whatever the minimum
    assert (result["satisfaction_index"].value, result["satisfaction_index"].n) == (75, 1)
    for name in [f"servqual.{d}.{part}" for d in scores.DIMENSIONS for part in ("p", "e", "gap")]:
        assert (result[name].value, result[name].n, result[name].low, result[name].high, result[name].too_few) == \
            (3, 1, None, None, True), name


def test_two_answers_have_a_t_interval_and_are_enough_at_a_minimum_of_two():
    counters = {"sq.empathy.p_n": 2, "sq.empathy.p_sum": 10, "sq.empathy.p_sq": 16 + 36}  # 4 and 6: s = sqrt(2)
    half = stats.t.ppf(0.975, 1) * math.sqrt(2) / math.sqrt(2)
    result = scores.scores(counters, min_n=2)["servqual.empathy.p"]
    assert (result.value, result.n, result.too_few) == (5, 2, False)
    assert (result.low, result.high) == pytest.approx((5 - half, 5 + half))
    assert scores.scores(counters, min_n=3)["servqual.empathy.p"].too_few is True


def test_a_multi_item_dimension_answered_once_is_its_mean_item_score():
    counters = {"sq.reliability.p_n": 1, "sq.reliability.p_sum": 9, "sq.reliability.p_sq": 81}  # 4 + 5
    assert scores.scores(counters, items={"reliability": 2})["servqual.reliability.p"].value == 4.5


def bucket_value_by_hand(minutes: float) -> float:
    """The value standing for ``minutes``' bucket: 2·1.1^b / 2.1, b = floor(ln m / ln 1.1) + 1."""
    b = math.floor(math.log(minutes) / math.log(1.1)) + 1
    return 2 * 1.1 ** b / 2.1


def test_two_response_times_give_a_median_interval_spanning_both():
    # 10 minutes is bucket 25 (packed in fr_hp.4, 6th digit group 1), 100 minutes bucket 49 (fr_hp.8, group 1)
    counters = {"fr_n": 2, "fr_hp.4": 10 ** 6, "fr_hp.8": 10 ** 6}
    result = scores.scores(counters, min_n=2)["first_response_p50"]
    # n·q ∓ z·sqrt(n·q·(1-q)) = 1 ∓ 1.39: ranks 1 and 2 (kept within 1..n)
    assert (result.value, result.low, result.high) == pytest.approx(
        (bucket_value_by_hand(10), bucket_value_by_hand(10), bucket_value_by_hand(100)))
    assert result.high / result.low > 9  # an interval, not a point
    assert result.too_few is False and scores.scores(counters, min_n=3)["first_response_p50"].too_few is True


def gap_counters(**values: list[int]) -> dict:
    out = {}
    for dimension, gaps in values.items():
        out |= {f"sq.{dimension}.g_n": len(gaps), f"sq.{dimension}.g_sum": sum(gaps),
                f"sq.{dimension}.g_sq": sum(g * g for g in gaps)}
    return out


def test_the_weighted_gap_leaves_out_dimensions_the_firm_gives_no_weight():
    counters = gap_counters(tangibles=[1, 3], reliability=[-1, -3], empathy=[5])
    result = scores.scores(counters, weights={"tangibles": 100, "empathy": 0})["servqual.weighted_gap"]
    half = stats.t.ppf(0.975, 1) * 1.0  # gaps 1 and 3: s = sqrt(2), standard error 1
    assert (result.value, result.n) == (2, 2)  # only tangibles; empathy's single answer does not set n
    assert (result.low, result.high) == pytest.approx((2 - half, 2 + half))


def test_the_weighted_gap_of_a_multi_item_dimension_is_per_item():
    counters = gap_counters(tangibles=[2, 4])  # two items each: item-mean gaps 1 and 2
    result = scores.scores(counters, items={"tangibles": 2})["servqual.weighted_gap"]
    half = stats.t.ppf(0.975, 1) * math.sqrt(0.5) / math.sqrt(2)
    assert result.value == 1.5 and (result.low, result.high) == pytest.approx((1.5 - half, 1.5 + half))


def test_a_dimension_answered_once_counts_in_the_weighted_gap_and_leaves_it_without_interval():
    # tangibles: one answer, a gap of 4 over its two items (2 per item); reliability: 0, 1, 2
    result = scores.scores(gap_counters(tangibles=[4], reliability=[0, 1, 2]), min_n=1,
                           items={"tangibles": 2})["servqual.weighted_gap"]
    assert (result.value, result.n, result.low, result.high, result.too_few) == (1.5, 1, None, None, True)


def test_a_negative_trend_length_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="^n must not be negative$"):
        scores.previous_periods("M2026-01", -1)


def test_no_nps_promoters_or_detractors_score_zero_and_the_firms_minimum_applies():
    result = scores.scores({"nps_n": 3}, min_n=3)["nps"]
    assert (result.value, result.n, result.too_few) == (0, 3, False)
    # adjusted Wald by hand: n' = 6, p' = d' = 0.75/6 = 0.125, half = z·sqrt(0.25/6)
    half = 100 * stats.norm.ppf(0.975) * math.sqrt(0.25 / 6)
    assert (result.low, result.high) == pytest.approx((-half, half))


def test_the_satisfaction_index_interval_is_clipped_to_0_and_100():
    counters = {"idx_n": 2, "idx_sum": 10000, "idx_sq": 10000 ** 2}  # answers of 0 and 100
    result = scores.scores(counters)["satisfaction_index"]
    assert (result.value, result.low, result.high) == (50, 0, 100)


def test_timing_buckets_without_their_count_are_not_read():
    counters = {"fr_hp.4": 10 ** 6, "res_hp.4": 10 ** 6}  # one bucket each, but no fr_n / resolved recorded
    result = scores.scores(counters)
    assert result["first_response_p50"].value is None and result["resolution_p90"].value is None


def test_one_rating_adds_exactly_the_counters_of_the_table():
    answer = scores.SurveyResponse(at=START, rating=4)
    counters = scores.response_contributions(answer, ALL, "UTC")[QUARTER]
    # index of a 4 on 1-5: 75.00 points, kept in hundredths
    assert counters == {"csat_n": 1, "csat_pos": 1, "rating_sum": 4, "rating_sq": 16,
                        "idx_n": 1, "idx_sum": 7500, "idx_sq": 7500 ** 2}


def test_the_index_leaves_out_answered_dimensions_the_firm_gives_no_weight():
    answer = scores.SurveyResponse(at=START, servqual={"tangibles": {"p": 5}, "empathy": {"p": 1}},
                                   weights={"tangibles": 100})
    assert answer.index() == 100


def test_a_deleted_ticket_takes_back_everything_it_added():
    ticket = a_ticket(first_response_at=START + timedelta(hours=1))
    change = scores.ticket_change(ticket, None, "UTC")
    assert change[QUARTER] == {"tickets": -1, "fr_n": -1, "fr_met": -1, "fr_hp.7": -10 ** 6}  # 60 min: bucket 43 = 7·6 + 1


def test_a_response_in_under_a_minute_stands_for_half_a_minute():
    assert scores.scores({"fr_n": 1, "fr_hp.0": 1})["first_response_p50"].value == 0.5


@pytest.mark.parametrize("text,message,reason", [
    ("M2026-1", "That is not a period.",
     "must be a week like W2026-47, a month like M2026-11 or a quarter like Q2026-4"),
    ("MABCD-01", "That is not a period.",
     "must be a week like W2026-47, a month like M2026-11 or a quarter like Q2026-4"),
    ("M1969-12", "That period is out of range.", "year must be 1970-9998"),
    ("M9999-01", "That period is out of range.", "year must be 1970-9998"),
    ("M2026-13", "That period does not exist.", "month must be 1-12 in 2026"),
])
def test_a_period_that_cannot_be_read_is_refused_saying_why(text, message, reason):
    with pytest.raises(InvalidInput) as refused:
        scores.parse_period(text)
    assert (str(refused.value), refused.value.fields) == (message, {"period": reason})


def test_the_first_and_last_years_of_the_range_are_periods():
    assert scores.parse_period("M1970-01") == scores.Period("month", 1970, 1)
    assert scores.parse_period("Q9998-4") == scores.Period("quarter", 9998, 4)


@pytest.mark.parametrize("answers,fields", [
    ({"scale": (5, 5)}, {"scale": "must be two whole numbers, the lower first"}),
    ({"scale": (7, 1)}, {"scale": "must be two whole numbers, the lower first"}),
    ({"scale": (1.5, 5)}, {"scale": "must be two whole numbers, the lower first"}),
    ({"scale": (1, 5.5)}, {"scale": "must be two whole numbers, the lower first"}),
    ({"scale": [1, 5]}, {"scale": "must be two whole numbers, the lower first"}),
    ({"scale": (1, 3, 5)}, {"scale": "must be two whole numbers, the lower first"}),
    ({"rating": 6}, {"rating": "must be a whole number 1-5"}),
    ({"rating": 0}, {"rating": "must be a whole number 1-5"}),
    ({"rating": 3.0}, {"rating": "must be a whole number 1-5"}),
    ({"nps": 11}, {"nps": "must be a whole number 0-10"}),
    ({"nps": -1}, {"nps": "must be a whole number 0-10"}),
    ({"fixed_first_visit": 1}, {"fixed_first_visit": "must be true or false"}),
    ({"servqual": {"tangibles": {"p": 8}}, "scale": (1, 7)}, {"servqual.tangibles.p": "must be a whole number 1-7"}),
    ({"servqual": {"tangibles": {"p": 3, "e": 0}}}, {"servqual.tangibles.e": "must be a whole number 1-5"}),
    ({"weights": {"tangibles": 60, "empathy": 30}}, {"weights": "must add up to 100"}),
    ({"weights": {"tangibles": 100.0}}, {"weights": "must give whole, non-negative points to known dimensions"}),
])
def test_each_invalid_survey_answer_is_refused_naming_its_field_and_reason(answers, fields):
    with pytest.raises(InvalidInput) as refused:
        scores.SurveyResponse(at=START, **answers)
    assert refused.value.fields == fields


@pytest.mark.parametrize("answers", [{"rating": 1}, {"rating": 5}, {"nps": 0}, {"nps": 10}, {"scale": (0, 1)},
                                     {"servqual": {"empathy": {"p": 1, "e": None}}}, {"fixed_first_visit": False},
                                     {"weights": {"tangibles": 0, "empathy": 100}}])
def test_the_ends_of_every_survey_scale_are_accepted(answers):
    scores.SurveyResponse(at=START, **answers)


def test_refusals_of_a_period_and_of_survey_answers_carry_their_message():
    with pytest.raises(InvalidInput) as refused:
        scores.parse_period("X2026-01")
    assert str(refused.value) == "That is not a period."
    with pytest.raises(InvalidInput) as refused:
        scores.SurveyResponse(at=START, rating=9)
    assert str(refused.value) == "Some survey answers need attention."
    with pytest.raises(ValueError, match="^period_keys needs an aware datetime$"):
        scores.period_keys(datetime(2026, 1, 1), "UTC")


def test_unknown_dimensions_are_each_refused_and_a_bad_scale_is_reported_alone():
    reason = "must be {'p': ..., 'e': ...} for one of: tangibles, reliability, responsiveness, assurance, empathy"
    with pytest.raises(InvalidInput) as refused:
        scores.SurveyResponse(at=START, servqual={"speed": {"p": 3}, "price": {"p": 3}})
    assert refused.value.fields == {"servqual.speed": reason, "servqual.price": reason}
    with pytest.raises(InvalidInput) as refused:
        scores.SurveyResponse(at=START, scale=(5, 5), servqual={"tangibles": {"p": 3}})
    assert refused.value.fields == {"scale": "must be two whole numbers, the lower first"}


def test_the_index_falls_back_to_the_rating_only_when_the_answered_dimensions_weigh_nothing():
    one_dimension = scores.SurveyResponse(at=START, rating=1, servqual={"tangibles": {"p": 5}})
    assert one_dimension.index() == 100
    unweighted = scores.SurveyResponse(at=START, rating=5, servqual={"tangibles": {"p": 1}}, weights={"empathy": 100})
    assert unweighted.index() == 100


def test_a_follow_up_at_the_moment_of_resolution_counts_and_a_sub_minute_response_is_bucket_0():
    resolved = START + timedelta(hours=2)
    ticket = a_ticket(status="resolved", first_response_at=START + timedelta(seconds=30), first_resolved_at=resolved,
                      resolved_at=resolved, followed_up_at=resolved)
    counters = scores.ticket_contributions(ticket, "UTC")[QUARTER]
    assert counters["followed_up"] == 1 and counters["fr_hp.0"] == 1


def test_volume_and_share_of_a_slice_without_tickets():
    result = scores.scores({"csat_n": 1}, total_tickets=10, min_n=1)
    assert (result["volume"].value, result["volume"].n) == (0, 0)
    assert (result["share"].value, result["share"].n) == (0, 10)
    gap = scores.scores(gap_counters(tangibles=[1, 3]))["servqual.weighted_gap"]
    assert gap.unit == "points" and gap.low is not None


def test_five_answers_are_enough_by_default():
    assert scores.nps(5, 0, 5).too_few is False and scores.nps(4, 0, 4).too_few is True
    assert scores.scores({"csat_n": 5, "csat_pos": 5})["csat"].too_few is False


# --- the dashboard's periods: since the firm joined, opening on the last complete month ------------

SHANGHAI = "Asia/Shanghai"


def test_the_month_a_firm_joins_in_counts_and_the_months_before_do_not():
    joined = datetime(2026, 9, 14, 2, 0, tzinfo=timezone.utc)  # 14 Sep 2026, 10:00 in Shanghai
    assert scores.after_joining("M2026-09", joined, SHANGHAI)
    assert not scores.after_joining("M2026-08", joined, SHANGHAI)
    assert scores.after_joining("Q2026-3", joined, SHANGHAI) and not scores.after_joining("Q2026-2", joined, SHANGHAI)
    # Week 37 of 2026 is 7-13 Sep: over before the firm joined; week 38 (14-20 Sep) is its first.
    assert not scores.after_joining("W2026-37", joined, SHANGHAI) and scores.after_joining("W2026-38", joined, SHANGHAI)
    # Joined at 00:30 on 1 Oct in Shanghai (16:30 UTC on 30 Sep): September is still before it.
    first_of_october = datetime(2026, 9, 30, 16, 30, tzinfo=timezone.utc)
    assert not scores.after_joining("M2026-09", first_of_october, SHANGHAI)


def test_the_dashboard_opens_on_the_last_complete_month_or_this_one_for_a_new_firm():
    now = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
    assert scores.opening_month(now, SHANGHAI, datetime(2026, 9, 14, tzinfo=timezone.utc)) == "M2026-11"
    assert scores.opening_month(now, SHANGHAI, datetime(2026, 11, 30, tzinfo=timezone.utc)) == "M2026-11"
    assert scores.opening_month(now, SHANGHAI, datetime(2026, 12, 2, tzinfo=timezone.utc)) == "M2026-12"
    # 23:30 UTC on 30 Nov is already 1 Dec in Shanghai: a December firm, no complete month yet.
    assert scores.opening_month(now, SHANGHAI, datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc)) == "M2026-12"
