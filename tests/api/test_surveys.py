"""The after-resolution survey: sent a set time after the resolve, once per resident per
30 days; one tap opens the form, only a POST records; one answer per ticket; links expire."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from tests.support import body, unique

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", "Accept-Language": "en"}


def resolved_ticket(firm, when: datetime, phone: str | None = None, email: str | None = None) -> tuple[str, str]:
    """A resident's report made and resolved at ``when``: (ticket id, tracking token)."""
    from chalicelib.domain.identity import Identity
    from chalicelib.services import tickets as service
    import random
    contact = {"name": "Li Na", "phone": phone or f"+86 138 {random.randint(1000, 9999)} {random.randint(1000, 9999)}"}
    if email:
        contact = {"name": "Li Na", "email": email}
    answer, _ = service.submit_report(firm.slug, firm.report(description=unique("Tap drips"), contact=contact),
                                      now=when)
    ticket = next(t for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]
                  if t["number"] == answer["ticket"]["number"])
    admin = Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin",
                     email=firm.admin_email)
    service.record_event(admin, ticket["id"], {"type": "resolve", "note": "New washer"}, f'"{ticket["version"]}"',
                         now=when + timedelta(hours=2))
    return ticket["id"], answer["ticket"]["tracking_token"]


def sweep_and_collect(when: datetime) -> list[tuple[dict, object]]:
    """Run the minute sweep at ``when`` and deliver: what each channel would have been sent."""
    from chalicelib.services import escalation
    sent: list[tuple[dict, object]] = []

    def capture(channel, message, idempotency_key=None):
        from chalicelib.adapters.channels import Delivery
        sent.append((channel, message))
        return Delivery(ok=True, detail="captured by the test")

    escalation.sweep(when)
    escalation.deliver(when, send=capture)
    return sent


def survey_link(sent, phone_digits: str) -> str:
    texts = [m.text for ch, m in sent if m.kind == "survey_invite" and phone_digits in re.sub(r"\D", "", ch["to"])]
    assert len(texts) == 1, [m.kind for _, m in sent]
    return re.search(r"/s/([A-Za-z0-9_\-]{64})", texts[0]).group(1)


def test_the_survey_is_sent_a_day_after_the_resolve_and_a_tap_only_chooses_the_rating(client, firm):
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=500)
    tid, _ = resolved_ticket(firm, t0, phone="+86 139 0000 1111")
    assert not [m for _, m in sweep_and_collect(t0 + timedelta(hours=20)) if m.kind == "survey_invite"]
    sent = sweep_and_collect(t0 + timedelta(hours=26, minutes=1))
    token = survey_link(sent, "13900001111")
    message = next(m for _, m in sent if m.kind == "survey_invite")
    assert f"/s/{token}?rating=5" in message.text and f"/s/{token}?rating=1" in message.text
    assert sweep_and_collect(t0 + timedelta(hours=27)) == []  # sent once
    # once sent, the link is the resident's alone: the outbox keeps no copy
    from chalicelib.store.models import OutboxItem, tenant_pk
    kept = [i for i in OutboxItem.query(tenant_pk(firm.tenant_id), OutboxItem.sk.startswith("OUTBOX#"))
            if i.message_kind == "survey_invite"]
    assert kept and all(i.status == "sent" and token not in json.dumps(i.data.as_dict()) for i in kept)

    # a mail scanner (or the resident) following the link records nothing
    page = client.http.get(f"/s/{token}?rating=4", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert page.status_code == 200
    html = page.body.decode()
    assert re.search(r'id="rating-4" value="4" checked', html)
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["survey"] is None

    posted = client.http.post(f"/s/{token}", headers=FORM, body="lang=en&rating=4&fixed_first_visit=yes&comment=Quick+work")
    assert posted.status_code == 303 and posted.headers["Location"] == f"/s/{token}?lang=en&thanks=1"
    ticket = body(firm.call("GET", f"/api/tickets/{tid}"))
    assert ticket["survey"]["rating"] == 4 and ticket["survey"]["fixed_first_visit"] is True
    assert ticket["followed_up_at"] is not None  # an answer counts as the follow-up
    answered = next(e for e in ticket["timeline"] if e["type"] == "survey_answered")
    assert answered["data"] == {"rating": 4, "via": "link", "comment": "Quick work"} and not answered["public"]


def test_a_survey_link_used_twice_says_already_answered(client, firm):
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=520)
    tid, _ = resolved_ticket(firm, t0, phone="+86 139 0000 2222")
    token = survey_link(sweep_and_collect(t0 + timedelta(days=1, hours=3)), "13900002222")
    first = client.http.post(f"/s/{token}", headers=JSON, body=json.dumps({"rating": 5}))
    assert first.status_code == 201 and body(first)["state"] == "answered"
    again = client.http.post(f"/s/{token}", headers=FORM, body="lang=en&rating=1")
    assert again.status_code == 409
    assert "You have already answered this survey" in again.body.decode()
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["survey"]["rating"] == 5  # the first answer stands
    json_again = client.http.post(f"/s/{token}", headers=JSON, body=json.dumps({"rating": 1}))
    assert json_again.status_code == 409 and body(json_again)["error"]["fields"] == {"survey": "already answered"}


def test_an_expired_link_says_so_and_records_nothing(client, firm):
    from chalicelib.services import surveys
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=540)
    tid, _ = resolved_ticket(firm, t0, phone="+86 139 0000 3333")
    token = survey_link(sweep_and_collect(t0 + timedelta(days=1, hours=3)), "13900003333")
    late = t0 + timedelta(days=1, hours=3) + timedelta(days=28, minutes=5)
    assert surveys.form_by_link(token, now=late).state == "expired"
    import pytest
    from chalicelib.domain.errors import TransitionRefused
    with pytest.raises(TransitionRefused) as refused:
        surveys.answer_by_link(token, {"rating": "5"}, now=late)
    assert refused.value.fields == {"survey": "expired"}
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["survey"] is None


def test_a_resident_is_sent_at_most_one_survey_in_30_days(client, firm):
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=560)
    phone = "+86 139 0000 4444"
    first, _ = resolved_ticket(firm, t0, phone=phone)
    survey_link(sweep_and_collect(t0 + timedelta(days=1, hours=3)), "13900004444")
    second, _ = resolved_ticket(firm, t0 + timedelta(days=10), phone=phone)
    sent = sweep_and_collect(t0 + timedelta(days=11, hours=3))
    assert [m for _, m in sent if m.kind == "survey_invite"] == []
    timeline = body(firm.call("GET", f"/api/tickets/{second}"))["timeline"]
    assert [e["data"]["reason"] for e in timeline if e["type"] == "survey_not_sent"] == [
        "this resident was sent a survey in the last 30 days"]
    third, _ = resolved_ticket(firm, t0 + timedelta(days=32), phone=phone)
    survey_link(sweep_and_collect(t0 + timedelta(days=33, hours=3)), "13900004444")  # a month later: asked again


def test_the_tracking_page_offers_the_survey_once_resolved(client, firm):
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=3)
    tid, token = resolved_ticket(firm, t0)
    page = client.http.get(f"/t/{token}?lang=en", headers={"Accept": "text/html"}).body.decode()
    assert 'id="survey-section"' in page and f'action="/t/{token}/survey"' in page
    missing = client.http.post(f"/t/{token}/survey", headers=FORM, body="lang=en&comment=nothing")
    assert missing.status_code == 422 and "Choose a rating from 1 to 5" in missing.body.decode()
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["survey"] is None
    done = client.http.post(f"/t/{token}/survey", headers=FORM, body="lang=en&rating=2&comment=Slow")
    assert done.status_code == 303 and done.headers["Location"] == f"/t/{token}?lang=en#survey-thanks"
    page = client.http.get(f"/t/{token}?lang=en", headers={"Accept": "text/html"}).body.decode()
    assert 'id="survey-section"' not in page and "Thank you for your answer" in page
    assert client.http.post(f"/t/{token}/survey", headers=JSON, body='{"rating": 5}').status_code == 409


def test_an_open_ticket_is_not_surveyed(client, firm):
    answer = body(firm.submit(firm.report(description=unique("Door sticks"))))
    token = answer["ticket"]["tracking_token"]
    refused = client.http.post(f"/t/{token}/survey", headers=JSON, body='{"rating": 5}')
    assert refused.status_code == 409 and body(refused)["error"]["fields"] == {"survey": "not open"}


def test_the_invitation_reaches_the_residents_mailbox_or_phone_under_each_profile(client, firm, messaging_profile):
    """Through the real senders: SES/SNS (moto) under global; the SMTP server and the Alibaba
    Cloud SMS stand-in under cn, where the link travels as the approved template's variable."""
    from chalicelib.services import escalation
    arrived = messaging_profile
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=580)
    mailed, _ = resolved_ticket(firm, t0, email="li.na@resident.example")
    texted, _ = resolved_ticket(firm, t0, phone="+86 139 0000 6666")
    numbers = {tid: str(body(firm.call("GET", f"/api/tickets/{tid}"))["number"]) for tid in (mailed, texted)}
    when = t0 + timedelta(days=1, hours=3)
    escalation.sweep(when)
    escalation.deliver(when)

    link = re.compile(r"/s/[A-Za-z0-9_\-]{64}")
    # the invitation, not the resident's messages about each step (their links are /m/… short links)
    (mail,) = [m for m in arrived.mails() if m["to"] == ["li.na@resident.example"] and link.search(m["text"])]
    assert numbers[mailed] in mail["subject"] and len(set(link.findall(mail["text"]))) == 1
    (text,) = [t for t in arrived.texts() if t["to"] == "+8613900006666"
               and link.search(str(t.get("text") or t.get("variables", {}).get("link") or ""))]
    if arrived.profile == "cn":
        assert text["template"] == "SMS_490000010"  # survey_invite, en, in sms_templates.json
        assert text["variables"]["ticket"] == numbers[texted] and link.search(text["variables"]["link"])
        assert mail["authenticated"]
    else:
        assert numbers[texted] in text["text"] and link.search(text["text"])
    # the link that arrived opens the resident's survey
    token = link.search(mail["text"]).group(0)
    assert client.http.get(token, headers={"Accept": "text/html", "Accept-Language": "en"}).status_code == 200
