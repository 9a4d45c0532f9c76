"""Hostile input to a resident's report (the public, unauthenticated route): script in every
text field, an oversized body, invalid UTF-8, deeply nested junk and wrong types. Each gets a
clear 4xx or is stored as text and shown escaped; nothing is stored half, nothing is executed,
never a 500.

The second part (issue 13) sends values that match a field's pattern but cannot be meant:
impossible dates and times, absurd durations, non-IANA zones, weak ETags, words for booleans,
hidden characters and 40-megapixel photos, on every route that takes them. Files whose bytes
are not an image are tests/api/test_photos.py's."""

from __future__ import annotations

import html
import json
from urllib.parse import urlencode

import pytest

from tests.support import body

SCRIPT = "<script>alert(1)</script>"
ESCAPED = html.escape(SCRIPT, quote=False)  # &lt;script&gt;alert(1)&lt;/script&gt;
JSON_HEADERS = {"Content-Type": "application/json"}
FORM = "application/x-www-form-urlencoded"


def queue(firm) -> list:
    response = firm.call("GET", "/api/tickets")
    assert response.status_code == 200, response.body
    return body(response)["tickets"]


def post(firm, data: bytes | str, content_type: str = "application/json", **headers: str):
    return firm.client.http.post(f"/r/{firm.slug}/tickets", headers={"Content-Type": content_type, **headers},
                                 body=data)


def tracking_html(firm, url: str) -> str:
    response = firm.client.http.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"].startswith("text/html")
    return response.body.decode("utf-8") if isinstance(response.body, bytes) else response.body


def with_script(report: dict, field: str) -> dict:
    if field == "description":
        report["description"] = f"The tap drips. {SCRIPT}"
    elif field == "unit":
        report["unit"] = SCRIPT
    elif field.startswith("contact."):
        report["contact"][field.split(".")[1]] = SCRIPT
    elif field == "entry.pets":
        report["entry"]["pets"] = SCRIPT
    elif field == "entry.windows[0].days":
        report["entry"]["windows"][0]["days"] = [SCRIPT]
    elif field in ("entry.windows[0].from", "entry.windows[0].to"):
        report["entry"]["windows"][0][field.rsplit(".", 1)[1]] = SCRIPT
    else:
        raise AssertionError(field)
    return report


TEXT_FIELDS = ["description", "unit", "contact.name", "contact.phone", "contact.email", "entry.pets",
               "entry.windows[0].days", "entry.windows[0].from", "entry.windows[0].to"]
SHOWN_ON_TRACKING_PAGE = {"description", "unit"}


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_script_in_any_text_field_is_refused_by_name_or_stored_and_shown_escaped(firm, field):
    response = firm.submit(with_script(firm.report(), field))
    assert response.status_code in (201, 422), response.body
    if response.status_code == 422:
        fields = body(response)["error"]["fields"]
        assert any(name == field or name.startswith(field.split("[")[0]) for name in fields), fields
        assert queue(firm) == []
        return
    page = tracking_html(firm, body(response)["ticket"]["tracking_url"])
    assert SCRIPT not in page and "<script" not in page.lower()
    if field in SHOWN_ON_TRACKING_PAGE:
        assert ESCAPED in page
    tickets = queue(firm)
    assert len(tickets) == 1


def test_a_browser_form_full_of_script_is_shown_back_escaped_never_raw(firm):
    """The form path (JS off): everything typed comes back in the re-rendered form or the tracking page."""
    form = {"place": f"{firm.property_id}:{firm.building_id}", "unit": SCRIPT, "category": "repairs",
            "urgency": "normal", "description": f"Tap drips {SCRIPT}", "entry_present": "no",
            "window_day": SCRIPT, "window_from": SCRIPT, "window_to": SCRIPT, "pets": SCRIPT,
            "contact_name": SCRIPT, "contact_phone": SCRIPT, "contact_email": SCRIPT, "lang": "en"}
    response = post(firm, urlencode(form), FORM, Accept="text/html")
    assert response.status_code == 422, response.body
    page = response.body.decode("utf-8")
    assert SCRIPT not in page and "<script" not in page.lower()
    assert ESCAPED in page  # what the resident typed is kept, as text
    assert queue(firm) == []


@pytest.mark.parametrize("content_type", ["application/json", FORM])
def test_a_10_mb_body_is_refused_with_413_and_nothing_is_stored(firm, content_type):
    if content_type == FORM:
        data = urlencode({**{k: v for k, v in firm.report().items() if isinstance(v, str)},
                          "description": "x" * (10 * 1024 * 1024)})
    else:
        data = json.dumps(firm.report(description="x" * (10 * 1024 * 1024)))
    response = post(firm, data, content_type)
    assert response.status_code == 413, response.status_code
    assert queue(firm) == []


def test_invalid_utf8_in_a_json_body_is_a_4xx_and_nothing_is_stored(firm):
    raw = json.dumps(firm.report(description="PLACEHOLDER-TEXT")).encode().replace(b"PLACEHOLDER-TEXT",
                                                                                     b"tap \xff\xfe\xc3\x28 drips")
    response = post(firm, raw)
    assert response.status_code in (400, 422), response.body
    assert body(response)["error"]["fields"]
    assert queue(firm) == []


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_invalid_utf8_in_a_form_body_is_a_4xx_and_nothing_is_stored(firm, accept):
    raw = (f"place={firm.property_id}:{firm.building_id}&unit=1203&category=repairs&urgency=normal"
           f"&entry_present=yes&description=").encode() + b"tap \xff\xfe\xc3\x28 drips"
    response = post(firm, raw, FORM, Accept=accept, **{"Accept-Language": "en-GB,en;q=0.9"})
    assert response.status_code == 400, response.body
    if accept == "text/html":  # a browser gets a page it can show, not JSON
        assert response.headers["Content-Type"].startswith("text/html")
        assert "We could not read what was sent" in response.body.decode() and "Nothing was saved" in response.body.decode()
    else:
        assert body(response)["error"]["fields"] == {"body": "must be UTF-8"}
    assert queue(firm) == []


def test_a_browser_sending_an_oversized_form_gets_a_page_in_its_language(firm):
    raw = "description=" + "x" * (100 * 1024)
    response = post(firm, raw, FORM, Accept="text/html", **{"Accept-Language": "zh-CN"})
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("text/html")
    assert "一次提交的内容过多" in response.body.decode()
    assert queue(firm) == []


def test_percent_encoded_invalid_utf8_in_a_form_is_refused_and_nothing_is_stored(firm):
    raw = (f"place={firm.property_id}:{firm.building_id}&unit=1203&category=repairs&urgency=normal"
           f"&entry_present=yes&description=tap+%FF%FE%C3%28+drips")
    response = post(firm, raw, FORM)
    assert response.status_code == 400, response.body
    assert queue(firm) == []


NESTED = '{"description": ' + "[" * 20_000 + "]" * 20_000 + "}"  # 40 kB: under the 64 kB limit


def test_deeply_nested_json_is_a_4xx_and_nothing_is_stored(firm):
    response = post(firm, NESTED)
    assert response.status_code in (400, 422), (response.status_code, response.body[:300])
    assert queue(firm) == []


def test_moderately_nested_junk_in_a_valid_report_is_422_and_nothing_is_stored(firm):
    junk: object = "x"
    for _ in range(200):
        junk = {"a": [junk]}
    report = firm.report(description=junk, contact={"name": junk}, entry={"present": junk, "windows": junk})
    response = firm.submit(report)
    assert response.status_code == 422, response.body
    fields = body(response)["error"]["fields"]
    assert "description" in fields, fields
    assert queue(firm) == []


WRONG_TYPES = [
    {"description": 42},
    {"description": None},
    {"description": ["The kitchen tap drips all night."]},
    {"unit": 1203},
    {"unit": {"code": "1203"}},
    {"category": ["repairs"]},
    {"urgency": True},
    {"property_id": 7},
    {"contact": "Li Na"},
    {"contact": {"name": ["Li Na"], "phone": 13800138000}},
    {"entry": "whenever"},
    {"entry": {"present": "no", "windows": "sat 09-12"}},
    {"entry": {"present": False, "windows": [{"days": "sat", "from": 9, "to": 12}]}},
    {"entry": {"present": False, "windows": [["sat", "09:00", "12:00"]]}},
    {"entry": {"present": True, "pets": {"cat": 1}}},
    {"nonce": {"$gt": ""}},
]


@pytest.mark.parametrize("overrides", WRONG_TYPES, ids=lambda o: json.dumps(o)[:60])
def test_wrong_types_are_422_and_nothing_is_stored(firm, overrides):
    response = firm.submit(firm.report(**overrides))
    assert response.status_code == 422, (response.status_code, response.body)
    assert body(response)["error"]["fields"]
    assert queue(firm) == []


@pytest.mark.parametrize("document", ["[]", "null", '"a report"', "42", "true", '[{"description": "x"}]', "{}"])
def test_a_body_that_is_not_a_report_object_is_4xx_and_nothing_is_stored(firm, document):
    response = post(firm, document)
    assert response.status_code in (400, 422), (response.status_code, response.body)
    assert queue(firm) == []


# --- issue 13: impossible values that match a field's pattern, through every route that takes them ------
#
# One firm for this part (signing up costs a second): each case checks that nothing was written
# by reading what it would have changed (a ticket's version and timeline, the standards'
# version, the campaign list) before and after.

BIDI_AND_CONTROL = "\u202e\u2066\u200f\u061c\u200b\ufeff\x07\x1b"


@pytest.fixture(scope="module")
def desk(client):
    from tests.support import Firm
    return Firm.sign_up(client)


def refused_with(response, field: str, status: int = 422) -> dict:
    assert response.status_code == status, (response.status_code, response.body)
    error = body(response)["error"]
    assert set(error) == {"code", "message", "fields"} and field in error["fields"], error
    return error["fields"]


def standards_now(firm) -> dict:
    current = firm.call("GET", "/api/standards")
    assert current.status_code == 200, current.body
    return body(current)


ABSURD_STANDARDS = [
    ("targets.*.*.first_response", lambda doc: doc["targets"]["*"]["*"].update(first_response="999999999d")),
    ("targets.*.*.resolution", lambda doc: doc["targets"]["*"]["*"].update(resolution="9" * 400 + " working days")),
    ("targets.*.*.update_every", lambda doc: doc["targets"]["*"]["*"].update(update_every="367d")),
    ("escalation.level2.after", lambda doc: doc.setdefault("escalation", {}).update(
        level2={"after": "999999999d", "notify": []})),
    ("survey.after_resolution", lambda doc: doc.setdefault("survey", {}).update(after_resolution="8785h")),
    ("calendar.time_zone", lambda doc: doc["calendar"].update(time_zone="localtime")),
    ("calendar.holidays[0]", lambda doc: doc["calendar"].update(holidays=["2026-02-30"])),
    ("calendar.holidays[0]", lambda doc: doc["calendar"].update(holidays=["0000-01-01"])),
    ("categories[0].name.en", lambda doc: doc["categories"][0]["name"].update(en="Leak\u202e")),
]


@pytest.mark.parametrize("field,spoil", ABSURD_STANDARDS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(ABSURD_STANDARDS)])
def test_absurd_standards_are_refused_by_field_and_tickets_still_open(desk, field, spoil):
    current = standards_now(desk)
    document = json.loads(json.dumps(current["standards"]))
    spoil(document)
    response = desk.call("PUT", "/api/standards", {"standards": document}, **{"If-Match": f'"{current["version"]}"'})
    refused_with(response, field)
    assert standards_now(desk)["version"] == current["version"]
    assert desk.call("POST", "/api/tickets", desk.report()).status_code == 201


def test_sign_up_refuses_a_zone_that_is_not_iana_and_keeps_nothing(client):
    from tests.support import unique
    slug = unique("zone")
    signup = {"name": "Harmony", "slug": slug, "locale": "en", "admin_email": f"admin-{slug}@example.com",
              "template": "prc-residential"}
    for zone in ("localtime", "Factory", "posixrules", "GMT+8", "../../etc/localtime"):
        response = client.http.post("/signup", headers=JSON_HEADERS, body=json.dumps({**signup, "time_zone": zone}))
        refused_with(response, "time_zone")
    assert client.http.get(f"/r/{slug}", headers={"Accept": "text/html"}).status_code == 404
    created = client.http.post("/signup", headers=JSON_HEADERS, body=json.dumps({**signup, "time_zone": "UTC"}))
    assert created.status_code == 201, created.body  # the slug and the e-mail were not taken


@pytest.fixture(scope="module")
def acknowledged(desk) -> str:
    ticket = desk.new_ticket()
    assert desk.event(ticket["id"], ticket["version"], {"type": "acknowledge"}).status_code == 201
    return ticket["id"]


def ticket_state(firm, ticket_id: str) -> tuple[int, int]:
    view = body(firm.call("GET", f"/api/tickets/{ticket_id}"))
    return view["version"], len(view["timeline"])


@pytest.mark.parametrize("at", [
    "2026-13-01T10:00:00+08:00", "2026-11-28T25:61+08:00", "2026-11-28T25:00:00+08:00", "2026-11-28T10:00:00+99:99",
    "2026-11-28T10:00:00+14:01", "2026-02-30T10:00:00+08:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
    "2026-11-28T10:00:00", "２０２６-１１-２８T10:00:00+08:00", 1796400000, True, ["2026-11-28T10:00:00+08:00"],
])
def test_an_impossible_visit_time_is_refused_under_at_and_writes_nothing(desk, acknowledged, at):
    before = ticket_state(desk, acknowledged)
    response = desk.event(acknowledged, before[0], {"type": "schedule", "at": at})
    refused_with(response, "at")
    assert ticket_state(desk, acknowledged) == before


@pytest.mark.parametrize("if_match", ['W/"{v}"', 'w/"{v}"', "*", '"{v}", "{v}"', '"{v}', '"１"',
                                      '"' + "9" * 5000 + '"'])
def test_a_weak_or_malformed_if_match_is_refused_on_every_route_that_takes_one(desk, acknowledged, if_match):
    version, events = ticket_state(desk, acknowledged)
    header = {"If-Match": if_match.format(v=version)}
    refused_with(desk.call("POST", f"/api/tickets/{acknowledged}/events", {"type": "comment", "body": "hi"}, **header),
                 "If-Match")
    refused_with(desk.call("PATCH", f"/api/tickets/{acknowledged}", {"urgency": "urgent"}, **header), "If-Match")
    assert ticket_state(desk, acknowledged) == (version, events)
    current = standards_now(desk)
    header = {"If-Match": if_match.format(v=current["version"])}
    refused_with(desk.call("PUT", "/api/standards", {"standards": current["standards"]}, **header), "If-Match")
    assert standards_now(desk)["version"] == current["version"]


def test_a_weak_if_match_on_a_staff_change_is_refused(desk):
    sub, _ = desk.add_staff()
    refused_with(desk.call("PATCH", f"/api/staff/{sub}", {"role": "admin"}, **{"If-Match": 'W/"1"'}), "If-Match")
    person = next(p for p in body(desk.call("GET", "/api/staff"))["staff"] if p["id"] == sub)
    assert person["role"] == "staff"


def campaign_count(firm) -> int:
    return len(body(firm.call("GET", "/api/campaigns"))["campaigns"])


@pytest.mark.parametrize("field,change", [
    ("opens_on", {"opens_on": "2026-02-30"}), ("opens_on", {"opens_on": "0000-01-01"}),
    ("closes_on", {"closes_on": "2026-13-01"}), ("closes_on", {"closes_on": "9999-12-31"}),
    ("opens_on", {"opens_on": 20261201}), ("closes_on", {"closes_on": "2026-11-30"}),
    ("expectations", {"expectations": "yes"}), ("importance", {"importance": "no"}), ("importance", {"importance": 1}),
])
def test_a_campaign_with_an_impossible_date_or_a_word_for_a_boolean_is_refused(desk, field, change):
    before = campaign_count(desk)
    good = {"name": "Q4 survey", "property_ids": [desk.property_id], "opens_on": "2026-12-01",
            "closes_on": "2026-12-31"}
    refused_with(desk.call("POST", "/api/campaigns", {**good, **change}), field)
    assert campaign_count(desk) == before


@pytest.mark.parametrize("entry", [{"present": "yes"}, {"present": "no", "windows": []}, {"present": 1}])
def test_a_report_with_a_word_for_a_boolean_is_refused(desk, entry):
    before = len(queue(desk))
    refused_with(desk.submit(desk.report(entry=entry)), "entry.present")
    assert len(queue(desk)) == before


def test_a_staff_change_with_a_word_for_a_boolean_is_refused(desk):
    sub, _ = desk.add_staff()
    refused_with(desk.call("PATCH", f"/api/staff/{sub}", {"active": "no"}), "active")
    assert next(p for p in body(desk.call("GET", "/api/staff"))["staff"] if p["id"] == sub)["active"] is True


def test_hidden_characters_never_reach_staff_but_chinese_and_emoji_do(desk):
    description = f"厨房水管漏水 👩‍🔧{BIDI_AND_CONTROL}\n第二行\tTab 🙏"
    report = desk.report(description=description, contact={"name": f"李{BIDI_AND_CONTROL}娜"},
                         entry={"present": True, "pets": f"cat\u202e{BIDI_AND_CONTROL}"})
    created = desk.submit(report)
    assert created.status_code == 201, created.body
    number = body(created)["ticket"]["number"]
    ticket = next(t for t in queue(desk) if t["number"] == number)
    view = body(desk.call("GET", f"/api/tickets/{ticket['id']}"))
    assert view["description"] == "厨房水管漏水 👩‍🔧\n第二行\tTab 🙏"
    assert view["contact"]["name"] == "李娜" and view["entry"]["pets"] == "cat"
    comment = desk.event(ticket["id"], view["version"], {"type": "comment", "body": "Done\u202e\u2067 ✅"})
    assert comment.status_code == 201, comment.body
    timeline = body(desk.call("GET", f"/api/tickets/{ticket['id']}"))["timeline"]
    assert timeline[-1]["data"]["body"] == "Done ✅"


def test_a_name_of_only_hidden_characters_is_missing(desk):
    refused_with(desk.call("POST", "/api/properties", {"name": "\u202e\u200f\u2066"}), "name")


def test_a_photo_over_40_megapixels_is_refused_in_json_and_on_the_residents_page(desk, local_stack):
    from tests.api.test_photos import bucket_keys, confirm, reported, upload
    from tests.unit.test_photo_pixels import png_claiming
    tid, token = reported(desk)
    key = upload(desk, token, png_claiming(40000, 40000))
    fields = refused_with(confirm(desk, token, key), "photo")
    assert "40 megapixels" in fields["photo"]
    assert bucket_keys(local_stack, key) == []
    key = upload(desk, token, png_claiming(8000, 5001))
    page = desk.client.http.get(f"/t/{token}/photos/added?key={key}&lang=zh-CN", headers={"Accept": "text/html"})
    assert page.status_code == 422
    assert "照片不能超过 4000 万像素" in page.body.decode()
    assert body(desk.call("GET", f"/api/tickets/{tid}"))["photos"] == []


@pytest.mark.parametrize("answer", ["maybe", "true", "1"])
def test_the_report_form_takes_only_the_yes_and_no_it_offers(desk, answer):
    before = len(queue(desk))
    form = {"place": f"{desk.property_id}:{desk.building_id}", "unit": "1203", "category": "repairs",
            "urgency": "normal", "description": "The tap drips all night", "entry_present": answer, "lang": "zh-CN"}
    response = post(desk, urlencode(form), FORM, Accept="text/html")
    assert response.status_code == 422, response.body
    page = response.body.decode()
    assert 'id="entry_present-error"' in page and "请说明工作人员能否在您不在时入户" in page
    assert len(queue(desk)) == before
