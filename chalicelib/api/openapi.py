"""``GET /openapi.json``: built from the routes as declared, so it cannot miss one.

Every status a route can answer is documented: what its declaration says, plus what the edge
answers for every route of its kind (``http.py``: 400 unreadable body, 413 too large, 415
wrong content type, 422 invalid fields; the authorizer's 401; 403 admins only; 409/428 for
``If-Match``). Answers carry their real media types (HTML pages, CSV, SVG). Checked by
``openapi-spec-validator`` in tests/api/test_openapi.py.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from chalice import Blueprint

from .http import JSON, ROUTES, Call, RouteDoc, endpoint

bp = Blueprint(__name__)

HTML = "text/html"
FORM = "application/x-www-form-urlencoded"
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "fields"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "field path → reason"}}}},
}
# What the edge answers for any route of a kind, when the declaration does not say it better.
BODY_ERRORS = {400: "the body cannot be read (not JSON, not UTF-8, a number too long)",
               413: "the body is too large", 415: "a content type this route does not take",
               422: "invalid fields, each named with its reason"}
DESCRIPTION = (
    "Service desk and satisfaction scorecard for property-management firms. Errors are "
    "`{error: {code, message, fields}}`, `fields` mapping each field path to its reason. Staff routes "
    "take `Authorization: Bearer <Cognito ID token>`. The web console's pages (`/console/...`: HTML "
    "forms for staff, behind a cookie session) are not part of this document; they call the same "
    "services as the routes here.")


def _media(mt: str) -> dict:
    if mt == JSON:
        return {"schema": {"type": "object"}}
    return {"schema": {"type": "string"}}


def clean_schema(schema: Any) -> Any:
    """A Shape's JSON Schema made valid OpenAPI 3.0: no empty ``enum`` or ``required``
    lists, and every pattern anchored around a group (``^a|b$`` would anchor only a and b's
    ends: ``^(?:a|b)$``)."""
    if isinstance(schema, list):
        return [clean_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict = {}
    for key, value in schema.items():
        if key in ("enum", "required") and isinstance(value, list) and not value:
            continue
        if key == "pattern" and isinstance(value, str):
            inner = value[1:] if value.startswith("^") else value
            inner = inner[:-1] if inner.endswith("$") and not inner.endswith("\\$") else inner
            out[key] = f"^(?:{inner})$"
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: clean_schema(sub) for name, sub in value.items()}
            continue
        out[key] = clean_schema(value)
    return out


def _statuses(route: RouteDoc) -> dict[int, str]:
    statuses: dict[int, str] = {}
    has_body = route.method in ("POST", "PUT", "PATCH")
    if has_body:
        statuses.update(BODY_ERRORS)
    if route.query is not None:
        statuses[400] = "a query parameter cannot be read (e.g. a cursor that is not ours)"
        statuses[422] = "a query parameter is not valid"
    if "{" in route.path:
        statuses[404] = "not found" + (" (or another firm's)" if route.auth else "")
    if route.auth:
        statuses[401] = "no valid token"
        statuses[404] = "not found (or another firm's)"
    if route.admin:
        statuses[403] = "admins only"
    if route.operator:
        statuses[403] = "not signed by an operator's AWS credentials"
    if "If-Match" in route.headers or "If-Match?" in route.headers:
        statuses[409] = "someone changed it first (the version in If-Match is stale)"
    if "If-Match" in route.headers:
        statuses[428] = "If-Match missing"
    statuses.update(route.responses)
    return statuses


SUFFIX_MEDIA = {".css": "text/css", ".csv": "text/csv", ".svg": "image/svg+xml"}


def produces(route: RouteDoc) -> list[str]:
    """What the route answers with: as declared, else what its file name says (``.css``...)."""
    if route.produces == [JSON]:
        for suffix, media in SUFFIX_MEDIA.items():
            if route.path.endswith(suffix):
                return [media]
    return route.produces


def _content(route: RouteDoc, status: int) -> dict | None:
    if status in (204, 303, 304):
        return None
    if status >= 400:
        content = {JSON: {"schema": ERROR_SCHEMA}}
        if HTML in route.produces:  # a browser is answered with a page
            content[HTML] = {"schema": {"type": "string"}}
        return content
    return {mt: _media(mt) for mt in produces(route)}


def _response_headers(route: RouteDoc, status: int) -> dict:
    headers: dict = {}
    if status == 429:
        headers["Retry-After"] = {"description": "seconds to wait", "required": True,
                                  "schema": {"type": "integer", "minimum": 0}}
    if status == 303:
        headers["Location"] = {"description": "where to go next", "required": True, "schema": {"type": "string"}}
    if status < 300 and route.path.startswith("/api/tickets/") and route.method in ("GET", "PATCH", "POST"):
        headers["ETag"] = {"description": "the ticket's version, for If-Match", "required": True,
                           "schema": {"type": "string"}}
    if status == 201 and route.path == "/api/tickets":
        headers["ETag"] = {"description": "the ticket's version, for If-Match", "required": True,
                           "schema": {"type": "string"}}
    return headers


def _request_body(route: RouteDoc) -> dict | None:
    if route.method not in ("POST", "PUT", "PATCH"):
        return None
    content: dict = {}
    for ct in route.request_content:
        if ct == FORM and route.form is not None:
            schema = clean_schema(route.form.schema())
            schema["additionalProperties"] = True  # other names are ignored, as browsers' forms send them
        elif route.schema is not None and ct == JSON:
            schema = clean_schema(route.schema)
        elif route.request is not None and ct in (JSON, FORM):
            schema = clean_schema(route.request.schema())
        elif ct in (JSON, FORM):
            schema = {"type": "object", "additionalProperties": {"type": "string"}}
        elif ct.startswith("text/"):
            schema = {"type": "string"}
        else:  # a file (an Excel workbook)
            schema = {"type": "string", "format": "binary"}
        content[ct] = {"schema": schema}
    return {"required": True, "content": content}


def operation_id(route: RouteDoc) -> str:
    return f"{route.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', route.path.lower()).strip('_')}"


def document() -> dict:
    paths: dict = {}
    for route in ROUTES:
        route.load_shapes()
        operation: dict = {
            "summary": route.summary, "tags": route.tags, "operationId": operation_id(route),
            "parameters": [{"name": name, "in": "path", "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 200}}
                           for name in re.findall(r"{(\w+)}", route.path)],
            "responses": {},
        }
        if route.query:
            for name, spec in route.query.fields.items():
                schema = clean_schema(spec.schema())
                if not spec.required:  # an empty optional parameter counts as absent (fields.Shape)
                    schema = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}
                operation["parameters"].append({"name": name, "in": "query", "required": spec.required,
                                                "schema": schema})
        for header in route.headers:  # "Name?" is optional; If-Match is otherwise required
            name = header.rstrip("?")
            parameter = {"name": name, "in": "header", "required": header == "If-Match",
                         "schema": {"type": "string", "minLength": 1, "maxLength": 200}}
            if name == "If-Match":
                parameter["description"] = 'the version read, as its ETag says: "7"'
            operation["parameters"].append(parameter)
        body = _request_body(route)
        if body is not None:
            operation["requestBody"] = body
        for status, text in sorted(_statuses(route).items()):
            response: dict = {"description": text}
            content = _content(route, status)
            if content:
                response["content"] = content
            headers = _response_headers(route, status)
            if headers:
                response["headers"] = headers
            if status < 300 and route.links:
                response["links"] = copy.deepcopy(route.links)
            operation["responses"][str(status)] = response
        if route.auth:
            operation["security"] = [{"cognito": []}]
        elif route.operator:
            operation["security"] = [{"sigv4": []}]
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "PropDesk API", "version": "1", "description": DESCRIPTION},
        "paths": paths,
        "components": {"securitySchemes": {"cognito": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "Cognito ID token (custom:tenant_id and custom:role claims)"}, "sigv4": {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "PropDesk's operators: an AWS Signature Version 4 of the deployment's account (IAM)"}}},
    }


@endpoint(bp, "/openapi.json", "GET", auth=False, summary="This document", tags=["meta"], responses={200: "OpenAPI 3"})
def openapi(call: Call) -> dict:
    return document()
