"""Logging a report taken by phone or at the desk: the console page over the same service
as POST /api/tickets, with the resident's channel and their agreement to be contacted."""

from __future__ import annotations

import re

from tests.console.conftest import Session, assert_no_blocking_violations, dynamo_calls, shot, sign_in
from tests.pages.conftest import WAIT_MS
from tests.support import body


def test_a_phoned_in_report_is_logged_with_its_channel_and_agreement(desk, base_url, firm, axe):
    page = desk.new_page()
    sign_in(page, base_url, firm.admin_email, next_path="/console/intake")
    page.wait_for_url(re.compile(r".*/console/intake$"), timeout=WAIT_MS)
    assert_no_blocking_violations(axe, page, "log a report")
    page.select_option("#place", label="Garden Court · Block 3")
    page.fill("#unit", "1204")
    page.select_option("#category", label="Repairs")
    page.select_option("#urgency", label="Normal")
    page.fill("#description", "Caller says the corridor light on floor 12 flickers.")
    page.fill("#contact-name", "Zhang Li")
    page.fill("#contact-phone", "+86 139 0000 4321")
    page.click("#log")  # SMS chosen, but nobody asked the resident yet
    page.wait_for_selector("#consent-error")
    assert "without their agreement" in page.locator("#consent-error").inner_text()
    assert page.locator("#description").input_value().startswith("Caller says")  # nothing typed is lost
    shot(page, "console-intake-consent")
    page.check("#consent")
    page.click("#log")
    page.wait_for_url(re.compile(r".*/console/tickets/[0-9A-Z]{26}\?done=logged$"), timeout=WAIT_MS)
    assert "Report logged" in page.locator(".notice").inner_text()
    facts = page.locator("#facts").inner_text()
    assert "Phone" in facts and "1204" in facts
    tid = page.url.split("/console/tickets/")[1].split("?")[0]
    ticket = body(firm.call("GET", f"/api/tickets/{tid}"))
    assert ticket["source"] == "phone"
    assert ticket["contact"] == {"name": "Zhang Li", "phone": "+8613900004321", "notify": "sms"}


def test_without_agreement_the_report_is_logged_with_no_messages_and_refusals_name_the_field(client, firm, other_firm):
    ours = Session(client, firm.admin_email)
    with dynamo_calls() as calls:
        form = ours.get("/console/intake?lang=en")
    assert form.status_code == 200 and sum(calls.values()) <= 3, calls
    place = f"{firm.property_id}:{firm.building_id}"
    fields = {"source": "walk_in", "place": place, "unit": "1203", "category": "repairs", "urgency": "normal",
              "description": "Came to the desk: parcel room door jammed.", "contact.name": "Wu Fang",
              "contact.notify": "none"}
    logged = ours.post("/console/intake", fields)
    assert logged.status_code == 303, logged.body
    tid = re.search(r"/console/tickets/([0-9A-Z]{26})", logged.headers["Location"]).group(1)
    ticket = body(firm.call("GET", f"/api/tickets/{tid}"))
    assert ticket["source"] == "walk_in" and ticket["contact"] == {"name": "Wu Fang", "notify": "none"}

    bad = ours.post("/console/intake?lang=en", {**fields, "unit": "9999", "description": "hm"})
    html = bad.body.decode()
    assert bad.status_code == 422
    assert 'id="description-error"' in html and "Describe the problem (5 to 4000 characters)" in html
    chinese = ours.post("/console/intake?lang=zh-CN", {**fields, "contact.notify": "sms",
                                                       "contact.phone": "+86 139 0000 4321"})
    assert chinese.status_code == 422 and "住户不同意时请选择“不接收通知”" in chinese.body.decode()

    # Another firm cannot log into our buildings: the place is not theirs.
    theirs = Session(client, other_firm.admin_email).post("/console/intake", fields)
    assert theirs.status_code == 422 and 'id="place-error"' in theirs.body.decode()
