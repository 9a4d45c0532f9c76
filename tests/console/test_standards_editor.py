"""The standards editor for people, not engineers (issue 16 item 10): the warning threshold as
a percentage, inherited targets shown in empty boxes, time zones and countries by name,
write-only secrets, SERVQUAL dimensions in plain words. Through the chalice test client in
both languages, values worked out by hand and read back through GET /api/standards; and the
page in Chromium at a phone's and a desktop's width, checked with axe."""

from __future__ import annotations

import re

from tests.console.conftest import Session
from tests.support import body

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def saved(firm) -> dict:
    return body(firm.call("GET", "/api/standards"))


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
    for typed in ("150", "0", "lots", "0.8 of it"):
        refused = admin.post("/console/standards", {"version": "1", "escalation.warn_at": typed,
                                                    "survey.min_n": "3"}, **EN)
        html = refused.body.decode()
        assert refused.status_code == 422, typed
        assert re.search(r'id="escalation-warn_at-error">.*must be a percentage above 0 and below 100, e.g. 80',
                         html), typed
        assert box_value(html, "escalation.warn_at") == typed  # kept as typed
        assert "share between 0 and 1" not in html
    zh = admin.post("/console/standards", {"version": "1", "escalation.warn_at": "150"}, **ZH)
    html = zh.body.decode()
    assert zh.status_code == 422
    assert re.search(r'id="escalation-warn_at-error">.*应为大于 0、小于 100 的百分数，如 80', html)
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
