"""Milestone SLAs (issue 18 item 1): a target's ordered chain of promises, each on its own clock.

Every expected time here is worked out by hand in the comments (England's working days:
Monday-Friday 09:00-17:00, Europe/London, which is UTC from 25 October 2026 to 28 March 2027;
bank holidays Fri 25 Dec 2026, Mon 28 Dec 2026 for Boxing Day on a Saturday, Fri 1 Jan 2027),
and a property test compares the clock with a naive oracle written below.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import clock
from chalicelib.domain import escalation as chain
from chalicelib.domain import tickets as rules
from chalicelib.domain.errors import InvalidInput, TransitionRefused
from chalicelib.domain.standards import Standards, Targets, check_document

ROOT = Path(__file__).resolve().parents[2]
UK = yaml.safe_load((ROOT / "tenants/templates/uk-social-housing.yaml").read_text(encoding="utf-8"))
PRC = yaml.safe_load((ROOT / "tenants/templates/prc-residential.yaml").read_text(encoding="utf-8"))
STAFF = rules.Actor("staff", "s1", "Amy Jones")


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# --- every standard under tenants/ still loads, and still promises what it promised -------------

def test_every_yaml_under_tenants_passes_the_checks():
    found = sorted((ROOT / "tenants").rglob("*.yaml"))
    assert len(found) >= 2
    for path in found:
        check_document(yaml.safe_load(path.read_text(encoding="utf-8")))


# (document, category, priority, reported at, first response due, resolution due): the same on
# main (before milestones) as now; worked out by hand.
UNCHANGED = [
    # UK repairs/routine, Fri 18 Dec 2026 16:00: 5 working days → 21, 22, 23, 24, (25, 28 bank
    # holidays), 29 → Tue 29 Dec 16:00; 20 → ... 24 (4), 29-31 (7), (1 Jan), 4-8 Jan (12),
    # 11-15 (17), 18-20 (20) → Wed 20 Jan 2027 16:00.
    (UK, "repairs", "routine", "2026-12-18T16:00", "2026-12-29T16:00", "2027-01-20T16:00"),
    # damp and mould keeps every report's promises (its Awaab's Law duties are milestones)
    (UK, "damp_mould", "routine", "2026-12-18T16:00", "2026-12-29T16:00", "2027-01-20T16:00"),
    # an emergency category runs 24/7: 2 h and 24 h of calendar time
    (UK, "water_leak", "routine", "2026-12-18T16:00", "2026-12-18T18:00", "2026-12-19T16:00"),
    # stage 1 complaint: 5 working days from Fri 18 Dec 16:00 → Tue 29 Dec; 10: 21-24 (4),
    # 29-31 (7), (1 Jan), 4, 5, 6 Jan (10) → Wed 6 Jan 2027 16:00.
    (UK, "complaint_stage1", "routine", "2026-12-18T16:00", "2026-12-29T16:00", "2027-01-06T16:00"),
    # PRC repairs/urgent, Mon 2 Mar 2026 10:00 Shanghai (02:00 UTC): 4 h; 7 working days
    # (Saturday mornings are open): 3, 4, 5, 6, 7 (Sat), 9, 10 → Tue 10 Mar 10:00 = 02:00 UTC.
    (PRC, "repairs", "urgent", "2026-03-02T02:00", "2026-03-02T06:00", "2026-03-10T02:00"),
    # PRC lift entrapment (emergency): 30 min and 4 h
    (PRC, "lift_entrapment", "normal", "2026-03-02T02:00", "2026-03-02T02:30", "2026-03-02T06:00"),
    # PRC complaint/urgent (key complaint): 24 h and 7 working days
    (PRC, "complaint", "urgent", "2026-03-02T02:00", "2026-03-03T02:00", "2026-03-10T02:00"),
]


@pytest.mark.parametrize("document,category,priority,at,first_due,resolution_due", UNCHANGED)
def test_templates_promise_the_same_first_response_and_resolution(document, category, priority, at, first_due,
                                                                   resolution_due):
    ticket = report(Standards(document), category, priority, z(at))
    assert ticket.first_response_due == z(first_due)
    assert ticket.resolution_due == z(resolution_due)


def test_a_target_without_milestones_keeps_the_old_stored_shape():
    kept = Standards(UK).targets("repairs", "routine").as_dict()
    assert set(kept) == {"first_response", "resolution", "update_every", "pause_on_wait", "emergency"}


# --- the standards' checks ---------------------------------------------------------------------

def with_milestones(milestones) -> dict:
    return {**UK, "targets": {**UK["targets"], "repairs": {"*": {"milestones": milestones}}}}


def test_a_chain_must_point_back_name_both_languages_and_say_what_completes_it():
    bad = [{"key": "summary", "name": {"en": "Summary"}, "within": "3 working days", "after": "investigate",
            "done_by": "summary_sent"},
           {"key": "investigate", "name": {"en": "Investigate", "zh-CN": "调查"}, "within": "ten days",
            "after": "report", "done_by": "looked_at_it"},
           {"key": "investigate", "name": {"en": "Again", "zh-CN": "再次"}, "within": "2h", "public": "yes"}]
    with pytest.raises(InvalidInput) as refused:
        check_document(with_milestones(bad))
    fields = refused.value.fields
    assert fields["targets.repairs.*.milestones[0].after"].startswith("must be 'report' or the key of an earlier")
    assert fields["targets.repairs.*.milestones[0].name"].startswith("needs a name in zh-CN and en")
    assert "is not a duration" in fields["targets.repairs.*.milestones[1].within"]
    assert fields["targets.repairs.*.milestones[1].done_by"].startswith("must be one of: first_response")
    assert fields["targets.repairs.*.milestones[2].key"] == "'investigate' appears twice"
    assert fields["targets.repairs.*.milestones[2].public"] == "must be true or false"
    with pytest.raises(InvalidInput) as refused:
        check_document(with_milestones({"key": "x"}))
    assert "must be a list" in refused.value.fields["targets.repairs.*.milestones"]


# --- the clock: Awaab's Law for damp and mould across Christmas 2026 ---------------------------

def report(standards: Standards, category: str, priority: str, at: datetime) -> rules.Ticket:
    return rules.new_ticket(ticket_id="T", tenant_id="X", number=1, standards=standards, now=at, tracking_digest="d",
                            report={"category": category, "urgency": priority, "property_id": "P",
                                    "building_id": "B", "unit": "1", "description": "Black mould in bedroom"})


def act(ticket: rules.Ticket, action: str, payload: dict, at: str) -> rules.Ticket:
    return rules.apply(ticket, action, rules.parse_event(action, payload), STAFF, z(at), "E")[0]


def states(ticket: rules.Ticket, now: str) -> dict:
    return {m.key: (m.due, m.state) for m in ticket.milestone_states(z(now))}


DAMP = report(Standards(UK), "damp_mould", "routine", z("2026-12-11T10:00"))  # Friday 11 Dec 10:00


def test_damp_and_mould_investigation_is_due_in_10_working_days_skipping_both_bank_holidays():
    # Fri 11 Dec 10:00 + 10 working days: 14-18 (5), 21-24 (9), 25 and 28 bank holidays, Tue 29 (10)
    found = states(DAMP, "2026-12-14T09:00")
    assert found["investigate"] == (z("2026-12-29T10:00"), "running")
    # the later steps start when the investigation is done
    assert found["summary"] == (None, "not_started") and found["safety_work"] == (None, "not_started")
    assert states(DAMP, "2026-12-29T10:01")["investigate"] == (z("2026-12-29T10:00"), "breached")


def test_after_the_investigation_each_duty_runs_from_its_end():
    done = act(DAMP, "milestone", {"kind": "investigation_done"}, "2026-12-24T15:00")  # Thu 24 Dec 15:00
    found = states(done, "2026-12-24T15:00")
    assert found["investigate"] == (z("2026-12-29T10:00"), "met")
    # summary: 3 working days after Thu 24 Dec 15:00: (25, 28 holidays) 29, 30, 31 → Thu 31 Dec 15:00
    assert found["summary"] == (z("2026-12-31T15:00"), "running")
    # safety work and preventive work begun: 5: 29, 30, 31, (1 Jan holiday) 4, 5 → Tue 5 Jan 15:00
    assert found["safety_work"] == (z("2027-01-05T15:00"), "running")
    assert found["preventive_begun"] == (z("2027-01-05T15:00"), "running")
    # preventive work started within 12 weeks (84 calendar days): 24 Dec + 84 d = 18 Mar 2027
    assert found["preventive_started"] == (z("2027-03-18T15:00"), "running")
    late = act(done, "milestone", {"kind": "summary_sent"}, "2027-01-04T09:30")
    safe = act(late, "milestone", {"kind": "safety_work_done"}, "2027-01-05T14:00")
    begun = act(safe, "milestone", {"kind": "preventive_work_started"}, "2027-02-01T10:00")
    found = states(begun, "2027-02-01T10:00")
    assert found["summary"] == (z("2026-12-31T15:00"), "met_late")
    assert found["safety_work"] == (z("2027-01-05T15:00"), "met")
    # one "preventive work started" completes both: late for 5 working days, in time for 12 weeks
    assert found["preventive_begun"][1] == "met_late" and found["preventive_started"][1] == "met"


def test_waiting_on_the_resident_moves_a_milestone_by_the_open_time_stood_still():
    # waiting Mon 14 Dec 09:00 to Wed 16 Dec 09:00: 16 open hours; Tue 29 Dec 10:00 + 16 h of
    # open time: 7 h on the 29th, 8 h on the 30th, 1 h on the 31st → Thu 31 Dec 10:00
    waiting = act(DAMP, "wait", {"question": "When can we visit?"}, "2026-12-14T09:00")
    assert states(waiting, "2026-12-15T12:00")["investigate"] == (z("2026-12-29T10:00"), "paused")
    replied = rules.apply(waiting, "reply", rules.parse_resident_event("reply", {"body": "Any morning"}),
                          rules.RESIDENT, z("2026-12-16T09:00"), "E")[0]
    assert states(replied, "2026-12-16T09:00")["investigate"] == (z("2026-12-31T10:00"), "running")


def test_a_milestone_is_judged_against_its_due_as_it_stood_when_done():
    # done while waiting (the open wait moves nothing yet): judged against Tue 29 Dec 10:00
    waiting = act(DAMP, "wait", {"question": "Photos please"}, "2026-12-28T09:00")
    done = act(waiting, "milestone", {"kind": "investigation_done"}, "2026-12-30T12:00")
    assert states(done, "2026-12-30T12:00")["investigate"] == (z("2026-12-29T10:00"), "met_late")


def test_an_emergency_hazard_is_investigated_and_made_safe_within_24_hours_bank_holiday_or_not():
    hazard = report(Standards(UK), "damp_mould", "emergency_hazard", z("2026-12-24T20:00"))
    found = states(hazard, "2026-12-24T20:00")
    assert found == {"investigate": (z("2026-12-25T20:00"), "running"), "make_safe": (z("2026-12-25T20:00"), "running")}


def test_lifecycle_steps_complete_milestones_and_the_staff_action_refuses_what_cannot_be():
    stage1 = report(Standards(UK), "complaint_stage1", "routine", z("2026-12-18T16:00"))
    # acknowledge: 5 working days → Tue 29 Dec 16:00; the answer waits for it
    assert states(stage1, "2026-12-18T16:00") == {"acknowledge": (z("2026-12-29T16:00"), "running"),
                                                  "answer": (None, "not_started")}
    acked = act(stage1, "acknowledge", {}, "2026-12-21T10:00")  # the first response acknowledges it
    # answer: 10 working days after Mon 21 Dec 10:00: 22, 23, 24, 29, 30, 31, 4, 5, 6, 7 → Thu 7 Jan
    assert states(acked, "2026-12-21T10:00") == {"acknowledge": (z("2026-12-29T16:00"), "met"),
                                                 "answer": (z("2027-01-07T10:00"), "running")}
    answered = act(acked, "resolve", {"note": "Our answer is in the letter."}, "2027-01-07T10:00")
    assert states(answered, "2027-01-08T10:00")["answer"] == (z("2027-01-07T10:00"), "met")
    with pytest.raises(InvalidInput) as refused:
        act(acked, "milestone", {"kind": "on_site"}, "2026-12-22T10:00")
    assert refused.value.fields["kind"].startswith("is not a milestone of this ticket's standard")
    with pytest.raises(TransitionRefused) as refused:
        act(DAMP, "milestone", {"kind": "summary_sent"}, "2026-12-14T10:00")
    assert refused.value.fields["kind"] == "cannot be recorded before investigate is done"


def test_replay_rebuilds_the_completions_from_the_timeline():
    ticket, events = DAMP, []
    for action, payload, at in (("acknowledge", {}, "2026-12-14T10:00"),
                                ("milestone", {"kind": "investigation_done"}, "2026-12-22T11:00"),
                                ("comment", {"body": "Survey booked", "visibility": "internal"}, "2026-12-22T12:00"),
                                ("milestone", {"kind": "summary_sent"}, "2026-12-23T09:00")):
        ticket, event = rules.apply(ticket, action, rules.parse_event(action, payload), STAFF, z(at), "E")
        events.append(event)
    assert clock.replay_milestones(targets=Targets.from_dict(ticket.targets), events=events) == \
        ticket.milestones_done_at == {"investigate": z("2026-12-22T11:00"), "summary": z("2026-12-23T09:00")}


def test_each_running_milestone_has_its_own_warning_and_levels():
    escalation = {"warn_at": 0.8, "level2": {"after": "4h"}}
    steps = [s for s in chain.plan(DAMP, escalation) if s.promise.startswith("milestone.")]
    # investigate: 80 open hours from Fri 11 Dec 10:00 to Tue 29 Dec 10:00 (7 + 9 days × 8 + 1);
    # 80 % = 64 h: 7 (Fri), 8 × 7 days (14-22 Dec) = 63, 1 more → Wed 23 Dec 10:00
    assert [(s.key, s.at) for s in steps] == [
        ("milestone.investigate:2026-12-29T10:00:00Z:warn", z("2026-12-23T10:00")),
        ("milestone.investigate:2026-12-29T10:00:00Z:level1", z("2026-12-29T10:00")),
        ("milestone.investigate:2026-12-29T10:00:00Z:level2", z("2026-12-29T14:00")),
    ]
    done = act(DAMP, "milestone", {"kind": "investigation_done"}, "2026-12-24T15:00")
    keys = {s.key for s in chain.plan(done, escalation) if s.promise.startswith("milestone.")}
    assert "milestone.summary:2026-12-31T15:00:00Z:level1" in keys
    assert not any(k.startswith("milestone.investigate") for k in keys)


def test_the_resident_sees_public_milestones_by_name():
    done = act(DAMP, "milestone", {"kind": "investigation_done", "note": "Damp from a blocked gutter"},
               "2026-12-24T15:00")
    events = [rules.received_event(DAMP, "E0"),
              rules.Event("E1", "milestone_done", z("2026-12-24T15:00"), STAFF, True,
                          {"kind": "investigation_done", "milestones": ["investigate"],
                           "names": [{"en": "Investigation done", "zh-CN": "调查完成"}],
                           "note": "Damp from a blocked gutter"})]
    view = rules.public_view(done, events, z("2026-12-24T15:00"))
    assert [m["key"] for m in view["milestones"]][:2] == ["investigate", "summary"]
    assert view["milestones"][0]["state"] == "met" and view["milestones"][1]["due"] == "2026-12-31T15:00:00Z"
    assert view["timeline"][-1]["names"] == [{"en": "Investigation done", "zh-CN": "调查完成"}]


# --- property: the clock against a naive oracle --------------------------------------------------

BANK_HOLIDAYS = {date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)}
OPEN, CLOSE = 9 * 60, 17 * 60  # minutes of the day, Monday-Friday
ORACLE_CALENDAR = {"time_zone": "Europe/London", "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
                   "holidays": [d.isoformat() for d in sorted(BANK_HOLIDAYS)]}


def naive_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def naive_working_days_due(start: datetime, n: int) -> datetime:
    """The first open minute at or after start; then the same clock time n working days on."""
    t = start
    while not (naive_working_day(t.date()) and OPEN <= t.hour * 60 + t.minute < CLOSE):
        t = (t + timedelta(days=1)).replace(hour=9, minute=0) if t.hour * 60 + t.minute >= CLOSE or \
            not naive_working_day(t.date()) else t.replace(hour=9, minute=0)
    day, counted = t.date(), 0
    while counted < n:
        day += timedelta(days=1)
        counted += naive_working_day(day)
    return datetime(day.year, day.month, day.day, t.hour, t.minute, tzinfo=timezone.utc)


def naive_calendar_due(start: datetime, minutes: int, stops: list[tuple[datetime, datetime]]) -> datetime:
    """Walk minute by minute from start; minutes inside a wait do not count."""
    t, counted = start, 0
    while counted < minutes:
        if not any(a <= t < b for a, b in stops):
            counted += 1
        t += timedelta(minutes=1)
    return t


BASE = z("2026-11-02T00:00")  # Monday; London is on UTC until 28 March 2027
minutes_in = st.integers(min_value=0, max_value=90 * 24 * 60)


@settings(max_examples=60, deadline=None)
@given(calendar_minutes=st.integers(min_value=30, max_value=3 * 24 * 60), days=st.integers(min_value=1, max_value=12),
       reported=minutes_in, first_took=st.integers(min_value=0, max_value=30 * 24 * 60),
       waits=st.lists(st.tuples(st.integers(min_value=0, max_value=20 * 24 * 60), st.integers(min_value=1, max_value=3000)),
                      max_size=3),
       second_took=st.one_of(st.none(), st.integers(min_value=0, max_value=6 * 24 * 60)))
def test_milestone_dues_agree_with_a_naive_oracle(calendar_minutes, days, reported, first_took, waits, second_took):
    """A chain "first: N working days after the report; second: M minutes after the first", the
    second stood still by the resident's waits: the clock and the oracle give the same dues and
    judgements."""
    start = BASE + timedelta(minutes=reported)
    first_done = start + timedelta(minutes=first_took)
    stops, t = [], first_done - timedelta(minutes=600)
    for gap, length in waits:  # one after another, never overlapping
        since = t + timedelta(minutes=gap)
        stops.append((since, since + timedelta(minutes=length)))
        t = since + timedelta(minutes=length)
    second_done = None if second_took is None else first_done + timedelta(minutes=second_took)
    targets = Targets.from_dict({
        "first_response": "1h", "resolution": "1h", "milestones": [
            {"key": "first", "name": {"en": "First", "zh-CN": "一"}, "within": f"{days} working days",
             "after": "report", "done_by": "on_site"},
            {"key": "second", "name": {"en": "Second", "zh-CN": "二"}, "within": f"{calendar_minutes}m",
             "after": "first", "done_by": "work_done"}]})
    done = {"first": first_done, **({"second": second_done} if second_done else {})}
    now = BASE + timedelta(days=200)
    found = {m.key: m for m in clock.milestone_states(
        created_at=start, targets=targets, calendar=ORACLE_CALENDAR, now=now, done=done,
        stops=[clock.Stop(a, b, "waiting") for a, b in stops])}
    # the oracle walks working days without waits: the first milestone is compared when no wait
    # overlaps it (waits in working time are the minute-walking oracle's, tests/unit/test_clock.py)
    first_due = naive_working_days_due(start, days)
    if not any(a < first_done and b > start for a, b in stops):
        assert found["first"].due == first_due
        assert found["first"].state == ("met" if first_done <= first_due else "met_late")
    kept = [(max(a, first_done), b) for a, b in stops if b > first_done and (second_done is None or b <= second_done)]
    second_due = naive_calendar_due(first_done, calendar_minutes, kept)
    assert found["second"].start == first_done and found["second"].due == second_due
    expected = "breached" if second_done is None else "met" if second_done <= second_due else "met_late"
    assert found["second"].state == expected


def test_a_milestone_warning_names_the_milestone_in_each_language():
    from chalicelib.domain.messages import render
    data = {"ticket": "1042", "unit": "12", "promise": "milestone", "due": "2026-12-31T15:00:00Z",
            "time_zone": "Europe/London", "milestone_name": {"en": "Written summary sent", "zh-CN": "书面调查摘要已发送"}}
    assert "needs its Written summary sent by 31 Dec 15:00" in render("sla_warning", "en", data).subject
    assert "书面调查摘要已发送" in render("sla_breach_level1", "zh-CN", data).text
    with pytest.raises(ValueError):
        render("sla_warning", "en", {**data, "milestone_name": None})


def test_a_milestone_that_is_the_first_response_under_another_name_escalates_once():
    # PRC water leak: 接单 in 30 min completed by the first response (30 min): one set of steps
    leak = report(Standards(PRC), "water_leak", "normal", z("2026-03-02T02:00"))
    promises = [s.promise for s in chain.plan(leak, {"warn_at": 0.8}) if s.kind == "level1"]
    # first response 02:30, on site 03:00, resolution (and 完工, the same 24 h) 3 Mar 02:00
    assert promises == ["first_response", "milestone.on_site", "resolution"]


def test_each_milestone_counts_once_in_its_on_time_share():
    from chalicelib.domain import scores
    done = act(DAMP, "milestone", {"kind": "investigation_done"}, "2026-12-24T15:00")  # in time
    late = act(done, "milestone", {"kind": "summary_sent"}, "2027-01-04T09:30")  # due Thu 31 Dec 15:00
    change = scores.ticket_change(DAMP, late, "Europe/London")
    firm_dec = change[("M2026-12", "all", "all")]
    firm_jan = change[("M2027-01", "all", "all")]
    assert (firm_dec["ms.investigate.n"], firm_dec["ms.investigate.met"]) == (1, 1)
    assert (firm_jan["ms.summary.n"], firm_jan.get("ms.summary.met", 0)) == (1, 0)  # a zero is not stored
    assert "ms.safety_work.n" not in firm_jan  # not done yet: not judged yet
    shares = scores.scores({"ms.summary.n": 4, "ms.summary.met": 3}, min_n=1)
    assert shares["milestone.summary"].value == 75.0 and shares["milestone.summary"].n == 4


def test_the_queue_sorts_by_the_next_milestone_when_it_comes_first():
    acked = act(DAMP, "acknowledge", {}, "2026-12-11T11:00")
    # resolution: 20 working days → Wed 13 Jan 2027 10:00; the investigation is due Tue 29 Dec 10:00
    assert acked.resolution_due == z("2027-01-13T10:00")
    assert acked.due_at == z("2026-12-29T10:00")
    done = act(acked, "milestone", {"kind": "investigation_done"}, "2026-12-24T15:00")
    assert done.due_at == z("2026-12-31T15:00")  # the written summary, next


STEPS = [("acknowledge", {}), ("wait", {"question": "When are you in?"}), ("comment", {"body": "ok", "visibility": "public"}),
         ("resolve", {"note": "Treated the mould"}), ("reopen", {"reason": "It came back"}), ("follow_up", {}),
         ("milestone", {"kind": "investigation_done"}), ("milestone", {"kind": "summary_sent"}),
         ("milestone", {"kind": "safety_work_done"}), ("milestone", {"kind": "preventive_work_started"})]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(range(len(STEPS))), st.integers(min_value=1, max_value=3 * 24 * 60)),
                max_size=10))
def test_whatever_staff_do_a_milestone_is_done_once_after_its_start(moves):
    """A completion is never moved or lost, and never comes before the milestone it follows."""
    ticket, at = DAMP, DAMP.created_at
    for index, minutes in moves:
        action, payload = STEPS[index]
        at += timedelta(minutes=minutes)
        try:
            after = rules.apply(ticket, action, rules.parse_event(action, payload), STAFF, at, "E")[0]
        except (TransitionRefused, InvalidInput):
            continue
        for key, done_at in ticket.milestones_done.items():
            assert after.milestones_done[key] == done_at
        ticket = after
    done = ticket.milestones_done_at
    for milestone in Targets.from_dict(ticket.targets).milestones:
        if milestone.key in done and milestone.after != "report":
            assert done[milestone.after] < done[milestone.key]
