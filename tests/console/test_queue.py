"""The queue as a service desk uses it: find a ticket by number, unit or the last 4 digits
of the resident's phone (one key lookup each, only this firm's tickets), a description
snippet on every row, and a layout that fills a desktop screen and turns into cards on a
375 px phone."""

from __future__ import annotations

import re

from tests.console.conftest import Session, assert_no_blocking_violations, dynamo_calls, shot, sign_in
from tests.pages.conftest import WAIT_MS
from tests.support import body

LONG = ("Water comes through the bathroom ceiling whenever the flat upstairs runs a shower, and the "
        "stain has now reached the light fitting.")


def report(firm, unit: str, phone: str, description: str) -> tuple[str, int]:
    answer = body(firm.submit(firm.report(unit=unit, description=description,
                                          contact={"name": "Li Na", "phone": phone})))
    number = answer["ticket"]["number"]
    tid = next(t["id"] for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"] if t["number"] == number)
    return tid, number


def test_staff_find_a_ticket_by_number_unit_or_phone_and_only_their_own(client, firm, other_firm):
    upstairs, n1 = report(firm, "1203", "+86 138 0013 8000", LONG)
    next_door, n2 = report(firm, "1204", "+86 139 5555 1234", "Door bell silent.")
    ours, theirs = Session(client, firm.admin_email), Session(client, other_firm.admin_email)

    with dynamo_calls() as calls:
        found = ours.get(f"/console/queue?by=number&q=%23{n1}")
    assert found.status_code == 303 and found.headers["Location"] == f"/console/tickets/{upstairs}"
    assert dict(calls) == {"GetItem": 1}, calls  # one key lookup

    by_unit = ours.get("/console/queue?by=unit&q=1203&lang=en").body.decode()
    assert f'id="ticket-{n1}"' in by_unit and f'id="ticket-{n2}"' not in by_unit
    assert "Tickets found for “1203”" in by_unit
    # the description's start, cut at a word (hand-cut at 90 characters)
    assert ('<span class="snippet">Water comes through the bathroom ceiling whenever the flat upstairs runs a '
            'shower, and…</span>') in by_unit
    by_phone = ours.get("/console/queue?by=phone&q=1234&lang=en").body.decode()
    assert f'id="ticket-{n2}"' in by_phone and f'id="ticket-{n1}"' not in by_phone

    with dynamo_calls() as calls:
        ours.get("/console/queue?by=phone&q=8000")
    assert calls.get("Query", 0) >= 1 and "Scan" not in calls, calls

    missing = ours.get("/console/queue?by=number&q=99999&lang=en")
    assert missing.status_code == 200 and "No ticket matches “99999”." in missing.body.decode()
    refused = ours.get("/console/queue?by=phone&q=12&lang=en")
    assert refused.status_code == 422
    assert re.search(r'id="q-error".*Type the last 4 digits of the resident&#39;s phone', refused.body.decode())
    assert "请输入住户手机号的后 4 位" in ours.get("/console/queue?by=phone&q=12&lang=zh-CN").body.decode()

    # Another firm finds none of ours, by any way.
    assert theirs.get(f"/console/queue?by=number&q={n1}").status_code == 200
    assert f'id="ticket-{n1}"' not in theirs.get("/console/queue?by=unit&q=1203").body.decode()
    assert f'id="ticket-{n2}"' not in theirs.get("/console/queue?by=phone&q=1234").body.decode()


def test_the_queue_fills_a_desktop_and_turns_into_cards_on_a_phone(browser, base_url, firm, axe):
    _, number = report(firm, "1203", "+86 138 0013 8000", LONG)
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="en",
                                      extra_http_headers={"Accept-Language": "en"})
        context.set_default_timeout(WAIT_MS)
        try:
            page = context.new_page()
            sign_in(page, base_url, firm.admin_email, next_path="/console/queue")
            page.wait_for_url(re.compile(r".*/console/queue$"), timeout=WAIT_MS)
            row = page.locator(f"#ticket-{number}")
            assert "Water comes through the bathroom ceiling" in row.inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            display = row.evaluate("r => getComputedStyle(r).display")
            if width == 1280:
                assert display == "table-row"
                assert page.locator("main").bounding_box()["width"] > 1024  # wider than the other pages
            else:
                assert display == "block"  # a card
                label = row.locator("td.left").evaluate("td => getComputedStyle(td, '::before').content")
                assert label == '"Time left: "'  # each value says what it is
            page.select_option("#by", "unit")
            page.fill("#q", "1203")
            page.click("#find")
            page.wait_for_url(re.compile(r".*q=1203.*"), timeout=WAIT_MS)
            assert page.locator(f"#ticket-{number}").count() == 1
            shot(page, f"console-queue-search-{width}")
            assert_no_blocking_violations(axe, page, f"queue search at {width} px")
        finally:
            context.close()


def test_the_queue_counts_tickets_in_each_state_as_they_move(client, firm):
    ours = Session(client, firm.admin_email)

    def counts() -> dict:
        html = ours.get("/console/queue?lang=en").body.decode()
        return {k: int(n) for k, n in re.findall(r'id="count-(\w+)"><strong>(\d+)</strong>', html)}

    assert counts() == {"new": 0, "acknowledged": 0, "assigned": 0, "waiting": 0, "resolved": 0}
    first, _ = report(firm, "1203", "+86 138 0013 8000", "Tap drips.")
    report(firm, "1204", "+86 139 5555 1234", "Door bell silent.")
    assert counts() == {"new": 2, "acknowledged": 0, "assigned": 0, "waiting": 0, "resolved": 0}
    assert firm.event(first, 1, {"type": "acknowledge"}).status_code == 201
    assert firm.event(first, 2, {"type": "comment", "body": "internal note"}).status_code == 201  # no move
    assert counts() == {"new": 1, "acknowledged": 1, "assigned": 0, "waiting": 0, "resolved": 0}
    assert firm.event(first, 3, {"type": "resolve", "note": "New washer."}).status_code == 201
    assert counts() == {"new": 1, "acknowledged": 0, "assigned": 0, "waiting": 0, "resolved": 1}
    with dynamo_calls() as calls:
        ours.get("/console/queue")
    assert sum(calls.values()) <= 3, calls  # the counts come in the page's one BatchGetItem
