"""Console pages: total transfer in a real Chromium and DynamoDB round trips to render.

``measure()`` runs in a fresh Python process (``python -m bench.console --child``) with its
own moto and table, like bench/pages.py. The child signs up a firm with a register, a staff
member and a few tickets (one resolved), then:

1. opens every signed-in console page (GET, from the console's own registry
   ``chalicelib.api.console.session.PAGES``; downloads such as .csv/.svg/.yaml are not pages)
   in Debian's Chromium, 375 px wide, signed in as the admin, and sums the body sizes of
   every response the page needs (HTML, CSS, inline SVG charts are in the HTML, images);
2. renders each page again through ``chalice.test.Client`` with the DynamoDB counter of
   bench/dynamo_calls.py: once "cold" (the per-process cache of the firm's score settings
   emptied first) and once warm. ``console_max_round_trips`` is the largest cold count.

    python -m bench.console          # prints the JSON
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from .pages import CHROMIUM, CHROMIUM_ARGS, in_own_stack, run_child, served

ROOT = Path(__file__).resolve().parents[1]
TARGET_KB = 100
TARGET_ROUND_TRIPS = 3
DOWNLOADS = re.compile(r"\.(css|csv|svg|yaml|pdf|png)$")
PARAM = re.compile(r"\{(\w+)\}")


def measure(timeout: float = 300) -> dict[str, Any]:
    return run_child("bench.console", timeout)


def _pages(ids: dict, queries: dict) -> list[tuple[str, str]]:
    from chalicelib.api.console.session import PAGES
    found = []
    for page in PAGES:
        if not page.signed_in or "GET" not in page.methods or DOWNLOADS.search(page.path) or page.path == "/console":
            continue
        url = PARAM.sub(lambda m: ids[m.group(1)], page.path) + queries.get(page.path, "")
        found.append((page.path, url))
    return found


def _set_up(client) -> tuple[Any, dict, dict]:
    """A firm as it looks after a month of work: rated repairs this month (as the dashboard
    test sets them up), last month's reports frozen into a review by the nightly rollup,
    queue fillers and one ticket with a timeline."""
    from datetime import datetime, timedelta, timezone

    from chalicelib.domain import scores as rules
    from tests.console.test_dashboard import ZONE, _invite, _tickets, freeze_last_month
    from tests.support import Firm, body

    firm = Firm.sign_up(client, locale="zh-CN")
    me, _ = _invite(firm, "Wang Wei")
    colleague, _ = _invite(firm, "Zhao Lei")
    now = datetime.now(timezone.utc)
    month = rules.period_keys(now, ZONE)["month"]
    closed = rules.previous_periods(month, 2)[0]
    month_start = rules.period_bounds(month, ZONE)[0]
    start = month_start + (now - month_start) / 2
    _tickets(firm, start, [{"rating": "5", "nps": "10"}, {"rating": "4"}, {"rating": "5"}, {"rating": "2"}, None,
                           None], [me, me, colleague, None, None, None])
    _tickets(firm, rules.period_bounds(closed, ZONE)[0] + timedelta(days=3), [{"rating": "3"}, None], [None, None])
    freeze_last_month(firm, now)
    for i in range(20):
        assert firm.submit(firm.report(description=f"Bench ticket {i}: the corridor light flickers.")).status_code == 201
    first = firm.new_ticket()
    for payload in ({"type": "acknowledge"}, {"type": "assign", "assignee": me},
                    {"type": "comment", "body": "Parts ordered.", "visibility": "public"}):
        answer = firm.event(first["id"], first["version"], payload)
        assert answer.status_code == 201, answer.body
        first = body(answer)
    incident = body(firm.call("POST", "/api/incidents", {"title": "Lift in Block 3 is down",
                                                         "tickets": [firm.new_ticket()["id"] for _ in range(5)]}))
    ids = {"ticket_id": first["id"], "property_id": firm.property_id, "building_id": firm.building_id,
           "staff_id": me, "sub": me, "period": closed, "unit": firm.units[0], "month": month,
           "item_key": "lifts_work", "incident_id": incident["id"]}
    _inspect(firm, month)
    queries = {"/console/dashboard": f"?period={month}&by=building"}
    return firm, ids, queries


def _inspect(firm, month: str) -> None:
    """The property's checklist (the seeds' four areas) and this month's inspection, one item failed."""
    from chalicelib.domain.inspections import STARTER, items_of
    path = f"/api/properties/{firm.property_id}"
    assert firm.call("PUT", f"{path}/checklist", {**STARTER, "version": 0}).status_code == 200
    results = {i.key: {"passed": i.key != "lifts_work", "note": "2号电梯停运"} for i in items_of(STARTER)}
    assert firm.call("PUT", f"{path}/inspections/{month}", {"version": 0, "results": results}).status_code == 200


def _measure() -> dict[str, Any]:
    from chalice.test import Client
    from playwright.sync_api import sync_playwright

    from app import app
    from bench.dynamo_calls import CallCounter
    from chalicelib.services import scores as score_service
    from infra.local.gateway import PropDeskLocalGateway
    from tests.console.conftest import Session, sign_in

    counted: dict[str, dict] = {}
    counter = CallCounter()
    with Client(app, stage_name="test", project_dir=str(ROOT)) as client:
        client.http._local_gateway = PropDeskLocalGateway(app, client.http._config)
        firm, ids, queries = _set_up(client)
        pages = _pages(ids, queries)
        session = Session(client, firm.admin_email)
        counter.install()
        try:
            for path, url in pages:
                score_service.forget_settings(firm.tenant_id)
                with counter.window(f"cold {path}") as cold:
                    status = session.get(url).status_code
                with counter.window(f"warm {path}") as warm:
                    session.get(url)
                counted[path] = {"status": status, "cold": dict(cold.dynamodb), "warm": dict(warm.dynamodb),
                                 "cold_round_trips": sum(cold.dynamodb.values()),
                                 "warm_round_trips": sum(warm.dynamodb.values())}
        finally:
            counter.uninstall()

    sizes: dict[str, dict] = {}
    with served(app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(15_000)
            sign_in(page, base, firm.admin_email)
            page.wait_for_load_state("load")
            for path, url in pages:
                fresh = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN",
                                            storage_state=context.storage_state())
                tab = fresh.new_page()  # an empty cache: the stylesheet counts on every page
                responses: list = []
                tab.on("response", lambda r, seen=responses: seen.append(r))
                answer = tab.goto(base + url, wait_until="networkidle", timeout=30_000)
                total = sum(len(r.body()) for r in responses if r.status < 300 or r.status >= 400)
                sizes[path] = {"status": answer.status if answer else None, "kb": round(total / 1024, 1),
                               "requests": len(responses), "scripts": tab.locator("script").count()}
                fresh.close()
            context.close()
        finally:
            browser.close()

    per_page = {path: {**sizes.get(path, {}), **counted.get(path, {})} for path, _ in pages}
    max_kb = max((p.get("kb", 0) for p in per_page.values()), default=0)
    max_trips = max((p.get("cold_round_trips", 0) for p in per_page.values()), default=0)
    scans = sum(p["cold"].get("Scan", 0) + p["warm"].get("Scan", 0) for p in counted.values())
    return {"console_max_page_kb": max_kb, "console_max_round_trips": max_trips, "console_pages": per_page,
            "console_page_target_kb": TARGET_KB, "console_round_trips_target": TARGET_ROUND_TRIPS,
            "console_scan_calls": scans,
            "console_ok": max_kb <= TARGET_KB and max_trips <= TARGET_ROUND_TRIPS and scans == 0,
            "note": "kB: sum of response body sizes (uncompressed) a page needs in Chromium 375 px with an empty "
                    "cache, signed in as the firm's admin; round trips: DynamoDB calls counted for one render, cold = "
                    "the process's 60 s cache of the firm's score settings emptied first"}


def markdown(result: dict) -> str:
    lines = ["### Console pages (Chromium, signed in as an admin; DynamoDB calls counted)", "",
             "| page | kB | round trips cold / warm | status |", "|---|---:|---:|---:|"]
    for path, page in result["console_pages"].items():
        lines.append(f"| {path} | {page.get('kb')} | {page.get('cold_round_trips')} / {page.get('warm_round_trips')} "
                     f"| {page.get('status')} |")
    ok = result["console_ok"]
    lines += ["", f"- console_max_page_kb = {result['console_max_page_kb']} (target ≤ {TARGET_KB}); "
                  f"console_max_round_trips = {result['console_max_round_trips']} (target ≤ {TARGET_ROUND_TRIPS}); "
                  f"Scan calls {result['console_scan_calls']} — {'PASS' if ok else 'FAIL'}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(in_own_stack("propdesk-bench-console", _measure)))
    else:
        outcome = measure()
        print(markdown(outcome))
        print(json.dumps({k: v for k, v in outcome.items() if k != "console_pages"}, indent=2))
