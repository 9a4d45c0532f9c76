"""A complaint's next stage in the rules (no AWS): which category a standards document lets a
resident take an answered one to, and when the request is taken or refused."""

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import tickets as rules
from chalicelib.domain.errors import InvalidInput, TransitionRefused
from chalicelib.domain.standards import Standards, check_document

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
STAFF = rules.Actor("staff", "sub-1", "Wang Wei")


def document(**category_changes) -> dict:
    stage1 = {"key": "complaint_stage1", "name": {"en": "Complaint (stage 1)", "zh-CN": "投诉（第一阶段）"},
              "escalates_to": "complaint_stage2", **category_changes}
    return {
        "calendar": {"time_zone": "Europe/London", "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed")}},
        "priorities": [{"key": "routine", "name": {"en": "Routine", "zh-CN": "常规"}}],
        "categories": [stage1, {"key": "complaint_stage2", "name": {"en": "Complaint (stage 2)", "zh-CN": "投诉（第二阶段）"}},
                       {"key": "repairs", "name": {"en": "Repairs", "zh-CN": "维修"}}],
        "targets": {"*": {"*": {"first_response": "5 working days", "resolution": "10 working days"}}},
    }


def test_a_category_names_its_next_stage_and_others_have_none():
    standards = check_document(document())
    assert standards.escalates_to("complaint_stage1") == "complaint_stage2"
    assert standards.escalates_to("complaint_stage2") is None and standards.escalates_to("repairs") is None


@pytest.mark.parametrize("value, reason", [
    ("complaint_stage3", "must be another category's key (one of: complaint_stage1, complaint_stage2, repairs)"),
    ("complaint_stage1", "must be another category, not this one"),
    (7, "must be another category's key (one of: complaint_stage1, complaint_stage2, repairs)"),
])
def test_a_next_stage_that_is_no_other_category_is_refused_with_its_path(value, reason):
    with pytest.raises(InvalidInput) as refused:
        check_document(document(escalates_to=value))
    assert refused.value.fields == {"categories[0].escalates_to": reason}


def a_complaint(**changes) -> rules.Ticket:
    report = {"category": "complaint_stage1", "urgency": "routine", "property_id": "P", "building_id": "B",
              "unit": "3", "description": "Nobody answered my letter"}
    ticket = rules.new_ticket(ticket_id="T", tenant_id="X", number=4, report=report,
                              standards=Standards(document()), now=NOW, tracking_digest="d")
    return rules.dataclasses.replace(ticket, **changes)


def escalate(ticket: rules.Ticket, reason: str = "The answer ignored the noise", number: int = 9):
    payload = rules.parse_resident_event("escalate", {"reason": reason})
    return rules.apply(ticket, "escalate", {**payload, "number": number}, rules.RESIDENT, NOW + timedelta(days=3), "E9")


def answered(ticket: rules.Ticket) -> rules.Ticket:
    return rules.apply(ticket, "resolve", {"note": "We wrote to you"}, STAFF, NOW + timedelta(days=1), "E1")[0]


def test_an_answered_complaint_is_taken_to_the_next_stage_without_changing_it():
    before = answered(a_complaint())
    after, event = escalate(before)
    assert event.type == "escalation_requested" and event.public and event.actor.kind == "resident"
    assert event.data == {"reason": "The answer ignored the noise", "number": 9}
    # this stage stays answered, on its own clock: only its version moves
    assert (after.status, after.resolved_at, after.first_resolved_at, after.reopen_count) == \
        (before.status, before.resolved_at, before.first_resolved_at, before.reopen_count)
    assert after.version == before.version + 1
    closed = rules.apply(before, "close", {"reason": "resolved"}, STAFF, NOW + timedelta(days=2), "E2")[0]
    assert escalate(closed)[1].type == "escalation_requested"


@pytest.mark.parametrize("status", ["new", "acknowledged", "assigned", "waiting"])
def test_an_open_complaint_cannot_go_to_the_next_stage(status):
    with pytest.raises(TransitionRefused):
        escalate(a_complaint(status=status))


def test_a_complaint_closed_without_an_answer_cannot_go_to_the_next_stage():
    closed = rules.apply(a_complaint(), "close", {"reason": "withdrawn"}, STAFF, NOW, "E1")[0]
    with pytest.raises(TransitionRefused) as refused:
        escalate(closed)
    assert refused.value.fields == {"type": "the complaint has not been answered yet"}


@pytest.mark.parametrize("reason, problem", [("", "must be at least 5 characters"),
                                             ("ok", "must be at least 5 characters"),
                                             ("x" * 2001, "must be at most 2000 characters")])
def test_the_reason_is_said_in_a_few_words(reason, problem):
    with pytest.raises(InvalidInput) as refused:
        rules.parse_resident_event("escalate", {"reason": reason})
    assert refused.value.fields == {"reason": problem}


def test_staff_cannot_take_a_complaint_to_the_next_stage_for_the_resident():
    with pytest.raises(TransitionRefused):
        rules.apply(answered(a_complaint()), "escalate", {"reason": "Because", "number": 9}, STAFF, NOW, "E9")
