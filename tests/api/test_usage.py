"""Metering and plans (issue 17 item 6): a firm's month in counters, written with the change
they count; a plan's limits refuse admins (never residents), hold SMS past the month's
allowance, and tell the firm's admins once by e-mail."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from bench.dynamo_calls import aws_calls
from chalicelib.domain.metering import month_of
from chalicelib.services import escalation
from chalicelib.store import metering as usage_store
from tests.support import Firm, body


@pytest.fixture
def fresh(client):
    return Firm.sign_up(client)


def test_reports_staff_events_and_api_requests_are_counted_for_the_firm_alone(client, fresh, other_firm):
    # Given a firm whose sign-up made 4 API calls (a property, a building, two units)
    assert fresh.submit().status_code == 201  # a resident's report (not an API call)
    ticket = fresh.new_ticket()  # the 5th API call, and the second report
    assert fresh.event(ticket["id"], ticket["version"], {"type": "acknowledge"}).status_code == 201  # the 6th
    # When the admin reads the usage (the 7th call, still in this process's tally)
    answer = fresh.call("GET", "/api/usage")
    # Then
    assert answer.status_code == 200, answer.body
    usage = body(answer)
    this = usage["this_month"]
    assert this["month"] == month_of(datetime.now(timezone.utc))
    assert {k: this["counters"][k] for k in ("reports", "staff_events", "photos", "msg_sms")} == \
        {"reports": 2, "staff_events": 1, "photos": 0, "msg_sms": 0}
    assert this["counters"]["api_requests"] == 6  # a floor: what was handed on with the firm's writes
    assert usage["plan"] == "standard"
    assert usage["limits"]["properties"] == {"limit": 100, "used": 1, "reached": False}
    assert usage["limits"]["staff_seats"] == {"limit": 50, "used": 1, "reached": False}
    assert usage["last_month"]["counters"]["reports"] == 0
    # and another firm's month shows none of it
    theirs = body(other_firm.call("GET", "/api/usage"))["this_month"]["counters"]
    assert theirs["staff_events"] == 0


def _usage_updates(calls) -> list[dict]:
    return [item["Update"] for _, op, params in calls if op == "TransactWriteItems"
            for item in params["TransactItems"] if "Update" in item and item["Update"]["Key"]["sk"]["S"].startswith(
                "USAGE#")]


def test_counting_a_report_or_a_staff_event_costs_no_extra_round_trip(client, fresh):
    with aws_calls(params=True) as submit:
        assert fresh.submit().status_code == 201
    ticket = fresh.new_ticket()
    with aws_calls(params=True) as event:
        assert fresh.event(ticket["id"], ticket["version"], {"type": "acknowledge"}).status_code == 201
    # the same round trips as before metering (the ticket number, then the one transaction; the
    # change's reads, then its transaction), the counters one more item inside that transaction
    assert [op for svc, op, _ in submit if svc == "dynamodb"] == ["UpdateItem", "TransactWriteItems"]
    assert [op for svc, op, _ in event if svc == "dynamodb"] == ["BatchGetItem", "TransactWriteItems"]
    [report_usage], [event_usage] = _usage_updates(submit), _usage_updates(event)
    assert "u_reports" in report_usage["ExpressionAttributeNames"].values()
    assert "u_staff_events" in event_usage["ExpressionAttributeNames"].values()


def test_at_the_property_limit_the_admin_is_refused_with_the_field_and_told_once(client, messaging_profile):
    firm = Firm.sign_up(client, locale="zh-CN")  # one property
    usage_store.set_plan(firm.tenant_id, "free")  # three properties
    for name in ("Second court", "Third court"):
        assert firm.call("POST", "/api/properties", {"name": name}).status_code == 201
    refused = firm.call("POST", "/api/properties", {"name": "Fourth court"})
    assert refused.status_code == 403
    assert body(refused)["error"]["code"] == "plan_limit_reached"
    assert body(refused)["error"]["fields"] == {
        "properties": "the plan allows 3 properties; change the plan to add more"}
    assert firm.call("POST", "/api/properties", {"name": "Fourth court"}).status_code == 403  # again: no 2nd mail
    assert len(body(firm.call("GET", "/api/properties"))["properties"]) == 3
    escalation.deliver(datetime.now(timezone.utc) + timedelta(minutes=1))
    mails = [m for m in messaging_profile.mails() if firm.admin_email in m["to"]]
    assert len(mails) == 1
    assert "套餐上限" in mails[0]["subject"] and "物业项目" in mails[0]["subject"]


def test_past_the_months_sms_the_report_is_taken_and_its_sms_is_held_not_sent(client, messaging_profile):
    firm = Firm.sign_up(client)
    usage_store.set_plan(firm.tenant_id, "free")  # 200 SMS a month
    when = datetime.now(timezone.utc) + timedelta(hours=12)  # past any quiet hours and the hold
    usage_store.add(firm.tenant_id, when, {"msg_sms": 200})
    number = f"+86139{uuid.uuid4().int % 10 ** 8:08d}"
    report = firm.report(contact={"name": "Li Na", "phone": number})
    assert firm.submit(report).status_code == 201  # never refused because of a plan
    escalation.deliver(when)
    assert not [t for t in messaging_profile.texts() if t["to"] == number]
    held = body(firm.call("GET", "/api/notifications?status=held"))["notifications"]
    assert [n["kind"] for n in held] == ["resident_update"]
    assert "SMS" in held[0]["last_error"]
    counters = usage_store.month_raw(firm.tenant_id, month_of(when))
    assert counters.get("sms_held") == 1 and counters.get("msg_sms") == 200
    escalation.deliver(when + timedelta(minutes=1))  # the admins' e-mail about it goes like any message
    mails = [m for m in messaging_profile.mails() if firm.admin_email in m["to"]]
    assert len(mails) == 1 and "SMS this month" in mails[0]["subject"]


def test_staff_cannot_read_the_usage(client, fresh):
    _, staff_token = fresh.add_staff()
    assert fresh.call("GET", "/api/usage", token=staff_token).status_code == 403
