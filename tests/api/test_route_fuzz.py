"""No input reaches a 500, and a refused request writes nothing — for every route.

Generated from the route table: every JSON route of ``chalicelib.api.http.ROUTES`` (through
its ``/openapi.json`` entry: body, query, headers) and every console page of
``chalicelib.api.console.session.PAGES`` (form fields, CSRF, cookies). Each example is a
request shaped like the route's declaration with hostile values mixed in: numbers no field
could mean (a 5,000-digit integer as raw JSON, 1e999), long digit strings, impossible dates,
times and zones, CR/LF/NUL/bidi controls in every string (``next=`` and ``lang=`` too, and
cookies), wrong types, arrays where a form expects one value, garbage tokens and cookies.

Then: never a 5xx; and on a 4xx the firm's partition holds exactly as many items as before
(one Query with Select=COUNT on ``TENANT#<id>``; no Scan). Deterministic (derandomized),
a few examples per route and class, so the whole file runs in well under a minute.

A class of input that another area is still fixing is marked xfail(strict=False) for that
route with the failing input named (KNOWN), rather than hidden.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import app as _app  # noqa: F401 — registers every route
from chalicelib.api.http import ROUTES
from tests.support import Firm, body, set_password, sign_in_token, unique

EXAMPLES = 3         # per route that takes no body
BODY_EXAMPLES = 8    # per route that does
CLASSES = ("numbers", "dates", "controls")  # each example draws one
COOKIE_PAGES = [("/console/queue", "GET"), ("/console/signin", "GET"), ("/console/tickets/{ticket_id}/events", "POST"),
                ("/console/standards", "POST")]  # the garbage refresh-token cookie class: session reading is shared


class Raw(str):
    """JSON text written as it is (a number json.dumps cannot write: over 4,300 digits)."""


# --- hostile values -----------------------------------------------------------------------

BAD_DATES = ["2026-13-01T10:00:00+08:00", "2026-12-01T25:61:00+08:00", "2026-12-01T10:00:00+99:99",
             "2026-02-30", "0000-01-01", "9999-12-31T23:59:59-23:59", "2026-12-01T10:00", "2026-12-01T10:00:60Z",
             "2026-02-29T00:00:00Z", "-0001-01-01", "M2026-13", "Q2026-5", "W2026-54", "M0000-00", "999999999d",
             "99999999h", "25:61", "24:00", "2026-W99"]
CONTROLS = ["\r\nSet-Cookie: x=1", "a\x00b", "\u202eevil\u202c", "\u2066x\u2069", "x\x1b[31m", "\x7f", "\u200b",
            "\ud7ff\ufeff", "line\nbreak", "tab\there", "https://evil.example/", "//evil.example", "/\\evil",
            "javascript:alert(1)", "../../etc", "%0d%0a", "<script>alert(1)</script>", "zh-CN\r\n", "en\x00"]
NUMBERS = [Raw("1" * 5000), Raw("-" + "9" * 4400), Raw("1e999"), Raw("-1e999"), Raw("1" * 150), 2**63, -(2**63),
           10**30, -1, 0, 1.5, "9" * 5000, "1" * 60, "-0", "1e5", "0x10", "١٢٣"]
WRONG_TYPES: list[Any] = [None, True, False, [], ["a", "b"], {}, {"a": {"b": [1]}}, "", " ", "null", 0]


def hostile(kind: str) -> st.SearchStrategy:
    kind = "controls" if kind == "cookies" else kind
    pool = {"numbers": NUMBERS, "dates": BAD_DATES, "controls": CONTROLS}[kind]
    return st.one_of(st.sampled_from(pool), st.sampled_from(WRONG_TYPES))


def hostile_text(kind: str) -> st.SearchStrategy:
    """Hostile values that can travel as text (query strings, form fields, cookies, paths)."""
    kind = "controls" if kind == "cookies" else kind
    pool = {"numbers": [str(v) for v in NUMBERS], "dates": BAD_DATES, "controls": CONTROLS}[kind]
    return st.sampled_from(pool + ["", " ", "null", "[]", "x" * 300])


# --- values shaped like a schema ----------------------------------------------------------

def from_schema(schema: dict, kind: str, depth: int = 0) -> st.SearchStrategy:
    """Values of a (cleaned) JSON Schema, each leaf sometimes (1 in 5) replaced by a hostile value."""
    shaped = _shaped(schema, kind, depth)
    return st.one_of(shaped, shaped, shaped, shaped, hostile(kind))


def _shaped(schema: dict, kind: str, depth: int) -> st.SearchStrategy:
    if "oneOf" in schema:
        return st.one_of(*[_shaped(s, kind, depth) for s in schema["oneOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind_of = schema.get("type")
    if kind_of == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: len(s) <= schema.get("maxLength", 10_000))
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40))
    if kind_of == "integer":
        return st.integers(schema.get("minimum", -(2**40)), schema.get("maximum", 2**40))
    if kind_of == "boolean":
        return st.booleans()
    if kind_of == "array":
        items = schema.get("items") or {"type": "string"}
        return st.lists(from_schema(items, kind, depth + 1), max_size=3)
    if kind_of == "object" and depth < 4:
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        return st.fixed_dictionaries(
            {name: from_schema(sub, kind, depth + 1) for name, sub in properties.items() if name in required},
            optional={name: from_schema(sub, kind, depth + 1) for name, sub in properties.items()
                      if name not in required} | {"unexpected": hostile(kind)})
    return st.just({})


def to_json(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    return json.dumps(value)


def form_text(value: Any) -> str | list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]  # an array where the form expects one value: repeated names
    return "" if value is None else str(value)


# --- the world the requests aim at ----------------------------------------------------------

@pytest.fixture(scope="module")
def world(client):
    """A firm with a register, a resident's ticket (and its tracking link), a campaign, a
    colleague, and a second admin whose console session the page requests carry."""
    firm = Firm.sign_up(client)
    staff_sub, staff_token = firm.add_staff()
    ticket = firm.new_ticket()
    acknowledged = firm.event(ticket["id"], ticket["version"], {"type": "acknowledge"})
    assert acknowledged.status_code == 201, acknowledged.body
    ticket["version"] = body(acknowledged)["version"]
    tracking = body(firm.submit())["ticket"]["tracking_token"]
    campaign = body(firm.call("POST", "/api/campaigns", {"name": "Survey", "property_ids": [firm.property_id],
                                                        "opens_on": "2026-12-01", "closes_on": "2026-12-31"}))["id"]
    email = f"{unique('console')}@example.com"
    assert firm.call("POST", "/api/staff", {"email": email, "name": "Con Sole", "role": "admin"}).status_code == 201
    set_password(email)
    from tests.support import PASSWORD
    signed_in = body(client.http.post("/auth/signin", headers={"Content-Type": "application/json"},
                                      body=json.dumps({"email": email, "password": PASSWORD})))["tokens"]
    from chalicelib.api.console.session import csrf_for
    incident = body(firm.call("POST", "/api/incidents", {"title": "Lift down", "tickets": [firm.new_ticket()["id"]]}))
    return {"firm": firm, "ticket": ticket, "tracking": tracking, "campaign": campaign, "incident": incident["id"],
            "staff": (staff_sub, staff_token), "console_id": signed_in["IdToken"],
            "console_refresh": signed_in["RefreshToken"], "csrf": csrf_for(signed_in["RefreshToken"]),
            "standards_firm": None}


def path_values(world) -> dict[str, str]:
    from chalicelib.domain.tokens import short_of  # a message's short link to the same report
    firm = world["firm"]
    return {"ticket_id": world["ticket"]["id"], "property_id": firm.property_id, "building_id": firm.building_id,
            "staff_id": world["staff"][0], "period": "M2026-11", "campaign_id": world["campaign"],
            "slug": firm.slug, "token": world["tracking"], "short": short_of(world["tracking"]),
            "month": "M2026-11", "item_key": "lifts_work", "incident_id": world["incident"],
            "export_id": "01M00000000000000000000000", "tenant_id": firm.tenant_id}


def items_of(tenant_id: str) -> int:
    """How many items the firm's partition holds: one Query with Select=COUNT (no Scan)."""
    import os

    import boto3
    client = boto3.client("dynamodb")
    total, start = 0, None
    while True:
        kwargs = {"TableName": os.environ["PROPDESK_TABLE"], "Select": "COUNT",
                  "KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": f"TENANT#{tenant_id}"}}}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.query(**kwargs)
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


# --- requests -----------------------------------------------------------------------------

def _path(template: str, values: dict, hostile_params: dict) -> str:
    return re.sub(r"{(\w+)}", lambda m: quote(str(hostile_params.get(m.group(1), values[m.group(1)])), safe=""),
                  template)


def _query(pairs: dict) -> str:
    if not pairs:
        return ""
    return "?" + urlencode({k: form_text(v) for k, v in pairs.items()}, doseq=True, quote_via=quote)


@st.composite
def api_request(draw, route, operation: dict, kind: str | None, world) -> dict:
    kind = kind or draw(st.sampled_from(CLASSES))
    params = re.findall(r"{(\w+)}", route.path)
    hostile_params = {name: draw(hostile_text(kind)) for name in params if draw(st.integers(0, 3)) == 0}
    hostile_params = {k: v for k, v in hostile_params.items() if str(v).strip("/ ")}
    query: dict = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and draw(st.booleans()):
            query[parameter["name"]] = draw(st.one_of(_shaped(parameter["schema"], kind, 1), hostile_text(kind)))
    for extra in ("lang", "next", "thanks", "rating", "key", "v"):
        if draw(st.integers(0, 2)) == 0:
            query[extra] = draw(st.one_of(hostile_text(kind), st.sampled_from(["en", "zh-CN", "1", "5"])))
    headers: dict[str, str] = {"Accept": draw(st.sampled_from(["application/json", "text/html", "*/*"]))}
    if route.auth:
        choice = draw(st.integers(0, 9))
        token = world["firm"].admin_token if choice < 8 else world["staff"][1] if choice == 8 else "x.y.z"
        headers["Authorization"] = f"Bearer {token}"
    current = world["standards_version"] if route.path == "/api/standards" else world["ticket"]["version"]
    for header in (h.rstrip("?") for h in route.headers):
        if draw(st.integers(0, 4)):  # mostly the current version, so the body is read at all
            headers[header] = draw(st.one_of(st.sampled_from([f'"{current}"'] * 4 + ['W/"1"', '"1"']),
                                             hostile_text(kind).filter(_header_safe)))
    if draw(st.integers(0, 3)) == 0:
        headers["Cookie"] = f"pd_id={draw(hostile_text(kind).filter(_header_safe))}; pd_lang=xx"
    if draw(st.integers(0, 5)) == 0:
        headers["X-Forwarded-Host"] = draw(hostile_text(kind).filter(_header_safe))
    data = b""
    if route.method in ("POST", "PUT", "PATCH"):
        content = (operation.get("requestBody") or {}).get("content") or {"application/json": {"schema": {}}}
        content_type = draw(st.sampled_from(sorted(content)))
        headers["Content-Type"] = content_type
        schema = content[content_type]["schema"]
        if content_type == "application/json":
            valid = valid_body(route, world)
            if route.method == "PUT" and route.path == "/api/standards" and draw(st.booleans()):
                value = {"standards": mutate_document(draw, world["standards"], kind)}
            elif valid is not None and draw(st.integers(0, 3)):
                value = mutate_document(draw, valid, kind)  # a valid body with one to three values made hostile
            else:
                value = draw(from_schema(schema, kind))
            data = to_json(value).encode()
        elif content_type == "application/x-www-form-urlencoded":
            value = draw(from_schema(schema, kind))
            fields = value if isinstance(value, dict) else {"value": value}
            data = urlencode({k: form_text(v) for k, v in fields.items()}, doseq=True).encode()
        else:  # text/csv
            rows = draw(st.lists(st.tuples(st.sampled_from(["Block 3", "", "Block 9"]), hostile_text(kind)), max_size=4))
            data = ("building,unit,floor\n" + "".join(f"{b},{u},{u}\n" for b, u in rows)).encode("utf-8", "surrogatepass")
    return Request(method=route.method, path=_path(route.path, path_values(world), hostile_params) + _query(query),
                   headers=headers, body=data)


def _header_safe(value: Any) -> bool:
    """What an HTTP client can put in a header at all (no CR/LF/NUL; Latin-1)."""
    text = str(value)
    return not re.search(r"[\r\n\x00]", text) and all(ord(c) < 256 for c in text)


def valid_body(route, world) -> dict | None:
    """A body the route accepts (as far as its shape goes), for one-value-at-a-time mutation."""
    from chalicelib.domain.inspections import STARTER, items_of
    firm = world["firm"]
    bodies = {
        ("POST", "/api/tickets"): firm.report(), ("POST", "/r/{slug}/tickets"): firm.report(),
        ("POST", "/api/tickets/{ticket_id}/events"): {"type": "schedule", "at": "2026-12-24T10:00:00+08:00",
                                                      "note": "visit"},
        ("PATCH", "/api/tickets/{ticket_id}"): {"urgency": "urgent", "category": "repairs"},
        ("POST", "/api/campaigns"): {"name": "Survey", "property_ids": [firm.property_id], "opens_on": "2026-12-01",
                                     "closes_on": "2026-12-31"},
        ("POST", "/api/properties"): {"name": "Court", "address": "1 Road"},
        ("POST", "/api/properties/{property_id}/buildings"): {"name": "Block 9"},
        ("POST", "/api/properties/{property_id}/buildings/{building_id}/units"): {"code": "909", "floor": 9},
        ("POST", "/api/staff"): {"email": "someone@example.com", "name": "Some One", "role": "staff"},
        ("PATCH", "/api/staff/{staff_id}"): {"role": "staff", "name": "Wang Wei", "active": True},
        ("POST", "/signup"): {"name": "Firm", "slug": "firm-fuzz", "time_zone": "Asia/Shanghai", "locale": "en",
                              "admin_email": "a@example.com", "admin_name": "Ada", "template": "prc-residential"},
        ("POST", "/s/{token}"): {"rating": "5", "nps": "9", "comment": "ok"},
        ("POST", "/t/{token}/survey"): {"rating": "5", "nps": "9", "comment": "ok"},
        ("POST", "/t/{token}/reply"): {"body": "Yes, any time"},
        ("POST", "/t/{token}/not-fixed"): {"reason": "Still drips"},
        ("POST", "/auth/signin"): {"email": firm.admin_email, "password": "wrong-password-1"},
        ("PUT", "/api/properties/{property_id}/checklist"): {**STARTER, "version": 0},
        ("PUT", "/api/properties/{property_id}/inspections/{month}"): {
            "version": 0, "results": {i.key: {"passed": i.key != "lifts_work", "note": "stuck"} for i in items_of(STARTER)}},
        ("POST", "/api/properties/{property_id}/inspections/{month}/items/{item_key}/ticket"): {"version": 1},
    }
    return bodies.get((route.method, route.path))


DATE_NAMES = re.compile(r"(^|_)(at|on|from|to|date|day|days|time_zone|period|until|by)$")
# Impossible values in the very format of a valid one (so the shape's pattern lets them through).
SAME_FORMAT_IMPOSSIBLE = [
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)"),
     ["2026-13-01T10:00:00+08:00", "2026-12-01T25:61:00+08:00", "2026-12-01T10:00:00+99:99",
      "2026-02-30T10:00:00+08:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59"]),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), ["2026-02-30", "0000-01-01", "2026-13-01", "2026-00-10", "9999-12-32"]),
    (re.compile(r"\d{2}:\d{2}"), ["25:61", "24:00", "23:60", "99:99"]),
    (re.compile(r"\d{1,2}:\d{2}-\d{1,2}:\d{2}"), ["25:61-26:00", "08:30-08:30", "18:00-08:30", "00:00-99:99"]),
    (re.compile(r"\d+(\.\d+)?\s*(m|h|d|w|min|hours?|days?|working days?|weeks?)"),
     ["999999999d", "99999999 working days", "9999999999h", "0m", "999999999w"]),
]


def impossible_like(value: Any) -> list[str]:
    for pattern, candidates in SAME_FORMAT_IMPOSSIBLE:
        if isinstance(value, str) and pattern.fullmatch(value):
            return candidates
    return BAD_DATES


def mutate_document(draw, document: Any, kind: str) -> Any:
    """The firm's own standards document with one leaf replaced by a hostile value."""
    leaves: list[tuple] = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + (i,))
        else:
            leaves.append(path)
    walk(document, ())
    copy = json.loads(json.dumps(document))

    def named(path: tuple) -> str:
        return next((str(step) for step in reversed(path) if isinstance(step, str)), "")

    def value_at(path: tuple) -> Any:
        node = document
        for step in path:
            node = node[step]
        return node

    datelike = [path for path in leaves if DATE_NAMES.search(named(path))
                or impossible_like(value_at(path)) is not BAD_DATES]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(datelike if kind == "dates" and datelike else leaves))
        node = copy
        for step in path[:-1]:
            node = node[step]
        if kind == "dates" and path in datelike:
            node[path[-1]] = draw(st.sampled_from(impossible_like(node[path[-1]])))
        else:
            node[path[-1]] = draw(hostile(kind))
    return copy


FORM_NAMES = ["lang", "next", "name", "email", "password", "new_password", "session", "role", "active", "body",
              "type", "note", "visibility", "assignee", "question", "at", "reason", "category", "urgency", "yaml",
              "version", "address", "code", "floor", "building", "unit", "channel", "publish", "slug", "time_zone",
              "locale", "admin_email", "admin_name", "template", "property", "period", "by", "min_n", "staff_id",
              "first_response", "resolution", "from", "to", "date", "day", "nps", "rating"]


@st.composite
def console_request(draw, page_path: str, method: str, kind: str | None, world) -> dict:
    kind = kind or draw(st.sampled_from(CLASSES))
    params = re.findall(r"{(\w+)}", page_path)
    hostile_params = {name: draw(hostile_text(kind)) for name in params if draw(st.integers(0, 3)) == 0}
    hostile_params = {k: v for k, v in hostile_params.items() if str(v).strip("/ ")}
    query = {name: draw(st.one_of(hostile_text(kind), st.sampled_from(["en", "zh-CN", "/console/queue", "1"])))
             for name in draw(st.lists(st.sampled_from(["lang", "next", "period", "by", "status", "category",
                                                         "assignee", "property", "cursor", "thanks"]),
                                       max_size=4, unique=True))}
    cookie = draw(st.sampled_from(["session", "session", "session", "garbage", "none"]))
    cookies = {}
    if cookie == "session":
        cookies = {"pd_id": world["console_id"], "pd_rt": world["console_refresh"]}
    elif cookie == "garbage":
        cookies = {"pd_id": draw(hostile_text(kind).filter(_cookie_safe))}
    if kind == "cookies":  # no valid ID token, and a refresh token nobody issued: just "signed out"
        cookies = {"pd_rt": draw(st.sampled_from(["garbage", "x" * 2000, "eyJ.eyJ.sig", world["console_refresh"][:-5]]))}
        if draw(st.booleans()):
            cookies["pd_id"] = draw(st.sampled_from(["garbage", "1" * 5000, world["console_id"][:-5]]))
    if draw(st.booleans()):
        cookies["pd_lang"] = draw(hostile_text(kind).filter(_cookie_safe))
    headers = {"Accept": "text/html", "Accept-Language": draw(st.sampled_from(["zh-CN,zh;q=0.9", "en", "xx, *;q=-1"]))}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    data = b""
    if method == "POST":
        headers["Content-Type"] = draw(st.sampled_from(["application/x-www-form-urlencoded"] * 4
                                                       + ["multipart/form-data; boundary=x"]))
        names = draw(st.lists(st.sampled_from(FORM_NAMES), max_size=8, unique=True))
        fields: dict[str, Any] = {n: draw(st.one_of(hostile_text(kind), st.text(max_size=20),
                                                    st.lists(hostile_text(kind), min_size=2, max_size=3)))
                                  for n in names}
        if draw(st.integers(0, 4)):
            fields["csrf"] = world["csrf"]
        data = urlencode({k: form_text(v) for k, v in fields.items()}, doseq=True).encode()
    return Request(method=method, path=_path(page_path, path_values(world), hostile_params) + _query(query),
                   headers=headers, body=data)


def _cookie_safe(value: Any) -> bool:
    return _header_safe(value) and not re.search(r"[;,\s]", str(value))


# --- the cases ----------------------------------------------------------------------------

def _document():
    from chalicelib.api.openapi import document
    return document()


OPERATIONS = _document()["paths"]
# Routes whose success writes to another partition (a new firm) or re-points the firm itself.
SKIP_WRITE_CHECK = {("POST", "/signup")}

# Known 500s in other areas' code, each with the input that found it. strict=False: they pass
# once fixed there (the route fuzz then guards them like every other route).
# Classes another area was still fixing were marked xfail here, naming the input; all are fixed
# (dates: domain/fields.py; identity errors and refresh cookies: adapters/identity, session.py).
KNOWN: dict[tuple[str, str], str] = {}


def route_cases():
    for route in ROUTES:
        key = (route.method, route.path)
        marks = [pytest.mark.xfail(reason=KNOWN[key], strict=False)] if key in KNOWN else []
        yield pytest.param(route, id=f"{route.method} {route.path}", marks=marks)


def console_cases():
    from chalicelib.api.console.session import PAGES
    pages = sorted(((page.path, method) for page in PAGES for method in page.methods),
                   key=lambda pm: pm[0] == "/console/signout")  # signing out last: it ends the session
    for path, method in pages:
        key = (method, path)
        marks = [pytest.mark.xfail(reason=KNOWN[key], strict=False)] if key in KNOWN else []
        yield pytest.param(path, method, id=f"{method} {path}", marks=marks)


def cookie_cases():
    for path, method in COOKIE_PAGES:
        yield pytest.param(path, method, id=f"{method} {path}")


def fuzz(examples: int = EXAMPLES) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate],  # no shrinking: the message shows the input cut short
                    suppress_health_check=list(HealthCheck))


FUZZ = fuzz()


def short(value: Any, limit: int = 120) -> Any:
    """A request as a failure message shows it: long values cut (a 5,000-digit number stays readable)."""
    if isinstance(value, dict):
        return {k: short(v, limit) for k, v in value.items()}
    if isinstance(value, (str, bytes)) and len(value) > limit:
        return value[: limit // 2] + (b"..." if isinstance(value, bytes) else f"...({len(value)})...") + value[-20:]
    return value


class Request(dict):
    def __repr__(self) -> str:
        return repr(short(dict(self)))


def check(client, world, request: dict, count_write: bool = True) -> None:
    """Send it: no 5xx; a 4xx leaves the firm's item count as the last request left it."""
    tenant_id = world["firm"].tenant_id
    response = client.http.request(request["method"], request["path"], headers=request["headers"],
                                   body=request["body"])
    shown = short(request)
    assert response.status_code < 500, f"{response.status_code} for {shown!r}: {response.body[:300]!r}"
    after = items_of(tenant_id)
    before, world["items"] = world["items"], after
    if count_write and 400 <= response.status_code < 500:
        assert after == before, f"a refused request ({response.status_code}) wrote {after - before} items: {shown!r}"
    if response.status_code < 300 and request["path"].startswith(f"/api/tickets/{world['ticket']['id']}"):
        world["ticket"]["version"] = body(response).get("version", world["ticket"]["version"])
    if response.status_code >= 400 and "application/json" in response.headers.get("Content-Type", ""):
        assert set(body(response)["error"]) == {"code", "message", "fields"}, response.body[:300]


@pytest.fixture(scope="module")
def standards(world):
    current = body(world["firm"].call("GET", "/api/standards"))
    world["standards"], world["standards_version"] = current["standards"], current["version"]
    world["items"] = items_of(world["firm"].tenant_id)
    return world


@pytest.mark.parametrize("route", list(route_cases()))
def test_no_route_answers_5xx_or_writes_when_it_refuses(client, standards, route):
    world = standards
    operation = OPERATIONS[route.path][route.method.lower()]

    @fuzz(BODY_EXAMPLES if route.method in ("POST", "PUT", "PATCH") else EXAMPLES)
    @given(request=api_request(route, operation, None, world))
    def run(request):
        check(client, world, request, count_write=(route.method, route.path) not in SKIP_WRITE_CHECK)
        if route.path == "/api/standards" and route.method == "PUT":
            # whatever standards were accepted, the firm can still take a report
            created = world["firm"].call("POST", "/api/tickets", world["firm"].report())
            assert created.status_code < 500, f"after {short(request)!r}: {created.body[:300]!r}"
            restore = body(world["firm"].call("GET", "/api/standards"))
            restored = world["firm"].call("PUT", "/api/standards", {"standards": world["standards"]},
                                          **{"If-Match": f'"{restore["version"]}"'})
            world["standards_version"] = body(restored).get("version", restore["version"])
            world["items"] = items_of(world["firm"].tenant_id)

    run()


@pytest.mark.parametrize("path,method", list(console_cases()))
def test_no_console_page_answers_5xx_or_writes_when_it_refuses(client, standards, path, method):
    world = standards

    @FUZZ
    @given(request=console_request(path, method, None, world))
    def run(request):
        check(client, world, request, count_write=path not in ("/console/signup",))

    run()


@pytest.mark.parametrize("path,method", list(cookie_cases()))
def test_a_garbage_refresh_token_cookie_is_just_signed_out(client, standards, path, method):
    world = standards

    @FUZZ
    @given(request=console_request(path, method, "cookies", world))
    def run(request):
        check(client, world, request)

    run()
