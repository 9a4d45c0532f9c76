"""DynamoDB round trips per route, counted (not estimated).

How: ``botocore.client.BaseClient._make_api_call`` is wrapped for the whole run, so every
botocore client in the process is seen, whoever built it (PynamoDB's lazily built
``Connection``/``TableConnection`` clients, boto3 clients, Powertools'). Each call is
attributed to the open *counting window*, which spans exactly one HTTP request through
``chalice.test.Client`` (with ``PropDeskLocalGateway``, as tests/conftest.py wires it).
Data is set up before, outside any window.

As an independent check the moto server's own recorder is switched on for each window:
it lists the DynamoDB requests that actually reached the server (by ``X-Amz-Target``), so
a client the wrapper missed, or a retried HTTP attempt, would show as a mismatch.

Use ``measure()``; ``bench.run`` prints and stores what it returns.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.request
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
TMP = ROOT / "bench" / ".tmp"


# --- counting on the client side ---------------------------------------------------------

@contextmanager
def aws_calls(*, params: bool = False) -> Iterator[list[tuple]]:
    """Every AWS call made while the block runs, by any client (PynamoDB's, Powertools', boto3's):
    ``(service, operation)``, or ``(service, operation, params)`` with ``params``."""
    from botocore.client import BaseClient
    seen: list[tuple] = []
    original = BaseClient._make_api_call

    def counting(client, operation_name, api_params):
        call = (client.meta.service_model.service_name, operation_name)
        seen.append(call + (api_params,) if params else call)
        return original(client, operation_name, api_params)

    BaseClient._make_api_call = counting
    try:
        yield seen
    finally:
        BaseClient._make_api_call = original


@dataclass
class Window:
    label: str
    thread: int
    dynamodb: Counter = field(default_factory=Counter)
    other_aws: Counter = field(default_factory=Counter)  # "cognito-idp:AdminCreateUser" → n
    read_units: float = 0.0  # modelled from the items' sizes (see request_units)
    write_units: float = 0.0


class CallCounter:
    """Wraps ``BaseClient._make_api_call``. ``whole_run`` sees every DynamoDB operation from
    install to uninstall (set-up included, any thread); a window only its own thread's calls."""

    def __init__(self) -> None:
        self.whole_run: Counter = Counter()
        self._window: Window | None = None
        self._original: Callable | None = None
        self._lock = threading.Lock()

    def install(self) -> None:
        from botocore.client import BaseClient

        if self._original is not None:
            return
        original = BaseClient._make_api_call
        counter = self

        def _make_api_call(client, operation_name, api_params):
            service = client.meta.service_model.service_name
            counter._record(service, operation_name)
            answer = original(client, operation_name, api_params)
            if service == "dynamodb":
                counter._units(operation_name, api_params, answer)
            return answer

        BaseClient._make_api_call = _make_api_call
        self._original = original

    def uninstall(self) -> None:
        from botocore.client import BaseClient

        if self._original is not None:
            BaseClient._make_api_call = self._original
            self._original = None

    def _record(self, service: str, operation: str) -> None:
        with self._lock:
            if service == "dynamodb":
                self.whole_run[operation] += 1
            window = self._window
            if window is None or window.thread != threading.get_ident():
                return
            if service == "dynamodb":
                window.dynamodb[operation] += 1
            else:
                window.other_aws[f"{service}:{operation}"] += 1

    def _units(self, operation: str, params: dict, answer: dict) -> None:
        window = self._window
        if window is None or window.thread != threading.get_ident():
            return
        reads, writes = request_units(operation, params, answer)
        window.read_units += reads
        window.write_units += writes

    @contextmanager
    def window(self, label: str) -> Iterator[Window]:
        if self._window is not None:
            raise RuntimeError("counting windows do not nest")
        window = Window(label, threading.get_ident())
        self._window = window
        try:
            yield window
        finally:
            self._window = None


def _size(item: dict | None) -> int:
    """An item's size as DynamoDB bills it, near enough: names plus values, in bytes."""
    if not item:
        return 0
    return sum(len(name.encode()) + len(json.dumps(value, separators=(",", ":")).encode())
               for name, value in item.items())


def request_units(operation: str, params: dict, answer: dict) -> tuple[float, float]:
    """On-demand request units of one call, from the sizes of the items it carried: a write
    is 1 unit per started KB (2 inside a transaction); a strongly consistent read 1 unit per
    started 4 KB (half that eventually consistent), a Query summed over its items first.
    For updates the request's attributes stand in for the item (DynamoDB bills the larger of
    the item before and after): a model, stated as one."""
    def kb(size: int) -> int:
        return max(1, -(-size // 1024))

    def four_kb(size: int) -> int:
        return max(1, -(-size // 4096))

    consistent = 1.0 if params.get("ConsistentRead") else 0.5
    if operation in ("PutItem", "DeleteItem"):
        return 0.0, kb(_size(params.get("Item") or params.get("Key")))
    if operation == "UpdateItem":
        return 0.0, kb(_size(params.get("Key")) + _size(params.get("ExpressionAttributeValues")))
    if operation == "TransactWriteItems":
        units = 0
        for entry in params.get("TransactItems", []):
            (kind, body), = entry.items()
            size = _size(body.get("Item") or body.get("Key")) + _size(body.get("ExpressionAttributeValues"))
            units += 2 * kb(size)
        return 0.0, float(units)
    if operation == "BatchWriteItem":
        return 0.0, float(sum(kb(_size((r.get("PutRequest") or r.get("DeleteRequest") or {}).get("Item")
                                       or (r.get("DeleteRequest") or {}).get("Key")))
                              for requests in params.get("RequestItems", {}).values() for r in requests))
    if operation == "GetItem":
        return four_kb(_size(answer.get("Item"))) * consistent, 0.0
    if operation == "BatchGetItem":
        reads = 0.0
        for table, items in (answer.get("Responses") or {}).items():
            strong = 1.0 if params["RequestItems"].get(table, {}).get("ConsistentRead") else 0.5
            reads += sum(four_kb(_size(item)) for item in items) * strong
        return reads, 0.0
    if operation == "Query":
        return four_kb(sum(_size(item) for item in answer.get("Items", []))) * consistent, 0.0
    return 0.0, 0.0


# --- counting on the server side (moto's recorder) ---------------------------------------

class MotoRecorder:
    """moto's request recorder over its HTTP API (no botocore, so never counted itself)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._open = urllib.request.build_opener(urllib.request.ProxyHandler({})).open

    def _call(self, method: str, action: str) -> bytes:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/recorder/{action}", method=method, data=None)
        with self._open(request, timeout=10) as answer:
            return answer.read()

    def start(self) -> None:
        self._call("POST", "reset-recording")
        self._call("POST", "start-recording")

    def stop(self) -> Counter:
        self._call("POST", "stop-recording")
        seen: Counter = Counter()
        for line in self._call("GET", "download-recording").decode().splitlines():
            if not line.strip():
                continue
            headers = {k.lower(): v for k, v in json.loads(line).get("headers", {}).items()}
            target = headers.get("x-amz-target", "")
            if target.startswith("DynamoDB_"):
                seen[target.split(".", 1)[1]] += 1
        return seen


# --- targets -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    text: str
    check: Callable[[int, dict], bool]


AT_MOST_2 = Target("≤ 2", lambda n, ops: n <= 2)
EXACTLY_1 = Target("= 1", lambda n, ops: n == 1)
ONE_QUERY = Target("1 Query", lambda n, ops: ops == {"Query": 1})
ONE_TRANSACTION = Target("1 transaction", lambda n, ops: ops.get("TransactWriteItems") == 1 and n <= 2)
ONE_BATCH_GET = Target("1 BatchGetItem", lambda n, ops: ops == {"BatchGetItem": 1})
ONE_GET = Target("1 GetItem", lambda n, ops: ops == {"GetItem": 1})


@dataclass
class Measured:
    label: str
    status: int
    dynamodb: dict
    other_aws: dict
    server_seen: dict
    target: Target | None
    note: str = ""
    read_units: float = 0.0
    write_units: float = 0.0

    @property
    def calls(self) -> int:
        return sum(self.dynamodb.values())

    @property
    def ok(self) -> bool | None:
        if "Scan" in self.dynamodb:
            return False
        if self.target is None:
            return None
        return self.target.check(self.calls, self.dynamodb)

    def as_dict(self) -> dict:
        return {"status": self.status, "dynamodb_calls": self.calls, "operations": self.dynamodb,
                "server_seen": self.server_seen, "server_agrees": self.server_seen == self.dynamodb,
                "other_aws_calls": self.other_aws, "target": self.target.text if self.target else None,
                "ok": self.ok, "note": self.note, "read_units": self.read_units, "write_units": self.write_units}


# --- the local stack and the app ---------------------------------------------------------

def _start_stack():
    """moto in this process, the table and pool, the environment: as tests/conftest.py does."""
    TMP.mkdir(parents=True, exist_ok=True)
    recording = TMP / "moto_recording.jsonl"
    recording.unlink(missing_ok=True)
    os.environ["MOTO_RECORDER_FILEPATH"] = str(recording)  # read when moto's recorder is created
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from infra.local import aws as local_aws

    server, endpoint = local_aws.start_moto()
    stack = local_aws.create_resources(endpoint, table=f"propdesk-bench-{uuid.uuid4().hex[:6]}")
    local_aws.use(stack)
    os.environ["PROPDESK_STAGE"] = "test"
    os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "PropDeskBench"
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"  # keep EMF lines out of the table
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"  # request logs off; unhandled errors still show
    os.environ["PROPDESK_REPORTS_PER_IP"] = "100000"  # the bench reports many tickets from one address
    from chalicelib.settings import settings
    settings.cache_clear()
    return server, stack


def _csv(building_names: list[str], units: int) -> str:
    lines = ["building,unit,floor"]
    for i in range(units):
        floor = 20 + i // 10
        lines.append(f"{building_names[i % len(building_names)]},{floor}{i % 10:02d},{floor}")
    return "\n".join(lines) + "\n"


def measure(*, queue_tickets: int = 30, csv_units: int = 100) -> dict[str, Any]:
    """Set up a firm, then count each route's DynamoDB calls. Returns a JSON-able dict."""
    server, stack = _start_stack()
    counter = CallCounter()
    counter.install()
    recorder = MotoRecorder(stack.endpoint)
    try:
        return _measure(counter, recorder, queue_tickets, csv_units)
    finally:
        counter.uninstall()
        server.stop()


def _measure(counter: CallCounter, recorder: MotoRecorder, queue_tickets: int, csv_units: int) -> dict[str, Any]:
    from chalice.test import Client

    from app import app
    from infra.local.gateway import PropDeskLocalGateway
    from tests.support import Firm, body, unique
    from chalicelib.store.models import Item

    if Item.Meta.table_name != os.environ["PROPDESK_TABLE"]:  # the models read it at import
        raise RuntimeError("chalicelib.store.models was imported before the bench set PROPDESK_TABLE")

    measured: list[Measured] = []

    def count(label: str, request: Callable[[], Any], expect: int, target: Target | None = None,
              note: str = "") -> Any:
        recorder.start()
        with counter.window(label) as window:
            response = request()
        server_seen = dict(recorder.stop())
        if response.status_code != expect:
            raise AssertionError(f"{label}: expected HTTP {expect}, got {response.status_code}: {response.body[:500]!r}")
        measured.append(Measured(label, response.status_code, dict(window.dynamodb), dict(window.other_aws),
                                 server_seen, target, note, window.read_units, window.write_units))
        return response

    with Client(app, stage_name="test", project_dir=str(ROOT)) as client:
        client.http._local_gateway = PropDeskLocalGateway(app, client.http._config)

        # --- set-up, outside every window -------------------------------------------------
        firm = Firm.sign_up(client)  # signs up, signs in, adds a property, a building, two units
        staff_sub, _ = firm.add_staff()
        for i in range(queue_tickets):
            answer = firm.submit(firm.report(description=f"Queue filler {i}: the hallway light flickers."))
            assert answer.status_code == 201, answer.body
        json_headers = {"Content-Type": "application/json"}

        # --- public routes --------------------------------------------------------------------
        slug = unique("firm")
        count("POST /signup", lambda: client.http.post("/signup", headers=json_headers, body=json.dumps({
            "name": f"Firm {slug}", "slug": slug, "time_zone": "Asia/Shanghai", "locale": "en",
            "admin_email": f"admin-{slug}@example.com", "admin_name": "Ada Admin",
            "template": "prc-residential"})), 201,
              note="a new firm and its first admin")

        key = f"bench-{uuid.uuid4().hex}"
        # unit 1204 has no earlier report of this category (the queue fillers are 1203): not a repeat
        report = firm.report(unit="1204", description="Bench: the bathroom fan rattles.")
        first = count("POST /r/{slug}/tickets", lambda: firm.submit(report, key=key), 201, AT_MOST_2,
                      note="first submission, with an Idempotency-Key")
        assert first.headers.get("Idempotent-Replayed") == "false", first.headers
        replay = count("POST /r/{slug}/tickets (replay)", lambda: firm.submit(report, key=key), 201,
                       note="the same submission retried with the same Idempotency-Key")
        assert replay.headers.get("Idempotent-Replayed") == "true", replay.headers
        token = body(first)["ticket"]["tracking_token"]
        count("GET /t/{token}", lambda: client.http.get(f"/t/{token}"), 200, EXACTLY_1,
              note="the resident's tracking page: a ticket read")

        # --- the queue ------------------------------------------------------------------------
        # A staff request also reads the person's standing (still active? which role?) once per
        # 40 s per process (services/access.py), so whether a row pays for it depended on how long
        # the set-up took. It is measured once here; then the standing is kept for the rest of
        # the run, so every row below counts its route alone.
        from chalicelib.services import access
        access.cache.clear()
        count("GET /api/tickets (first staff request in 40 s)", lambda: firm.call("GET", "/api/tickets"), 200,
              note="the queue's Query and the person's standing (a GetItem), read again at most every 40 s")
        access.cache.ttl = float("inf")
        page = count("GET /api/tickets", lambda: firm.call("GET", "/api/tickets"), 200, ONE_QUERY,
                     note=f"first page (25 of {queue_tickets + 1} open tickets)")
        cursor = body(page)["next_cursor"]
        assert cursor and len(body(page)["tickets"]) == 25, body(page)
        count("GET /api/tickets (page 2)", lambda: firm.call("GET", f"/api/tickets?cursor={cursor}"), 200, ONE_QUERY,
              note="next_cursor of page 1")
        count("GET /api/tickets (filtered)",
              lambda: firm.call("GET", "/api/tickets?status=new&category=repairs&assignee=none&limit=10"),
              200, ONE_QUERY, note="status, category and assignee filters")

        # --- finding a ticket (queue_search_round_trips: the most any way takes) ---------------
        for way, typed, target in (("number", "1", ONE_GET), ("unit", "1203", ONE_QUERY), ("phone", "8000", ONE_QUERY)):
            count(f"GET /api/search/tickets (by {way})",
                  lambda q=f"by={way}&q={typed}": firm.call("GET", f"/api/search/tickets?{q}"), 200, target,
                  note="the console's queue search through the API: one key lookup")

        # --- a ticket's life ------------------------------------------------------------------
        created = body(count("POST /api/tickets", lambda: firm.call("POST", "/api/tickets", firm.report()), 201,
                             note="staff create (no target set); unit 1203 reported repairs before, so it is a "
                                  "repeat complaint: the second transaction is that"))
        # Only the replay ran between the first submission and this ticket: a gap means it took a number.
        skipped = created["number"] - body(first)["ticket"]["number"] - 1
        replay_row = next(m for m in measured if m.label == "POST /r/{slug}/tickets (replay)")
        replay_row.note += f"; ticket numbers it consumed: {skipped}"
        tid, version = created["id"], created["version"]
        acked = body(count("POST /api/tickets/{id}/events (acknowledge)",
                           lambda: firm.event(tid, version, {"type": "acknowledge"}), 201, AT_MOST_2))
        assigned = body(count("POST /api/tickets/{id}/events (assign)",
                              lambda: firm.event(tid, acked["version"], {"type": "assign", "assignee": staff_sub}),
                              201, AT_MOST_2))
        count("PATCH /api/tickets/{id}",
              lambda: firm.call("PATCH", f"/api/tickets/{tid}", {"urgency": "urgent"},
                                **{"If-Match": f'"{assigned["version"]}"'}),
              200, AT_MOST_2, note="re-classify; recorded as a timeline event, held to the lifecycle target")
        read = body(count("GET /api/tickets/{id}", lambda: firm.call("GET", f"/api/tickets/{tid}"), 200, EXACTLY_1,
                          note="ticket read (head + 4-event timeline)"))
        assert len(read["timeline"]) == 4, read["timeline"]

        # --- photos, surveys, scores ------------------------------------------------------------
        count("POST /t/{token}/photos", lambda: client.http.post(f"/t/{token}/photos", headers=json_headers,
                                                                 body="{}"), 201, EXACTLY_1,
              note="a presigned S3 POST for one photo (signing is local: no AWS call)")
        repeat_report = firm.report(unit="1204", description="Bench: the bathroom fan rattles again.")
        count("POST /r/{slug}/tickets (repeat complaint)", lambda: firm.submit(repeat_report), 201,
              note="same unit and category within 30 days: the first transaction finds the repeat marker "
                   "and a second writes the ticket marked as a repeat")
        first_ticket = next(t for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]
                            if t["number"] == body(first)["ticket"]["number"])
        resolved = firm.event(first_ticket["id"], first_ticket["version"], {"type": "resolve", "note": "Fixed."})
        assert resolved.status_code == 201, resolved.body
        count("POST /t/{token}/survey", lambda: client.http.post(f"/t/{token}/survey", headers=json_headers,
                                                                 body=json.dumps({"rating": 4, "nps": 9})),
              201, ONE_TRANSACTION,
              note="the answer, the ticket's timeline and every score counter it moves: one transaction")
        from chalicelib.domain.scores import period_keys
        from datetime import datetime as _dt, timezone as _tz
        month = period_keys(_dt.now(_tz.utc), "Asia/Shanghai")["month"]
        count("GET /api/scores (first in a process)",
              lambda: firm.call("GET", f"/api/scores?period={month}&by=category"), 200,
              note="a cold process also reads the firm and its standards (minimum n, weights), then keeps them a minute")
        count("GET /api/scores", lambda: firm.call("GET", f"/api/scores?period={month}&by=category"), 200, ONE_QUERY,
              note="a month's scores by category, from the counters (no ticket is read)")
        count("GET /api/scores/trend", lambda: firm.call("GET", f"/api/scores/trend?period={month}"), 200,
              ONE_BATCH_GET, note="12 months of the firm's scores")
        count("GET /p/{slug}/scorecard", lambda: client.http.get(f"/p/{firm.slug}/scorecard"), 404, ONE_BATCH_GET,
              note="the published scorecard reads the slug's profile and its logo in one BatchGetItem "
                   "(this firm does not publish: 404)")

        # --- the register and the staff -------------------------------------------------------
        count("GET /api/properties", lambda: firm.call("GET", "/api/properties"), 200)
        csv_text = _csv(["Block 3", "Block 5"], csv_units)
        imported = body(count("POST /api/properties/{pid}/units/import",
                              lambda: client.http.post(f"/api/properties/{firm.property_id}/units/import",
                                                       headers=firm.headers(**{"Content-Type": "text/csv"}),
                                                       body=csv_text), 201,
                              note=f"CSV of {csv_units} units: half into an existing building, half into a new one"))
        assert imported["imported_units"] == csv_units, imported
        count("GET /api/staff", lambda: firm.call("GET", "/api/staff"), 200)

        # --- a month of another firm, read back from its usage counters (bench/month.py) ------
        from .month import drive
        month_firm = Firm.sign_up(client)
        month_staff, _ = month_firm.add_staff()
        # The drive's ~500 transactions each made moto deep-copy the whole table once per item
        # (memory grew past 7 GB and the kernel killed the bench); what the drive measures is the
        # firm's usage counters, not moto, so moto backs up only the items a transaction touches
        # here (the same all-or-nothing outcome, tests/local/test_moto_transactions.py).
        from infra.local import aws as local_aws
        undo = local_aws.cheap_transaction_backups()
        try:
            month = drive(client, month_firm, month_staff)
        finally:
            undo()

    access.cache.ttl = access.STANDING_SECONDS
    scans = counter.whole_run.get("Scan", 0)
    return {
        "routes": {m.label: m.as_dict() for m in measured},
        "whole_run_dynamodb_operations": dict(counter.whole_run),
        "scan_calls_whole_run": scans,
        "server_agrees": all(m.server_seen == m.dynamodb for m in measured),
        "ticket_numbers_consumed_by_replay": skipped,
        "month_usage": month,
        "setup": {"queue_tickets": queue_tickets + 1, "csv_units": csv_units,
                  "moto": _version("moto"), "pynamodb": _version("pynamodb"), "botocore": _version("botocore")},
    }


def _version(package: str) -> str:
    from importlib.metadata import version
    return version(package)
