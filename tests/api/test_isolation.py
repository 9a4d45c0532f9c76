"""Tenant isolation and authentication, for every route, generated from the route table.

Given firm A with data and firm B signed in, every authorized route called by B with
A's ids answers 404 and changes nothing; without a token every one answers 401; a
staff member gets 403 on every admin route. A new route without an entry in
VALID_BODIES fails here, so nobody can add a route and skip these checks.
"""

from __future__ import annotations

import json
import re

import pytest

import app as _app  # noqa: F401 — registers every route in ROUTES (imports touch no AWS)
from chalicelib.api.http import ROUTES
from tests.support import body

AUTH_ROUTES = [r for r in ROUTES if r.auth]

VALID_BODIES = {
    ("GET", "/api/tenant"): None,
    ("GET", "/api/standards"): None,
    ("PUT", "/api/standards"): "standards",
    ("GET", "/api/standards/history"): None,
    ("GET", "/api/notifications"): None,
    ("GET", "/api/tickets"): None,
    ("POST", "/api/tickets"): "report",
    ("GET", "/api/tickets/{ticket_id}"): None,
    ("PATCH", "/api/tickets/{ticket_id}"): {"urgency": "urgent"},
    ("POST", "/api/tickets/{ticket_id}/events"): {"type": "comment", "body": "hello", "visibility": "public"},
    ("GET", "/api/properties"): None,
    ("POST", "/api/properties"): {"name": "Another court"},
    ("GET", "/api/properties/{property_id}"): None,
    ("POST", "/api/properties/{property_id}/buildings"): {"name": "Block 9"},
    ("GET", "/api/properties/{property_id}/buildings/{building_id}/units"): None,
    ("POST", "/api/properties/{property_id}/buildings/{building_id}/units"): {"code": "909"},
    ("POST", "/api/properties/{property_id}/units/import"): "building,unit\nBlock 3,1301\n",
    ("GET", "/api/properties/{property_id}/poster.svg"): None,
    ("GET", "/api/properties/{property_id}/poster"): None,
    ("GET", "/api/staff"): None,
    ("POST", "/api/staff"): "invite",
    ("PATCH", "/api/staff/{staff_id}"): {"role": "admin"},
    ("GET", "/api/scores"): None,
    ("GET", "/api/scores/trend"): None,
    ("GET", "/api/exports/scores.csv"): None,
    ("GET", "/api/exports/tickets.csv"): None,
    ("GET", "/api/reports/{period}"): None,
    ("POST", "/api/campaigns"): "campaign",
    ("GET", "/api/campaigns"): None,
    ("GET", "/api/campaigns/{campaign_id}/results"): None,
    ("GET", "/api/campaigns/{campaign_id}/poster.svg"): None,
    ("GET", "/api/tenant/resident-page"): None,
    ("PUT", "/api/tenant/resident-page"): {"service_phone": "400-820-8820"},
    ("PUT", "/api/properties/{property_id}/service-phone"): {"service_phone": "400-820-8820"},
    ("GET", "/api/tenant/retention"): None,
    ("PUT", "/api/tenant/retention"): {"contact_days": 90, "photo_days": 200},
    ("GET", "/api/audit"): None,
    ("GET", "/api/usage"): None,
    ("GET", "/api/properties/{property_id}/checklist"): None,
    ("PUT", "/api/properties/{property_id}/checklist"): "checklist",
    ("GET", "/api/properties/{property_id}/inspections"): None,
    ("GET", "/api/properties/{property_id}/inspections/{month}"): None,
    ("PUT", "/api/properties/{property_id}/inspections/{month}"): {"version": 1, "results": {
        "lobby_clean": {"passed": True}}},
    ("POST", "/api/properties/{property_id}/inspections/{month}/items/{item_key}/ticket"): {"version": 1},
    ("POST", "/api/incidents"): {"title": "Lift down", "tickets": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"]},
    ("GET", "/api/incidents/{incident_id}"): None,
    ("POST", "/api/incidents/{incident_id}/events"): {"type": "update", "body": "The lift runs again."},
    ("GET", "/api/tickets/{ticket_id}/similar"): None,
    ("GET", "/api/search/tickets"): None,
    ("GET", "/api/tsm/return"): None,
    ("PUT", "/api/tenant/logo"): {"image": "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGOQz9+CFTEMLQkAT1lQgcVB1ZIAAAAASUVORK5CYII="},
    ("DELETE", "/api/tenant/logo"): None,
    ("GET", "/api/exports/tsm.csv"): None,
    ("POST", "/api/firm/exports"): None,
    ("GET", "/api/firm/exports"): None,
    ("GET", "/api/firm/exports/{export_id}"): None,
    ("GET", "/api/firm/deletion"): None,
    ("POST", "/api/firm/deletion"): "deletion",
    ("DELETE", "/api/firm/deletion"): None,
}
# What a list route needs in its query to list anything (the search looks for firm A's unit).
LIST_QUERIES = {"/api/search/tickets": "?by=unit&q=1203"}


def route_id(route) -> str:
    return f"{route.method} {route.path}"


def payload_for(route, firm):
    value = VALID_BODIES[(route.method, route.path)]
    if value == "report":
        return firm.report()
    if value == "standards":
        return {"standards": body(firm.call("GET", "/api/standards"))["standards"]}
    if value == "campaign":
        return {"name": "Survey", "property_ids": [firm.property_id], "opens_on": "2026-12-01",
                "closes_on": "2026-12-31"}
    if value == "checklist":
        from chalicelib.domain.inspections import STARTER
        current = body(firm.call("GET", f"/api/properties/{firm.property_id}/checklist"))["version"]
        return {**STARTER, "version": current}
    if value == "deletion":
        return {"slug": firm.slug}
    if value == "invite":
        from tests.support import unique
        return {"email": f"{unique('x')}@example.com", "name": "Someone"}
    return value


@pytest.fixture(scope="module")
def world(client):
    """Firm A with a ticket, staff and register; firm B with its own admin and staff."""
    from tests.support import Firm
    a, b = Firm.sign_up(client), Firm.sign_up(client)
    a_staff_sub, a_staff_token = a.add_staff()
    b_staff_sub, b_staff_token = b.add_staff()
    ticket = a.new_ticket()
    # firm A's review of a month to come, finalised (only A's: B has none for that period)
    from tests.api.test_scorecard import MONTH_KEY, NIGHT_AFTER
    from chalicelib.services import rollups
    from chalicelib.store import rollups as rollup_store, schema
    night = NIGHT_AFTER
    for shard in range(schema.WORK_SHARDS):
        for slot in rollup_store.due_slots(shard, night):
            if slot.tenant_id == a.tenant_id:
                rollups.finalise_firm(slot, night)
    assert a.call("GET", f"/api/reports/{MONTH_KEY}").status_code == 200
    a_campaign = body(a.call("POST", "/api/campaigns", {"name": "A's survey", "property_ids": [a.property_id],
                                                        "opens_on": "2026-12-01", "closes_on": "2026-12-31"}))["id"]
    # firm A's November inspection of its property, with a failed item
    from chalicelib.domain.inspections import STARTER, items_of
    assert a.call("PUT", f"/api/properties/{a.property_id}/checklist", {**STARTER, "version": 0}).status_code == 200
    results = {i.key: {"passed": i.key != "lifts_work", "note": "stuck"} for i in items_of(STARTER)}
    assert a.call("PUT", f"/api/properties/{a.property_id}/inspections/M2026-11",
                  {"version": 0, "results": results}).status_code == 200
    a_incident = body(a.call("POST", "/api/incidents", {"title": "Lift down",
                                                        "tickets": [a.new_ticket()["id"], a.new_ticket()["id"]]}))
    a_export = body(a.call("POST", "/api/firm/exports"))["id"]
    return {"a": a, "b": b, "a_ticket": ticket, "a_incident": a_incident, "a_period": MONTH_KEY, "a_campaign": a_campaign,
            "a_export": a_export, "a_staff": (a_staff_sub, a_staff_token),
            "b_staff": (b_staff_sub, b_staff_token)}


def fill(path: str, world) -> str:
    a = world["a"]
    values = {"ticket_id": world["a_ticket"]["id"], "property_id": a.property_id, "building_id": a.building_id,
              "staff_id": world["a_staff"][0], "period": world["a_period"],
              "campaign_id": world["a_campaign"], "month": "M2026-11", "item_key": "lifts_work",
              "incident_id": world["a_incident"]["id"], "export_id": world["a_export"]}
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


def send(firm, route, path, payload, token=None):
    headers = {}
    if route.path.endswith("/import"):
        headers["Content-Type"] = "text/csv"
    if "If-Match" in route.headers:
        headers["If-Match"] = '"1"'
    data = payload if isinstance(payload, str) or payload is None else json.dumps(payload)
    return firm.call(route.method, path, data, token=token, **headers)


def snapshot_of_a(world) -> str:
    """Everything firm A can see about itself, to prove B changed nothing."""
    a = world["a"]
    parts = [a.call("GET", f"/api/tickets/{world['a_ticket']['id']}").body,
             a.call("GET", f"/api/incidents/{world['a_incident']['id']}").body,
             a.call("GET", f"/api/properties/{a.property_id}").body,
             a.call("GET", f"/api/properties/{a.property_id}/buildings/{a.building_id}/units").body,
             a.call("GET", "/api/staff").body, a.call("GET", "/api/properties").body,
             a.call("GET", f"/api/properties/{a.property_id}/checklist").body,
             a.call("GET", f"/api/properties/{a.property_id}/inspections").body]
    text = "\n".join(p.decode() for p in parts)
    return re.sub(r'"seconds_left":-?\d+', '"seconds_left":_', text)  # the clock moves; the data must not


def test_every_authorized_route_has_an_isolation_case():
    missing = [route_id(r) for r in AUTH_ROUTES if (r.method, r.path) not in VALID_BODIES]
    assert not missing, f"add these routes to VALID_BODIES: {missing}"


@pytest.mark.parametrize("route", [r for r in AUTH_ROUTES if "{" in r.path], ids=route_id)
def test_another_firms_ids_answer_404_and_change_nothing(world, route):
    before = snapshot_of_a(world)
    response = send(world["b"], route, fill(route.path, world), payload_for(route, world["b"]))
    assert response.status_code == 404, response.body
    assert body(response)["error"]["code"] == "not_found"
    assert snapshot_of_a(world) == before


@pytest.mark.parametrize("route", [r for r in AUTH_ROUTES if "{" not in r.path and r.method == "GET"], ids=route_id)
def test_lists_show_only_your_own_firm(world, route):
    a = world["a"]
    response = send(world["b"], route, route.path + LIST_QUERIES.get(route.path, ""), None)
    assert response.status_code == 200, response.body
    text = response.body.decode()
    for foreign in (a.tenant_id, a.property_id, a.building_id, world["a_ticket"]["id"], world["a_staff"][0], a.slug,
                    world["a_export"]):
        assert foreign not in text


@pytest.mark.parametrize("route", AUTH_ROUTES, ids=route_id)
def test_no_token_answers_401(world, client, route):
    path = fill(route.path, world)
    response = client.http.request(route.method, path, headers={"Content-Type": "application/json"}, body=b"{}")
    assert response.status_code == 401
    assert body(response)["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("route", [r for r in AUTH_ROUTES if r.admin], ids=route_id)
def test_staff_are_refused_admin_routes_with_403(world, route):
    a = world["a"]
    before = snapshot_of_a(world)
    response = send(a, route, fill(route.path, world), payload_for(route, a), token=world["a_staff"][1])
    assert response.status_code == 403, response.body
    assert snapshot_of_a(world) == before


def test_a_tracking_link_cannot_be_bent_to_another_firm(world):
    from chalicelib.domain import tokens
    a, b = world["a"], world["b"]
    token = body(a.submit())["ticket"]["tracking_token"]
    assert a.client.http.get(f"/t/{token}").status_code == 200
    original = tokens.read(token)
    # Same secret and ticket, but naming firm B: the stored digest belongs to A's ticket only.
    import base64
    from ulid import ULID
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    forged = base64.urlsafe_b64encode(ULID.from_str(b.tenant_id).bytes + raw[16:]).decode().rstrip("=")
    assert tokens.read(forged).subject_id == original.subject_id
    assert a.client.http.get(f"/t/{forged}").status_code == 404
    assert a.client.http.get(f"/t/{token[:-2]}xx").status_code == 404
