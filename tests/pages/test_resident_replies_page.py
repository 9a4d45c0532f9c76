"""The resident's side of the conversation on the tracking page, in a real Chromium with
JavaScript off: answering staff's question, and saying "not fixed" after a resolve."""

from __future__ import annotations

import re

import requests

from tests.pages.conftest import WAIT_MS, shot
from tests.support import body


def reported(base_url, firm, description: str) -> tuple[str, str, int]:
    """A resident's report over HTTP; returns (ticket id, tracking token, version)."""
    answer = requests.post(f"{base_url}/r/{firm.slug}/tickets", json=firm.report(description=description),
                           timeout=10).json()
    number = answer["ticket"]["number"]
    ticket = next(t for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"] if t["number"] == number)
    return ticket["id"], answer["ticket"]["tracking_token"], ticket["version"]


def staff(firm, tid: str, version: int, payload: dict) -> int:
    response = firm.event(tid, version, payload)
    assert response.status_code == 201, response.body
    return version + 1


def test_the_resident_answers_staffs_question_from_the_tracking_page(phone, base_url, zh_firm):
    tid, token, version = reported(base_url, zh_firm, "阳台门关不上。")
    staff(zh_firm, tid, version, {"type": "wait", "question": "周六上午方便上门吗？"})
    page = phone
    page.goto(f"{base_url}/t/{token}")
    assert page.locator("#question").inner_text() == "周六上午方便上门吗？"
    assert page.locator("#not-fixed-section").count() == 0
    assert page.locator("script").count() == 0

    with page.expect_response(lambda r: r.request.method == "POST") as posted:  # nothing typed: the message
        page.click("#send-reply")
    assert posted.value.status == 422
    assert "请填写您的回复" in page.locator("#body-error").inner_text()
    assert page.locator("#error-summary a[href='#body']").count() == 1
    shot(page, "track-zh-reply-error")

    page.fill("#body", "可以，9 点以后<b>都在</b>。")
    page.click("#send-reply")
    page.wait_for_url(re.compile(rf".*/t/{token}(\?lang=zh-CN)?$"), timeout=WAIT_MS)
    timeline = page.locator("#timeline").inner_text()
    assert "您的回复" in timeline and "可以，9 点以后<b>都在</b>。" in timeline  # shown as text
    assert page.locator("#reply-section").count() == 0  # no longer waiting on the resident
    assert page.locator("#status").inner_text() == "已确认"
    shot(page, "track-zh-replied")
    full = body(zh_firm.call("GET", f"/api/tickets/{tid}"))
    assert full["timeline"][-1]["type"] == "resident_replied" and full["sla"]["paused"] is False


def test_a_resolved_ticket_offers_not_fixed_which_reopens_it(phone, base_url, zh_firm):
    tid, token, version = reported(base_url, zh_firm, "The kitchen light flickers.")
    version = staff(zh_firm, tid, version, {"type": "comment", "body": "Electrician booked", "visibility": "internal"})
    staff(zh_firm, tid, version, {"type": "resolve", "note": "Replaced the starter"})
    page = phone
    page.goto(f"{base_url}/t/{token}?lang=en")
    assert page.locator("#status").inner_text() == "Resolved"
    assert page.locator("#reply-section").count() == 0
    assert "Not fixed?" in page.locator("#not-fixed-section h2").inner_text()
    assert "Electrician booked" not in page.content()  # internal notes never reach the resident
    shot(page, "track-en-not-fixed-offer")

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#send-not-fixed")
    assert posted.value.status == 422
    assert "Say what is still wrong" in page.locator("#reason-error").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"  # the page's language is kept

    page.fill("#reason", "It still flickers every evening.")
    page.click("#send-not-fixed")
    page.wait_for_url(re.compile(rf".*/t/{token}\?lang=en$"), timeout=WAIT_MS)
    assert page.locator("#status").inner_text() == "Acknowledged"
    timeline = page.locator("#timeline").inner_text()
    assert "You said it is not fixed" in timeline and "It still flickers every evening." in timeline
    assert page.locator("#not-fixed-section").count() == 0
    shot(page, "track-en-reopened")
    full = body(zh_firm.call("GET", f"/api/tickets/{tid}"))
    assert full["status"] == "acknowledged" and full["reopen_count"] == 1


def test_the_forms_posts_carry_the_page_headers_and_unknown_links_are_404_pages(base_url):
    html = {"Accept": "text/html"}
    for path in ("reply", "not-fixed"):
        answer = requests.post(f"{base_url}/t/{'D' * 64}/{path}", data={"body": "x", "reason": "x"}, headers=html,
                               timeout=10, allow_redirects=False)
        assert answer.status_code == 404 and answer.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
        assert "<script" not in answer.text.lower()
