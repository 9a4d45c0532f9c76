"""The escalation sweep at scale: items read per item due, idle tenants' reads, time per due ticket.

Set-up (outside every counting window): many tenants' open tickets, each with its watch item
built by the app's own code (``domain.tickets.new_ticket`` with a small standards document of
calendar-time targets, then ``services.tickets.watch_for``, which plans the steps and calls
``store.escalations.watch_item``), written with PynamoDB's ``batch_write()``. A set share of
them (1 %) has exactly one step due at the sweep's "now"; the rest are due hours to days later.
Only watch items are written (no ticket heads): the sweep reads the work index and nothing else.

Then ``services.escalation.sweep(now)`` runs once, and again at the same "now" (a repeated
EventBridge event). ``botocore.client.BaseClient._make_api_call`` is wrapped, and each
DynamoDB response read: a ``Query``'s ``ScannedCount``/``Count`` and the tenant and
``work_sk`` of every item it returned, the items each write carried. moto's request
recorder cross-checks the number of calls per operation on the server side.

The sweep runs in a child process (``python -m bench.sweep``): the PynamoDB models read the
table name at import, so a second moto stack in the parent's process would not be used, and
the 50,000 items stay out of the parent's memory. ``measure()`` starts the child and returns
what it wrote; ``bench.run`` prints and stores it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
TMP = ROOT / "bench" / ".tmp"

# tenants × open tickets each; due tickets = due_tenants × due_per_tenant (1 % of open tickets).
SCALES: dict[str, dict[str, int]] = {
    "full": {"tenants": 1000, "tickets_per_tenant": 50, "due_tenants": 250, "due_per_tenant": 2},
    "small": {"tenants": 200, "tickets_per_tenant": 50, "due_tenants": 50, "due_per_tenant": 2},
}
READS_PER_DUE_TARGET = 1.1
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)  # the sweep's "now" (the event's time)

# Calendar-time targets so the steps' times are plain arithmetic:
#   new ticket created at c:           first_response warn c+2h, level1 c+4h, level2 c+8h
#   ticket with its first response:    resolution warn c+36h, level1 c+72h, level2 c+76h
STANDARDS: dict[str, Any] = {
    "name": "Bench standards",
    "calendar": {"time_zone": "UTC", "hours": {day: ["08:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}},
    "priorities": [{"key": "normal", "name": {"zh-CN": "普通", "en": "Normal"}}],
    "categories": [{"key": "repairs", "name": {"zh-CN": "维修", "en": "Repairs"}}],
    # every ticket also carries a milestone chain (issue 18): "on site" within 5 days of the report
    # (its warning at 2.5 d, after every set-up ticket's next step) and "work done" 2 days after
    # it (not started): the watches hold their steps too, and no due count changes
    "targets": {"*": {"*": {"first_response": "4h", "resolution": "3d", "milestones": [
        {"key": "on_site", "name": {"zh-CN": "到场", "en": "On site"}, "within": "5d", "after": "report",
         "done_by": "on_site"},
        {"key": "work_done", "name": {"zh-CN": "完工", "en": "Work done"}, "within": "2d", "after": "on_site",
         "done_by": "work_done"}]}}},
    "escalation": {"warn_at": 0.5, "level1": {"notify": []}, "level2": {"after": "4h", "notify": []}},
}


# --- counting, response included --------------------------------------------------------

@dataclass
class Tally:
    """What one sweep's DynamoDB calls did, from their requests and responses."""
    operations: Counter = field(default_factory=Counter)
    op_seconds: Counter = field(default_factory=Counter)
    items_scanned: int = 0  # sum of ScannedCount of every Query (what DynamoDB read and bills)
    items_returned: int = 0  # sum of Count
    returned: list[tuple[str, str]] = field(default_factory=list)  # (tenant_id, work_sk) of each returned item
    items_written: int = 0  # items carried by the writes (a transaction's items, an update's one)
    errors: Counter = field(default_factory=Counter)


class ResponseCounter:
    """Wraps ``BaseClient._make_api_call`` and reads each DynamoDB response while a tally is open."""

    def __init__(self) -> None:
        self.whole_run: Counter = Counter()
        self.tally: Tally | None = None
        self._original: Callable | None = None
        self._lock = threading.Lock()

    def install(self) -> None:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        counter = self

        def _make_api_call(client, operation_name, api_params):
            if client.meta.service_model.service_name != "dynamodb":
                return original(client, operation_name, api_params)
            started = time.perf_counter()
            try:
                response = original(client, operation_name, api_params)
            except Exception as error:
                counter._record(operation_name, api_params, None, time.perf_counter() - started, error)
                raise
            counter._record(operation_name, api_params, response, time.perf_counter() - started, None)
            return response

        BaseClient._make_api_call = _make_api_call
        self._original = original

    def uninstall(self) -> None:
        from botocore.client import BaseClient

        if self._original is not None:
            BaseClient._make_api_call = self._original
            self._original = None

    def _record(self, operation: str, params: dict, response: dict | None, seconds: float,
                error: Exception | None) -> None:
        with self._lock:
            self.whole_run[operation] += 1
            tally = self.tally
            if tally is None:
                return
            tally.operations[operation] += 1
            tally.op_seconds[operation] += seconds
            if error is not None:
                code = (getattr(error, "response", None) or {}).get("Error", {}).get("Code", type(error).__name__)
                tally.errors[f"{operation}:{code}"] += 1
            if operation == "TransactWriteItems":
                tally.items_written += len(params.get("TransactItems", []))
            elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
                tally.items_written += 1
            elif operation == "BatchWriteItem":
                tally.items_written += sum(len(v) for v in params.get("RequestItems", {}).values())
            if response is None or operation not in ("Query", "Scan"):
                return
            items = response.get("Items", [])
            tally.items_returned += response.get("Count", len(items))
            tally.items_scanned += response.get("ScannedCount", response.get("Count", len(items)))
            for item in items:
                tally.returned.append((item.get("tenant_id", {}).get("S", "?"), item.get("work_sk", {}).get("S", "")))


# --- the stack ------------------------------------------------------------------------------

def _start_stack():
    """moto in this process, the table, the environment (as bench/dynamo_calls.py does)."""
    TMP.mkdir(parents=True, exist_ok=True)
    recording = TMP / "moto_recording_sweep.jsonl"
    recording.unlink(missing_ok=True)
    os.environ["MOTO_RECORDER_FILEPATH"] = str(recording)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from infra.local import aws as local_aws

    server, endpoint = local_aws.start_moto()
    stack = local_aws.create_resources(endpoint, table=f"propdesk-bench-sweep-{uuid.uuid4().hex[:6]}")
    local_aws.use(stack)
    os.environ["PROPDESK_STAGE"] = "test"
    os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "PropDeskBench"
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    from chalicelib.settings import settings
    settings.cache_clear()
    return server, stack


def _check_rollback() -> None:
    """A transaction whose second item fails must leave the first unwritten (patched moto too)."""
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from chalicelib.store.models import Item, MarkItem
    from chalicelib.store.items import connection

    pk = f"TENANT#bench-rollback-{uuid.uuid4().hex[:8]}"
    MarkItem(pk, "EXISTS", step="x", at=NOW).save()
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(MarkItem(pk, "NEW", step="x", at=NOW), condition=MarkItem.pk.does_not_exist())
            tx.save(MarkItem(pk, "EXISTS", step="x", at=NOW), condition=MarkItem.pk.does_not_exist())
    except TransactWriteError:
        pass
    else:
        raise AssertionError("rollback check: the transaction should have been cancelled")
    left = sorted(i.sk for i in Item.query(pk))
    if left != ["EXISTS"]:
        raise AssertionError(f"rollback check: a cancelled transaction left {left}")
    for sk in left:
        Item(pk, sk).delete()


def _log(message: str) -> None:
    print(f"[sweep] {message}", file=sys.stderr, flush=True)


# --- set-up -----------------------------------------------------------------------------------

@dataclass
class Population:
    tenants: int = 0
    watch_items: int = 0
    in_work_index: int = 0
    due_watches: int = 0
    due_steps: int = 0
    due_tenants: set[str] = field(default_factory=set)
    all_tenants: set[str] = field(default_factory=set)
    earliest_not_due: datetime | None = None
    latest_not_due: datetime | None = None


def _populate(scale: dict[str, int], rng: random.Random) -> Population:
    import dataclasses

    from chalicelib.domain import tokens
    from chalicelib.domain.standards import check_document
    from chalicelib.domain.tickets import new_ticket
    from chalicelib.services.tickets import watch_for
    from chalicelib.store.models import WatchItem

    standards = check_document(STANDARDS)
    escalation = standards.escalation
    population = Population(tenants=scale["tenants"])
    due_tenant_numbers = set(rng.sample(range(scale["tenants"]), scale["due_tenants"]))
    report = {"category": "repairs", "urgency": "normal", "property_id": "p1", "building_id": "b1", "unit": "101",
              "description": "Bench: the hallway light flickers."}

    def ticket_at(tenant_id: str, number: int, created: datetime, responded: bool):
        ticket = new_ticket(ticket_id=tokens.new_id(), tenant_id=tenant_id, number=number, report=report,
                            standards=standards, now=created, tracking_digest="")
        if responded:  # first response met half an hour in: only the resolution clock's steps remain
            ticket = dataclasses.replace(ticket, status="acknowledged",
                                         first_response_at=created + timedelta(minutes=30))
        return ticket

    with WatchItem.batch_write() as batch:
        for t in range(scale["tenants"]):
            tenant_id = tokens.new_id()
            population.all_tenants.add(tenant_id)
            firm = {"name": f"Bench firm {t}", "locale": "en", "time_zone": "UTC"}
            due_here = scale["due_per_tenant"] if t in due_tenant_numbers else 0
            for n in range(scale["tickets_per_tenant"]):
                responded = rng.random() < 0.5
                if n < due_here:  # exactly one step (a warning) came due in the last 20 minutes, or now
                    late = timedelta(seconds=rng.randrange(0, 20 * 60)) if n else timedelta(0)
                    created = NOW - (timedelta(hours=36) if responded else timedelta(hours=2)) - late
                elif responded:  # next step: the resolution warning, 6 to 35 hours ahead
                    created = NOW - timedelta(seconds=rng.randrange(3600, 30 * 3600))
                else:  # next step: the first-response warning, 10 minutes to 2 hours ahead
                    created = NOW - timedelta(seconds=rng.randrange(0, 110 * 60))
                ticket = ticket_at(tenant_id, n + 1, created, responded)
                item = watch_for(ticket, escalation, firm)
                steps = [datetime.fromisoformat(s["at"].replace("Z", "+00:00")) for s in item.steps]
                due_steps = sum(1 for at in steps if at <= NOW)
                if bool(due_steps) != (n < due_here) or due_steps > 1:
                    raise AssertionError(f"set-up: ticket {n} of tenant {t} has {due_steps} steps due")
                population.watch_items += 1
                population.in_work_index += item.work_pk is not None
                if due_steps:
                    population.due_watches += 1
                    population.due_steps += due_steps
                    population.due_tenants.add(tenant_id)
                else:
                    first = steps[0]
                    population.earliest_not_due = min(filter(None, (population.earliest_not_due, first)))
                    population.latest_not_due = max(filter(None, (population.latest_not_due, first)))
                batch.save(item)
            if (t + 1) % 100 == 0:
                _log(f"set-up: {t + 1}/{scale['tenants']} tenants written")
    return population


# --- the measurement --------------------------------------------------------------------------

def run(scale_name: str, *, moto_as_is: bool = False) -> dict[str, Any]:
    scale = SCALES[scale_name]
    server, stack = _start_stack()
    from infra.local import aws as local_aws
    undo = (lambda: None) if moto_as_is else local_aws.cheap_transaction_backups()
    counter = ResponseCounter()
    counter.install()
    from .dynamo_calls import MotoRecorder
    recorder = MotoRecorder(stack.endpoint)
    try:
        # Powertools prints its EMF metric lines (Escalation_warn, ...) to stdout: not ours to show.
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            result = _run(scale_name, scale, counter, recorder)
        result["moto_transactions_patched"] = not moto_as_is
        return result
    finally:
        counter.uninstall()
        undo()
        server.stop()


def _run(scale_name: str, scale: dict[str, int], counter: ResponseCounter, recorder) -> dict[str, Any]:
    from chalicelib.services.escalation import sweep
    from chalicelib.store import schema
    from chalicelib.store.models import Item
    from chalicelib.store.items import iso_utc as _iso

    if Item.Meta.table_name != os.environ["PROPDESK_TABLE"]:
        raise RuntimeError("chalicelib.store.models was imported before the bench set PROPDESK_TABLE")

    _check_rollback()
    before = Counter(counter.whole_run)
    started = time.perf_counter()
    population = _populate(scale, random.Random(20260302))
    setup_s = time.perf_counter() - started
    setup_ops = dict(counter.whole_run - before)
    _log(f"set-up: {population.watch_items} watch items in {setup_s:.1f} s ({_ops(setup_ops)})")

    now_key = _iso(NOW)

    def one_sweep(label: str) -> dict[str, Any]:
        tally = Tally()
        recorder.start()
        counter.tally = tally
        t0 = time.perf_counter()
        try:
            report = sweep(NOW)
        finally:
            elapsed = time.perf_counter() - t0
            counter.tally = None
        server_seen = dict(recorder.stop())
        idle = sum(1 for tenant, _ in tally.returned if tenant not in population.due_tenants)
        not_due = sum(1 for _, work_sk in tally.returned if work_sk.split("#", 1)[0] > now_key)
        _log(f"{label}: {tally.items_scanned} items read, {report.steps_fired} steps fired in {elapsed:.2f} s")
        return {"seconds": elapsed, "report": report, "tally": tally, "idle_tenant_reads": idle,
                "not_due_reads": not_due, "server_seen": server_seen,
                "server_agrees": server_seen == dict(tally.operations)}

    first = one_sweep("sweep")
    repeat = one_sweep("repeat sweep (same now)")

    t1, r1 = first["tally"], first["report"]
    due = population.due_watches
    reads_per_due = round(t1.items_scanned / due, 3) if due else None
    query_s = t1.op_seconds.get("Query", 0.0)
    result = {
        "scale": {"name": scale_name, "tenants": population.tenants, "open_tickets": population.watch_items,
                  "watch_items_in_work_index": population.in_work_index, "due_tickets": due,
                  "due_share": round(due / population.watch_items, 4), "tenants_with_something_due":
                  len(population.due_tenants), "tenants_with_nothing_due":
                  len(population.all_tenants - population.due_tenants), "work_shards": schema.WORK_SHARDS,
                  "recipients_per_step": 0, "sweep_now": _iso(NOW),
                  "not_due_next_step_from": _iso(population.earliest_not_due),
                  "not_due_next_step_to": _iso(population.latest_not_due)},
        "setup_seconds": round(setup_s, 1),
        "setup_operations": setup_ops,
        "items_read": t1.items_scanned,
        "items_returned": t1.items_returned,
        "items_due": due,
        "steps_due": population.due_steps,
        "reads_per_due": reads_per_due,
        "query_calls": t1.operations.get("Query", 0),
        "idle_tenant_reads": first["idle_tenant_reads"],
        "not_due_reads": first["not_due_reads"],
        "steps_fired": r1.steps_fired,
        "steps_already_done": r1.steps_already_done,
        "watches_read": r1.watches_read,
        "operations": dict(t1.operations),
        "write_calls": sum(n for op, n in t1.operations.items() if op not in ("Query", "Scan", "GetItem")),
        "items_written": t1.items_written,
        "errors": dict(t1.errors),
        "ms": round(first["seconds"] * 1000, 1),
        "ms_per_due": round(first["seconds"] * 1000 / due, 2) if due else None,
        # The repeat sweep finds nothing due: its time is the sweep's fixed cost (8 queries, on
        # moto each a pass over the whole table); what the first sweep took beyond it, per due ticket:
        "ms_per_due_beyond_fixed": round((first["seconds"] - repeat["seconds"]) * 1000 / due, 2) if due else None,
        "query_ms": round(query_s * 1000, 1),
        "write_ms": round(sum(s for op, s in t1.op_seconds.items() if op != "Query") * 1000, 1),
        "server_seen": first["server_seen"],
        "server_agrees": first["server_agrees"] and repeat["server_agrees"],
        "repeat": {"items_read": repeat["tally"].items_scanned, "steps_fired": repeat["report"].steps_fired,
                   "steps_already_done": repeat["report"].steps_already_done,
                   "query_calls": repeat["tally"].operations.get("Query", 0),
                   "operations": dict(repeat["tally"].operations),
                   "ms": round(repeat["seconds"] * 1000, 1)},
        "scan_calls_whole_run": counter.whole_run.get("Scan", 0),
        "whole_run_dynamodb_operations": dict(counter.whole_run),
        "versions": {p: _version(p) for p in ("moto", "pynamodb", "botocore")},
    }
    result["checks"] = checks(result)
    return result


def checks(r: dict) -> dict[str, dict]:
    """The issue's targets, and the sanity checks that make the figures mean something."""
    return {
        "sweep_reads_per_due": {"target": f"≤ {READS_PER_DUE_TARGET}", "value": r["reads_per_due"],
                                "ok": r["reads_per_due"] is not None and r["reads_per_due"] <= READS_PER_DUE_TARGET},
        "sweep_idle_tenant_reads": {"target": "= 0", "value": r["idle_tenant_reads"],
                                    "ok": r["idle_tenant_reads"] == 0},
        "sweep_steps_fired": {"target": f"= {r['steps_due']} (steps due)", "value": r["steps_fired"],
                              "ok": r["steps_fired"] == r["steps_due"]},
        "sweep_repeat_steps_fired": {"target": "= 0", "value": r["repeat"]["steps_fired"],
                                     "ok": r["repeat"]["steps_fired"] == 0},
        "sweep_scan_calls": {"target": "= 0", "value": r["scan_calls_whole_run"], "ok": r["scan_calls_whole_run"] == 0},
    }


def _ops(operations: dict) -> str:
    return ", ".join(f"{name}×{n}" for name, n in operations.items()) or "none"


def _version(package: str) -> str:
    from importlib.metadata import version
    return version(package)


# --- for bench.run --------------------------------------------------------------------------

def measure(scale: str = "full") -> dict[str, Any]:
    """Run the sweep benchmark in a child process; returns its results (JSON-able)."""
    TMP.mkdir(parents=True, exist_ok=True)
    out = TMP / f"sweep-{uuid.uuid4().hex[:8]}.json"
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-m", "bench.sweep", "--scale", scale, "--json", str(out)], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)  # progress and errors come on stderr
        result = json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)
    result["process_seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--json", help="write the results here (else print them)")
    parser.add_argument("--moto-as-is", action="store_true",
                        help="keep moto's whole-table copy per transaction (slow: seconds per due ticket)")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    result = run(args.scale, moto_as_is=args.moto_as_is)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
