"""Find my reports (/r/{slug}/mine): a resident who lost the link gets a code by SMS and
sees their reports; a wrong code five times locks; an unknown number looks the same as a
known one; codes are stored hashed; finding costs a key Query, never a Scan."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest

from tests.support import Firm, body

HTML = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", "Accept-Language": "zh-CN"}


@pytest.fixture(scope="module")
def shop(client):
    """A Shanghai firm with two reports from 138 0013 8000 and one from an e-mail address."""
    firm = Firm.sign_up(client, locale="zh-CN")
    tokens = []
    for text in ("The kitchen tap drips all night.", "The hall light flickers."):
        answer = body(firm.submit(firm.report(description=text, contact={"name": "Li Na",
                                                                          "phone": "+86 138 0013 8000"})))
        tokens.append(answer["ticket"]["tracking_token"])
    body(firm.submit(firm.report(description="Water under the sink.",
                                 contact={"email": "li.na@example.com"})))
    firm.tokens = tokens
    return firm


def post(client, path: str, **fields):
    return client.http.post(path, headers=HTML, body=urllib.parse.urlencode(fields))


def sms_to(endpoint: str, number: str) -> list[str]:
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=60) as answer:
        data = json.loads(answer.read())
    return [m["message"] for m in data["sns"]["SMS"] if m["phone_number"] == number]


def text_of(response) -> str:
    return response.body.decode() if isinstance(response.body, bytes) else response.body


def headers(response) -> dict:
    return {k: v for k, v in response.headers.items() if k.lower() != "x-request-id"}


def visible(html: str) -> str:
    """The page without what echoes the resident's own typing (hidden fields, field values)."""
    return re.sub(r' value="[^"]*"', "", re.sub(r'<input type="hidden"[^>]*>', "", html))


def test_the_right_code_by_sms_lists_the_reports_with_links_to_them(client, shop, local_stack):
    before = len(sms_to(local_stack.endpoint, "+8613800138000"))
    asked = post(client, f"/r/{shop.slug}/mine", contact="138 0013 8000")
    assert asked.status_code == 200
    assert "138****8000" in text_of(asked)
    sent = sms_to(local_stack.endpoint, "+8613800138000")[before:]
    assert len(sent) == 1 and "验证码" in sent[0] and shop.slug in sent[0]  # the firm's name is Firm <slug>
    code = re.search(r"\b(\d{6})\b", sent[0]).group(1)

    found = post(client, f"/r/{shop.slug}/mine/code", contact="138 0013 8000", code=code)
    page = text_of(found)
    assert found.status_code == 200
    assert found.headers["Cache-Control"] == "no-store"
    links = re.findall(r'href="/t/([A-Za-z0-9_\-]{64})\?lang=zh-CN"', page)
    assert sorted(links) == sorted(shop.tokens)  # both phone reports, not the e-mail one
    assert page.index(shop.tokens[1]) < page.index(shop.tokens[0])  # newest first
    assert "维修" in page and "已受理" in page  # category and status in words, no codes

    again = post(client, f"/r/{shop.slug}/mine/code", contact="138 0013 8000", code=code)
    assert again.status_code == 410  # a code works once


def test_a_phone_typed_with_the_country_code_finds_the_same_reports(client, shop, local_stack):
    before = len(sms_to(local_stack.endpoint, "+8613800138000"))
    assert post(client, f"/r/{shop.slug}/mine", contact="+86-138-0013-8000", lang="en").status_code == 200
    code = re.search(r"\b(\d{6})\b", sms_to(local_stack.endpoint, "+8613800138000")[before]).group(1)
    found = post(client, f"/r/{shop.slug}/mine/code", contact="+8613800138000", code=code, lang="en")
    assert found.status_code == 200
    assert len(re.findall(r'href="/t/', text_of(found))) == 2


def test_five_wrong_codes_lock_the_code_even_the_right_one_after(client, local_stack):
    firm = Firm.sign_up(client, locale="zh-CN")
    body(firm.submit(firm.report(contact={"phone": "13900139000"})))
    assert post(client, f"/r/{firm.slug}/mine", contact="13900139000").status_code == 200
    code = re.search(r"\b(\d{6})\b", sms_to(local_stack.endpoint, "+8613900139000")[-1]).group(1)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    statuses = [post(client, f"/r/{firm.slug}/mine/code", contact="13900139000", code=wrong).status_code
                for _ in range(5)]
    assert statuses == [422, 422, 422, 422, 429]
    locked = post(client, f"/r/{firm.slug}/mine/code", contact="13900139000", code=code)
    assert locked.status_code == 429
    assert "/t/" not in text_of(locked)


def test_wrong_codes_say_how_many_tries_are_left(client, shop):
    firm = shop
    post(client, f"/r/{firm.slug}/mine", contact="li.na@example.com", lang="en")
    first = post(client, f"/r/{firm.slug}/mine/code", contact="li.na@example.com", code="000000", lang="en")
    second = post(client, f"/r/{firm.slug}/mine/code", contact="li.na@example.com", code="000001", lang="en")
    assert "4 more times" in text_of(first) or "/t/" in text_of(first)  # 1 in a million it was right
    assert "3 more times" in text_of(second) or "/t/" in text_of(second)


def test_an_unknown_number_looks_exactly_like_a_known_one_and_gets_no_message(client, shop, local_stack):
    known_before = len(sms_to(local_stack.endpoint, "+8613800138000"))
    known = post(client, f"/r/{shop.slug}/mine", contact="138 0013 8000")
    unknown = post(client, f"/r/{shop.slug}/mine", contact="138 0000 8000")  # masks the same: 138****8000
    assert sms_to(local_stack.endpoint, "+8613800008000") == []  # nothing sent to a number we do not know
    assert len(sms_to(local_stack.endpoint, "+8613800138000")) == known_before + 1
    assert (known.status_code, headers(known)) == (unknown.status_code, headers(unknown))
    assert visible(text_of(known)) == visible(text_of(unknown))
    # ...and so do wrong codes and the lock
    for _ in range(4):
        k = post(client, f"/r/{shop.slug}/mine/code", contact="138 0013 8000", code="999999x")
        u = post(client, f"/r/{shop.slug}/mine/code", contact="138 0000 8000", code="999999x")
        assert (k.status_code, visible(text_of(k))) == (u.status_code, visible(text_of(u)))
    k = post(client, f"/r/{shop.slug}/mine/code", contact="138 0013 8000", code="999999x")
    u = post(client, f"/r/{shop.slug}/mine/code", contact="138 0000 8000", code="999999x")
    assert k.status_code == u.status_code == 429
    assert visible(text_of(k)) == visible(text_of(u))


def test_codes_are_stored_hashed_with_a_salt_and_an_expiry(client, local_stack):
    from chalicelib.domain import contacts
    from chalicelib.settings import settings
    from chalicelib.store import contacts as store
    firm = Firm.sign_up(client, locale="zh-CN")
    body(firm.submit(firm.report(contact={"phone": "13700137000"})))
    post(client, f"/r/{firm.slug}/mine", contact="137 0013 7000")
    code = re.search(r"\b(\d{6})\b", sms_to(local_stack.endpoint, "+8613700137000")[-1]).group(1)
    contact = contacts.parse("13700137000", "Asia/Shanghai")
    digest = contacts.digest(firm.tenant_id, contact, settings().contact_pepper)
    from chalicelib.store.models import ContactCodeItem, tenant_pk
    raw = ContactCodeItem.get(tenant_pk(firm.tenant_id), store.code_sk(digest)).to_simple_dict()
    stored = json.dumps(raw)
    assert code not in stored
    assert "13700137000" not in stored and "13700137000" not in raw["sk"]
    assert len(raw["salt"]) == 32 and len(raw["code_hash"]) == 64
    assert raw["expires_at"] > 0  # TTL tidies; validity is checked from valid_until
    # The references keep no raw contact either.
    refs = store.references(firm.tenant_id, digest, contact_since())
    assert len(refs) == 1 and "13700137000" not in json.dumps(refs[0].__dict__, default=str)


def contact_since():
    from datetime import datetime, timedelta, timezone
    return datetime.now(timezone.utc) - timedelta(days=365)


def test_an_expired_code_is_refused_without_relying_on_ttl(client, local_stack):
    from datetime import datetime, timedelta, timezone

    from chalicelib.services import find_reports
    firm = Firm.sign_up(client, locale="en", time_zone="Europe/London")
    body(firm.submit(firm.report(contact={"phone": "07700 900123"})))
    past = datetime.now(timezone.utc) - timedelta(minutes=11)
    sent = []
    find_reports.request_code(firm.slug, "07700900123", now=past, sleep=lambda s: None,
                              send=lambda channel, message, idempotency_key: sent.append((channel, message)) or
                              type("D", (), {"ok": True})())
    assert sent[0][0] == {"channel": "sms", "to": "+447700900123"}
    code = re.search(r"\b(\d{6})\b", sent[0][1].text).group(1)
    with pytest.raises(find_reports.CodeExpired):
        find_reports.find(firm.slug, "+44 7700 900123", code)


def test_asking_for_codes_is_rate_limited_per_number(client, shop):
    firm = Firm.sign_up(client, locale="zh-CN")
    answers = [post(client, f"/r/{firm.slug}/mine", contact="13600136000").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_the_form_asks_for_a_contact_and_refuses_what_is_neither(client, shop):
    page = client.http.get(f"/r/{shop.slug}/mine", headers={"Accept": "text/html", "Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "查找我的报修" in text_of(page)
    refused = post(client, f"/r/{shop.slug}/mine", contact="not a number")
    assert refused.status_code == 422 and 'id="contact-error"' in text_of(refused)


def test_a_report_stays_two_round_trips_and_finding_never_scans(client, shop, monkeypatch):
    from botocore.client import BaseClient
    calls: list[str] = []
    original = BaseClient._make_api_call

    def counting(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    assert shop.submit(shop.report(unit="1204", contact={"phone": "13500135000"})).status_code == 201  # not a repeat
    assert len(calls) <= 2, calls
    calls.clear()
    post(client, f"/r/{shop.slug}/mine", contact="13500135000")
    post(client, f"/r/{shop.slug}/mine/code", contact="13500135000", code="123456")
    assert "Scan" not in calls and "Query" in calls


def test_asking_for_codes_is_rate_limited_per_client_address(client, monkeypatch):
    from chalicelib.domain import contacts
    monkeypatch.setattr(contacts, "CODES_PER_ADDRESS", 2)
    firm = Firm.sign_up(client, locale="zh-CN")
    answers = [post(client, f"/r/{firm.slug}/mine", contact=number).status_code
               for number in ("13100131001", "13100131002", "13100131003")]
    assert answers == [200, 200, 429]  # three different numbers, one address


def test_a_report_staff_took_by_phone_is_found_too(client, local_stack):
    firm = Firm.sign_up(client, locale="zh-CN")
    view = body(firm.call("POST", "/api/tickets", firm.report(contact={"phone": "13200132000"}, source="phone")))
    post(client, f"/r/{firm.slug}/mine", contact="13200132000")
    code = re.search(r"\b(\d{6})\b", sms_to(local_stack.endpoint, "+8613200132000")[-1]).group(1)
    found = text_of(post(client, f"/r/{firm.slug}/mine/code", contact="13200132000", code=code))
    token = view["tracking_url"].rsplit("/", 1)[1]
    assert f'href="/t/{token}?lang=zh-CN"' in found
