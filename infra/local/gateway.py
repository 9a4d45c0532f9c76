"""Chalice's local gateway, answering unknown routes and missing tokens the way our API
Gateway does once infra/stack.py's gateway responses are applied (404 / 401 in our error
shape), so local runs and tests see what production callers see."""

from __future__ import annotations

import json
import uuid

from chalice.local import LocalGateway, LocalGatewayException, NotAuthorizedError


class RouteNotFound(LocalGatewayException):
    CODE = 404


def _body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "fields": {}}}).encode()


class PropDeskLocalGateway(LocalGateway):
    def _generate_lambda_event(self, method, path, headers, body):  # type: ignore[override]
        try:
            event = super()._generate_lambda_event(method, path, headers, body)
        except ValueError:
            raise RouteNotFound({"Content-Type": "application/json"}, _body("not_found", "No such route.")) from None
        event["requestContext"].setdefault("requestId", str(uuid.uuid4()))  # API Gateway always sends one
        return event

    def handle_request(self, method, path, headers, body):  # type: ignore[override]
        try:
            return super().handle_request(method, path, headers, body)
        except NotAuthorizedError as error:
            if error.body and b'"error"' in error.body:
                raise
            raise NotAuthorizedError({"Content-Type": "application/json"},
                                     _body("unauthorized", "Sign in first: send Authorization: Bearer <ID token>."))
