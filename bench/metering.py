"""What metering costs a request: DynamoDB round trips of a resident's report and of a staff
event with the usage counters (domain/metering.py) and without them.

Runs as ``python -m bench.metering`` in a child process (its own moto, the global profile),
prints JSON. Every AWS call is counted by wrapping botocore's ``BaseClient._make_api_call``
(bench/dynamo_calls.aws_calls). "Without" replaces ``store.metering.add_to`` by a function that
queues nothing, so the difference is exactly what metering adds. Issue 17's target:
``metering_extra_round_trips`` = 0 for a submit and for a staff event (the counters are one
more item in the transaction that already writes the ticket or the event).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .dynamo_calls import aws_calls

ROOT = Path(__file__).resolve().parents[1]


def _dynamodb(calls: list) -> list[str]:
    return [op for service, op, *_ in calls if service == "dynamodb"]


def _items(calls: list) -> int:
    return sum(len(params["TransactItems"]) for service, op, params in calls if op == "TransactWriteItems")


def _measure_here() -> dict:
    from infra.local import aws as local_aws

    server, endpoint = local_aws.start_moto()
    try:
        stack = local_aws.create_resources(endpoint, table="propdesk-bench-metering")
        local_aws.use(stack)
        os.environ.update({"PROPDESK_STAGE": "test", "POWERTOOLS_METRICS_DISABLED": "true",
                           "POWERTOOLS_LOG_LEVEL": "ERROR"})
        from chalice.test import Client

        from app import app
        from chalicelib.store import metering
        from tests.support import Firm

        counting = metering.add_to

        def not_counting(*args, **kwargs) -> int:
            return 0

        measured = {}
        with Client(app) as client:
            firm = Firm.sign_up(client)
            for code in ("1205", "1206"):  # a first report of its unit each: no repeat-complaint retry
                assert firm.call("POST", f"/api/properties/{firm.property_id}/buildings/{firm.building_id}/units",
                                 {"code": code}).status_code == 201
            for label, on, unit in (("with", True, "1205"), ("without", False, "1206")):
                metering.add_to = counting if on else not_counting
                with aws_calls(params=True) as submit:
                    assert firm.submit(firm.report(unit=unit)).status_code == 201
                ticket = firm.new_ticket()
                with aws_calls(params=True) as event:
                    answer = firm.event(ticket["id"], ticket["version"], {"type": "acknowledge"})
                    assert answer.status_code == 201, answer.body
                measured[label] = {"submit": submit, "event": event}
            metering.add_to = counting
            usage = json.loads(firm.call("GET", "/api/usage").body)
    finally:
        server.stop()
    out = {}
    for what in ("submit", "event"):
        with_, without = measured["with"][what], measured["without"][what]
        out[what] = {"with": _dynamodb(with_), "without": _dynamodb(without),
                     "extra_round_trips": len(_dynamodb(with_)) - len(_dynamodb(without)),
                     "extra_transaction_items": _items(with_) - _items(without)}
    extra = {"submit": out["submit"]["extra_round_trips"], "staff_event": out["event"]["extra_round_trips"]}
    return {"metering_extra_round_trips": max(extra.values()),
            "metering": {"extra_round_trips": extra, "details": out,
                         "counters_this_month": usage["this_month"]["counters"],
                         "target": "0 extra DynamoDB round trips for a submit and a staff event",
                         "ok": max(extra.values()) == 0}}


def measure() -> dict:
    """In a child process (its own moto and environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROPDESK_", "COGNITO_", "POWERTOOLS_"))}
    done = subprocess.run([sys.executable, "-m", "bench.metering"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"bench.metering failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def merge(results: dict, measured: dict) -> list[str]:
    results.update(measured)
    results.setdefault("targets", {})["metering_extra_round_trips"] = {
        "target": "0 (submit and staff event)", "value": measured["metering_extra_round_trips"],
        "ok": measured["metering"]["ok"]}
    return ["metering_extra_round_trips"]


def markdown(measured: dict) -> str:
    m = measured["metering"]
    return ("\n### Metering (issue 17): extra DynamoDB round trips of the usage counters\n\n"
            "| request | round trips with counters | without | extra | target |\n|---|---:|---:|---:|---|\n"
            f"| POST /r/{{slug}}/tickets | {len(m['details']['submit']['with'])} | "
            f"{len(m['details']['submit']['without'])} | {m['extra_round_trips']['submit']} | 0 |\n"
            f"| POST /api/tickets/{{id}}/events | {len(m['details']['event']['with'])} | "
            f"{len(m['details']['event']['without'])} | {m['extra_round_trips']['staff_event']} | 0 |\n")


if __name__ == "__main__":
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    result = _measure_here()
    print(json.dumps(result))
