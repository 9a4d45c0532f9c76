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
    "cancel_visit": {},
    "reopen": {"reason": "Still dripping"}, "close": {"reason": "duplicate"},
    "follow_up": {"note": "Called back: all fine"},
    "milestone": {"kind": "on_site"},  # refused (422): these standards declare no milestones
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
            # refused by state, or a follow-up call before there was any resolution
            assert ticket.status not in rules.ALLOWED_FROM[action] or (
                action == "follow_up" and ticket.first_resolved_at is None) or (
                action == "cancel_visit" and ticket.visit_at is None)
            continue
        except InvalidInput:
            assert (action == "close" and ticket.status != "resolved") or action == "milestone"
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


# --- the resident's side --------------------------------------------------------------------

def resident(ticket, action, payload, when=NOW):
    return rules.apply(ticket, action, rules.parse_resident_event(action, payload), rules.RESIDENT, when, "R1")


def test_a_reply_while_waiting_goes_back_to_the_assignee_as_a_public_resident_event():
    waiting, _ = act(act(a_ticket(), "assign")[0], "wait")
    after, event = resident(waiting, "reply", {"body": "  Saturday is fine  "}, when=NOW + timedelta(hours=1))
    assert after.status == "assigned" and after.version == waiting.version + 1
    assert after.updated_at == NOW + timedelta(hours=1)
    assert event.type == "resident_replied" and event.public and event.actor == rules.RESIDENT
    assert event.data == {"body": "Saturday is fine", "status_after": "assigned"}
    unassigned, _ = resident(act(a_ticket(), "wait")[0], "reply", {"body": "Yes"})
    assert unassigned.status == "acknowledged"


@pytest.mark.parametrize("status", ["new", "acknowledged", "assigned", "resolved", "closed"])
def test_a_reply_is_refused_unless_the_ticket_waits_on_the_resident(status):
    with pytest.raises(TransitionRefused):
        resident(a_ticket(status=status), "reply", {"body": "Hello"})


def test_a_reply_needs_1_to_2000_characters():
    for text in ("", "   ", "x" * 2001):
        with pytest.raises(InvalidInput) as refused:
            rules.parse_resident_event("reply", {"body": text})
        assert "body" in refused.value.fields
    assert rules.parse_resident_event("reply", {"body": "x" * 2000})["body"] == "x" * 2000
    with pytest.raises(InvalidInput) as missing:
        rules.parse_resident_event("not_fixed", {})
    assert "reason" in missing.value.fields


def test_not_fixed_within_14_days_reopens_like_staff_and_says_it_was_the_resident():
    resolved, _ = act(act(a_ticket(), "assign")[0], "resolve")
    after, event = resident(resolved, "not_fixed", {"reason": "Still dripping"}, when=NOW + timedelta(days=14))
    assert after.status == "assigned" and after.reopen_count == 1 and after.resolved_at is None
    assert event.type == "reopened" and event.actor.kind == "resident"
    assert event.data == {"reason": "Still dripping", "by_resident": True, "status_after": "assigned"}
    view = rules.public_view(after, [event])
    assert view["timeline"][0]["by_resident"] is True and view["not_fixed_until"] is None


def test_not_fixed_after_14_days_or_when_not_resolved_is_refused():
    resolved, _ = act(a_ticket(), "resolve")
    with pytest.raises(TransitionRefused) as late:
        resident(resolved, "not_fixed", {"reason": "Still dripping"}, when=NOW + timedelta(days=14, seconds=1))
    assert late.value.fields == {"reason": "the 14 days to say it was not fixed have passed"}
    for status in ("new", "assigned", "waiting", "closed"):
        with pytest.raises(TransitionRefused):
            resident(a_ticket(status=status), "not_fixed", {"reason": "Still dripping"})


def test_staff_cannot_post_resident_events_nor_residents_staff_ones():
    waiting, _ = act(a_ticket(), "wait")
    with pytest.raises(TransitionRefused):
        rules.apply(waiting, "reply", {"body": "x"}, STAFF, NOW, "E2")
    with pytest.raises(TransitionRefused):
        rules.apply(waiting, "resolve", {}, rules.RESIDENT, NOW, "E2")
    with pytest.raises(InvalidInput):
        rules.parse_event("reply", {"body": "x"})  # the staff API does not know it


def test_the_public_view_offers_the_question_while_waiting_and_hides_internal_notes():
    t1, question = act(a_ticket(), "wait", {"question": "When are you home?"})
    t2, note = act(t1, "comment", {"body": "tenant was rude", "visibility": "internal"})
    t3, reply = resident(t2, "reply", {"body": "After 6pm"})
    waiting_view = rules.public_view(t2, [question, note])
    assert waiting_view["can_reply"] and waiting_view["question"] == "When are you home?"
    view = rules.public_view(t3, [question, note, reply])
    assert not view["can_reply"] and view["question"] is None
    assert [e["type"] for e in view["timeline"]] == ["waiting", "resident_replied"]
    assert "tenant was rude" not in str(view) and view["timeline"][1]["body"] == "After 6pm"


def test_a_follow_up_call_counts_once_and_only_after_a_resolve():
    ticket = a_ticket()
    with pytest.raises(TransitionRefused):
        act(ticket, "follow_up")
    resolved, _ = act(ticket, "resolve", when=NOW + timedelta(hours=1))
    called, event = act(resolved, "follow_up", when=NOW + timedelta(hours=5))
    assert called.followed_up_at == NOW + timedelta(hours=5) and not event.public
    again, _ = act(called, "follow_up", when=NOW + timedelta(hours=9))
    assert again.followed_up_at == called.followed_up_at  # the first call is the follow-up
    assert again.first_resolved_at == NOW + timedelta(hours=1)


def test_a_booked_visit_can_be_cancelled_once_and_the_resident_sees_it():
    from chalicelib.domain.notices import step_of
    booked, _ = act(act(a_ticket(), "acknowledge")[0], "schedule",
                    {"at": "2030-01-05T10:00:00+08:00", "until": "2030-01-05T12:00:00+08:00"})
    cancelled, event = act(booked, "cancel_visit", {"note": "The plumber is ill"})
    assert cancelled.visit_at is None and event.type == "visit_cancelled" and event.public
    assert step_of(booked, cancelled, event)["visit_at"] == "2030-01-05T02:00:00Z"
    with pytest.raises(TransitionRefused):
        act(cancelled, "cancel_visit", {})
    with pytest.raises(InvalidInput):
        act(booked, "schedule", {"at": "2030-01-05T10:00:00+08:00", "until": "2030-01-05T09:00:00+08:00"})
