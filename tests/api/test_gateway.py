"""Errors in one shape everywhere: what API Gateway answers itself (unknown route, wrong method,
no or bad token) is answered locally exactly as the deployed gateway responses say, and what
Chalice answers before a route runs (a content type the route does not take) is in our
shape too; every such answer carries our security headers, and a 429 says when to retry."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.support import body

ROOT = Path(__file__).resolve().parents[2]


def production_gateway_responses() -> dict[str, tuple]:
    """infra/stack.py's GATEWAY_RESPONSES, read without importing the CDK."""
    tree = ast.parse((ROOT / "infra" / "stack.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and getattr(target, "id", "") == "GATEWAY_RESPONSES":
            return ast.literal_eval(node.value)
    raise AssertionError("infra/stack.py has no GATEWAY_RESPONSES")


def assert_our_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    error = body(response)["error"]
    assert set(error) == {"code", "message", "fields"} and error["code"] == code
    return error


def test_the_local_gateway_says_what_the_deployed_one_says():
    from infra.local.gateway import GATEWAY_RESPONSES
    production = production_gateway_responses()
    for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
        deployed = production[response_type]
        assert (str(status), code) == (deployed[0], deployed[1]), response_type
        assert json.loads(deployed[2]) == message, response_type


@pytest.mark.parametrize("method,path", [("GET", "/no/such/thing"), ("DELETE", "/signup"), ("PUT", "/healthz"),
                                         ("OPTIONS", "/api/tickets"), ("HEAD", "/healthz"),
                                         ("POST", "/api/tickets/x/nothing")])
def test_unknown_routes_and_wrong_methods_answer_404_as_api_gateway_does(client, method, path):
    response = client.http.request(method, path, headers={"Content-Type": "application/json"}, body=b"{}")
    error = assert_our_shape(response, 404, "not_found")
    assert error["message"] == "No such route."


def test_a_wrong_method_with_a_token_is_still_404(firm):
    assert_our_shape(firm.call("DELETE", "/api/tickets"), 404, "not_found")


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_no_or_a_bad_token_answers_401_as_api_gateway_does(client, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    error = assert_our_shape(client.http.get("/api/tickets", headers=headers), 401, "unauthorized")
    assert error["message"] == "Sign in first: send Authorization: Bearer <ID token>."


@pytest.mark.parametrize("path,content_type", [("/signup", "text/plain"), ("/r/some-firm/tickets", "text/xml"),
                                               ("/auth/signin", "multipart/form-data; boundary=x")])
def test_a_content_type_the_route_does_not_take_answers_415_in_our_shape(client, path, content_type):
    response = client.http.post(path, headers={"Content-Type": content_type}, body=b"x=1")
    error = assert_our_shape(response, 415, "unsupported_media_type")
    assert "application/json" in error["fields"]["Content-Type"]


def test_415_names_the_types_a_csv_route_takes(firm):
    response = firm.call("POST", f"/api/properties/{firm.property_id}/units/import", {"a": 1})
    error = assert_our_shape(response, 415, "unsupported_media_type")
    assert error["fields"] == {"Content-Type": "must be one of: text/csv, "
                                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def test_a_body_over_api_gateways_10_mb_is_refused_before_the_app(client):
    response = client.http.post("/signup", headers={"Content-Type": "application/json"},
                                body=b" " * (10 * 1024 * 1024 + 1))
    assert_our_shape(response, 413, "payload_too_large")


@pytest.mark.parametrize("number", ["1" * 4301, "-" + "9" * 5000, "1" * 101, "1e999", "NaN", "-Infinity"])
def test_a_number_no_field_could_mean_is_a_400_not_a_500(firm, number):
    before = body(firm.call("GET", "/api/tickets"))["tickets"]
    raw = json.dumps(firm.report())[:-1] + f', "floor": {number}}}'
    response = firm.client.http.post(f"/r/{firm.slug}/tickets", headers={"Content-Type": "application/json"},
                                     body=raw.encode())
    error = assert_our_shape(response, 400, "malformed_request")
    assert "body" in error["fields"]
    for path, payload in ((f"/api/tickets", raw), ("/api/properties", '{"name": ' + number + '}')):
        assert_our_shape(firm.call("POST", path, payload), 400, "malformed_request")
    assert body(firm.call("GET", "/api/tickets"))["tickets"] == before


def test_a_429_says_when_to_try_again(firm, monkeypatch):
    from chalicelib.settings import settings
    monkeypatch.setenv("PROPDESK_REPORTS_PER_IP", "1")
    settings.cache_clear()
    try:
        assert firm.submit(firm.report(description="Problem number one")).status_code == 201
        refused = firm.submit(firm.report(description="Problem number two"))
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    assert_our_shape(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) > 0
