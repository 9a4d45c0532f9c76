"""The ticket lifecycle as staff and residents experience it (pure rules, no AWS)."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import tickets as rules
from chalicelib.domain.errors import InvalidInput, TransitionRefused
from chalicelib.domain.standards import Standards

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
STAFF = rules.Actor("staff", "sub-1", "Wang Wei")
STANDARDS = Standards({
    "calendar": {"time_zone": "Asia/Shanghai", "hours": {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}},
    "categories": [{"key": "repairs"}, {"key": "water_leak", "emergency": True}],
    "priorities": [{"key": "normal"}, {"key": "urgent"}],
    "targets": {"*": {"*": {"first_response": "24h", "resolution": "30 working days"}},
                "water_leak": {"*": {"first_response": "30m", "resolution": "24h"}}},
})
PAYLOADS = {
    "acknowledge": {}, "assign": {"assignee": "sub-2"}, "comment": {"body": "Checked the valve"},
    "wait": {"question": "When are you home?"}, "resolve": {"note": "Replaced the washer"},
    "schedule": {"at": "2030-01-05T10:00:00+08:00"},
    "reopen": {"reason": "Still dripping"}, "close": {"reason": "duplicate"},
}


def a_ticket(**changes) -> rules.Ticket:
    report = {"category": "repairs", "urgency": "normal", "property_id": "P", "building_id": "B", "unit": "1203",
              "description": "Tap drips"}
    ticket = rules.new_ticket(ticket_id="T", tenant_id="X", number=7, report=report, standards=STANDARDS, now=NOW,
                              tracking_digest="d")
    return rules.dataclasses.replace(ticket, **changes)


def act(ticket, action, payload=None, when=NOW):
    return rules.apply(ticket, action, rules.parse_event(action, payload if payload is not None else PAYLOADS[action]),
                       STAFF, when, "E1", assignee_name="Zhang San")


def test_a_new_ticket_promises_times_from_its_category():
    leak = rules.new_ticket(ticket_id="T", tenant_id="X", number=1, standards=STANDARDS, now=NOW, tracking_digest="d",
                            report={"category": "water_leak", "urgency": "normal", "property_id": "P",
                                    "building_id": "B", "unit": "1", "description": "Water everywhere"})
    assert leak.first_response_due == NOW + timedelta(minutes=30)
    assert leak.due_at == leak.first_response_due
    assert a_ticket().first_response_due == NOW + timedelta(hours=24)


def test_acknowledging_meets_the_first_response_and_moves_the_deadline_to_resolution():
    after, event = act(a_ticket(), "acknowledge")
    assert after.status == "acknowledged" and after.version == 2
    assert after.first_response_at == NOW
    assert after.due_at == after.resolution_due
    assert event.type == "acknowledged" and event.public


def test_an_internal_comment_is_not_a_response_to_the_resident():
    after, event = act(a_ticket(), "comment", {"body": "call plumber", "visibility": "internal"})
    assert after.first_response_at is None
    assert not event.public


def test_a_public_comment_counts_as_first_response():
    after, _ = act(a_ticket(), "comment", {"body": "We will come Saturday", "visibility": "public"})
    assert after.first_response_at == NOW


def test_assigning_does_not_count_as_a_response_but_names_the_assignee():
    after, event = act(a_ticket(), "assign")
    assert after.status == "assigned" and after.assignee == "sub-2" and after.assignee_name == "Zhang San"
    assert after.first_response_at is None
    assert event.data["assignee_name"] == "Zhang"  # first name only, for the resident's timeline


def test_reopen_returns_to_the_assignee_and_counts():
    resolved, _ = act(act(a_ticket(), "assign")[0], "resolve")
    reopened, _ = act(resolved, "reopen", when=NOW + timedelta(days=1))
    assert reopened.status == "assigned" and reopened.reopen_count == 1 and reopened.resolved_at is None


def test_closing_an_unresolved_ticket_needs_a_reason():
    with pytest.raises(InvalidInput) as refused:
        act(a_ticket(), "close", {})
    assert "reason" in refused.value.fields
    closed, _ = act(a_ticket(), "close", {"reason": "spam"})
    assert closed.status == "closed"


@pytest.mark.parametrize("status,action", [
    ("closed", "comment"), ("closed", "reopen"), ("closed", "resolve"), ("new", "reopen"),
    ("acknowledged", "acknowledge"), ("resolved", "wait"), ("waiting", "wait"), ("resolved", "resolve"),
])
def test_events_that_make_no_sense_in_a_state_are_refused(status, action):
    with pytest.raises(TransitionRefused):
        act(a_ticket(status=status), action)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(rules.ACTIONS), max_size=12))
def test_any_sequence_of_events_keeps_the_ticket_consistent(actions):
    """Whatever staff try, a ticket stays in a known state, versions only grow, and a
    first response once met is never lost."""
    ticket = a_ticket()
    for i, action in enumerate(actions):
        try:
            after, event = act(ticket, action, when=NOW + timedelta(minutes=i))
        except TransitionRefused:
            assert ticket.status not in rules.ALLOWED_FROM[action]
            continue
        except InvalidInput:
            assert action == "close" and ticket.status != "resolved"
            continue
        assert after.status in rules.STATES
        assert after.version == ticket.version + 1
        if ticket.first_response_at:
            assert after.first_response_at == ticket.first_response_at
        assert (after.status == "resolved") == (after.resolved_at is not None) or after.status == "closed"
        ticket = after


def test_the_resident_timeline_hides_internal_notes_and_staff_surnames():
    t1, ack = act(a_ticket(), "assign")
    t2, note = act(t1, "comment", {"body": "tenant was rude", "visibility": "internal"})
    view = rules.public_view(t2, [rules.received_event(a_ticket(), "E0"), ack, note])
    text = str(view)
    assert "tenant was rude" not in text
    assert "Zhang San" not in text and "Zhang" in text
    assert [e["type"] for e in view["timeline"]] == ["received", "assigned"]


def test_reclassifying_retargets_from_creation_and_says_so():
    later = NOW + timedelta(hours=2)
    after, event = rules.reclassify(a_ticket(), STANDARDS, category="water_leak", urgency=None, actor=STAFF,
                                    now=later, event_id="E9")
    assert after.first_response_due == NOW + timedelta(minutes=30)  # from creation, not from now
    assert event.type == "updated" and event.data["to"]["category"] == "water_leak"


def test_a_visit_must_be_ahead_and_inside_the_residents_windows():
    ticket = a_ticket(status="acknowledged", entry={"present": False, "windows": [
        {"days": ["sat"], "from": "09:00", "to": "12:00"}]})
    ok, event = act(ticket, "schedule", {"at": "2026-11-28T10:30:00+08:00"})  # Saturday 10:30 in Shanghai
    assert ok.visit_at == datetime(2026, 11, 28, 2, 30, tzinfo=timezone.utc) and event.public
    with pytest.raises(InvalidInput) as outside:
        act(ticket, "schedule", {"at": "2026-11-27T10:30:00+08:00"})  # a Friday
    assert "fri 10:30" in outside.value.fields["at"]
    with pytest.raises(InvalidInput):
        act(ticket, "schedule", {"at": "2026-11-01T10:30:00+08:00"})  # in the past
    resolved, _ = act(ok, "resolve")
    assert resolved.visit_at is None
