"""Hostile input to a resident's report (the public, unauthenticated route): script in every
text field, an oversized body, invalid UTF-8, deeply nested junk and wrong types. Each gets a
clear 4xx or is stored as text and shown escaped; nothing is stored half, nothing is executed,
never a 500.

Not covered here: an "image" whose bytes are a PDF or HTML — there is no photo upload yet."""

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
