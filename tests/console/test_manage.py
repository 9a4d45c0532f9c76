"""Admins' console pages: the property register with its CSV import, staff, notification
channels with a test message, and lobby posters. One walk through every page in Chromium
(screenshots and axe on each), then the cheap checks through the chalice test client:
who may open what, and what each page costs in DynamoDB round trips and bytes."""

from __future__ import annotations

import copy
import time
from datetime import datetime, timezone

import pytest

from infra.local.webhook_sink import start_sink
from tests.console.conftest import Session, assert_no_blocking_violations, dynamo_calls, shot, sign_in
from tests.support import body, set_password, unique

BAD_CSV = "building,unit,floor\nTower A,0802,8\nTower B,??,9\nTower B,0902,nine\n"
GOOD_CELLS = "building\tunit\tfloor\nTower A\t0802\t8\nTower B\t0901\t9\nTower B\t0902\t9\n"  # copied from a spreadsheet


@pytest.fixture
def sink():
    server, url, received = start_sink()
    yield server, url, received
    server.stop()


def with_channels(firm, notify: list[dict]) -> None:
    """Give the firm's escalation chain these recipients (through the JSON API)."""
    current = body(firm.call("GET", "/api/standards"))
    document = copy.deepcopy(current["standards"])
    document["escalation"]["level1"] = {"notify": notify}
    answer = firm.call("PUT", "/api/standards", {"standards": document}, **{"If-Match": f'"{current["version"]}"'})
    assert answer.status_code == 200, answer.body


def invite(firm, role: str = "staff") -> str:
    """A colleague of the firm with a password set; returns their e-mail."""
    email = f"{unique('colleague')}@example.com"
    answer = firm.call("POST", "/api/staff", {"email": email, "name": "Zhao Min", "role": role})
    assert answer.status_code == 201, answer.body
    set_password(email)
    return email


def test_an_admin_keeps_register_staff_channels_and_posters_in_the_browser(desk, axe, base_url, firm, sink):
    server, url, received = sink
    with_channels(firm, [{"channel": "webhook", "url": f"{url}/hook", "secret": "s3cret", "name": "Duty desk"},
                         {"channel": "wecom", "url": f"{url}/cgi-bin/webhook/send?key=KEY-NOT-SHOWN"}])
    page = desk.new_page()
    sign_in(page, base_url, firm.admin_email, next_path="/console/register")
    page.wait_for_url("**/console/register")

    # Given the register with the firm's first property, when the admin adds a second one
    assert page.locator("h2", has_text="Garden Court").count() == 1
    assert "Block 3" in page.inner_text("main")
    shot(page, "console-register")
    assert_no_blocking_violations(axe, page, "the register")
    page.fill("#name", "Harbour View")
    page.fill("#address", "8 Harbour Rd")
    page.click("form[action='/console/register/properties'] button")
    # then they land on its page, and add a building and a unit there
    page.wait_for_url("**/console/register/properties/*?done=property")
    assert page.locator("h1").inner_text() == "Harbour View"
    page.fill("#name", "Tower A")
    page.click("#add-building + form button")
    assert page.locator("p.notice").inner_text() == "The building is added."
    page.select_option("#building_id", label="Tower A")
    page.fill("#code", "0801")
    page.fill("#floor", "8")
    page.click("#add-unit + form button")
    assert page.locator("p.notice").inner_text() == "The unit is added."
    assert "0801" in page.locator(".units").first.inner_text()

    # When a pasted CSV has bad rows, nothing is imported and each problem is listed by row
    page.fill("#csv", BAD_CSV)
    page.click("form[action$='/import'] button")
    rows = page.locator("#csv-rows tbody tr")
    assert rows.count() == 2
    assert [c.strip() for c in rows.nth(0).locator("td").all_inner_texts()][:2] == ["row 2", "unit"]
    assert [c.strip() for c in rows.nth(1).locator("td").all_inner_texts()] == \
        ["row 3", "floor", "must be a whole number"]
    assert page.input_value("#csv") == BAD_CSV  # what was pasted is kept to fix
    assert "0802" not in " ".join(page.locator(".units").all_inner_texts())  # all rows or none
    shot(page, "console-register-csv-error")
    assert_no_blocking_violations(axe, page, "the CSV import's row errors")
    # and once fixed in the spreadsheet and its cells pasted, every row goes in, Tower B added on the way
    page.fill("#csv", GOOD_CELLS)
    page.click("form[action$='/import'] button")
    assert page.locator("p.notice").inner_text() == "3 units are imported."
    assert page.locator("h3", has_text="Tower B").count() == 1
    assert "0901 · 0902" in page.inner_text("main")
    shot(page, "console-property")
    assert_no_blocking_violations(axe, page, "a property's page")

    # Staff: invite a colleague, see the temporary password (no e-mail leaves the local stack)
    page.goto(f"{base_url}/console/staff")
    colleague = f"{unique('li')}@example.com"
    page.fill("#email", colleague)
    page.fill("#name", "Li Lei")
    page.click("form[action='/console/staff'] button")
    assert len(page.locator("#temporary-password").inner_text()) >= 8
    person = page.locator("li.person", has_text=colleague)
    assert person.locator(".role").inner_text() == "Staff"
    # make them an admin, then deactivate them
    person.locator("button", has_text="Make admin").click()
    assert page.locator("p.notice").inner_text() == "The role is changed."
    assert person.locator(".role").inner_text() == "Admin"
    person.locator("button", has_text="Deactivate").click()
    assert page.locator("p.notice").inner_text().startswith("The person is deactivated")
    assert person.locator(".status").inner_text() == "Deactivated"
    # An admin cannot take away their own admin access: the refusal shows beside the control
    mine = page.locator("li.person", has_text=firm.admin_email)
    mine.locator("button", has_text="Make staff").click()
    assert "cannot remove your own admin access" in mine.locator(".error").inner_text()
    assert mine.locator(".role").inner_text() == "Admin"
    shot(page, "console-staff")
    assert_no_blocking_violations(axe, page, "the staff page")

    # Channels: listed without their keys; "Send test" reaches the local sink
    page.goto(f"{base_url}/console/channels")
    assert "KEY-NOT-SHOWN" not in page.content()
    desk_row = page.locator("tr", has=page.locator("th", has_text="Duty desk"))
    assert desk_row.locator("td").nth(1).inner_text() == url.split("://")[1]
    desk_row.locator("button", has_text="Send test").click()
    assert page.locator("#test-result.notice").inner_text() == \
        "A test message was sent to Duty desk. Check that it arrived."
    assert [r.body["event"] for r in received] == ["test_message"]
    assert "s3cret" not in page.url and "KEY" not in page.url
    shot(page, "console-channels")
    assert_no_blocking_violations(axe, page, "the channels page")

    # Posters: one link per property and language; the SVG downloads with the cookie session
    page.goto(f"{base_url}/console/posters")
    assert page.locator("section.poster h2").all_inner_texts() == ["Garden Court", "Harbour View"]
    shot(page, "console-posters")
    assert_no_blocking_violations(axe, page, "the posters page")
    harbour = page.locator("section.poster", has=page.locator("h2", has_text="Harbour View"))
    with page.expect_download() as download:
        harbour.locator("a", has_text="SVG file, English only").click()
    assert download.value.suggested_filename == "poster-Harbour-View-en.svg"
    svg = open(download.value.path(), encoding="utf-8").read()
    assert svg.startswith("<?xml") and "Harbour View" in svg and "Report a repair or complaint" in svg


PAGES = ("/console/register", "/console/register/properties/{pid}", "/console/staff", "/console/channels",
         "/console/posters")


def test_only_this_firms_admins_get_in_and_each_page_is_cheap(client, firm, other_firm, sink):
    server, url, received = sink
    server.always_fail, server.fail_status = True, 404
    with_channels(firm, [{"channel": "webhook", "url": f"{url}/hook", "secret": "s3cret", "name": "Night desk"}])
    pid = firm.property_id
    poster = f"/console/posters/{pid}/poster.svg"

    # A staff member of the firm is refused every admin page, and every form
    colleague_email = invite(firm)
    colleague = Session(client, colleague_email)
    for path in [p.format(pid=pid) for p in PAGES] + [poster, f"/console/posters/{pid}/print"]:
        assert colleague.get(path).status_code == 403, path
    token = colleague.csrf_token()
    for path, fields in [("/console/register/properties", {"name": "Sneaky"}),
                         (f"/console/register/properties/{pid}/buildings", {"name": "Annex"}),
                         (f"/console/register/properties/{pid}/units", {"building_id": firm.building_id, "code": "9"}),
                         (f"/console/register/properties/{pid}/import", {"csv": "building,unit\nAnnex,101\n"}),
                         ("/console/staff", {"email": "x@example.com", "name": "X"}),
                         (f"/console/staff/{firm.admin_sub}", {"action": "deactivate", "version": "1"}),
                         ("/console/channels/test", {"channel": "Night desk"})]:
        assert colleague.post(path, fields, csrf=token).status_code == 403, path
    assert not received

    # Another firm's admin finds nothing of this firm's
    stranger = Session(client, other_firm.admin_email)
    assert stranger.get(f"/console/register/properties/{pid}").status_code == 404
    assert stranger.get(poster).status_code == 404
    assert stranger.get(f"/console/posters/{pid}/print").status_code == 404
    for fields in ({"name": "Annex"}, {"name": ""}):  # a refused form says no more than a good one
        assert stranger.post(f"/console/register/properties/{pid}/buildings", fields).status_code == 404
    assert stranger.post(f"/console/staff/{firm.admin_sub}", {"action": "promote"}).status_code == 404
    assert stranger.post(f"/console/register/properties/{pid}/units",
                         {"building_id": firm.building_id, "code": "9"}).status_code == 404
    assert stranger.post(f"/console/register/properties/{pid}/import",
                         {"csv": "building,unit\nAnnex,101\n"}).status_code == 404
    assert stranger.post(f"/console/staff/{firm.admin_sub}",
                         {"action": "deactivate", "version": "1"}).status_code == 404
    assert stranger.post("/console/channels/test", {"channel": "Night desk"}).headers["Location"] == \
        "/console/channels?result=gone"
    assert not received
    names = [p["name"] for p in body(firm.call("GET", f"/api/properties/{pid}"))["buildings"]]
    assert names == ["Block 3"]  # nothing was added by either of them
    units = body(firm.call("GET", f"/api/properties/{pid}/buildings/{firm.building_id}/units"))["units"]
    assert [u["code"] for u in units] == ["1203", "1204"]

    # A failed delivery is listed by its host, never with the key in its URL
    from chalicelib.store.escalations import OutboxEntry
    entry = OutboxEntry(firm.tenant_id, "T1", "first_response:level1",
                        {"channel": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SEKRIT"},
                        "sla_breach_level1", "en", {})
    item = entry.item(datetime.now(timezone.utc))
    item.status, item.attempts, item.last_error = "failed", 5, "wecom: refused: errcode 93000 invalid webhook url"
    item.save()

    # The firm's admin: every page within 3 round trips and 100 kB
    admin = Session(client, firm.admin_email)
    css = len(client.http.get("/console/console.css").body)
    measured = {}
    for path in [p.format(pid=pid) for p in PAGES]:
        with dynamo_calls() as calls:
            answer = admin.get(path)
        assert answer.status_code == 200, (path, answer.body[:300])
        measured[path] = (sum(calls.values()), len(answer.body) + css)
        assert sum(calls.values()) <= 3, (path, dict(calls))
        assert len(answer.body) + css <= 100 * 1024, path
    print("\nround trips and page bytes (HTML + CSS):", measured)
    chinese = admin.get("/console/register").body.decode()  # no Accept-Language: the console's zh-CN
    assert "添加物业项目" in chinese and "Add a property" not in chinese

    # Refusals come back on the page, beside the field or the person
    empty = admin.post("/console/register/properties", {"name": "", "address": ""})
    assert empty.status_code == 422 and b'id="name-error"' in empty.body
    sub = next(p["id"] for p in body(firm.call("GET", "/api/staff"))["staff"] if p["email"] == colleague_email)
    stale = admin.post(f"/console/staff/{sub}", {"action": "role", "role": "admin", "version": "0"})
    assert stale.status_code == 409 and b'id="conflict"' in stale.body
    people = {p["email"]: p["role"] for p in body(firm.call("GET", "/api/staff"))["staff"]}
    assert people[colleague_email] == "staff"  # the stale change did nothing

    channels = admin.get("/console/channels").body.decode()
    assert "qyapi.weixin.qq.com" in channels and "SEKRIT" not in channels
    assert "errcode 93000" in channels

    # A test to a channel that refuses says so, with the reason and nothing secret in the URL
    sent = admin.post("/console/channels/test", {"channel": "Night desk"})
    assert sent.status_code == 303
    location = sent.headers["Location"]
    assert "result=http-404" in location and url not in location and "s3cret" not in location
    assert len(received) == 1 and received[0].body["event"] == "test_message"
    shown = admin.get(location + "&lang=en").body.decode()
    assert "Night desk did not take the test message: the service answered HTTP 404." in shown

    # The poster is the same SVG the JSON API gives
    with dynamo_calls() as calls:
        svg = admin.get(poster)
    assert svg.status_code == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")
    assert sum(calls.values()) <= 3
    api_svg = firm.call("GET", f"/api/properties/{pid}/poster.svg").body
    assert svg.body == api_svg
    printable = admin.get(f"/console/posters/{pid}/print")
    assert printable.status_code == 200 and b'id="qr"' in printable.body


def test_send_test_stops_after_five_messages_to_a_channel_in_ten_minutes(client, firm, sink):
    server, url, received = sink
    with_channels(firm, [{"channel": "webhook", "url": f"{url}/hook", "secret": "s3cret", "name": "Night desk"},
                         {"channel": "webhook", "url": f"{url}/other", "secret": "s3cret", "name": "Day desk"}])
    admin = Session(client, firm.admin_email)
    left = 600 - time.time() % 600  # the windows are fixed 10-minute ones: keep the six in one
    if left < 20:
        time.sleep(left + 0.5)
    outcomes = [admin.post("/console/channels/test", {"channel": "Night desk"}).headers["Location"] for _ in range(6)]
    assert all("result=sent" in where for where in outcomes[:5]) and "result=too-many" in outcomes[5]
    assert [r.path for r in received] == ["/hook"] * 5  # the sixth was not sent
    page = admin.get(outcomes[5]).body.decode()  # the firm works in Chinese
    assert "最近 10 分钟内已向它发送了 5 条测试消息，本条未发送" in page
    # another channel has its own count
    assert "result=sent" in admin.post("/console/channels/test", {"channel": "Day desk"}).headers["Location"]
    assert received[-1].path == "/other"


def test_the_test_message_limit_starts_afresh_with_each_ten_minute_window(client, firm, sink):
    from datetime import timedelta

    from chalicelib.domain.identity import Identity
    from chalicelib.services import channel_check
    server, url, received = sink
    with_channels(firm, [{"channel": "webhook", "url": f"{url}/hook", "secret": "s3cret", "name": "Night desk"}])
    admin = Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin")
    window = datetime(2027, 1, 5, 10, 0, tzinfo=timezone.utc)  # a window's first second
    last_second = window + timedelta(minutes=10, seconds=-1)
    assert [channel_check.send_test(admin, "Night desk", "en", now=last_second)["reason"] for _ in range(6)] == \
        ["sent"] * 5 + ["too-many"]
    assert channel_check.send_test(admin, "Night desk", "en", now=last_second + timedelta(seconds=1))["ok"]
    assert len(received) == 6


def test_send_test_reaches_the_mailbox_and_the_phone_under_each_profile(client, firm, messaging_profile):
    """The console's "send test" through the real senders: SES/SNS (moto) under global; the
    SMTP server and the Alibaba Cloud SMS stand-in under cn (the test_message template)."""
    arrived = messaging_profile
    with_channels(firm, [{"channel": "email", "to": "night@firm.example", "name": "Night mailbox"},
                         {"channel": "sms", "to": "+86 139 0000 7777", "name": "Night phone"}])
    admin = Session(client, firm.admin_email)
    for name in ("Night mailbox", "Night phone"):
        sent = admin.post("/console/channels/test", {"channel": name})
        assert sent.status_code == 303 and "result=sent" in sent.headers["Location"], sent.headers
    (mail,) = arrived.mails()
    assert mail["to"] == ["night@firm.example"] and "测试消息" in mail["subject"]  # the firm's console is zh-CN
    (text,) = arrived.texts()
    assert text["to"] == "+8613900007777"
    if arrived.profile == "cn":
        assert text["template"] == "SMS_490000011" and text["variables"] == {}  # test_message, zh-CN
        assert mail["authenticated"]
    else:
        assert "PropDesk" in text["text"]


def test_a_chinese_spreadsheet_imports_and_its_header_errors_read_in_chinese(client, firm):
    """A 物业 pastes its own sheet: 楼栋 / 单元 / 房号 / 楼层. A missing column is named in Chinese,
    not as a code; the good sheet then goes in, entrance and room number as one unit."""
    admin = Session(client, firm.admin_email)
    pid = firm.property_id
    missing = admin.post(f"/console/register/properties/{pid}/import", {"csv": "楼栋,单元\n3号楼,2\n"})
    page = missing.body.decode()
    assert missing.status_code == 422
    assert "列名行须包含楼栋和房号两列；缺少：房号" in page
    assert "missing" not in page and "header must name" not in page
    odd = admin.post(f"/console/register/properties/{pid}/import", {"csv": "楼栋,房号,业主\n3号楼,101,王\n"})
    assert odd.status_code == 422 and "无法识别的列：业主" in odd.body.decode()
    good = admin.post(f"/console/register/properties/{pid}/import",
                      {"csv": "楼栋,单元,房号,楼层\n7号楼,2单元,1203,12\n7号楼,2,1204,12\n"})
    assert good.status_code == 303, good.body[:300]
    buildings = body(firm.call("GET", f"/api/properties/{pid}"))["buildings"]
    tower = next(b for b in buildings if b["name"] == "7号楼")
    units = body(firm.call("GET", f"/api/properties/{pid}/buildings/{tower['id']}/units"))["units"]
    assert sorted((u["code"], u["floor"]) for u in units) == [("2-1203", 12), ("2-1204", 12)]
