"""The console's Tenant Satisfaction Measures return, in Chromium in both languages: the
figures of tests/api/test_tsm.py's year as people read them, a bad year refused beside its
box, the CSV, and what the page costs in DynamoDB round trips."""

from __future__ import annotations

import re

from tests.api.test_tsm import YEAR, expected_perception, uk_firm, wilson  # noqa: F401 — the shared year
from tests.console.conftest import Session, dynamo_calls, sign_in
from tests.pages.conftest import shot


def test_the_return_page_costs_at_most_three_round_trips_and_refuses_a_bad_year(client, uk_firm):  # noqa: F811
    admin = Session(client, uk_firm.admin_email)
    assert admin.get(f"/console/tsm?year={YEAR}").status_code == 200  # the session's standing, read once
    with dynamo_calls() as calls:
        page = admin.get(f"/console/tsm?year={YEAR}")
    assert page.status_code == 200 and sum(calls.values()) <= 3, dict(calls)
    assert "Scan" not in calls
    bad = admin.get("/console/tsm?year=26")
    assert bad.status_code == 422 and b'id="year-error"' in bad.body
    bad_csv = admin.get("/console/exports/tsm.csv?year=x")
    assert bad_csv.status_code == 422 and b'id="year-error"' in bad_csv.body
    redirected = admin.get("/console/tsm")
    assert redirected.status_code == 303 and re.search(r"year=\d{4}$", redirected.headers["Location"])


def test_an_admin_reads_the_return_in_english_and_in_chinese(uk_firm, browser, desk, base_url):  # noqa: F811
    page = desk.new_page()
    sign_in(page, base_url, uk_firm.admin_email, next_path=f"/console/tsm?year={YEAR}")
    assert page.locator("h1").inner_text() == "Tenant Satisfaction Measures return"
    assert "Reporting year 2025/26" in page.locator("#year-title").inner_text()
    # TP01: 4 of 6 very or fairly satisfied -> 67 %, Wilson 30 %-90 %, n = 6
    satisfied, base, _ = expected_perception("TP01")
    low, high = wilson(satisfied, base)
    tp01 = page.locator("#row-TP01").inner_text()
    assert f"{100 * satisfied / base:.0f}%" in tp01 and f"{low:.0f}% – {high:.0f}%" in tp01 and f"n = {base}" in tp01
    assert "Gas safety checks — not held" in page.locator("#not-held").inner_text()
    assert "Households that answered the tenant survey this year: 6" in page.locator("#method").inner_text()
    shot(page, "console-tsm")

    chinese = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False,
                                  locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    try:
        reader = chinese.new_page()
        sign_in(reader, base_url, uk_firm.admin_email, next_path=f"/console/tsm?year={YEAR}&lang=zh-CN")
        reader.wait_for_load_state("load")
        reader.locator("h1").first.wait_for()
        assert reader.locator("h1").inner_text() == "租户满意度指标年报"
        assert "总体满意度" in reader.locator("#perception").inner_text()
        assert "燃气安全检查 — 未掌握" in reader.locator("#not-held").inner_text()
        text = reader.locator("main").inner_text()
        for own in (f"Firm {uk_firm.slug}", "Tenant survey 2025"):  # the firm's own words
            text = text.replace(own, "")
        assert re.findall(r"[A-Za-z_]{2,}", text) == []
        shot(reader, "console-tsm-zh")
    finally:
        chinese.close()
