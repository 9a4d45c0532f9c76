"""The after-resolution survey's rules (domain/surveys.py): which questions a firm's settings
ask, which answers are refused (and the reason given for each field), and when an answer may
be kept on the ticket. Expected values are written out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import surveys
from chalicelib.domain.errors import InvalidInput, TransitionRefused
from chalicelib.domain.tickets import Ticket

ALL = surveys.Questions(nps=True, servqual=True, fixed_question=True, weights=None)
RATING_ONLY = surveys.Questions(nps=False, servqual=False, fixed_question=False, weights=None)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def refused(form, questions=ALL) -> tuple[str, dict]:
    with pytest.raises(InvalidInput) as problem:
        surveys.parse_answer(form, questions)
    return problem.value.message, problem.value.fields


# --- which questions --------------------------------------------------------------------------

def test_a_firm_without_survey_settings_asks_the_rating_and_whether_it_was_fixed_first_time():
    assert surveys.Questions.from_settings({}) == surveys.Questions(
        nps=False, servqual=False, fixed_question=True, weights=None)


def test_a_firms_survey_settings_choose_the_questions_and_keep_the_weights():
    weights = {"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20, "empathy": 20}
    chosen = surveys.Questions.from_settings({"nps": 1, "servqual": "yes", "fixed_question": 0, "weights": weights})
    assert chosen == surveys.Questions(nps=True, servqual=True, fixed_question=False, weights=weights)


# --- reading an answer ------------------------------------------------------------------------

def test_a_full_answer_is_read_with_whole_numbers_and_yes_as_true():
    form = {"rating": " 4 ", "comment": "  Quick fix  ", "nps": "10", "fixed_first_visit": "yes",
            "sq_tangibles": "1", "sq_reliability": "5", "sq_responsiveness": "3", "sq_assurance": "2",
            "sq_empathy": "4"}
    assert surveys.parse_answer(form, ALL) == {
        "rating": 4, "comment": "Quick fix", "nps": 10, "fixed_first_visit": True,
        "servqual": {"tangibles": {"p": 1, "e": None}, "reliability": {"p": 5, "e": None},
                     "responsiveness": {"p": 3, "e": None}, "assurance": {"p": 2, "e": None},
                     "empathy": {"p": 4, "e": None}}}


def test_a_rating_alone_is_enough_and_the_optional_questions_are_left_empty():
    assert surveys.parse_answer({"rating": 1}, ALL) == {
        "rating": 1, "comment": None, "nps": None, "fixed_first_visit": None, "servqual": {}}
    assert surveys.parse_answer({"rating": "5", "comment": "   ", "fixed_first_visit": ""}, ALL) == {
        "rating": 5, "comment": None, "nps": None, "fixed_first_visit": None, "servqual": {}}


def test_questions_the_firm_does_not_ask_are_not_read():
    form = {"rating": "3", "nps": "11", "fixed_first_visit": "maybe", "sq_empathy": "9"}
    assert surveys.parse_answer(form, RATING_ONLY) == {"rating": 3, "comment": None}


def test_no_as_text_or_false_means_not_fixed_first_time_and_true_means_fixed():
    assert surveys.parse_answer({"rating": "2", "fixed_first_visit": "no"}, ALL)["fixed_first_visit"] is False
    assert surveys.parse_answer({"rating": "2", "fixed_first_visit": False}, ALL)["fixed_first_visit"] is False
    assert surveys.parse_answer({"rating": "2", "fixed_first_visit": True}, ALL)["fixed_first_visit"] is True


def test_some_servqual_items_may_be_left_out():
    answer = surveys.parse_answer({"rating": "4", "sq_reliability": "2"}, ALL)
    assert answer["servqual"] == {"reliability": {"p": 2, "e": None}}


def test_the_scale_ends_are_accepted():
    for rating in ("1", "5"):
        assert surveys.parse_answer({"rating": rating}, RATING_ONLY)["rating"] == int(rating)
    for nps in ("0", "10"):
        assert surveys.parse_answer({"rating": "3", "nps": nps}, ALL)["nps"] == int(nps)
    for value in ("1", "5"):
        assert surveys.parse_answer({"rating": "3", "sq_empathy": value}, ALL)["servqual"] == {
            "empathy": {"p": int(value), "e": None}}


def test_a_body_that_is_not_an_object_is_refused():
    for body in (None, [], "rating=5", 5):
        message, fields = refused(body)
        assert fields == {"body": "must be an object"}
        assert message == "The answer must be a form or a JSON object."


def test_the_rating_is_required():
    for form in ({}, {"rating": ""}, {"rating": "  "}, {"rating": None}):
        message, fields = refused(form, RATING_ONLY)
        assert fields == {"rating": "is required"}
        assert message == "Some answers need attention."


@pytest.mark.parametrize("rating", ["0", "6", 0, 6, "-1", "3.0", 3.0, 2.5, "three", True, False, "²", "３"])
def test_a_rating_off_the_scale_or_not_a_whole_number_is_refused(rating):
    assert refused({"rating": rating}, RATING_ONLY)[1] == {"rating": "must be a whole number 1-5"}


@pytest.mark.parametrize("nps", ["-1", "11", 10.0, True, "x"])
def test_a_recommendation_off_the_0_to_10_scale_is_refused(nps):
    assert refused({"rating": "3", "nps": nps})[1] == {"nps": "must be a whole number 0-10"}


@pytest.mark.parametrize("value", ["0", "6", 4.0, True])
def test_a_servqual_item_off_the_1_to_5_scale_is_refused(value):
    assert refused({"rating": "3", "sq_assurance": value})[1] == {"sq_assurance": "must be a whole number 1-5"}


@pytest.mark.parametrize("fixed", ["maybe", "Yes", "true", "1", "0", 2, 1, 0, 1.0, ["yes"]])
def test_fixed_first_visit_takes_only_yes_or_no(fixed):
    assert refused({"rating": "3", "fixed_first_visit": fixed})[1] == {"fixed_first_visit": "must be yes or no"}


def test_a_comment_longer_than_2000_characters_is_refused_and_2000_is_kept():
    assert surveys.parse_answer({"rating": "5", "comment": "a" * 2000}, RATING_ONLY)["comment"] == "a" * 2000
    assert refused({"rating": "5", "comment": "a" * 2001}, RATING_ONLY)[1] == {
        "comment": "must be at most 2000 characters"}


def test_every_wrong_answer_is_named_at_once():
    form = {"rating": "9", "nps": "11", "fixed_first_visit": "perhaps", "sq_tangibles": "0", "comment": 7}
    assert refused(form)[1] == {"rating": "must be a whole number 1-5", "nps": "must be a whole number 0-10",
                                "fixed_first_visit": "must be yes or no", "sq_tangibles": "must be a whole number 1-5",
                                "comment": "must be text"}


# --- what a refusal means for the page --------------------------------------------------------

def test_a_refused_answer_tells_the_page_whether_it_was_answered_expired_or_not_open():
    assert surveys.refused_state(TransitionRefused("x", {"survey": "already answered"})) == "answered"
    assert surveys.refused_state(TransitionRefused("x", {"survey": "expired"})) == "expired"
    assert surveys.refused_state(TransitionRefused("x", {"survey": "not open"})) == "not_open"
    assert surveys.refused_state(TransitionRefused("x", {})) == "not_open"


# --- keeping the answer -----------------------------------------------------------------------

def resolved_ticket(**changes) -> Ticket:
    fields = dict(id="t1", tenant_id="firm", number=7, status="resolved", category="plumbing", urgency="normal",
                  property_id="p", building_id="b", unit="3A", description="leak", created_at=T0,
                  updated_at=T0 + timedelta(days=1), version=4, resolved_at=T0 + timedelta(days=1),
                  first_resolved_at=T0 + timedelta(days=1))
    return Ticket(**(fields | changes))


def test_an_answer_is_kept_on_the_ticket_and_counts_as_the_follow_up():
    now = T0 + timedelta(days=3)
    answer = {"rating": 4, "comment": "Thanks", "nps": 9, "fixed_first_visit": False,
              "servqual": {"empathy": {"p": 5, "e": None}}}
    weights = {"tangibles": 20, "reliability": 20, "responsiveness": 20, "assurance": 20, "empathy": 20}
    questions = surveys.Questions(nps=True, servqual=True, fixed_question=True, weights=weights)
    after, event = surveys.record(resolved_ticket(), answer, questions, now, "e9", "link")
    assert after.survey == {"at": "2026-11-05T09:00:00Z", "rating": 4, "nps": 9, "fixed_first_visit": False,
                            "servqual": {"empathy": {"p": 5, "e": None}}, "scale": [1, 5], "weights": weights,
                            "via": "link"}
    assert after.followed_up_at == now and after.updated_at == now and after.version == 5
    assert (event.id, event.type, event.at, event.actor.kind, event.public) == ("e9", "survey_answered", now,
                                                                               "resident", False)
    assert event.data == {"rating": 4, "via": "link", "comment": "Thanks"}


def test_an_answer_without_a_comment_notes_only_the_rating_and_keeps_an_earlier_follow_up():
    called = T0 + timedelta(days=2)
    after, event = surveys.record(resolved_ticket(followed_up_at=called), {"rating": 2, "comment": None},
                                  RATING_ONLY, T0 + timedelta(days=5), "e1", "page")
    assert after.followed_up_at == called
    assert after.survey["nps"] is None and after.survey["fixed_first_visit"] is None
    assert after.survey["servqual"] == {} and after.survey["weights"] is None
    assert event.data == {"rating": 2, "via": "page"}


def test_a_second_answer_is_refused_as_already_answered():
    with pytest.raises(TransitionRefused) as problem:
        surveys.record(resolved_ticket(survey={"rating": 5}), {"rating": 1}, RATING_ONLY, T0, "e", "link")
    assert problem.value.fields == {"survey": "already answered"}
    assert problem.value.message == "This survey has already been answered. Thank you!"


def test_an_answer_for_a_ticket_that_is_not_resolved_is_refused_as_not_open():
    with pytest.raises(TransitionRefused) as problem:
        surveys.record(resolved_ticket(status="in_progress"), {"rating": 3}, RATING_ONLY, T0, "e", "link")
    assert problem.value.fields == {"survey": "not open"}
    assert problem.value.message == "This report is not waiting for your feedback."


def test_an_answer_is_taken_until_28_days_after_the_first_resolution_and_not_a_second_later():
    resolved = T0 + timedelta(days=1)
    last = resolved + timedelta(days=28)
    after, _ = surveys.record(resolved_ticket(), {"rating": 3}, RATING_ONLY, last, "e", "link")
    assert after.survey["rating"] == 3
    with pytest.raises(TransitionRefused) as problem:
        surveys.record(resolved_ticket(), {"rating": 3}, RATING_ONLY, last + timedelta(seconds=1), "e", "link")
    assert problem.value.fields == {"survey": "expired"}
    assert problem.value.message == "This survey link has expired."


def test_a_link_with_its_own_expiry_is_held_to_it():
    until = T0 + timedelta(days=4)
    after, _ = surveys.record(resolved_ticket(), {"rating": 3}, RATING_ONLY, until, "e", "link", until=until)
    assert after.survey["rating"] == 3
    with pytest.raises(TransitionRefused) as problem:
        surveys.record(resolved_ticket(), {"rating": 3}, RATING_ONLY, until + timedelta(seconds=1), "e", "link",
                       until=until)
    assert problem.value.fields == {"survey": "expired"}


def test_weights_that_do_not_add_up_to_100_are_refused_rather_than_kept():
    weights = {"tangibles": 10, "reliability": 20, "responsiveness": 20, "assurance": 20, "empathy": 20}
    questions = surveys.Questions(nps=False, servqual=True, fixed_question=False, weights=weights)
    with pytest.raises(InvalidInput) as problem:
        surveys.record(resolved_ticket(), {"rating": 3}, questions, T0 + timedelta(days=2), "e", "link")
    assert problem.value.fields == {"weights": "must add up to 100"}


def test_an_answers_ratings_are_checked_again_when_kept():
    with pytest.raises(InvalidInput) as problem:
        surveys.record(resolved_ticket(), {"rating": 3, "nps": 11, "fixed_first_visit": "yes",
                                           "servqual": {"empathy": {"p": 6, "e": None}}},
                       ALL, T0 + timedelta(days=2), "e", "link")
    assert problem.value.fields == {"nps": "must be a whole number 0-10", "fixed_first_visit": "must be true or false",
                                    "servqual.empathy.p": "must be a whole number 1-5"}
