"""The standards editor for people, not engineers (issue 16 item 10): the warning threshold as
a percentage, inherited targets shown in empty boxes, time zones and countries by name,
write-only secrets, SERVQUAL dimensions in plain words. Through the chalice test client in
both languages, values worked out by hand and read back through GET /api/standards; and the
page in Chromium at a phone's and a desktop's width, checked with axe."""

from __future__ import annotations

import re

import pytest

from tests.console.conftest import Session, assert_no_blocking_violations, shot, sign_in
from tests.pages.conftest import WAIT_MS
from tests.support import body

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def saved(firm) -> dict:
    return body(firm.call("GET", "/api/standards"))


def stored(firm) -> dict:
    """The standards as stored, secrets and all (every read path masks them)."""
    from chalicelib.store import tenants
    document, _ = tenants.get_standards(firm.tenant_id)
    return document


def page(admin: Session, lang: str) -> str:
    return admin.client.http.get("/console/standards", headers=admin.headers(None, **{"Accept-Language": lang})
                                 ).body.decode()


def version(firm) -> str:
    return str(saved(firm)["version"])


def box_value(html: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert found, name
    return found.group(1)


# --- 1. the warning threshold as a percentage ---------------------------------------------------

def test_the_warning_threshold_is_shown_and_typed_as_a_percentage(client, firm):
    admin = Session(client, firm.admin_email)
    # Given the template's warn_at of 0.8: the box says 80, with a % beside it
    page = admin.get("/console/standards").body.decode()
    assert box_value(page, "escalation.warn_at") == "80"

    # Saving the page as shown changes nothing
    same = admin.post("/console/standards", {"version": "1", "escalation.warn_at": "80"})
    assert same.headers["Location"] == "/console/standards?done=unchanged"

    # 75 % is stored as the share 0.75 (the API's format does not change)
    typed = admin.post("/console/standards", {"version": "1", "escalation.warn_at": "75 %"})
    assert typed.status_code == 303
    assert saved(firm)["standards"]["escalation"]["warn_at"] == 0.75
    assert box_value(admin.get("/console/standards").body.decode(), "escalation.warn_at") == "75"

    # 82.5 → 0.825, and shown back as 82.5
    assert admin.post("/console/standards", {"version": version(firm), "escalation.warn_at": "82.5"}).status_code == 303
    assert saved(firm)["standards"]["escalation"]["warn_at"] == 0.825
    assert box_value(admin.get("/console/standards").body.decode(), "escalation.warn_at") == "82.5"


def test_a_bad_percentage_is_refused_beside_its_box_in_both_languages_and_nothing_is_written(client, firm):
    admin = Session(client, firm.admin_email)
    for typed in ("150", "0", "lots", "0.8 of it", "0.8"):  # 0.8: the old share, typed out of habit
        refused = admin.post("/console/standards", {"version": "1", "escalation.warn_at": typed,
                                                    "survey.min_n": "3"}, **EN)
        html = refused.body.decode()
        assert refused.status_code == 422, typed
        assert re.search(r'id="escalation-warn_at-error">.*must be a percentage of at least 1 and below 100, e.g. 80',
                         html), typed
        assert box_value(html, "escalation.warn_at") == typed  # kept as typed
        assert "share between 0 and 1" not in html
    zh = admin.post("/console/standards", {"version": "1", "escalation.warn_at": "150"}, **ZH)
    html = zh.body.decode()
    assert zh.status_code == 422
    assert re.search(r'id="escalation-warn_at-error">.*应为不小于 1、小于 100 的百分数，如 80', html)
    assert "时限用去多少时预警" in html
    # nothing was written, not even the minimum n sent beside the bad box
    after = saved(firm)
    assert after["version"] == 1
    assert after["standards"]["escalation"]["warn_at"] == 0.8 and after["standards"]["survey"]["min_n"] == 5


# --- 2. empty target boxes show what they inherit -----------------------------------------------

def placeholder(html: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}" value="[^"]*"(?: placeholder="([^"]*)")?', html)
    assert found, name
    return found.group(1)


def test_an_empty_target_box_shows_what_it_inherits_in_words_and_saving_it_empty_keeps_inheriting(client, firm):
    admin = Session(client, firm.admin_email)
    # Given the template: all categories 24h / 30 working days, urgent 4h / 7 working days,
    # water leaks 30m (attend 1h, resolve 24h) for any priority
    en = page(admin, "en")
    zh = page(admin, "zh-CN")
    box = "targets.*.normal.first_response"
    assert box_value(en, box) == "" and placeholder(en, box) == "inherited: 24 h"
    assert placeholder(zh, box) == "沿用：24 小时"
    box = "targets.*.low.resolution"
    assert placeholder(en, box) == "inherited: 30 working days" and placeholder(zh, box) == "沿用：30 个工作日"
    # a category's own "any priority" row comes before the priority's row for all categories
    box = "targets.water_leak.urgent.first_response"
    assert placeholder(en, box) == "inherited: 30 min" and placeholder(zh, box) == "沿用：30 分钟"
    box = "targets.water_leak.low.attend"
    assert placeholder(en, box) == "inherited: 1 h" and placeholder(zh, box) == "沿用：1 小时"
    # nothing to inherit: said so
    assert placeholder(en, "targets.*.urgent.update_every") == "none"
    assert placeholder(zh, "targets.*.urgent.update_every") == "不设"
    # the default row's required boxes inherit nothing
    assert placeholder(en, "targets.*.*.first_response") is None

    # Saving with the box still empty writes nothing for it
    kept = admin.post("/console/standards", {"version": "1", "targets.*.normal.first_response": ""})
    assert kept.headers["Location"] == "/console/standards?done=unchanged"
    assert "normal" not in saved(firm)["standards"]["targets"]["*"]

    # Emptying the urgent row's first response: it now inherits the default's 24h
    cleared = admin.post("/console/standards", {"version": "1", "targets.*.urgent.first_response": ""})
    assert cleared.status_code == 303
    assert saved(firm)["standards"]["targets"]["*"]["urgent"] == {"resolution": "7 working days"}
    again = page(admin, "en")
    assert placeholder(again, "targets.*.urgent.first_response") == "inherited: 24 h"


# --- 3. time zones and countries by name --------------------------------------------------------

def options(html: str, name: str) -> dict[str, str]:
    found = re.search(rf'<select id="[^"]*" name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert found, name
    return {v: text for v, text in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1))}


def selected(html: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}"[^>]*>.*?<option value="([^"]*)" selected>', html, re.S)
    return found.group(1) if found else ""


def test_time_zones_and_countries_are_chosen_by_name_in_the_pages_language(client, firm):
    admin = Session(client, firm.admin_email)
    en, zh = page(admin, "en"), page(admin, "zh-CN")
    zones_en, zones_zh = options(en, "calendar.time_zone"), options(zh, "calendar.time_zone")
    assert zones_en["Asia/Shanghai"] == "China (Shanghai) Time" and zones_zh["Asia/Shanghai"] == "中国（上海）时间"
    assert zones_en["Europe/London"] == "United Kingdom Time" and zones_zh["Europe/London"] == "英国时间"
    assert zones_en["America/New_York"] == "United States (New York) Time"
    assert zones_zh["America/New_York"] == "美国（纽约）时间"
    assert {"Asia/Hong_Kong", "Asia/Singapore", "UTC"} <= set(zones_en)
    assert zones_zh["UTC"] == "协调世界时（UTC）"
    assert selected(en, "calendar.time_zone") == "Asia/Shanghai"
    countries_en, countries_zh = options(en, "calendar.country"), options(zh, "calendar.country")
    assert countries_en == {"": "None", "CN": "China", "GB": "United Kingdom", "HK": "Hong Kong SAR China",
                            "SG": "Singapore", "US": "United States"}
    assert countries_zh == {"": "无", "CN": "中国", "GB": "英国", "HK": "中国香港特别行政区", "SG": "新加坡",
                            "US": "美国"}
    assert selected(zh, "calendar.country") == "CN"
    # no IANA name or country code is shown as text on the Chinese page
    assert not re.search(r">[^<]*(Asia/|Europe/|America/|IANA)[^<]*<", zh)

    # Choosing London and the UK's calendar saves the names the API knows
    chosen = admin.post("/console/standards", {"version": "1", "calendar.time_zone": "Europe/London",
                                               "calendar.country": "GB"})
    assert chosen.status_code == 303
    calendar = saved(firm)["standards"]["calendar"]
    assert (calendar["time_zone"], calendar["country"]) == ("Europe/London", "GB")

    # A zone saved through the API that is not a common one is still offered, by name, and chosen
    document = saved(firm)["standards"]
    document["calendar"]["time_zone"] = "Asia/Tokyo"
    document["calendar"].pop("country")
    assert firm.call("PUT", "/api/standards", {"standards": document}, **{"If-Match": '"2"'}).status_code == 200
    document["calendar"]["time_zone"] = "Asia/Dubai"
    assert firm.call("PUT", "/api/standards", {"standards": document}, **{"If-Match": '"3"'}).status_code == 200
    zh = page(admin, "zh-CN")
    assert options(zh, "calendar.time_zone")["Asia/Dubai"] == "阿拉伯联合酋长国时间"
    assert selected(zh, "calendar.time_zone") == "Asia/Dubai" and selected(zh, "calendar.country") == ""


def test_a_forged_zone_or_country_is_refused_beside_its_box_and_nothing_is_written(client, firm):
    admin = Session(client, firm.admin_email)
    refused = admin.post("/console/standards", {"version": "1", "calendar.time_zone": "Mars/Base",
                                                "calendar.country": "XX"}, **ZH)
    html = refused.body.decode()
    assert refused.status_code == 422
    assert re.search(r'id="calendar-time_zone-error">.*请从列表中选择时区', html)
    assert re.search(r'id="calendar-country-error">.*请从列表中选择国家或地区', html)
    assert selected(html, "calendar.time_zone") == "Mars/Base"  # what was sent stays chosen
    en = admin.post("/console/standards", {"version": "1", "calendar.time_zone": "Mars/Base"}, **EN).body.decode()
    assert re.search(r'id="calendar-time_zone-error">.*choose a time zone from the list', en)
    assert saved(firm)["version"] == 1 and saved(firm)["standards"]["calendar"]["time_zone"] == "Asia/Shanghai"


# --- 4. webhook and robot secrets are write-only ------------------------------------------------

SECRET = "SECa1b2c3d4e5f6-do-not-show"
HOOK = "https://oapi.dingtalk.com/robot/send?access_token=abc"


def test_a_robots_secret_is_written_never_shown_and_kept_when_its_box_is_left_empty(client, firm):
    admin = Session(client, firm.admin_email)
    # Given the admin adds a DingTalk robot with its signing secret
    added = admin.post("/console/standards", {
        "version": "1", "escalation.level1.notify[0].channel": "dingtalk",
        "escalation.level1.notify[0].address": HOOK, "escalation.level1.notify[0].secret": SECRET})
    assert added.status_code == 303
    assert stored(firm)["escalation"]["level1"]["notify"] == [
        {"channel": "dingtalk", "url": HOOK, "secret": SECRET}]  # stored, and read masked
    assert saved(firm)["standards"]["escalation"]["level1"]["notify"][0]["secret"] == "********"

    # Then the page says a secret is saved, masked, in both languages, and never carries it
    en, zh = page(admin, "en"), page(admin, "zh-CN")
    for html in (en, zh):
        assert SECRET not in html and "a1b2c3" not in html
        assert box_value(html, "escalation.level1.notify[0].secret") == ""
    assert re.search(r'id="escalation-level1-notify-0-secret-hint">•••• saved. Leave blank to keep it.', en)
    assert re.search(r'id="escalation-level1-notify-0-secret-hint">•••• 已保存。留空即保留原密钥。', zh)
    assert 'aria-describedby="escalation-level1-notify-0-secret-hint"' in en

    # When the page is saved with the box empty (another change beside it), the secret stays
    kept = admin.post("/console/standards", {
        "version": "2", "escalation.level1.notify[0].channel": "dingtalk",
        "escalation.level1.notify[0].address": HOOK, "escalation.level1.notify[0].secret": "",
        "survey.min_n": "3"})
    assert kept.status_code == 303
    after = saved(firm)
    assert after["version"] == 3 and after["standards"]["survey"]["min_n"] == 3
    assert stored(firm)["escalation"]["level1"]["notify"][0]["secret"] == SECRET

    # A page refused for another box does not echo a newly typed secret either
    refused = admin.post("/console/standards", {
        "version": "3", "escalation.level1.notify[0].channel": "dingtalk",
        "escalation.level1.notify[0].address": HOOK, "escalation.level1.notify[0].secret": "SECnew-typed-secret",
        "survey.min_n": "0"}, **EN)
    assert refused.status_code == 422 and "SECnew-typed-secret" not in refused.body.decode()
    assert saved(firm)["version"] == 3

    # A new secret replaces it; "remove" takes it off
    assert admin.post("/console/standards", {
        "version": "3", "escalation.level1.notify[0].channel": "dingtalk",
        "escalation.level1.notify[0].address": HOOK, "escalation.level1.notify[0].secret": "SECrotated"}
    ).status_code == 303
    assert stored(firm)["escalation"]["level1"]["notify"][0]["secret"] == "SECrotated"
    assert admin.post("/console/standards", {
        "version": "4", "escalation.level1.notify[0].channel": "dingtalk",
        "escalation.level1.notify[0].address": HOOK, "escalation.level1.notify[0].secret": "",
        "escalation.level1.notify[0].forget": "true"}).status_code == 303
    assert stored(firm)["escalation"]["level1"]["notify"] == [{"channel": "dingtalk", "url": HOOK}]
    assert "secret-hint" not in page(admin, "en")


def test_a_stale_save_does_not_show_either_sides_secret(client, firm):
    admin = Session(client, firm.admin_email)
    document = saved(firm)["standards"]
    document["escalation"]["level1"]["notify"] = [{"channel": "webhook", "url": "https://ops.example.com/hook",
                                                   "secret": "their-secret-123"}]
    assert firm.call("PUT", "/api/standards", {"standards": document}, **{"If-Match": '"1"'}).status_code == 200
    stale = admin.post("/console/standards", {
        "version": "1", "escalation.level1.notify[0].channel": "webhook",
        "escalation.level1.notify[0].address": "https://ops.example.com/hook",
        "escalation.level1.notify[0].secret": "my-secret-456"}, **EN)
    html = stale.body.decode()
    assert stale.status_code == 409
    assert "their-secret-123" not in html and "my-secret-456" not in html
    assert stored(firm)["escalation"]["level1"]["notify"][0]["secret"] == "their-secret-123"


# --- 5. SERVQUAL dimensions in plain words ------------------------------------------------------

def label_and_hint(html: str, name: str) -> tuple[str, str]:
    box = name.replace(".", "-")
    found = re.search(rf'<label for="{box}">([^<]*)</label>\s*<p class="hint" id="{box}-hint">([^<]*)</p>', html)
    assert found, name
    return found.group(1), found.group(2)


def test_the_servqual_dimensions_are_named_in_plain_words_with_the_term_in_a_hint(client, firm):
    admin = Session(client, firm.admin_email)
    en, zh = page(admin, "en"), page(admin, "zh-CN")
    assert label_and_hint(en, "survey.weights.reliability") == ("Doing what we promised", "SERVQUAL term: Reliability")
    assert label_and_hint(zh, "survey.weights.reliability") == ("说到做到", "SERVQUAL 术语：可靠性")
    assert label_and_hint(en, "survey.weights.tangibles") == ("How the place, equipment and staff look",
                                                               "SERVQUAL term: Tangibles")
    assert label_and_hint(zh, "survey.weights.empathy") == ("体贴关心每位业主", "SERVQUAL 术语：移情性")
    assert 'aria-describedby="survey-weights-reliability-hint"' in en
    assert "How much each part of the service counts" in en and "服务各方面所占分量" in zh
    # weights that do not add up are refused at the group, in words, in Chinese
    refused = admin.post("/console/standards", {"version": "1", "survey.weights.reliability": "50"}, **ZH)
    assert refused.status_code == 422 and 'id="survey-weights-error"' in refused.body.decode()
    assert saved(firm)["version"] == 1


# --- the page in Chromium, at a phone's and a desktop's width --------------------------------------

@pytest.mark.parametrize("width, lang", [(375, "zh-CN"), (1280, "en")])
def test_the_editor_reads_as_people_talk_at_phone_and_desktop_width(browser, base_url, firm, axe, width, lang):
    document = saved(firm)["standards"]
    document["escalation"]["level1"]["notify"] = [{"channel": "dingtalk", "url": HOOK, "secret": SECRET}]
    assert firm.call("PUT", "/api/standards", {"standards": document}, **{"If-Match": '"1"'}).status_code == 200
    words = {"zh-CN": {"inherit": "沿用：24 小时", "zone": "中国（上海）时间", "mask": "•••• 已保存", "dim": "说到做到",
                       "error": "应为不小于 1、小于 100 的百分数"},
             "en": {"inherit": "inherited: 24 h", "zone": "China (Shanghai) Time", "mask": "•••• saved",
                    "dim": "Doing what we promised", "error": "must be a percentage of at least 1 and below 100"}}[lang]
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang,
                                  extra_http_headers={"Accept-Language": lang})
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        sign_in(page, base_url, firm.admin_email, next_path="/console/standards")
        page.wait_for_url(re.compile(r".*/console/standards$"), timeout=WAIT_MS)
        assert page.locator('[name="escalation.warn_at"]').input_value() == "80"
        assert page.locator('[name="targets.*.normal.first_response"]').get_attribute("placeholder") == words["inherit"]
        assert page.locator("#calendar-time_zone option:checked").inner_text() == words["zone"]
        assert page.locator('[name="escalation.level1.notify[0].secret"]').input_value() == ""
        assert words["mask"] in page.locator("#escalation-level1-notify-0-secret-hint").inner_text()
        assert SECRET not in page.content()
        assert page.locator('label[for="survey-weights-reliability"]').inner_text() == words["dim"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.locator("script").count() == 0
        assert_no_blocking_violations(axe, page, f"the standards editor at {width} px ({lang})")
        shot(page, f"console-standards-editor-{width}-{lang}")

        # A bad percentage: refused beside its box, in the page's language, the secret still unsaid
        page.fill('[name="escalation.warn_at"]', "150")
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.click("#standards button.primary")
        assert posted.value.status == 422
        assert words["error"] in page.locator("#escalation-warn_at-error").inner_text()
        assert page.locator('[name="escalation.warn_at"]').input_value() == "150"
        assert SECRET not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_no_blocking_violations(axe, page, f"the standards editor with an error at {width} px ({lang})")
        shot(page, f"console-standards-editor-error-{width}-{lang}")
    finally:
        context.close()
    assert saved(firm)["version"] == 2


# --- 6. escalation recipients chosen from the staff list and the firm's channels ----------------

def test_a_recipient_is_chosen_from_the_staff_list_or_the_firms_channels(client, firm):
    from tests.console.conftest import dynamo_calls
    admin = Session(client, firm.admin_email)
    assert firm.call("POST", "/api/staff", {"email": "wang.wei@example.com", "name": "Wang Wei",
                                            "role": "staff"}).status_code == 201
    document = saved(firm)["standards"]
    document["escalation"]["level1"]["notify"] = [{"channel": "dingtalk", "url": HOOK, "secret": SECRET,
                                                   "name": "Duty desk"}]
    assert firm.call("PUT", "/api/standards", {"standards": document}, **{"If-Match": '"1"'}).status_code == 200

    # The editor offers, in a blank row, the colleagues by name and the firm's robot; still ≤ 3 round trips
    with dynamo_calls() as calls:
        answer = admin.client.http.get("/console/standards", headers=admin.headers(None, **ZH))
    assert answer.status_code == 200 and sum(calls.values()) <= 3, dict(calls)
    zh = answer.body.decode()
    picks = options(zh, "escalation.level2.notify[0].pick")
    assert picks["staff:wang.wei@example.com"] == "Wang Wei (wang.wei@example.com)"
    assert picks["channel:level1:0"] == "Duty desk · 钉钉机器人" and picks[""] == "自行填写"
    assert SECRET not in zh
    # a filled row has no picker
    assert 'name="escalation.level1.notify[0].pick"' not in zh

    # Choosing Wang Wei for level 2 and the duty desk's robot too: saved as the API knows them
    chosen = admin.post("/console/standards", {
        "version": "2", "escalation.level2.notify[0].channel": "", "escalation.level2.notify[0].address": "",
        "escalation.level2.notify[0].pick": "staff:wang.wei@example.com",
        "escalation.level2.notify[1].channel": "", "escalation.level2.notify[1].pick": "channel:level1:0"})
    assert chosen.status_code == 303, chosen.body.decode()[:500]
    level2 = stored(firm)["escalation"]["level2"]
    assert level2["after"] == "4h"
    assert level2["notify"] == [{"channel": "email", "to": "wang.wei@example.com"},
                                {"channel": "dingtalk", "url": HOOK, "secret": SECRET, "name": "Duty desk"}]
    # and the e-mail row now names the colleague
    en = page(admin, "en")
    assert re.search(r'id="escalation-level2-notify-0-address-who">Wang Wei<', en)

    # A forged choice is refused beside its row, in words, and nothing is written
    forged = admin.post("/console/standards", {
        "version": "3", "escalation.level1.notify[0].channel": "dingtalk", "escalation.level1.notify[0].address": HOOK,
        "escalation.level1.notify[1].channel": "", "escalation.level1.notify[1].pick": "fax:123"}, **ZH)
    assert forged.status_code == 422
    assert re.search(r'id="escalation-level1-notify-1-channel-error">.*请从列表中选择渠道', forged.body.decode())
    assert saved(firm)["version"] == 3


# --- reasons that quote what was typed, in Chinese ----------------------------------------------

def test_reasons_that_quote_the_typed_value_are_in_the_pages_language(client, firm):
    admin = Session(client, firm.admin_email)
    refused = admin.post("/console/standards", {
        "version": "1", "targets.*.*.first_response": "abc", "calendar.hours.mon": "9-5",
        "calendar.hours.tue": "08:00-12:00, 11:00-13:00", "survey.weights.reliability": "50"}, **ZH)
    html = refused.body.decode()
    assert refused.status_code == 422
    assert re.search(r'id="targets-\*-\*-first_response-error">.*“abc”不是时长', html)
    assert re.search(r'id="calendar-hours-mon-error">.*“9-5”不是时间段，应写成 08:30-12:00', html)
    assert re.search(r'id="calendar-hours-tue-error">.*08:00-12:00 与 11:00-13:00 重叠', html)
    assert re.search(r'id="survey-weights-error">.*合计应为 100（现为 120）', html)
    assert "is not a" not in html and "add up to" not in html and "overlaps" not in html
    assert saved(firm)["version"] == 1
