"""Residents hear of every public step once, on their channel, held briefly so quick steps
make one message, deferred in quiet hours, never after they tap "stop"."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.support import body, unique

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", "Accept-Language": "en"}
# 2026-12-04 02:00 UTC is 10:00 in Shanghai (the test firms' zone): not quiet hours
DAY = datetime(2026, 12, 4, 2, 0, tzinfo=timezone.utc)


def phone() -> str:
    return f"+86 139 {random.randint(1000, 9999)} {random.randint(1000, 9999)}"


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def sweep(when: datetime) -> list[tuple[dict, object]]:
    """The minute sweep at ``when``: what each channel was sent."""
    from chalicelib.adapters.channels import Delivery
    from chalicelib.services import escalation
    sent: list[tuple[dict, object]] = []

    def capture(channel, message, idempotency_key=None):
        sent.append((channel, message))
        return Delivery(ok=True, detail="captured")

    escalation.sweep(when)
    escalation.deliver(when, send=capture)
    return sent


def to(sent, number: str) -> list[str]:
    return [m.text for ch, m in sent if m.kind == "resident_update" and digits(ch.get("to", "")) == digits(number)]


def report(firm, when: datetime, number: str, **overrides) -> tuple[str, str, int]:
    from chalicelib.services import tickets as service
    contact = {"name": "Li Na", "phone": number, **overrides.pop("contact", {})}
    answer, _ = service.submit_report(firm.slug, firm.report(description=unique("Tap drips"), contact=contact,
                                                             **overrides), now=when)
    ticket = next(t for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]
                  if t["number"] == answer["ticket"]["number"])
    return ticket["id"], answer["ticket"]["tracking_token"], ticket["number"]


def act(firm, ticket_id: str, payload: dict, when: datetime) -> dict:
    from chalicelib.domain.identity import Identity
    from chalicelib.services import tickets as service
    admin = Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin",
                     email=firm.admin_email)
    version = body(firm.call("GET", f"/api/tickets/{ticket_id}"))["version"]
    return service.record_event(admin, ticket_id, payload, f'"{version}"', now=when)


def test_quick_steps_make_one_message_and_each_step_is_told_once(client, firm):
    number = phone()
    tid, token, n = report(firm, DAY, number)
    act(firm, tid, {"type": "acknowledge"}, DAY + timedelta(seconds=50))
    assert to(sweep(DAY + timedelta(minutes=1)), number) == []  # still held for the next step
    first = to(sweep(DAY + timedelta(minutes=2, seconds=1)), number)
    assert len(first) == 1 and f"number {n}" in first[0] and "being handled" in first[0]
    assert "/m/" in first[0]
    assert to(sweep(DAY + timedelta(minutes=5)), number) == []  # sent once
    act(firm, tid, {"type": "wait", "question": "Is the leak under the sink?"}, DAY + timedelta(minutes=10))
    second = to(sweep(DAY + timedelta(minutes=13)), number)
    assert len(second) == 1 and "Is the leak under the sink?" in second[0] and "being handled" not in second[0]
    # internal notes never reach the resident
    act(firm, tid, {"type": "comment", "body": "call the plumber", "visibility": "internal"}, DAY + timedelta(minutes=20))
    assert to(sweep(DAY + timedelta(minutes=30)), number) == []


def test_a_refused_or_stale_action_queues_nothing(client, firm):
    number = phone()
    tid, _, _ = report(firm, DAY, number)
    sweep(DAY + timedelta(minutes=3))
    stale = firm.event(tid, 99, {"type": "acknowledge"})
    assert stale.status_code == 409
    refused = firm.event(tid, 1, {"type": "reopen", "reason": "x"})
    assert refused.status_code == 409
    assert to(sweep(DAY + timedelta(minutes=10)), number) == []


def test_messages_in_quiet_hours_wait_for_the_morning_but_emergencies_go_at_once(client, firm):
    night = datetime(2026, 12, 4, 14, 30, tzinfo=timezone.utc)  # 22:30 in Shanghai
    number, urgent_number = phone(), phone()
    report(firm, night, number)
    report(firm, night, urgent_number, category="water_leak", urgency="urgent")
    sent = sweep(night + timedelta(minutes=3))
    assert to(sent, number) == [] and len(to(sent, urgent_number)) == 1
    assert to(sweep(datetime(2026, 12, 4, 23, 59, tzinfo=timezone.utc)), number) == []  # 07:59 local
    morning = to(sweep(datetime(2026, 12, 5, 0, 0, tzinfo=timezone.utc)), number)  # 08:00 local
    assert len(morning) == 1 and "received your report" in morning[0]


def test_a_firm_sets_its_own_quiet_hours_and_signature(client, firm):
    from tests.api.test_escalation import with_chain  # noqa: F401 (same way of editing standards)
    import copy
    current = body(firm.call("GET", "/api/standards"))
    doc = copy.deepcopy(current["standards"])
    doc["messages"] = {"quiet_hours": {"from": "09:00", "to": "11:00"}, "sms_signature": "GreenCt"}
    bad = copy.deepcopy(doc)
    bad["messages"] = {"quiet_hours": {"from": "9am", "to": "11:00"}, "sms_signature": "A very long signature"}
    refused = firm.call("PUT", "/api/standards", {"standards": bad}, **{"If-Match": f'"{current["version"]}"'})
    assert refused.status_code == 422
    assert set(body(refused)["error"]["fields"]) == {"messages.quiet_hours.from", "messages.sms_signature"}
    saved = firm.call("PUT", "/api/standards", {"standards": doc}, **{"If-Match": f'"{current["version"]}"'})
    assert saved.status_code == 200, saved.body
    number = phone()
    report(firm, DAY, number)  # 10:00 local: inside this firm's quiet hours
    assert to(sweep(DAY + timedelta(minutes=5)), number) == []
    sent = to(sweep(DAY + timedelta(hours=1)), number)  # 11:00 local
    assert len(sent) == 1 and sent[0].startswith("GreenCt: ")


def test_the_resident_chooses_e_mail_or_none(client, firm):
    from chalicelib.services import tickets as service
    email = f"{unique('res')}@example.com"
    answer, _ = service.submit_report(firm.slug, firm.report(
        contact={"phone": "+86 139 5555 0001", "email": email, "notify": "email"}), now=DAY)
    service.submit_report(firm.slug, firm.report(description=unique("Quiet one"),
                                                 contact={"phone": "+86 139 5555 0002", "notify": "none"}), now=DAY)
    sent = sweep(DAY + timedelta(minutes=3))
    mine = [(ch, m) for ch, m in sent if m.kind == "resident_update" and ch["to"] in (email, "+86 139 5555 0001",
                                                                                         "+86 139 5555 0002")]
    assert [ch for ch, _ in mine] == [{"channel": "email", "to": email}]
    assert f"{answer['ticket']['number']}" in mine[0][1].subject and "/stop" in mine[0][1].text
    problems = body(firm.submit(firm.report(contact={"email": email, "notify": "sms"})))["error"]["fields"]
    assert problems == {"contact.phone": "is needed for messages by SMS"}


def test_stop_confirms_first_then_nothing_is_sent_and_messages_can_be_turned_back_on(client, firm):
    number = phone()
    tid, token, _ = report(firm, DAY, number)
    from chalicelib.domain import tokens
    short = tokens.short_of(token)
    # the link in the message opens the tracking page
    opened = client.http.get(f"/m/{short}", headers={"Accept": "text/html"})
    assert opened.status_code == 303 and opened.headers["Location"] == f"/t/{token}"
    # a GET (a link scanner, a preview) only shows the button
    confirm = client.http.get(f"/m/{short}/stop", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert confirm.status_code == 200 and "<form" in confirm.body.decode() and "<script" not in confirm.body.decode()
    assert not any(e["type"] == "messages_stopped" for e in body(firm.call("GET", f"/api/tickets/{tid}"))["timeline"])
    stopped = client.http.post(f"/m/{short}/stop", headers=FORM, body="lang=en")
    assert stopped.status_code == 200 and "will not" in stopped.body.decode()
    timeline = body(firm.call("GET", f"/api/tickets/{tid}"))["timeline"]
    assert [e["type"] for e in timeline].count("messages_stopped") == 1
    # the held "received" message is not sent, nor anything after
    act(firm, tid, {"type": "acknowledge"}, DAY + timedelta(minutes=1))
    assert to(sweep(DAY + timedelta(minutes=10)), number) == []
    # back on from the tracking page
    resumed = client.http.post(f"/m/{short}/resume", headers=FORM, body="lang=en")
    assert resumed.status_code == 303 and resumed.headers["Location"].startswith(f"/t/{token}")
    act(firm, tid, {"type": "resolve", "note": "New washer"}, DAY + timedelta(minutes=20))
    sent = to(sweep(DAY + timedelta(minutes=25)), number)
    assert len(sent) == 1 and "resolved" in sent[0] and f"/m/{short}/survey" in sent[0]
    assert client.http.get("/m/AAAAAAAAAAAAAAAAAAAAAA/stop", headers={"Accept": "text/html"}).status_code == 404


def test_a_step_that_joins_after_the_sweep_read_the_message_is_not_lost(client, firm):
    """The sweep reads the held message, then a step joins it: the sweep's claim fails on the
    revision and the next sweep sends both steps together, once."""
    from chalicelib.services import escalation
    from chalicelib.store import escalations as store
    from chalicelib.store import schema
    number = phone()
    tid, _, _ = report(firm, DAY, number)
    due = DAY + timedelta(minutes=2, seconds=30)
    read = [d for shard in range(schema.WORK_SHARDS) for d in store.due_deliveries(shard, due)
            if d.kind == "resident_update" and d.data.get("ticket") and digits(d.channel["to"]) == digits(number)]
    assert len(read) == 1
    act(firm, tid, {"type": "acknowledge"}, DAY + timedelta(minutes=1, seconds=59))  # joins while still held
    assert store.claim(read[0], due) is False
    sent = to(sweep(due), number)
    assert len(sent) == 1 and "received your report" in sent[0] and "being handled" in sent[0]
    assert to(sweep(due + timedelta(minutes=5)), number) == []
    assert escalation is not None


def test_a_visit_booked_and_cancelled_within_the_hold_sends_nothing_and_fails_nothing(client, firm):
    number = phone()
    tid, _, _ = report(firm, DAY, number, entry={"present": True, "windows": []})
    sweep(DAY + timedelta(minutes=3))
    act(firm, tid, {"type": "acknowledge"}, DAY + timedelta(minutes=10))
    sweep(DAY + timedelta(minutes=13))
    act(firm, tid, {"type": "schedule", "at": "2026-12-10T01:00:00Z", "until": "2026-12-10T03:00:00Z"},
        DAY + timedelta(minutes=20))
    act(firm, tid, {"type": "cancel_visit"}, DAY + timedelta(minutes=21))
    assert to(sweep(DAY + timedelta(minutes=25)), number) == []
    failed = body(firm.call("GET", "/api/notifications?status=failed"))["notifications"]
    assert [n for n in failed if n["ticket_id"] == tid] == []
    act(firm, tid, {"type": "schedule", "at": "2026-12-10T01:00:00Z", "until": "2026-12-10T03:00:00Z"},
        DAY + timedelta(minutes=30))
    booked = to(sweep(DAY + timedelta(minutes=33)), number)
    assert len(booked) == 1 and "Thu 10 Dec, 09:00-11:00" in booked[0]
    act(firm, tid, {"type": "cancel_visit"}, DAY + timedelta(minutes=40))
    cancelled = to(sweep(DAY + timedelta(minutes=43)), number)
    assert len(cancelled) == 1 and "cancelled" in cancelled[0] and "09:00" in cancelled[0]


def test_the_received_message_reaches_the_residents_phone_under_each_profile(client, firm, messaging_profile):
    """Through the real senders: SNS (moto) under global; under cn the Alibaba Cloud stand-in,
    as the approved resident_update template whose variables carry the step in words and the link."""
    from chalicelib.services import escalation
    number = phone()
    when = DAY + timedelta(days=30)
    _, token, ticket_number = report(firm, when, number)
    escalation.sweep(when + timedelta(minutes=3))
    escalation.deliver(when + timedelta(minutes=3))
    texts = [t for t in messaging_profile.texts() if digits(t["to"]).endswith(digits(number)[-11:])]
    assert len(texts) == 1
    (text,) = texts
    if messaging_profile.profile == "cn":
        assert text["template"] == "SMS_490000018"  # resident_update, en (sms_templates.json)
        variables = text["variables"]
        assert variables["ticket"] == str(ticket_number) and "/m/" in variables["link"]
        assert str(ticket_number) in variables["update"] and "received" in variables["update"]
    else:
        assert str(ticket_number) in text["text"] and "/m/" in text["text"]
