"""The `accounts` identity adapter (cn profile): what it promises beyond the shared
authorizer tests (tests/api/test_authentication.py runs those against it too)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Iterator

import pytest

from chalicelib.adapters.identity import accounts
from chalicelib.domain.errors import Unauthorized
from tests.api.identity_adapters import adapter_fixture
from tests.console.conftest import Session
from tests.support import PASSWORD, body, unique

adapter = adapter_fixture(("accounts",))
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def firm(adapter, client):
    from tests.support import Firm
    return Firm.sign_up(client, with_register=False)


def sign_in(client, email: str, password: str = PASSWORD):
    return client.http.post("/auth/signin", headers=JSON, body=json.dumps({"email": email, "password": password}))


def new_person(firm) -> str:
    from tests.support import set_password
    email = f"{unique('p')}@example.com"
    assert firm.call("POST", "/api/staff", {"email": email, "name": "Qian Yu", "role": "staff"}).status_code == 201
    set_password(email)
    return email


@contextmanager
def aws_calls() -> Iterator[list]:
    from botocore.client import BaseClient
    seen: list = []
    original = BaseClient._make_api_call

    def counting(client, operation_name, api_params):
        seen.append((client.meta.service_model.service_name, operation_name))
        return original(client, operation_name, api_params)

    BaseClient._make_api_call = counting
    try:
        yield seen
    finally:
        BaseClient._make_api_call = original


def test_passwords_are_stored_as_argon2id_with_the_stated_parameters(firm):
    from argon2 import PasswordHasher
    from chalicelib.store import accounts as store
    email = new_person(firm)
    stored = store.get(email).password_hash
    assert PASSWORD not in stored
    # 19 MiB, 2 passes, 1 lane: OWASP's minimum for argon2id (stated in the adapter)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    salt, digest = stored.split("$")[-2:]
    assert len(salt) >= 21 and len(digest) >= 42  # 16-byte salt, 32-byte hash (base64, unpadded)
    assert PasswordHasher().verify(stored, PASSWORD)  # an independent verifier reads it
    assert (accounts.ARGON2_TIME_COST, accounts.ARGON2_MEMORY_KIB, accounts.ARGON2_PARALLELISM) == (2, 19456, 1)


def test_a_refresh_token_is_rotated_and_a_reused_one_revokes_its_family(firm):
    email = new_person(firm)
    first = body(sign_in(firm.client, email))["tokens"]["RefreshToken"]
    second = accounts.refresh(first)["RefreshToken"]
    assert second != first
    third = accounts.refresh(second)["RefreshToken"]
    with pytest.raises(Unauthorized):
        accounts.refresh(first)  # a superseded token: someone copied it
    with pytest.raises(Unauthorized):
        accounts.refresh(third)  # ... so the whole family is gone, the latest included
    other = body(sign_in(firm.client, email))["tokens"]["RefreshToken"]
    assert accounts.refresh(other)["IdToken"]  # another sign-in is another family


def test_refresh_tokens_are_stored_only_hashed(firm):
    from chalicelib.store import accounts as store
    email = new_person(firm)
    token = body(sign_in(firm.client, email))["tokens"]["RefreshToken"]
    family_id, secret = token.split(".")
    family, _ = store.family_and_account(family_id)
    assert secret not in json.dumps(family.attribute_values, default=str)


def test_repeated_failures_lock_the_account_even_against_the_right_password(firm):
    email = new_person(firm)
    for _ in range(accounts.LOCK_AFTER):
        assert sign_in(firm.client, email, "Wrong-pass-1").status_code == 401
    locked = sign_in(firm.client, email)
    assert locked.status_code == 429
    assert body(locked)["error"]["code"] == "rate_limited"


def test_failures_below_the_limit_are_forgotten_after_a_success(firm):
    email = new_person(firm)
    for _ in range(accounts.LOCK_AFTER - 1):
        assert sign_in(firm.client, email, "Wrong-pass-1").status_code == 401
    assert sign_in(firm.client, email).status_code == 200
    for _ in range(accounts.LOCK_AFTER - 1):
        assert sign_in(firm.client, email, "Wrong-pass-1").status_code == 401
    assert sign_in(firm.client, email).status_code == 200


def test_sign_out_and_deactivation_end_every_refresh_family(firm):
    import time
    email = new_person(firm)
    token = body(sign_in(firm.client, email))["tokens"]["RefreshToken"]
    accounts.sign_out(email)
    with pytest.raises(Unauthorized):
        accounts.refresh(token)
    time.sleep(1.05)  # a sign-in after the sign-out's second starts a family that counts
    token = body(sign_in(firm.client, email))["tokens"]["RefreshToken"]
    accounts.set_active(email, False)
    with pytest.raises(Unauthorized):
        accounts.refresh(token)
    assert sign_in(firm.client, email).status_code == 401


def test_sign_in_costs_two_round_trips_and_one_kms_call_and_verifying_none(firm):
    email = new_person(firm)
    with aws_calls() as calls:
        token = body(sign_in(firm.client, email))["tokens"]["IdToken"]
    assert len([c for c in calls if c[0] == "dynamodb"]) <= 2, calls
    assert [c for c in calls if c[0] == "kms"] == [("kms", "Sign")]
    accounts.verify_token(token)  # the public key is cached by now
    with aws_calls() as calls:
        for _ in range(3):
            accounts.verify_token(token)
    assert calls == []


def test_the_console_session_rotates_its_refresh_cookie_and_a_replayed_one_signs_out(firm):
    session = Session(firm.client, firm.admin_email)
    old_refresh = session.cookie["pd_rt"]
    session.cookie["pd_id"] = "expired"
    renewed = session.get("/console/account")
    assert renewed.status_code == 200
    cookies = renewed.headers["Set-Cookie"]
    cookies = cookies if isinstance(cookies, list) else [cookies]
    new_refresh = next(c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("pd_rt="))
    assert new_refresh != old_refresh
    # the page's forms carry the CSRF token of the new session
    session.cookie.update(pd_rt=new_refresh, pd_id=next(c.split(";")[0].split("=", 1)[1] for c in cookies
                                                        if c.startswith("pd_id=")))
    assert session.get("/console/account").status_code == 200
    # someone replays the old refresh cookie: signed out, and the family is gone for everyone
    thief = firm.client.http.get("/console/account", headers={"Cookie": f"pd_rt={old_refresh}"})
    assert thief.status_code == 303
    with pytest.raises(Unauthorized):
        accounts.refresh(new_refresh)


def test_an_address_that_keeps_failing_is_locked_out_whatever_the_email(firm):
    from chalicelib.domain.errors import RateLimited
    email = new_person(firm)
    sprayer, neighbour = "203.0.113.7", "203.0.113.8"
    for i in range(accounts.ADDRESS_LOCK_AFTER):
        with pytest.raises(Unauthorized):
            accounts.sign_in(f"{unique('guess')}@example.com", "Spring-2026", source_ip=sprayer)
    with pytest.raises(RateLimited):
        accounts.sign_in(email, PASSWORD, source_ip=sprayer)  # the right password, from that address
    assert accounts.sign_in(email, PASSWORD, source_ip=neighbour).tokens  # elsewhere the person signs in
    from chalicelib.store import accounts as store
    assert store.get(email).failures == 0  # the person's own count was not touched by the spraying


def test_a_new_firm_signs_up_and_chooses_its_password_in_the_console(client):
    """The console's front door with our own accounts: the temporary password, the same
    "choose a new password" step as with Cognito, then a session."""
    import re
    from urllib.parse import urlencode
    from tests.console.conftest import FORM, csrf_of
    slug = unique("acc")
    email = f"founder-{slug}@example.com"
    form = client.http.get("/console/signup", headers={"Accept-Language": "en"})
    pre = form.headers["Set-Cookie"].split(";")[0]
    headers = {"Content-Type": FORM, "Cookie": pre, "Accept-Language": "en"}
    done = client.http.post("/console/signup", headers=headers, body=urlencode({
        "csrf": csrf_of(form.body.decode()), "name": "Green Court", "slug": slug, "time_zone": "Asia/Shanghai",
        "locale": "en", "admin_email": email, "admin_name": "Fang", "template": "prc-residential"}))
    assert done.status_code == 201, done.body[:300]
    temporary = re.search(r'id="temporary-password"[^>]*>\s*([^<\s]+)', done.body.decode()).group(1)
    signin = client.http.get("/console/signin")
    pre = signin.headers["Set-Cookie"].split(";")[0]
    headers["Cookie"] = pre
    csrf = csrf_of(signin.body.decode())
    challenged = client.http.post("/console/signin", headers=headers, body=urlencode({
        "csrf": csrf, "email": email, "password": temporary}))
    assert challenged.status_code == 200 and 'name="new_password"' in challenged.body.decode()
    session = re.search(r'name="session" value="([^"]+)"', challenged.body.decode()).group(1)
    weak = client.http.post("/console/new-password", headers=headers, body=urlencode({
        "csrf": csrf, "email": email, "session": session, "new_password": "weak", "confirm": "weak"}))
    assert weak.status_code == 422
    signed_in = client.http.post("/console/new-password", headers=headers, body=urlencode({
        "csrf": csrf, "email": email, "session": session, "new_password": "Fresh-start-2026",
        "confirm": "Fresh-start-2026"}))
    assert signed_in.status_code == 303, signed_in.body[:300]
    cookies = {c.split("=", 1)[0]: c.split(";")[0].split("=", 1)[1] for c in signed_in.headers["Set-Cookie"]}
    account = client.http.get("/console/account", headers={"Cookie": f"pd_id={cookies['pd_id']}"})
    assert account.status_code == 200 and email in account.body.decode()
    assert sign_in(client, email, temporary).status_code == 401  # the temporary password is gone


def test_a_forgotten_password_is_reset_with_a_one_time_code(firm):
    email = new_person(firm)
    sent = accounts.forgot_password(email)
    assert sent.local_code and len(sent.local_code) == 6
    from chalicelib.domain.errors import InvalidInput
    with pytest.raises(InvalidInput):
        accounts.confirm_forgot_password(email, "000000" if sent.local_code != "000000" else "111111", "New-pass-2027")
    accounts.confirm_forgot_password(email, sent.local_code, "New-pass-2027")
    with pytest.raises(InvalidInput):
        accounts.confirm_forgot_password(email, sent.local_code, "Other-pass-2028")  # one time only
    assert sign_in(firm.client, email, "New-pass-2027").status_code == 200
    assert accounts.forgot_password(f"{unique('nobody')}@example.com").local_code is None  # looks the same


def test_a_sign_out_holds_even_if_the_refresh_tokens_were_not_revoked(firm, monkeypatch):
    """Renewed tokens carry when their session began (auth_time): one begun before the
    sign-out is refused although its refresh token still renews."""
    email = new_person(firm)
    session = Session(firm.client, email)
    old = dict(session.cookie)
    monkeypatch.setattr(accounts, "sign_out", lambda email: None)  # the provider keeps the families
    assert session.post("/console/signout", {}).status_code == 303
    import time
    time.sleep(1.05)  # renewed after the sign-out's second: its iat alone would pass
    again = firm.client.http.get("/console/queue", headers={"Cookie": f"pd_rt={old['pd_rt']}"})
    assert again.status_code == 303 and again.headers["Location"].startswith("/console/signin")
    # the refresh itself worked (the family moved on to a new token, not revoked) — to no avail
    from chalicelib.store import accounts as store
    family_id, secret = old["pd_rt"].split(".")
    family, _ = store.family_and_account(family_id)
    assert not family.revoked and family.current_hash != accounts._digest(secret)
