"""Retention of residents' personal data, travelling in time through the sweep's event time.

Given a closed report with a contact, entry notes, a photo and a rated survey, when the
sweep runs at the firm's periods after the close, then the contact and entry notes go at
the first period and the photo at the second, each said on the timeline, while the facts
and every score stay as they were.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.api.test_escalation import run_sweep
from tests.api.test_photos import bucket_keys, confirm, png, reported, upload
from tests.support import body

JSON = {"Content-Type": "application/json"}


def ticket_of(firm, tid: str) -> dict:
    return body(firm.call("GET", f"/api/tickets/{tid}"))


def resolve(firm, tid: str) -> dict:
    """Acknowledge and resolve: the staff view."""
    ticket = ticket_of(firm, tid)
    for action in ({"type": "acknowledge"}, {"type": "resolve", "note": "Fixed."}):
        answer = firm.event(tid, ticket["version"], action)
        assert answer.status_code == 201, answer.body
        ticket = body(answer)
    return ticket


def close_now(firm, tid: str) -> datetime:
    ticket = ticket_of(firm, tid)
    answer = firm.event(tid, ticket["version"], {"type": "close"})
    assert answer.status_code == 201, answer.body
    return datetime.fromisoformat(body(answer)["closed_at"].replace("Z", "+00:00"))


def raw_head(firm, tid: str):
    from chalicelib.store.models import TicketItem, tenant_pk
    return TicketItem.get(tenant_pk(firm.tenant_id), f"TICKET#{tid}", consistent_read=True)


def references(firm, phone: str) -> list:
    from chalicelib.domain import contacts
    from chalicelib.settings import settings
    from chalicelib.store import contacts as contact_store
    digest = contacts.digest(firm.tenant_id, contacts.parse(phone, "Asia/Shanghai"), settings().contact_pepper)
    return contact_store.references(firm.tenant_id, digest, datetime(2000, 1, 1, tzinfo=timezone.utc))


def scores(firm, when: datetime) -> list:
    month = f"M{when.astimezone(timezone(timedelta(hours=8))):%Y-%m}"
    return [body(firm.call("GET", f"/api/scores?period={month}&by={by}")) for by in ("all", "category")]


def personal_leftovers(firm) -> list[str]:
    """The keys of the firm's items (one Query of its partition) that still hold the
    resident's name or phone number in any form we were given or stored."""
    from chalicelib.store.models import Item, tenant_pk
    needles = ("Li Na", "13800138000", "0013 8000")
    return [i.sk for i in Item.query(tenant_pk(firm.tenant_id), consistent_read=True)
            if any(n in str(i.attribute_values) for n in needles)]


def erasures(ticket: dict) -> list[tuple[str, dict]]:
    return [(e["type"], e["data"]) for e in ticket["timeline"] if e["type"].startswith("retention_")]


def stored_photo_bytes(firm) -> int:
    return body(firm.call("GET", "/api/usage"))["limits"]["photo_bytes"]["used"]


def test_contact_and_entry_go_at_180_days_photos_at_365_and_scores_stay(client, firm, local_stack):
    tid, token = reported(firm)
    key = upload(firm, token, png(), name="tap.png")
    photo = body(confirm(firm, token, key))
    resolved = resolve(firm, tid)
    resolved_at = datetime.fromisoformat(resolved["resolved_at"].replace("Z", "+00:00"))
    run_sweep(client, resolved_at + timedelta(hours=25))  # the survey invitation goes to the phone
    assert any(e["type"] == "survey_sent" for e in ticket_of(firm, tid)["timeline"])
    rated = client.http.post(f"/t/{token}/survey", headers=JSON, body='{"rating": 4}')
    assert rated.status_code == 201, rated.body
    closed_at = close_now(firm, tid)
    photo_key = f"{firm.tenant_id}/photos/{tid}/{photo['id']}.png"
    assert bucket_keys(local_stack, photo_key) == [photo_key]
    stored = stored_photo_bytes(firm)
    assert stored >= photo["bytes"] > 0  # the plan's photo storage counts it (other tests' photos too)
    assert len(references(firm, "+86 138 0013 8000")) == 1
    before = ticket_of(firm, tid)
    held = personal_leftovers(firm)
    assert f"TICKET#{tid}" in held and any(k.startswith("OUTBOX#") for k in held)  # the messages sent
    scores_before = scores(firm, closed_at)

    # a day short of 180: nothing erased
    run_sweep(client, closed_at + timedelta(days=179, hours=23))
    assert ticket_of(firm, tid)["contact"]["phone"] == "+8613800138000"

    # just after 180 days: contact and entry notes gone, photo kept
    swept = run_sweep(client, closed_at + timedelta(days=180, minutes=1))
    assert swept["now"]  # the sweep ran
    after = ticket_of(firm, tid)
    assert after["contact"] == {} and after["entry"] == {}
    assert [p["id"] for p in after["photos"]] == [photo["id"]]
    assert erasures(after) == [("retention_contact_erased", {})]
    head = raw_head(firm, tid)
    assert head.contact.as_dict() == {} and head.entry.as_dict() == {}
    assert "Li Na" not in str(head.attribute_values) and "13800138000" not in str(head.attribute_values)
    assert references(firm, "+86 138 0013 8000") == []  # find-my-reports no longer finds it
    assert personal_leftovers(firm) == []  # nor any message, watch or event
    # the facts stand
    for name in ("number", "status", "category", "urgency", "unit", "description", "created_at", "resolved_at",
                 "closed_at", "first_response_at", "survey", "resolution_met"):
        assert after.get(name) == before.get(name), name
    assert scores(firm, closed_at) == scores_before

    # the same sweep again erases nothing twice
    run_sweep(client, closed_at + timedelta(days=180, minutes=2))
    assert erasures(ticket_of(firm, tid)) == [("retention_contact_erased", {})]

    # after 365 days the photo goes, from the ticket and from S3
    run_sweep(client, closed_at + timedelta(days=365, minutes=1))
    last = ticket_of(firm, tid)
    assert last["photos"] == []
    assert erasures(last) == [("retention_contact_erased", {}), ("retention_photos_erased", {"count": 1})]
    assert bucket_keys(local_stack, photo_key) == []
    assert stored_photo_bytes(firm) == stored - photo["bytes"]  # and no longer counts against the plan
    assert scores(firm, closed_at) == scores_before
    assert last["survey"] == before["survey"] and last["survey"]["rating"] == 4


def test_a_report_resolved_but_not_closed_keeps_its_contact(client, firm):
    tid, _ = reported(firm)
    resolved = resolve(firm, tid)
    resolved_at = datetime.fromisoformat(resolved["resolved_at"].replace("Z", "+00:00"))
    run_sweep(client, resolved_at + timedelta(days=400))
    ticket = ticket_of(firm, tid)
    assert ticket["status"] == "resolved" and ticket["contact"]["name"] == "Li Na" and erasures(ticket) == []


def test_an_admin_shortens_the_periods_and_residents_are_told(client, firm):
    assert body(firm.call("GET", "/api/tenant/retention")) == {"contact_days": 180, "photo_days": 365}
    answer = firm.call("PUT", "/api/tenant/retention", {"contact_days": 30, "photo_days": 90})
    assert answer.status_code == 200, answer.body
    assert body(answer) == {"contact_days": 30, "photo_days": 90}
    assert body(firm.call("GET", "/api/tenant/retention")) == {"contact_days": 30, "photo_days": 90}
    form = client.http.get(f"/r/{firm.slug}", headers={"Accept": "text/html", "Accept-Language": "en"}).body.decode()
    assert "30 days" in form and "90 days" in form and "180 days" not in form
    # the service phone set later keeps the periods
    assert firm.call("PUT", "/api/tenant/resident-page", {"service_phone": "400-820-8820"}).status_code == 200
    assert body(firm.call("GET", "/api/tenant/retention")) == {"contact_days": 30, "photo_days": 90}

    tid, _ = reported(firm)
    resolve(firm, tid)
    closed_at = close_now(firm, tid)
    run_sweep(client, closed_at + timedelta(days=29, hours=23))
    assert ticket_of(firm, tid)["contact"]["name"] == "Li Na"
    run_sweep(client, closed_at + timedelta(days=30, minutes=1))
    assert ticket_of(firm, tid)["contact"] == {}


@pytest.mark.parametrize("payload, field, reason", [
    ({"contact_days": 0, "photo_days": 365}, "contact_days", "must be between 1 and 3650"),
    ({"contact_days": 180, "photo_days": 4000}, "photo_days", "must be between 1 and 3650"),
    ({"contact_days": "soon", "photo_days": 365}, "contact_days", "must be a whole number"),
    ({"photo_days": 365}, "contact_days", None),
])
def test_bad_periods_are_refused_naming_the_field_and_nothing_changes(firm, payload, field, reason):
    answer = firm.call("PUT", "/api/tenant/retention", payload)
    assert answer.status_code == 422, answer.body
    fields = body(answer)["error"]["fields"]
    assert field in fields and (reason is None or fields[field] == reason)
    assert body(firm.call("GET", "/api/tenant/retention")) == {"contact_days": 180, "photo_days": 365}


def test_a_body_that_is_not_json_is_a_400(firm):
    answer = firm.call("PUT", "/api/tenant/retention", "contact_days=30")
    assert answer.status_code == 400, answer.body
