"""The operator's API: PropDesk's own people, not a firm's. A firm's month of usage as its
admins see it, and moving a firm to another plan.

These routes take the firm from the path (an operator works across firms) and no firm's token
opens them: API Gateway admits a request only when it is signed (SigV4) by an AWS principal
whose IAM policies allow ``execute-api:Invoke`` on them in the account that runs the
deployment (IAM authorization). ``chalice local`` and the tests' client admit IAM routes
unsigned, so the route helper also refuses any request that carries no verified principal
(``http.operator_arn``). A plan change is written to the firm's own audit log.
"""

from __future__ import annotations

from chalice import Blueprint

from .http import Call, Later, endpoint, lazy, operator_arn

metering = lazy("chalicelib.services.metering")
rules = lazy("chalicelib.domain.metering")

bp = Blueprint(__name__)


@endpoint(bp, "/ops/firms/{tenant_id}/usage", "GET", auth=False, operator=True, tags=["operator"],
          summary="Operators: a firm's usage this month and last, with its plan's limits (as GET /api/usage)",
          responses={200: "the firm's usage", 403: "not signed by an operator's AWS credentials",
                     404: "no such firm"})
def firm_usage(call: Call, tenant_id: str) -> dict:
    return metering.firm_usage(tenant_id)


@endpoint(bp, "/ops/firms/{tenant_id}/plan", "PUT", auth=False, operator=True, tags=["operator"],
          summary="Operators: put a firm on a plan (free or standard); recorded in the firm's audit log",
          request=Later(lambda: rules.PLAN_CHANGE),
          responses={200: "the firm's plan", 403: "not signed by an operator's AWS credentials",
                     404: "no such firm", 422: "not a plan"})
def set_plan(call: Call, tenant_id: str) -> dict:
    return metering.set_firm_plan(tenant_id, call.json(), operator_arn(call.raw.context or {}),
                                  call.source_ip)
