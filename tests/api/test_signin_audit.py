"""Sign-ins and failed sign-ins in the firm's audit log (issue 17 item 5), under each identity
adapter, through the API and the console: who (the person, never the password), when, the
outcome, the network. An e-mail nobody signs in with belongs to no firm's log."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.api.identity_adapters import adapter_fixture
from tests.console.conftest import Session
from tests.support import PASSWORD, body

adapter = adapter_fixture()
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def firm(adapter, client):
    from tests.support import Firm
    return Firm.sign_up(client, with_register=False)


def sign_ins(firm) -> list[dict]:
    return body(firm.call("GET", "/api/audit?action=sign-in"))["entries"]


def test_a_sign_in_and_a_failed_one_are_recorded_with_the_person_and_never_the_password(firm):
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    wrong = "Not-the-password-7"
    before = len(sign_ins(firm))
    assert firm.client.http.post("/auth/signin", headers=JSON, body=json.dumps(
        {"email": firm.admin_email, "password": wrong})).status_code == 401
    assert firm.client.http.post("/auth/signin", headers=JSON, body=json.dumps(
        {"email": firm.admin_email, "password": PASSWORD})).status_code == 200
    entries = sign_ins(firm)
    assert len(entries) == before + 2
    newest, failed = entries[0], entries[1]
    assert (newest["target"], newest["status"]) == ({"outcome": "signed_in", "via": "api"}, 200)
    assert (failed["target"], failed["status"]) == ({"outcome": "failed", "via": "api"}, 401)
    for entry in (newest, failed):
        assert entry["actor"] == {"id": firm.admin_sub, "name": "Ada Admin"}
        assert entry["action"] == "sign-in"
        assert entry["network"] == "127.0.0.0/24"  # the test client's address, as its /24
        assert datetime.fromisoformat(entry["at"].replace("Z", "+00:00")) >= started
    text = firm.call("GET", "/api/audit").body.decode()
    assert wrong not in text and PASSWORD not in text and firm.admin_email not in text


def test_an_unknown_email_is_refused_and_lands_in_no_firms_log(firm):
    before = sign_ins(firm)
    assert firm.client.http.post("/auth/signin", headers=JSON, body=json.dumps(
        {"email": "nobody-at-all@example.com", "password": "Whatever-123"})).status_code == 401
    assert sign_ins(firm) == before


def test_a_console_sign_in_is_recorded_as_the_consoles(firm):
    Session(firm.client, firm.admin_email)
    newest = sign_ins(firm)[0]
    assert newest["target"] == {"outcome": "signed_in", "via": "console"}
    assert newest["actor"]["id"] == firm.admin_sub
