"""Which steps of a report a resident hears of, on which channel and when
(domain/notices.py). Expected values are written out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from chalicelib.domain import notices
from chalicelib.domain.tickets import Actor, Event

UTC = timezone.utc
AT = datetime(2026, 12, 4, 10, 0, tzinfo=timezone(timedelta(hours=8)))  # 02:00 UTC
STAMP = "2026-12-04T02:00:00Z"
STAFF, RESIDENT, SYSTEM = Actor("staff", "S1", "Wang"), Actor("resident"), Actor("system")


def event(kind: str, data: dict | None = None, public: bool = True, actor: Actor = STAFF) -> Event:
    return Event("E1", kind, AT, actor, public, data or {})


def visit(at: datetime | None):
    return SimpleNamespace(visit_at=at)


# --- the channel ---------------------------------------------------------------------------

@pytest.mark.parametrize("contact, choice", [
    ({"notify": "none", "phone": "+861"}, "none"), ({"notify": "email"}, "email"), ({"notify": "sms"}, "sms"),
    ({"notify": "fax", "phone": "+861", "email": "a@b.cn"}, "sms"), ({"email": "a@b.cn"}, "email"),
    ({"phone": "", "email": ""}, "none"), ({}, "none"), (None, "none"),
])
def test_the_choice_is_the_residents_else_sms_for_a_phone_else_email_for_an_address(contact, choice):
    assert notices.choice_of(contact) == choice


def test_no_channel_when_the_chosen_one_has_no_detail_or_nothing_was_given():
    assert notices.channel_for({"notify": "sms", "email": "a@b.cn"}) is None
    assert notices.channel_for({"notify": "email", "phone": "+861"}) is None
    assert notices.channel_for(None) is None
    assert notices.channel_for({"phone": "+861"}, {"stopped": False}) == {"channel": "sms", "to": "+861"}


def test_a_chosen_channel_without_its_detail_is_named_on_the_form():
    assert notices.contact_problems({"notify": "email", "phone": "+861"}) == {"email": "is needed for messages by e-mail"}
    assert notices.contact_problems({"notify": "sms", "phone": "+861"}) == {}
    assert notices.contact_problems({"notify": "email", "email": "a@b.cn"}) == {}
    assert notices.contact_problems({"notify": "none"}) == {}
    assert notices.contact_problems(None) == {}


# --- which steps ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind, data, expected", [
    ("received", {}, {"kind": "received", "at": STAMP}),
    ("acknowledged", {}, {"kind": "acknowledged", "at": STAMP}),
    ("assigned", {"assignee_name": "Wang"}, {"kind": "assigned", "at": STAMP, "name": "Wang"}),
    ("visit_cancelled", {"at": "A", "until": "U"}, {"kind": "visit_cancelled", "at": STAMP, "visit_at": "A",
                                                    "visit_until": "U"}),
    ("comment", {"visibility": "public", "body": "On our way"}, {"kind": "reply", "at": STAMP, "body": "On our way"}),
    ("comment", {"visibility": "public"}, {"kind": "reply", "at": STAMP}),
    ("waiting", {"question": "Which tap?"}, {"kind": "waiting", "at": STAMP, "question": "Which tap?"}),
    ("waiting", {}, {"kind": "waiting", "at": STAMP}),
    ("resolved", {"note": "Washer replaced"}, {"kind": "resolved", "at": STAMP, "note": "Washer replaced"}),
    ("resolved", {}, {"kind": "resolved", "at": STAMP}),
    ("reopened", {}, {"kind": "reopened", "at": STAMP}),
    ("closed", {"reason": "duplicate", "note": "See #6"}, {"kind": "closed", "at": STAMP, "reason": "duplicate",
                                                           "note": "See #6"}),
    ("closed", {"reason": "spam"}, {"kind": "closed", "at": STAMP, "reason": "spam"}),
])
def test_each_public_step_carries_the_facts_its_message_needs(kind, data, expected):
    assert notices.step_of(None, None, event(kind, data)) == expected


@pytest.mark.parametrize("kind, data", [
    ("assigned", {}), ("assigned", {"assignee_name": ""}), ("comment", {"visibility": "internal", "body": "x"}),
    ("comment", {"body": "x"}), ("closed", {}), ("closed", {"reason": "resolved"}), ("note", {}), ("photo_added", {}),
])
def test_steps_a_resident_is_not_told_of(kind, data):
    assert notices.step_of(None, None, event(kind, data)) is None


def test_internal_events_and_the_residents_own_acts_are_not_told_but_receipt_always_is():
    assert notices.step_of(None, None, event("resolved", public=False)) is None
    assert notices.step_of(None, None, event("reopened", actor=RESIDENT)) is None
    assert notices.step_of(None, None, event("received", public=False, actor=RESIDENT)) == {
        "kind": "received", "at": STAMP}
    assert notices.step_of(None, None, event("acknowledged", actor=SYSTEM)) == {"kind": "acknowledged", "at": STAMP}


def test_a_visit_is_booked_unless_one_was_booked_for_later_than_the_event():
    data = {"at": "2026-12-05T01:00:00Z", "until": "2026-12-05T03:00:00Z"}
    booked = {"kind": "visit_booked", "at": STAMP, "visit_at": "2026-12-05T01:00:00Z",
              "visit_until": "2026-12-05T03:00:00Z"}
    assert notices.step_of(None, None, event("scheduled", data)) == booked
    assert notices.step_of(visit(None), None, event("scheduled", data)) == booked
    assert notices.step_of(visit(AT), None, event("scheduled", data)) == booked  # the old visit is now: done
    assert notices.step_of(visit(AT - timedelta(hours=1)), None, event("scheduled", data)) == booked
    assert notices.step_of(visit(AT + timedelta(seconds=1)), None, event("scheduled", data)) == {
        **booked, "kind": "visit_moved"}
    assert notices.step_of(None, None, event("scheduled", {})) == {"kind": "visit_booked", "at": STAMP}


# --- one message for steps close together ---------------------------------------------------

def step(kind: str, **facts) -> dict:
    return {"kind": kind, "at": STAMP, **facts}


def test_merging_keeps_distinct_steps_in_order_and_drops_an_exact_repeat():
    assert notices.merge([]) == []
    assert notices.merge([step("received"), step("received"), step("acknowledged")]) == [
        step("received"), step("acknowledged")]
    assert notices.merge([step("reply", body="a"), step("reply", body="b")]) == [
        step("reply", body="a"), step("reply", body="b")]


def test_a_visit_moved_then_cancelled_is_told_as_cancelled_and_moved_twice_as_the_last_time():
    moved, again = step("visit_moved", visit_at="A"), step("visit_moved", visit_at="B")
    assert notices.merge([moved, step("reply", body="x"), again]) == [again, step("reply", body="x")]
    assert notices.merge([moved, step("visit_cancelled", visit_at="B")]) == [step("visit_cancelled", visit_at="B")]
    assert notices.merge([step("visit_booked", visit_at="A"), step("acknowledged"), step("visit_moved", visit_at="C")]) \
        == [step("visit_booked", visit_at="C"), step("acknowledged")]
    assert notices.merge([step("visit_cancelled", visit_at="A"), step("visit_booked", visit_at="B")]) == [
        step("visit_booked", visit_at="B")]


# --- coalescing ------------------------------------------------------------------------------

def test_a_step_opens_the_next_message_when_none_is_held_and_notes_until_when_it_is():
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    until = datetime(2026, 12, 4, 10, 2, tzinfo=timezone(timedelta(hours=8)))
    first = notices.plan(None, now, until)
    assert first == notices.Plan(1, False, until, {"seq": 1, "open_until": "2026-12-04T02:02:00Z"})
    later = notices.plan({"seq": 4, "open_until": "2026-12-04T02:02:00Z", "stopped": False},
                         now + timedelta(minutes=2), now + timedelta(minutes=4))
    assert later == notices.Plan(5, False, now + timedelta(minutes=4),
                                 {"seq": 5, "open_until": "2026-12-04T02:04:00Z", "stopped": False})


def test_a_step_joins_the_held_message_until_its_last_moment():
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    held = {"seq": 3, "open_until": "2026-12-04T02:02:00Z"}
    joined = notices.plan(held, now + timedelta(seconds=119), now + timedelta(minutes=9))
    assert joined == notices.Plan(3, True, datetime(2026, 12, 4, 2, 2, tzinfo=UTC), held)
    as_datetime = {"seq": 3, "open_until": datetime(2026, 12, 4, 2, 2, tzinfo=UTC)}
    assert notices.plan(as_datetime, now, now).join is True
    assert notices.plan({"seq": 0, "open_until": "2026-12-04T02:02:00Z"}, now, now).seq == 1  # none sent yet
    assert notices.plan({"seq": 3, "open_until": ""}, now, now).seq == 4
    assert notices.plan({"seq": 3, "open_until": None}, now, now).seq == 4


# --- quiet hours -----------------------------------------------------------------------------

def test_quiet_hours_are_the_firms_with_the_default_for_a_missing_end():
    assert notices.quiet_hours_of(None) == {"from": "21:00", "to": "08:00"}
    assert notices.quiet_hours_of({"quiet_hours": {"from": "22:30"}}) == {"from": "22:30", "to": "08:00"}
    assert notices.quiet_hours_of({"quiet_hours": {"to": "07:00"}}) == {"from": "21:00", "to": "07:00"}
    assert notices.quiet_hours_of({"quiet_hours": {}}) is None
    assert notices.quiet_hours_of({"quiet_hours": None}) is None


def test_no_quiet_hours_when_turned_off_or_starting_and_ending_at_the_same_time():
    night = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)
    assert notices.quiet_end(night, "UTC", None) is None
    assert notices.quiet_end(night, "UTC", {"from": "23:00", "to": "23:00"}) is None
    assert notices.deliver_at(night, "UTC", None, urgent=False) == night


def test_quiet_hours_are_read_in_utc_when_no_zone_is_set():
    night = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    assert notices.quiet_end(night, "", {"from": "21:00", "to": "08:00"}) == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def test_within_a_day_quiet_hours_start_inside_and_end_outside():
    lunch = {"from": "12:00", "to": "13:30"}
    assert notices.quiet_end(datetime(2026, 12, 4, 12, 0, tzinfo=UTC), "UTC", lunch) == \
        datetime(2026, 12, 4, 13, 30, tzinfo=UTC)
    assert notices.quiet_end(datetime(2026, 12, 4, 11, 59, tzinfo=UTC), "UTC", lunch) is None
    assert notices.quiet_end(datetime(2026, 12, 4, 23, 0, tzinfo=UTC), "UTC", lunch) is None


# --- signature, stop and resume --------------------------------------------------------------

def test_the_signature_is_the_firms_setting_or_its_name_with_spaces_folded_cut_to_ten():
    assert notices.signature_of(None, "  Green   Court  Homes ") == "Green Cour"
    assert notices.signature_of({"sms_signature": "  GC  "}, "Green Court") == "GC"
    assert notices.signature_of({"sms_signature": "  "}, "绿苑") == "绿苑"
    assert notices.signature_of({}, None) == ""


def test_messages_are_stopped_and_resumed_on_the_tickets_notice():
    assert notices.stopped(None) is False and notices.stopped({"seq": 2}) is False
    held = {"seq": 2, "open_until": "x"}
    assert notices.with_stopped(held, True) == {"seq": 2, "open_until": "x", "stopped": True}
    assert held == {"seq": 2, "open_until": "x"}
    assert notices.stopped(notices.with_stopped(None, True)) is True
    assert notices.with_stopped({"stopped": True}, False) == {"stopped": False}


def test_a_resident_who_chose_no_messages_gets_none_whatever_they_gave():
    assert notices.channel_for({"notify": "none", "phone": "+861", "email": "a@b.cn"}) is None


def test_a_visit_booked_then_cancelled_or_moved_still_lets_the_later_steps_through():
    assert notices.merge([step("visit_booked", visit_at="A"), step("visit_cancelled", visit_at="A"),
                          step("reply", body="x")]) == [step("reply", body="x")]
    assert notices.merge([step("visit_booked", visit_at="A"), step("visit_moved", visit_at="C"),
                          step("resolved")]) == [step("visit_booked", visit_at="C"), step("resolved")]
    assert notices.merge([step("received"), step("received"), step("reply", body="x")]) == [
        step("received"), step("reply", body="x")]


def test_times_are_stated_in_utc_whatever_the_hosts_zone(host_in_shanghai):
    assert notices.step_of(None, None, event("received")) == {"kind": "received", "at": STAMP}
    until = datetime(2026, 12, 4, 10, 2, tzinfo=timezone(timedelta(hours=8)))
    assert notices.plan(None, datetime(2026, 12, 4, 2, 0, tzinfo=UTC), until).notice == {
        "seq": 1, "open_until": "2026-12-04T02:02:00Z"}
