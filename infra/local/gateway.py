"""Chalice's local gateway, answering what API Gateway answers itself (before or instead of
the Lambda) exactly as our deployed API does once infra/stack.py's gateway responses are
applied, so local runs and tests see what production callers see:

- an unknown path, and a method the path does not have (OPTIONS and HEAD included: we
  declare no CORS), answer 404 ``not_found`` (API Gateway's MISSING_AUTHENTICATION_TOKEN);
- a missing or refused token answers 401 ``unauthorized`` (UNAUTHORIZED), an authorizer's
  deny 403 ``forbidden`` (ACCESS_DENIED), a body over API Gateway's 10 MB 413 (REQUEST_TOO_LARGE);
- every such answer is in our error shape and carries our security headers.

A content type the route does not take (415) is answered by Chalice inside the Lambda, and
``chalicelib.api.http.one_error_shape`` puts that in our shape in both places.
"""

from __future__ import annotations

import json
import uuid

from chalice.local import ForbiddenError, LocalGateway, LocalGatewayException, NotAuthorizedError

from chalicelib.api.http import SECURITY_HEADERS

#: API Gateway response type → (status, code, message); the same as infra/stack.py's
#: GATEWAY_RESPONSES (tests/api/test_gateway.py compares the two).
GATEWAY_RESPONSES: dict[str, tuple[int, str, str]] = {
    "UNAUTHORIZED": (401, "unauthorized", "Sign in first: send Authorization: Bearer <ID token>."),
    "ACCESS_DENIED": (403, "forbidden", "Forbidden"),
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "No such route."),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "Request too large"),
    "THROTTLED": (429, "rate_limited", "Too many requests"),
}
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's REST API limit
THROTTLED_RETRY_AFTER = "1"


class GatewayAnswer(LocalGatewayException):
    """One of API Gateway's own answers, in our error shape with our security headers."""

    def __init__(self, response_type: str, request_id: str | None = None) -> None:
        status, code, message = GATEWAY_RESPONSES[response_type]
        headers = {"Content-Type": "application/json", **SECURITY_HEADERS,
                   "x-amzn-RequestId": request_id or str(uuid.uuid4()), "x-amzn-ErrorType": response_type}
        if response_type == "THROTTLED":
            headers["Retry-After"] = THROTTLED_RETRY_AFTER
        body = json.dumps({"error": {"code": code, "message": message, "fields": {}}}).encode()
        super().__init__(headers, body)
        self.CODE = status
        self.response_type = response_type


class PropDeskLocalGateway(LocalGateway):
    def _generate_lambda_event(self, method, path, headers, body):  # type: ignore[override]
        if body is not None and len(body) > MAX_PAYLOAD_BYTES:
            raise GatewayAnswer("REQUEST_TOO_LARGE")
        try:
            event = super()._generate_lambda_event(method, path, headers, body)
        except ValueError:
            raise GatewayAnswer("MISSING_AUTHENTICATION_TOKEN") from None
        if method.upper() not in self._app_object.routes.get(event["requestContext"]["resourcePath"], {}):
            raise GatewayAnswer("MISSING_AUTHENTICATION_TOKEN")  # API Gateway: no such method, no such route
        event["requestContext"].setdefault("requestId", str(uuid.uuid4()))  # API Gateway always sends one
        return event

    def handle_request(self, method, path, headers, body):  # type: ignore[override]
        try:
            return super().handle_request(method, path, headers, body)
        except GatewayAnswer:
            raise
        except NotAuthorizedError as error:
            raise GatewayAnswer("UNAUTHORIZED", _request_id(error)) from None
        except ForbiddenError as error:
            raise GatewayAnswer("ACCESS_DENIED", _request_id(error)) from None


def _request_id(error: LocalGatewayException) -> str | None:
    return (error.headers or {}).get("x-amzn-RequestId")
