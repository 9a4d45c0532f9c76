"""Removed people lose access within a minute, on every route (issue 13 §4), with either
identity adapter (Cognito, or our own accounts).

Given a person with a Bearer token and a console session, when an admin deactivates them,
an admin changes their role, or they sign out, then within the limit their old token gets
401 on EVERY authorized API route (the list comes from the route table, as in
test_isolation.py) and their old console cookies open no console page (the list comes from
the console's own registry, as in tests/console/test_access.py).

"Within the limit" is tested the way it happens in production: the change is made as if by
another warm Lambda (so this process's cached standing is NOT forgotten) and the cache's
clock is moved on instead of sleeping. The limit is the per-process standing cache plus
API Gateway's authorizer cache; both are read from the code and must stay within 60 s.

Cost: a warm request reads nothing more from DynamoDB (counted by wrapping botocore's
``_make_api_call``, as bench/dynamo_calls.py does).
"""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from typing import Iterator

import pytest

import app as _app  # noqa: F401 — registers every route
from chalicelib.api.console.session import PAGES
from chalicelib.api.http import ROUTES
from chalicelib.services import access
from tests.api.identity_adapters import adapter_fixture
from tests.api.test_isolation import VALID_BODIES, payload_for, route_id, send
from tests.console.conftest import Session
from tests.support import Firm, body, set_password, sign_in_token, unique

AUTH_ROUTES = [r for r in ROUTES if r.auth]
CONSOLE_PAGES = [(p.path, m) for p in PAGES if p.signed_in for m in p.methods]
PARAM = re.compile(r"\{(\w+)\}")
KINDS = ("deactivate", "role change", "sign-out")

adapter = adapter_fixture()  # Cognito and our own accounts alike


class Clock:
    """The standing cache's clock: real time plus however far a test has moved it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock():
    fake, saved = Clock(), access.cache.clock
    access.cache.clock = fake
    access.cache.clear()
    yield fake
    access.cache.clock = saved
    access.cache.clear()


@pytest.fixture(scope="module")
def scene(adapter, client):
    firm = Firm.sign_up(client)
    ticket = firm.new_ticket()
    campaign = body(firm.call("POST", "/api/campaigns", {"name": "Survey", "property_ids": [firm.property_id],
                                                          "opens_on": "2026-12-01", "closes_on": "2026-12-31"}))
    colleague_sub, colleague_token = firm.add_staff("Colleague")
    ids = {"ticket_id": ticket["id"], "property_id": firm.property_id, "building_id": firm.building_id,
           "staff_id": colleague_sub, "sub": colleague_sub, "period": "M2026-10", "campaign_id": campaign["id"],
           "unit": firm.units[0], "month": "M2026-10", "item_key": "lifts_work",
           "incident_id": body(firm.call("POST", "/api/incidents", {"title": "Lift down",
                                                                    "tickets": [firm.new_ticket()["id"]]}))["id"],
           "export_id": body(firm.call("POST", "/api/firm/exports"))["id"]}
    return {"firm": firm, "ids": ids, "colleague_token": colleague_token}


def fill(path: str, ids: dict) -> str:
    missing = [name for name in PARAM.findall(path) if name not in ids]
    assert not missing, f"{path}: teach this test an id for {missing}"
    return PARAM.sub(lambda m: ids[m.group(1)], path)


class Person:
    """A member of the firm with a Bearer token and a console session of their own."""

    def __init__(self, scene, role: str) -> None:
        firm = scene["firm"]
        self.email = f"{unique('person')}@example.com"
        invited = firm.call("POST", "/api/staff", {"email": self.email, "name": "Zhao Lei", "role": role})
        assert invited.status_code == 201, invited.body
        self.sub = body(invited)["id"]
        set_password(self.email)
        self.token = sign_in_token(firm.client, self.email)
        self.console = Session(firm.client, self.email)
        self.old_cookies = dict(self.console.cookie)

    def api(self, scene, path: str = "/api/tickets") -> int:
        return scene["firm"].call("GET", path, token=self.token).status_code


def revoke(kind: str, scene, person: Person) -> None:
    firm = scene["firm"]
    if kind == "deactivate":
        answer = firm.call("PATCH", f"/api/staff/{person.sub}", {"active": False})
    elif kind == "role change":
        answer = firm.call("PATCH", f"/api/staff/{person.sub}", {"role": "staff"})  # an admin demoted
    else:
        answer = person.console.post("/console/signout", {})
        assert answer.status_code == 303 and "done=out" in answer.headers["Location"], answer.body
        return
    assert answer.status_code == 200, answer.body


def role_for(kind: str) -> str:
    return "admin" if kind == "role change" else "staff"


def console_answer(client, cookies: dict, path: str, method: str, csrf: str):
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "Accept": "text/html"}
    if method == "GET":
        return client.http.get(path, headers=headers)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return client.http.post(path, headers=headers, body=f"csrf={csrf}")


def assert_signed_out_everywhere(scene, cookies: dict, csrf: str) -> None:
    client = scene["firm"].client
    for path, method in CONSOLE_PAGES:
        url = fill(path, scene["ids"])
        answer = console_answer(client, cookies, url, method, csrf)
        if method == "GET":
            assert answer.status_code == 303, (url, answer.status_code)
            assert answer.headers["Location"].startswith("/console/signin"), url
        else:  # no session: the form is refused before anything is read or changed
            assert answer.status_code in (401, 403), (url, answer.status_code)


@contextmanager
def as_if_changed_elsewhere(monkeypatch) -> Iterator[None]:
    """The change is made by another warm process: this one's cached standing is kept."""
    monkeypatch.setattr(access, "forget", lambda tenant_id, sub: None)
    yield
    monkeypatch.undo()


def test_the_limit_is_within_a_minute():
    from chalicelib.api.auth import cognito
    assert cognito.config.ttl_seconds == access.AUTHORIZER_CACHE_SECONDS
    assert access.cache.ttl == access.STANDING_SECONDS
    assert access.STANDING_SECONDS + access.AUTHORIZER_CACHE_SECONDS <= 60


def test_every_authorized_route_is_in_the_route_list():
    assert {(r.method, r.path) for r in AUTH_ROUTES} <= set(VALID_BODIES), "test_isolation.py must know every route"
    assert len(CONSOLE_PAGES) >= 10


@pytest.mark.parametrize("kind", KINDS)
def test_the_old_token_and_cookie_stop_working_on_every_route_within_the_limit(scene, clock, monkeypatch, kind):
    person = Person(scene, role_for(kind))
    csrf = person.console.csrf_token()
    # Given: the person works; this process has their standing cached
    assert person.api(scene) == 200
    assert person.console.get("/console/queue").status_code == 200

    with as_if_changed_elsewhere(monkeypatch):
        revoke(kind, scene, person)
    # a moment before the cache's limit this process still trusts what it read (no DynamoDB read) ...
    clock.advance(access.STANDING_SECONDS - 1)
    assert person.api(scene) == 200
    # ... and at the limit every route refuses the old token
    clock.advance(1)
    for route in AUTH_ROUTES:
        path = fill(route.path, scene["ids"])
        answer = send(scene["firm"], route, path, payload_for(route, scene["firm"]), token=person.token)
        assert answer.status_code == 401, (route_id(route), answer.status_code)
        assert body(answer)["error"]["code"] == "unauthorized"
    # the old console cookies: without the refresh token, no page opens
    assert_signed_out_everywhere(scene, {"pd_id": person.old_cookies["pd_id"]}, csrf)
    if kind == "role change":
        # with it, the session renews as what the person is now: staff, so admin pages are shut
        staff_page = console_answer(scene["firm"].client, person.old_cookies, "/console/staff", "GET", csrf)
        assert staff_page.status_code == 403
    else:  # deactivated or signed out: the refresh token is dead too
        assert_signed_out_everywhere(scene, person.old_cookies, csrf)
    # and nobody else was affected
    for route in [r for r in AUTH_ROUTES if r.method == "GET"]:
        answer = send(scene["firm"], route, fill(route.path, scene["ids"]), None)
        assert answer.status_code != 401, route_id(route)


@pytest.mark.parametrize("kind", KINDS)
def test_in_the_process_that_made_the_change_it_takes_effect_at_once(scene, clock, kind):
    person = Person(scene, role_for(kind))
    assert person.api(scene) == 200
    revoke(kind, scene, person)
    assert person.api(scene) == 401
    answer = console_answer(scene["firm"].client, {"pd_id": person.old_cookies["pd_id"]}, "/console/queue", "GET", "")
    assert answer.status_code == 303


def test_a_role_change_elsewhere_does_not_lock_out_the_new_token(scene, clock, monkeypatch):
    """A person promoted in another process signs in again: their new admin token is newer
    than this process's cached standing (which still says staff), so the standing is read
    again at once rather than refused for the rest of the cache's life."""
    person = Person(scene, "staff")
    clock.advance(-5)  # this process read the standing 5 s ago ...
    access.cache.clear()
    assert person.api(scene) == 200
    with as_if_changed_elsewhere(monkeypatch):  # ... then the promotion happened elsewhere
        assert scene["firm"].call("PATCH", f"/api/staff/{person.sub}", {"role": "admin"}).status_code == 200
    fresh = sign_in_token(scene["firm"].client, person.email)
    assert scene["firm"].call("GET", "/api/staff", token=fresh).status_code == 200
    assert person.api(scene) == 401  # and what was read again now refuses the old staff token


# --- what it costs --------------------------------------------------------------------------

@contextmanager
def dynamodb_calls() -> Iterator[list]:
    """Every DynamoDB operation (name, params) made while the block runs."""
    from bench.dynamo_calls import aws_calls
    found: list = []
    with aws_calls(params=True) as seen:
        yield found
    found.extend((operation, params) for service, operation, params in seen if service == "dynamodb")


def standing_reads(calls: list, sub: str) -> int:
    return sum(1 for name, params in calls if f"USER#{sub}" in json.dumps(params, default=str))


def test_a_warm_request_adds_no_dynamodb_call(scene, clock):
    person = Person(scene, "staff")
    access.cache.clear()
    with dynamodb_calls() as cold:
        assert person.api(scene) == 200
    with dynamodb_calls() as warm:
        clock.advance(access.STANDING_SECONDS - 1)
        assert person.api(scene) == 200
    assert standing_reads(cold, person.sub) == 1
    assert [name for name, params in cold if "USER#" in json.dumps(params, default=str)] == ["GetItem"]
    assert standing_reads(warm, person.sub) == 0
    assert len(cold) - len(warm) == 1  # the route's own calls, and nothing else
    with dynamodb_calls() as page:
        assert person.console.get("/console/account").status_code == 200
    assert page == []  # the account page reads no table, and the standing is cached
    with dynamodb_calls() as stale:
        clock.advance(1)
        assert person.api(scene) == 200
    assert standing_reads(stale, person.sub) == 1  # once a minute per person per process, not more
