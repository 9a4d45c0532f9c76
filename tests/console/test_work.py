"""The staff queue and the ticket page: a resident's ticket worked from the queue to
resolved in a real Chromium, a colleague's change first (409) in a second browser, and
through the chalice test client the cheap checks: another firm's people get 404, refused
forms keep what was typed, the overdue filter, and the DynamoDB round trips per page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from tests.api.test_photos import confirm, png, upload
from tests.console.conftest import Session, assert_no_blocking_violations, dynamo_calls, shot, sign_in
from tests.pages.conftest import WAIT_MS
from tests.support import body, set_password, unique


def reported(firm, description: str) -> tuple[str, str, int]:
    """A resident's report through the public route: (ticket id, tracking token, number)."""
    answer = body(firm.submit(firm.report(description=description)))
    number = answer["ticket"]["number"]
    ticket = next(t for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"] if t["number"] == number)
    return ticket["id"], answer["ticket"]["tracking_token"], number


def colleague(firm, name: str) -> str:
    """Invite a member of staff; returns their e-mail (password PASSWORD)."""
    email = f"{unique('staff')}@example.com"
    response = firm.call("POST", "/api/staff", {"email": email, "name": name, "role": "staff"})
    assert response.status_code == 201, response.body
    set_password(email)
    return email


def open_action(page, key: str) -> None:
    page.click(f"#act-{key} > summary")


def test_a_residents_ticket_is_worked_from_the_queue_to_resolved(desk, base_url, firm, axe):
    tid, token, number = reported(firm, "The kitchen tap drips all night.")
    upload_key = upload(firm, token, png())
    assert confirm(firm, token, upload_key).status_code == 201
    colleague(firm, "Wang Wei")
    page = desk.new_page()
    sign_in(page, base_url, firm.admin_email, next_path="/console/queue")
    page.wait_for_url(re.compile(r".*/console/queue$"), timeout=WAIT_MS)

    # The queue: the new ticket with its place, category and time left in plain words.
    row = page.locator(f"#ticket-{number}")
    assert "Garden Court · Block 3 · 1203" in row.inner_text()
    assert "Repairs" in row.inner_text() and "Nobody yet" in row.inner_text()
    assert re.search(r"due in \d+ (min|h|day)", row.locator("td.left").inner_text())
    assert page.locator("script").count() == 0
    shot(page, "console-queue")
    assert_no_blocking_violations(axe, page, "console queue")

    page.check("#overdue")  # the filters are a plain GET form
    page.click("#apply")
    page.wait_for_url(re.compile(r".*overdue=1.*"), timeout=WAIT_MS)
    assert page.locator(f"#ticket-{number}").count() == 0  # not overdue yet
    page.goto(f"{base_url}/console/queue?whose=unassigned")

    page.click(f"#ticket-{number} a")
    page.wait_for_url(re.compile(rf".*/console/tickets/{tid}$"), timeout=WAIT_MS)
    assert page.locator("#status").inner_text() == "New"
    assert re.search(r"First response: .+ — due in", page.locator("#promise-first_response").inner_text())
    assert "Sat 09:00–12:00" in page.locator("#entry").inner_text()
    # the resident's photo is shown: the bucket is allowed for images on this page only
    photo = page.locator("#photos img")
    assert photo.count() == 1
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle(),
                           timeout=WAIT_MS)
    assert page.locator("#act-reopen").count() == 0  # only what the lifecycle allows now
    shot(page, "console-ticket")
    assert_no_blocking_violations(axe, page, "console ticket")

    open_action(page, "acknowledge")
    page.fill("#acknowledge-note", "We have your report and will call you today.")
    page.click("#do-acknowledge")
    page.wait_for_url(re.compile(r".*\?done=acknowledge$"), timeout=WAIT_MS)
    assert page.locator(".notice").inner_text() == "Acknowledged."
    assert page.locator("#status").inner_text() == "Acknowledged"
    assert "met in time" in page.locator("#promise-first_response").inner_text()

    open_action(page, "assign")
    page.select_option("#assign-assignee", label="Wang Wei")
    page.click("#do-assign")
    page.wait_for_url(re.compile(r".*\?done=assign$"), timeout=WAIT_MS)
    assert page.locator("#assignee").inner_text() == "Wang Wei"

    open_action(page, "comment")
    page.fill("#comment-body", "Key is with the concierge, note for the plumber.")
    page.click("#do-comment")  # internal is the default
    page.wait_for_url(re.compile(r".*\?done=comment$"), timeout=WAIT_MS)
    open_action(page, "comment")
    page.fill("#comment-body", "The plumber comes on Saturday morning.")
    page.check("#comment-visibility-public")
    page.click("#do-comment")
    page.wait_for_url(re.compile(r".*\?done=comment$"), timeout=WAIT_MS)
    internal = page.locator("#timeline li.internal")
    assert internal.count() == 1 and "Key is with the concierge" in internal.inner_text()
    assert "internal" in internal.inner_text()

    open_action(page, "resolve")
    page.fill("#resolve-note", "Replaced the tap washer.")
    page.click("#do-resolve")
    page.wait_for_url(re.compile(r".*\?done=resolve$"), timeout=WAIT_MS)
    assert page.locator("#status").inner_text() == "Resolved"
    assert page.locator("#act-reopen").count() == 1 and page.locator("#act-acknowledge").count() == 0
    timeline = page.locator("#timeline").inner_text()
    assert "Assigned to Wang" in timeline and "Replaced the tap washer." in timeline
    shot(page, "console-ticket-resolved")

    page.goto(f"{base_url}/console/queue?status=resolved")  # the done tickets, most recent first
    assert "Resolved" in page.locator(f"#ticket-{number}").inner_text()

    # The resident's tracking page shows the resolution, never the internal note.
    page.goto(f"{base_url}/t/{token}?lang=en")
    assert page.locator("#status").inner_text() == "Resolved"
    timeline = page.locator("#timeline").inner_text()
    assert "Replaced the tap washer." in timeline and "The plumber comes on Saturday morning." in timeline
    assert "concierge" not in page.content()


def test_a_colleagues_change_first_answers_409_and_keeps_what_was_typed(browser, desk, base_url, firm, axe):
    tid, _, _ = reported(firm, "The hallway light is out on floor 12.")
    other_email = colleague(firm, "Zhou Min")
    first = desk.new_page()
    sign_in(first, base_url, firm.admin_email, next_path=f"/console/tickets/{tid}")
    first.wait_for_url(re.compile(rf".*/console/tickets/{tid}$"), timeout=WAIT_MS)
    second_context = browser.new_context(viewport={"width": 375, "height": 812}, locale="en",
                                         extra_http_headers={"Accept-Language": "en"})
    second_context.set_default_timeout(WAIT_MS)
    try:
        second = second_context.new_page()
        sign_in(second, base_url, other_email, next_path=f"/console/tickets/{tid}")
        second.wait_for_url(re.compile(rf".*/console/tickets/{tid}$"), timeout=WAIT_MS)
        open_action(second, "comment")
        typed = "I checked the fuse box: the breaker for floor 12 had tripped."
        second.fill("#comment-body", typed)

        # Meanwhile the first person gives it to Zhou Min, then resolves it.
        open_action(first, "assign")
        first.select_option("#assign-assignee", label="Zhou Min")
        first.click("#do-assign")
        first.wait_for_url(re.compile(r".*\?done=assign$"), timeout=WAIT_MS)
        open_action(first, "resolve")
        first.fill("#resolve-note", "New bulb fitted.")
        first.click("#do-resolve")
        first.wait_for_url(re.compile(r".*\?done=resolve$"), timeout=WAIT_MS)

        with second.expect_response(lambda r: r.request.method == "POST") as posted:
            second.click("#do-comment")
        assert posted.value.status == 409
        # The page names the colleague and says what they did, in order, with the time (the
        # timeline names the assignee by first name, as it does everywhere).
        warning = second.locator("#warning").inner_text()
        assert "Ada Admin changed this ticket while you were typing" in warning
        changes = second.locator("#changes li")
        assert changes.count() == 2
        stamp = r"\w{3} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d\s?[AP]M"
        assert re.fullmatch(rf"Ada Admin assigned it to Zhou at {stamp}", changes.nth(0).inner_text())
        assert re.fullmatch(rf"Ada Admin resolved it at {stamp}", changes.nth(1).inner_text())
        assert second.locator("#status").inner_text() == "Resolved"  # the new state
        assert "New bulb fitted." in second.locator("#timeline").inner_text()
        assert second.locator("#act-comment").get_attribute("open") is not None
        assert second.locator("#comment-body").input_value() == typed  # nothing typed is lost
        shot(second, "console-ticket-409")
        assert_no_blocking_violations(axe, second, "the conflict page")
        second.set_viewport_size({"width": 1280, "height": 800})  # a desktop: the same words, on screen
        assert second.locator("#changes").is_visible()
        box = second.locator("#changes li").nth(0).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280

        second.click("#do-comment")  # now against the version just seen: accepted
        second.wait_for_url(re.compile(r".*\?done=comment$"), timeout=WAIT_MS)
        assert typed in second.locator("#timeline").inner_text()
    finally:
        second_context.close()


def test_the_conflict_page_names_the_colleague_in_chinese(client, firm):
    """A form opened before a colleague assigned the ticket, sent in zh-CN: 409, the
    colleague's name and what they did in Chinese, the typed text kept."""
    tid, _, _ = reported(firm, "The door of the bike shed does not lock.")
    other_email = colleague(firm, "Zhou Min")
    stale = Session(client, other_email)
    opened = stale.get(f"/console/tickets/{tid}?lang=zh-CN").body.decode()
    seen = re.search(r'name="seen" value="([0-9A-Z]{26})"', opened).group(1)
    zhou = next(p["id"] for p in body(firm.call("GET", "/api/staff"))["staff"] if p["name"] == "Zhou Min")
    assigned = firm.call("POST", f"/api/tickets/{tid}/events", {"type": "assign", "assignee": zhou},
                         **{"If-Match": '"1"'})
    assert assigned.status_code in (200, 201), assigned.body
    answer = stale.post(f"/console/tickets/{tid}/events?lang=zh-CN",
                        {"type": "comment", "version": "1", "seen": seen, "comment.body": "锁舌坏了，明天换。",
                         "comment.visibility": "internal"})
    html = answer.body.decode()
    assert answer.status_code == 409
    assert "您输入期间，Ada Admin 修改了此工单" in html
    assert re.search(r"<li>Ada Admin 于 [^<]+ 将工单指派给 Zhou</li>", html)
    assert "锁舌坏了，明天换。</textarea>" in html
    assert "assigned it" not in html and "Someone else" not in html


def test_other_firms_refused_forms_overdue_filter_and_round_trips(client, firm, other_firm):
    tid, _, number = reported(firm, "The lift stops between floors.")
    ours = Session(client, firm.admin_email)
    theirs = Session(client, other_firm.admin_email)

    # Another firm's admin: the ticket does not exist for them, to read or to change.
    assert theirs.get(f"/console/tickets/{tid}").status_code == 404
    refused = theirs.post(f"/console/tickets/{tid}/events", {"type": "resolve", "version": "1", "resolve.note": "x"})
    assert refused.status_code == 404
    assert theirs.get(f"/console/tickets/{tid[:20]}").status_code == 404  # not a prefix match either
    assert f"#{number}" not in theirs.get("/console/queue?lang=en").body.decode()

    # A refused form: 422 beside the field, other typed values kept, nothing recorded.
    bad = ours.post(f"/console/tickets/{tid}/events", {"type": "close", "version": "1", "close.reason": "resolved",
                                                       "close.note": "Closing: a duplicate of the call yesterday"})
    html = bad.body.decode()
    assert bad.status_code == 422, html
    assert 'id="close-reason-error"' in html and "Closing: a duplicate of the call yesterday</textarea>" in html
    assert '<details id="act-close" open>' in html
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["version"] == 1

    # Not allowed in this state: 409 with the reason in the page's language.
    refused = ours.post(f"/console/tickets/{tid}/events?lang=zh-CN", {"type": "reopen", "version": "1",
                                                                      "reopen.reason": "还是坏的"})
    assert refused.status_code == 409
    assert "工单处于“新工单”状态时无法执行此操作" in refused.body.decode()

    # Overdue: a report from three days ago has missed its first response.
    from chalicelib.services import tickets as service
    late = service.submit_report(firm.slug, firm.report(description="Rubbish not collected for days."),
                                 now=datetime.now(timezone.utc) - timedelta(days=3))[0]["ticket"]["number"]
    overdue = ours.get("/console/queue?overdue=1&lang=en").body.decode()
    assert f'id="ticket-{late}"' in overdue and f'id="ticket-{number}"' not in overdue
    assert re.search(rf'id="ticket-{late}">.*?class="left overdue">overdue by \d+ (day|days|h)', overdue, re.S)
    assert "已超时" in ours.get("/console/queue?overdue=1&lang=zh-CN").body.decode()

    # Paging: the next deadline first, then the "Next page" link carries the cursor.
    first = ours.get("/console/queue?limit=1&lang=en").body.decode()
    assert f'id="ticket-{late}"' in first and f'id="ticket-{number}"' not in first
    next_link = re.search(r'<a href="([^"]+)" id="next-page"', first).group(1).replace("&amp;", "&")
    second = ours.get(next_link + "&lang=en").body.decode()
    assert f'id="ticket-{number}"' in second and f'id="ticket-{late}"' not in second

    # Round trips: no process cache is involved in these pages, so the first render is
    # what every render costs. Queue: queue Query + properties Query + one BatchGetItem
    # (standards, firm, buildings); ticket: ticket Query + one BatchGetItem (standards,
    # firm, property, building) + the staff list Query for the assign form.
    with dynamo_calls() as queue_calls:
        queue_page = ours.get("/console/queue")
    with dynamo_calls() as ticket_calls:
        ticket_page = ours.get(f"/console/tickets/{tid}")
    assert queue_page.status_code == 200 and ticket_page.status_code == 200
    assert sum(queue_calls.values()) <= 3, queue_calls
    assert sum(ticket_calls.values()) <= 3, ticket_calls
    assert len(queue_page.body) < 60_000 and len(ticket_page.body) < 60_000
    print(f"\nqueue: {dict(queue_calls)} {len(queue_page.body)} B; ticket: {dict(ticket_calls)} {len(ticket_page.body)} B")
