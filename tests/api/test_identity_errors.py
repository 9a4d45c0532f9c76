"""No identity-provider error reaches a 500 (issue 13 §1).

Every way the provider (or botocore before it) can refuse — its own parameter validation,
each ClientError code, an unreachable endpoint — becomes a 4xx with the field and reason,
or a 503, in our error shape; on the console a page. A garbage refresh-token cookie is just
"signed out". ``next`` and ``lang`` with control characters never reach a header."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError, ReadTimeoutError

from chalicelib.adapters.identity import cognito
from chalicelib.domain.errors import DomainError
from tests.console.conftest import FORM, Session, csrf_of
from tests.support import body, unique

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def firm(client):
    """One firm for the whole module (these tests change nothing of it)."""
    from tests.support import Firm
    return Firm.sign_up(client)

# Each call of the port, with arguments a route could pass it.
CALLS = {
    "create_user": lambda: cognito.create_user("a@example.com", "A", "T1", "staff", send_invite=False),
    "set_password": lambda: cognito.set_password("a@example.com", "Pass-word-123"),
    "set_role": lambda: cognito.set_role("a@example.com", "admin"),
    "set_active": lambda: cognito.set_active("a@example.com", False),
    "delete_user": lambda: cognito.delete_user("a@example.com"),
    "sign_in": lambda: cognito.sign_in("a@example.com", "Pass-word-123"),
    "complete_new_password": lambda: cognito.complete_new_password("a@example.com", "s" * 30, "Pass-word-123"),
    "send_invitation": lambda: cognito.send_invitation("a@example.com"),
    "refresh": lambda: cognito.refresh("r" * 40),
    "forgot_password": lambda: cognito.forgot_password("a@example.com"),
    "confirm_forgot_password": lambda: cognito.confirm_forgot_password("a@example.com", "123456", "Pass-word-123"),
    "sign_out": lambda: cognito.sign_out("a@example.com"),
}

CODES = ["NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException",
         "PasswordResetRequiredException", "CodeMismatchException", "ExpiredCodeException",
         "InvalidParameterException", "InvalidPasswordException", "UsernameExistsException", "AliasExistsException",
         "TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException",
         "ResourceNotFoundException", "InternalErrorException", "ServiceUnavailable", "UnexpectedLambdaException",
         "InvalidUserPoolConfigurationException", "500", "SomethingNewException"]

FAILURES = [ClientError({"Error": {"Code": code, "Message": f"{code}: details"}}, "Op") for code in CODES] + [
    ParamValidationError(report="Invalid length for parameter Session, value: 1, valid min length: 20"),
    ParamValidationError(report="Invalid length for parameter ChallengeResponses.NEW_PASSWORD, value: 0"),
    ParamValidationError(report="Invalid type for parameter Username, value: None"),
    EndpointConnectionError(endpoint_url="https://cognito-idp.us-east-1.amazonaws.com/"),
    ReadTimeoutError(endpoint_url="https://cognito-idp.us-east-1.amazonaws.com/"),
]


class Failing:
    """A Cognito client whose every call fails the given way."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str):
        def call(**kwargs):
            raise self.error
        return call


def failure_id(failure: Exception) -> str:
    code = ((getattr(failure, "response", None) or {}).get("Error") or {}).get("Code", "")
    return type(failure).__name__ + (f":{code}" if code else "")


@pytest.mark.parametrize("failure", FAILURES, ids=failure_id)
def test_every_provider_error_of_every_call_becomes_a_4xx_or_503(monkeypatch, failure):
    monkeypatch.setattr(cognito, "_client", lambda: Failing(failure))
    for name, call in CALLS.items():
        try:
            call()
        except DomainError as error:
            assert 400 <= error.status < 500 or error.status == 503, (name, error.status)
            assert error.message and isinstance(error.fields, dict)
        # anything else (a botocore error) fails the test: it would be a 500


def test_the_provider_unreachable_answers_503_in_our_shape(client, monkeypatch):
    monkeypatch.setattr(cognito, "_client",
                        lambda: Failing(EndpointConnectionError(endpoint_url="https://cognito.invalid/")))
    answer = client.http.post("/auth/signin", headers=JSON,
                              body=json.dumps({"email": "a@example.com", "password": "Pass-word-123"}))
    assert answer.status_code == 503
    assert body(answer)["error"]["code"] == "identity_unavailable"


@pytest.mark.parametrize("session", ["x", "short", "A" * 30, "A" * 4096])
def test_new_password_with_a_short_or_unknown_session_answers_401(client, firm, session):
    answer = client.http.post("/auth/new-password", headers=JSON, body=json.dumps({
        "email": firm.admin_email, "session": session, "new_password": "Brand-new-pass-1"}))
    assert answer.status_code == 401, answer.body
    assert body(answer)["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("session", ["x", "A" * 30])
def test_the_consoles_new_password_page_with_a_bad_session_asks_to_sign_in_again(client, firm, session):
    first = client.http.get("/console/signin", headers={"Accept-Language": "en"})
    pre = first.headers["Set-Cookie"].split(";")[0]
    answer = client.http.post("/console/new-password", headers={"Content-Type": FORM, "Cookie": pre,
                                                                  "Accept-Language": "en"},
                              body=f"csrf={csrf_of(first.body.decode())}&email={quote(firm.admin_email)}"
                                   f"&session={session}&new_password=Brand-new-pass-1&confirm=Brand-new-pass-1")
    assert answer.status_code == 401
    assert "Sign in again" in answer.body.decode() or "sign in again" in answer.body.decode().lower()


@pytest.mark.parametrize("cookie", ["pd_rt=garbage", "pd_rt=%00%0d%0a", "pd_rt=" + "A" * 3000,
                                    "pd_id=abc.def.ghi; pd_rt=00000000-0000-4000-8000-000000000000",
                                    "pd_rt=a.b.c.d.e; pd_pre=\x7f"])
def test_a_garbage_refresh_cookie_is_just_signed_out_on_every_console_page(client, cookie):
    from chalicelib.api.console.session import PAGES
    for page in PAGES:
        if "GET" not in page.methods or "{" in page.path:
            continue
        answer = client.http.get(page.path, headers={"Cookie": cookie, "Accept-Language": "en"})
        assert answer.status_code < 500, (page.path, answer.status_code)
        if page.signed_in:
            assert answer.status_code == 303 and answer.headers["Location"].startswith("/console/signin"), page.path
            cleared = answer.headers.get("Set-Cookie") or []
            cleared = cleared if isinstance(cleared, list) else [cleared]
            assert any(c.startswith("pd_rt=;") for c in cleared), page.path


def test_the_provider_unreachable_on_renewal_is_a_503_page_not_a_500(client, firm, monkeypatch):
    session = Session(client, firm.admin_email)
    session.cookie["pd_id"] = "expired"
    monkeypatch.setattr(cognito, "_client", lambda: Failing(EndpointConnectionError(endpoint_url="https://x/")))
    answer = session.get("/console/queue")
    assert answer.status_code == 503
    assert "<html" in answer.body.decode()


# --- next= and lang= -----------------------------------------------------------------------

HOSTILE_NEXT = ["/console\r\nSet-Cookie: x=1", "/console/queue%0d%0aX: y", "/console/\x00", "https://evil.example",
                "//evil.example/console", "/console/../r/x", "/console\\evil", "/console/queue?x=\r\n", "/consolex",
                "/console/ queue", "/console/%0a"]


def test_a_hostile_next_never_reaches_the_location_header(client, firm):
    from tests.support import PASSWORD
    for target in HOSTILE_NEXT:
        shown = client.http.get("/console/signin?next=" + quote(target, safe=""))
        assert shown.status_code == 200, target
        assert f'name="next" value="/console"' in shown.body.decode(), target
        pre = shown.headers["Set-Cookie"].split(";")[0]
        answer = client.http.post("/console/signin", headers={"Content-Type": FORM, "Cookie": pre}, body=(
            f"csrf={csrf_of(shown.body.decode())}&email={quote(firm.admin_email)}&password={PASSWORD}"
            f"&next={quote(target, safe='')}"))
        assert answer.status_code == 303, target
        assert answer.headers["Location"] == "/console", target


def test_our_own_next_is_still_followed(client, firm):
    from tests.support import PASSWORD
    for target in ("/console/queue", "/console/tickets/01ABC?tab=photos",
                   "/console/dashboard?period=M2026-11&by=category", "/console/queue?q=%E4%BD%A0"):
        shown = client.http.get("/console/signin")
        pre = shown.headers["Set-Cookie"].split(";")[0]
        answer = client.http.post("/console/signin", headers={"Content-Type": FORM, "Cookie": pre}, body=(
            f"csrf={csrf_of(shown.body.decode())}&email={quote(firm.admin_email)}&password={PASSWORD}"
            f"&next={quote(target, safe='')}"))
        assert answer.status_code == 303 and answer.headers["Location"] == target


HOSTILE_LANG = ["en\r\nSet-Cookie: x=1", "zh-CN\n", "en\x00", "EN", "zh", "fr", "en%0d%0a"]


@pytest.mark.parametrize("lang", HOSTILE_LANG)
def test_a_hostile_lang_on_a_resident_form_stores_the_ticket_and_lands_on_it(client, firm, lang):
    """A control character in the form's lang used to reach the Location header after the
    ticket was stored: the resident saw an error for a report that was made."""
    from urllib.parse import urlencode
    form = {"lang": lang, "place": f"{firm.property_id}:{firm.building_id}", "unit": "1203",
            "category": "repairs", "urgency": "normal", "description": "The tap drips " + unique("x"),
            "contact_name": "Li Na", "contact_phone": "+86 138 0013 8000", "entry_present": "yes",
            "nonce": unique("nonce") + "abcdefghijkl"}
    answer = client.http.post(f"/r/{firm.slug}/tickets", headers={"Content-Type": FORM, "Accept": "text/html"},
                              body=urlencode(form))
    assert answer.status_code == 303, (answer.status_code, answer.body[:300])
    location = answer.headers["Location"]
    from urllib.parse import parse_qs
    query = parse_qs(location.partition("?")[2], keep_blank_values=True)
    assert location.startswith("/t/") and set(query) <= {"lang", "new"}  # the confirmation: ?new=1
    assert query.get("lang", [lang])[0] in ("en", "zh-CN") or "lang" not in query
    assert lang in ("en", "zh-CN") or "lang" not in query  # only our own locales are carried on
    assert "\r" not in location and "\n" not in location


@pytest.mark.parametrize("lang", HOSTILE_LANG)
def test_a_hostile_lang_on_console_pages_is_ignored(client, lang):
    answer = client.http.get("/console/signin?lang=" + quote(lang, safe=""))
    assert answer.status_code == 200
    cookies = answer.headers.get("Set-Cookie") or []
    cookies = cookies if isinstance(cookies, list) else [cookies]
    assert not any(c.startswith("pd_lang=") for c in cookies)
    again = client.http.get("/console/signin", headers={"Cookie": f"pd_lang={quote(lang, safe='')}"})
    assert again.status_code == 200


def test_a_staff_change_the_provider_refuses_changes_nothing(client, firm, monkeypatch):
    sub, token = firm.add_staff("Sun Li")
    before = body(firm.call("GET", "/api/staff"))["staff"]
    monkeypatch.setattr(cognito, "_client", lambda: Failing(EndpointConnectionError(endpoint_url="https://x/")))
    for change in ({"role": "admin"}, {"active": False}):
        answer = firm.call("PATCH", f"/api/staff/{sub}", change)
        assert answer.status_code == 503, answer.body
        assert body(answer)["error"]["code"] == "identity_unavailable"
    monkeypatch.undo()
    after = body(firm.call("GET", "/api/staff"))["staff"]
    strip = lambda people: [{k: v for k, v in p.items() if k != "version"} for p in people]  # noqa: E731
    assert strip(after) == strip(before)
