"""Service standards and exactly-once escalation, travelling in time through event times."""

from __future__ import annotations

import copy
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from infra.local.webhook_sink import start_sink
from tests.support import body


@pytest.fixture
def sink():
    server, url, received = start_sink()
    yield server, url, received
    server.stop()


def with_chain(firm, notify: list[dict], *, warn_at: float = 0.5, level2_after: str = "1h") -> dict:
    """Give the firm a chain and calendar-time targets for 'repairs' (so times are easy)."""
    current = body(firm.call("GET", "/api/standards"))
    doc = copy.deepcopy(current["standards"])
    doc["targets"]["repairs"] = {"*": {"first_response": "1h", "resolution": "4h"}}
    doc["escalation"] = {"warn_at": warn_at, "level1": {"notify": notify},
                         "level2": {"after": level2_after, "notify": []}}
    response = firm.call("PUT", "/api/standards", {"standards": doc}, **{"If-Match": f'"{current["version"]}"'})
    assert response.status_code == 200, response.body
    return body(response)


def report_at(firm, when: datetime, **overrides) -> str:
    from chalicelib.services import tickets as service
    answer, _ = service.submit_report(firm.slug, firm.report(description=f"Leaking tap at {when.isoformat()}",
                                                             **overrides), now=when)
    queue = body(firm.call("GET", "/api/tickets"))["tickets"]
    return next(t["id"] for t in queue if t["number"] == answer["ticket"]["number"])


def run_sweep(client, when: datetime) -> dict:
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=["arn:aws:events:us-east-1:123456789012:rule/sla_sweep"])
    event["time"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return client.lambda_.invoke("sla_sweep", event).payload


def escalations_of(firm, ticket_id: str) -> list[str]:
    timeline = body(firm.call("GET", f"/api/tickets/{ticket_id}"))["timeline"]
    return [f'{e["data"]["promise"]}:{e["data"]["step"]}' for e in timeline if e["type"] == "escalated"]


def test_a_breach_warns_then_escalates_twice_each_once(client, firm, sink):
    server, url, received = sink
    with_chain(firm, [{"channel": "webhook", "url": f"{url}/hook", "secret": "s3cret"}])
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=400)
    ticket = report_at(firm, t0)

    run_sweep(client, t0 + timedelta(minutes=29))
    assert escalations_of(firm, ticket) == []
    run_sweep(client, t0 + timedelta(minutes=31))  # half-way to the 1 h first response
    run_sweep(client, t0 + timedelta(minutes=31))  # the same event again
    assert escalations_of(firm, ticket) == ["first_response:warn"]
    run_sweep(client, t0 + timedelta(minutes=61))
    assert escalations_of(firm, ticket) == ["first_response:warn", "first_response:level1"]
    run_sweep(client, t0 + timedelta(minutes=121))  # level 2 an hour after the breach; resolution half-way
    assert escalations_of(firm, ticket) == ["first_response:warn", "first_response:level1",
                                            "first_response:level2", "resolution:warn"]
    told = sorted((r.body["ticket"]["promise"], r.body["event"]) for r in received)
    assert told == [("first_response", "sla_breach_level1"), ("first_response", "sla_breach_level2"),
                    ("first_response", "sla_warning"), ("resolution", "sla_warning")]
    view = body(firm.call("GET", f"/api/tickets/{ticket}"))
    assert not any(e["public"] for e in view["timeline"] if e["type"] == "escalated")  # residents never see these


def test_acting_in_time_means_nobody_is_told(client, firm, sink):
    server, url, received = sink
    with_chain(firm, [{"channel": "webhook", "url": f"{url}/hook", "secret": "s3cret"}])
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=401)
    ticket = report_at(firm, t0)
    from chalicelib.domain.identity import Identity
    from chalicelib.services import tickets as service
    service.record_event(Identity(firm.tenant_id, firm.admin_sub, "admin", "Ada"), ticket,
                         {"type": "acknowledge"}, '"1"', now=t0 + timedelta(minutes=10))
    run_sweep(client, t0 + timedelta(minutes=65))
    assert escalations_of(firm, ticket) == []  # the first response was met in time
    run_sweep(client, t0 + timedelta(hours=2, minutes=1))  # half-way to the 4 h resolution
    assert escalations_of(firm, ticket) == ["resolution:warn"]
    assert len(received) == 1


def test_three_overlapping_sweeps_and_a_repeat_notify_each_recipient_once(client, firm, sink):
    from chalicelib.services import escalation
    server, url, received = sink
    with_chain(firm, [{"channel": "webhook", "url": f"{url}/a", "secret": "s1"},
                      {"channel": "webhook", "url": f"{url}/b", "secret": "s2"}], warn_at=0.5)
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=402)
    ticket = report_at(firm, t0)
    when = t0 + timedelta(minutes=61)  # warn and level1 both due
    start = threading.Barrier(3)

    def one_sweep(_):
        start.wait()
        return escalation.sweep(when)

    with ThreadPoolExecutor(max_workers=3) as pool:
        reports = list(pool.map(one_sweep, range(3)))
    run_sweep(client, when)  # a repeated EventBridge event, which also delivers
    mine = [f for r in reports for f in r.fired if f.startswith(ticket)]
    assert sorted(s.split(":")[-1] for s in mine) == ["level1", "warn"]  # each step fired by one sweep only
    paths = sorted((r.path, r.body["event"]) for r in received)
    assert paths == [("/a", "sla_breach_level1"), ("/a", "sla_warning"),
                     ("/b", "sla_breach_level1"), ("/b", "sla_warning")]


def test_a_flaky_webhook_is_retried_and_delivered_once(client, firm, sink):
    from chalicelib.services import escalation
    server, url, received = sink
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=403)
    escalation.deliver(t0)  # what earlier tests left in the outbox (residents' messages) goes first
    server.reset(fail_first=2)
    with_chain(firm, [{"channel": "webhook", "url": f"{url}/flaky", "secret": "s"}], warn_at=0.9)
    report_at(firm, t0, contact={})  # no resident to tell: the webhook's deliveries alone are counted
    when = t0 + timedelta(minutes=55)  # the warning only
    escalation.sweep(when)
    outcomes = [escalation.deliver(when + timedelta(minutes=m)) for m in (0, 1, 3, 7)]
    assert [o.sent for o in outcomes] == [0, 0, 1, 0]
    assert [r.status for r in received] == [500, 500, 200]
    sent = body(firm.call("GET", "/api/notifications?status=sent"))["notifications"]
    assert len(sent) == 1 and sent[0]["attempts"] == 3 and "secret" not in sent[0]["channel"]


def test_a_dead_webhook_is_marked_failed_for_admins_and_nothing_is_lost(client, firm, sink):
    from chalicelib.services import escalation
    server, url, received = sink
    server.reset(always_fail=True)
    with_chain(firm, [{"channel": "webhook", "url": f"{url}/dead", "secret": "s"}], warn_at=0.9)
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=404)
    report_at(firm, t0)
    when = t0 + timedelta(minutes=55)
    escalation.sweep(when)
    for minutes in (0, 1, 3, 7, 15, 31, 63):
        escalation.deliver(when + timedelta(minutes=minutes))
    assert len(received) == 5  # MAX_ATTEMPTS, then no more
    failed = body(firm.call("GET", "/api/notifications?status=failed"))["notifications"]
    assert len(failed) == 1 and failed[0]["attempts"] == 5 and "500" in failed[0]["last_error"]


def test_bad_standards_are_refused_with_every_path_and_nothing_is_saved(firm):
    current = body(firm.call("GET", "/api/standards"))
    doc = copy.deepcopy(current["standards"])
    doc["targets"]["water_leak"]["*"]["first_response"] = "-30m"
    doc["targets"]["plumbing"] = {"*": {"resolution": "2d"}}
    doc["calendar"]["hours"]["mon"] = ["08:30-12:00", "11:00-13:00"]
    doc["calendar"]["time_zone"] = "Mars/Olympus"
    doc["escalation"] = {"warn_at": 1.5, "level1": {"notify": [{"channel": "fax", "to": "123"}]}}
    response = firm.call("PUT", "/api/standards", {"standards": doc}, **{"If-Match": f'"{current["version"]}"'})
    assert response.status_code == 422
    fields = body(response)["error"]["fields"]
    assert {"targets.water_leak.*.first_response", "targets.plumbing", "calendar.hours.mon", "calendar.time_zone",
            "escalation.warn_at", "escalation.level1.notify[0].channel"} <= set(fields)
    assert "longer than zero" in fields["targets.water_leak.*.first_response"]
    after = body(firm.call("GET", "/api/standards"))
    assert after == current


def test_standards_changes_need_the_current_version_and_are_kept_in_history(firm):
    current = body(firm.call("GET", "/api/standards"))
    doc = copy.deepcopy(current["standards"])
    doc["targets"]["*"]["*"]["first_response"] = "12h"
    first = firm.call("PUT", "/api/standards", {"standards": doc}, **{"If-Match": f'"{current["version"]}"'})
    assert first.status_code == 200 and body(first)["version"] == current["version"] + 1
    stale = firm.call("PUT", "/api/standards", {"standards": doc}, **{"If-Match": f'"{current["version"]}"'})
    assert stale.status_code == 409
    history = body(firm.call("GET", "/api/standards/history"))["versions"]
    assert [v["version"] for v in history] == [2, 1]
    assert history[0]["changes"] == ["targets.*.*.first_response: 24h → 12h"]
    # the new promise applies to new tickets at once (the intake summary moved in the same transaction)
    ticket = body(firm.submit(firm.report(description="After the change")))
    created = datetime.fromisoformat(ticket["ticket"]["created_at"].replace("Z", "+00:00"))
    due = datetime.fromisoformat(ticket["promised"]["first_response_by"].replace("Z", "+00:00"))
    assert due - created == timedelta(hours=12)


def next_saturday_ten(after: datetime) -> datetime:
    from zoneinfo import ZoneInfo
    local = after.astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)
    while local.weekday() != 5:
        local += timedelta(days=1)
    return local.replace(hour=10, minute=0, second=0, microsecond=0)


def test_a_visit_is_booked_in_the_residents_window_and_they_are_reminded_the_day_before_and_the_hour_before(
        client, firm):
    from chalicelib.domain.identity import Identity
    from chalicelib.services import escalation
    from chalicelib.services import tickets as service
    staff = Identity(firm.tenant_id, firm.admin_sub, "admin", "Ada Admin")
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=410)
    answer, _ = service.submit_report(firm.slug, firm.report(description="Boiler makes a noise"), now=t0)
    ticket = next(t for t in body(firm.call("GET", "/api/tickets"))["tickets"]
                  if t["number"] == answer["ticket"]["number"])
    service.record_event(staff, ticket["id"], {"type": "acknowledge"}, '"1"', now=t0 + timedelta(minutes=5))
    visit = next_saturday_ten(t0)
    with pytest.raises(Exception) as outside:  # Saturday 13:00 is outside the 09:00-12:00 window
        service.record_event(staff, ticket["id"], {"type": "schedule", "at": (visit + timedelta(hours=3)).isoformat()},
                             '"2"', now=t0 + timedelta(minutes=6))
    assert "the resident allows: sat 09:00-12:00" in str(outside.value.fields["at"])
    booked = service.record_event(staff, ticket["id"], {"type": "schedule", "at": visit.isoformat(),
                                                        "note": "The plumber will come"}, '"2"',
                                  now=t0 + timedelta(minutes=6))
    assert booked["visit_at"] and booked["status"] == "acknowledged"
    tracking = body(firm.client.http.get(answer["ticket"]["tracking_url"]))
    assert tracking["visit_at"] == booked["visit_at"]
    assert tracking["timeline"][-1]["type"] == "scheduled"

    for when in (visit - timedelta(hours=25), visit - timedelta(hours=23, minutes=59), visit - timedelta(minutes=59)):
        escalation.sweep(when)
        escalation.deliver(when)
    sent = [n for n in body(firm.call("GET", "/api/notifications"))["notifications"] if n["kind"] == "visit_reminder"]
    assert sorted(n["step"].rsplit(":", 1)[1] for n in sent) == ["remind1h", "remind24h"]
    assert all(n["channel"] == {"channel": "sms", "to": "+8613800138000"} and n["status"] == "sent" for n in sent)
