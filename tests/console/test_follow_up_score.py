"""The follow-up calls' on-time rate joins the scores: five low answers, four calls made by
their promise and one late → 80 % of 5 with its Wilson interval, in the API and as a row of
the dashboard's "Quality of the work" (hand-computed below)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from tests.console.conftest import Session
from tests.console.test_dashboard import ZONE, _tickets
from tests.support import body


def test_the_on_time_rate_of_follow_up_calls_is_a_dashboard_score(client, firm):
    from chalicelib.domain import scores as rules
    from chalicelib.domain.identity import Identity
    from chalicelib.services import tickets
    month = rules.period_keys(datetime.now(timezone.utc), ZONE)["month"]
    start = rules.period_bounds(month, ZONE)[0] + timedelta(hours=2)
    _tickets(firm, start, [{"rating": "2"}] * 5, [None] * 5)  # resolved 2 h after each report, rated 1 h later
    admin = Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin")
    owed = [t for t in body(firm.call("GET", "/api/tickets?status=resolved&limit=100"))["tickets"]]
    assert len(owed) == 5 and all(t["survey"]["call"]["done_at"] is None for t in owed)
    for i, ticket in enumerate(sorted(owed, key=lambda t: t["number"])):
        due = datetime.fromisoformat(ticket["survey"]["call"]["due"].replace("Z", "+00:00"))
        called = due - timedelta(minutes=30) if i < 4 else due + timedelta(hours=1)  # the fifth is late
        tickets.record_event(admin, ticket["id"], {"type": "follow_up", "note": "Called back."},
                             f'"{ticket["version"]}"', now=called)

    score = body(firm.call("GET", f"/api/scores?period={month}"))["firm"]["follow_up_calls_on_time"]
    # 4 of 5 = 80 %; Wilson 95 %: centre (0.8 + 3.841459/10) / (1 + 3.841459/5) = 0.669656,
    # half-width 1.959964 · sqrt(0.16/5 + 3.841459/100) / 1.768292 = 0.294121 → 37.55 % – 96.38 %
    assert (score["value"], score["n"], score["too_few"]) == (80, 5, False)
    assert abs(score["low"] - 37.5535) < 0.01 and abs(score["high"] - 96.3777) < 0.01

    page = Session(client, firm.admin_email).get(f"/console/dashboard?period={month}&lang=en").body.decode()
    row = re.search(r'<tr id="score-follow_up_calls_on_time">(.*?)</tr>', page, re.S)
    assert row, "the dashboard has no row for the follow-up calls"
    cells = re.sub(r"<[^>]+>", "|", row.group(1))
    assert "Follow-up calls after a low rating made on time" in cells
    assert re.search(r"\|80\s*%", cells) and re.search(r"\|5\|", cells)
    zh = Session(client, firm.admin_email).get(f"/console/dashboard?period={month}&lang=zh-CN").body.decode()
    assert "低分回访按时完成率" in zh
