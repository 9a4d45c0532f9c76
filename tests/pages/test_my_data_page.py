"""A resident erases their contact details from the tracking page, in a real Chromium with
JavaScript off, in Chinese: a link, a page that only asks, a button that erases."""

from __future__ import annotations

import re

from tests.pages.conftest import WAIT_MS, shot
from tests.pages.test_resident_replies_page import reported
from tests.support import body


def test_the_resident_erases_their_contact_details_from_the_tracking_page(phone, base_url, zh_firm):
    tid, token, _ = reported(base_url, zh_firm, "楼道灯不亮。")
    page = phone
    page.goto(f"{base_url}/t/{token}")
    assert page.locator("script").count() == 0
    page.click("#erase-contact-link")
    page.wait_for_url(re.compile(rf".*/t/{token}/erase-contact\?lang=zh-CN$"), timeout=WAIT_MS)
    text = page.locator("main").inner_text()
    assert "要从这份报事中删除您的姓名、手机号、电子邮箱和入户说明吗" in text
    assert not re.search(r"[A-Za-z]{3,}", text)  # no English, no codes on a zh-CN page
    assert body(zh_firm.call("GET", f"/api/tickets/{tid}"))["contact"]["name"] == "Li Na"  # asking erased nothing
    shot(page, "erase-contact-zh-confirm")

    page.click("#erase-contact")
    page.wait_for_selector("#erased", timeout=WAIT_MS)
    assert page.locator("#erased").inner_text() == "已完成：您的联系方式和入户说明已从这份报事中删除。"
    shot(page, "erase-contact-zh-done")
    ticket = body(zh_firm.call("GET", f"/api/tickets/{tid}"))
    assert ticket["contact"] == {} and ticket["entry"] == {}
    assert ticket["timeline"][-1]["type"] == "resident_erased_contact"

    page.click("#back")  # the report is still there to follow
    page.wait_for_selector("#timeline", timeout=WAIT_MS)
    assert "楼道灯不亮。" in page.locator("#description").inner_text()


from tests.pages.test_accessibility import assert_no_blocking_violations, axe, reader  # noqa: E402,F401 - fixtures


def test_the_erase_page_has_no_blocking_accessibility_problem_in_either_language(axe, reader, base_url, zh_firm):
    _, token, _ = reported(base_url, zh_firm, "Lobby door sticks.")
    reader.goto(f"{base_url}/t/{token}/erase-contact")
    assert_no_blocking_violations(axe, reader, "erase-contact confirm")
    reader.click("#erase-contact")
    reader.wait_for_selector("#erased", timeout=WAIT_MS)
    assert_no_blocking_violations(axe, reader, "erase-contact done")


def test_the_resident_downloads_their_data_from_the_tracking_page(browser, base_url, zh_firm):
    import io
    import json
    import zipfile
    tid, token, _ = reported(base_url, zh_firm, "电梯按钮失灵。")
    context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False,
                                  locale="zh-CN", accept_downloads=True,
                                  extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    page = context.new_page()
    try:
        page.goto(f"{base_url}/t/{token}")
        assert page.locator("#download-data").inner_text() == "下载我的数据"
        with page.expect_download(timeout=WAIT_MS) as downloading:
            page.click("#download-data")
        archive = zipfile.ZipFile(io.BytesIO(open(downloading.value.path(), "rb").read()))
        assert json.loads(archive.read("report.json"))["description"] == "电梯按钮失灵。"
    finally:
        context.close()
    assert body(zh_firm.call("GET", f"/api/tickets/{tid}"))["timeline"][-1]["type"] == "resident_downloaded_data"
