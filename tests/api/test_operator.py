"""The operator's API (issue 17 item 6): PropDesk's own people read a firm's usage and move it
to another plan. Only a request API Gateway verified as signed by an AWS principal (IAM) is
served: the tests' client, like ``chalice local``, admits IAM routes unsigned and carries no
principal, so it stands for an unsigned call; a signed one is an API Gateway event with the
principal's ARN, handed to the app as Lambda would."""

from __future__ import annotations

import json

import pytest
from chalice.local import LambdaContext

from tests.support import Firm, body

OPERATOR = "arn:aws:iam::123456789012:role/propdesk-operator"


def signed(app, method: str, path: str, payload=None, *, principal: str = OPERATOR) -> tuple[int, dict]:
    """The request as API Gateway hands it to the Lambda after verifying its SigV4 signature."""
    resource = path.replace(path.split("/")[3], "{tenant_id}", 1)
    event = {"resource": resource, "path": path, "httpMethod": method,
             "headers": {"content-type": "application/json", "host": "api.example.com"},
             "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": {"tenant_id": path.split("/")[3]}, "stageVariables": None,
             "requestContext": {"resourcePath": resource, "httpMethod": method, "requestId": "req-ops-1",
                                "stage": "api", "path": f"/api{path}",
                                "identity": {"sourceIp": "203.0.113.77", "userArn": principal}},
             "body": json.dumps(payload) if payload is not None else None, "isBase64Encoded": False}
    answer = app(event, LambdaContext("propdesk", 256))
    return answer["statusCode"], json.loads(answer["body"] or "{}")


@pytest.fixture(scope="module")
def office(client):
    return Firm.sign_up(client)


def test_unsigned_or_with_a_firms_token_the_operator_routes_answer_403_and_change_nothing(client, office):
    before = body(office.call("GET", "/api/usage"))["plan"]
    for headers in ({}, {"Authorization": f"Bearer {office.admin_token}"}):
        read = client.http.get(f"/ops/firms/{office.tenant_id}/usage", headers=headers)
        moved = client.http.put(f"/ops/firms/{office.tenant_id}/plan", body=json.dumps({"plan": "free"}),
                                headers={"Content-Type": "application/json", **headers})
        assert (read.status_code, moved.status_code) == (403, 403)
        assert "Authorization" in body(moved)["error"]["fields"]
    assert body(office.call("GET", "/api/usage"))["plan"] == before == "standard"


def test_a_signed_operator_reads_what_the_firms_admins_read(app, office):
    assert office.submit().status_code == 201
    status, usage = signed(app, "GET", f"/ops/firms/{office.tenant_id}/usage")
    mine = body(office.call("GET", "/api/usage"))
    assert status == 200
    assert usage["this_month"]["counters"]["reports"] == mine["this_month"]["counters"]["reports"] >= 1
    assert usage["limits"] == mine["limits"] and usage["plan"] == mine["plan"]


def test_a_signed_operator_moves_the_firm_to_the_free_plan_and_its_audit_log_says_so(app, office, other_firm):
    status, answer = signed(app, "PUT", f"/ops/firms/{office.tenant_id}/plan", {"plan": "free"})
    assert (status, answer) == (200, {"tenant_id": office.tenant_id, "plan": "free"})
    usage = body(office.call("GET", "/api/usage"))
    assert usage["plan"] == "free" and usage["limits"]["properties"]["limit"] == 3  # the free plan's, as declared
    assert body(other_firm.call("GET", "/api/usage"))["plan"] == "standard"  # the neighbour untouched
    entry = body(office.call("GET", "/api/audit?action=PUT%20/ops/firms/%7Btenant_id%7D/plan"))["entries"][0]
    assert entry["actor"]["name"] == "PropDesk operator" and entry["actor"]["id"] == f"operator:{OPERATOR}"
    assert entry["changes"] == [{"setting": "plan", "before": "standard", "after": "free"}]
    assert entry["network"] == "203.0.113.0/24"
    signed(app, "PUT", f"/ops/firms/{office.tenant_id}/plan", {"plan": "standard"})
    assert body(office.call("GET", "/api/usage"))["plan"] == "standard"


@pytest.mark.parametrize("path, payload, status, field", [
    ("/ops/firms/no-such-firm/usage", None, 404, "tenant_id"),
    ("/ops/firms/no-such-firm/plan", {"plan": "free"}, 404, "tenant_id"),
    ("/ops/firms/{tenant}/plan", {"plan": "platinum"}, 422, "plan"),
    ("/ops/firms/{tenant}/plan", {}, 422, "plan"),
])
def test_an_unknown_firm_or_plan_is_refused_by_name(app, office, path, payload, status, field):
    method = "GET" if path.endswith("usage") else "PUT"
    answer_status, answer = signed(app, method, path.format(tenant=office.tenant_id), payload)
    assert answer_status == status and field in answer["error"]["fields"], answer
    assert body(office.call("GET", "/api/usage"))["plan"] == "standard"
