"""Who may open which console page, for EVERY console page (the list comes from the
console's own registry, so a page added later is covered without editing this file):

- signed out: a GET goes to sign-in, a POST changes nothing;
- a staff member: every admin page answers 403;
- a person of another firm: every URL that names this firm's ticket, property, building,
  person or period answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

import re

import pytest

from chalicelib.api.console.session import PAGES
from tests.console.conftest import Session

PARAM = re.compile(r"\{(\w+)\}")

# A form each POST page would accept from this firm's admin, so that another firm's 404 is
# about the record, not about a form the page refuses before it looks anything up.
VALID_FORMS = {
    "/console/tickets/{ticket_id}/events": {"type": "comment", "comment.body": "On my way.",
                                             "comment.visibility": "public", "version": "1"},
    "/console/tickets/{ticket_id}/classify": {"classify.category": "repairs", "classify.urgency": "urgent",
                                               "version": "1"},
    "/console/register/properties/{property_id}/buildings": {"name": "Block 9"},
    "/console/register/properties/{property_id}/units": {"building_id": "{building_id}", "code": "0901",
                                                          "floor": "9"},
    "/console/register/properties/{property_id}/import": {"csv": "building,unit,floor\nBlock 3,0902,9\n"},
    "/console/staff/{staff_id}": {"action": "role", "role": "admin", "version": "1"},
    "/console/register/properties/{property_id}/phone": {"service_phone": "400-820-8820"},
    "/console/inspections/{property_id}/checklist": {"version": "0", "a0.zh": "环境卫生", "a0.en": "Cleanliness",
                                                     "a0.i0.zh": "大堂", "a0.i0.en": "Lobby"},
    "/console/inspections/{property_id}/months/{month}": {"version": "0", "result.lobby": "pass"},
    "/console/inspections/{property_id}/months/{month}/items/{item_key}/ticket": {"version": "1"},
    "/console/tickets/{ticket_id}/merge": {"title": "Lift in Block 3 is down"},
    "/console/incidents/{incident_id}/events": {"type": "update", "body": "The lift runs again.", "version": "1"},
}


@pytest.fixture(scope="module")
def scene(app, client):
    """One firm with a ticket, a staff member and a register; another firm's admin."""
    from tests.support import Firm, body, set_password, unique
    firm = Firm.sign_up(client)
    ticket = firm.new_ticket()
    staff_email = f"{unique('staff')}@example.com"
    invited = firm.call("POST", "/api/staff", {"email": staff_email, "name": "Wang Wei", "role": "staff"})
    assert invited.status_code == 201, invited.body
    set_password(staff_email)
    other = Firm.sign_up(client)
    ids = {"ticket_id": ticket["id"], "property_id": firm.property_id, "building_id": firm.building_id,
           "staff_id": body(invited)["id"], "sub": body(invited)["id"], "period": "M2026-10", "unit": firm.units[0],
           "month": "M2026-10", "item_key": "lifts_work",
           "incident_id": body(firm.call("POST", "/api/incidents", {"title": "Lift down",
                                                                    "tickets": [firm.new_ticket()["id"]]}))["id"]}
    return {"firm": firm, "ids": ids, "admin": Session(client, firm.admin_email),
            "staff": Session(client, staff_email), "other": Session(client, other.admin_email)}


def _url(path: str, ids: dict) -> str:
    missing = [name for name in PARAM.findall(path) if name not in ids]
    assert not missing, f"{path}: teach this test an id for {missing}"
    return PARAM.sub(lambda m: ids[m.group(1)], path)


def _pages(predicate):
    return [(page.path, method) for page in PAGES if predicate(page) for method in page.methods]


def test_every_console_page_is_registered(app):
    assert len(PAGES) >= 8


def test_signed_out_visitors_are_sent_to_sign_in_and_their_posts_change_nothing(client, scene):
    for path, method in _pages(lambda p: p.signed_in):
        url = _url(path, scene["ids"])
        if method == "GET":
            answer = client.http.get(url)
            assert answer.status_code == 303, url
            assert answer.headers["Location"].startswith("/console/signin?next="), url
        else:
            answer = client.http.post(url, headers={"Content-Type": "application/x-www-form-urlencoded"},
                                      body="csrf=guess")
            assert answer.status_code in (401, 403), (url, answer.status_code)


def test_staff_get_403_on_every_admin_page(scene):
    staff = scene["staff"]
    admin_pages = _pages(lambda p: p.admin)
    assert admin_pages, "no admin pages registered"
    for path, method in admin_pages:
        url = _url(path, scene["ids"])
        answer = staff.get(url) if method == "GET" else staff.post(url, {})
        assert answer.status_code == 403, (method, url, answer.status_code)
        assert "Only admins" in answer.body.decode() or "只有管理员" in answer.body.decode()


def test_another_firm_gets_404_on_every_url_that_names_this_firms_records(scene):
    other = scene["other"]
    named = _pages(lambda p: p.signed_in and PARAM.search(p.path))
    for path, method in named:
        url = _url(path, scene["ids"])
        if method == "GET":
            answer = other.get(url)
        else:
            assert path in VALID_FORMS, f"{path}: add a form this page accepts to VALID_FORMS"
            answer = other.post(url, {k: _url(v, scene["ids"]) for k, v in VALID_FORMS[path].items()})
        assert answer.status_code == 404, (method, url, answer.status_code)
    # and the same URLs work for this firm's admin (the 404 is about the tenant, not the URL)
    admin = scene["admin"]
    for path, method in named:
        if method == "GET":
            url = _url(path, scene["ids"])
            answer = admin.get(url)
            assert answer.status_code in (200, 404 if "{period}" in path else 200), (url, answer.status_code)
