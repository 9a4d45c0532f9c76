"""The local EventBridge (infra/local/schedules.py): when schedules fire, and what the
handlers receive. No AWS, no waiting: the loop is driven with explicit times."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest
from chalice import Chalice, Cron, Rate

from infra.local.schedules import ScheduleLoop, next_fire, parse


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


# --- next_fire: rate -------------------------------------------------------------------------

@pytest.mark.parametrize("expression, after, expected", [
    ("rate(1 minute)", utc(2026, 3, 4, 10, 0, 30), utc(2026, 3, 4, 10, 1)),
    ("rate(1 minute)", utc(2026, 3, 4, 10, 1), utc(2026, 3, 4, 10, 2)),  # strictly after
    ("rate(5 minutes)", utc(2026, 3, 4, 10, 7, 59), utc(2026, 3, 4, 10, 10)),
    ("rate(1 hour)", utc(2026, 3, 4, 23, 15), utc(2026, 3, 5, 0, 0)),
    ("rate(2 hours)", utc(2026, 3, 4, 9, 0), utc(2026, 3, 4, 10, 0)),
    ("rate(1 day)", utc(2026, 12, 31, 8), utc(2027, 1, 1)),
    (Rate(15, unit=Rate.MINUTES), utc(2026, 3, 4, 10, 50), utc(2026, 3, 4, 11, 0)),
])
def test_rates_fire_on_epoch_aligned_boundaries(expression, after, expected):
    assert next_fire(expression, after) == expected


def test_a_naive_time_is_taken_as_utc():
    assert next_fire("rate(1 hour)", datetime(2026, 3, 4, 10, 30)) == utc(2026, 3, 4, 11)


# --- next_fire: cron -------------------------------------------------------------------------

@pytest.mark.parametrize("expression, after, expected", [
    # nightly at 03:00 UTC
    ("cron(0 3 * * ? *)", utc(2026, 3, 4, 2, 59), utc(2026, 3, 4, 3, 0)),
    ("cron(0 3 * * ? *)", utc(2026, 3, 4, 3, 0), utc(2026, 3, 5, 3, 0)),
    # hourly at :15
    ("cron(15 * * * ? *)", utc(2026, 3, 4, 10, 15, 1), utc(2026, 3, 4, 11, 15)),
    # steps: every 15 minutes from :00, and from :05
    ("cron(0/15 * * * ? *)", utc(2026, 3, 4, 10, 31), utc(2026, 3, 4, 10, 45)),
    ("cron(*/15 * * * ? *)", utc(2026, 3, 4, 10, 45), utc(2026, 3, 4, 11, 0)),
    ("cron(5/20 * * * ? *)", utc(2026, 3, 4, 10, 46), utc(2026, 3, 4, 11, 5)),
    ("cron(0 8-18/2 * * ? *)", utc(2026, 3, 4, 8, 30), utc(2026, 3, 4, 10, 0)),
    # lists
    ("cron(0,30 9,17 * * ? *)", utc(2026, 3, 4, 9, 31), utc(2026, 3, 4, 17, 0)),
    # day of week: 1 = Sunday; 2026-03-06 is a Friday
    ("cron(0 9 ? * MON-FRI *)", utc(2026, 3, 6, 9, 0), utc(2026, 3, 9, 9, 0)),
    ("cron(0 9 ? * 2-6 *)", utc(2026, 3, 6, 9, 0), utc(2026, 3, 9, 9, 0)),
    ("cron(0 0 ? * 1 *)", utc(2026, 3, 4, 12), utc(2026, 3, 8, 0, 0)),
    ("cron(0 0 ? * SAT,SUN *)", utc(2026, 3, 4, 12), utc(2026, 3, 7, 0, 0)),
    # month rollover, year rollover, short months, leap years
    ("cron(30 1 1 * ? *)", utc(2026, 1, 31, 23, 59), utc(2026, 2, 1, 1, 30)),
    ("cron(0 0 1 * ? *)", utc(2026, 12, 15), utc(2027, 1, 1)),
    ("cron(0 0 31 * ? *)", utc(2026, 1, 31, 0, 1), utc(2026, 3, 31)),
    ("cron(0 0 29 FEB ? *)", utc(2026, 1, 1), utc(2028, 2, 29)),
    ("cron(0 12 1 JAN,JUL ? *)", utc(2026, 1, 1, 12), utc(2026, 7, 1, 12)),
    # a year field
    ("cron(0 0 1 1 ? 2027-2028)", utc(2026, 5, 1), utc(2027, 1, 1)),
    (Cron(0, 2, "?", "*", "MON", "*"), utc(2026, 3, 4), utc(2026, 3, 9, 2)),
])
def test_cron_expressions(expression, after, expected):
    assert next_fire(expression, after) == expected


def test_a_cron_whose_years_have_passed_never_fires():
    assert next_fire("cron(0 0 1 1 ? 2020)", utc(2026, 1, 1)) is None


@pytest.mark.parametrize("expression", [
    "rate(0 minutes)", "rate(5 weeks)", "every minute",
    "cron(0 3 * * *)",  # 5 fields
    "cron(0 3 * * * *)",  # neither day field is '?'
    "cron(0 3 ? * ? *)",  # both are
    "cron(60 3 * * ? *)", "cron(0 24 * * ? *)", "cron(0 0 0 * ? *)", "cron(0 0 * 13 ? *)",
    "cron(0 0 ? * 8 *)", "cron(0 0 ? * FUNDAY *)", "cron(0/0 * * * ? *)",
    "cron(0 0 L * ? *)", "cron(0 0 ? * 6#3 *)", "cron(0 0 15W * ? *)",
    "cron(? 0 * * ? *)",
])
def test_invalid_or_unsupported_expressions_are_refused(expression):
    with pytest.raises(ValueError):
        parse(expression)


# --- the loop --------------------------------------------------------------------------------

def make_app() -> tuple[Chalice, list[tuple[str, dict]]]:
    app = Chalice(app_name="sched-test")
    seen: list[tuple[str, dict]] = []

    @app.schedule("rate(1 minute)")
    def sweep(event):
        seen.append(("sweep", event.to_dict()))

    @app.schedule(Cron(0, 3, "*", "*", "?", "*"))
    def nightly(event):
        seen.append(("nightly", event.to_dict()))

    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def broken(event):
        seen.append(("broken", event.to_dict()))
        raise RuntimeError("boom")

    return app, seen


def test_the_loop_finds_the_apps_scheduled_handlers():
    app, _ = make_app()
    loop = ScheduleLoop(app, clock=lambda: utc(2026, 3, 4, 10, 0, 30))
    assert {job.name: job.expression for job in loop.jobs} == {
        "sweep": "rate(1 minute)", "nightly": "cron(0 3 * * ? *)", "broken": "rate(1 minute)"}
    assert loop.next_due() == utc(2026, 3, 4, 10, 1)


def test_run_once_fires_what_is_due_once_with_the_scheduled_time(caplog):
    app, seen = make_app()
    loop = ScheduleLoop(app, clock=lambda: utc(2026, 3, 4, 10, 0, 30))

    assert loop.run_once(utc(2026, 3, 4, 10, 0, 59)) == []  # nothing due yet
    assert seen == []

    with caplog.at_level(logging.ERROR, logger="propdesk.local.schedules"):
        fired = loop.run_once(utc(2026, 3, 4, 10, 1, 2))
    assert sorted((f.name, f.ok) for f in fired) == [("broken", False), ("sweep", True)]
    assert sorted(name for name, _ in seen) == ["broken", "sweep"]  # not nightly: not due
    event = dict(seen)["sweep"]
    assert event["time"] == "2026-03-04T10:01:00Z"  # the scheduled time, not the wall clock
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["detail"] == {}
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/sched-test-local-sweep"]
    assert {"version", "id", "account", "region"} <= set(event)
    assert "broken" in caplog.text and "boom" in caplog.text

    seen.clear()
    assert loop.run_once(utc(2026, 3, 4, 10, 1, 40)) == []  # the same minute does not fire twice

    fired = loop.run_once(utc(2026, 3, 4, 10, 2, 0))  # the failure did not stop the next run
    assert sorted(f.name for f in fired) == ["broken", "sweep"]
    assert dict(seen)["sweep"]["time"] == "2026-03-04T10:02:00Z"


def test_a_cron_job_fires_at_its_time():
    app, seen = make_app()
    loop = ScheduleLoop(app, clock=lambda: utc(2026, 3, 4, 2, 59, 10))
    loop.run_once(utc(2026, 3, 4, 3, 0, 1))
    assert dict(seen)["nightly"]["time"] == "2026-03-04T03:00:00Z"


def test_missed_runs_fire_once_for_the_latest_time():
    app, seen = make_app()
    loop = ScheduleLoop(app, clock=lambda: utc(2026, 3, 4, 10, 0, 30))
    fired = {f.name: f for f in loop.run_once(utc(2026, 3, 4, 10, 7, 30))}  # the laptop slept
    assert fired["sweep"].scheduled == utc(2026, 3, 4, 10, 7) and fired["sweep"].skipped == 6
    assert [e["time"] for name, e in seen if name == "sweep"] == ["2026-03-04T10:07:00Z"]
    assert loop.next_due() == utc(2026, 3, 4, 10, 8)


def test_run_sleeps_until_the_next_due_time_and_stops():
    app, seen = make_app()
    now = [utc(2026, 3, 4, 10, 0, 30)]
    sleeps: list[float] = []
    loop = ScheduleLoop(app, clock=lambda: now[0])

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] = utc(2026, 3, 4, 10, 1, 0)
        if len(sleeps) == 2:
            loop.stop()

    loop.sleep = sleep
    loop.run()
    assert sleeps[0] == 30.0  # 10:00:30 → 10:01:00
    assert sorted(name for name, _ in seen) == ["broken", "sweep"]


def test_an_app_without_schedules_says_so():
    loop = ScheduleLoop(Chalice(app_name="plain"))
    assert loop.jobs == []
    assert loop.describe() == ["No scheduled jobs are defined."]
    loop.run()  # returns at once


def test_an_invalid_expression_is_reported_with_its_handler():
    app = Chalice(app_name="bad")

    @app.schedule("cron(0 3 * * * *)")
    def nightly(event):
        pass

    with pytest.raises(ValueError, match="nightly"):
        ScheduleLoop(app)
