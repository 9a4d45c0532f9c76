"""The service standards editor, the standards as YAML, and scorecard publishing, as an admin
uses them: in Chromium for the walk through (errors beside the boxes, download, paste,
publish and the public page signed out), through the chalice test client for the rest
(a stale save, errors placed on the right row and line, staff refused, round trips)."""

from __future__ import annotations

import re

import yaml

from tests.api.test_scorecard import MONTH_EN, NIGHT_AFTER, month_tickets
from tests.console.conftest import Session, assert_no_blocking_violations, dynamo_calls, shot, sign_in
from tests.pages.conftest import WAIT_MS
from tests.support import body, set_password, unique

LEAK = '[name="targets.water_leak.*.first_response"]'
LIFT = '[name="targets.lift_entrapment.*.resolution"]'
MIN_N = '[name="survey.min_n"]'
EN = {"Accept-Language": "en"}
PAGES = ("/console/standards", "/console/standards.yaml", "/console/standards/upload", "/console/scorecard")


def saved_standards(firm) -> dict:
    return body(firm.call("GET", "/api/standards"))


def test_an_admin_edits_the_standards_pastes_yaml_and_publishes_the_scorecard(browser, desk, axe, base_url, firm):
    from chalicelib.services import rollups
    month_tickets(firm, [5, 4])  # two residents rated their repairs that month

    # Given the admin opens the editor: the template's targets are in the table
    page = desk.new_page()
    sign_in(page, base_url, firm.admin_email, next_path="/console/standards")
    page.wait_for_url(re.compile(r"/console/standards$"), timeout=WAIT_MS)
    assert page.locator("h1").inner_text() == "Service standards"
    assert page.locator(LEAK).input_value() == "30m"
    assert page.locator('[name="calendar.hours.mon"]').input_value() == "08:30-12:00, 13:30-18:00"
    shot(page, "console-standards")
    assert_no_blocking_violations(axe, page, "the standards editor")

    # When a target and the survey's minimum n are broken (and another target changed)
    page.fill(LEAK, "abc")
    page.fill(MIN_N, "0")
    page.fill(LIFT, "3h")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#standards button.primary")
    # Then each error is beside its own box and in the summary, and what was typed stays
    assert posted.value.status == 422
    leak_error = page.locator('[id="targets-water_leak-*-first_response-error"]')
    assert "'abc' is not a duration" in leak_error.inner_text()
    assert "whole number from 1 to 1000" in page.locator("#survey-min_n-error").inner_text()
    summary = page.locator(".summary")
    assert summary.locator('a[href="#targets-water_leak-*-first_response"]').inner_text().startswith(
        "Water leak · Any priority · First response")
    assert summary.locator('a[href="#survey-min_n"]').count() == 1
    assert page.locator(LEAK).input_value() == "abc" and page.locator(LIFT).input_value() == "3h"
    assert page.locator(LEAK).get_attribute("aria-invalid") == "true"
    shot(page, "console-standards-error")
    assert_no_blocking_violations(axe, page, "the standards editor with errors")
    assert saved_standards(firm)["version"] == 1  # nothing saved

    # When fixed and saved: a notice, the new version and the new values
    page.fill(LEAK, "20m")
    page.fill(MIN_N, "2")  # a small firm: show scores from two responses
    page.click("#standards button.primary")
    page.wait_for_url(re.compile(r"done=saved"), timeout=WAIT_MS)
    assert page.locator(".notice").inner_text() == "The standards are saved."
    assert "Version 2." in page.locator("main").inner_text()
    assert page.locator(LEAK).input_value() == "20m" and page.locator(LIFT).input_value() == "3h"

    # The YAML download carries the new value
    with page.expect_download() as download:
        page.click("text=Download as YAML")
    assert download.value.suggested_filename == "standards-v2.yaml"
    text = open(download.value.path(), encoding="utf-8").read()
    document = yaml.safe_load(text)
    assert document["targets"]["water_leak"]["*"]["first_response"] == "20m"
    assert document["targets"]["lift_entrapment"]["*"]["resolution"] == "3h"

    # Pasting YAML with errors lists them with line and path, and saves nothing
    page.click("text=Paste YAML")
    broken = text.replace("time_zone: Asia/Shanghai", "time_zone: Mars/Base").replace("first_response: 20m",
                                                                                        "first_response: 25m")
    broken = broken.replace("min_n: 2", "min_n: lots")
    page.fill("#yaml", broken)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("button.primary")
    assert posted.value.status == 422
    problems = page.locator("#problems").inner_text()
    zone_line = broken.splitlines().index("  time_zone: Mars/Base") + 1
    assert f"Line {zone_line} · calendar.time_zone: must be an IANA time zone" in problems
    assert "survey.min_n: must be a whole number" in problems
    assert page.locator("#yaml").input_value() == broken  # kept as pasted
    shot(page, "console-standards-upload-error")
    assert_no_blocking_violations(axe, page, "the YAML paste page with errors")
    assert saved_standards(firm)["version"] == 2

    # Corrected in the box and sent again: saved, and the editor shows it
    page.fill("#yaml", broken.replace("Mars/Base", "Asia/Shanghai").replace("min_n: lots", "min_n: 2"))
    page.click("button.primary")
    page.wait_for_url(re.compile(r"done=uploaded"), timeout=WAIT_MS)
    assert page.locator(LEAK).input_value() == "25m" and "Version 3." in page.locator("main").inner_text()

    # The next month's first night: the month and its quarter are finalised, with the firm's minimum n
    rollups.run(NIGHT_AFTER)

    # The scorecard is not public yet
    public = browser.new_context(locale="en", extra_http_headers={"Accept-Language": "en"})
    public.set_default_timeout(WAIT_MS)
    resident = public.new_page()
    assert resident.goto(f"{base_url}/p/{firm.slug}/scorecard").status == 404

    # When the admin publishes it with the property's own table
    page.goto(f"{base_url}/console/scorecard")
    assert "Not published" in page.locator("#publish-state").inner_text()
    assert f"Month: {MONTH_EN}" in page.locator("#preview").inner_text()  # the preview works before publishing
    page.check("#survey-publish")
    page.check(f"#property-{firm.property_id}")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"done=published"), timeout=WAIT_MS)
    assert page.locator(".notice").inner_text() == "The scorecard is published."
    preview = page.locator("#preview")
    assert "Garden Court" in preview.inner_text() and "Residents satisfied" in preview.inner_text()
    shot(page, "console-scorecard-publish")
    assert_no_blocking_violations(axe, page, "the scorecard publishing page")
    assert saved_standards(firm)["version"] == 4  # publishing is a standards version like any other

    # Then anyone, signed out, sees it at the public link
    link = page.locator("#public-link").get_attribute("href")
    answer = resident.goto(f"{base_url}{link}")
    assert answer.status == 200
    assert resident.locator("h1").inner_text() == "Our service scorecard"
    assert "Garden Court" in resident.locator("main").inner_text()
    assert resident.locator("#month-csat strong").inner_text() == "100%"  # both rated 4 or 5, n = 2 shown
    shot(resident, "scorecard-published-signed-out")
    public.close()


def test_a_stale_save_keeps_what_was_typed_and_errors_land_on_their_row_and_line(client, firm):
    admin = Session(client, firm.admin_email)
    with dynamo_calls() as calls:
        editor = admin.get("/console/standards")
    assert editor.status_code == 200 and sum(calls.values()) <= 3
    assert 'name="version" value="1"' in editor.body.decode()

    # A blank recipient row before a bad one, and a bad date on the third line: each error
    # is beside the row and the box it is about
    refused = admin.post("/console/standards", {
        "version": "1",
        "escalation.level1.notify[0].channel": "", "escalation.level1.notify[0].address": "",
        "escalation.level1.notify[1].channel": "email", "escalation.level1.notify[1].address": "nobody",
        "calendar.holidays": "2026-10-01\n\n2026-02-30"}, **EN)
    html = refused.body.decode()
    assert refused.status_code == 422
    assert re.search(r'id="escalation-level1-notify-1-address-error">.*must be an e-mail address', html)
    assert re.search(r'id="calendar-holidays-error">.*Line 3: must be a date', html)
    assert 'value="nobody"' in html and "2026-02-30</textarea>" in html

    # Meanwhile someone else saves another version through the API
    current = body(firm.call("GET", "/api/standards"))
    other = dict(current["standards"], survey={**current["standards"]["survey"], "min_n": 7})
    assert firm.call("PUT", "/api/standards", {"standards": other}, **{"If-Match": '"1"'}).status_code == 200

    # The stale save is refused: 409, the typed values stay, theirs is shown, the form now
    # carries their version
    stale = admin.post("/console/standards", {"version": "1", "targets.water_leak.*.first_response": "45m",
                                              "survey.min_n": "5"}, **EN)
    html = stale.body.decode()
    assert stale.status_code == 409
    # It names who saved and when (the firm's zone, Shanghai in the template)
    assert re.search(r"Ada Admin saved another version of the standards \(version 2\) at "
                     r"\w{3} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d\s?[AP]M while you were editing", html), html[:3000]
    assert re.search(r'name="targets.water_leak.\*.first_response" value="45m"', html)
    assert re.search(r'id="survey-min_n-saved">Saved now: <strong>7</strong>', html)
    assert 'name="version" value="2"' in html
    assert saved_standards(firm)["version"] == 2
    zh = admin.post("/console/standards?lang=zh-CN", {"version": "1", "survey.min_n": "5"}).body.decode()
    assert re.search(r"您编辑期间，Ada Admin 于 2\d{3}年\d{1,2}月\d{1,2}日 [^<]+ 保存了另一版服务标准（版本 2）", zh)

    # Sent again knowingly, it replaces theirs: a save is four round trips (the page's read, the
    # firm with its standards in one batch, the transaction, and the audit log's entry)
    with dynamo_calls() as calls:
        again = admin.post("/console/standards", {"version": "2", "targets.water_leak.*.first_response": "45m",
                                                  "survey.min_n": "5"})
    assert again.status_code == 303 and again.headers["Location"] == "/console/standards?done=saved"
    assert sum(calls.values()) <= 4 and calls.get("PutItem") == 1, dict(calls)
    saved = saved_standards(firm)
    assert saved["version"] == 3 and saved["standards"]["survey"]["min_n"] == 5
    target = saved["standards"]["targets"]["water_leak"]["*"]
    assert {k: v for k, v in target.items() if k != "milestones"} == {"first_response": "45m", "attend": "1h",
                                                                       "resolution": "24h"}
    # the template's milestones (接单, 到场, 完工, 回访), which the form does not show, are kept
    assert [m["key"] for m in target["milestones"]] == ["accepted", "on_site", "work_done", "call_back"]

    # Every page renders in at most three DynamoDB round trips and well under 100 kB
    css = len(admin.get("/console/console.css").body)
    for path in PAGES:
        with dynamo_calls() as calls:
            answer = admin.get(path)
        assert answer.status_code == 200, path
        assert sum(calls.values()) <= 3, (path, calls)
        assert len(answer.body) + css < 100_000, (path, len(answer.body))


def test_staff_cannot_open_or_change_the_standards_or_the_scorecard(client, firm):
    email = f"{unique('staff')}@example.com"
    assert firm.call("POST", "/api/staff", {"email": email, "name": "Wang Wei", "role": "staff"}).status_code == 201
    set_password(email)
    staff = Session(client, email)
    for path in PAGES:
        assert staff.get(path).status_code == 403, path
    token = staff.csrf_token()
    assert staff.post("/console/standards", {"version": "1", "survey.min_n": "9"}, csrf=token).status_code == 403
    assert staff.post("/console/standards/upload", {"version": "1", "yaml": "survey: {}"}, csrf=token).status_code == 403
    assert staff.post("/console/scorecard", {"was_publish": "false", "was_properties": "",
                                             "survey.publish": ["false", "true"]}, csrf=token).status_code == 403
    saved = saved_standards(firm)
    assert saved["version"] == 1 and saved["standards"]["survey"]["publish"] is False


def test_an_admin_sets_quiet_hours_and_the_sms_signature_for_residents_messages(client, firm):
    admin = Session(client, firm.admin_email)
    page = admin.get("/console/standards").body.decode()
    # the defaults in force are shown: 21:00 to 08:00
    assert re.search(r'name="messages.quiet_hours.from" value="21:00"', page)
    assert re.search(r'name="messages.quiet_hours.to" value="08:00"', page)
    # saving the page untouched adds nothing to the document
    untouched = admin.post("/console/standards", {"version": "1", "messages.quiet_hours.from": "21:00",
                                                  "messages.quiet_hours.to": "08:00", "messages.sms_signature": ""})
    assert untouched.status_code == 303
    assert "messages" not in saved_standards(firm)["standards"]
    refused = admin.post("/console/standards", {"version": str(saved_standards(firm)["version"]),
                                                "messages.quiet_hours.from": "22", "messages.sms_signature": "绿苑物业服务有限公司总部"}, **EN)
    html = refused.body.decode()
    assert refused.status_code == 422
    assert re.search(r'id="messages-quiet_hours-from-error">.*must be a time like 21:00', html)
    assert re.search(r'id="messages-sms_signature-error">.*2 to 10 characters', html)
    saved = admin.post("/console/standards", {"version": str(saved_standards(firm)["version"]),
                                              "messages.quiet_hours.from": "22:00", "messages.quiet_hours.to": "07:30",
                                              "messages.sms_signature": "绿苑物业"})
    assert saved.status_code == 303
    assert saved_standards(firm)["standards"]["messages"] == {"quiet_hours": {"from": "22:00", "to": "07:30"},
                                                              "sms_signature": "绿苑物业"}
    off = admin.post("/console/standards", {"version": str(saved_standards(firm)["version"]),
                                            "messages.quiet_hours.from": "", "messages.quiet_hours.to": ""})
    assert off.status_code == 303
    assert saved_standards(firm)["standards"]["messages"]["quiet_hours"] is False
