"""The `accounts` identity adapter (cn profile): what it promises beyond the shared
authorizer tests (tests/api/test_authentication.py runs those against it too)."""

from __future__ import annotations

import json
import pytest

from bench.dynamo_calls import aws_calls
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


def code_in(mails: list[dict], email: str) -> str:
    """The one-time code of the last message to ``email`` (read as a person would)."""
    import re
    found = [m for m in mails if email in m["to"]]
    assert found, mails
    return re.search(r"\b(\d{6,8})\b", found[-1]["text"]).group(1)


def test_a_new_firm_signs_up_and_its_admin_signs_in_with_the_mailed_code(client, messaging_profile):
    """The console's front door with our own accounts: the invitation code arrives by e-mail
    (SES under global, the SMTP server under cn), signs in once like a temporary password, the
    same "choose a new password" step as with Cognito follows, then a session."""
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
    assert "temporary-password" not in done.body.decode() and "one-time sign-in code" in done.body.decode()
    invitation = [m for m in messaging_profile.mails() if email in m["to"]]
    assert len(invitation) == 1 and "invitation code" in invitation[0]["subject"]
    code = code_in(invitation, email)
    assert len(code) == 8
    from chalicelib.store import accounts as store
    stored = store.get(email)
    assert code not in json.dumps(stored.attribute_values, default=str)  # only its hash is kept
    assert stored.code_hash == __import__("hashlib").sha256(code.encode()).hexdigest()
    signin = client.http.get("/console/signin")
    pre = signin.headers["Set-Cookie"].split(";")[0]
    headers["Cookie"] = pre
    csrf = csrf_of(signin.body.decode())
    challenged = client.http.post("/console/signin", headers=headers, body=urlencode({
        "csrf": csrf, "email": email, "password": code}))
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
    assert sign_in(client, email, code).status_code == 401  # the code worked once
    assert sign_in(client, email, "Fresh-start-2026").status_code == 200


def test_the_api_sign_up_mails_the_first_admin_an_invitation_code(client, messaging_profile):
    slug = unique("api")
    email = f"first-{slug}@example.com"
    answer = client.http.post("/signup", headers=JSON, body=json.dumps({
        "name": "Plum Court", "slug": slug, "time_zone": "Asia/Shanghai", "locale": "zh-CN",
        "admin_email": email, "admin_name": "Li", "template": "prc-residential"}))
    assert answer.status_code == 201 and "local_only" not in body(answer)["admin"]
    mail = [m for m in messaging_profile.mails() if email in m["to"]]
    assert len(mail) == 1 and "一次性登录码" in mail[0]["text"]  # the firm's language
    assert body(sign_in(client, email, code_in(mail, email)))["challenge"] == "NEW_PASSWORD_REQUIRED"


def test_a_forgotten_password_is_reset_with_a_mailed_one_time_code(firm, messaging_profile):
    email = new_person(firm)
    sent = accounts.forgot_password(email)
    assert sent.local_code is None and sent.destination.endswith("@example.com") and email not in sent.destination
    code = code_in(messaging_profile.mails(), email)
    assert len(code) == 6
    from chalicelib.store import accounts as store
    assert store.get(email).code_hash == __import__("hashlib").sha256(code.encode()).hexdigest()
    from chalicelib.domain.errors import InvalidInput
    with pytest.raises(InvalidInput):
        accounts.confirm_forgot_password(email, "000000" if code != "000000" else "111111", "New-pass-2027")
    accounts.confirm_forgot_password(email, code, "New-pass-2027")
    with pytest.raises(InvalidInput):
        accounts.confirm_forgot_password(email, code, "Other-pass-2028")  # one time only
    assert sign_in(firm.client, email, "New-pass-2027").status_code == 200
    assert accounts.forgot_password(f"{unique('nobody')}@example.com").destination == ""  # looks the same


def test_a_reset_code_goes_by_sms_to_an_account_with_a_phone(firm, messaging_profile):
    from chalicelib.store import accounts as store
    email = new_person(firm)
    store.change(email, phone="+8613800138123")
    accounts.forgot_password(email)
    texts = [t for t in messaging_profile.texts() if t["to"] == "+8613800138123"]
    assert len(texts) == 1
    if messaging_profile.profile == "cn":  # the provider's approved template, the code as its variable
        assert texts[0]["template"] == "SMS_490000016"  # password_reset, en (the firm signed up in English)
        code = texts[0]["variables"]["code"]
    else:
        import re
        code = re.search(r"\b(\d{6})\b", texts[0]["text"]).group(1)
    accounts.confirm_forgot_password(email, code, "Texted-pass-2027")
    assert sign_in(firm.client, email, "Texted-pass-2027").status_code == 200


def test_a_reset_code_expires(firm, monkeypatch):
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.store import accounts as store
    email = new_person(firm)
    accounts.forgot_password(email)
    code = "123456"
    store.change(email, code_hash=accounts._digest(code))  # the code we know, with the expiry it was given
    later = accounts._now() + 15 * 60 + 1
    monkeypatch.setattr(accounts, "_now", lambda: later)
    with pytest.raises(InvalidInput):
        accounts.confirm_forgot_password(email, code, "Late-pass-2027")
    monkeypatch.setattr(accounts, "_now", lambda: later - 2)  # within its 15 minutes it works
    accounts.confirm_forgot_password(email, code, "Late-pass-2027")


def test_five_wrong_reset_codes_void_the_code(firm):
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.store import accounts as store
    email = new_person(firm)
    accounts.forgot_password(email)
    store.change(email, code_hash=accounts._digest("424242"))
    for wrong in ("000001", "000002", "000003", "000004", "000005"):
        with pytest.raises(InvalidInput):
            accounts.confirm_forgot_password(email, wrong, "Guess-pass-2027")
    with pytest.raises(InvalidInput):
        accounts.confirm_forgot_password(email, "424242", "Guess-pass-2027")  # the right one, too late
    assert sign_in(firm.client, email).status_code == 200  # the old password still stands


def test_a_new_reset_code_waits_a_minute(firm):
    from chalicelib.domain.errors import RateLimited
    email = new_person(firm)
    accounts.forgot_password(email)
    with pytest.raises(RateLimited):
        accounts.forgot_password(email)


def test_wrong_invitation_codes_lock_the_account(firm):
    from chalicelib.store import accounts as store
    email = f"{unique('inv')}@example.com"
    accounts.create_user(email, "Zhou", firm.tenant_id, "staff", send_invite=False)
    store.change(email, code_hash=accounts._digest("12345678"), code_purpose="invite",
                 code_expires=accounts._now() + 3600)
    from chalicelib.domain.errors import RateLimited
    here = f"198.51.100.{len(email) % 200}"  # an address of its own: the per-address count is another test's
    for wrong in ("00000001", "00000002", "00000003", "00000004", "00000005"):
        with pytest.raises(Unauthorized):
            accounts.sign_in(email, wrong, source_ip=here)
    with pytest.raises(RateLimited):
        accounts.sign_in(email, "12345678", source_ip=here)  # locked, even with the right code


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
