"""The edge of every route: read the request, bind who is asking, call one service
function, shape the answer, and map domain errors to HTTP (the only place that does).

Routes are declared with ``endpoint(...)``, which also records them for
``/openapi.json`` so the document cannot miss a route.
"""

from __future__ import annotations

import functools
import importlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable
import re
from urllib.parse import parse_qs

from chalice import Blueprint, Response

from ..domain.errors import (DomainError, Forbidden, InvalidInput, MalformedRequest, NotFound, PayloadTooLarge,
                             Unauthorized)
from ..domain.fields import Shape
from ..domain.identity import Identity
from ..observability import logger, metrics, request_scope
from ..settings import settings
from .auth import cognito, identity_from_context

JSON = "application/json"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class _LazyModule:
    """A service module imported on first use. Routes name their service at import, but
    PynamoDB and botocore load only when a request needs them: importing app.py is the
    Lambda cold start, and `chalice package` imports it too."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name)
        self.__dict__.update(vars(module))
        return getattr(module, attr)


HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def lazy(module_name: str) -> Any:
    return _LazyModule(module_name)


class Later:
    """A route's Shape declared beside the route but built when ``/openapi.json`` first needs
    it: ``query=Later(lambda: rules.QUERY)`` with ``rules = lazy("chalicelib.domain.x")``.
    The domain module then loads with the first request that uses it, not with ``import app``
    (the cold start; ``RouteDoc.load_shapes``)."""

    def __init__(self, build: Callable[[], Shape]) -> None:
        self.build = build

    def __call__(self) -> Shape:
        return self.build()


@dataclass
class RouteDoc:
    path: str
    method: str
    summary: str
    tags: list[str]
    auth: bool
    admin: bool = False
    request: Shape | Later | None = None
    query: Shape | Later | None = None
    request_content: list[str] = field(default_factory=lambda: [JSON])
    responses: dict[int, str] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)
    produces: list[str] = field(default_factory=lambda: [JSON])  # media types of the answers
    form: Shape | Later | None = None  # what a form-encoded body may carry (flat names), when it differs
    schema: dict | None = None       # the JSON body's schema, when a Shape cannot say it (oneOf)
    links: dict[str, dict] = field(default_factory=dict)  # OpenAPI links from the success answer
    max_body: int | None = None
    operator: bool = False  # PropDesk's operators (AWS IAM), not a firm's people

    def load_shapes(self) -> "RouteDoc":
        """Build the shapes declared ``Later`` (once; the OpenAPI document calls it)."""
        for name in ("request", "query", "form"):
            value = getattr(self, name)
            if isinstance(value, Later):
                setattr(self, name, value())
        return self


ROUTES: list[RouteDoc] = []


@dataclass
class Call:
    """What a route function sees of the request."""
    raw: Any  # chalice.app.Request
    identity: Identity | None

    @property
    def who(self) -> Identity:
        if self.identity is None:
            raise Unauthorized("Sign in first.")
        return self.identity

    @property
    def source_ip(self) -> str:
        """The caller's address as API Gateway saw it (used for rate limits, never logged)."""
        return ((self.raw.context or {}).get("identity") or {}).get("sourceIp") or ""

    def header(self, name: str) -> str | None:
        return (self.raw.headers or {}).get(name.lower())

    @property
    def query(self) -> dict[str, str]:
        return dict(self.raw.query_params or {})

    def body_bytes(self) -> bytes:
        raw = self.raw.raw_body or b""
        return raw if isinstance(raw, bytes) else raw.encode()

    def json(self) -> Any:
        return read_json(self.body_bytes())

    def form_or_json(self) -> Any:
        content_type = (self.header("content-type") or JSON).split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded":
            try:
                pairs = parse_qs(self.body_bytes().decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                                 encoding="utf-8", errors="strict")
            except UnicodeDecodeError:
                raise MalformedRequest("The form is not UTF-8.", {"body": "must be UTF-8"}) from None
            return {k: v[0] if len(v) == 1 else v for k, v in pairs.items()}
        return self.json()

    def text(self) -> str:
        try:
            return self.body_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedRequest("The file is not UTF-8 text.", {"file": "must be UTF-8 (save as CSV UTF-8)"}) from None


MAX_PATH_PARAM = 200  # characters of one path parameter (/openapi.json says so too)
MAX_NUMBER_CHARS = 100  # no field takes a number anywhere near this long


class _NumberTooLong(ValueError):
    pass


def _number(text: str, kind: Callable[[str], Any]) -> Any:
    # Python refuses to turn over 4,300 digits into an int (ValueError, not a JSON error);
    # no field of ours takes a number a tenth that long, so refuse long ones before converting.
    if len(text) > MAX_NUMBER_CHARS:
        raise _NumberTooLong(text[:20])
    value = kind(text)
    if isinstance(value, float) and not math.isfinite(value):  # 1e999 reads as infinity
        raise _NumberTooLong(text[:20])
    return value


def _not_json_constant(name: str) -> Any:
    raise _NotJson(name)


class _NotJson(ValueError):
    pass


def read_json(raw: bytes) -> Any:
    """A request body as JSON, or MalformedRequest (400) saying why it cannot be read: empty,
    not JSON (NaN and Infinity are not JSON either), a number over 100 characters, or nested
    too deeply. The only place request text becomes JSON."""
    if not raw.strip():
        raise MalformedRequest("The request needs a JSON body.", {"body": "is empty"})
    try:
        return json.loads(raw, parse_int=lambda t: _number(t, int), parse_float=lambda t: _number(t, float),
                          parse_constant=_not_json_constant)
    except _NumberTooLong:
        raise MalformedRequest("The body has a number that is too long or too large.",
                               {"body": f"has a number longer than {MAX_NUMBER_CHARS} characters or beyond "
                                        "what a number can hold"}) from None
    except _NotJson as exc:
        raise MalformedRequest("The body is not valid JSON.", {"body": f"not valid JSON ({exc} is not a number)"}) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedRequest("The body is not valid JSON.", {"body": f"not valid JSON ({exc})"}) from None
    except RecursionError:
        raise MalformedRequest("The body is nested too deeply.", {"body": "is nested too deeply"}) from None
    except ValueError:  # any other conversion the decoder could not make
        raise MalformedRequest("The body is not valid JSON.", {"body": "not valid JSON"}) from None


def site_url(call: "Call") -> str:
    """Where residents reach this deployment: the configured public URL, else this request's
    own scheme and Host."""
    configured = settings().public_base_url
    if configured:
        return configured
    host = (call.header("x-forwarded-host") or call.header("host") or "localhost").split(",")[0].strip()
    if not HOST.fullmatch(host):
        raise InvalidInput("Cannot tell this site's address; set PROPDESK_PUBLIC_BASE_URL.",
                           {"host": "must be a host name"})
    proto = (call.header("x-forwarded-proto") or "").split(",")[0].strip().lower()
    if proto not in ("http", "https"):
        local = host.split(":")[0] in ("localhost", "127.0.0.1", "[::1]")
        proto = "http" if local else "https"
    return f"{proto}://{host}"


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


RETRY_AFTER_SECONDS = 600  # the residents' per-address window; a refusal says when to try again


def retry_after(error: DomainError) -> dict[str, str]:
    """``Retry-After`` for a 429 (the error's own ``retry_after`` seconds when it has one)."""
    if error.status != 429:
        return {}
    return {"Retry-After": str(int(getattr(error, "retry_after", None) or RETRY_AFTER_SECONDS))}


def to_response(error: DomainError) -> Response:
    """The one mapping from domain errors to HTTP answers."""
    return Response(body=error_body(error.code, error.message, error.fields), status_code=error.status,
                    headers={"Content-Type": JSON, **SECURITY_HEADERS, **retry_after(error)})


# Chalice answers a few requests itself, before any route runs, as {"Code": ..., "Message": ...}:
# a content type the route does not take (415), a method the path does not have (405; API
# Gateway answers that 404 before the Lambda, so we do too). In the Lambda and locally alike.
CHALICE_ERRORS = {
    "UnsupportedMediaType": (415, "unsupported_media_type", "This route does not take that content type."),
    "MethodNotAllowedError": (404, "not_found", "No such route."),
    "BadRequest": (400, "bad_request", "The request cannot be answered as asked."),
    "InternalServerError": (500, "internal", "Something went wrong on our side. Try again."),
}


def one_error_shape(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Chalice middleware (app.py registers it for HTTP): Chalice's own refusals in our error
    shape, and our security headers on every answer."""
    response = get_response(event)
    body = response.body
    if isinstance(body, dict) and "Code" in body and "error" not in body:
        status, code, message = CHALICE_ERRORS.get(str(body["Code"]), (response.status_code, "bad_request",
                                                                       "The request cannot be answered as asked."))
        fields: dict[str, str] = {}
        if code == "unsupported_media_type":
            fields = {"Content-Type": "must be one of: " + ", ".join(_content_types(event))}
        response = Response(body=error_body(code, message, fields), status_code=status,
                            headers={"Content-Type": JSON})
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _content_types(request: Any) -> list[str]:
    context = getattr(request, "context", None) or {}
    path, method = context.get("resourcePath"), context.get("httpMethod") or getattr(request, "method", "")
    for route in ROUTES:
        if route.path == path and route.method == method:
            return route.request_content
    return ["application/x-www-form-urlencoded"]  # the console's forms


# Set by pages.py: renders a refusal as a page for a browser on a public route (a browser
# that sent an unreadable or oversized form should see a page in its language, not JSON).
html_refusal: Callable[[Any, DomainError], Response | None] | None = None


def endpoint(bp: Blueprint, path: str, method: str, *, summary: str, tags: list[str], auth: bool = True,
             admin: bool = False, request: Shape | Later | None = None, query: Shape | Later | None = None,
             content_types: list[str] | None = None, responses: dict[int, str] | None = None,
             headers: list[str] | None = None, max_body: int | None = None, produces: list[str] | None = None,
             form: Shape | Later | None = None, schema: dict | None = None,
             links: dict[str, dict] | None = None, operator: bool = False) -> Callable:
    """Register ``fn(call, **path_params)`` as a route. ``fn`` returns a dict (200), or
    ``(status, body)`` / ``(status, body, headers)``, or a chalice Response.

    The rest documents it (``/openapi.json``): ``produces`` the media types it answers with
    (HTML pages, CSV, SVG), ``form`` the flat fields of a form-encoded body where they differ
    from ``request``, ``schema`` a body schema a Shape cannot express, ``links`` where its
    success answer leads (OpenAPI links). ``operator``: PropDesk's operators only, by API
    Gateway's IAM authorization (a SigV4-signed request); never a firm's token."""
    content_types = content_types or [JSON]

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def view(**params: str) -> Response:
            return _handle(bp, fn, params, auth, admin, max_body, operator)

        route_kwargs: dict[str, Any] = {"methods": [method]}
        if method in ("POST", "PUT", "PATCH"):
            route_kwargs["content_types"] = content_types
        if auth:
            route_kwargs["authorizer"] = cognito
        elif operator:
            from chalice import IAMAuthorizer
            route_kwargs["authorizer"] = IAMAuthorizer()
        bp.route(path, name=f"{fn.__name__}", **route_kwargs)(view)
        ROUTES.append(RouteDoc(path=path, method=method, summary=summary, tags=tags, auth=auth, admin=admin,
                               request=request, query=query, request_content=content_types,
                               responses=responses or {}, headers=headers or [], produces=produces or [JSON],
                               form=form, schema=schema, links=links or {}, max_body=max_body, operator=operator))
        return fn

    return decorate


def operator_arn(context: dict) -> str:
    """Who signed an operator's request: the IAM principal API Gateway verified ('' if none;
    ``chalice local`` and the tests' client admit IAM routes unsigned, and carry no principal)."""
    return str((context.get("identity") or {}).get("userArn") or "")


def _handle(bp: Blueprint, fn: Callable, params: dict, auth: bool, admin: bool, max_body: int | None,
            operator: bool = False) -> Response:
    request = bp.current_request
    context = request.context or {}
    identity = identity_from_context(context) if auth else None
    request_id = context.get("requestId") or getattr(bp.lambda_context, "aws_request_id", "") or ""
    with request_scope(request_id=request_id, tenant_id=identity.tenant_id if identity else None,
                       route=f"{request.method} {context.get('resourcePath', '')}"):
        try:
            if auth and identity is None:
                raise Unauthorized("Sign in first.")
            if admin:
                identity.require_admin()  # type: ignore[union-attr]
            if operator and not operator_arn(context):
                raise Forbidden("Operators only: sign the request with the deployment's AWS credentials (SigV4).",
                                {"Authorization": "an AWS IAM signature is required"})
            long_params = sorted(name for name, value in params.items() if len(value or "") > MAX_PATH_PARAM)
            if long_params:  # no id, slug or link of ours is this long (and DynamoDB keys stop at 1 kB)
                raise NotFound("Not found.", {name: "does not exist" for name in long_params})
            limit = max_body or settings().max_body_bytes
            if len(request.raw_body or b"") > limit:
                raise PayloadTooLarge(f"The request body is larger than {limit // 1024} kB.",
                                      {"body": f"must be at most {limit} bytes"})
            call = Call(request, identity)
            if identity is not None:  # the firm's API requests (approximate: store/metering.py)
                from ..services import metering
                metering.note_request(identity)
            if admin and request.method != "GET":  # the audit log: who changed what (never the body;
                from ..services import audit          # a setting's value before and after, noted by its service)
                with audit.noting() as changes:
                    response = _as_response(fn(call, **params))
                audit.record(identity, f"{request.method} {context.get('resourcePath', '')}", params,
                             response.status_code, call.source_ip, changes)
            else:
                response = _as_response(fn(call, **params))
        except DomainError as error:
            logger.info("request refused", extra={"status": error.status, "code": error.code,
                                                  "fields": sorted(error.fields)})
            response = None
            if not auth and html_refusal is not None:
                response = html_refusal(request, error)
            response = response or to_response(error)
        except Exception:  # a bug, never bad input: log it, answer without details
            logger.exception("unhandled error")
            response = Response(body=error_body("internal", "Something went wrong on our side. Try again."),
                                status_code=500, headers={"Content-Type": JSON, **SECURITY_HEADERS})
        logger.info("request done", extra={"status": response.status_code})
        if request_id:
            response.headers["X-Request-Id"] = request_id
    metrics.flush_if_any()
    return response


def _as_response(result: Any) -> Response:
    if isinstance(result, Response):
        for name, value in SECURITY_HEADERS.items():
            result.headers.setdefault(name, value)
        return result
    status, headers = 200, {}
    if isinstance(result, tuple):
        if len(result) == 3:
            status, result, headers = result
        else:
            status, result = result
    return Response(body=result, status_code=status, headers={"Content-Type": JSON, **SECURITY_HEADERS, **headers})
