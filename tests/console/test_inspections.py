"""Monthly inspections in the console: an admin edits a property's checklist with plain
forms; a staff member completes the month on a 375 px phone with JavaScript off and opens a
ticket for a failed item in one tap; the property's results page sums each month by area;
zh-CN pages show no English; each page stays within 3 DynamoDB round trips."""

from __future__ import annotations

import re

import pytest

from tests.console.conftest import Session, assert_no_blocking_violations, dynamo_calls, shot, sign_in
from tests.pages.conftest import WAIT_MS
from tests.support import body, set_password, unique

MONTH = "M2026-11"


def named(zh: str, en: str) -> dict:
    return {"zh-CN": zh, "en": en}


CHECKLIST = {"version": 0, "areas": [
    {"key": "sanitation", "name": named("环境卫生", "Cleanliness"), "items": [
        {"key": "lobby", "name": named("大堂洁净", "Lobby clean")}]},
    {"key": "facilities", "name": named("公共设施", "Communal facilities"), "items": [
        {"key": "lights", "name": named("公共照明完好", "Lights working")},
        {"key": "lifts", "name": named("电梯运行正常", "Lifts working")}]},
]}


def staff_member(firm, name: str = "Wang Wei") -> str:
    email = f"{unique('inspector')}@example.com"
    assert firm.call("POST", "/api/staff", {"email": email, "name": name, "role": "staff"}).status_code == 201
    set_password(email)
    return email


def month_url(firm, month: str = MONTH) -> str:
    return f"/console/inspections/{firm.property_id}/months/{month}"


def test_an_admin_edits_the_checklist_with_plain_forms(client, firm, other_firm):
    admin = Session(client, firm.admin_email)
    page = admin.get(f"/console/inspections/{firm.property_id}/checklist?lang=en").body.decode()
    assert 'id="starter"' in page and 'value="Communal facilities"' in page  # the seeds' four areas, unsaved
    # save the starter with one item renamed, a new item under the first area and an item cleared
    fields = dict(re.findall(r'name="(a\d+\.(?:i\d+\.)?(?:zh|en|key))" value="([^"]*)"', page))
    fields.update({"a0.i0.en": "Lobby spotless", "a0.i2.zh": "楼道无杂物", "a0.i2.en": "Corridors clear",
                   "a2.i1.zh": "", "a2.i1.en": ""})
    assert admin.post(f"/console/inspections/{firm.property_id}/checklist", {"version": "0", **fields}).status_code == 303
    saved = body(firm.call("GET", f"/api/properties/{firm.property_id}/checklist"))
    assert saved["version"] == 1
    first = saved["checklist"]["areas"][0]
    assert first["key"] == "sanitation"
    assert [i["name"]["en"] for i in first["items"]] == ["Lobby spotless", "Bins emptied on time", "Corridors clear"]
    assert [i["name"]["en"] for i in saved["checklist"]["areas"][2]["items"]] == ["Communal lights working"]
    # a half-named item is refused beside its field, nothing saved; a stale version is 409
    half = admin.post(f"/console/inspections/{firm.property_id}/checklist?lang=en",
                      {"version": "1", **fields, "a1.i1.zh": "灌木修剪", "a1.i1.en": ""})
    assert half.status_code == 422 and 'id="a1-i1-en-error"' in half.body.decode()
    stale = admin.post(f"/console/inspections/{firm.property_id}/checklist?lang=en", {"version": "0", **fields})
    assert stale.status_code == 409 and "A colleague changed this checklist first" in stale.body.decode()
    assert body(firm.call("GET", f"/api/properties/{firm.property_id}/checklist"))["version"] == 1
    # staff may not open it; another firm's property is the console's 404
    staff = Session(client, staff_member(firm))
    assert staff.get(f"/console/inspections/{firm.property_id}/checklist").status_code == 403
    theirs = Session(client, other_firm.admin_email)
    assert theirs.get(f"/console/inspections/{firm.property_id}/checklist").status_code == 404
    assert theirs.get(month_url(firm)).status_code == 404
    assert theirs.post(f"{month_url(firm)}/items/lifts/ticket", {"version": "1"}).status_code == 404


def test_a_month_is_saved_from_the_form_and_a_stale_form_is_409_keeping_what_was_typed(client, firm):
    assert firm.call("PUT", f"/api/properties/{firm.property_id}/checklist", CHECKLIST).status_code == 200
    staff = Session(client, staff_member(firm))
    missing = staff.post(f"{month_url(firm)}?lang=en", {"version": "0", "result.lobby": "pass",
                                                        "result.lights": "fail", "note.lights": " "})
    assert missing.status_code == 422
    text = missing.body.decode()
    assert 'id="note-lights-error"' in text and 'id="result-lifts"' in text
    assert firm.call("GET", f"/api/properties/{firm.property_id}/inspections/{MONTH}").status_code == 404
    answer = staff.post(month_url(firm), {"version": "0", "result.lobby": "pass", "result.lights": "fail",
                                          "note.lights": "Floor 3 dark", "result.lifts": "pass"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("?done=saved")
    # The admin's form was opened before Wang Wei saved: 409 names Wang Wei and when, keeping the typed note
    admin = Session(client, firm.admin_email)
    stale = admin.post(f"{month_url(firm)}?lang=en", {"version": "0", "result.lobby": "fail",
                                                      "note.lobby": "Muddy floor", "result.lights": "pass",
                                                      "result.lifts": "pass"})
    assert stale.status_code == 409
    assert re.search(r"Wang Wei saved this inspection first, at \w{3} \d{1,2}, \d{4}, [^.]+\. Here it is as they saved",
                     stale.body.decode())
    assert "Muddy floor</textarea>" in stale.body.decode()
    zh = admin.post(f"{month_url(firm)}?lang=zh-CN", {"version": "0", "result.lobby": "pass", "result.lights": "pass",
                                                      "result.lifts": "pass"}).body.decode()
    assert re.search(r"Wang Wei 已于 2\d{3}年\d{1,2}月\d{1,2}日 [^<]+ 先保存了此次检查", zh)
    saved = body(firm.call("GET", f"/api/properties/{firm.property_id}/inspections/{MONTH}"))
    assert (saved["passed"], saved["items"], saved["version"]) == (2, 3, 1)
    history = staff.get(f"/console/inspections/{firm.property_id}?lang=en").body.decode()
    assert "2 of 3 items passed" in history and "Lights working" in history
    overview = staff.get(f"/console/inspections?month={MONTH}&lang=en").body.decode()
    assert "2 of 3 items passed" in overview


def test_pages_stay_within_three_round_trips_and_show_no_english_in_chinese(client, firm):
    assert firm.call("PUT", f"/api/properties/{firm.property_id}/checklist", CHECKLIST).status_code == 200
    results = {"lobby": {"passed": True}, "lights": {"passed": True}, "lifts": {"passed": False, "note": "停运"}}
    assert firm.call("PUT", f"/api/properties/{firm.property_id}/inspections/{MONTH}",
                     {"version": 0, "results": results}).status_code == 200
    admin = Session(client, firm.admin_email)
    from chalicelib.services import scores
    for path in (f"/console/inspections?month={MONTH}", f"/console/inspections/{firm.property_id}",
                 f"/console/inspections/{firm.property_id}/checklist", month_url(firm)):
        scores.forget_settings(firm.tenant_id)
        with dynamo_calls() as calls:
            page = admin.get(path + ("&" if "?" in path else "?") + "lang=zh-CN")
        assert page.status_code == 200, path
        assert sum(calls.values()) <= 3 and "Scan" not in calls, (path, calls)
        assert len(page.body) <= 100 * 1024
        main = re.search(r"<main[^>]*>(.*)</main>", page.body.decode(), re.S).group(1)
        visible = re.sub(r"<[^>]+>", " ", main)
        visible = visible.replace("Garden Court", "")  # the firm's own name for its property
        if path.endswith("/checklist"):  # the English names an admin typed are form values, not page text
            visible = re.sub(r"Cleanliness|Communal facilities|Lobby clean|Lights working|Lifts working", "", visible)
        assert re.findall(r"[A-Za-z_]{2,}", visible) == [], path


# --- in Chromium, 375 px, JavaScript off --------------------------------------------------------

@pytest.fixture
def no_script(browser):
    context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-CN"})
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def test_staff_complete_an_inspection_and_open_a_ticket_on_a_phone_without_script(no_script, base_url, firm,
                                                                                    tmp_path):
    assert firm.call("PUT", f"/api/properties/{firm.property_id}/checklist", CHECKLIST).status_code == 200
    email = staff_member(firm)
    page = no_script.new_page()
    sign_in(page, base_url, email, next_path="/console/inspections")
    page.click(f"#property-{firm.property_id} a.button")  # this month's inspection
    page.wait_for_selector("#inspection")
    month = page.url.rstrip("/").split("/")[-1]
    page.check("input[name='result.lobby'][value='pass']")
    page.check("input[name='result.lights'][value='pass']")
    page.check("input[name='result.lifts'][value='fail']")
    page.fill("#note-lifts", "2号电梯停在两层之间")
    page.click("#save")
    page.wait_for_selector("#total")
    assert "3 项中 2 项合格" in page.inner_text("#total")
    shot(page, "inspection-month-375")
    from PIL import Image
    Image.new("RGB", (60, 40), (90, 90, 200)).save(tmp_path / "lift.jpg", "JPEG")
    page.set_input_files("#photo-lifts", str(tmp_path / "lift.jpg"))
    page.click("#upload-photo-lifts")  # → S3 → .../photos/added → the item again
    page.wait_for_selector("#photos-lifts")
    page.click("#open-ticket-lifts")  # one tap
    page.wait_for_selector("#ticket-lifts")
    saved = body(firm.call("GET", f"/api/properties/{firm.property_id}/inspections/{month}"))
    ticket_id = saved["results"]["lifts"]["ticket_id"]
    page.click("#ticket-lifts")
    page.wait_for_load_state()
    assert f"/console/tickets/{ticket_id}" in page.url
    ticket = body(firm.call("GET", f"/api/tickets/{ticket_id}"))
    assert "2号电梯停在两层之间" in ticket["description"] and "电梯运行正常" in ticket["description"]
    queue = body(firm.call("GET", "/api/tickets"))
    assert [t["id"] for t in queue["tickets"]].count(ticket_id) == 1


def test_the_inspection_form_has_no_serious_accessibility_violation(desk, axe, base_url, firm):
    assert firm.call("PUT", f"/api/properties/{firm.property_id}/checklist", CHECKLIST).status_code == 200
    results = {"lobby": {"passed": True}, "lights": {"passed": True}, "lifts": {"passed": False, "note": "stuck"}}
    assert firm.call("PUT", f"/api/properties/{firm.property_id}/inspections/{MONTH}",
                     {"version": 0, "results": results}).status_code == 200
    page = desk.new_page()
    sign_in(page, base_url, firm.admin_email, next_path=month_url(firm))
    page.wait_for_selector("#inspection")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # fits the phone, no sideways scroll
    assert_no_blocking_violations(axe, page, "the inspection form")
    page.goto(f"{base_url}/console/inspections/{firm.property_id}/checklist")
    assert_no_blocking_violations(axe, page, "the checklist editor")


def test_the_dashboard_and_the_monthly_review_show_the_months_inspections(client, firm):
    from chalicelib.services import rollups
    from chalicelib.store import rollups as rollup_store, schema
    from tests.api.test_scorecard import MONTH_KEY, NIGHT_AFTER
    assert firm.call("PUT", f"/api/properties/{firm.property_id}/checklist", CHECKLIST).status_code == 200
    results = {"lobby": {"passed": True}, "lights": {"passed": False, "note": "dark"},
               "lifts": {"passed": False, "note": "stuck"}}
    assert firm.call("PUT", f"/api/properties/{firm.property_id}/inspections/{MONTH_KEY}",
                     {"version": 0, "results": results}).status_code == 200
    admin = Session(client, firm.admin_email)
    with dynamo_calls() as calls:
        dashboard = admin.get(f"/console/dashboard?period={MONTH_KEY}&by=firm&lang=en")
    assert dashboard.status_code == 200 and sum(calls.values()) <= 3, calls
    section = re.search(r'<section aria-labelledby="inspections-title".*?</section>', dashboard.body.decode(), re.S)
    assert section and "1 of 3 items passed" in section.group(0) and "Garden Court" in section.group(0)
    for shard in range(schema.WORK_SHARDS):
        for slot in rollup_store.due_slots(shard, NIGHT_AFTER):
            if slot.tenant_id == firm.tenant_id:
                rollups.finalise_firm(slot, NIGHT_AFTER)
    review = admin.get(f"/console/reviews/{MONTH_KEY}?lang=zh-CN").body.decode()
    section = re.search(r'<section aria-labelledby="inspections-title".*?</section>', review, re.S).group(0)
    assert "3 项中 1 项合格" in section  # the firm
    assert re.search(r"环境卫生</th><td>1 项中 1 项", section) and re.search(r"公共设施</th><td>2 项中 0 项", section)


def test_a_photo_of_a_failure_goes_through_the_bucket_and_is_attached_once(client, firm):
    import boto3
    from PIL import Image
    import io
    from chalicelib.settings import settings
    assert firm.call("PUT", f"/api/properties/{firm.property_id}/checklist", CHECKLIST).status_code == 200
    results = {"lobby": {"passed": True}, "lights": {"passed": True}, "lifts": {"passed": False, "note": "stuck"}}
    assert firm.call("PUT", f"/api/properties/{firm.property_id}/inspections/{MONTH}",
                     {"version": 0, "results": results}).status_code == 200
    staff = Session(client, staff_member(firm))
    page = staff.get(f"{month_url(firm)}?lang=en")
    html = page.body.decode()
    assert 'id="upload-lifts"' in html and 'id="upload-lobby"' not in html  # only a failed item takes photos
    assert "form-action 'self' http" in page.headers["Content-Security-Policy"]
    key = re.search(r'id="upload-lifts".*?name="key" value="([^"]+)"', html, re.S).group(1)
    image, out = Image.new("RGB", (40, 30), (200, 40, 40)), io.BytesIO()
    image.save(out, "JPEG")
    boto3.client("s3").put_object(Bucket=settings().photo_bucket, Key=key, Body=out.getvalue())  # as S3 takes the POST
    added = staff.get(f"{month_url(firm)}/items/lifts/photos/added?key={key}")
    assert added.status_code == 303 and added.headers["Location"].endswith("done=photo#item-lifts")
    assert staff.get(f"{month_url(firm)}/items/lifts/photos/added?key={key}").status_code == 303  # again: once
    saved = body(firm.call("GET", f"/api/properties/{firm.property_id}/inspections/{MONTH}"))
    assert [p["type"] for p in saved["results"]["lifts"]["photos"]] == ["image/jpeg"] and saved["version"] == 2
    assert 'id="photos-lifts"' in staff.get(f"{month_url(firm)}?lang=en").body.decode()
    # not a photo: refused beside the item's upload field, nothing attached
    key = re.search(r'id="upload-lifts".*?name="key" value="([^"]+)"',
                    staff.get(month_url(firm)).body.decode(), re.S).group(1)
    boto3.client("s3").put_object(Bucket=settings().photo_bucket, Key=key, Body=b"%PDF-1.4 not a photo")
    refused = staff.get(f"{month_url(firm)}/items/lifts/photos/added?key={key}&lang=en")
    assert refused.status_code == 422 and 'id="photo-lifts-error"' in refused.body.decode()
    assert len(body(firm.call("GET", f"/api/properties/{firm.property_id}/inspections/{MONTH}"))
               ["results"]["lifts"]["photos"]) == 1
    # a key of another item or firm is no upload of this one
    assert staff.get(f"{month_url(firm)}/items/lifts/photos/added?key=incoming/x/y/z").status_code == 404


def test_an_admin_decides_whether_the_scorecard_shows_inspections(client, firm):
    admin = Session(client, firm.admin_email)
    page = admin.get("/console/inspections?lang=en").body.decode()
    assert "does not show inspection results" in page
    shown = admin.post("/console/inspections", {"was": "false", "publish": "true"})
    assert shown.status_code == 303 and shown.headers["Location"].endswith("done=published")
    standards = body(firm.call("GET", "/api/standards"))["standards"]
    assert standards["survey"]["publish_inspections"] is True
    from chalicelib.store import tenants
    assert tenants.public_scorecard(firm.slug).survey["publish_inspections"] is True  # the scorecard's one read
    stale = admin.post("/console/inspections?lang=en", {"was": "false", "publish": "true"})  # a second tab
    assert stale.status_code == 409 and "A colleague changed the standards first" in stale.body.decode()
    assert "shows the last month" in stale.body.decode()
    staff = Session(client, staff_member(firm))
    assert staff.post("/console/inspections", {"was": "true", "publish": "false"}).status_code == 403
    assert body(firm.call("GET", "/api/standards"))["standards"]["survey"]["publish_inspections"] is True
