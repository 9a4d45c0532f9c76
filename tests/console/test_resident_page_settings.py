"""Admins set the firm's service phone and personal information notice, and a property's
own phone, from the console; the pages say what residents read now and are axe-clean."""

from __future__ import annotations

from tests.console.conftest import Session, assert_no_blocking_violations, shot, sign_in
from tests.support import Firm, body


def test_an_admin_sets_the_service_phone_and_notice_and_sees_what_residents_read(client):
    firm = Firm.sign_up(client, locale="zh-CN")
    admin = Session(client, firm.admin_email)
    page = admin.get("/console/register/residents").body.decode()
    assert "default-2026-12" in page and "180天" in page  # the default notice, filled in
    refused = admin.post("/console/register/residents", {"service_phone": "call us", "notice_zh_cn": "",
                                                          "notice_en": ""})
    assert refused.status_code == 422 and "400-820-8820" in refused.body.decode()  # says what it wants
    saved = admin.post("/console/register/residents", {"service_phone": "400-820-8820",
                                                        "notice_zh_cn": "我们只为处理报修使用您的信息。",
                                                        "notice_en": ""})
    assert saved.status_code == 303
    page = admin.get("/console/register/residents").body.decode()
    assert "firm-1" in page and "我们只为处理报修使用您的信息。" in page
    assert body(firm.call("GET", "/api/tenant/resident-page"))["service_phone"] == "400-820-8820"
    phone = admin.post(f"/console/register/properties/{firm.property_id}/phone", {"service_phone": "021 6888 8888"},
                       csrf=None)
    assert phone.status_code == 303
    assert "021 6888 8888" in admin.get(f"/console/register/properties/{firm.property_id}").body.decode()


def test_the_settings_page_has_no_serious_violations(axe, desk, base_url, client):
    firm = Firm.sign_up(client, locale="en")
    page = desk.new_page()
    sign_in(page, base_url, firm.admin_email, next_path="/console/register/residents")
    page.wait_for_url("**/console/register/residents")
    page.fill("#service_phone", "nonsense")
    page.click("button.primary")
    assert page.locator("#service_phone-error, .error").count() >= 1
    shot(page, "console-resident-page-error")
    assert_no_blocking_violations(axe, page, "the residents' pages settings")
