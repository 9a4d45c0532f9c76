"""Incidents: twenty reports of one broken lift are merged and answered as one, every
reporter hears of it once, escalation fires once per step, and the scores count the
incident once for service and every reporter for satisfaction (README, "Incidents")."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest

from tests.api.test_resident_messages import digits, sweep
from tests.support import body, unique

# 2027-03-03 02:00 UTC is 10:00 on a Wednesday in Shanghai (the test firms' zone): no quiet hours
T0 = datetime(2027, 3, 3, 2, 0, tzinfo=timezone.utc)
MONTH = "M2027-03"
NOTE = "The lift motor was replaced; the lift runs again."


def lift_standards(firm) -> None:
    """Calendar-time targets for repairs (first response 1 h, resolution 4 h) and a chain:
    warn at half-way and level 1 at the deadline tell a webhook; level 2 an hour later."""
    current = body(firm.call("GET", "/api/standards"))
    doc = copy.deepcopy(current["standards"])
    doc["targets"]["repairs"] = {"*": {"first_response": "1h", "resolution": "4h"}}
    doc["escalation"] = {"warn_at": 0.5, "level1": {"notify": [{"channel": "webhook", "url": "http://127.0.0.1:9/hook",
                                                                  "secret": "s3cret"}]},
                         "level2": {"after": "1h", "notify": []}}
    response = firm.call("PUT", "/api/standards", {"standards": doc}, **{"If-Match": f'"{current["version"]}"'})
    assert response.status_code == 200, response.body


def admin_of(firm):
    from chalicelib.domain.identity import Identity
    return Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin",
                    email=firm.admin_email)


def report(firm, when: datetime, phone: str, unit: str = "1203") -> dict:
    from chalicelib.services import tickets as service
    answer, _ = service.submit_report(firm.slug, firm.report(
        unit=unit, description=unique("The lift in Block 3 is stuck"),
        contact={"name": "Li Na", "phone": phone}), now=when)
    return answer["ticket"]


def ticket_ids(firm) -> dict[int, str]:
    return {t["number"]: t["id"] for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]}


def escalated(firm, ticket_id: str) -> list[str]:
    timeline = body(firm.call("GET", f"/api/tickets/{ticket_id}"))["timeline"]
    return [f'{e["data"]["promise"]}:{e["data"]["step"]}' for e in timeline if e["type"] == "escalated"]


def test_twenty_reports_of_one_lift_are_one_incident_escalated_once_answered_once_each(client, firm):
    from chalicelib.services import incidents, surveys
    lift_standards(firm)
    phones = [f"+86 139 0000 {1000 + i}" for i in range(20)]
    reports = [report(firm, T0 + timedelta(minutes=i), phones[i], unit=("1203", "1204")[i % 2]) for i in range(20)]
    ids = ticket_ids(firm)
    members = [ids[r["number"]] for r in reports]

    # Given twenty open reports, merged 20 minutes after the first (before any step is due)
    made = incidents.create(admin_of(firm), {"title": "Lift in Block 3 is down", "tickets": list(reversed(members))},
                            now=T0 + timedelta(minutes=20))
    assert made["lead"] == members[0]  # the earliest report leads, whatever the order given
    assert len(made["members"]) == 20 and made["version"] == 20  # one guarded write per report
    # every reporter's "received" message went before the merge's sweep; nothing else is queued
    before = sweep(T0 + timedelta(minutes=25))
    assert sorted(digits(ch["to"]) for ch, m in before if m.kind == "resident_update"
                  and digits(ch["to"]) in {digits(p) for p in phones}) == sorted(digits(p) for p in phones)

    # When the lead's promises pass: warn at 30 min, level 1 at 1 h, level 2 at 2 h, and the
    # resolution's warning at 2 h (half of 4 h); each sweep repeated
    for minutes in (31, 31, 61, 61, 121, 121, 150):
        sweep(T0 + timedelta(minutes=minutes))
    # Then one escalation per step, all on the lead; none on the nineteen others
    assert escalated(firm, members[0]) == ["first_response:warn", "first_response:level1",
                                           "first_response:level2", "resolution:warn"]
    assert all(escalated(firm, tid) == [] for tid in members[1:])

    # When staff resolve the incident with what was done (3 h after the first report)
    resolved = incidents.act(admin_of(firm), made["id"], {"type": "resolve", "note": NOTE}, f'"{made["version"]}"',
                             now=T0 + timedelta(hours=3))
    assert resolved["status"] == "resolved" and resolved["version"] == 21
    # Then each of the twenty reporters gets the resolution once, on their own phone
    sent = sweep(T0 + timedelta(hours=3, minutes=3)) + sweep(T0 + timedelta(hours=3, minutes=30))
    resolutions = sorted(digits(ch["to"]) for ch, m in sent if m.kind == "resident_update" and NOTE in m.text)
    assert resolutions == sorted(digits(p) for p in phones)
    # and each report keeps its own tracking page, resolved with the note
    for r in reports:
        page = body(client.http.get(f"/t/{r['tracking_token']}", headers={"Accept": "application/json"}))
        assert page["status"] == "resolved" and page["number"] == r["number"]
        assert [e.get("note") for e in page["timeline"] if e["type"] == "resolved"] == [NOTE]

    # When every reporter rates their own report: ten 5s, six 4s, four 2s
    ratings = [5] * 10 + [4] * 6 + [2] * 4
    for r, rating in zip(reports, ratings):
        surveys.answer_by_tracking(r["tracking_token"], {"rating": str(rating)}, now=T0 + timedelta(hours=5))

    # Then the month's scores, by hand: 20 reports; service counted once, through the lead
    # (first response at the resolve, 3 h against 1 h: late, 0 of 1; resolved in 3 h against
    # 4 h: on time, 1 of 1); satisfaction from all 20 answers: 16 of 20 rated 4-5 = 80 %.
    scores = body(firm.call("GET", f"/api/scores?period={MONTH}"))["firm"]
    assert (scores["volume"]["value"], scores["volume"]["n"]) == (20, 20)
    assert (scores["sla_first_response"]["value"], scores["sla_first_response"]["n"]) == (0, 1)
    assert (scores["sla_resolution"]["value"], scores["sla_resolution"]["n"]) == (100, 1)
    assert scores["resolution_p50"]["n"] == 1
    assert abs(scores["resolution_p50"]["value"] - 180) <= 180 * 0.05  # 3 h, within the histogram's 5 %
    assert (scores["csat"]["value"], scores["csat"]["n"]) == (80, 20)


def test_unmerge_is_recorded_and_gives_the_report_its_own_clock_back(client, firm):
    from chalicelib.services import incidents
    lift_standards(firm)
    t0 = T0 + timedelta(days=1)
    first, second = report(firm, t0, "+86 139 0000 2001"), report(firm, t0 + timedelta(minutes=5), "+86 139 0000 2002")
    ids = ticket_ids(firm)
    lead, other = ids[first["number"]], ids[second["number"]]
    made = body(firm.call("POST", "/api/incidents", {"title": "Lift down", "tickets": [lead, other]}))
    assert [m["lead"] for m in made["members"]] == [True, False]

    # the lead cannot leave while another report depends on its clock
    refused = firm.call("POST", f"/api/incidents/{made['id']}/events", {"type": "unmerge", "ticket_id": lead},
                        **{"If-Match": f'"{made["version"]}"'})
    assert refused.status_code == 409 and "ticket_id" in body(refused)["error"]["fields"]
    # a stale version changes nothing
    stale = firm.call("POST", f"/api/incidents/{made['id']}/events", {"type": "unmerge", "ticket_id": other},
                      **{"If-Match": f'"{made["version"] - 1}"'})
    assert stale.status_code == 409
    assert body(firm.call("GET", f"/api/tickets/{other}"))["incident"]["id"] == made["id"]

    done = firm.call("POST", f"/api/incidents/{made['id']}/events", {"type": "unmerge", "ticket_id": other},
                     **{"If-Match": f'"{made["version"]}"'})
    assert done.status_code == 200, done.body
    assert done.headers["ETag"] == f'"{made["version"] + 1}"'
    assert [m["id"] for m in body(done)["members"]] == [lead]
    view = body(firm.call("GET", f"/api/tickets/{other}"))
    assert view["incident"] is None
    assert [e["type"] for e in view["timeline"] if e["type"] in ("merged", "unmerged")] == ["merged", "unmerged"]
    # its own promises escalate again: at 35 min its own first-response warning (5 + 30) fires
    sweep(t0 + timedelta(minutes=36))
    assert escalated(firm, other) == ["first_response:warn"]


def test_a_public_update_reaches_every_reporter_once(client, firm):
    from chalicelib.services import incidents
    t0 = T0 + timedelta(days=2)
    phones = ["+86 139 0000 3001", "+86 139 0000 3002", "+86 139 0000 3003"]
    reports = [report(firm, t0 + timedelta(minutes=i), p) for i, p in enumerate(phones)]
    ids = ticket_ids(firm)
    made = incidents.create(admin_of(firm), {"title": "No water in Block 3",
                                             "tickets": [ids[r["number"]] for r in reports]},
                            now=t0 + timedelta(minutes=5))
    sweep(t0 + timedelta(minutes=10))  # the "received" messages go
    update = "Water is back by 18:00 today."
    incidents.act(admin_of(firm), made["id"], {"type": "update", "body": update}, f'"{made["version"]}"',
                  now=t0 + timedelta(minutes=30))
    sent = sweep(t0 + timedelta(minutes=33)) + sweep(t0 + timedelta(minutes=40))
    assert sorted(digits(ch["to"]) for ch, m in sent if m.kind == "resident_update" and update in m.text) == \
        sorted(digits(p) for p in phones)


def test_merging_refuses_closed_or_already_merged_reports_and_unknown_ids(client, firm):
    one, two, three = (firm.new_ticket() for _ in range(3))
    made = firm.call("POST", "/api/incidents", {"title": "Lift down", "tickets": [one["id"], two["id"]]})
    assert made.status_code == 201, made.body
    again = firm.call("POST", "/api/incidents", {"title": "Lift down again", "tickets": [two["id"], three["id"]]})
    assert again.status_code == 409 and "tickets[0]" in body(again)["error"]["fields"]
    assert body(firm.call("GET", f"/api/tickets/{three['id']}"))["incident"] is None  # nothing written
    twice = firm.call("POST", "/api/incidents", {"title": "Lift", "tickets": [three["id"], three["id"]]})
    assert twice.status_code == 422 and "tickets" in body(twice)["error"]["fields"]
    unknown = firm.call("POST", "/api/incidents", {"title": "Lift", "tickets": [three["id"], "0" * 26]})
    assert unknown.status_code == 404
    closed = firm.event(three["id"], three["version"], {"type": "close", "reason": "duplicate"})
    assert closed.status_code == 201
    late = firm.call("POST", "/api/incidents", {"title": "Lift", "tickets": [three["id"]]})
    assert late.status_code == 409 and "closed" in body(late)["error"]["fields"]["tickets[0]"]


@pytest.mark.parametrize("payload, field", [
    ({"title": "", "tickets": []}, "title"),
    ({"title": "Lift", "tickets": "01H"}, "tickets"),
    ({"title": "Lift", "tickets": ["../../etc/passwd"]}, "tickets[0]"),
    ({"title": "x" * 500, "tickets": ["0" * 26]}, "title"),
    ({"title": "Lift", "tickets": ["0" * 26] * 51}, "tickets"),
    ({"title": "Lift", "tickets": [{"$ne": 1}]}, "tickets[0]"),
    ({"title": "Lift", "tickets": ["0" * 26], "lead": "me"}, "lead"),
])
def test_hostile_incident_bodies_are_refused_naming_the_field(client, firm, payload, field):
    response = firm.call("POST", "/api/incidents", payload)
    assert response.status_code == 422, response.body
    assert field in body(response)["error"]["fields"]


def test_incident_actions_need_if_match_and_a_real_note(client, firm):
    one, two = firm.new_ticket(), firm.new_ticket()
    made = body(firm.call("POST", "/api/incidents", {"title": "Lift down", "tickets": [one["id"], two["id"]]}))
    path = f"/api/incidents/{made['id']}/events"
    assert firm.call("POST", path, {"type": "resolve", "note": "done"}).status_code == 428
    blank = firm.call("POST", path, {"type": "resolve", "note": "   "}, **{"If-Match": f'"{made["version"]}"'})
    assert blank.status_code == 422 and "note" in body(blank)["error"]["fields"]
    wrong = firm.call("POST", path, {"type": "explode"}, **{"If-Match": f'"{made["version"]}"'})
    assert wrong.status_code == 422 and "type" in body(wrong)["error"]["fields"]
    assert firm.call("POST", "/api/incidents/not-an-id/events", {"type": "update", "body": "x"},
                     **{"If-Match": '"1"'}).status_code == 404
    assert body(firm.call("GET", f"/api/tickets/{one['id']}"))["status"] == "new"  # nothing was resolved


def test_another_firms_tickets_and_incidents_answer_404_and_change_nothing(client, firm, other_firm):
    mine = [firm.new_ticket(), firm.new_ticket()]
    made = body(firm.call("POST", "/api/incidents", {"title": "Lift down", "tickets": [t["id"] for t in mine]}))
    theirs = [other_firm.new_ticket(), other_firm.new_ticket()]
    # another firm cannot merge my reports, nor see, act on or add to my incident
    assert other_firm.call("POST", "/api/incidents",
                           {"title": "Steal", "tickets": [mine[0]["id"]]}).status_code == 404
    assert other_firm.call("GET", f"/api/incidents/{made['id']}").status_code == 404
    for payload in ({"type": "resolve", "note": "done"}, {"type": "merge", "ticket_id": theirs[0]["id"]},
                    {"type": "unmerge", "ticket_id": mine[1]["id"]}):
        response = other_firm.call("POST", f"/api/incidents/{made['id']}/events", payload,
                                   **{"If-Match": f'"{made["version"]}"'})
        assert response.status_code == 404, response.body
    assert other_firm.call("GET", f"/api/tickets/{mine[0]['id']}/similar").status_code == 404
    # nor can I merge another firm's report into mine
    theirs_in = firm.call("POST", f"/api/incidents/{made['id']}/events", {"type": "merge", "ticket_id": theirs[0]["id"]},
                          **{"If-Match": f'"{made["version"]}"'})
    assert theirs_in.status_code == 404
    assert body(firm.call("GET", f"/api/incidents/{made['id']}"))["version"] == made["version"]
    assert body(other_firm.call("GET", f"/api/tickets/{theirs[0]['id']}"))["incident"] is None
    assert all(body(firm.call("GET", f"/api/tickets/{t['id']}"))["status"] == "new" for t in mine)


def test_suggestions_are_open_reports_of_the_same_building_and_category_from_the_last_two_hours(client, firm):
    first = firm.new_ticket()
    same = [firm.new_ticket() for _ in range(3)]
    other_category = firm.call("POST", "/api/tickets", firm.report(category="fees"))
    assert other_category.status_code == 201, other_category.body
    closed = firm.new_ticket()
    assert firm.event(closed["id"], closed["version"], {"type": "close", "reason": "spam"}).status_code == 201
    found = body(firm.call("GET", f"/api/tickets/{first['id']}/similar"))
    assert sorted(t["id"] for t in found["tickets"]) == sorted(t["id"] for t in same)
    assert found["hours"] == 2
