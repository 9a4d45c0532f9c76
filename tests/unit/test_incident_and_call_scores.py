"""Two score rules, checked by hand (pure rules, no AWS):

- a follow-up call (回访) a low answer asked for counts when it is logged, in the month it
  is made: ``follow_up_calls_on_time`` is the share made by their promise, with n and a
  Wilson 95 % interval like the other shares;
- a report merged behind an incident's lead adds no service counters (the lead counts the
  incident once) but still counts as a report and with its reporter's answer."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import follow_ups, scores
from chalicelib.domain import tickets as rules
from chalicelib.domain.standards import Standards

STANDARDS = Standards({
    "calendar": {"time_zone": "Asia/Shanghai", "always_open": True},
    "categories": [{"key": "lift", "name": {"zh-CN": "电梯", "en": "Lift"}}],
    "priorities": [{"key": "normal", "name": {"zh-CN": "一般", "en": "Normal"}}],
    "targets": {"*": {"*": {"first_response": "1h", "resolution": "4h"}}},
})
ZONE = "Asia/Shanghai"
T0 = datetime(2027, 5, 10, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai, in M2027-05


def resolved_ticket(ticket_id: str, at: datetime, rating: int) -> rules.Ticket:
    report = {"category": "lift", "urgency": "normal", "property_id": "P", "building_id": "B", "unit": "1203",
              "description": "The lift is stuck"}
    ticket = rules.new_ticket(ticket_id=ticket_id, tenant_id="X", number=1, report=report, standards=STANDARDS,
                              now=at, tracking_digest="d")
    staff = rules.Actor("staff", "s", "Wang")
    ticket, _ = rules.apply(ticket, "resolve", {"note": "Fixed."}, staff, at + timedelta(hours=2), "E1")
    return dataclasses.replace(ticket, survey={"rating": rating, "fixed_first_visit": None,
                                               "at": "2027-05-10T06:00:00Z"})


def month(counters_of: list[rules.Ticket]) -> dict:
    total: dict = {}
    for ticket in counters_of:
        total = scores.add(total, scores.ticket_contributions(ticket, ZONE))
    return total.get(("M2027-05", "all", "all"), {})


def test_follow_up_calls_on_time_is_the_share_of_logged_calls_made_by_their_promise():
    # three low answers: calls promised 2 working days (here: 2 days) after the answer
    tickets = [follow_ups.opened(resolved_ticket(tid, T0, 2), T0 + timedelta(hours=4), 2) for tid in "ABC"]
    due = T0 + timedelta(hours=4, days=2)
    on_time = follow_ups.closed(tickets[0], due - timedelta(hours=1))   # an hour early
    late = follow_ups.closed(tickets[1], due + timedelta(hours=1))      # an hour late
    owed = tickets[2]                                                   # not made yet: not judged
    counters = month([on_time, late, owed])
    assert (counters.get("call_n"), counters.get("call_met")) == (2, 1)
    share = scores.scores(counters, min_n=1)["follow_up_calls_on_time"]
    # 1 of 2 = 50 %; Wilson: centre (p + z²/2n)/(1 + z²/n) = 0.5, half-width
    # z·sqrt(p(1-p)/n + z²/4n²)/(1 + z²/n) = 1.959964 · sqrt(0.125 + 0.240091) / 2.920729 = 0.405468
    assert (share.value, share.n, share.unit) == (50, 2, "%")
    assert (share.low, share.high) == pytest.approx((9.4532, 90.5468), abs=1e-3)
    assert scores.scores(counters)["follow_up_calls_on_time"].too_few  # below the default minimum of 5


def test_a_call_counts_in_the_month_it_is_made():
    ticket = follow_ups.opened(resolved_ticket("A", T0, 1), T0 + timedelta(hours=4), 2)
    made = follow_ups.closed(ticket, datetime(2027, 6, 1, 1, 0, tzinfo=timezone.utc))  # 1 June 09:00 local, late
    out = scores.ticket_contributions(made, ZONE)
    assert "call_n" not in out.get(("M2027-05", "all", "all"), {})
    assert out[("M2027-06", "all", "all")] == {"call_n": 1}  # made, not on time (0 is not stored)


def test_a_report_merged_behind_a_lead_counts_as_a_report_and_an_answer_but_not_as_service():
    lead = resolved_ticket("L", T0, 5)
    follower = resolved_ticket("F", T0 + timedelta(minutes=5), 4)
    lead = dataclasses.replace(lead, incident={"id": "I", "title": "Lift", "lead": "L"})
    follower = dataclasses.replace(follower, incident={"id": "I", "title": "Lift", "lead": "L"})
    answers = [scores.SurveyResponse(at=T0 + timedelta(hours=4), rating=r) for r in (5, 4)]
    total: dict = {}
    for ticket, answer in zip((lead, follower), answers):
        total = scores.add(total, scores.ticket_contributions(ticket, ZONE, responses=[answer]))
    counters = total[("M2027-05", "all", "all")]
    # two reports and two answers; one first response and one resolution (the lead's)
    assert (counters["tickets"], counters["csat_n"], counters["csat_pos"]) == (2, 2, 2)
    assert (counters["fr_n"], counters["resolved"], counters["res_met"]) == (1, 1, 1)
    # unmerged, the follower's service counts again: the change is exactly its own service
    alone = dataclasses.replace(follower, incident=None)
    change = scores.ticket_change(follower, alone, ZONE)[("M2027-05", "all", "all")]
    assert (change["fr_n"], change["resolved"], change["res_met"]) == (1, 1, 1)
    assert "tickets" not in change and "csat_n" not in change
