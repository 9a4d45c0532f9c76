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
