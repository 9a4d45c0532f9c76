"""The resident's side of the conversation, from the tracking link: answering staff's
question while they wait, and saying "not fixed" within 14 days of a resolve."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.support import body

JSON = {"Content-Type": "application/json"}


def reported(firm) -> tuple[str, str, int]:
    """A resident's report; returns (ticket id, tracking token, version)."""
    answer = body(firm.submit())
    token = answer["ticket"]["tracking_token"]
    ticket = next(t for t in body(firm.call("GET", "/api/tickets"))["tickets"]
                  if t["number"] == answer["ticket"]["number"])
    return ticket["id"], token, ticket["version"]


def staff(firm, tid: str, version: int, payload: dict) -> int:
    response = firm.event(tid, version, payload)
    assert response.status_code == 201, response.body
    return version + 1


def post(firm, path: str, payload, headers=None):
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return firm.client.http.post(path, headers=headers or JSON, body=data)


def test_a_reply_while_waiting_resumes_the_ticket_and_shows_on_both_timelines(firm, local_stack):
    tid, token, version = reported(firm)
    version = staff(firm, tid, version, {"type": "acknowledge"})
    before_wait = body(firm.call("GET", f"/api/tickets/{tid}"))["resolution_due"]
    version = staff(firm, tid, version, {"type": "wait", "question": "Can we come on Saturday morning?"})
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["sla"]["paused"] is True

    tracking = body(firm.client.http.get(f"/t/{token}"))
    assert tracking["can_reply"] and tracking["question"] == "Can we come on Saturday morning?"
    # the resident answers ten days later (the service lets the test travel; the route is the same call)
    from chalicelib.services import tickets as service
    answer = service.resident_reply(token, "Yes, after 9 please", now=datetime.now(timezone.utc) + timedelta(days=10))
    assert answer["status"] == "acknowledged" and not answer["can_reply"]
    assert answer["timeline"][-1]["type"] == "resident_replied"
    assert answer["timeline"][-1]["body"] == "Yes, after 9 please"
    assert answer["timeline"][-1]["by"] == {"kind": "resident"}

    full = body(firm.call("GET", f"/api/tickets/{tid}"))
    assert full["status"] == "acknowledged" and full["version"] == version + 1
    assert full["sla"]["paused"] is False
    assert full["resolution_due"] > before_wait  # the time spent waiting moved the promise later
    last = full["timeline"][-1]
    assert last["type"] == "resident_replied" and last["actor"]["kind"] == "resident" and last["public"]
    assert last["data"] == {"body": "Yes, after 9 please", "status_after": "acknowledged"}
    assert [e["type"] for e in body(firm.client.http.get(f"/t/{token}"))["timeline"]][-1] == "resident_replied"


def test_a_reply_goes_back_to_the_assignee_and_internal_notes_stay_hidden(firm):
    staff_sub, staff_token = firm.add_staff("Zhang San")
    tid, token, version = reported(firm)
    version = staff(firm, tid, version, {"type": "assign", "assignee": staff_sub})
    version = staff(firm, tid, version, {"type": "comment", "body": "Resident sounded upset", "visibility": "internal"})
    version = staff(firm, tid, version, {"type": "wait", "question": "Which day suits you?"})
    answer = body(post(firm, f"/t/{token}/reply", {"body": "Sunday"}))
    assert answer["status"] == "assigned"
    assert "Resident sounded upset" not in json.dumps(answer, ensure_ascii=False)


def test_a_reply_when_not_waiting_is_refused(firm):
    _tid, token, _version = reported(firm)
    response = post(firm, f"/t/{token}/reply", {"body": "Hello?"})
    assert response.status_code == 409
    assert body(response)["error"]["code"] == "transition_refused"


def test_a_reply_must_have_text(firm):
    tid, token, version = reported(firm)
    staff(firm, tid, version, {"type": "wait", "question": "When?"})
    for payload in ({"body": "   "}, {"body": "x" * 2001}, {}):
        response = post(firm, f"/t/{token}/reply", payload)
        assert response.status_code == 422 and "body" in body(response)["error"]["fields"]


def test_a_form_encoded_reply_without_html_answers_json(firm):
    tid, token, version = reported(firm)
    staff(firm, tid, version, {"type": "wait", "question": "When?"})
    response = post(firm, f"/t/{token}/reply", "body=Tomorrow+at+10",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 201 and body(response)["timeline"][-1]["body"] == "Tomorrow at 10"


def test_a_double_tapped_reply_makes_one_event(firm):
    tid, token, version = reported(firm)
    staff(firm, tid, version, {"type": "wait", "question": "When?"})
    first = post(firm, f"/t/{token}/reply", {"body": "Monday"})
    again = post(firm, f"/t/{token}/reply", {"body": "Monday"})
    assert first.status_code == 201 and again.status_code == 201
    assert body(again) == body(first)
    full = body(firm.call("GET", f"/api/tickets/{tid}"))
    assert [e["type"] for e in full["timeline"]].count("resident_replied") == 1
    different = post(firm, f"/t/{token}/reply", {"body": "Tuesday"})  # not a double tap: refused
    assert different.status_code == 409


def test_not_fixed_within_14_days_reopens_and_after_14_days_is_refused(firm, local_stack):
    from chalicelib.domain.errors import TransitionRefused
    from chalicelib.services import tickets as service

    tid, token, version = reported(firm)
    version = staff(firm, tid, version, {"type": "resolve", "note": "Washer replaced"})
    tracking = body(firm.client.http.get(f"/t/{token}"))
    assert tracking["status"] == "resolved" and tracking["not_fixed_until"]

    late = datetime.now(timezone.utc) + timedelta(days=14, minutes=1)
    with pytest.raises(TransitionRefused) as refused:
        service.resident_not_fixed(token, "Still dripping", now=late)
    assert refused.value.fields["reason"] == "the 14 days to say it was not fixed have passed"

    soon = datetime.now(timezone.utc) + timedelta(days=13)
    answer = service.resident_not_fixed(token, "Still dripping", now=soon)
    assert answer["status"] == "acknowledged" and answer["reopen_count"] == 1
    assert answer["timeline"][-1] == {"type": "reopened", "at": answer["timeline"][-1]["at"],
                                      "by": {"kind": "resident"}, "reason": "Still dripping", "by_resident": True}
    full = body(firm.call("GET", f"/api/tickets/{tid}"))
    assert full["reopen_count"] == 1 and full["status"] == "acknowledged" and full["sla"]["paused"] is False
    reopened = full["timeline"][-1]
    assert reopened["actor"]["kind"] == "resident" and reopened["data"]["by_resident"] is True


def test_not_fixed_through_the_route(firm):
    tid, token, version = reported(firm)
    staff(firm, tid, version, {"type": "resolve", "note": "Fixed."})
    response = post(firm, f"/t/{token}/not-fixed", {"reason": "The tap still drips"})
    assert response.status_code == 201 and body(response)["status"] == "acknowledged"
    again = post(firm, f"/t/{token}/not-fixed", {"reason": "The tap still drips"})  # double tap
    assert again.status_code == 201 and body(again)["reopen_count"] == 1
    assert post(firm, f"/t/{token}/not-fixed", {"reason": "Worse now"}).status_code == 409  # no longer resolved
    assert post(firm, f"/t/{token}/not-fixed", {"reason": ""}).status_code == 422


def test_a_concurrent_staff_change_is_a_conflict(firm, local_stack, monkeypatch):
    from chalicelib.domain.errors import Conflict
    from chalicelib.services import tickets as service
    from chalicelib.store import tickets as store

    tid, token, version = reported(firm)
    staff(firm, tid, version, {"type": "wait", "question": "When?"})
    real = store.get_for_change

    def stale_read(*args, **kwargs):  # staff act between the resident's read and write
        context = real(*args, **kwargs)
        monkeypatch.setattr(store, "get_for_change", real)
        staff(firm, tid, context.ticket.version, {"type": "comment", "body": "Any news?", "visibility": "public"})
        return context

    monkeypatch.setattr(store, "get_for_change", stale_read)
    with pytest.raises(Conflict):
        service.resident_reply(token, "Friday")
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["status"] == "waiting"  # nothing half-written


def test_forged_and_foreign_tokens_are_404(firm, other_firm):
    tid, token, version = reported(firm)
    staff(firm, tid, version, {"type": "wait", "question": "When?"})
    forged = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    _otid, theirs, _ = reported(other_firm)
    for bad in (forged, "A" * 64, "short"):
        for path in (f"/t/{bad}/reply", f"/t/{bad}/not-fixed"):
            response = post(firm, path, {"body": "x", "reason": "x"})
            assert response.status_code == 404, (path, response.body)
            assert body(response)["error"]["code"] == "not_found"
    # another firm's valid token works only for its own ticket (and that one is not waiting)
    assert post(firm, f"/t/{theirs}/reply", {"body": "x"}).status_code == 409
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["status"] == "waiting"  # nothing changed


def test_the_routes_are_in_openapi(firm):
    paths = body(firm.client.http.get("/openapi.json"))["paths"]
    assert "post" in paths["/t/{token}/reply"] and "post" in paths["/t/{token}/not-fixed"]
