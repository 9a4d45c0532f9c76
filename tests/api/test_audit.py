"""The audit log, generated from the route table: every admin route that changes something
leaves an entry (who, when, which route and ids, the answer, the network) that admins can
read and filter, that holds nothing of the request's body, and that staff cannot read."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

import app as _app  # noqa: F401 — registers every route in ROUTES
from chalicelib.api.http import ROUTES
from tests.api.test_isolation import payload_for, send
from tests.support import body

ADMIN_CHANGES = [r for r in ROUTES if r.admin and r.method != "GET"]


@pytest.fixture(scope="module")
def desk(client):
    from tests.support import Firm
    firm = Firm.sign_up(client)
    staff_sub, staff_token = firm.add_staff()
    campaign = body(firm.call("POST", "/api/campaigns", {"name": "Survey", "property_ids": [firm.property_id],
                                                         "opens_on": "2026-12-01", "closes_on": "2026-12-31"}))["id"]
    return {"firm": firm, "staff": (staff_sub, staff_token), "ids": {
        "property_id": firm.property_id, "building_id": firm.building_id, "staff_id": staff_sub,
        "campaign_id": campaign, "ticket_id": firm.new_ticket()["id"]}}


def test_there_are_admin_routes_that_change_things():
    assert {("PUT", "/api/standards"), ("POST", "/api/staff"), ("PUT", "/api/tenant/retention")} <= \
        {(r.method, r.path) for r in ADMIN_CHANGES}


@pytest.mark.parametrize("route", ADMIN_CHANGES, ids=lambda r: f"{r.method} {r.path}")
def test_every_admin_change_is_in_the_audit_log(desk, route):
    firm = desk["firm"]
    path = re.sub(r"{(\w+)}", lambda m: desk["ids"][m.group(1)], route.path)
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    response = send(firm, route, path, payload_for(route, firm))
    assert response.status_code < 400, response.body
    action = f"{route.method} {route.path}"
    entries = body(firm.call("GET", f"/api/audit?action={action.replace(' ', '%20')}"))["entries"]
    assert entries, action
    newest = entries[0]
    assert newest["action"] == action and newest["status"] == response.status_code
    assert newest["actor"]["id"] == firm.admin_sub
    assert datetime.fromisoformat(newest["at"].replace("Z", "+00:00")) >= started
    assert newest["target"] == {name: desk["ids"][name] for name in re.findall(r"{(\w+)}", route.path)}


def test_the_log_keeps_no_body_and_staff_cannot_read_it(desk):
    firm = desk["firm"]
    invited = {"email": "li.na.invited@example.com", "name": "Li Na", "role": "staff"}
    assert firm.call("POST", "/api/staff", invited).status_code == 201
    text = firm.call("GET", "/api/audit").body.decode()
    assert "li.na.invited@example.com" not in text and "POST /api/staff" in text  # a person's address: not kept
    _, staff_token = firm.add_staff(name="Zhao Lei")
    assert firm.call("GET", "/api/audit", token=staff_token).status_code == 403


def _newest(firm, action: str) -> dict:
    return body(firm.call("GET", f"/api/audit?action={action.replace(' ', '%20')}&limit=1"))["entries"][0]


def test_a_settings_change_keeps_each_value_before_and_after(desk):
    firm = desk["firm"]
    before = body(firm.call("GET", "/api/tenant/retention"))
    assert firm.call("PUT", "/api/tenant/retention", {"contact_days": 45, "photo_days": before["photo_days"]}
                     ).status_code == 200
    assert _newest(firm, "PUT /api/tenant/retention")["changes"] == [
        {"setting": "retention.contact_days", "before": before["contact_days"], "after": 45}]  # photos: unchanged

    assert firm.call("PUT", "/api/tenant/resident-page", {"service_phone": "400-820-8820"}).status_code == 200
    assert firm.call("PUT", "/api/tenant/resident-page", {"service_phone": "021-5555 0100"}).status_code == 200
    assert _newest(firm, "PUT /api/tenant/resident-page")["changes"] == [
        {"setting": "resident_page.service_phone", "before": "400-820-8820", "after": "021-5555 0100"}]

    staff_sub, _ = firm.add_staff(name="Qian Li")
    assert firm.call("PATCH", f"/api/staff/{staff_sub}", {"role": "admin"}).status_code == 200
    assert _newest(firm, "PATCH /api/staff/{staff_id}")["changes"] == [
        {"setting": "staff.role", "before": "staff", "after": "admin"}]


def test_a_standards_change_is_kept_box_by_box_and_a_secret_only_as_changed(desk):
    firm = desk["firm"]
    answer = firm.call("GET", "/api/standards")
    document = body(answer)["standards"]
    category = document["categories"][0]
    row = document["targets"].setdefault(category["key"], {})
    old = (row.get("*") or {}).get("resolution")
    row["*"] = {**(row.get("*") or {}), "resolution": "9d"}
    level1 = document.setdefault("escalation", {}).setdefault("level1", {})
    level1["notify"] = [{"channel": "webhook", "url": "https://hooks.example.com/propdesk",
                         "secret": "s3cret-of-the-firm-123456"}]
    saved = firm.call("PUT", "/api/standards", {"standards": document}, **{"If-Match": answer.headers["ETag"]})
    assert saved.status_code == 200, saved.body
    entry = _newest(firm, "PUT /api/standards")
    by_setting = {c["setting"]: c for c in entry["changes"]}
    target = by_setting[f"standards:targets.{category['key']}.*.resolution"]
    assert (target["before"], target["after"]) == (old or "", "9d")
    assert target["names"]["category"] == category["name"] and target["names"]["priority"] is None
    assert by_setting["standards:escalation.level1.notify[0].secret"] == {
        "setting": "standards:escalation.level1.notify[0].secret", "hidden": True}
    assert by_setting["standards:escalation.level1.notify[0].address"].get("hidden") is True  # a URL may hold a key
    assert "s3cret-of-the-firm" not in str(entry) and "hooks.example.com" not in str(entry)


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=many", "limit"), ("action=" + "x" * 200, "action")])
def test_a_bad_filter_is_a_422_naming_it(desk, query, field):
    answer = desk["firm"].call("GET", f"/api/audit?{query}")
    assert answer.status_code == 422 and field in body(answer)["error"]["fields"]


def test_another_firm_sees_only_its_own_entries(desk, other_firm):
    answer = other_firm.call("GET", "/api/audit")
    entries = body(answer)["entries"]
    assert entries and {e["actor"]["id"] for e in entries} == {other_firm.admin_sub}  # its own sign-up's register
    assert not any(value in answer.body.decode() for value in desk["ids"].values())


def test_an_entry_names_the_network_not_the_address():
    from chalicelib.domain.audit import network_of
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8:1:2::5") == "2001:db8:1::/48"
    assert network_of("") == ""
