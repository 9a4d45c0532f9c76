"""Residents report, staff work the ticket: the behaviour each of them notices."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import body


def test_a_residents_report_becomes_a_numbered_ticket_with_a_tracking_link(firm):
    response = firm.submit(key="first-try-0001")
    assert response.status_code == 201, response.body
    answer = body(response)
    assert answer["ticket"]["number"] >= 1
    assert len(answer["ticket"]["tracking_token"]) >= 22  # ≥ 128 bits in base64url
    tracking = firm.client.http.get(answer["ticket"]["tracking_url"])
    assert tracking.status_code == 200
    status = body(tracking)
    assert status["status"] == "new" and status["number"] == answer["ticket"]["number"]
    assert status["promised"]["first_response_by"] == answer["promised"]["first_response_by"]
    assert [e["type"] for e in status["timeline"]] == ["received"]


def test_ticket_numbers_count_up_per_firm(firm, other_firm):
    first = body(firm.submit(firm.report(description="Light out in lobby")))["ticket"]["number"]
    second = body(firm.submit(firm.report(description="Door will not close")))["ticket"]["number"]
    theirs = body(other_firm.submit(other_firm.report(description="Light out in lobby")))["ticket"]["number"]
    assert second == first + 1
    assert theirs == 1  # another firm's numbering is its own


def test_a_retried_submission_answers_the_same_ticket(firm):
    first = firm.submit(key="double-tap-0001")
    again = firm.submit(key="double-tap-0001")
    assert again.status_code == 201
    assert body(again) == body(first)
    assert again.headers["Idempotent-Replayed"] == "true"
    queue = body(firm.call("GET", "/api/tickets"))["tickets"]
    assert len(queue) == 1


def test_a_form_nonce_works_like_the_header(firm):
    first = firm.submit(firm.report(nonce="nonce-abc-123"))
    again = firm.submit(firm.report(nonce="nonce-abc-123"))
    assert body(again)["ticket"]["number"] == body(first)["ticket"]["number"]


def test_an_identical_report_without_a_key_within_minutes_is_one_ticket(firm):
    first, again = firm.submit(), firm.submit()
    assert body(first)["ticket"]["number"] == body(again)["ticket"]["number"]
    different = firm.submit(firm.report(description="Another problem entirely"))
    assert body(different)["ticket"]["number"] != body(first)["ticket"]["number"]


def test_reusing_a_key_for_a_different_report_is_refused(firm):
    firm.submit(key="reused-key-0001")
    response = firm.submit(firm.report(description="Something else broke"), key="reused-key-0001")
    assert response.status_code == 422
    assert "idempotency_key" in body(response)["error"]["fields"]


def test_twenty_concurrent_retries_make_exactly_one_ticket(firm, local_stack):
    """Through the service and the real store (the Chalice test client is one request at a time)."""
    from chalicelib.services import tickets as service
    report = firm.report(description="Burst pipe under the sink")
    start = threading.Barrier(20)

    def submit(_):
        start.wait()
        answer, _replayed = service.submit_report(firm.slug, json.loads(json.dumps(report)),
                                                  idempotency_key="burst-key-0001")
        return answer["ticket"]["number"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = set(pool.map(submit, range(20)))
    assert len(numbers) == 1
    queue = body(firm.call("GET", "/api/tickets"))["tickets"]
    assert [t["number"] for t in queue] == list(numbers)


def test_a_report_for_a_unit_not_in_the_register_names_the_field(firm, other_firm):
    response = firm.submit(firm.report(unit="9999"))
    assert response.status_code == 422
    assert body(response)["error"]["fields"] == {"unit": "is not a registered unit of the chosen building"}
    foreign = firm.submit(firm.report(property_id=other_firm.property_id, building_id=other_firm.building_id))
    assert body(foreign)["error"]["fields"] == {"property_id": "is not one of this firm's properties"}
    assert body(firm.call("GET", "/api/tickets"))["tickets"] == []  # nothing half-written


def test_a_building_without_a_unit_register_accepts_a_typed_unit(firm):
    building = body(firm.call("POST", f"/api/properties/{firm.property_id}/buildings", {"name": "Gatehouse"}))
    response = firm.submit(firm.report(building_id=building["id"], unit="G-1"))
    assert response.status_code == 201, response.body


def test_bad_input_gets_a_field_by_field_answer_and_no_ticket(firm):
    cases = [
        (b"{not json", 400, "body"),
        (json.dumps({**firm.report(), "category": "ghosts"}).encode(), 422, "category"),
        (json.dumps({**firm.report(), "description": ""}).encode(), 422, "description"),
        (json.dumps([1, 2]).encode(), 422, "body"),
        (b"x" * (70 * 1024), 413, "body"),
    ]
    for raw, status, field in cases:
        response = firm.client.http.post(f"/r/{firm.slug}/tickets", headers={"Content-Type": "application/json"},
                                         body=raw)
        assert response.status_code == status, (raw[:30], response.body)
        assert field in body(response)["error"]["fields"]
    assert body(firm.call("GET", "/api/tickets"))["tickets"] == []


def test_an_unknown_firm_or_tracking_link_is_a_plain_404(client):
    assert client.http.post("/r/no-such-firm/tickets", headers={"Content-Type": "application/json"},
                            body=b"{}").status_code in (404, 422)
    response = client.http.get("/t/" + "A" * 64)
    assert response.status_code == 404
    assert body(response)["error"]["code"] == "not_found"


def test_staff_work_a_ticket_from_report_to_closed(firm):
    staff_sub, staff_token = firm.add_staff("Zhang San")
    ticket = body(firm.submit())
    token = ticket["ticket"]["tracking_token"]
    queued = body(firm.call("GET", "/api/tickets"))["tickets"][0]
    tid, version = queued["id"], queued["version"]

    steps = [
        ({"type": "acknowledge"}, "acknowledged"),
        ({"type": "assign", "assignee": staff_sub}, "assigned"),
        ({"type": "comment", "body": "Resident sounded upset", "visibility": "internal"}, "assigned"),
        ({"type": "wait", "question": "Can we come on Saturday morning?"}, "waiting"),
        ({"type": "resolve", "note": "Washer replaced"}, "resolved"),
        ({"type": "reopen", "reason": "Dripping again"}, "assigned"),
        ({"type": "resolve", "note": "Tap replaced"}, "resolved"),
        ({"type": "close"}, "closed"),
    ]
    for payload, status in steps:
        response = firm.event(tid, version, payload, token=staff_token)
        assert response.status_code == 201, (payload, response.body)
        assert body(response)["status"] == status
        assert response.headers["ETag"] == f'"{version + 1}"'
        version += 1

    full = body(firm.call("GET", f"/api/tickets/{tid}"))
    assert [e["type"] for e in full["timeline"]] == ["received", "acknowledged", "assigned", "comment", "waiting",
                                                      "resolved", "reopened", "resolved", "closed"]
    assert all(e["actor"]["sub"] == staff_sub for e in full["timeline"][1:])
    assert full["reopen_count"] == 1

    public = body(firm.client.http.get(f"/t/{token}"))
    text = json.dumps(public, ensure_ascii=False)
    assert "Resident sounded upset" not in text  # internal comments never reach the resident
    assert "Zhang San" not in text and "Zhang" in text
    assert public["status"] == "closed"


def test_a_closed_ticket_refuses_further_events_with_409(firm):
    ticket = firm.new_ticket()
    closed = body(firm.event(ticket["id"], 1, {"type": "close", "reason": "duplicate"}))
    response = firm.event(ticket["id"], closed["version"], {"type": "comment", "body": "hello"})
    assert response.status_code == 409
    assert body(response)["error"]["code"] == "transition_refused"


def test_changes_need_the_version_and_a_stale_one_gets_409(firm):
    ticket = firm.new_ticket()
    missing = firm.call("POST", f"/api/tickets/{ticket['id']}/events", {"type": "acknowledge"})
    assert missing.status_code == 428
    first = firm.event(ticket["id"], 1, {"type": "acknowledge"})
    second = firm.event(ticket["id"], 1, {"type": "comment", "body": "I was first!", "visibility": "public"})
    assert first.status_code == 201 and second.status_code == 409
    timeline = body(firm.call("GET", f"/api/tickets/{ticket['id']}"))["timeline"]
    assert [e["type"] for e in timeline] == ["received", "acknowledged"]  # the loser wrote nothing


def test_two_concurrent_edits_on_one_version_one_wins_one_conflicts(firm):
    from chalicelib.domain.errors import Conflict
    from chalicelib.domain.identity import Identity
    from chalicelib.services import tickets as service
    ticket = firm.new_ticket()
    who = Identity(firm.tenant_id, firm.admin_sub, "admin", "Ada Admin")
    start = threading.Barrier(2)

    def edit(text):
        start.wait()
        try:
            service.record_event(who, ticket["id"], {"type": "comment", "body": text, "visibility": "public"}, '"1"')
            return "ok"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(edit, ["mine", "theirs"]))
    assert outcomes == ["conflict", "ok"]
    full = body(firm.call("GET", f"/api/tickets/{ticket['id']}"))
    assert full["version"] == 2 and len([e for e in full["timeline"] if e["type"] == "comment"]) == 1


def test_only_active_staff_of_the_firm_can_be_assigned(firm, other_firm):
    ticket = firm.new_ticket()
    their_sub, _ = other_firm.add_staff()
    response = firm.event(ticket["id"], 1, {"type": "assign", "assignee": their_sub})
    assert response.status_code == 422 and "assignee" in body(response)["error"]["fields"]
    mine, _ = firm.add_staff()
    firm.call("PATCH", f"/api/staff/{mine}", {"active": False})
    response = firm.event(ticket["id"], 1, {"type": "assign", "assignee": mine})
    assert response.status_code == 422


def test_reclassifying_moves_the_promise_and_shows_on_the_timeline(firm):
    ticket = firm.new_ticket()
    response = firm.call("PATCH", f"/api/tickets/{ticket['id']}", {"category": "water_leak"}, **{"If-Match": '"1"'})
    assert response.status_code == 200, response.body
    changed = body(response)
    assert changed["category"] == "water_leak"
    assert changed["first_response_due"] < ticket["first_response_due"]  # 30 minutes instead of 24 hours
    bad = firm.call("PATCH", f"/api/tickets/{ticket['id']}", {"category": "ghosts"}, **{"If-Match": '"2"'})
    assert bad.status_code == 422 and "category" in body(bad)["error"]["fields"]


def test_the_queue_puts_the_most_urgent_promise_first_and_pages_with_a_cursor(firm):
    for i, category in enumerate(["repairs", "water_leak", "fees", "lift_entrapment", "repairs"]):
        assert firm.submit(firm.report(category=category, description=f"Problem number {i}")).status_code == 201
    page1 = body(firm.call("GET", "/api/tickets?limit=2"))
    assert [t["category"] for t in page1["tickets"]] == ["water_leak", "lift_entrapment"]
    page2 = body(firm.call("GET", f"/api/tickets?limit=2&cursor={page1['next_cursor']}"))
    page3 = body(firm.call("GET", f"/api/tickets?limit=2&cursor={page2['next_cursor']}"))
    seen = [t["id"] for p in (page1, page2, page3) for t in p["tickets"]]
    assert len(seen) == len(set(seen)) == 5
    dues = [t["due_at"] for p in (page1, page2, page3) for t in p["tickets"]]
    assert dues == sorted(dues)


def test_queue_filters_narrow_the_list(firm):
    staff_sub, _ = firm.add_staff()
    leak = body(firm.call("POST", "/api/tickets", firm.report(category="water_leak")))
    firm.new_ticket()
    firm.event(leak["id"], 1, {"type": "assign", "assignee": staff_sub})
    by_category = body(firm.call("GET", "/api/tickets?category=water_leak"))["tickets"]
    assert [t["id"] for t in by_category] == [leak["id"]]
    mine = body(firm.call("GET", f"/api/tickets?assignee={staff_sub}"))["tickets"]
    assert [t["id"] for t in mine] == [leak["id"]]
    unassigned = body(firm.call("GET", "/api/tickets?assignee=none"))["tickets"]
    assert leak["id"] not in [t["id"] for t in unassigned] and len(unassigned) == 1
    assert body(firm.call("GET", "/api/tickets?status=closed"))["tickets"] == []


@pytest.mark.parametrize("query,field", [("cursor=bogus", "cursor"), ("status=lost", "status"),
                                         ("limit=1000", "limit"), ("colour=red", "colour")])
def test_bad_queue_parameters_are_named(firm, query, field):
    response = firm.call("GET", f"/api/tickets?{query}")
    assert response.status_code in (400, 422)
    assert field in body(response)["error"]["fields"]


@pytest.fixture
def app_log():
    """What the app logs at INFO, as the Lambda's stdout would carry it."""
    import io

    from chalicelib.observability import logger
    level, buffer = logger.log_level, io.StringIO()
    logger.setLevel("INFO")
    previous = logger.registered_handler.setStream(buffer)
    yield buffer
    logger.registered_handler.setStream(previous)
    logger.setLevel(level)


def test_logs_carry_the_tenant_but_no_personal_data(firm, app_log):
    firm.submit(firm.report(description="Secret leak in flat 1203", contact={"phone": "+8613912345678",
                                                                          "email": "li.na@example.com"}))
    ticket = body(firm.call("GET", "/api/tickets"))["tickets"][0]
    firm.event(ticket["id"], 1, {"type": "acknowledge"})
    out = app_log.getvalue()
    assert "13912345678" not in out and "li.na@example.com" not in out and "Secret leak" not in out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"level"' in line]
    mine = [line for line in lines if line.get("tenant_id") == firm.tenant_id]
    assert mine and all(line.get("request_id") for line in mine)


def test_a_shortened_ticket_id_is_no_ticket(firm):
    ticket = firm.new_ticket()
    assert firm.call("GET", f"/api/tickets/{ticket['id']}").status_code == 200
    assert firm.call("GET", f"/api/tickets/{ticket['id'][:-3]}").status_code == 404
