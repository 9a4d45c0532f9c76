"""A flood of reports from one address, or to one firm, is turned away before it writes anything."""

from __future__ import annotations

import pytest

from tests.support import body


@pytest.fixture
def limits(monkeypatch):
    from chalicelib.settings import settings

    def set_limits(per_ip: int, per_firm: int) -> None:
        monkeypatch.setenv("PROPDESK_REPORTS_PER_IP", str(per_ip))
        monkeypatch.setenv("PROPDESK_REPORTS_PER_FIRM", str(per_firm))
        settings.cache_clear()

    yield set_limits
    monkeypatch.undo()
    settings.cache_clear()


def test_one_address_gets_429_after_its_limit_and_nothing_is_written(firm, limits):
    limits(per_ip=3, per_firm=100)
    first = firm.submit(firm.report(description="Problem number one"))
    for n in (2, 3):
        assert firm.submit(firm.report(description=f"Problem number {n}")).status_code == 201
    refused = firm.submit(firm.report(description="Problem number four"))
    assert refused.status_code == 429
    assert body(refused)["error"]["code"] == "rate_limited" and "rate" in body(refused)["error"]["fields"]
    assert len(body(firm.call("GET", "/api/tickets"))["tickets"]) == 3
    again = firm.submit(firm.report(description="Problem number one"))  # a retry is not a new report
    assert again.status_code == 201 and body(again)["ticket"]["number"] == body(first)["ticket"]["number"]


def test_a_firm_wide_limit_holds_whatever_the_address(firm, limits):
    limits(per_ip=100, per_firm=2)
    assert firm.submit(firm.report(description="Problem number one")).status_code == 201
    assert firm.submit(firm.report(description="Problem number two")).status_code == 201
    refused = firm.submit(firm.report(description="Problem number three"))
    assert refused.status_code == 429 and "firm" in body(refused)["error"]["fields"]["rate"]


def test_a_browser_gets_a_friendly_429_page_in_its_language(firm, limits):
    from urllib.parse import urlencode
    limits(per_ip=1, per_firm=100)
    assert firm.submit(firm.report(description="Problem number one")).status_code == 201
    form = {"place": f"{firm.property_id}:{firm.building_id}", "unit": "1203", "category": "repairs",
            "urgency": "normal", "description": "A second problem today", "entry_present": "yes",
            "nonce": "nonce-rate-limit-1", "lang": "zh-CN"}
    response = firm.client.http.post(f"/r/{firm.slug}/tickets", body=urlencode(form), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
    if response.status_code == 422:  # the form's field names differ: say which, rather than pass blindly
        pytest.fail(response.body.decode()[:2000])
    assert response.status_code == 429
    assert "短时间内提交过多" in response.body.decode()
    assert response.headers["Retry-After"] == "600"
