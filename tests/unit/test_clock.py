"""The SLA clock is derivable from the timeline: replaying the events gives what was stored, and
both agree with a naive minute-walking clock written in the tests (tests/unit/naive_sla.py)."""

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import clock
from chalicelib.domain import tickets as rules
from chalicelib.domain.errors import InvalidInput, TransitionRefused
from chalicelib.domain.standards import Standards, Targets
from tests.unit import naive_sla as naive

STAFF = rules.Actor("staff", "s1", "Wang Wei")
WEEKDAYS = {d: ["08:30-12:00", "13:30-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
START = datetime(2026, 9, 28, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in Shanghai, before National Day


def standards(resolution: str, pause_on_wait: bool = True, update_every: str | None = None) -> Standards:
    target = {"first_response": "4 business hours", "resolution": resolution, "pause_on_wait": pause_on_wait}
    if update_every:
        target["update_every"] = update_every
    return Standards({"calendar": {"time_zone": "Asia/Shanghai", "country": "CN", "hours": WEEKDAYS},
                      "categories": [{"key": "repairs"}, {"key": "gas", "emergency": True}],
                      "priorities": [{"key": "normal"}],
                      "targets": {"*": {"*": target}}})


def new(std: Standards, category: str = "repairs") -> rules.Ticket:
    return rules.new_ticket(ticket_id="T", tenant_id="X", number=1, standards=std, now=START, tracking_digest="d",
                            report={"category": category, "urgency": "normal", "property_id": "P",
                                    "building_id": "B", "unit": "1", "description": "Broken"})


PAYLOADS = {"acknowledge": {}, "assign": {"assignee": "s2"}, "comment": {"body": "on it", "visibility": "public"},
            "wait": {"question": "When are you in?"}, "resolve": {"note": "Fixed."}, "reopen": {"reason": "again"},
            "close": {"reason": "duplicate"}}


# --- replay and the stored clock, against a naive minute-walking clock (tests/unit/naive_sla.py) ---

HOLIDAYS = ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"]
MAKEUP = ["2026-09-27", "2026-10-10"]
NAIVE_HOURS = naive.Hours.of("Asia/Shanghai", WEEKDAYS, [date.fromisoformat(d) for d in HOLIDAYS],
                             [date.fromisoformat(d) for d in MAKEUP])
NAIVE_TARGETS = {"30h": naive.Target("calendar", 30 * 60), "16 business hours": naive.Target("business_hours", 960),
                 "8 business hours": naive.Target("business_hours", 480)}


def explicit_standards(resolution: str, pause_on_wait: bool, update_every: str | None) -> Standards:
    """As ``standards`` but with the holidays and make-up days written out (the naive clock
    does not read the country's calendar)."""
    target = {"first_response": "4 business hours", "resolution": resolution, "pause_on_wait": pause_on_wait}
    if update_every:
        target["update_every"] = update_every
    return Standards({"calendar": {"time_zone": "Asia/Shanghai", "hours": WEEKDAYS, "holidays": HOLIDAYS,
                                   "workdays": MAKEUP},
                      "categories": [{"key": "repairs"}, {"key": "gas", "emergency": True}],
                      "priorities": [{"key": "normal"}], "targets": {"*": {"*": target}}})


def expected_clock(events, resolution: str, pause: bool, update: str | None, emergency: bool):
    found = naive.figures(NAIVE_HOURS, START, events, naive.Target("business_hours", 240), NAIVE_TARGETS[resolution],
                          emergency=emergency, pause_on_wait=pause)
    every = NAIVE_TARGETS[update] if update else None
    return found, naive.next_update_due(NAIVE_HOURS, events, every, emergency=emergency)


STAFF_AND_RESIDENT = ["acknowledge", "assign", "comment", "wait", "resolve", "reopen", "close", "reply", "not_fixed"]


@settings(max_examples=60, deadline=None)
@given(actions=st.lists(st.tuples(st.sampled_from(STAFF_AND_RESIDENT), st.integers(min_value=1, max_value=3000)),
                        max_size=10),
       resolution=st.sampled_from(["30h", "16 business hours"]), pause=st.booleans(),
       update=st.sampled_from([None, "8 business hours"]), emergency=st.booleans())
def test_the_stored_and_the_replayed_clock_agree_with_a_naive_clock_after_every_event(actions, resolution, pause,
                                                                                       update, emergency):
    ticket = new(explicit_standards(resolution, pause, update), category="gas" if emergency else "repairs")
    events = [rules.received_event(ticket, "E0")]
    when = START
    for i, (action, minutes) in enumerate(actions):
        when = when + timedelta(minutes=minutes)
        try:
            ticket, event = _act(ticket, action, when, f"E{i + 1}")
        except (TransitionRefused, InvalidInput):
            continue
        events.append(event)
        found, next_update = expected_clock(events, resolution, pause, update, emergency)
        expected = (found.first_response_due, found.resolution_due, next_update)
        assert (ticket.first_response_due, ticket.resolution_due, ticket.next_update_due) == expected
        state, stops, first, last = clock.replay(created_at=ticket.created_at, targets=Targets.from_dict(ticket.targets),
                                                  calendar=ticket.calendar, events=events)
        assert (state.first_response_due, state.resolution_due, state.next_update_due) == expected
        assert [(s.since, s.until, s.why) for s in stops] == found.stops
        assert [s.as_list() for s in stops] == ticket.stops  # the judged due on each resolve, too
        assert first == found.first_response_at == ticket.first_response_at
        assert state.running == (ticket.status not in ("resolved", "closed") and not (pause and ticket.status == "waiting"))


def test_waiting_on_the_resident_stops_the_resolution_clock_and_moves_the_promise():
    ticket = new(standards("16 business hours"))
    promised = ticket.resolution_due
    ticket, _ = rules.apply(ticket, "wait", {"question": "Which day?"}, STAFF, START + timedelta(hours=1), "E1")
    assert ticket.paused and ticket.due_at is None
    # the resident answers a full working day later (Tue 10:00 local); staff carry on
    ticket, _ = rules.apply(ticket, "comment", {"body": "Thanks", "visibility": "public"}, STAFF,
                            START + timedelta(days=1, hours=1), "E2")
    assert ticket.paused  # a comment does not end the wait
    ticket, _ = rules.apply(ticket, "assign", {"assignee": "s2"}, STAFF, START + timedelta(days=1, hours=1), "E3")
    assert ticket.paused  # nor does assigning: the ticket is still waiting on the resident
    ticket, _ = rules.apply(ticket, "resolve", {}, STAFF, START + timedelta(days=1, hours=2), "E4")
    assert ticket.resolution_due > promised


def test_no_pause_when_the_standard_says_waiting_still_counts():
    ticket = new(standards("16 business hours", pause_on_wait=False))
    promised = ticket.resolution_due
    ticket, _ = rules.apply(ticket, "wait", {"question": "Which day?"}, STAFF, START + timedelta(hours=1), "E1")
    assert not ticket.paused and ticket.resolution_due == promised


def test_reopening_resumes_the_resolution_clock_without_counting_the_resolved_days():
    ticket = new(standards("16 business hours"))
    ticket, _ = rules.apply(ticket, "resolve", {}, STAFF, START + timedelta(hours=2), "E1")
    ticket, _ = rules.apply(ticket, "reopen", {"reason": "Still broken"}, STAFF, START + timedelta(days=1, hours=2),
                            "E2")
    # 2 business hours were used before the resolve; the working day it sat resolved does not count
    assert ticket.status == "acknowledged" and ticket.due_at == ticket.resolution_due
    assert ticket.resolution_due > new(standards("16 business hours")).resolution_due


def test_a_friday_evening_report_is_answered_within_business_hours_of_monday():
    friday_evening = datetime(2026, 11, 27, 11, 0, tzinfo=timezone.utc)  # Fri 19:00 Shanghai
    ticket = rules.new_ticket(ticket_id="T", tenant_id="X", number=1, standards=standards("5 working days"),
                              now=friday_evening, tracking_digest="d",
                              report={"category": "repairs", "urgency": "normal", "property_id": "P",
                                      "building_id": "B", "unit": "1", "description": "Broken"})
    # 4 business hours from Monday 08:30: 08:30-12:00 (3.5 h) + 13:30-14:00
    assert ticket.first_response_due == datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)


def test_emergencies_run_around_the_clock():
    ticket = new(standards("16 business hours"), category="gas")
    assert ticket.first_response_due == START + timedelta(hours=4)
    assert ticket.resolution_due == START + timedelta(hours=16)


def test_the_staff_view_shows_every_pending_deadline_with_time_left():
    std = standards("16 business hours", update_every="8 business hours")
    ticket, _ = rules.apply(new(std), "acknowledge", {}, STAFF, START + timedelta(minutes=30), "E1")
    view = rules.sla_view(ticket, START + timedelta(hours=1))
    assert view["first_response"]["state"] == "met"
    assert view["resolution"]["state"] == "running" and "next_update" in view
    assert view["seconds_left"] > 0
    late = rules.sla_view(ticket, START + timedelta(days=30))
    assert late["resolution"]["state"] == "breached" and late["seconds_left"] < 0


# --- with the resident's side: reply while waiting, "not fixed" after a resolve -----------------

RESIDENT_PAYLOADS = {"reply": {"body": "Saturday morning is fine"}, "not_fixed": {"reason": "Still dripping"}}


def _act(ticket, action, when, event_id):
    if action in RESIDENT_PAYLOADS:
        return rules.apply(ticket, action, rules.parse_resident_event(action, RESIDENT_PAYLOADS[action]),
                           rules.RESIDENT, when, event_id)
    return rules.apply(ticket, action, rules.parse_event(action, PAYLOADS[action]), STAFF, when, event_id,
                       assignee_name="Li Lei")


def test_a_residents_reply_ends_the_pause_and_moves_the_promise_by_the_wait():
    ticket = new(standards("16 business hours"))
    promised = ticket.resolution_due
    ticket, _ = _act(ticket, "wait", START + timedelta(hours=1), "E1")
    assert ticket.paused
    ticket, event = _act(ticket, "reply", START + timedelta(days=1, hours=1), "E2")  # a working day later
    assert not ticket.paused and ticket.status == "acknowledged"
    assert event.type == "resident_replied" and event.data["status_after"] == "acknowledged"
    assert ticket.resolution_due > promised and ticket.due_at is not None


def test_a_residents_not_fixed_resumes_the_clock_like_a_reopen():
    ticket = new(standards("16 business hours"))
    ticket, _ = _act(ticket, "resolve", START + timedelta(hours=2), "E1")
    by_resident, _ = _act(ticket, "not_fixed", START + timedelta(days=1, hours=2), "E2")
    by_staff, _ = _act(ticket, "reopen", START + timedelta(days=1, hours=2), "E2")
    assert (by_resident.status, by_resident.stops, by_resident.resolution_due, by_resident.reopen_count) == \
        (by_staff.status, by_staff.stops, by_staff.resolution_due, by_staff.reopen_count)


# --- the clock's own rules, on a plain 09:00-17:00 UTC week, every expected time by hand ------

PLAIN = {"time_zone": "UTC", "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
MON = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)  # a Monday, 09:00
HOUR = timedelta(hours=1)
PLAIN_TARGETS = Targets.from_dict({"first_response": "4 business hours", "resolution": "16 business hours",
                                   "update_every": "8h", "pause_on_wait": True})
RESIDENT = rules.Actor("resident", None, None)


def event(kind: str, at: datetime, *, public: bool = True, actor: rules.Actor = STAFF, **data) -> rules.Event:
    return rules.Event("E", kind, at, actor, public, data)


def replayed(events, targets=PLAIN_TARGETS, **kw):
    return clock.replay(created_at=MON, targets=targets, calendar=PLAIN, events=[event("received", MON, actor=RESIDENT)]
                        + events, **kw)


def test_the_next_update_is_due_after_the_last_public_update_not_the_first_response():
    state, _, first, last = replayed([event("acknowledged", MON + HOUR), event("comment", MON + 3 * HOUR),
                                      event("comment", MON + 4 * HOUR, public=False),
                                      event("comment", MON + 5 * HOUR, actor=RESIDENT)])
    assert (first, last) == (MON + HOUR, MON + 3 * HOUR)
    assert state.next_update_due == MON + 11 * HOUR  # 12:00 + 8 calendar hours
    assert state.first_response_due == MON + 4 * HOUR  # Mon 13:00
    assert state.resolution_due == MON + timedelta(days=1, hours=8)  # Tue 17:00
    assert state.running


def test_no_next_update_before_the_first_response_or_once_resolved():
    state, *_ = replayed([])
    assert state.next_update_due is None and state.running
    state, stops, *_ = replayed([event("acknowledged", MON + HOUR), event("resolved", MON + 2 * HOUR)])
    assert state.next_update_due is None and not state.running
    assert [s.as_list() for s in stops] == [["2026-11-02T11:00:00+00:00", None, "resolved", "2026-11-03T17:00:00+00:00"]]


def test_a_wait_pauses_the_clock_until_the_residents_reply_and_moves_the_due_by_the_open_time_stood_still():
    # waiting Mon 15:00 -> Tue 10:00 stands still 2 h (Mon 15-17) + 1 h (Tue 9-10): due Tue 17:00 -> Wed 12:00
    events = [event("acknowledged", MON + HOUR), event("waiting", MON + 6 * HOUR),
              event("assigned", MON + 7 * HOUR, assignee="s2")]
    state, stops, *_ = replayed(events)
    assert not state.running and stops[-1].until is None  # assigning does not end the wait
    state, stops, *_ = replayed(events + [event("resident_replied", MON + timedelta(days=1, hours=1), actor=RESIDENT,
                                                status_after="assigned")])
    assert state.running and state.resolution_due == datetime(2026, 11, 4, 12, 0, tzinfo=timezone.utc)
    assert [(s.since, s.until, s.why) for s in stops] == [(MON + 6 * HOUR, MON + timedelta(days=1, hours=1), "waiting")]


def test_the_caller_may_override_the_standards_pause_on_wait():
    state, stops, *_ = replayed([event("waiting", MON + HOUR)], pause_on_wait=False)
    assert stops == [] and state.running
    state, stops, *_ = replayed([event("waiting", MON + HOUR)], pause_on_wait=True,
                                targets=Targets.from_dict(PLAIN_TARGETS.as_dict() | {"pause_on_wait": False}))
    assert len(stops) == 1 and not state.running


def test_a_reopen_ends_the_resolved_stop_and_a_closed_ticket_is_not_running():
    events = [event("resolved", MON + HOUR), event("reopened", MON + 3 * HOUR, status_after="assigned")]
    state, stops, *_ = replayed(events)
    assert state.running and stops[0].until == MON + 3 * HOUR
    assert state.resolution_due == datetime(2026, 11, 4, 11, 0, tzinfo=timezone.utc)  # 2 open hours stood still: Tue 17:00 -> Wed 11:00
    state, *_ = replayed(events + [event("closed", MON + 4 * HOUR)])
    assert not state.running


def test_each_promise_state_at_its_edges():
    due = MON + 4 * HOUR
    state = clock.ClockState(due, due, None, True)
    assert state.promise_state("first_response", due, due + HOUR) == "met"  # met on the minute it fell due
    assert state.promise_state("first_response", due + timedelta(seconds=1), due) == "met_late"
    assert state.promise_state("resolution", None, due) == "running"  # due now, not yet late
    assert state.promise_state("resolution", None, due + timedelta(seconds=1)) == "breached"
    assert state.promise_state("resolution", None, due + HOUR, stopped=True) == "paused"
    other = clock.ClockState(due, due + HOUR, None, True)
    assert other.promise_state("resolution", None, due + timedelta(minutes=30)) == "running"
    assert other.promise_state("first_response", None, due + timedelta(minutes=30)) == "breached"


def test_a_promise_kept_on_the_minute_is_kept():
    assert clock.judge(MON, MON) is True
    assert clock.judge(MON + timedelta(seconds=1), MON) is False
    assert clock.judge(None, MON) is None and clock.judge(MON, None) is None


def test_the_first_resolution_is_judged_against_the_due_recorded_on_its_stop():
    recorded = MON + timedelta(days=3)
    stops = [clock.Stop(MON + HOUR, MON + 2 * HOUR, "waiting"),
             clock.Stop(MON + 3 * HOUR, MON + 4 * HOUR, "resolved", recorded),
             clock.Stop(MON + 5 * HOUR, None, "resolved", MON)]
    judged = clock.resolution_judged_against(created_at=MON, targets=PLAIN_TARGETS, calendar=PLAIN, stops=stops,
                                             first_resolved_at=MON + 3 * HOUR)
    assert judged == recorded


def test_an_older_record_without_the_due_recomputes_it_from_the_stops_ended_by_the_first_resolve():
    tue_10 = MON + timedelta(days=1, hours=1)
    stops = [clock.Stop(MON + HOUR, tue_10, "waiting"),  # ended exactly at the resolve: counts (8 open hours)
             clock.Stop(tue_10, MON + timedelta(days=2), "resolved"),
             clock.Stop(MON + timedelta(days=2, hours=1), MON + timedelta(days=2, hours=2), "waiting")]  # after: not
    judged = clock.resolution_judged_against(created_at=MON, targets=PLAIN_TARGETS, calendar=PLAIN, stops=stops,
                                             first_resolved_at=tue_10)
    assert judged == datetime(2026, 11, 4, 17, 0, tzinfo=timezone.utc)  # Tue 17:00 + 8 open hours
    # a later resolve's stop is never taken for the first one's (here the first one's stop was lost)
    later = [clock.Stop(MON + timedelta(days=2), None, "resolved", MON)]
    assert clock.resolution_judged_against(created_at=MON, targets=PLAIN_TARGETS, calendar=PLAIN, stops=later,
                                           first_resolved_at=tue_10) == MON + timedelta(days=1, hours=8)


def test_no_judged_due_before_a_resolution_and_the_stored_one_without_targets():
    assert clock.resolution_judged_against(created_at=MON, targets=PLAIN_TARGETS, calendar=PLAIN, stops=[],
                                           first_resolved_at=None, fallback=MON) is None
    assert clock.resolution_judged_against(created_at=MON, targets=None, calendar=PLAIN, stops=[],
                                           first_resolved_at=MON + HOUR, fallback=MON + 2 * HOUR) == MON + 2 * HOUR


def test_a_stop_that_begins_after_the_due_gives_no_time_back():
    due = MON + timedelta(days=1, hours=8)  # Tue 17:00
    stops = [clock.Stop(due, due + timedelta(days=1), "waiting")]
    assert clock.resolution_due_now(created_at=MON, targets=PLAIN_TARGETS, calendar=PLAIN, stops=stops) == due
    just_before = [clock.Stop(due - timedelta(minutes=1), due + timedelta(days=1), "waiting")]
    assert clock.resolution_due_now(created_at=MON, targets=PLAIN_TARGETS, calendar=PLAIN, stops=just_before) == \
        datetime(2026, 11, 5, 9, 1, tzinfo=timezone.utc)  # 1 open minute + a whole open day later: Wed 17:00 -> Thu 09:01


def test_a_stored_stop_reads_back_as_it_was_written():
    for stop in (clock.Stop(MON, None, "waiting"), clock.Stop(MON, MON + HOUR, "resolved", MON + 2 * HOUR)):
        assert clock.Stop.from_list(stop.as_list()) == stop
    assert clock.Stop.from_list(["2026-11-02T09:00:00+00:00", None, "resolved", None]).due is None


def test_the_staff_view_shows_paused_late_and_judged_states():
    ticket = new(standards("16 business hours"))
    waiting, _ = rules.apply(ticket, "wait", {"question": "Which day?"}, STAFF, START + timedelta(hours=1), "E1")
    view = rules.sla_view(waiting, START + timedelta(days=30))
    assert view["paused"] and view["resolution"]["state"] == "paused" and view["seconds_left"] is None
    assert view["first_response"]["state"] == "met"  # asking the resident is a response
    # acknowledged a day late, resolved a month late: both shown as kept late, the resolution as judged
    late, _ = rules.apply(ticket, "acknowledge", {}, STAFF, START + timedelta(days=1), "E1")
    view = rules.sla_view(late, START + timedelta(days=1))
    assert view["first_response"]["state"] == "met_late" and view["resolution"]["state"] == "running"
    done, _ = rules.apply(late, "resolve", {}, STAFF, START + timedelta(days=30), "E2")
    view = rules.sla_view(done, START + timedelta(days=31))
    assert view["resolution"]["state"] == "met_late" and view["first_resolution"]["state"] == "met_late"
    assert view["resolution"]["due"] == view["first_resolution"]["due"] == "2026-09-30T01:00:00Z"  # Wed 09:00 Shanghai


def test_an_emergencys_wait_moves_its_due_by_the_whole_time_stood_still_even_out_of_hours():
    targets = Targets.from_dict(PLAIN_TARGETS.as_dict() | {"emergency": True})
    # 16 h around the clock: due Tue 01:00; a wait Mon 18:00 -> Tue 08:00 (no open hour in it) gives back 14 h
    stops = [clock.Stop(MON + 9 * HOUR, MON + 23 * HOUR, "waiting")]
    assert clock.resolution_due_now(created_at=MON, targets=targets, calendar=PLAIN, stops=stops) == \
        datetime(2026, 11, 3, 15, 0, tzinfo=timezone.utc)
