"""The follow-up call (回访) a low survey answer asks for (pure rules, no AWS).

Given a ticket promised under Mon–Fri 09:00–18:00 in Shanghai, when a resident answers the
survey, then a rating of 2 or less, or "not fixed the first time", opens a call promised
two working days later (the firm may choose another number), and logging the call closes
it, judged against that promise. Expected times are worked out by hand below."""

from datetime import datetime, timezone

import pytest

from chalicelib.domain import follow_ups
from chalicelib.domain import tickets as rules
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.standards import Standards, check_document

STANDARDS = Standards({
    "calendar": {"time_zone": "Asia/Shanghai", "hours": {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}},
    "categories": [{"key": "repairs", "name": {"zh-CN": "维修", "en": "Repairs"}}],
    "priorities": [{"key": "normal", "name": {"zh-CN": "一般", "en": "Normal"}}],
    "targets": {"*": {"*": {"first_response": "24h", "resolution": "5 working days"}}},
})
CREATED = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai
FRIDAY_4PM = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)  # Friday 16:00 in Shanghai


def answered(**survey) -> rules.Ticket:
    report = {"category": "repairs", "urgency": "normal", "property_id": "P", "building_id": "B", "unit": "1203",
              "description": "Tap drips"}
    ticket = rules.new_ticket(ticket_id="T", tenant_id="X", number=7, report=report, standards=STANDARDS, now=CREATED,
                              tracking_digest="d")
    return rules.dataclasses.replace(ticket, survey={"rating": 4, "fixed_first_visit": None, **survey})


@pytest.mark.parametrize("answer, owed", [
    ({"rating": 1}, True), ({"rating": 2}, True), ({"rating": 3}, False), ({"rating": 5}, False),
    ({"rating": 5, "fixed_first_visit": False}, True), ({"rating": 3, "fixed_first_visit": True}, False),
    ({"rating": 4, "fixed_first_visit": None}, False),
])
def test_a_rating_of_two_or_less_or_not_fixed_asks_for_a_call(answer, owed):
    assert follow_ups.needs_call(answer) is owed


def test_the_call_is_promised_two_working_days_later_by_default():
    # Friday 16:00 + 2 working days (Mon, Tue) = Tuesday 1 December 16:00 Shanghai = 08:00 UTC
    ticket = follow_ups.opened(answered(rating=2), FRIDAY_4PM)
    assert ticket.survey["call"] == {"due": "2026-12-01T08:00:00Z", "done_at": None, "on_time": None}
    assert follow_ups.open_call(ticket) is not None


def test_an_answer_at_the_weekend_counts_from_monday_opening_and_the_firm_may_choose_the_days():
    saturday = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # Saturday 10:00 → anchor Monday 09:00
    # + 3 working days (Tue, Wed, Thu) = Thursday 3 December 09:00 Shanghai = 01:00 UTC
    ticket = follow_ups.opened(answered(fixed_first_visit=False), saturday, working_days=3)
    assert ticket.survey["call"]["due"] == "2026-12-03T01:00:00Z"


def test_a_good_answer_opens_no_call_and_logging_a_call_then_changes_nothing():
    ticket = answered(rating=5)
    assert follow_ups.opened(ticket, FRIDAY_4PM) == ticket
    assert follow_ups.closed(ticket, FRIDAY_4PM) == ticket


def test_logging_the_call_closes_it_on_time_or_late():
    ticket = follow_ups.opened(answered(rating=1), FRIDAY_4PM)
    in_time = follow_ups.closed(ticket, datetime(2026, 12, 1, 7, 59, tzinfo=timezone.utc))
    assert in_time.survey["call"]["on_time"] is True and follow_ups.open_call(in_time) is None
    late = follow_ups.closed(ticket, datetime(2026, 12, 1, 8, 1, tzinfo=timezone.utc))
    assert late.survey["call"] == {"due": "2026-12-01T08:00:00Z", "done_at": "2026-12-01T08:01:00Z", "on_time": False}
    assert follow_ups.closed(late, datetime(2026, 12, 9, tzinfo=timezone.utc)) == late  # a second call moves nothing


@pytest.mark.parametrize("days, ok", [(1, True), (30, True), (0, False), (31, False), ("2", False), (True, False)])
def test_the_firm_setting_is_a_whole_number_of_working_days(days, ok):
    document = {**STANDARDS.document, "survey": {"follow_up_days": days}}
    if ok:
        check_document(document)
        assert follow_ups.working_days_setting(document["survey"]) == days
    else:
        with pytest.raises(InvalidInput) as refused:
            check_document(document)
        assert "survey.follow_up_days" in refused.value.fields
    assert follow_ups.working_days_setting({}) == 2


@pytest.mark.parametrize("answer", [None, {}])
def test_no_answer_asks_for_no_call(answer):
    assert follow_ups.needs_call(answer) is False


def test_a_call_logged_at_the_very_minute_it_was_due_is_on_time():
    ticket = follow_ups.opened(answered(rating=2), FRIDAY_4PM)  # due Tuesday 08:00 UTC (above)
    exactly = follow_ups.closed(ticket, datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc))
    assert exactly.survey["call"]["on_time"] is True
