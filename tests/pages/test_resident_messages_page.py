"""One resident, JavaScript off, told at every step on the channel they chose: received
(deferred past the firm's quiet hours), acknowledged, visit booked, a question they answer
from the message's link, resolved with the survey they answer, then "stop" and silence.
In Chinese by SMS and in English by e-mail, read back from moto's SNS and SES backends.
The sweep is the scheduled Lambda, invoked with an EventBridge event whose time we choose."""

from __future__ import annotations

import copy
import json
import random
import re
import urllib.request
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.pages.conftest import WAIT_MS, shot
from tests.support import Firm, body, unique

TRACKING = re.compile(r".*/t/[A-Za-z0-9_\-]{64}(\?(lang=(en|zh-CN)|new=1)(&(lang=(en|zh-CN)|new=1))*)?(#.*)?$")  # ?new=1: the confirmation


def sweep(client, when: datetime) -> None:
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=["arn:aws:events:us-east-1:123456789012:rule/sla_sweep"])
    event["time"] = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    client.lambda_.invoke("sla_sweep", event)


def delivered(endpoint: str, to: str) -> list[str]:
    """Everything moto's SNS (SMS) or SES (e-mail) was asked to send to this resident."""
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=120) as answer:
        data = json.load(answer)
    if "@" in to:
        return [f'{m["subject"]}\n{m["body"]}' for m in data.get("ses", {}).get("Message", [])
                if to in (m.get("destinations") or {}).get("ToAddresses", [])]
    return [m["message"] for m in data.get("sns", {}).get("SMS", []) if m["phone_number"] == to]


class Resident:
    """What has reached one resident so far; ``new()`` is what arrived since the last look."""

    def __init__(self, endpoint: str, to: str) -> None:
        self.endpoint, self.to, self.seen = endpoint, to, 0

    def new(self) -> list[str]:
        found = delivered(self.endpoint, self.to)
        fresh, self.seen = found[self.seen:], len(found)
        return fresh


def quiet_now(firm, zone: str) -> datetime:
    """Give the firm quiet hours from an hour ago to three hours ahead (its local time), so
    whatever the clock says when this runs, the first message falls in them. Returns when
    they end."""
    local = datetime.now(ZoneInfo(zone)).replace(second=0, microsecond=0)
    start, end = local - timedelta(hours=1), local + timedelta(hours=3)
    set_messages(firm, {"quiet_hours": {"from": f"{start:%H:%M}", "to": f"{end:%H:%M}"}, "sms_signature": "绿苑物业"})
    return end


def set_messages(firm, settings: dict) -> None:
    current = body(firm.call("GET", "/api/standards"))
    doc = copy.deepcopy(current["standards"])
    doc["messages"] = settings
    saved = firm.call("PUT", "/api/standards", {"standards": doc}, **{"If-Match": f'"{current["version"]}"'})
    assert saved.status_code == 200, saved.body


def staff(firm, tid: str, payload: dict) -> None:
    version = body(firm.call("GET", f"/api/tickets/{tid}"))["version"]
    response = firm.event(tid, version, payload)
    assert response.status_code == 201, response.body


def link(text: str, tail: str = "") -> str:
    found = re.findall(r"(/m/[A-Za-z0-9_\-]{22}" + re.escape(tail) + r")(?=\s|$)", text)
    assert found, text
    return found[0]


WORDS = {
    "zh-CN": {"received": "已收到您的报事", "acknowledged": "已受理", "visit": "12月", "question": "漏水在水槽下面吗？",
              "resolved": "已处理完成", "stop": "已停止", "thanks": "感谢"},
    "en": {"received": "We received your report", "acknowledged": "is being handled", "visit": "visit booked for",
           "question": "Is the leak under the sink?", "resolved": "is resolved", "stop": "will not send",
           "thanks": "Thank you"},
}


@pytest.mark.parametrize("lang, zone, channel", [("zh-CN", "Asia/Shanghai", "sms"), ("en", "Europe/London", "email")])
def test_a_resident_is_told_each_step_once_on_their_channel(lang, zone, channel, browser, base_url, client,
                                                            local_stack):
    words = WORDS[lang]
    firm = Firm.sign_up(client, locale=lang, time_zone=zone)
    quiet_end = quiet_now(firm, zone)
    context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False, locale=lang,
                                  extra_http_headers={"Accept-Language": lang})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    number, email = f"+86 139 {random.randint(1000, 9999)} {random.randint(1000, 9999)}", \
        f"{unique('resident')}@example.com"
    to = re.sub(r"[^\d+]", "", number) if channel == "sms" else email

    # received: the form, with the channel chosen
    page.goto(f"{base_url}/r/{firm.slug}?lang={lang}")
    assert page.locator("script").count() == 0
    page.select_option("#unit", "1204")
    page.check("#category-repairs")
    page.check("#urgency-normal")
    page.fill("#description", "厨房水龙头整夜滴水。" if lang == "zh-CN" else "The kitchen tap drips all night.")
    page.fill("#contact_phone", number)
    if channel == "email":
        page.fill("#contact_email", email)
        page.check("#notify-email")
    else:
        page.check("#contact_notify")  # SMS
    page.click("#send")
    page.wait_for_url(TRACKING, timeout=WAIT_MS)
    token = re.search(r"/t/([A-Za-z0-9_\-]{64})", page.url).group(1)
    tid = next(t["id"] for t in body(firm.call("GET", "/api/tickets"))["tickets"])
    resident = Resident(local_stack.endpoint, to)

    # deferred: nothing in quiet hours, then exactly one message when they end
    now = datetime.now(timezone.utc)
    sweep(client, now + timedelta(minutes=5))
    sweep(client, quiet_end - timedelta(minutes=1))
    assert resident.new() == []
    sweep(client, quiet_end + timedelta(minutes=1))
    received = resident.new()
    assert len(received) == 1 and words["received"] in received[0]
    assert "water_leak" not in received[0] and "repairs" not in received[0]
    if channel == "sms":
        assert received[0].startswith("【绿苑物业】")
    sweep(client, quiet_end + timedelta(minutes=5))
    assert resident.new() == []  # once
    set_messages(firm, {"quiet_hours": False})

    def step(payload: dict | None) -> list[str]:
        if payload:
            staff(firm, tid, payload)
        sweep(client, datetime.now(timezone.utc) + timedelta(minutes=3))
        sweep(client, datetime.now(timezone.utc) + timedelta(minutes=4))  # a repeated event sends nothing more
        return resident.new()

    acknowledged = step({"type": "acknowledge"})
    assert len(acknowledged) == 1 and words["acknowledged"] in acknowledged[0]

    visit_day = (datetime.now(ZoneInfo(zone)) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    booked = step({"type": "schedule", "at": visit_day.isoformat(), "until": (visit_day + timedelta(hours=2)).isoformat()})
    assert len(booked) == 1 and words["visit"] in booked[0] and "09:00-11:00" in booked[0]
    assert not re.search(r"\d\d:\d\d:\d\d", booked[0])  # no seconds

    asked = step({"type": "wait", "question": words["question"]})
    assert len(asked) == 1 and words["question"] in asked[0]

    # the resident answers from the message's link
    page.goto(base_url + link(asked[0]))
    page.wait_for_url(TRACKING, timeout=WAIT_MS)
    page.fill("#body", "是的，在水槽下面。" if lang == "zh-CN" else "Yes, under the sink.")
    page.click("#send-reply")
    page.wait_for_url(TRACKING, timeout=WAIT_MS)
    assert page.locator("#reply-section").count() == 0
    assert step(None) == []  # their own answer is not told back to them

    resolved = step({"type": "resolve", "note": "已更换密封圈" if lang == "zh-CN" else "Replaced the seal"})
    assert len(resolved) == 1 and words["resolved"] in resolved[0]
    page.goto(base_url + link(resolved[0], "/survey"))
    page.wait_for_url(TRACKING, timeout=WAIT_MS)
    page.check("#rating-4")
    page.click("#send-survey")
    page.wait_for_url(re.compile(r".*#survey-thanks$"), timeout=WAIT_MS)
    assert words["thanks"] in page.locator("#survey-thanks").inner_text()
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["survey"]["rating"] == 4
    shot(page, f"messages-{lang}-surveyed")

    # stop: the link only shows a button; the button stops; nothing arrives after it
    # (axe needs script, so it reads the same pages in a context with JavaScript on)
    from axe_playwright_python.sync_playwright import Axe

    from tests.pages.test_accessibility import assert_no_blocking_violations
    checker = browser.new_context(viewport={"width": 375, "height": 812}, locale=lang,
                                  extra_http_headers={"Accept-Language": lang})
    checker.set_default_timeout(WAIT_MS)
    reader = checker.new_page()
    reader.goto(f"{base_url}/t/{token}")
    assert reader.locator("#stop-messages").count() == 1
    assert_no_blocking_violations(Axe(), reader, "the tracking page with its messages block")
    reader.goto(base_url + link(resolved[0], "/stop") if channel == "email" else f"{base_url}/m/{link(resolved[0])[3:]}/stop")
    assert_no_blocking_violations(Axe(), reader, "the stop page")
    checker.close()
    if channel == "email":
        page.goto(base_url + link(resolved[0], "/stop"))
        assert page.locator("form button").count() == 1
        page.click("form button")
        assert words["stop"] in page.locator("main").inner_text()
    else:
        page.goto(f"{base_url}/t/{token}")
        page.click("#stop-messages")
        page.wait_for_url(TRACKING, timeout=WAIT_MS)
        assert page.locator("#resume-messages").count() == 1
    shot(page, f"messages-{lang}-stopped")
    assert step({"type": "comment", "body": "Any more trouble, call us", "visibility": "public"}) == []
    timeline = body(firm.call("GET", f"/api/tickets/{tid}"))["timeline"]
    assert [e["type"] for e in timeline].count("messages_stopped") == 1
    context.close()
