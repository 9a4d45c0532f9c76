"""Scores kept as counters in the same transactions as the changes they count: checked
against a plain recomputation from the tickets themselves, after random sequences of
reports, retries, conflicts, reopens, re-categorisations and survey answers. And the read
side: one period's scores, a trend, CSV files that Excel opens with Chinese intact."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import Firm, body, unique

JSON = {"Content-Type": "application/json"}
OPS = ("report", "retry", "acknowledge", "assign", "recategorise", "resolve", "reopen", "survey", "follow_up",
       "close", "stale_write")


def month_now(time_zone: str = "Asia/Shanghai") -> str:
    from zoneinfo import ZoneInfo
    return datetime.now(timezone.utc).astimezone(ZoneInfo(time_zone)).strftime("M%Y-%m")


def parse(ts: str | None) -> datetime | None:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")) if ts else None


def recompute(tickets: list[dict], original_category: dict[str, str]) -> dict[tuple[str, str], dict[str, int]]:
    """The month's counters, the plain way: a pass over the tickets as staff see them."""
    out: dict[tuple[str, str], dict[str, int]] = {}

    def add(where, name, n=1):
        for key in where:
            out.setdefault(key, {})
            out[key][name] = out[key].get(name, 0) + n

    for t in tickets:
        where = [("all", "all"), ("property", t["property_id"]), ("building", t["building_id"]),
                 ("category", t["category"])] + ([("staff", t["assignee"])] if t["assignee"] else [])
        add(where, "tickets")
        add(where, "repeat", int(t["repeat"]))
        if t["first_response_at"]:
            add(where, "fr_n")
            add(where, "fr_met", int(parse(t["first_response_at"]) <= parse(t["first_response_due"])))
        unresolved_close = t["status"] == "closed" and t["resolved_at"] is None
        if t["first_resolved_at"] and not unresolved_close:
            resolved = parse(t["first_resolved_at"])
            add(where, "resolved")
            add(where, "res_met", int(resolved <= parse(t["first_resolution_due"])))  # as it stood then
            add(where, "reopened", int(t["reopen_count"] > 0))
            add(where, "ftf_ops", int(t["visits"] <= 1 and t["reopen_count"] == 0))
            followed = parse(t["followed_up_at"])
            add(where, "followed_up", int(followed is not None and resolved <= followed <= resolved + timedelta(hours=48)))
        if t["survey"]:
            add(where, "csat_n")
            add(where, "csat_pos", int(t["survey"]["rating"] >= 4))
    # the repeat flag itself, independently: same unit, same category as reported, within 30 days before
    ordered = sorted(tickets, key=lambda t: t["created_at"])
    for i, t in enumerate(ordered):
        earlier = [u for u in ordered[:i] if u["unit"] == t["unit"]
                   and original_category[u["id"]] == original_category[t["id"]]
                   and parse(t["created_at"]) - parse(u["created_at"]) <= timedelta(days=30)]
        assert t["repeat"] == bool(earlier), (t["number"], t["repeat"], len(earlier))
    return {k: {n: v for n, v in c.items() if v} for k, c in out.items()}


def stored(tenant_id: str, period: str) -> dict[tuple[str, str], dict[str, int]]:
    from chalicelib.store import scores
    names = ("tickets", "repeat", "fr_n", "fr_met", "resolved", "res_met", "reopened", "ftf_ops", "followed_up",
             "csat_n", "csat_pos")
    found = {}
    for key, counters in scores.period(tenant_id, period).items():
        kept = {n: counters[n] for n in names if counters.get(n)}
        if kept:
            found[key] = kept
        # the histograms hold one entry per timed ticket (six six-digit buckets to a counter)
        for histogram, count in (("fr_hp.", "fr_n"), ("res_hp.", "resolved")):
            assert sum(int(str(v).zfill(36)[i:i + 6]) for n, v in counters.items() if n.startswith(histogram)
                       for i in range(0, 36, 6)) == counters.get(count, 0)
    return found


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 5), st.integers(0, 1)), min_size=4, max_size=14))
def test_counters_equal_a_recomputation_after_any_sequence(client, steps):
    firm = Firm.sign_up(client)
    staff = [firm.add_staff(name="Wang Wei")[0], firm.add_staff(name="Zhao Lei")[0]]
    made: list[dict] = []  # {"id", "token", "key", "report"}
    original: dict[str, str] = {}

    def new_report(unit: str, category: str):
        key = unique("k")
        report = firm.report(unit=unit, category=category, description=unique("Drip"))
        answer = firm.submit(report, key=key)
        assert answer.status_code == 201, answer.body
        number = body(answer)["ticket"]["number"]
        tid = next(t["id"] for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"] if t["number"] == number)
        made.append({"id": tid, "token": body(answer)["ticket"]["tracking_token"], "key": key, "report": report})
        original[tid] = category

    def current(t):
        return body(firm.call("GET", f"/api/tickets/{t['id']}"))

    def act(t, payload, version=None):
        view = current(t)
        return firm.event(t["id"], view["version"] if version is None else version, payload)

    new_report("1203", "repairs")
    for op, pick, flag in steps:
        if op == "report":
            new_report(("1203", "1204")[flag], ("repairs", "water_leak")[pick % 2])
            continue
        t = made[pick % len(made)]
        if op == "retry":  # the same submission again: the same ticket, counted once
            again = firm.submit(t["report"], key=t["key"])
            assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        elif op == "acknowledge":
            act(t, {"type": "acknowledge"})
        elif op == "assign":
            act(t, {"type": "assign", "assignee": staff[flag]})
        elif op == "recategorise":
            view = current(t)
            firm.call("PATCH", f"/api/tickets/{t['id']}", {"category": ("repairs", "water_leak")[flag]},
                      **{"If-Match": f'"{view["version"]}"'})
        elif op == "resolve":
            act(t, {"type": "resolve", "note": "Fixed."})
        elif op == "reopen":
            act(t, {"type": "reopen", "reason": "still drips"})
        elif op == "survey":
            firm.client.http.post(f"/t/{t['token']}/survey", headers=JSON, body=json.dumps({"rating": 2 + pick % 4}))
        elif op == "follow_up":
            act(t, {"type": "follow_up", "note": "called back"})
        elif op == "close":
            act(t, {"type": "close", "reason": "duplicate" if flag else "resolved"})
        elif op == "stale_write":  # a write with an old version is refused and counts nothing
            refused = act(t, {"type": "resolve", "note": "Fixed."}, version=0)
            assert refused.status_code == 409

    tickets = [current(t) for t in made]
    assert stored(firm.tenant_id, month_now()) == recompute(tickets, original)


def test_the_scores_route_shows_a_firms_own_numbers_with_n_and_intervals(client, firm, other_firm):
    for unit in ("1203", "1204"):
        firm.submit(firm.report(unit=unit, description=unique("Lift noise")))
    answer = firm.call("GET", f"/api/scores?period={month_now()}&by=category")
    assert answer.status_code == 200, answer.body
    scores = body(answer)
    assert scores["period"] == month_now() and scores["min_n"] == 5
    assert scores["firm"]["volume"]["value"] >= 2
    for by in ("all", "building", "property", "staff"):  # the firm's numbers, however the slices are read
        assert body(firm.call("GET", f"/api/scores?period={month_now()}&by={by}"))["firm"] == scores["firm"]
    repairs = next(s for s in scores["slices"] if s["value"] == "repairs")
    share = repairs["scores"]["share"]
    assert share["n"] == scores["firm"]["volume"]["n"] and share["too_few"] is (share["n"] < 5)
    assert repairs["scores"]["csat"] == {"value": None, "n": 0, "low": None, "high": None, "too_few": True,
                                         "unit": "%"}
    theirs = body(other_firm.call("GET", f"/api/scores?period={month_now()}&by=category"))
    assert theirs["firm"]["volume"]["value"] == 0 and theirs["slices"] == []  # nothing of the other firm's

    bad = firm.call("GET", "/api/scores?period=M2026-13")
    assert bad.status_code == 422 and "period" in body(bad)["error"]["fields"]
    trend = body(firm.call("GET", f"/api/scores/trend?period={month_now()}"))
    assert len(trend["periods"]) == 12 and trend["periods"][-1]["period"] == month_now()
    assert trend["periods"][-1]["scores"]["volume"]["value"] == scores["firm"]["volume"]["value"]


def test_staff_see_their_own_numbers_but_not_a_colleagues(client, firm):
    me, my_token = firm.add_staff(name="Wang Wei")
    colleague, _ = firm.add_staff(name="Zhao Lei")
    ticket = firm.new_ticket()
    firm.event(ticket["id"], ticket["version"], {"type": "assign", "assignee": colleague})
    mine = firm.call("GET", f"/api/scores/trend?by=staff&value={me}", token=my_token)
    assert mine.status_code == 200
    theirs = firm.call("GET", f"/api/scores/trend?by=staff&value={colleague}", token=my_token)
    assert theirs.status_code == 403
    listed = body(firm.call("GET", f"/api/scores?period={month_now()}&by=staff", token=my_token))
    assert colleague not in json.dumps(listed)
    assert colleague in json.dumps(body(firm.call("GET", f"/api/scores?period={month_now()}&by=staff")))


def test_csv_files_open_in_excel_with_chinese_intact(client, firm):
    firm.submit(firm.report(description="厨房水龙头一直滴水，晚上很吵。"))
    firm.submit(firm.report(description="=HYPERLINK(\"http://evil.example\",\"click\")", unit="1204"))
    tickets = firm.call("GET", f"/api/exports/tickets.csv?period={month_now()}")
    assert tickets.status_code == 200
    assert tickets.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert tickets.headers["Content-Disposition"] == f'attachment; filename="tickets-{month_now()}.csv"'
    raw = tickets.body
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert "厨房水龙头一直滴水，晚上很吵。" in [r["description"] for r in rows]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in [r["description"] for r in rows]  # not a formula
    assert all(r["created_at"].endswith("+08:00") for r in rows)  # the firm's offset, not bare UTC

    scores = firm.call("GET", f"/api/exports/scores.csv?period={month_now()}&by=category")
    assert scores.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(scores.body.decode("utf-8-sig"))))
    volume = next(r for r in rows if r["by"] == "all" and r["score"] == "volume")
    assert volume["value_shown"] == "2.0" and volume["n"] == "2"  # a fresh firm, two reports
    assert {r["too_few"] for r in rows} <= {"yes", "no"}


def test_a_late_resolution_reopened_much_later_stays_late_in_the_view_the_csv_and_the_scores(client, firm):
    """The resolution is judged at the first resolve against its due as it stood then: the
    ten days it sat resolved before a reopen do not make a late fix on time, anywhere."""
    import copy
    from zoneinfo import ZoneInfo

    from chalicelib.domain.identity import Identity
    from chalicelib.services import tickets as service
    current = body(firm.call("GET", "/api/standards"))
    doc = copy.deepcopy(current["standards"])
    doc["targets"]["repairs"] = {"*": {"first_response": "1h", "resolution": "4h"}}
    assert firm.call("PUT", "/api/standards", {"standards": doc},
                     **{"If-Match": f'"{current["version"]}"'}).status_code == 200
    later = datetime.now(timezone.utc) + timedelta(days=500)
    t0 = datetime(later.year, later.month, 3, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, early in a month
    period = t0.astimezone(ZoneInfo("Asia/Shanghai")).strftime("M%Y-%m")
    answer, _ = service.submit_report(firm.slug, firm.report(description=unique("Tap")), now=t0)
    tid = next(t["id"] for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]
               if t["number"] == answer["ticket"]["number"])
    admin = Identity(firm.tenant_id, firm.admin_sub, "admin", "Ada Admin")
    for minutes, payload in ((10, {"type": "acknowledge"}), (6 * 60, {"type": "resolve", "note": "Fixed."}),  # 2 h late
                             (10 * 24 * 60, {"type": "reopen", "reason": "still drips"}),
                             (10 * 24 * 60 + 60, {"type": "resolve", "note": "Fixed."})):
        version = body(firm.call("GET", f"/api/tickets/{tid}"))["version"]
        service.record_event(admin, tid, payload, f'"{version}"', now=t0 + timedelta(minutes=minutes))

    view = body(firm.call("GET", f"/api/tickets/{tid}"))
    due = (t0 + timedelta(hours=4)).isoformat().replace("+00:00", "Z")
    assert view["resolution_met"] is False and view["first_resolution_due"] == due
    assert view["sla"]["resolution"] == {"due": due, "state": "met_late"}
    exported = firm.call("GET", f"/api/exports/tickets.csv?period={period}")
    row = next(r for r in csv.DictReader(io.StringIO(exported.body.decode("utf-8-sig")))
               if r["number"] == str(view["number"]))
    assert row["resolution_met"] == "no" and row["first_response_met"] == "yes"
    assert row["resolution_due"] == "%d-%02d-03T14:00:00+08:00" % (t0.year, t0.month)
    scored = body(firm.call("GET", f"/api/scores?period={period}"))["firm"]
    assert (scored["sla_resolution"]["n"], scored["sla_resolution"]["value"]) == (1, 0)
    assert (scored["reopen_rate"]["n"], scored["reopen_rate"]["value"]) == (1, 100)
