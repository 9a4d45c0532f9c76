"""The survey and the published scorecard in a real Chromium: JavaScript off for the resident,
on only for axe-core. Screenshots go to test-output/pages/."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.api.test_scorecard import NIGHT_AFTER, month_tickets, publish
from tests.api.test_surveys import resolved_ticket, survey_link, sweep_and_collect
from tests.pages.conftest import WAIT_MS, shot
from tests.pages.test_accessibility import assert_no_blocking_violations
from tests.support import body


def test_one_tap_opens_the_survey_and_only_sending_records_it(phone, base_url, zh_firm):
    from datetime import datetime, timezone
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=2)
    tid, _ = resolved_ticket(zh_firm, t0, phone="+86 139 5555 0001")
    token = survey_link(sweep_and_collect(t0 + timedelta(days=1, hours=3)), "13955550001")
    page = phone
    page.goto(f"{base_url}/s/{token}?rating=5")  # what tapping ★★★★★ in the SMS does
    assert page.locator("h1").inner_text() == "您对我们的服务满意吗？"
    assert page.locator("#rating").is_checked()
    assert page.locator("script").count() == 0
    assert body(zh_firm.call("GET", f"/api/tickets/{tid}"))["survey"] is None  # opening recorded nothing
    shot(page, "survey-zh-one-tap")

    page.check("#rating-2")
    page.check("#fixed_first_visit-no")
    page.fill("#comment", "师傅来了两次才修好。<script>alert(1)</script>")
    page.click("#send-survey")
    page.wait_for_url(re.compile(rf".*/s/{token}\?lang=zh-CN&thanks=1$"), timeout=WAIT_MS)
    assert page.locator("#outcome").inner_text() == "感谢您的评价"
    shot(page, "survey-zh-thanks")
    survey = body(zh_firm.call("GET", f"/api/tickets/{tid}"))["survey"]
    assert survey["rating"] == 2 and survey["fixed_first_visit"] is False

    page.goto(f"{base_url}/s/{token}?rating=5")  # the same link again
    assert page.locator("#outcome").inner_text() == "您已经评价过了"
    assert page.locator("#survey-form").count() == 0
    shot(page, "survey-zh-already-answered")


def test_the_survey_without_a_rating_shows_the_error_beside_it(phone, base_url, zh_firm):
    from datetime import datetime, timezone
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=2)
    resolved_ticket(zh_firm, t0, phone="+86 139 5555 0002")
    token = survey_link(sweep_and_collect(t0 + timedelta(days=1, hours=3)), "13955550002")
    page = phone
    page.goto(f"{base_url}/s/{token}?lang=en")
    page.fill("#comment", "Polite staff")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#send-survey")
    assert posted.value.status == 422
    assert "Choose a rating from 1 to 5" in page.locator("#rating-error").inner_text()
    assert page.locator("#error-summary a[href='#rating']").count() == 1
    assert page.locator("#comment").input_value() == "Polite staff"  # what was typed is kept
    shot(page, "survey-en-error")


def test_the_published_scorecard_reads_well_and_passes_axe(browser, base_url, zh_firm):
    from axe_playwright_python.sync_playwright import Axe

    from chalicelib.services import rollups
    month_tickets(zh_firm, [5, 4, 4, 5, 3, 5])
    publish(zh_firm, publish=True, publish_properties=[zh_firm.property_id])
    rollups.run(NIGHT_AFTER)
    for lang in ("zh-CN", "en"):
        context = browser.new_context(viewport={"width": 375, "height": 812}, locale=lang,
                                      extra_http_headers={"Accept-Language": lang})
        page = context.new_page()
        response = page.goto(f"{base_url}/p/{zh_firm.slug}/scorecard")
        assert response.status == 200
        assert page.locator("#month").count() == 1 and page.locator("#quarter").count() == 1
        assert page.locator("script").count() == 0
        shot(page, f"scorecard-{lang}")
        assert_no_blocking_violations(Axe(), page, f"the scorecard ({lang})")
        context.close()


def test_the_survey_page_passes_axe(browser, base_url, zh_firm):
    from datetime import datetime, timezone

    from axe_playwright_python.sync_playwright import Axe
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=2)
    publish(zh_firm, nps=True, servqual=True)
    _, tracking = resolved_ticket(zh_firm, t0, phone="+86 139 5555 0003")
    token = survey_link(sweep_and_collect(t0 + timedelta(days=1, hours=3)), "13955550003")
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base_url}/s/{token}")
    assert page.locator("#nps-10").count() == 1 and page.locator("#sq_empathy-5").count() == 1
    shot(page, "survey-zh-full-questionnaire")
    assert_no_blocking_violations(Axe(), page, "the survey with NPS and SERVQUAL")
    page.goto(f"{base_url}/t/{tracking}")
    assert page.locator("#survey-section").count() == 1
    assert_no_blocking_violations(Axe(), page, "the tracking page offering the survey")
    context.close()


def test_a_household_answers_a_campaign_from_its_qr_link(phone, browser, base_url, zh_firm):
    from axe_playwright_python.sync_playwright import Axe

    from tests.api.test_campaigns import DIMS, campaign
    made = campaign(zh_firm)
    page = phone
    page.goto(f"{base_url}/c/{zh_firm.slug}/{made['id']}")
    assert page.locator("script").count() == 0
    page.select_option("#place", f"{zh_firm.property_id}:{zh_firm.building_id}")
    page.fill("#unit", "1204")
    for d in DIMS:
        page.check(f"#p_{d}-6")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:  # expectations left out
        page.click("#send-campaign")
    assert posted.value.status == 422
    assert page.locator("#e_tangibles-error").count() == 1 and page.locator("#p_tangibles-6").is_checked()
    shot(page, "campaign-zh-error")
    for d in DIMS:
        page.check(f"#e_{d}-7")
    page.click("#send-campaign")
    page.wait_for_url(re.compile(rf".*/c/{zh_firm.slug}/{made['id']}\?thanks=1&lang=zh-CN$"), timeout=WAIT_MS)
    assert page.locator("#outcome").inner_text() == "感谢您填写问卷"
    shot(page, "campaign-zh-thanks")
    results = body(zh_firm.call("GET", f"/api/campaigns/{made['id']}/results"))
    assert results["firm"]["servqual.assurance.gap"]["value"] == -1.0

    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="en")
    reader = context.new_page()
    reader.goto(f"{base_url}/c/{zh_firm.slug}/{made['id']}?lang=en")
    assert_no_blocking_violations(Axe(), reader, "the campaign questionnaire")
    context.close()


def test_a_household_answers_the_full_22_item_questionnaire(phone, browser, base_url, zh_firm):
    from axe_playwright_python.sync_playwright import Axe

    from tests.api.test_campaigns import campaign
    made = campaign(zh_firm, form="full")
    address = f"{base_url}/c/{zh_firm.slug}/{made['id']}"
    page = phone
    page.goto(address)
    assert page.locator("script").count() == 0
    assert page.locator("fieldset[id^='item-']").count() == 22 and page.locator("h2[id^='dimension-']").count() == 5
    assert page.locator("#item-2 > legend").inner_text() == "2. 小区设施维护良好"
    assert page.locator("#dimension-reliability + fieldset > legend").inner_text().startswith("5. ")
    shot(page, "campaign-zh-full-form")
    page.select_option("#place", f"{zh_firm.property_id}:{zh_firm.building_id}")
    page.fill("#unit", "1203")
    for i in range(1, 23):
        page.check(f"#e_{i}-7")
        if i != 12:  # item 12's perception left out
            page.check(f"#p_{i}-6")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#send-campaign")
    assert posted.value.status == 422
    assert page.locator(".error").count() == 1
    assert page.locator("#p_12-error").inner_text().endswith("请选择 1 到 7 的数字")
    assert (page.locator("#error-summary a[href='#p_12']").inner_text()
            == "12. 工作人员总是乐于帮助业主（我们的物业公司）：请选择 1 到 7 的数字")
    assert page.locator("#p_11-6").is_checked() and page.locator("#e_12-7").is_checked()  # what was chosen is kept
    page.check("#p_12-6")
    page.click("#send-campaign")
    page.wait_for_url(re.compile(rf".*/c/{zh_firm.slug}/{made['id']}\?thanks=1&lang=zh-CN$"), timeout=WAIT_MS)
    assert page.locator("#outcome").inner_text() == "感谢您填写问卷"
    firm_scores = body(zh_firm.call("GET", f"/api/campaigns/{made['id']}/results"))["firm"]
    assert firm_scores["servqual.responsiveness.p"]["value"] == 6.0
    assert firm_scores["servqual.responsiveness.gap"]["value"] == -1.0

    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-CN"})
    reader = context.new_page()
    reader.goto(address)
    with reader.expect_response(lambda r: r.request.method == "POST") as posted:
        reader.click("#send-campaign")  # nothing chosen: an error beside every item
    assert posted.value.status == 422 and reader.locator("#e_22-error").count() == 1
    assert_no_blocking_violations(Axe(), reader, "the full questionnaire with its errors")
    context.close()
