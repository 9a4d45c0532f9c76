"""The console's usage page (admins), in Chromium in both languages, what it costs in round
trips, and a plan's limit refusing an admin's form in the page's language."""

from __future__ import annotations

import re

import pytest

from chalicelib.store import metering as usage_store
from tests.console.conftest import Session, dynamo_calls, sign_in
from tests.support import Firm, set_password, unique


@pytest.fixture(scope="module")
def metered(client):
    """A firm with one resident's report this month, on the free plan with its 3 properties."""
    firm = Firm.sign_up(client)  # one property
    assert firm.submit().status_code == 201
    usage_store.set_plan(firm.tenant_id, "free")
    for name in ("Second court", "Third court"):
        assert firm.call("POST", "/api/properties", {"name": name}).status_code == 201
    return firm


def test_the_page_costs_at_most_three_round_trips_and_is_for_admins(client, metered):
    admin = Session(client, metered.admin_email)
    assert admin.get("/console/usage").status_code == 200  # the session's standing, read once
    with dynamo_calls() as calls:
        page = admin.get("/console/usage")
    assert page.status_code == 200 and sum(calls.values()) <= 3, dict(calls)
    assert "Scan" not in calls
    assert b'href="/console/usage"' in page.body  # in an admin's menu
    email = f"{unique('staff')}@example.com"
    assert metered.call("POST", "/api/staff", {"email": email, "name": "Wang Wei", "role": "staff"}).status_code == 201
    set_password(email)
    staff = Session(client, email)
    assert staff.get("/console/usage").status_code == 403
    assert b'href="/console/usage"' not in staff.get("/console/queue").body  # not in staff's


def test_at_the_property_limit_the_form_says_so_beside_the_name_in_chinese(client, metered):
    admin = Session(client, metered.admin_email)
    admin.get("/console/register?lang=zh-CN")  # chooses the language (a cookie)
    admin.cookie["pd_lang"] = "zh-CN"
    refused = admin.post("/console/register/properties", {"name": "Fourth court"})
    assert refused.status_code == 403
    assert "套餐允许的物业项目已达上限：请更换套餐后再添加" in refused.body.decode()
    assert "plan" not in refused.body.decode().lower().split("<main", 1)[1]


def test_an_admin_reads_the_usage_in_english_and_in_chinese(metered, browser, desk, base_url):
    page = desk.new_page()
    sign_in(page, base_url, metered.admin_email, next_path="/console/usage")
    assert page.locator("h1").inner_text() == "Usage and plan"
    assert page.locator("#plan").inner_text() == "Your plan: Free"
    assert page.locator("#counter-reports td").first.inner_text() == "1"
    assert page.locator("#limit-properties").inner_text().split("\t")[1:3] == ["3", "3"]
    assert "Reached" in page.locator("#limit-properties").inner_text()
    assert "Room left" in page.locator("#limit-staff_seats").inner_text()

    chinese = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False,
                                  locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    try:
        reader = chinese.new_page()
        sign_in(reader, base_url, metered.admin_email, next_path="/console/usage?lang=zh-CN")
        reader.wait_for_load_state("load")
        reader.locator("h1").first.wait_for()
        assert reader.locator("h1").inner_text() == "用量与套餐"
        assert reader.locator("#plan").inner_text() == "您的套餐：免费版"
        assert "已达上限" in reader.locator("#limit-properties").inner_text()
        text = reader.locator("main").inner_text()
        assert re.findall(r"[A-Za-z_]{2,}", text) == []
    finally:
        chinese.close()
