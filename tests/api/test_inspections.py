"""Monthly inspections through the API: admins set a property's checklist, staff record the
month, a failed item opens one ticket, and the month's scores move with the inspection.

Expected figures are counted by hand from the results sent; the scores are read back
from the score counters (one Query), never from the inspection itself."""

from __future__ import annotations

import pytest

from tests.support import body

MONTH = "M2026-11"


def named(zh: str, en: str) -> dict:
    return {"zh-CN": zh, "en": en}


# 2 areas, 4 items
CHECKLIST = {"version": 0, "areas": [
    {"key": "sanitation", "name": named("环境卫生", "Cleanliness"), "items": [
        {"key": "lobby", "name": named("大堂洁净", "Lobby clean")},
        {"key": "bins", "name": named("垃圾清运", "Bins emptied")}]},
    {"key": "facilities", "name": named("公共设施", "Communal facilities"), "items": [
        {"key": "lights", "name": named("公共照明", "Lights")},
        {"key": "lifts", "name": named("电梯", "Lifts")}]},
]}


def results(**failed: str) -> dict:
    return {key: ({"passed": False, "note": failed[key]} if key in failed else {"passed": True})
            for key in ("lobby", "bins", "lights", "lifts")}


@pytest.fixture
def desk(firm):
    """A firm whose property has the checklist above, and a staff member signed in."""
    saved = firm.call("PUT", f"/api/properties/{firm.property_id}/checklist", CHECKLIST)
    assert saved.status_code == 200, saved.body
    firm.staff_sub, firm.staff_token = firm.add_staff()
    return firm


def inspections_url(firm, month: str = MONTH) -> str:
    return f"/api/properties/{firm.property_id}/inspections/{month}"


def record(firm, version: int = 0, **failed: str):
    return firm.call("PUT", inspections_url(firm), {"version": version, "results": results(**failed)},
                     token=firm.staff_token)


def inspection_counters(firm, period: str, by: str, value: str) -> dict:
    from chalicelib.store import scores
    counters = scores.period(firm.tenant_id, period).get((by, value), {})
    return {k: v for k, v in counters.items() if k.startswith("insp")}


def test_a_property_without_a_checklist_offers_the_seeds_four_areas(firm):
    answer = body(firm.call("GET", f"/api/properties/{firm.property_id}/checklist"))
    assert answer["version"] == 0 and answer["saved"] is False
    assert [a["name"]["zh-CN"] for a in answer["checklist"]["areas"]] == ["环境卫生", "绿化", "公共设施", "服务态度"]


def test_staff_record_a_month_and_the_tallies_and_scores_follow(desk):
    response = record(desk, lights="two bulbs out on floor 3")
    assert response.status_code == 200, response.body
    saved = body(response)
    assert (saved["passed"], saved["items"], saved["version"]) == (3, 4, 1)
    assert saved["by_area"] == {"sanitation": {"passed": 2, "items": 2}, "facilities": {"passed": 1, "items": 2}}
    assert saved["results"]["lights"]["note"] == "two bulbs out on floor 3"
    expected = {"insp_done": 1, "insp_n": 4, "insp_pass": 3, "insp.sanitation.n": 2, "insp.sanitation.pass": 2,
                "insp.facilities.n": 2, "insp.facilities.pass": 1}
    for period in (MONTH, "Q2026-4"):
        assert inspection_counters(desk, period, "property", desk.property_id) == expected
        assert inspection_counters(desk, period, "all", "all") == expected
    listed = body(desk.call("GET", f"/api/properties/{desk.property_id}/inspections?month={MONTH}"))
    assert [(i["month"], i["passed"], i["items"]) for i in listed["inspections"]] == [(MONTH, 3, 4)]


def test_a_correction_moves_only_the_difference_and_a_stale_version_is_409(desk):
    assert record(desk, lights="out", lifts="stuck").status_code == 200  # 2 of 4
    stale = record(desk, version=0)
    assert stale.status_code == 409
    assert body(stale)["error"]["fields"] == {"version": "version 0 is no longer current"}
    corrected = record(desk, version=1, lifts="stuck")  # 3 of 4
    assert corrected.status_code == 200, corrected.body
    counters = inspection_counters(desk, MONTH, "property", desk.property_id)
    assert (counters["insp_done"], counters["insp_n"], counters["insp_pass"]) == (1, 4, 3)
    assert counters["insp.facilities.pass"] == 1


def test_an_incomplete_inspection_is_refused_by_item_and_nothing_moves(desk):
    partial = {"lobby": {"passed": True}, "bins": {"passed": False}, "lights": {"passed": "yes"}}
    response = desk.call("PUT", inspections_url(desk), {"version": 0, "results": partial}, token=desk.staff_token)
    assert response.status_code == 422
    assert body(response)["error"]["fields"] == {"results.bins.note": "say what is wrong with a failed item",
                                                 "results.lights.passed": "must be true or false",
                                                 "results.lifts": "needs a result: passed or failed"}
    assert inspection_counters(desk, MONTH, "all", "all") == {}
    assert desk.call("GET", inspections_url(desk)).status_code == 404


@pytest.mark.parametrize("month", ["2026-11", "M2026-13", "Q2026-4"])
def test_a_month_that_is_not_a_month_is_422_naming_it(desk, month):
    response = desk.call("PUT", inspections_url(desk, month), {"version": 0, "results": results()},
                         token=desk.staff_token)
    assert response.status_code == 422
    assert body(response)["error"]["fields"] == {"month": "must be a month like M2026-11"}


def test_a_property_without_a_checklist_cannot_be_inspected(firm):
    response = firm.call("PUT", f"/api/properties/{firm.property_id}/inspections/{MONTH}",
                         {"version": 0, "results": results()})
    assert response.status_code == 422
    assert body(response)["error"]["fields"] == {"property_id": "has no inspection checklist yet"}


def test_a_bad_checklist_is_refused_by_place_and_the_old_one_stays(desk):
    bad = {"version": 1, "areas": [{"key": "x", "name": named("甲", ""), "items": []}]}
    response = desk.call("PUT", f"/api/properties/{desk.property_id}/checklist", bad)
    assert response.status_code == 422
    assert body(response)["error"]["fields"] == {"areas[0].name.en": "write the name in this language",
                                                 "areas[0].items": "must be a list of at least one item"}
    kept = body(desk.call("GET", f"/api/properties/{desk.property_id}/checklist"))
    assert kept["version"] == 1 and [a["key"] for a in kept["checklist"]["areas"]] == ["sanitation", "facilities"]


def test_staff_cannot_change_a_checklist(desk):
    response = desk.call("PUT", f"/api/properties/{desk.property_id}/checklist", {**CHECKLIST, "version": 1},
                         token=desk.staff_token)
    assert response.status_code == 403


def test_a_failed_item_opens_one_ticket_linked_both_ways(desk):
    assert record(desk, lifts="lift B stops between floors").status_code == 200
    url = f"{inspections_url(desk)}/items/lifts/ticket"
    opened = desk.call("POST", url, {"version": 1}, token=desk.staff_token)
    assert opened.status_code == 201, opened.body
    ticket_id = body(opened)["ticket_id"]
    again = desk.call("POST", url, {"version": 1}, token=desk.staff_token)  # a double tap
    assert again.status_code == 200 and body(again)["ticket_id"] == ticket_id
    ticket = body(desk.call("GET", f"/api/tickets/{ticket_id}"))
    assert ticket["property_id"] == desk.property_id and ticket["building_id"] == desk.building_id
    # a communal facility is a repair at normal priority (never the template's first, water-leak emergency)
    assert (ticket["category"], ticket["urgency"]) == ("repairs", "normal")
    assert "lift B stops between floors" in ticket["description"] and MONTH in ticket["description"]
    inspection = body(desk.call("GET", inspections_url(desk)))
    assert inspection["results"]["lifts"]["ticket_id"] == ticket_id and inspection["version"] == 2
    queue = body(desk.call("GET", "/api/tickets"))
    assert [t["id"] for t in queue["tickets"]].count(ticket_id) == 1


def test_a_passed_item_opens_no_ticket(desk):
    assert record(desk, lifts="stuck").status_code == 200
    response = desk.call("POST", f"{inspections_url(desk)}/items/lobby/ticket", {"version": 1})
    assert response.status_code == 422
    assert body(response)["error"]["fields"] == {"item": "passed this inspection"}
    missing = desk.call("POST", f"{inspections_url(desk)}/items/nothing/ticket", {"version": 1})
    assert missing.status_code == 404


def test_another_firms_inspection_reads_as_absent(desk, other_firm):
    assert record(desk, lifts="stuck").status_code == 200
    for method, path, payload in (
            ("GET", inspections_url(desk), None),
            ("GET", f"/api/properties/{desk.property_id}/inspections", None),
            ("GET", f"/api/properties/{desk.property_id}/checklist", None),
            ("PUT", f"/api/properties/{desk.property_id}/checklist", CHECKLIST),
            ("PUT", inspections_url(desk), {"version": 1, "results": results()}),
            ("POST", f"{inspections_url(desk)}/items/lifts/ticket", {"version": 1})):
        response = other_firm.call(method, path, payload)
        assert response.status_code == 404, (method, path, response.body)
    assert body(desk.call("GET", inspections_url(desk)))["version"] == 1
    assert inspection_counters(other_firm, MONTH, "all", "all") == {}


def test_the_monthly_review_and_the_scorecard_line_carry_the_months_inspections(desk):
    from tests.api.test_scorecard import MONTH_KEY, NIGHT_AFTER
    from chalicelib.domain import inspections
    from chalicelib.services import rollups
    from chalicelib.store import rollups as rollup_store, schema
    # a second property, 1 of its 2 items passed; the first: 3 of 4
    second = body(desk.call("POST", "/api/properties", {"name": "River View", "address": "2 River Rd"}))["id"]
    small = {"version": 0, "areas": [{"key": "facilities", "name": named("公共设施", "Communal facilities"), "items": [
        {"key": "gate", "name": named("门禁", "Gate")}, {"key": "pump", "name": named("水泵", "Pump")}]}]}
    assert desk.call("PUT", f"/api/properties/{second}/checklist", small).status_code == 200
    assert desk.call("PUT", f"{inspections_url(desk, MONTH_KEY)}", {"version": 0, "results": results(lifts="stuck")},
                     token=desk.staff_token).status_code == 200
    assert desk.call("PUT", f"/api/properties/{second}/inspections/{MONTH_KEY}", {"version": 0, "results": {
        "gate": {"passed": True}, "pump": {"passed": False, "note": "leaks"}}}).status_code == 200
    for shard in range(schema.WORK_SHARDS):
        for slot in rollup_store.due_slots(shard, NIGHT_AFTER):
            if slot.tenant_id == desk.tenant_id:
                rollups.finalise_firm(slot, NIGHT_AFTER)
    review = body(desk.call("GET", f"/api/reports/{MONTH_KEY}"))
    review = review.get("report", review)
    # firm: 4 of 6; cleanliness 2 of 2; communal facilities 1 of 2 + 1 of 2 = 2 of 4
    assert (review["inspections"]["passed"], review["inspections"]["items"]) == (4, 6)
    assert {a["key"]: (a["passed"], a["items"]) for a in review["inspections"]["areas"]} == \
        {"sanitation": (2, 2), "facilities": (2, 4)}
    by_property = {p["id"]: p["inspections"] for p in review["properties"]}
    assert (by_property[desk.property_id]["passed"], by_property[desk.property_id]["items"]) == (3, 4)
    assert (by_property[second]["passed"], by_property[second]["items"]) == (1, 2)
    english = inspections.scorecard_lines(review, "en", lambda text: text, publish=True)
    assert english == ["Monthly inspections: 4 of 6 items passed", "Communal facilities: 2 of 4 items passed",
                       "Cleanliness: 2 of 2 items passed"]
    from chalicelib import web
    chinese = inspections.scorecard_lines(review, "zh-CN", lambda text: web.gettext("zh-CN", text), publish=True)
    assert chinese[0] == "月度品质检查：6 项中 4 项合格" and chinese[1] == "公共设施：4 项中 2 项合格"
    assert inspections.scorecard_lines(review, "en", lambda text: text, publish=False) == []


def test_the_published_scorecard_page_shows_inspections_only_when_the_firm_publishes_them(client, desk):
    from tests.api.test_scorecard import MONTH_KEY, NIGHT_AFTER, publish
    from chalicelib.services import rollups
    assert desk.call("PUT", inspections_url(desk, MONTH_KEY), {"version": 0, "results": results(lifts="stuck")},
                     token=desk.staff_token).status_code == 200
    rollups.run(NIGHT_AFTER)
    publish(desk, publish=True)

    def page(lang: str) -> str:
        answer = client.http.get(f"/p/{desk.slug}/scorecard?lang={lang}")
        assert answer.status_code == 200
        return answer.body.decode()

    assert "3 of 4 items passed" not in page("en")  # published scores, but not the inspections
    publish(desk, publish_inspections=True)
    english, chinese = page("en"), page("zh-CN")
    # 3 of the 4 items passed: cleanliness 2 of 2, communal facilities 1 of 2
    for line in ("Monthly inspections: 3 of 4 items passed", "Cleanliness: 2 of 2 items passed",
                 "Communal facilities: 1 of 2 items passed"):
        assert line in english
    assert english.count("Monthly inspections: ") == 1  # the month's section only, not the quarter's
    for line in ("月度品质检查：4 项中 3 项合格", "环境卫生：2 项中 2 项合格", "公共设施：2 项中 1 项合格"):
        assert line in chinese
    assert "items passed" not in chinese and "Monthly inspections" not in chinese


@pytest.mark.parametrize("payload, fields", [
    ([], {"results": "must be a mapping of item to result"}),
    ({"version": "0", "results": results()}, {"version": "must be the whole number you read"}),
    ({"version": True, "results": results()}, {"version": "must be the whole number you read"}),
    ({"version": 0, "results": ["lobby"]}, {"results": "must be a mapping of item to result"}),
    ({"version": 0, "results": {**results(), "lobby": {"passed": False, "note": "x" * 1001}}},
     {"results.lobby.note": "must be at most 1000 characters"}),
    ({"version": 0, "results": {**results(), "lobby": {"passed": False, "note": 7}}},
     {"results.lobby.note": "must be text"}),
    ({"version": 0, "results": {**results(), "lobby": "passed"}}, {"results.lobby": "must be a mapping"}),
])
def test_hostile_results_are_refused_by_field_and_write_nothing(desk, payload, fields):
    response = desk.call("PUT", inspections_url(desk), payload, token=desk.staff_token)
    assert response.status_code == 422, response.body
    assert body(response)["error"]["fields"] == fields
    assert desk.call("GET", inspections_url(desk)).status_code == 404
    assert inspection_counters(desk, MONTH, "all", "all") == {}


@pytest.mark.parametrize("raw", [b"{", b"[1e999]", b"", "{\"version\": 0, \"results\": {\"lobby\": \"\\ud800\"}}".encode()])
def test_unreadable_bodies_are_4xx_and_write_nothing(desk, raw):
    response = desk.call("PUT", inspections_url(desk), raw, token=desk.staff_token)
    assert 400 <= response.status_code < 500, response.body
    assert set(body(response)["error"]) == {"code", "message", "fields"}
    assert desk.call("GET", inspections_url(desk)).status_code == 404
