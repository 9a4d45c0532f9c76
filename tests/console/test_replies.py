"""Canned replies (标准话术): an admin keeps them per category and step in both languages;
on a ticket, choosing one opens its form filled in (resident's name, visit time, technician),
in Chinese or English; resolving needs a public note saying what was done."""

from __future__ import annotations

import html as html_lib
import re

from tests.console.conftest import Session, assert_no_blocking_violations, dynamo_calls, shot, sign_in
from tests.console.test_work import reported
from tests.pages.conftest import WAIT_MS
from tests.support import body

ZH = "{resident}您好，{technician}已为您处理完毕，工单 {number}。"
EN = "Dear {resident}, {technician} has fixed it (ticket {number})."


def add_reply(session: Session, version: str, **fields):
    return session.post("/console/replies?lang=en", {"version": version, "category": "repairs", "step": "resolve",
                                             "text.zh-CN": ZH, "text.en": EN, **fields})


def test_an_admin_keeps_replies_and_staff_resolve_with_one_filled_in(client, firm, other_firm):
    admin = Session(client, firm.admin_email)
    refused = add_reply(admin, "0", **{"text.en": "Dear {name}"})
    assert refused.status_code == 422
    assert "Write the reply in English, using only the placeholders listed" in refused.body.decode()
    assert add_reply(admin, "0").status_code == 303
    stale = add_reply(admin, "0", step="comment")  # typed against the version before
    assert stale.status_code == 409
    # It says who saved last and when (here the admin, from another tab), keeping the typed reply
    assert re.search(r"Ada Admin changed the replies first, at \w{3} \d{1,2}, \d{4}, [^—]+ — here they are now",
                     stale.body.decode())
    zh = admin.post("/console/replies?lang=zh-CN", {"version": "0", "category": "repairs", "step": "comment",
                                                    "text.zh-CN": ZH, "text.en": EN}).body.decode()
    assert re.search(r"Ada Admin 已于 2\d{3}年\d{1,2}月\d{1,2}日 [^<]+ 先修改了标准话术", zh)
    page = admin.get("/console/replies?lang=en").body.decode()
    assert 'id="reply-r1"' in page and html_lib.escape(EN) in page
    assert 'id="reply-r1"' not in Session(client, other_firm.admin_email).get("/console/replies").body.decode()

    tid, _, number = reported(firm, "The hallway light is out on floor 12.")
    sub, _ = firm.add_staff("Wang Wei")
    assert firm.event(tid, 1, {"type": "assign", "assignee": sub}).status_code == 201
    with dynamo_calls() as calls:
        ticket = admin.get(f"/console/tickets/{tid}?lang=en").body.decode()
    assert sum(calls.values()) <= 3, calls  # the replies come in the page's BatchGetItem
    link = re.search(r'<div class="replies" id="replies-resolve">.*?<a href="([^"]+)" lang="en">', ticket, re.S)
    chosen = admin.get(html_lib.unescape(link.group(1)) + "&lang=en").body.decode()
    assert '<details id="act-resolve" open>' in chosen
    assert f"Dear Li Na, Wang Wei has fixed it (ticket {number}).</textarea>" in chosen
    chinese = re.search(r'id="replies-resolve">.*?<a href="([^"]+)" lang="zh-CN">', ticket, re.S).group(1)
    filled = admin.get(html_lib.unescape(chinese)).body.decode()
    assert f"Li Na您好，Wang Wei已为您处理完毕，工单 {number}。</textarea>" in filled

    # Resolving with an empty note is refused beside the field; nothing is recorded.
    empty = admin.post(f"/console/tickets/{tid}/events?lang=en", {"type": "resolve", "version": "2",
                                                                   "resolve.note": "  "})
    assert empty.status_code == 422 and "Say what was done: the resident reads it" in empty.body.decode()
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["status"] == "assigned"
    done = admin.post(f"/console/tickets/{tid}/events", {"type": "resolve", "version": "2",
                                                         "resolve.note": "Dear Li Na, Wang Wei has fixed it."})
    assert done.status_code == 303
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["status"] == "resolved"


def test_staff_cannot_edit_replies_and_the_pages_work_in_chromium(desk, base_url, client, firm, axe):
    from tests.console.test_work import colleague
    email = colleague(firm, "Li Qiang")
    assert Session(client, email).get("/console/replies").status_code == 403
    page = desk.new_page()
    sign_in(page, base_url, firm.admin_email, next_path="/console/replies")
    page.wait_for_url(re.compile(r".*/console/replies$"), timeout=WAIT_MS)
    page.select_option("#category", label="Repairs")
    page.fill("#text-zh-CN", ZH)
    page.fill("#text-en", EN)
    page.click("#add")
    page.wait_for_url(re.compile(r".*done=added$"), timeout=WAIT_MS)
    assert "Reply added." in page.locator(".notice").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "console-replies")
    assert_no_blocking_violations(axe, page, "standard replies")
