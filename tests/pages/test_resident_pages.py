"""A resident on a phone, JavaScript off, in a real Chromium: report, track, mistakes,
languages, unknown links, hostile text and the pages' headers."""

from __future__ import annotations

import re

import requests

from tests.pages.conftest import WAIT_MS, shot

TRACKING = re.compile(r".*/t/[A-Za-z0-9_\-]{64}(\?.*)?$")


def fill_report(page, description: str) -> None:
    page.select_option("#unit", "1204")
    page.check("#category-repairs")
    page.check("#urgency-normal")
    page.fill("#description", description)
    page.check("#entry_present-no")
    page.select_option("#window_day_0", "sat")
    page.fill("#window_from_0", "09:00")
    page.fill("#window_to_0", "12:00")
    page.fill("#pets", "一只猫")
    page.fill("#contact_name", "李娜")
    page.fill("#contact_phone", "138 0013 8000")


def test_a_resident_reports_in_chinese_with_js_off_and_a_second_submit_is_the_same_ticket(phone, base_url, zh_firm):
    page = phone
    response = page.goto(f"{base_url}/r/{zh_firm.slug}")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "报事报修"
    assert page.locator("script").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    nonce = page.locator("input[name=nonce]").input_value()
    fill_report(page, "厨房水龙头整夜滴水。")
    shot(page, "form-zh-filled")
    page.click("#send")
    page.wait_for_url(TRACKING, timeout=WAIT_MS)
    number = page.locator("#number").inner_text()
    assert re.fullmatch(r"#\d+", number)
    assert page.locator("#category").inner_text() == "维修"
    assert "我们将在此时间前回复" in page.locator("#first-response").inner_text()
    assert "小时" in page.locator("#first-response").inner_text()  # "within 24 h", in Chinese
    assert page.locator("#resolution").count() == 1
    assert "已受理" in page.locator("#timeline").inner_text()
    shot(page, "track-zh")

    page.go_back(wait_until="load")  # back to the very form (same nonce), and send it again
    assert page.locator("input[name=nonce]").input_value() == nonce
    assert page.locator("#description").input_value() == "厨房水龙头整夜滴水。"  # what was typed is still there
    page.click("#send")
    page.wait_for_url(TRACKING, timeout=WAIT_MS)
    assert page.locator("#number").inner_text() == number


def test_missing_fields_show_a_summary_and_messages_beside_the_fields_in_chinese_keeping_input(phone, base_url,
                                                                                                   zh_firm):
    page = phone
    page.goto(f"{base_url}/r/{zh_firm.slug}")
    page.fill("#description", "门")  # too short
    page.fill("#contact_phone", "abc")
    page.fill("#contact_name", "王<b>芳</b>")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#send")
    assert posted.value.status == 422
    summary = page.locator("#error-summary")
    assert summary.locator("h2").inner_text() == "有些内容需要修改"
    links = summary.locator("a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == ["#unit", "#category", "#urgency", "#description", "#contact_phone"]
    assert page.locator("#category-error").inner_text().endswith("请选择问题类型")
    assert "5 至 4000" in page.locator("#description-error").inner_text()
    assert "电话号码" in page.locator("#contact_phone-error").inner_text()
    assert page.locator("#description").input_value() == "门"
    assert page.locator("#contact_phone").input_value() == "abc"
    assert page.locator("#contact_name").input_value() == "王<b>芳</b>"
    shot(page, "form-zh-errors")
    page.click("#error-summary a[href='#description']")  # the summary's links lead to the fields
    assert page.url.endswith("#description")


def test_script_in_the_description_is_shown_as_text(phone, base_url, zh_firm):
    page = phone
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    page.goto(f"{base_url}/r/{zh_firm.slug}?lang=en")
    fill_report(page, hostile)
    page.fill("#contact_name", '"><script>alert(2)</script>')
    page.click("#send")
    page.wait_for_url(TRACKING, timeout=WAIT_MS)
    assert page.locator("#description").inner_text() == hostile
    assert page.locator("script").count() == 0 and page.locator("main img").count() == 0
    # and with script on, nothing runs either
    context = page.context.browser.new_context(java_script_enabled=True)
    try:
        live = context.new_page()
        live.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        live.goto(page.url, wait_until="load")
        live.wait_for_timeout(300)
        shot(live, "track-hostile")
    finally:
        context.close()
    assert dialogs == []


def test_lang_switches_to_english_and_back(phone, base_url, zh_firm):
    page = phone
    page.goto(f"{base_url}/r/{zh_firm.slug}")
    page.click("header a.lang")  # the visible switch
    assert page.url.endswith("?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Report a problem"
    assert page.locator("label[for=category-repairs]").inner_text() == "Repairs"
    shot(page, "form-en")
    page.click("header a.lang")
    assert page.locator("h1").inner_text() == "报事报修"


def test_an_english_report_tracks_in_english(phone, base_url, zh_firm):
    page = phone
    page.goto(f"{base_url}/r/{zh_firm.slug}?lang=en")
    fill_report(page, "The kitchen tap drips all night.")
    page.click("#send")
    page.wait_for_url(TRACKING, timeout=WAIT_MS)
    assert page.locator("#category").inner_text() == "Repairs"
    assert "We will respond by" in page.locator("#first-response").inner_text()
    shot(page, "track-en")


def test_unknown_slug_and_token_are_the_same_404_page(phone, base_url):
    page = phone
    for path in ("/r/no-such-firm-here", "/t/" + "A" * 64, "/t/short"):
        response = page.goto(base_url + path)
        assert response.status == 404
        assert page.locator("h1").inner_text() == "页面不存在"
        assert response.headers["content-type"] == "text/html; charset=utf-8"
    shot(page, "not-found")


def test_html_answers_carry_the_security_headers_and_no_inline_script(base_url, zh_firm):
    html = {"Accept": "text/html"}
    answers = [requests.get(f"{base_url}/r/{zh_firm.slug}", headers=html, timeout=10),
               requests.get(f"{base_url}/r/nobody-at-all", headers=html, timeout=10),
               requests.get(f"{base_url}/t/{'B' * 64}", headers=html, timeout=10),
               requests.post(f"{base_url}/r/{zh_firm.slug}/tickets", data={"description": "x"},
                             headers=html, timeout=10)]
    for answer in answers:
        csp = answer.headers["Content-Security-Policy"]
        assert "script-src" not in csp and "'unsafe-inline'" not in csp and "default-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "<script" not in answer.text.lower() and " on" not in re.sub(r">[^<]*<", "><", answer.text)
    css = requests.get(f"{base_url}/static/app.css", timeout=10)
    assert css.headers["Content-Type"].startswith("text/css") and "max-age" in css.headers["Cache-Control"]


def test_a_filled_honeypot_pretends_success_and_makes_no_ticket(base_url, zh_firm):
    before = requests.post(f"{base_url}/r/{zh_firm.slug}/tickets", json=zh_firm.report(), timeout=10)
    sent = requests.post(f"{base_url}/r/{zh_firm.slug}/tickets", allow_redirects=False, timeout=10,
                         headers={"Accept": "text/html"},
                         data={"place": f"{zh_firm.property_id}:{zh_firm.building_id}", "unit": "1203",
                               "category": "repairs", "urgency": "normal", "description": "Buy cheap pills",
                               "website": "http://spam.example", "nonce": "honeypot-nonce-1"})
    assert sent.status_code == 303 and sent.headers["Location"].startswith(f"/r/{zh_firm.slug}/thanks")
    after = requests.post(f"{base_url}/r/{zh_firm.slug}/tickets", json=zh_firm.report(description="Another drip."),
                          timeout=10)
    assert after.json()["ticket"]["number"] == before.json()["ticket"]["number"] + 1  # no number was taken


def test_json_callers_are_unchanged(base_url, zh_firm):
    tracked = requests.post(f"{base_url}/r/{zh_firm.slug}/tickets", json=zh_firm.report(), timeout=10)
    assert tracked.status_code == 201
    token = tracked.json()["ticket"]["tracking_token"]
    as_json = requests.get(f"{base_url}/t/{token}", timeout=10)
    assert as_json.headers["Content-Type"] == "application/json" and as_json.json()["status"] == "new"
    missing = requests.get(f"{base_url}/t/{'C' * 64}", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_a_new_firms_form_says_politely_it_is_not_open_until_a_unit_is_registered(phone, base_url, client):
    """A firm that has just signed up has its link already: residents who find it are told, in
    their language, that reports open soon — not offered a form no report could get through."""
    from tests.support import Firm, body
    firm = Firm.sign_up(client, locale="zh-CN", with_register=False)
    assert firm.call("PUT", "/api/tenant/resident-page", {"service_phone": "400-820-8820"}).status_code == 200
    response = phone.goto(f"{base_url}/r/{firm.slug}")
    assert response.status == 200
    assert phone.locator("h1").inner_text() == "报修通道尚未开放"
    assert f"{body(firm.call('GET', '/api/tenant'))['name']}正在本页登记楼栋和房号" in phone.inner_text("main")
    assert phone.locator("#service-phone a").inner_text() == "400-820-8820"
    assert phone.locator("#service-phone a").get_attribute("href") == "tel:4008208820"
    assert phone.locator("form").count() == 0
    shot(phone, "form-not-open-zh")
    # a building alone is not enough: with its first unit the form is there
    firm.add_register()
    phone.goto(f"{base_url}/r/{firm.slug}")
    assert phone.locator("h1").inner_text() == "报事报修" and phone.locator("#unit").count() == 1
    english = phone.goto(f"{base_url}/r/{firm.slug}?lang=en")
    assert english.status == 200


def test_a_firm_with_buildings_but_no_units_is_not_open_either(phone, base_url, client):
    from tests.support import Firm, body
    firm = Firm.sign_up(client, locale="en", with_register=False)
    prop = body(firm.call("POST", "/api/properties", {"name": "Garden Court"}))
    assert firm.call("POST", f"/api/properties/{prop['id']}/buildings", {"name": "Block 3"}).status_code == 201
    phone.goto(f"{base_url}/r/{firm.slug}?lang=en")
    assert phone.locator("h1").inner_text() == "Reports are not open here yet"
    assert "In an emergency, call your property office." in phone.inner_text("main")  # no service phone set
    assert phone.locator("form").count() == 0
