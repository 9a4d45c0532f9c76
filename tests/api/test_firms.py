"""A firm signs up, runs its register and its staff; integrators read the OpenAPI."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.support import PASSWORD, Firm, body, sign_in_token, unique


def signup(client, **overrides):
    slug = unique("co")
    data = {"name": "Harmony Gardens 和谐花园", "slug": slug, "time_zone": "Asia/Shanghai", "locale": "zh-CN",
            "admin_email": f"boss-{slug}@example.com", "template": "prc-residential", **overrides}
    return client.http.post("/signup", headers={"Content-Type": "application/json"}, body=json.dumps(data)), data


def test_a_firm_signs_up_and_its_admin_signs_in_with_tenant_and_role_on_the_token(client):
    response, data = signup(client)
    assert response.status_code == 201, response.body
    answer = body(response)
    assert answer["tenant"]["slug"] == data["slug"]
    assert answer["admin"]["local_only"]["temporary_password"]  # the local stack cannot e-mail it
    first = body(client.http.post("/auth/signin", headers={"Content-Type": "application/json"}, body=json.dumps(
        {"email": data["admin_email"], "password": answer["admin"]["local_only"]["temporary_password"]})))
    assert first["challenge"] == "NEW_PASSWORD_REQUIRED"
    done = body(client.http.post("/auth/new-password", headers={"Content-Type": "application/json"}, body=json.dumps(
        {"email": data["admin_email"], "session": first["session"], "new_password": PASSWORD})))
    import jwt
    claims = jwt.decode(done["tokens"]["IdToken"], options={"verify_signature": False})
    assert claims["custom:tenant_id"] == answer["tenant"]["id"] and claims["custom:role"] == "admin"
    standards = client.http.get("/api/standards", headers={"Authorization": f"Bearer {done['tokens']['IdToken']}"})
    categories = [c["key"] for c in body(standards)["standards"]["categories"]]
    assert "water_leak" in categories and body(standards)["standards"]["calendar"]["time_zone"] == "Asia/Shanghai"


def test_a_taken_slug_is_409_and_leaves_no_stray_login(client):
    first, data = signup(client)
    assert first.status_code == 201
    second, other = signup(client, slug=data["slug"])
    assert second.status_code == 409
    assert body(second)["error"]["fields"] == {"slug": "is already in use by another firm"}
    cognito = boto3.client("cognito-idp")
    from chalicelib.settings import settings
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=settings().user_pool_id, Username=other["admin_email"])


def test_an_email_that_already_has_an_account_is_409_and_no_firm_is_made(client):
    first, data = signup(client)
    second, other = signup(client, admin_email=data["admin_email"])
    assert second.status_code == 409
    assert "admin_email" in body(second)["error"]["fields"]
    third, _ = signup(client, slug=other["slug"])  # the slug was not kept by the failed attempt
    assert third.status_code == 201


def test_sign_up_names_every_bad_field(client):
    response, _ = signup(client, slug="A", time_zone="Beijing", locale="fr", admin_email="nope", template="x")
    assert response.status_code == 422
    assert set(body(response)["error"]["fields"]) == {"slug", "time_zone", "locale", "admin_email", "template"}


def test_an_admin_invites_staff_who_can_work_but_not_administer(firm):
    sub, token = firm.add_staff("Liu Yang")
    staff = body(firm.call("GET", "/api/staff"))["staff"]
    assert {"id": sub, "name": "Liu Yang", "role": "staff", "active": True} .items() <= \
        next(s for s in staff if s["id"] == sub).items()
    assert firm.call("GET", "/api/tickets", token=token).status_code == 200
    assert firm.call("POST", "/api/properties", {"name": "Mine now"}, token=token).status_code == 403


def test_promoting_and_deactivating_staff(firm):
    sub, token = firm.add_staff("Chen Jie")
    promoted = firm.call("PATCH", f"/api/staff/{sub}", {"role": "admin"}, **{"If-Match": '"1"'})
    assert promoted.status_code == 200 and body(promoted)["role"] == "admin"
    email = next(s["email"] for s in body(firm.call("GET", "/api/staff"))["staff"] if s["id"] == sub)
    new_token = sign_in_token(firm.client, email)
    assert firm.call("GET", "/api/staff", token=new_token).status_code == 200  # the new role is on the new token
    stale = firm.call("PATCH", f"/api/staff/{sub}", {"active": False}, **{"If-Match": '"1"'})
    assert stale.status_code == 409
    off = firm.call("PATCH", f"/api/staff/{sub}", {"active": False}, **{"If-Match": '"2"'})
    assert off.status_code == 200 and body(off)["active"] is False
    refused = firm.client.http.post("/auth/signin", headers={"Content-Type": "application/json"},
                                    body=json.dumps({"email": email, "password": PASSWORD}))
    assert refused.status_code == 401


def test_an_admin_cannot_lock_themselves_out(firm):
    response = firm.call("PATCH", f"/api/staff/{firm.admin_sub}", {"role": "staff"})
    assert response.status_code == 422 and "role" in body(response)["error"]["fields"]


def test_inviting_an_address_twice_is_409(firm):
    email = f"{unique('dup')}@example.com"
    assert firm.call("POST", "/api/staff", {"email": email, "name": "A"}).status_code == 201
    again = firm.call("POST", "/api/staff", {"email": email, "name": "A"})
    assert again.status_code == 409 and "email" in body(again)["error"]["fields"]


def test_the_register_is_built_by_hand_and_by_csv(client):
    firm = Firm.sign_up(client, with_register=False)
    prop = body(firm.call("POST", "/api/properties", {"name": "和谐花园", "address": "上海市"}))
    csv = "\ufeffbuilding,unit,floor\r\n1号楼,101,1\r\n1号楼,102,1\r\n2号楼,B-201,2\r\n"
    response = firm.call("POST", f"/api/properties/{prop['id']}/units/import", csv.encode(),
                         **{"Content-Type": "text/csv"})
    assert response.status_code == 201, response.body
    assert body(response) == {"imported_units": 3, "new_buildings": ["1号楼", "2号楼"]}
    detail = body(firm.call("GET", f"/api/properties/{prop['id']}"))
    buildings = {b["name"]: b for b in detail["buildings"]}
    units = body(firm.call("GET", f"/api/properties/{prop['id']}/buildings/{buildings['1号楼']['id']}/units"))
    assert [u["code"] for u in units["units"]] == ["101", "102"]
    again = firm.call("POST", f"/api/properties/{prop['id']}/units/import",
                      "building,unit\n1号楼,103\n".encode(), **{"Content-Type": "text/csv"})
    assert body(again)["new_buildings"] == []  # matched by name, not duplicated
    firm.property_id, firm.building_id = prop["id"], buildings["1号楼"]["id"]
    assert firm.submit(firm.report(unit="103")).status_code == 201


def test_a_csv_with_bad_rows_imports_nothing_and_says_which_rows(firm):
    csv = "building,unit\nBlock 3,1301\n,1302\nBlock 3,\n"
    response = firm.call("POST", f"/api/properties/{firm.property_id}/units/import", csv,
                         **{"Content-Type": "text/csv"})
    assert response.status_code == 422
    assert body(response)["error"]["fields"] == {"rows[2].building": "is required", "rows[3].unit": "is required"}
    units = body(firm.call("GET", f"/api/properties/{firm.property_id}/buildings/{firm.building_id}/units"))
    assert "1301" not in [u["code"] for u in units["units"]]


def test_a_csv_over_a_megabyte_is_413(firm):
    big = "building,unit\n" + "Block 3,1\n" * 120_000
    response = firm.call("POST", f"/api/properties/{firm.property_id}/units/import", big,
                         **{"Content-Type": "text/csv"})
    assert response.status_code == 413


def test_the_openapi_document_lists_every_route_with_its_schemas(client, app):
    doc = body(client.http.get("/openapi.json"))
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    from chalicelib.api.console.session import PAGES
    console = {(page.path, method) for page in PAGES for method in page.methods}  # HTML pages, not the API
    served = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert console and console <= served
    assert served - console == documented
    submit = doc["paths"]["/r/{slug}/tickets"]["post"]
    schema = submit["requestBody"]["content"]["application/json"]["schema"]
    assert {"property_id", "unit", "category", "description"} <= set(schema["required"])
    assert doc["paths"]["/api/tickets/{ticket_id}/events"]["post"]["security"] == [{"cognito": []}]


def test_unknown_routes_and_methods_are_refused_plainly(client):
    missing = client.http.get("/no/such/thing")
    assert missing.status_code == 404 and body(missing)["error"]["code"] == "not_found"
    wrong_method = client.http.request("DELETE", "/signup")  # API Gateway: no such method is no such route
    assert wrong_method.status_code == 404 and body(wrong_method)["error"]["code"] == "not_found"
    assert client.http.get("/healthz").status_code == 200
