"""Accessibility: axe-core (bundled by axe-playwright-python, no network) in a real Chromium on
the report form, its error state (sent empty) and the tracking page, in both languages.
No violation of impact "serious" or "critical" is allowed."""

from __future__ import annotations

import json

import pytest

from tests.pages.conftest import WAIT_MS
from tests.pages.test_resident_pages import TRACKING, fill_report

BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


@pytest.fixture(params=["zh-CN", "en"])
def reader(request, browser):
    """A phone in either language. JavaScript is on only so that axe can run: the pages carry none."""
    lang = request.param
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale=lang,
                                  extra_http_headers={"Accept-Language": f"{lang},{lang[:2]};q=0.9"})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    yield page
    context.close()


def assert_no_blocking_violations(axe, page, what: str) -> None:
    results = axe.run(page)
    violations = results.response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    report = json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                          "nodes": [n["target"] for n in v["nodes"]][:10]} for v in blocking],
                        ensure_ascii=False, indent=1)
    assert not blocking, f"axe on {what}: {len(blocking)} serious/critical violation(s)\n{report}"


def test_the_report_form_has_no_serious_violations(axe, reader, base_url, zh_firm):
    assert reader.goto(f"{base_url}/r/{zh_firm.slug}").status == 200
    assert_no_blocking_violations(axe, reader, "the report form")


def test_the_form_sent_empty_has_no_serious_violations(axe, reader, base_url, zh_firm):
    reader.goto(f"{base_url}/r/{zh_firm.slug}")
    with reader.expect_response(lambda r: r.request.method == "POST") as posted:
        reader.click("#send")
    assert posted.value.status == 422
    assert reader.locator("#error-summary").count() == 1
    assert_no_blocking_violations(axe, reader, "the form's error state")


def test_the_tracking_page_has_no_serious_violations(axe, reader, base_url, zh_firm):
    reader.goto(f"{base_url}/r/{zh_firm.slug}")
    fill_report(reader, "The kitchen tap drips all night.")
    reader.click("#send")
    reader.wait_for_url(TRACKING, timeout=WAIT_MS)
    assert reader.locator("#number").count() == 1
    assert_no_blocking_violations(axe, reader, "the tracking page")


def test_the_confirmation_after_submit_has_no_serious_violations(axe, reader, base_url, zh_firm):
    reader.goto(f"{base_url}/r/{zh_firm.slug}")
    fill_report(reader, "The bathroom fan rattles.")
    reader.click("#send")
    reader.wait_for_url(TRACKING, timeout=WAIT_MS)
    assert reader.locator("#confirmation").count() == 1 and reader.locator("#photo-form").count() == 1
    assert_no_blocking_violations(axe, reader, "the confirmation after submit")


def test_the_status_card_with_a_visit_and_a_met_promise_has_no_serious_violations(axe, reader, base_url, zh_firm):
    from tests.pages.test_find_reports_page import next_saturday_10
    from tests.support import body, unique
    answer = body(zh_firm.submit(zh_firm.report(unit="1204", description=unique("The balcony door sticks"))))
    ticket = next(t for t in body(zh_firm.call("GET", "/api/tickets?limit=100"))["tickets"]
                  if t["number"] == answer["ticket"]["number"])
    version = ticket["version"]
    for payload in ({"type": "acknowledge"},
                    {"type": "schedule", "at": next_saturday_10("Asia/Shanghai").isoformat()}):
        response = zh_firm.event(ticket["id"], version, payload)
        assert response.status_code == 201, response.body
        version += 1
    reader.goto(f"{base_url}/t/{answer['ticket']['tracking_token']}")
    assert reader.locator("#visit").count() == 1 and reader.locator("#first-response.met").count() == 1
    assert_no_blocking_violations(axe, reader, "the tracking page's status card")


def test_find_my_reports_pages_have_no_serious_violations(axe, reader, base_url, zh_firm):
    reader.goto(f"{base_url}/r/{zh_firm.slug}/mine")
    assert_no_blocking_violations(axe, reader, "find my reports")
    reader.fill("#contact", "not a number")
    reader.click("#ask")
    assert reader.locator("#contact-error").count() == 1
    assert_no_blocking_violations(axe, reader, "find my reports, refused")
    reader.fill("#contact", "+44 7700 900999")  # unknown: the same code page
    reader.click("#ask")
    assert reader.locator("#code").count() == 1
    assert_no_blocking_violations(axe, reader, "find my reports, the code")
    reader.fill("#code", "000000")
    reader.click("#check")
    assert reader.locator("#code-error").count() == 1
    assert_no_blocking_violations(axe, reader, "find my reports, a wrong code")


def test_the_list_of_found_reports_has_no_serious_violations(axe, reader, base_url, zh_firm, local_stack, request):
    import re

    from tests.pages.test_find_reports_page import sms_to
    from tests.support import body, unique
    number = "13300133000" if request.node.callspec.params["reader"] == "zh-CN" else "13300133001"
    body(zh_firm.submit(zh_firm.report(description=unique("The bath drains slowly"), contact={"phone": number})))
    reader.goto(f"{base_url}/r/{zh_firm.slug}/mine")
    reader.fill("#contact", number)
    reader.click("#ask")
    code = re.search(r"\b(\d{6})\b", sms_to(local_stack.endpoint, "+86" + number)[-1]).group(1)
    reader.fill("#code", code)
    reader.click("#check")
    assert reader.locator("#reports a").count() == 1
    assert_no_blocking_violations(axe, reader, "find my reports, the list")
