"""``GET /openapi.json``: built from the routes as declared, so it cannot miss one."""

from __future__ import annotations

import re

from chalice import Blueprint

from .http import ROUTES, Call, endpoint

bp = Blueprint(__name__)

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "field path → reason"}}}},
}


def document() -> dict:
    paths: dict = {}
    for route in ROUTES:
        operation: dict = {
            "summary": route.summary, "tags": route.tags,
            "operationId": f"{route.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', route.path.lower()).strip('_')}",
            "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                           for name in re.findall(r"{(\w+)}", route.path)],
            "responses": {},
        }
        if route.query:
            for name, spec in route.query.fields.items():
                operation["parameters"].append({"name": name, "in": "query", "required": spec.required,
                                                "schema": spec.schema()})
        for header in route.headers:
            operation["parameters"].append({"name": header, "in": "header", "required": header == "If-Match",
                                            "schema": {"type": "string"}})
        if route.request is not None:
            operation["requestBody"] = {"required": True, "content": {
                ct: {"schema": route.request.schema()} for ct in route.request_content}}
        elif route.method in ("POST", "PUT", "PATCH"):
            operation["requestBody"] = {"required": True, "content": {
                ct: {"schema": {"type": "string"}} for ct in route.request_content}}
        for status, text in sorted(route.responses.items()):
            schema = ERROR_SCHEMA if status >= 400 else {"type": "object"}
            operation["responses"][str(status)] = {"description": text,
                                                   "content": {"application/json": {"schema": schema}}}
        if route.auth:
            operation["security"] = [{"cognito": []}]
            operation["responses"].setdefault("401", {"description": "no valid token"})
            operation["responses"].setdefault("404", {"description": "not found (or another firm's)"})
            if route.admin:
                operation["responses"].setdefault("403", {"description": "admins only"})
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "PropDesk API", "version": "1",
                 "description": "Service desk and satisfaction scorecard for property-management firms. "
                                "Errors are {error: {code, message, fields}}."},
        "paths": paths,
        "components": {"securitySchemes": {"cognito": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "Cognito ID token (custom:tenant_id and custom:role claims)"}}},
    }


@endpoint(bp, "/openapi.json", "GET", auth=False, summary="This document", tags=["meta"], responses={200: "OpenAPI 3"})
def openapi(call: Call) -> dict:
    return document()
