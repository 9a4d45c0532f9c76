"""Satisfaction campaigns (domain/campaigns.py), pure rules: the questionnaires, when a
campaign is open, what a household's answers are read as and what they add to the counters.
Every expected value is worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from chalicelib.domain import campaigns
from chalicelib.domain.campaigns import Campaign
from chalicelib.domain.errors import InvalidInput

DIMS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")


def campaign(form="short", expectations=True, importance=True) -> Campaign:
    return Campaign("01CAMP", "2026 Q4", ("P1",), expectations, importance, date(2026, 12, 1), date(2026, 12, 31),
                    form)


def test_a_campaign_is_counted_under_its_own_key_and_knows_its_form():
    assert campaign().key == "C01CAMP"
    assert campaign("tsm").is_tsm and not campaign("full").is_tsm and not campaign().is_tsm


def test_the_short_form_asks_one_statement_per_dimension():
    items = campaign().items
    assert [(i.key, i.number, i.dimension) for i in items] == [(d, n, d) for n, d in enumerate(DIMS, start=1)]
    assert items[1].statement == "The work was done as promised"
    assert campaign().items_per_dimension == dict.fromkeys(DIMS, 1)


@pytest.mark.parametrize("built", ["as imported", "built again"])
def test_the_full_form_asks_the_22_servqual_items_in_their_order(built):
    # the questionnaire is built once at import; built again, the same rules must give it
    items = campaign("full").items if built == "as imported" else campaigns._full()
    assert all(isinstance(i, campaigns.Item) for i in items) and isinstance(items, tuple)
    assert [i.number for i in items] == list(range(1, 23)) and [i.key for i in items] == [str(n) for n in range(1, 23)]
    ranges = {"tangibles": range(1, 5), "reliability": range(5, 10), "responsiveness": range(10, 14),
              "assurance": range(14, 18), "empathy": range(18, 23)}
    assert {i.number: i.dimension for i in items} == {n: d for d, r in ranges.items() for n in r}
    assert items[4].statement == "When the firm promises to do something by a certain time, it does so"
    assert items[21].statement == "Staff understand residents' specific needs"
    assert campaign("full").items_per_dimension == {"tangibles": 4, "reliability": 5, "responsiveness": 4,
                                                    "assurance": 4, "empathy": 5}
    assert campaign("tsm").items == () and campaign("tsm").items_per_dimension == dict.fromkeys(DIMS, 0)


@pytest.mark.parametrize("now, state", [
    (datetime(2026, 11, 30, 15, 59, tzinfo=timezone.utc), "not_yet"),   # 23:59 on 30 November in Shanghai
    (datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc), "open"),       # 00:00 on 1 December
    (datetime(2026, 12, 31, 15, 59, tzinfo=timezone.utc), "open"),      # 23:59 on the closing day
    (datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc), "closed"),     # 00:00 on 1 January
])
def test_a_campaign_is_open_from_its_first_to_its_last_day_in_the_firms_zone(now, state):
    assert campaign().state(now, "Asia/Shanghai") == state


def test_a_campaign_may_close_on_the_day_it_opens_but_not_before():
    body = {"name": "Q4", "property_ids": ["P1"], "opens_on": "2026-12-01", "closes_on": "2026-12-01"}
    assert campaigns.CREATE.parse_body(body)["closes_on"] == date(2026, 12, 1)
    with pytest.raises(InvalidInput) as refused:
        campaigns.CREATE.parse_body({**body, "closes_on": "2026-11-30"})
    assert refused.value.fields == {"closes_on": "must be on or after opens_on"}


SHORT_ANSWER = {"p_tangibles": "7", "p_reliability": "4", "p_responsiveness": "4", "p_assurance": "4",
                "p_empathy": "4", **{f"e_{d}": "4" for d in DIMS},
                "w_tangibles": "40", "w_reliability": "15", "w_responsiveness": "15", "w_assurance": "15",
                "w_empathy": "15"}


def test_a_short_answer_is_read_as_each_dimensions_perception_expectation_and_points():
    assert campaigns.parse_response(SHORT_ANSWER, campaign()) == {
        "servqual": {"tangibles": {"p": 7, "e": 4}, **{d: {"p": 4, "e": 4} for d in DIMS[1:]}},
        "weights": {"tangibles": 40, "reliability": 15, "responsiveness": 15, "assurance": 15, "empathy": 15}}


def test_without_expectations_or_importance_asked_only_perceptions_are_kept():
    read = campaigns.parse_response(SHORT_ANSWER, campaign(expectations=False, importance=False))
    assert read == {"servqual": {"tangibles": {"p": 7, "e": None}, **{d: {"p": 4, "e": None} for d in DIMS[1:]}},
                    "weights": None}
    perceptions = {k: v for k, v in SHORT_ANSWER.items() if k.startswith("p_")}
    assert campaigns.parse_response(perceptions, campaign(expectations=False))["weights"] is None


def test_a_full_answer_sums_each_dimensions_items():
    # tangibles 7+6+5+4 = 22; reliability 5 × 3 = 15; responsiveness 4 × 1 = 4; assurance 4 × 7 = 28; empathy 5 × 2
    values = [7, 6, 5, 4] + [3] * 5 + [1] * 4 + [7] * 4 + [2] * 5
    form = {**{f"p_{n}": str(v) for n, v in enumerate(values, start=1)}, **{f"e_{n}": "6" for n in range(1, 23)}}
    read = campaigns.parse_response(form, campaign("full", importance=False))
    assert read["servqual"] == {"tangibles": {"p": 22, "e": 24}, "reliability": {"p": 15, "e": 30},
                                "responsiveness": {"p": 4, "e": 24}, "assurance": {"p": 28, "e": 24},
                                "empathy": {"p": 10, "e": 30}}


@pytest.mark.parametrize("change, fields", [
    ({"p_tangibles": ""}, {"p_tangibles": "is required"}),
    ({"e_empathy": None}, {"e_empathy": "is required"}),                       # expectations are asked
    ({"p_reliability": "8"}, {"p_reliability": "must be a whole number 1-7"}),
    ({"e_assurance": "0"}, {"e_assurance": "must be a whole number 1-7"}),
    ({"w_empathy": "14"}, {"w_tangibles": "the five numbers must add up to 100 (they add up to 99)"}),
    ({"w_empathy": ""}, {"w_tangibles": "the five numbers must add up to 100 (they add up to 85)"}),
    ({"w_empathy": "101"}, {"w_empathy": "must be a whole number 0-100"}),     # no sum told on top of it
])
def test_each_wrong_answer_is_named(change, fields):
    with pytest.raises(InvalidInput) as refused:
        campaigns.parse_response({**SHORT_ANSWER, **change}, campaign())
    assert (refused.value.message, refused.value.fields) == ("Some answers need attention.", fields)


def test_an_expectation_not_asked_may_be_left_blank():
    form = {**SHORT_ANSWER, "e_tangibles": ""}
    assert campaigns.parse_response(form, campaign(expectations=False))["servqual"]["tangibles"] == {"p": 7, "e": None}


# the index: each dimension's mean perception as (mean - 1) / 6 × 100, weighted by the points
P_SHORT = {"tangibles": {"p": 7}, **{d: {"p": 4} for d in DIMS[1:]}}  # 100, then 50 × 4


@pytest.mark.parametrize("weights, expected", [
    (None, 60.0),                                                          # (100 + 4 × 50) / 5
    ({"tangibles": 40, "reliability": 15, "responsiveness": 15, "assurance": 15, "empathy": 15}, 70.0),  # 40 + 30
    ({"tangibles": 100}, 100.0),                                           # missing dimensions weigh nothing
    (dict.fromkeys(DIMS, 0), 60.0),                                        # no points at all: equal weights
])
def test_the_index_of_a_short_answer(weights, expected):
    assert campaigns.index(campaign(), P_SHORT, weights) == pytest.approx(expected)


def test_the_index_of_a_full_answer_uses_the_mean_of_each_dimensions_items():
    # tangibles 22 over 4 items: mean 5.5 → 75; reliability 15/5 = 3 → 33.33; responsiveness 4/4 = 1 → 0;
    # assurance 28/4 = 7 → 100; empathy 10/5 = 2 → 16.67. Mean of the five: 225 / 5 = 45.
    servqual = {"tangibles": {"p": 22}, "reliability": {"p": 15}, "responsiveness": {"p": 4},
                "assurance": {"p": 28}, "empathy": {"p": 10}}
    assert campaigns.index(campaign("full"), servqual, None) == pytest.approx(45.0)


def test_a_household_adds_count_sum_and_square_of_p_e_and_the_gap_the_index_and_its_points():
    answer = campaigns.parse_response(SHORT_ANSWER, campaign())
    expected = {"sq.tangibles.p_n": 1, "sq.tangibles.p_sum": 7, "sq.tangibles.p_sq": 49,
                "sq.tangibles.e_n": 1, "sq.tangibles.e_sum": 4, "sq.tangibles.e_sq": 16,
                "sq.tangibles.g_n": 1, "sq.tangibles.g_sum": 3, "sq.tangibles.g_sq": 9,
                "idx_n": 1, "idx_sum": 7000, "idx_sq": 49_000_000,            # index 70.00 in hundredths
                "w.tangibles": 40, "w_n": 1}
    for d in DIMS[1:]:  # p = e = 4: the gap's sum and square are 0, left out
        expected |= {f"sq.{d}.p_n": 1, f"sq.{d}.p_sum": 4, f"sq.{d}.p_sq": 16,
                     f"sq.{d}.e_n": 1, f"sq.{d}.e_sum": 4, f"sq.{d}.e_sq": 16, f"sq.{d}.g_n": 1, f"w.{d}": 15}
    assert campaigns.household_counters(campaign(), answer) == expected


def test_without_expectations_or_points_a_household_adds_p_and_the_index_only():
    answer = campaigns.parse_response(SHORT_ANSWER, campaign(expectations=False, importance=False))
    expected = {"idx_n": 1, "idx_sum": 6000, "idx_sq": 36_000_000}        # index 60.00
    expected |= {"sq.tangibles.p_n": 1, "sq.tangibles.p_sum": 7, "sq.tangibles.p_sq": 49}
    for d in DIMS[1:]:
        expected |= {f"sq.{d}.p_n": 1, f"sq.{d}.p_sum": 4, f"sq.{d}.p_sq": 16}
    assert campaigns.household_counters(campaign(expectations=False, importance=False), answer) == expected


def test_a_tsm_answer_has_no_servqual_counters():
    assert campaigns.household_counters(campaign("tsm"), {"servqual": {}, "weights": None}) == {}


def test_the_answer_counts_for_the_firm_the_property_and_the_building():
    answer = {"servqual": {"tangibles": {"p": 1, "e": None}}, "weights": None}
    added = campaigns.contributions(campaign(), answer, "P1", "B7")
    # one dimension at 1 of 7: index 0, left out with its zero sum and square
    counters = {"sq.tangibles.p_n": 1, "sq.tangibles.p_sum": 1, "sq.tangibles.p_sq": 1, "idx_n": 1}
    assert added == {("C01CAMP", "all", "all"): counters, ("C01CAMP", "property", "P1"): counters,
                     ("C01CAMP", "building", "B7"): counters}


def test_a_tsm_answer_counts_under_the_campaign_and_the_reporting_year_of_the_answer():
    answer = {"filters": {}, "answers": {"tp01": "very_satisfied"}}
    counters = {"tp_n": 1, "tp.tp01.very_satisfied": 1}
    # 31 March 2027 23:30 in London is still the year from 1 April 2026; 1 April 00:30 is the next
    late = campaigns.tsm_contributions(campaign("tsm"), answer, "P1", "B7",
                                       datetime(2027, 3, 31, 22, 30, tzinfo=timezone.utc), "Europe/London")
    assert late == {("C01CAMP", "all", "all"): counters, ("C01CAMP", "property", "P1"): counters,
                    ("C01CAMP", "building", "B7"): counters, ("F2026", "tsm", "all"): counters}
    early = campaigns.tsm_contributions(campaign("tsm"), answer, "P1", "B7",
                                        datetime(2027, 3, 31, 23, 30, tzinfo=timezone.utc), "Europe/London")
    assert ("F2027", "tsm", "all") in early


def test_the_mean_importance_is_each_dimensions_points_over_the_households_that_gave_them():
    assert campaigns.mean_importance({}) is None and campaigns.mean_importance({"w_n": 0, "w.tangibles": 5}) is None
    assert campaigns.mean_importance({"w_n": 4, "w.tangibles": 100, "w.reliability": 150, "w.responsiveness": 50,
                                      "w.assurance": 100}) == {"tangibles": 25.0, "reliability": 37.5,
                                                               "responsiveness": 12.5, "assurance": 25.0,
                                                               "empathy": 0.0}
