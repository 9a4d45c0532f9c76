"""``/openapi.json`` is a valid OpenAPI 3.0 document that says what the API really does: every
status a route answers, its real media types, one schema per ticket event, the form-encoded
intake's flat names, links for the ticket lifecycle, and that console pages are left out."""

from __future__ import annotations

import re

import pytest

from tests.support import body


@pytest.fixture(scope="module")
def doc(client):
    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    return body(response)


def operations(doc):
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def walk(node, where=""):
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{where}[{i}]")


def test_the_document_passes_openapi_spec_validator(doc):
    from openapi_spec_validator import OpenAPIV30SpecValidator
    errors = [f"{list(e.path)}: {e.message[:200]}" for e in OpenAPIV30SpecValidator(doc).iter_errors()]
    assert errors == []


def test_no_schema_has_an_empty_enum_or_required_list(doc):
    empty = [f"{where}.{key}" for where, node in walk(doc) for key in ("enum", "required")
             if isinstance(node.get(key), list) and not node[key]]
    assert empty == []


def test_every_pattern_holds_for_the_whole_value(doc):
    # JSON Schema patterns match anywhere in the value: ^a|b$ lets "b" sit at the end of anything.
    periods = next(p for p in doc["paths"]["/api/scores"]["get"]["parameters"] if p["name"] == "periods")
    pattern = periods["schema"]["anyOf"][0]["pattern"]  # or empty: an empty optional parameter is absent
    assert re.search(pattern, "12") and re.search(pattern, "24")
    for outside in ("25", "99", "0", "124", "12x"):
        assert re.search(pattern, outside) is None, outside
    for where, node in walk(doc):
        if isinstance(node.get("pattern"), str):
            assert node["pattern"].startswith("^(?:") and node["pattern"].endswith(")$"), where
            re.compile(node["pattern"])


def test_each_ticket_event_type_requires_only_its_own_fields(doc):
    schema = doc["paths"]["/api/tickets/{ticket_id}/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    variants = {v["properties"]["type"]["enum"][0]: v for v in schema["oneOf"]}
    assert set(variants) == {"acknowledge", "assign", "comment", "wait", "schedule", "cancel_visit", "resolve",
                             "reopen", "close", "follow_up", "milestone"}
    assert set(variants["acknowledge"]["required"]) == {"type"}
    assert set(variants["assign"]["required"]) == {"type", "assignee"}
    assert set(variants["comment"]["required"]) == {"type", "body"}
    assert set(variants["wait"]["required"]) == {"type", "question"}
    assert set(variants["schedule"]["required"]) == {"type", "at"}  # "until" is optional
    assert set(variants["cancel_visit"]["required"]) == {"type"}
    assert set(variants["reopen"]["required"]) == {"type", "reason"}
    assert set(variants["milestone"]["required"]) == {"type", "kind"}
    assert "assignee" not in variants["comment"]["properties"]


def test_answers_carry_their_real_media_types(doc):
    def media(path, method="get", status="200"):
        return set(doc["paths"][path][method]["responses"][status].get("content", {}))
    assert media("/api/exports/tickets.csv") == {"text/csv"}
    assert media("/api/exports/scores.csv") == {"text/csv"}
    assert media("/api/properties/{property_id}/poster.svg") == {"image/svg+xml"}
    assert media("/api/campaigns/{campaign_id}/poster.svg") == {"image/svg+xml"}
    assert media("/api/properties/{property_id}/poster") == {"text/html"}
    assert media("/r/{slug}") == {"text/html"}
    assert media("/p/{slug}/scorecard") == {"text/html"}
    assert media("/static/app.css") == {"text/css"}
    assert media("/t/{token}") == {"application/json", "text/html"}
    assert media("/api/tickets") == {"application/json"}
    assert "content" not in doc["paths"]["/r/{slug}/tickets"]["post"]["responses"]["303"]


def test_every_status_a_route_can_answer_is_documented(doc):
    for path, method, operation in operations(doc):
        documented = set(operation["responses"])
        if method in ("POST", "PUT", "PATCH"):
            assert {"400", "413", "415", "422"} <= documented, (method, path)
        if_match = next((p for p in operation["parameters"] if p["name"] == "If-Match"), None)
        if if_match is not None:
            assert "409" in documented, (method, path)
            assert ("428" in documented) == if_match["required"], (method, path)  # required ⇔ 428 without it
        if operation.get("security") == [{"cognito": []}]:
            assert {"401", "404"} <= documented, (method, path)
        if operation.get("security") == [{"sigv4": []}]:  # API Gateway refuses an unsigned request with 403
            assert {"403", "404"} <= documented, (method, path)
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                assert response["content"]["application/json"]["schema"]["required"] == ["error"], (method, path)
    assert next(p for p in doc["paths"]["/api/tickets/{ticket_id}"]["patch"]["parameters"]
                if p["name"] == "If-Match")["required"] is True
    refused = doc["paths"]["/r/{slug}/tickets"]["post"]["responses"]["429"]
    assert refused["headers"]["Retry-After"]["required"] is True
    assert "403" in doc["paths"]["/api/standards"]["put"]["responses"]


def test_the_form_encoded_intake_documents_the_flat_names_it_reads(doc):
    content = doc["paths"]["/r/{slug}/tickets"]["post"]["requestBody"]["content"]
    form = content["application/x-www-form-urlencoded"]["schema"]
    assert {"place", "unit", "category", "urgency", "description", "contact_phone", "window_from", "nonce"} <= set(
        form["properties"])
    assert "contact" not in form["properties"] and "entry" not in form["properties"]
    for name, schema in form["properties"].items():
        assert schema["type"] == "string" or schema["items"]["type"] == "string", name
    assert {"contact", "entry"} <= set(content["application/json"]["schema"]["properties"])  # JSON stays nested


def test_links_lead_through_the_ticket_lifecycle(doc):
    ids = {operation["operationId"] for _, _, operation in operations(doc)}
    created = doc["paths"]["/api/tickets"]["post"]["responses"]["201"]
    assert created["headers"]["ETag"]["required"] is True
    links = created["links"]
    assert links["ReadTicket"]["operationId"] == "get_api_tickets_ticket_id"
    assert links["ReadTicket"]["parameters"] == {"ticket_id": "$response.body#/id"}
    assert links["ActOnTicket"]["parameters"]["header.If-Match"] == "$response.header.ETag"
    assert links["ReclassifyTicket"]["operationId"] == "patch_api_tickets_ticket_id"
    read = doc["paths"]["/api/tickets/{ticket_id}"]["get"]["responses"]["200"]
    assert set(read["links"]) == {"ActOnTicket", "ReclassifyTicket"}
    for _, _, operation in operations(doc):
        for response in operation["responses"].values():
            for link in (response.get("links") or {}).values():
                assert link["operationId"] in ids


def test_the_document_says_console_pages_are_not_in_it(doc):
    assert "console" in doc["info"]["description"].lower()
    from chalicelib.api.console.session import PAGES
    assert PAGES and not {page.path for page in PAGES} & set(doc["paths"])


def test_the_links_match_what_the_api_answers(firm):
    """A created ticket's id is at /id and its ETag is the If-Match the next step takes."""
    created = firm.call("POST", "/api/tickets", firm.report())
    assert created.status_code == 201
    ticket_id, etag = body(created)["id"], created.headers["ETag"]
    read = firm.call("GET", f"/api/tickets/{ticket_id}")
    assert read.status_code == 200 and read.headers["ETag"] == etag
    acted = firm.call("POST", f"/api/tickets/{ticket_id}/events", {"type": "acknowledge"}, **{"If-Match": etag})
    assert acted.status_code == 201, acted.body
