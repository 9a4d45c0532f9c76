"""Merging reports of one fault from the ticket page, in a real Chromium at 1280 px and
375 px, and through the chalice test client the cheap checks: the incident page resolves
every report (a note is required), a stale form answers 409 keeping the text, another
firm gets 404, zh-CN pages say it all in Chinese, and each page's round trips."""

from __future__ import annotations

import re

from tests.console.conftest import Session, assert_no_blocking_violations, dynamo_calls, shot, sign_in
from tests.pages.conftest import WAIT_MS
from tests.support import body, unique


def reports(firm, n: int) -> list[dict]:
    """n residents' reports of the same fault (same building, same category), just now."""
    made = []
    for i in range(n):
        answer = body(firm.submit(firm.report(description=unique("The lift in Block 3 is stuck between floors"),
                                              unit=("1203", "1204")[i % 2])))
        made.append(answer["ticket"]["number"])
    ids = {t["number"]: t for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]}
    return [ids[number] for number in made]


def test_reports_are_merged_from_the_ticket_page_at_desktop_and_phone_widths(browser, base_url, firm, axe):
    for width in (1280, 375):
        first, *others = reports(firm, 3)
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="en",
                                      extra_http_headers={"Accept-Language": "en"})
        context.set_default_timeout(WAIT_MS)
        try:
            page = context.new_page()
            sign_in(page, base_url, firm.admin_email, next_path=f"/console/tickets/{first['id']}")
            page.wait_for_url(re.compile(rf".*/console/tickets/{first['id']}$"), timeout=WAIT_MS)
            page.click("#merge-link")
            page.wait_for_url(re.compile(rf".*/console/tickets/{first['id']}/merge$"), timeout=WAIT_MS)
            # the suggestion: the two other open reports of the same building and category
            for other in others:
                assert page.locator(f"#pick-{other['number']}").count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert page.locator("script").count() == 0
            assert_no_blocking_violations(axe, page, f"merge page at {width} px")
            shot(page, f"console-merge-{width}")

            page.click("#do-merge")  # no title yet: refused beside the field, choices kept
            assert page.locator("#title-error").count() == 1
            for other in others:
                page.check(f"#pick-{other['number']}")
            page.fill("#title", "Lift in Block 3 is down")
            page.click("#do-merge")
            page.wait_for_url(re.compile(r".*/console/incidents/[0-9A-Z]{26}\?done=merged$"), timeout=WAIT_MS)
            assert page.locator("#title").inner_text() == "Lift in Block 3 is down"
            assert page.locator("#reports tbody tr").count() == 3
            assert "lead" in page.locator(f"#report-{first['number']}").inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert_no_blocking_violations(axe, page, f"incident page at {width} px")
            shot(page, f"console-incident-{width}")

            # take one out again: recorded on its own timeline
            page.click(f"#unmerge-{others[0]['number']}")
            page.wait_for_url(re.compile(r".*\?done=unmerge$"), timeout=WAIT_MS)
            assert page.locator("#reports tbody tr").count() == 2
            page.goto(f"{base_url}/console/tickets/{others[0]['id']}")
            timeline = page.locator("#timeline").inner_text()
            assert "Merged into an incident with other reports of the same fault" in timeline
            assert "Taken out of the incident" in timeline
            page.goto(f"{base_url}/console/tickets/{others[1]['id']}")
            assert "Lift in Block 3 is down" in page.locator("#incident").inner_text()
        finally:
            context.close()


def test_the_incident_page_resolves_every_report_and_a_stale_form_keeps_the_text(client, firm):
    ours = Session(client, firm.admin_email)
    tickets = reports(firm, 2)
    made = body(firm.call("POST", "/api/incidents", {"title": "Lift down", "tickets": [t["id"] for t in tickets]}))
    path = f"/console/incidents/{made['id']}"

    blank = ours.post(f"{path}/events?lang=en", {"type": "resolve", "note": "  ", "version": str(made["version"])})
    assert blank.status_code == 422
    assert re.search(r'id="note-error".*Say what was done', blank.body.decode())
    stale = ours.post(f"{path}/events?lang=en", {"type": "resolve", "note": "Motor replaced.",
                                         "version": str(made["version"] - 1)})
    assert stale.status_code == 409 and "Motor replaced." in stale.body.decode()
    assert "Someone else changed this incident" in stale.body.decode()
    done = ours.post(f"{path}/events", {"type": "resolve", "note": "Motor replaced.",
                                        "version": str(made["version"])})
    assert done.status_code == 303
    assert all(body(firm.call("GET", f"/api/tickets/{t['id']}"))["status"] == "resolved" for t in tickets)


def test_zh_cn_pages_speak_chinese_and_other_firms_get_404(client, firm, other_firm):
    ours, theirs = Session(client, firm.admin_email), Session(client, other_firm.admin_email)
    first, second = reports(firm, 2)
    made = body(firm.call("POST", "/api/incidents", {"title": "电梯停运", "tickets": [first["id"], second["id"]]}))
    for url in (f"/console/incidents/{made['id']}?lang=zh-CN", f"/console/tickets/{first['id']}/merge?lang=zh-CN",
                f"/console/tickets/{first['id']}?lang=zh-CN"):
        html = ours.get(url).body.decode()
        main = re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1].split("</main>", 1)[0])
        for english in ("incident", "Incident", "Merge", "merged", "lead report", "Take out", "reports"):
            assert english not in main, (url, english)
    assert "已与同一故障的其他报修合并为一个事件" in ours.get(f"/console/tickets/{first['id']}?lang=zh-CN").body.decode()
    assert theirs.get(f"/console/incidents/{made['id']}").status_code == 404
    assert theirs.get(f"/console/tickets/{first['id']}/merge").status_code == 404
    refused = theirs.post(f"/console/incidents/{made['id']}/events", {"type": "resolve", "note": "x",
                                                                      "version": str(made["version"])})
    assert refused.status_code == 404
    assert body(firm.call("GET", f"/api/tickets/{first['id']}"))["status"] == "new"


def test_merge_and_incident_pages_take_at_most_three_round_trips(client, firm):
    ours = Session(client, firm.admin_email)
    first, second = reports(firm, 2)
    made = body(firm.call("POST", "/api/incidents", {"title": "Lift down", "tickets": [first["id"], second["id"]]}))
    ours.get(f"/console/incidents/{made['id']}")  # the person's standing, cached for the next reads
    for url in (f"/console/incidents/{made['id']}", f"/console/tickets/{first['id']}/merge"):
        with dynamo_calls() as calls:
            assert ours.get(url).status_code == 200
        assert sum(calls.values()) <= 3, (url, calls)
