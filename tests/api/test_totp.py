"""The `accounts` adapter's optional TOTP second factor for admins (issue 15 §2): set up from
the console's account page, then asked for at sign-in. Codes in these tests come from an
oracle independent of our check: RFC 6238's own test vectors, and pyotp (our verification
is a separate implementation in accounts.totp_code)."""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import urlencode

import pyotp
import pytest

from chalicelib.adapters.identity import accounts
from tests.api.identity_adapters import adapter_fixture
from tests.console.conftest import FORM, Session, csrf_of
from tests.support import PASSWORD, unique

adapter = adapter_fixture(("accounts",))

#: RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890"; (time, 8-digit TOTP). Our codes
#: have 6 digits, i.e. the last six of these (the same truncation modulo 10**6).
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924"),
               (2000000000, "69279037"), (20000000000, "65353130")]


@pytest.mark.parametrize("moment, expected", RFC_VECTORS)
def test_codes_match_the_rfc_6238_test_vectors(moment, expected):
    assert accounts.totp_code(RFC_SECRET, moment // 30) == expected[-6:]
    assert accounts.totp_step_matching(RFC_SECRET, expected[-6:], moment) == moment // 30


def test_a_code_is_accepted_one_step_either_side_and_no_further():
    secret = pyotp.random_base32()
    now = 1_800_000_000
    oracle = pyotp.TOTP(secret)
    assert accounts.totp_step_matching(secret, oracle.at(now - 30), now) == now // 30 - 1
    assert accounts.totp_step_matching(secret, oracle.at(now + 30), now) == now // 30 + 1
    assert accounts.totp_step_matching(secret, oracle.at(now - 90), now) is None
    assert accounts.totp_step_matching(secret, "12345", now) is None and accounts.totp_step_matching(secret, "", now) is None


@pytest.fixture(scope="module")
def firm(adapter, client):
    from tests.support import Firm
    return Firm.sign_up(client, with_register=False)


def new_admin(firm) -> str:
    from tests.support import set_password
    email = f"{unique('adm')}@example.com"
    assert firm.call("POST", "/api/staff", {"email": email, "name": "Xu Ming", "role": "admin"}).status_code == 201
    set_password(email)
    return email


def enrol(session: Session) -> str:
    """Set up TOTP from the account page; returns the secret the page showed (once)."""
    page = session.post("/console/account/totp", {"action": "start"})
    assert page.status_code == 200
    html = page.body.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    uri = re.search(r'id="totp-uri" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert uri.startswith("otpauth://totp/PropDesk:") and f"secret={secret}" in uri and "<svg" in html
    assert accounts.totp_enabled(session.email) is False  # not until a first code confirms it
    wrong = session.post("/console/account/totp", {"action": "confirm", "code": "000000"
                                                  if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 422
    done = session.post("/console/account/totp", {"action": "confirm", "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "两步登录验证已开启" in done.body.decode()  # zh-CN, the default language
    return secret


def console_sign_in(client, email: str, password: str = PASSWORD):
    first = client.http.get("/console/signin", headers={"Accept-Language": "en"})
    cookie = first.headers["Set-Cookie"].split(";")[0]
    headers = {"Content-Type": FORM, "Cookie": cookie, "Accept-Language": "en"}
    csrf = csrf_of(first.body.decode())
    answer = client.http.post("/console/signin", headers=headers, body=urlencode({
        "csrf": csrf, "email": email, "password": password}))
    return answer, headers, csrf


def test_an_admin_sets_up_totp_and_then_signs_in_with_a_code(firm):
    email = new_admin(firm)
    session = Session(firm.client, email)
    session.email = email
    secret = enrol(session)
    assert secret not in session.get("/console/account").body.decode()  # shown once, never again
    from chalicelib.store import accounts as store
    assert store.get(email).totp_pending is None

    answer, headers, csrf = console_sign_in(firm.client, email)
    assert answer.status_code == 200 and 'action="/console/totp"' in answer.body.decode()  # no session yet
    assert "pd_id" not in str(answer.headers.get("Set-Cookie", ""))
    step_session = re.search(r'name="session" value="([^"]+)"', answer.body.decode()).group(1)
    post = lambda code: firm.client.http.post("/console/totp", headers=headers, body=urlencode({  # noqa: E731
        "csrf": csrf, "email": email, "session": step_session, "code": code}))
    oracle = pyotp.TOTP(secret)
    wrong = "000000" if oracle.now() != "000000" else "111111"
    assert post(wrong).status_code == 422
    code = oracle.at(time.time() + 30)  # the next step: the current one was spent confirming
    signed_in = post(code)
    assert signed_in.status_code == 303, signed_in.body[:300]
    assert any(c.startswith("pd_id=") for c in signed_in.headers["Set-Cookie"])
    assert post(code).status_code in (401, 422)  # neither the session nor the code works twice


def test_the_api_sign_in_of_an_admin_with_totp_asks_for_the_code_and_gives_no_tokens(firm):
    email = new_admin(firm)
    session = Session(firm.client, email)
    session.email = email
    secret = enrol(session)
    answer = firm.client.http.post("/auth/signin", headers={"Content-Type": "application/json"},
                                   body=json.dumps({"email": email, "password": PASSWORD}))
    data = json.loads(answer.body)
    assert answer.status_code == 200 and data["challenge"] == "SOFTWARE_TOKEN_MFA" and "tokens" not in data
    assert "/auth/totp" in data["next"]
    step = firm.client.http.post("/auth/totp", headers={"Content-Type": "application/json"}, body=json.dumps({
        "email": email, "session": data["session"], "code": pyotp.TOTP(secret).at(time.time() + 30)}))
    assert step.status_code == 200, step.body
    tokens = json.loads(step.body)["tokens"]
    assert firm.call("GET", "/api/tickets", token=tokens["IdToken"]).status_code == 200
    assert secret not in json.dumps(data) and secret not in json.dumps(tokens)


def test_wrong_totp_codes_lock_the_sign_in(firm):
    from chalicelib.domain.errors import InvalidInput, RateLimited, Unauthorized
    from chalicelib.store import accounts as store
    email = new_admin(firm)
    secret = pyotp.random_base32()
    store.change(email, totp_secret=secret)
    here = "203.0.113.77"
    challenge = accounts.sign_in(email, PASSWORD, source_ip=here)
    assert challenge.challenge == "SOFTWARE_TOKEN_MFA" and challenge.tokens is None
    good = pyotp.TOTP(secret).now()
    wrong = f"{(int(good) + 500000) % 1000000:06d}"
    for _ in range(accounts.LOCK_AFTER):
        with pytest.raises(InvalidInput):
            accounts.complete_totp(email, challenge.session, wrong)
    with pytest.raises(Unauthorized):
        accounts.complete_totp(email, challenge.session, good)  # that sign-in is over
    with pytest.raises(RateLimited):
        accounts.sign_in(email, PASSWORD, source_ip=here)  # and the account is locked for a while


def test_staff_cannot_set_up_totp(firm):
    from tests.support import set_password
    email = f"{unique('st')}@example.com"
    assert firm.call("POST", "/api/staff", {"email": email, "name": "Sun Li", "role": "staff"}).status_code == 201
    set_password(email)
    session = Session(firm.client, email)
    assert session.post("/console/account/totp", {"action": "start"}).status_code == 403
    assert "两步登录验证" not in session.get("/console/account").body.decode()


def test_a_totp_step_where_the_identity_provider_has_none_is_a_401_not_a_500(client, monkeypatch):
    """Under Cognito no sign-in ever answers SOFTWARE_TOKEN_MFA, so a session sent to
    /auth/totp is not ours (schemathesis found this one answering 500)."""
    monkeypatch.setenv("PROPDESK_IDENTITY", "cognito")
    from chalicelib.settings import settings
    settings.cache_clear()
    try:
        answer = client.http.post("/auth/totp", headers={"Content-Type": "application/json"},
                                  body=json.dumps({"email": "a@example.com", "session": "x" * 40, "code": "123456"}))
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    assert answer.status_code == 401
    assert json.loads(answer.body)["error"]["fields"] == {"session": "is not a sign-in step"}
