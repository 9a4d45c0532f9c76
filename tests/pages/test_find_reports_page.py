"""A resident with JavaScript off in a real Chromium: the confirmation after submit, the
tracking page's status card, and finding their reports again by phone and a code."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.pages.conftest import WAIT_MS, shot
from tests.pages.test_resident_pages import TRACKING, fill_report
from tests.support import Firm, body

WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")


@pytest.fixture(scope="module")
def firm(client):
    """A Shanghai firm with a service phone."""
    firm = Firm.sign_up(client, locale="zh-CN")
    assert firm.call("PUT", "/api/tenant/resident-page", {"service_phone": "400-820-8820"}).status_code == 200
    return firm


def sms_to(endpoint: str, number: str) -> list[str]:
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=60) as answer:
        data = json.loads(answer.read())
    return [m["message"] for m in data["sns"]["SMS"] if m["phone_number"] == number]


def report_by_form(page, base_url: str, firm: Firm, description: str) -> str:
    page.goto(f"{base_url}/r/{firm.slug}")
    assert page.locator("#privacy-notice").count() == 1
    assert page.locator("#service-phone a").get_attribute("href") == "tel:4008208820"
    fill_report(page, description)
    page.click("#send")
    page.wait_for_url(TRACKING, timeout=WAIT_MS)
    return re.search(r"/t/([A-Za-z0-9_\-]{64})", page.url).group(1)


def test_the_confirmation_puts_the_number_first_says_where_the_link_went_and_offers_photos(phone, base_url, firm):
    page = phone
    token = report_by_form(page, base_url, firm, "卫生间地漏堵了。")
    assert "new=1" in page.url
    first_heading = page.locator("h1").first
    assert re.fullmatch(r"您的报修编号\s*#\d+", first_heading.inner_text().strip())
    assert page.locator("#confirmation #number").count() == 1
    assert "138****8000" in page.locator("#sent-to").inner_text()
    assert "短信" in page.locator("#sent-to").inner_text()
    assert "书签" in page.locator("#keep-page").inner_text()  # not WeChat: bookmark
    # add photos is the next step, on this page, before the status and the details
    photos = page.locator("section.next#photos")
    assert photos.count() == 1 and "下一步" in photos.locator("h2").inner_text()
    boxes = [page.locator(s).bounding_box()["y"] for s in ("#confirmation", "#photos", "#status-card", "#category")]
    assert boxes == sorted(boxes)
    assert page.locator("#photo-form").count() == 1
    page.click("#skip-photos")  # skipping is fine: the ordinary tracking page
    page.wait_for_url(re.compile(rf".*/t/{token}\?lang=zh-CN$"), timeout=WAIT_MS)
    assert page.locator("#confirmation").count() == 0 and page.locator("h1 #number").count() == 1
    assert page.locator("script").count() == 0
    shot(page, "track-zh-after-skip")


def test_a_wechat_reader_is_told_how_to_keep_the_page(browser, base_url, firm):
    context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False,
                                  user_agent=WECHAT_UA, extra_http_headers={"Accept-Language": "zh-CN"})
    page = context.new_page()
    try:
        token = body(firm.submit())["ticket"]["tracking_token"]
        page.goto(f"{base_url}/t/{token}?new=1")
        keep = page.locator("#keep-page").inner_text()
        assert "收藏" in keep and "浮窗" in keep
        shot(page, "confirm-zh-wechat")
    finally:
        context.close()


def next_saturday_10(zone: str) -> datetime:
    now = datetime.now(ZoneInfo(zone))
    day = now + timedelta(days=(5 - now.weekday()) % 7 or 7)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


def test_the_status_card_says_what_happens_and_when_and_the_timeline_is_newest_first(browser, base_url, firm):
    answer = body(firm.submit(firm.report(unit="1204", description="The front door lock sticks.")))
    token, number = answer["ticket"]["tracking_token"], answer["ticket"]["number"]
    ticket = next(t for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"] if t["number"] == number)
    tid, version = ticket["id"], ticket["version"]
    sub, _ = firm.add_staff(name="Wang Wei")
    for payload in ({"type": "acknowledge"}, {"type": "assign", "assignee": sub},
                    {"type": "schedule", "at": next_saturday_10("Asia/Shanghai").isoformat()}):
        response = firm.event(tid, version, payload)
        assert response.status_code == 201, response.body
        version += 1
    context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False,
                                  extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    try:
        page.goto(f"{base_url}/t/{token}")
        card = page.locator("#status-card")
        assert card.locator("#status").inner_text() == "Being worked on"
        assert card.locator("#first-response.met").count() == 1  # met, not a future promise
        assert "Answered:" in card.locator("#first-response").inner_text()
        assert "We will respond by" not in card.inner_text()
        assert re.search(r"Saturday \d+ \w+, from 10:00", card.locator("#visit").inner_text())
        assert card.locator("#coming").inner_text().endswith("Wang")
        assert card.locator("#service-phone a").get_attribute("href") == "tel:4008208820"
        assert page.locator("#zone-note").count() == 0  # the reader's zone is not known to differ
        entries = page.locator("#timeline > li")
        assert "Visit booked" in entries.nth(0).inner_text()  # newest first
        assert re.search(r"For Saturday \d+ \w+, from 10:00", entries.nth(0).inner_text())
        assert "Received" in entries.nth(entries.count() - 1).inner_text()
        stamp = entries.nth(0).locator(".when").inner_text()
        assert "10:00" not in stamp  # stamped when it was booked, not when the visit is
        card_y = card.bounding_box()["y"]
        assert card_y < page.locator("#category").bounding_box()["y"]
        shot(page, "track-en-status-card")
    finally:
        context.close()


def test_find_my_reports_with_the_right_code_in_the_browser(phone, base_url, firm, local_stack):
    page = phone
    token = report_by_form(page, base_url, firm, "客厅空调漏水。")
    page.goto(f"{base_url}/t/{token}")
    page.click("#find-again a")
    assert page.locator("h1").inner_text() == "查找我的报修"
    before = len(sms_to(local_stack.endpoint, "+8613800138000"))
    page.fill("#contact", "138 0013 8000")
    page.click("#ask")
    assert "138****8000" in page.locator("#sent-to").inner_text()
    code = re.search(r"\b(\d{6})\b", sms_to(local_stack.endpoint, "+8613800138000")[before]).group(1)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.fill("#code", "000000" if code != "000000" else "111111")
        page.click("#check")
    assert posted.value.status == 422
    assert "4" in page.locator("#code-error").inner_text()
    page.fill("#code", code)
    page.click("#check")
    links = page.locator("#reports a")
    assert links.count() >= 2  # this and the earlier confirmation test's report, same phone
    shot(page, "mine-zh-found")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert f"/t/{token}?lang=zh-CN" in hrefs
    page.click(f"#reports a[href='/t/{token}?lang=zh-CN']")
    page.wait_for_url(re.compile(rf".*/t/{token}\?lang=zh-CN$"), timeout=WAIT_MS)
    assert page.locator("#description").inner_text() == "客厅空调漏水。"


def test_five_wrong_codes_lock_in_the_browser_and_an_unknown_number_looks_the_same(browser, base_url, firm,
                                                                                  local_stack):
    pages = {}
    contexts = []
    try:
        for who, number in (("known", "138 0013 8000"), ("unknown", "138 0099 8000")):
            context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False,
                                          extra_http_headers={"Accept-Language": "en"})
            contexts.append(context)
            page = context.new_page()
            page.goto(f"{base_url}/r/{firm.slug}/mine")
            page.fill("#contact", number)
            with page.expect_response(lambda r: r.request.method == "POST") as asked:
                page.click("#ask")
            statuses = [asked.value.status]
            for _ in range(5):
                with page.expect_response(lambda r: r.request.method == "POST") as tried:
                    page.fill("#code", "12345x")
                    page.click("#check")
                statuses.append(tried.value.status)
            pages[who] = (statuses, page.locator("main").inner_text())
        assert sms_to(local_stack.endpoint, "+8613800998000") == []
        assert pages["known"][0] == pages["unknown"][0] == [200, 422, 422, 422, 422, 429]
        assert pages["known"][1] == pages["unknown"][1]  # the same words (the masks are alike)
        assert "no longer works" in pages["known"][1]
    finally:
        for context in contexts:
            context.close()


VISIBLE_TEXT = """() => { const m = document.querySelector('main').cloneNode(true);
  m.querySelectorAll('.hp, [aria-hidden=true], .lang').forEach(e => e.remove()); return m.innerText; }"""


def english_words(page, firm: Firm) -> list[str]:
    page.wait_for_load_state()  # a click's navigation may still be under way on a busy machine
    page.wait_for_selector("main")
    text = page.evaluate(VISIBLE_TEXT).replace(f"Firm {firm.slug}", "")
    for name in ("Garden Court", "Block 3"):  # the firm's own names for its places (tests/support.py)
        text = text.replace(name, "")
    return [w for w in re.findall(r"[A-Za-z_]{2,}", text) if w not in FORMAT_NAMES]


FORMAT_NAMES = {"JPEG", "PNG", "HEIC", "WebP", "MB"}  # file formats and units, the same in Chinese


def test_the_new_and_changed_pages_in_chinese_show_no_english_word_or_code(phone, base_url, firm, local_stack):
    page = phone
    report_by_form(page, base_url, firm, "阳台灯不亮。")
    assert english_words(page, firm) == [], "confirmation"
    page.click("#skip-photos")
    assert english_words(page, firm) == [], "tracking page"
    page.goto(f"{base_url}/r/{firm.slug}")
    assert english_words(page, firm) == [], "form"
    page.goto(f"{base_url}/r/{firm.slug}/mine")
    assert english_words(page, firm) == [], "find my reports"
    page.fill("#contact", "137 0000 1111")
    page.click("#ask")
    assert english_words(page, firm) == [], "the code page"
    page.fill("#code", "1")
    page.click("#check")
    assert english_words(page, firm) == [], "a wrong code"
