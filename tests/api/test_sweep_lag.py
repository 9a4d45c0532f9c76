"""The sweep tells operators how late it is: ``SweepLagSeconds`` on every run (infra alarms on
it, and on its absence). Its own module: a fresh table, so the only due steps are this test's."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from tests.api.test_escalation import report_at, run_sweep, with_chain


def lag_metrics(out: str) -> list[float]:
    """The SweepLagSeconds values of the EMF lines Powertools printed."""
    found = []
    for line in out.splitlines():
        if line.startswith("{") and "SweepLagSeconds" in line:
            document = json.loads(line)
            units = {m["Name"]: m["Unit"] for d in document["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
            assert units["SweepLagSeconds"] == "Seconds"
            value = document["SweepLagSeconds"]
            found += value if isinstance(value, list) else [value]
    return found


def test_a_late_sweep_reports_how_long_the_oldest_due_step_waited(client, firm, capsys):
    with_chain(firm, [])
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=400)
    report_at(firm, t0)  # repairs: first response in 1 h, warned half-way (t0 + 30 min)
    capsys.readouterr()

    run_sweep(client, t0 + timedelta(minutes=10))  # nothing due yet
    assert lag_metrics(capsys.readouterr().out) == [0.0]
    run_sweep(client, t0 + timedelta(minutes=40))  # the warning has waited 10 minutes
    assert lag_metrics(capsys.readouterr().out) == [600.0]
    run_sweep(client, t0 + timedelta(minutes=41))  # fired: nothing waits
    assert lag_metrics(capsys.readouterr().out) == [0.0]
