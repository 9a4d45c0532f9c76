"""A resident takes an answered stage-1 complaint to stage 2 from its tracking page, in a real
Chromium at 375 px with JavaScript off (in Chinese, as most residents arrive), and the page
passes axe with the offer, with an error beside the box, and once it is done."""

from __future__ import annotations

import re

import pytest
import requests

from tests.pages.conftest import WAIT_MS, shot
from tests.pages.test_accessibility import assert_no_blocking_violations, axe  # noqa: F401  (fixture)
from tests.support import Firm, body


@pytest.fixture(scope="module")
def uk_firm(client):
    return Firm.sign_up(client, locale="zh-CN", time_zone="Europe/London", template="uk-social-housing")


def answered_complaint(base_url, firm) -> tuple[str, int]:
    answer = requests.post(f"{base_url}/r/{firm.slug}/tickets", timeout=10, json=firm.report(
        category="complaint_stage1", urgency="routine", description="物业没有回复我关于噪音的投诉。")).json()
    number = answer["ticket"]["number"]
    ticket = next(t for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"] if t["number"] == number)
    done = firm.event(ticket["id"], ticket["version"], {"type": "resolve", "note": "我们已经书面答复。"})
    assert done.status_code == 201, done.body
    return answer["ticket"]["tracking_token"], number


def test_a_resident_asks_for_stage_two_on_a_phone(browser, axe, base_url, uk_firm):  # noqa: F811
    token, number = answered_complaint(base_url, uk_firm)
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/t/{token}")
        offer = page.locator("#escalate-section")
        assert "对我们的答复不满意？" in offer.inner_text() and "投诉（第二阶段）" in offer.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
        assert_no_blocking_violations(axe, page, "the stage-2 offer")

        with page.expect_response(lambda r: r.request.method == "POST") as posted:  # sent empty
            page.click("#send-escalate")
        assert posted.value.status == 422
        assert "请说明答复为什么没有解决您的投诉" in page.locator("#reason_escalate-error").inner_text()
        assert_no_blocking_violations(axe, page, "the stage-2 offer with an error")
        shot(page, "track-zh-stage2-error")

        page.fill("#reason_escalate", "答复没有说明什么时候处理噪音问题。")
        page.click("#send-escalate")
        page.wait_for_url(re.compile(r".*/t/(?!" + re.escape(token) + r")[^/?]+\?lang=zh-CN&new=1$"), timeout=WAIT_MS)
        assert "投诉（第二阶段）" in page.locator("#category").inner_text()
        assert page.locator("#description").inner_text() == "答复没有说明什么时候处理噪音问题。"
        shot(page, "track-zh-stage2-new")

        page.goto(f"{base_url}/t/{token}")  # the stage-1 report says where it went
        told = page.locator("#escalated").inner_text()
        assert "已提交到下一阶段" in page.locator("#escalate-title").inner_text()
        assert re.search(r"#\d+", told) and f"#{number}" not in told
        assert page.locator("#send-escalate").count() == 0
        assert_no_blocking_violations(axe, page, "the stage-1 report after stage 2 was asked for")
    finally:
        context.close()
