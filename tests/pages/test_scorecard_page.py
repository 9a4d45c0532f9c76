"""The published scorecard as people read it, in Chromium with JavaScript off, in English and
Chinese: plain sentences first with the right numbers and plurals, "how sure are we" behind a
<details>, who was asked and when, the trend against the month before, the firm's name and
service phone, and every problem type that had reports in "what we promised and what we did"
(one covered only by the catch-all target). Figures are hand-computed here."""

from __future__ import annotations

import base64
import calendar
from datetime import timedelta

import pytest
from statsmodels.stats.proportion import proportion_confint

from tests.api.test_logo import png
from tests.api.test_scorecard import MONTH_AT, MONTH_KEY, MONTH_LOCAL, NIGHT_AFTER, publish
from tests.pages.conftest import WAIT_MS, shot
from tests.support import Firm, body, unique

BEFORE_LOCAL = (MONTH_LOCAL.replace(day=1) - timedelta(days=1)).replace(day=10)
BEFORE_AT = MONTH_AT - (MONTH_LOCAL - BEFORE_LOCAL)
NIGHT_BEFORE = NIGHT_AFTER - (MONTH_LOCAL.replace(day=1) - BEFORE_LOCAL.replace(day=1))
MONTH_EN, BEFORE_EN = f"{MONTH_LOCAL:%B %Y}", f"{BEFORE_LOCAL:%B %Y}"
BEFORE_ZH = f"{BEFORE_LOCAL.year}年{BEFORE_LOCAL.month}月"

# (category, hours until resolved, rating). The month: 12 reports, 10 ratings of 4-5, one
# water leak finished after 30 hours (its promise: 24 hours). The month before: 5 reports,
# 3 ratings of 4-5, all on time.
MONTH = [("repairs", 2, r) for r in (5, 5, 4, 4, 5, 4, 5, 4)] + [("water_leak", 2, 3), ("water_leak", 2, 2),
                                                                 ("water_leak", 2, 5), ("water_leak", 30, 4)]
BEFORE = [("repairs", 2, r) for r in (5, 5, 2, 2, 4)]


def reports(firm: Firm, start, plan) -> None:
    from chalicelib.domain.identity import Identity
    from chalicelib.services import surveys, tickets
    admin = Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin")
    for i, (category, hours, rating) in enumerate(plan):
        at = start + timedelta(hours=i)
        answer, _ = tickets.submit_report(firm.slug, firm.report(
            category=category, description=unique("Drip"), contact={"name": "Li Na", "phone": f"+86 139 1111 {1000 + i}"}),
            now=at)
        tid = next(t["id"] for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]
                   if t["number"] == answer["ticket"]["number"])
        tickets.record_event(admin, tid, {"type": "acknowledge"}, '"1"', now=at + timedelta(minutes=20))
        tickets.record_event(admin, tid, {"type": "resolve", "note": "Fixed."}, '"2"', now=at + timedelta(hours=hours))
        surveys.answer_by_tracking(answer["ticket"]["tracking_token"], {"rating": str(rating)},
                                   now=at + timedelta(hours=hours + 1))


@pytest.fixture(scope="module")
def published(client):
    from chalicelib.services import rollups
    firm = Firm.sign_up(client)
    assert firm.call("PUT", "/api/tenant/resident-page", {"service_phone": "400-820-8820"}).status_code == 200
    logo = base64.b64encode(png(16, 16)).decode()
    assert firm.call("PUT", "/api/tenant/logo", {"image": logo}).status_code == 200
    publish(firm, publish=True)
    reports(firm, BEFORE_AT, BEFORE)
    rollups.run(NIGHT_BEFORE)
    reports(firm, MONTH_AT, MONTH)
    assert MONTH_KEY in rollups.run(NIGHT_AFTER).periods_finalised
    return firm


def interval(k: int, n: int) -> str:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return f"{100 * low:.0f}% and {100 * high:.0f}%"


def test_the_scorecard_reads_as_sentences_in_english(published, browser, base_url):
    context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False, locale="en",
                                  extra_http_headers={"Accept-Language": "en"})
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/p/{published.slug}/scorecard?lang=en")
        head = page.locator("#firm").inner_text()
        assert f"Firm {published.slug}" in head and "400-820-8820" in head
        assert page.locator("#service-phone a").get_attribute("href") == "tel:4008208820"
        logo = page.locator("#firm img")
        assert logo.get_attribute("alt") == f"Firm {published.slug} logo"
        assert logo.evaluate("img => img.complete && img.naturalWidth") == 16  # the inline image, drawn
        assert page.locator("#month-reports").inner_text() == "We received 12 reports in this period."
        # 10 of 12 rated 4 or 5: 83 % -> about 8 in 10; the month before 3 of 5: 60 %
        csat = page.locator("#month-csat-sentence").inner_text()
        assert csat == ("About 8 in 10 residents who rated our service after a report were satisfied. "
                        f"Up from 60% in {BEFORE_EN}.")
        # 11 of 12 finished on time: 92 % -> about 9 in 10; the month before 5 of 5
        on_time = page.locator("#month-sla_resolution-sentence").inner_text()
        assert on_time == f"We finished about 9 in 10 reports on time. Down from 100% in {BEFORE_EN}."
        # how sure: closed until asked, no script needed to open it
        sure = page.locator("#month-csat-sure")
        assert not sure.locator("p").is_visible()
        sure.locator("summary").click()
        assert sure.locator("p").inner_text() == (
            f"Based on 12 answers, the true share is very likely between {interval(10, 12)} (a 95% interval).")
        method = page.locator("#month-method").inner_text()
        assert "24 hours later" in method and "How many answered: 12." in method
        last = calendar.monthrange(MONTH_LOCAL.year, MONTH_LOCAL.month)[1]
        assert f"When: {MONTH_LOCAL:%b} 1, {MONTH_LOCAL.year} to {MONTH_LOCAL:%b} {last}, {MONTH_LOCAL.year}." in method
        # every problem type with reports; repairs are covered only by the catch-all target
        repairs = page.locator("#month-promise-repairs").inner_text()
        assert "First answer within 24 hours, finished within 30 working days." in repairs
        assert "We received 8 reports in this period. We finished all 8 reports on time." in repairs
        leak = page.locator("#month-promise-water_leak").inner_text()
        assert "First answer within 30 minutes, finished within 24 hours." in leak
        assert "We finished too few reports to give a figure (4)." in leak  # below the minimum of 5
        shot(page, "scorecard-en")
    finally:
        context.close()


def test_the_scorecard_reads_as_sentences_in_chinese(published, phone, base_url):
    phone.goto(f"{base_url}/p/{published.slug}/scorecard?lang=zh-CN")
    assert phone.locator("#month-reports").inner_text() == "本期我们收到 12 件报事。"
    assert phone.locator("#month-csat-sentence").inner_text() == (
        f"在报事后为我们的服务打分的住户中，大约每 10 位有 8 位表示满意。 高于{BEFORE_ZH}的 60%。")
    assert phone.locator("#month-sla_resolution-sentence").inner_text() == (
        f"我们完成的报事中，大约每 10 件有 9 件按时完成。 低于{BEFORE_ZH}的 100%。")
    assert phone.locator("#month-csat-sure summary").inner_text() == "这个数字有多可靠？"
    assert "服务电话：" in phone.locator("#firm").inner_text()
    repairs = phone.locator("#month-promise-repairs").inner_text()
    assert "24 小时内首次答复，30 个工作日内完成。" in repairs and "我们完成的 8 件报事全部按时完成。" in repairs
    shot(phone, "scorecard-zh")
