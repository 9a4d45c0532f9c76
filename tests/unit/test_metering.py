"""Usage months, plans and their limits (domain/metering.py): pure, no AWS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import metering
from chalicelib.domain.messages import render
from chalicelib.domain.tickets import Actor, Event


def test_a_month_is_the_utc_calendar_month():
    # 2026-12-01 07:59 in Shanghai is still November 30th, 23:59 UTC
    shanghai = timezone(timedelta(hours=8))
    assert metering.month_of(datetime(2026, 12, 1, 7, 59, tzinfo=shanghai)) == "M2026-11"
    assert metering.month_of(datetime(2026, 12, 1, 8, 0, tzinfo=shanghai)) == "M2026-12"
    assert metering.month_of(datetime(2026, 3, 5, 12, 0)) == "M2026-03"  # naive: read as UTC


def test_the_month_before_january_is_last_years_december():
    assert metering.previous_month("M2027-01") == "M2026-12"
    assert metering.previous_month("M2026-10") == "M2026-09"


def test_plans_are_declared_once_with_every_limit():
    assert set(metering.PLANS) == {"free", "standard"}
    assert metering.PLANS["free"].limits() == {"staff_seats": 5, "properties": 3, "sms_per_month": 200,
                                               "photo_bytes": 1073741824}
    assert metering.PLANS["standard"].limits() == {"staff_seats": 50, "properties": 100, "sms_per_month": 5000,
                                                   "photo_bytes": 53687091200}


def test_a_firm_without_a_plan_or_with_an_unknown_one_is_on_the_default_plan():
    assert metering.plan_of(None).name == "standard"
    assert metering.plan_of("gold").name == "standard"
    assert metering.plan_of("free").name == "free"


def test_room_under_a_limit_counts_what_is_added():
    free = metering.PLANS["free"]
    assert metering.room_for(free, "staff_seats", 4)  # the 5th seat
    assert not metering.room_for(free, "staff_seats", 5)
    assert not metering.room_for(free, "properties", 2, adding=2)


def test_the_200th_sms_goes_and_the_201st_is_held_on_free():
    free = metering.PLANS["free"]
    assert metering.sms_allowed(free, 199)
    assert not metering.sms_allowed(free, 200)


def test_a_delivered_message_counts_by_channel_and_an_sms_by_its_segments():
    assert metering.delivered("sms", 3) == {"msg_sms": 1, "sms_segments": 3}
    assert metering.delivered("sms", 0) == {"msg_sms": 1, "sms_segments": 1}
    assert metering.delivered("email") == {"msg_email": 1}
    assert metering.delivered("dingtalk") == {"msg_webhook": 1}


class _Ticket:
    photos = [{"id": "p1", "type": "jpeg", "bytes": 123456}]


def _event(kind: str, actor: str, data: dict | None = None) -> Event:
    return Event(id="e", type=kind, at=datetime(2026, 12, 5, tzinfo=timezone.utc), actor=Actor(actor), public=True,
                 data=data or {})


def test_staff_events_and_photos_are_counted_from_the_event():
    assert metering.ticket_event(_event("acknowledged", "staff"), _Ticket()) == {"staff_events": 1}
    assert metering.ticket_event(_event("photo_added", "resident", {"photo": "p1"}), _Ticket()) == \
        {"photos": 1, "photo_bytes": 123456}
    assert metering.ticket_event(_event("reply", "resident"), _Ticket()) == {}
    assert metering.ticket_event(_event("escalated", "system"), _Ticket()) == {}


def test_the_usage_view_shows_both_months_and_each_limit_with_its_use():
    view = metering.usage_view(metering.PLANS["free"], "M2026-12", {"reports": 7, "msg_sms": 200}, "M2026-11",
                               {"reports": 2}, {"staff_seats": 2, "properties": 3, "photo_bytes": 10})
    assert view["plan"] == "free"
    assert view["this_month"]["counters"]["reports"] == 7
    assert view["this_month"]["counters"]["photos"] == 0
    assert view["last_month"] == {"month": "M2026-11", "counters": {**{c: 0 for c in metering.COUNTERS}, "reports": 2}}
    assert view["limits"]["sms_per_month"] == {"limit": 200, "used": 200, "reached": True}
    assert view["limits"]["properties"] == {"limit": 3, "used": 3, "reached": True}
    assert view["limits"]["staff_seats"] == {"limit": 5, "used": 2, "reached": False}


@pytest.mark.parametrize("locale, words", [("zh-CN", "员工席位"), ("en", "staff seats")])
def test_the_admins_email_names_the_limit_in_the_firms_language(locale, words):
    message = render("plan_limit", locale, {"limit": "staff_seats", "value": "5", "firm": "Acme"})
    assert words in message.subject
    assert "Acme" in message.text and "5" in message.text
    if locale == "zh-CN":
        assert "staff" not in message.text.lower() and "plan" not in message.text.lower()


def test_the_cost_model_takes_a_months_counters_in_place_of_its_stated_profile():
    from bench import cost
    routes = {"POST /r/{slug}/tickets": {"dynamodb_calls": 2, "read_units": 0.0, "write_units": 10.0},
              "POST /api/tickets/{id}/events (acknowledge)": {"dynamodb_calls": 2, "read_units": 2.0,
                                                               "write_units": 5.0}}
    # stated profile: 72 reports x 10 + 400 events x 5 + the jobs' 80 tickets x 2.5 steps x 7 units
    modelled = cost.model(routes)
    assert modelled["write_units"] == 72 * 10 + 400 * 5 + 1400
    # a month of counters: 30 reports, 100 staff events, 12 e-mails
    fed = cost.model(routes, usage={"reports": 30, "staff_events": 100, "photos": 0, "msg_email": 12, "msg_sms": 3})
    assert fed["write_units"] == 30 * 10 + 100 * 5 + 1400
    assert fed["read_units"] == round(100 * 2.0 + (43200 * 8 * 0.5 + 720 * 8 * 0.5) / 1000, 1)
    assert fed["cost_usd"]["ses_email"] == round(12 * 0.10 / 1000, 4)
    assert fed["sms_messages_not_priced"] == 3
    assert [row["what"] for row in fed["profile"]] == ["resident reports", "staff ticket events"]


def test_a_photo_the_ticket_no_longer_holds_or_without_a_size_counts_no_bytes():
    assert metering.ticket_event(_event("photo_added", "resident", {"photo": "gone"}), _Ticket()) == \
        {"photos": 1, "photo_bytes": 0}

    class Unsized:
        photos = [{"id": "p2", "type": "png"}]
    assert metering.ticket_event(_event("photo_added", "staff", {"photo": "p2"}), Unsized()) == \
        {"staff_events": 1, "photos": 1, "photo_bytes": 0}


def test_a_new_firms_usage_view_has_nothing_used():
    view = metering.usage_view(metering.PLANS["free"], "M2026-12", {}, "M2026-11", {}, {})
    assert view["this_month"] == {"month": "M2026-12", "counters": {c: 0 for c in metering.COUNTERS}}
    assert view["limits"] == {"staff_seats": {"limit": 5, "used": 0, "reached": False},
                              "properties": {"limit": 3, "used": 0, "reached": False},
                              "sms_per_month": {"limit": 200, "used": 0, "reached": False},
                              "photo_bytes": {"limit": 1073741824, "used": 0, "reached": False}}
    stored = metering.usage_view(metering.PLANS["free"], "M2026-12", {}, "M2026-11", {}, {"photo_bytes": 1073741824})
    assert stored["limits"]["photo_bytes"] == {"limit": 1073741824, "used": 1073741824, "reached": True}


def test_the_usage_month_does_not_depend_on_the_hosts_zone(host_in_shanghai):
    assert metering.month_of(datetime(2026, 4, 1, 2, 0)) == "M2026-04"  # naive: UTC, not the host's 1 April 02:00
    assert metering.month_of(datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc)) == "M2026-11"  # 04:00 1 Dec in Shanghai
