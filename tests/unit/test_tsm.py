"""The Tenant Satisfaction Measures rules (domain/tsm.py): the questions as the regulator asks
them, who is asked what, the satisfied shares without "don't know", the financial year, and
what tickets add to RP02, CH01 and CH02. Expected values are hand-computed or from
statsmodels, never from the module."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from statsmodels.stats.proportion import proportion_confint

from chalicelib.domain import scores, tsm
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.tickets import Ticket

START = datetime(2026, 6, 10, 9, 0, tzinfo=timezone.utc)


def a_ticket(**changes) -> Ticket:
    ticket = Ticket(id="T", tenant_id="X", number=1, status="new", category="repairs", urgency="routine",
                    property_id="P1", building_id="B1", unit="12", description="Door sticks",
                    created_at=START, updated_at=START, first_response_due=START + timedelta(hours=4),
                    resolution_due=START + timedelta(days=3))
    return replace(ticket, **changes)


def resolved(ticket: Ticket, after: timedelta) -> Ticket:
    at = ticket.created_at + after
    return replace(ticket, status="resolved", resolved_at=at, first_resolved_at=at, first_response_at=at)


def all_answered(**overrides) -> dict:
    form = {"had_repair": "yes", "made_complaint": "yes", "has_communal": "yes"}
    form |= {q.field: q.scale[0] for q in tsm.QUESTIONS}
    return form | overrides


# --- the questionnaire ------------------------------------------------------------------

def test_there_are_twelve_perception_questions_in_the_regulators_order():
    assert [q.code for q in tsm.QUESTIONS] == [f"TP{n:02d}" for n in range(1, 13)]
    assert tsm.BY_CODE["TP01"].text == ("Taking everything into account, how satisfied or dissatisfied are you "
                                        "with the service provided by %(landlord)s?")


def test_dont_know_is_offered_only_where_the_regulator_allows_it():
    offered = {q.code for q in tsm.QUESTIONS if "dont_know" in q.options}
    assert offered == {"TP06", "TP07", "TP08", "TP11", "TP12"}


def test_tp08_is_an_agreement_question_and_the_others_ask_satisfaction():
    assert tsm.BY_CODE["TP08"].options[:5] == ("strongly_agree", "agree", "neither_agree", "disagree",
                                               "strongly_disagree")
    assert all(q.options[:5] == ("very_satisfied", "fairly_satisfied", "neither", "fairly_dissatisfied",
                                 "very_dissatisfied") for q in tsm.QUESTIONS if q.code != "TP08")


def test_a_household_without_a_repair_complaint_or_communal_area_is_not_asked_about_them():
    form = all_answered(had_repair="no", made_complaint="no", has_communal="no")
    answer = tsm.parse_answer(form)
    assert set(answer["answers"]) == {"TP01", "TP04", "TP05", "TP06", "TP07", "TP08", "TP11", "TP12"}


def test_a_missing_answer_is_named_with_its_reason():
    form = all_answered()
    del form["tp03"]
    form["tp01"] = "dont_know"  # not an option of TP01
    form["has_communal"] = "maybe"
    with pytest.raises(InvalidInput) as raised:
        tsm.parse_answer(form)
    assert raised.value.fields["tp03"] == "is required"
    assert raised.value.fields["tp01"].startswith("must be one of: very_satisfied")
    assert raised.value.fields["has_communal"] == "must be yes or no"


def test_an_answer_counts_once_per_question_asked():
    answer = tsm.parse_answer(all_answered(tp06="dont_know"))
    counters = tsm.answer_counters(answer)
    assert counters["tp_n"] == 1
    assert counters["tp.TP06.dont_know"] == 1
    assert counters["tp.TP01.very_satisfied"] == 1
    assert sum(v for k, v in counters.items() if k.startswith("tp.")) == 12


# --- the measures ---------------------------------------------------------------------------

def test_satisfied_share_leaves_dont_know_out_of_the_base():
    # 7 very, 9 fairly, 3 neither, 2 fairly dis, 1 very dis, 5 don't know: 16 of 22
    counters = {"tp.TP06.very_satisfied": 7, "tp.TP06.fairly_satisfied": 9, "tp.TP06.neither": 3,
                "tp.TP06.fairly_dissatisfied": 2, "tp.TP06.very_dissatisfied": 1, "tp.TP06.dont_know": 5}
    measure = tsm.perception(counters, tsm.BY_CODE["TP06"])
    low, high = proportion_confint(16, 22, alpha=0.05, method="wilson")
    assert measure.score.n == 22 and measure.satisfied == 16 and measure.dont_know == 5
    assert measure.score.value == pytest.approx(100 * 16 / 22)
    assert (measure.score.low, measure.score.high) == (pytest.approx(100 * low), pytest.approx(100 * high))


def test_agreement_counts_strongly_agree_and_agree():
    counters = {"tp.TP08.strongly_agree": 4, "tp.TP08.agree": 2, "tp.TP08.disagree": 4}
    measure = tsm.perception(counters, tsm.BY_CODE["TP08"])
    assert measure.score.value == pytest.approx(60.0) and measure.score.n == 10


def test_no_answers_give_no_value():
    measure = tsm.perception({}, tsm.BY_CODE["TP01"])
    assert measure.score.value is None and measure.score.n == 0


def test_complaints_per_thousand_homes_and_answered_in_time():
    counters = {"ch1_n": 9, "ch2_n": 2, "ch1_ans": 8, "ch1_met": 6, "ch2_ans": 2, "ch2_met": 1,
                "rp_em_n": 40, "rp_em_met": 38, "rp_ne_n": 200, "rp_ne_met": 150}
    result = tsm.measures(counters, homes=450)
    assert result["CH01"]["stage1"]["per_1000"] == pytest.approx(20.0)  # 9 / 450 * 1000
    assert result["CH01"]["stage2"]["per_1000"] == pytest.approx(4.444444, rel=1e-5)
    assert result["CH02"]["stage1"].value == pytest.approx(75.0)
    assert result["CH02"]["stage2"].value == pytest.approx(50.0)
    assert result["RP02"]["emergency"].value == pytest.approx(95.0)
    assert result["RP02"]["non_emergency"].value == pytest.approx(75.0)
    low, high = proportion_confint(150, 200, alpha=0.05, method="wilson")
    assert result["RP02"]["non_emergency"].low == pytest.approx(100 * low)
    assert result["RP02"]["non_emergency"].high == pytest.approx(100 * high)


def test_no_homes_in_the_register_gives_no_rate():
    assert tsm.measures({"ch1_n": 3}, homes=0)["CH01"]["stage1"]["per_1000"] is None


# --- the year ---------------------------------------------------------------------------------

@pytest.mark.parametrize("at, zone, year", [
    (datetime(2026, 4, 1, 0, 30, tzinfo=timezone.utc), "Europe/London", 2026),  # 01:30 BST, 1 April
    (datetime(2026, 3, 31, 22, 59, tzinfo=timezone.utc), "Europe/London", 2025),  # 23:59 BST, 31 March
    (datetime(2026, 3, 31, 23, 0, tzinfo=timezone.utc), "Europe/London", 2026),  # midnight BST
    (datetime(2027, 1, 15, tzinfo=timezone.utc), "Europe/London", 2026),
    (datetime(2026, 3, 31, 17, 0, tzinfo=timezone.utc), "Asia/Shanghai", 2026),  # 01:00 on 1 April there
])
def test_the_reporting_year_runs_april_to_march_in_the_firms_zone(at, zone, year):
    assert tsm.financial_year(at, zone) == year


@pytest.mark.parametrize("text", ["26", "2026/27", "１２３４", "1999", "2101", "", None, "20x6"])
def test_a_bad_year_is_refused_naming_the_field(text):
    with pytest.raises(InvalidInput) as raised:
        tsm.parse_year(text)
    assert "year" in raised.value.fields


def test_a_year_reads_as_the_regulator_writes_it():
    assert tsm.parse_year("2026") == 2026
    assert tsm.year_label(2026) == "2026/27" and tsm.year_label(2099) == "2099/00"


# --- what tickets add ------------------------------------------------------------------------

FY26 = ("F2026", "tsm", "all")


def test_a_repair_counts_when_completed_emergency_and_not_apart():
    on_time = resolved(a_ticket(), timedelta(days=1))
    late_emergency = resolved(a_ticket(urgency="emergency", resolution_due=START + timedelta(hours=24)),
                              timedelta(hours=30))
    assert tsm.ticket_contributions(on_time, "Europe/London") == {FY26: {"rp_ne_n": 1, "rp_ne_met": 1}}
    assert tsm.ticket_contributions(late_emergency, "Europe/London") == {FY26: {"rp_em_n": 1}}
    assert tsm.ticket_contributions(a_ticket(), "Europe/London") == {}  # not completed yet


def test_a_complaint_counts_when_received_and_when_answered():
    received = a_ticket(category="complaint_stage1", created_at=datetime(2027, 3, 25, tzinfo=timezone.utc),
                        resolution_due=datetime(2027, 4, 8, tzinfo=timezone.utc))
    answered = resolved(received, timedelta(days=10))  # 4 April 2027: the next year, in time
    assert tsm.ticket_contributions(answered, "Europe/London") == {
        FY26: {"ch1_n": 1}, ("F2027", "tsm", "all"): {"ch1_ans": 1, "ch1_met": 1}}


def test_stage_one_and_an_escalated_stage_two_each_count_once():
    stage1 = resolved(a_ticket(category="complaint_stage1"), timedelta(days=2))
    stage2 = a_ticket(id="T2", category="complaint_stage2")
    total = scores.add(tsm.ticket_contributions(stage1, "Europe/London"),
                       tsm.ticket_contributions(stage2, "Europe/London"))
    assert total[FY26]["ch1_n"] == 1 and total[FY26]["ch2_n"] == 1


def test_antisocial_behaviour_is_neither_a_repair_nor_a_complaint():
    assert tsm.ticket_contributions(resolved(a_ticket(category="antisocial"), timedelta(days=1)), "UTC") == {}


def test_recategorising_a_complaint_as_a_repair_moves_its_counts():
    complaint = resolved(a_ticket(category="complaint_stage1"), timedelta(days=1))
    repair = replace(complaint, category="repairs")
    stored = scores.add(tsm.ticket_change(None, complaint, "UTC"), tsm.ticket_change(complaint, repair, "UTC"))
    assert stored == {FY26: {"rp_ne_n": 1, "rp_ne_met": 1}}


def test_a_reopen_does_not_undo_the_first_completion():
    done = resolved(a_ticket(), timedelta(days=1))
    reopened = replace(done, status="in_progress", resolved_at=None, reopen_count=1)
    assert tsm.ticket_change(done, reopened, "UTC") == {}
