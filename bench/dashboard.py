"""Dashboard read time versus the tenant's size: 1,000 versus 100,000 tickets.

Set-up (outside every measurement): two firms in one table, one with 1,000 tickets and one
with 100,000, spread over a month (some answered, resolved, reopened, rated). Each ticket
is written as the app stores it (its head item, put straight into moto's backend), and the score counters are what the app's
own rule (``domain.scores.ticket_contributions``) adds up for those tickets, written once,
with each property's monthly inspection counted in as ``domain.inspections`` counts it.

Then ``services.scores.period_scores`` (what ``GET /api/scores`` calls) reads each firm's
month by category, warm (the firm's settings cached, as in a warm Lambda), many times;
``botocore`` is wrapped to count the DynamoDB calls and the items each returned.

moto answers every Query by sorting the whole table and sizing every item of the partition;
DynamoDB reads only the sort-key range asked for. So that the times measure our code rather
than moto's, moto's main-table Query is patched here to look at the items of that range
only (``_partition_queries``); say ``--moto-as-is`` to see moto's own behaviour. Runs in a child process (the models read the
table name at import); ``measure()`` returns what it printed. After set-up the heap is
frozen (``gc.freeze()``) so the garbage collector does not walk moto's 101,000 items.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
TMP = ROOT / "bench" / ".tmp"
SIZES = {"small": 1_000, "large": 100_000}
RATIO_TARGET = 1.2
PERIOD_START = datetime(2026, 10, 1, tzinfo=timezone.utc)
PERIOD = "M2026-10"
READS = 100


def _partition_queries() -> Callable[[], None]:
    """moto's main-table Query reads only the queried partition's sort-key range, as
    DynamoDB does: DynamoDB finds the range in the partition's sort-key order and reads (and
    bills) only the items in it. moto instead sorts the whole table, then works out the size
    of every item of the partition before it compares sort keys, so a firm's score partition
    (one item per period and slice, all periods) would cost on every read in proportion to
    its size, not to the four items the dashboard asks for. A page after the first starts at
    its start key, as DynamoDB's does (moto walks the items before it again, page after page:
    a firm's export, which pages through its whole partition, would cost its square)."""
    from bisect import bisect_left, bisect_right

    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table
    original = Table.query

    def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
              projection_expressions, index_name=None, *args, **kwargs):
        if index_name is None and hash_key is not None and self.range_key_attr:
            keyed = sorted(((item.range_key.cast_value, item) for item in self.items.get(hash_key, {}).values()
                            if not range_comparison or item.range_key.compare(range_comparison, range_objs)),
                           key=lambda pair: pair[0])
            keys, partition = [k for k, _ in keyed], [item for _, item in keyed]
            if exclusive_start_key:
                start = DynamoType(exclusive_start_key[self.range_key_attr]).cast_value
                partition = (partition[bisect_right(keys, start):] if scan_index_forward
                             else partition[:bisect_left(keys, start)])
                exclusive_start_key = None
            call = (self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
                    projection_expressions, index_name, *args)
            self.all_items = lambda: partition  # an instance attribute shadows the method for this call
            try:
                return original(*call, **kwargs)
            finally:
                del self.all_items
        return original(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
                        projection_expressions, index_name, *args, **kwargs)

    Table.query = query
    return lambda: setattr(Table, "query", original)


def _moto_backend():
    """moto's DynamoDB in this process. The 101,000 ticket heads are put straight into it:
    through HTTP, moto takes ~30 ms per item, which would make the set-up an hour long."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ.get("AWS_DEFAULT_REGION", "us-east-1")]


def _ticket(tenant_id: str, n: int, rng: random.Random, properties: list[tuple[str, str]]):
    from chalicelib.domain.tickets import Ticket
    created = PERIOD_START + timedelta(seconds=rng.randrange(0, 27 * 86400))
    property_id, building_id = properties[rng.randrange(len(properties))]
    responded = created + timedelta(minutes=rng.randrange(5, 600)) if rng.random() < 0.9 else None
    resolved = created + timedelta(hours=rng.randrange(2, 90)) if responded and rng.random() < 0.7 else None
    reopened = 1 if resolved and rng.random() < 0.05 else 0
    survey = None
    if resolved and rng.random() < 0.3:
        survey = {"at": (resolved + timedelta(days=1)).isoformat(), "rating": rng.randint(1, 5), "scale": [1, 5]}
    return Ticket(
        id=f"{n:026d}", tenant_id=tenant_id, number=n, status="resolved" if resolved and not reopened else "assigned",
        category=rng.choice(("repairs", "water_leak", "environment", "fees")), urgency="normal",
        property_id=property_id, building_id=building_id, unit=f"{rng.randint(1, 30)}0{rng.randint(1, 4)}",
        description="Bench ticket", created_at=created, updated_at=resolved or responded or created,
        assignee=f"staff-{rng.randrange(8)}", first_response_at=responded,
        first_response_due=created + timedelta(hours=4), resolved_at=None if reopened else resolved,
        first_resolved_at=resolved, resolution_due=created + timedelta(hours=72), reopen_count=reopened,
        visits=rng.choice((0, 1, 1, 2)), repeat=rng.random() < 0.08, survey=survey,
        calendar={"time_zone": "Asia/Shanghai"})


def _populate(tenant_id: str, count: int, seed: int) -> int:
    """Write ``count`` ticket heads and the counters they add up to; returns score items."""
    from chalicelib.domain import scores
    from chalicelib.store import items as store_items
    from chalicelib.store.scores import PREFIX, score_sk, scores_pk
    from chalicelib.store.tickets import _answers
    rng = random.Random(seed)
    properties = [(f"P{p}", f"P{p}B{b}") for p in range(4) for b in range(5)]
    totals: dict = {}
    backend = _moto_backend()
    for n in range(1, count + 1):
        ticket = _ticket(tenant_id, n, rng, properties)
        item = store_items.ticket_item(tenant_id, ticket)
        backend.put_item(os.environ["PROPDESK_TABLE"], item.serialize())
        _add(totals, scores.ticket_contributions(ticket, "Asia/Shanghai", responses=_answers(ticket)))
    _add(totals, _inspections([p for p, _ in properties]))
    client = store_items.connection().client
    table = os.environ["PROPDESK_TABLE"]
    requests = [{"PutRequest": {"Item": {"pk": {"S": scores_pk(tenant_id)}, "sk": {"S": score_sk(*key)},
                                         "kind": {"S": "score"},
                                         **{PREFIX + name: {"N": str(v)} for name, v in counters.items()}}}}
                for key, counters in totals.items()]
    for i in range(0, len(requests), 25):
        client.batch_write_item(RequestItems={table: requests[i:i + 25]})
    return len(requests)


def _add(totals: dict, contributions: dict) -> None:
    for key, counters in contributions.items():
        into = totals.setdefault(key, {})
        for name, value in counters.items():
            into[name] = into.get(name, 0) + value


def _inspections(property_ids: list[str]) -> dict:
    """Each property's inspection of the month (the seeds' starter checklist, one communal
    facility failed), as ``domain.inspections`` counts it into the same score items."""
    from chalicelib.domain import inspections, scores
    month = scores.period_keys(PERIOD_START, "Asia/Shanghai")["month"]
    tallies = {a["key"]: inspections.Tally(len(a["items"]) - (a["key"] == "facilities"), len(a["items"]))
               for a in inspections.STARTER["areas"]}
    found: dict = {}
    for property_id in sorted(set(property_ids)):
        _add(found, inspections.contributions(property_id, month, tallies))
    return found


class Counting:
    """Counts DynamoDB calls and the items their answers carried, whichever client made them."""

    def __init__(self) -> None:
        self.calls: Counter = Counter()
        self.items = 0
        self.attributes = 0
        self._original = None

    def install(self) -> None:
        from botocore.client import BaseClient
        original, counting = BaseClient._make_api_call, self

        def _make_api_call(client, operation_name, api_params):
            answer = original(client, operation_name, api_params)
            if client.meta.service_model.service_name == "dynamodb":
                counting.calls[operation_name] += 1
                counting.items += int(answer.get("ScannedCount", answer.get("Count", 0)) or 0)
                counting.attributes += sum(len(item) for item in answer.get("Items", []))
            return answer

        BaseClient._make_api_call = _make_api_call
        self._original = original

    def reset(self) -> None:
        self.calls, self.items, self.attributes = Counter(), 0, 0


def run(*, moto_as_is: bool = False) -> dict[str, Any]:
    TMP.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from infra.local import aws as local_aws
    server, endpoint = local_aws.start_moto()
    stack = local_aws.create_resources(endpoint, table=f"propdesk-bench-dash-{uuid.uuid4().hex[:6]}")
    local_aws.use(stack)
    os.environ.update({"PROPDESK_STAGE": "test", "POWERTOOLS_METRICS_DISABLED": "true",
                       "POWERTOOLS_LOG_LEVEL": "ERROR"})
    undo = (lambda: None) if moto_as_is else _partition_queries()
    try:
        return _run(moto_as_is)
    finally:
        undo()
        server.stop()


def _run(moto_as_is: bool) -> dict[str, Any]:
    from chalicelib.domain.identity import Identity
    from chalicelib.domain.tokens import new_id
    from chalicelib.services import scores
    from chalicelib.services.templates import load as load_template
    from chalicelib.store import tenants as tenant_store
    from chalicelib.store.tenants import Tenant, User

    started = time.perf_counter()
    firms, setup = {}, {}
    for size, count in SIZES.items():
        tenant_id = new_id()
        tenant = Tenant(tenant_id, f"Bench {size}", f"bench-{size}-{uuid.uuid4().hex[:6]}", "en", "Asia/Shanghai",
                        "prc-residential", datetime.now(timezone.utc))
        tenant_store.create_tenant(tenant, load_template("prc-residential"),
                                   User("admin", f"admin-{size}@example.com", "Admin", "admin", True, 1))
        score_items = _populate(tenant_id, count, seed=count)
        firms[size] = Identity(tenant_id=tenant_id, sub="admin", role="admin")
        setup[size] = {"tickets": count, "score_items": score_items}
        print(f"set-up: {count:,} tickets written", file=sys.stderr)
    setup_seconds = round(time.perf_counter() - started, 1)

    # moto keeps the 101,000 items in this process's heap: without this, Python's cyclic GC
    # walks them during the reads, a cost of the embedded mock that DynamoDB does not have.
    import gc
    gc.collect()
    gc.freeze()
    counting = Counting()
    counting.install()
    measured: dict[str, dict] = {}
    for who in firms.values():  # warm: the settings are read once per process
        scores.period_scores(who, {"period": PERIOD, "by": "category"})
    # The two firms' reads alternate, so drift on the machine falls on both alike.
    times: dict[str, list[float]] = {size: [] for size in firms}
    calls: dict[str, Counter] = {size: Counter() for size in firms}
    items: dict[str, int] = dict.fromkeys(firms, 0)
    attributes: dict[str, int] = dict.fromkeys(firms, 0)
    answers: dict[str, dict] = {}
    for _ in range(READS):
        for size, who in firms.items():
            counting.reset()
            t0 = time.perf_counter()
            answers[size] = scores.period_scores(who, {"period": PERIOD, "by": "category"})
            times[size].append(time.perf_counter() - t0)
            calls[size].update(counting.calls)
            items[size] += counting.items
            attributes[size] += counting.attributes
    for size in firms:
        measured[size] = {"median_ms": round(statistics.median(times[size]) * 1000, 2),
                          "round_trips_per_read": sum(calls[size].values()) / READS,
                          "operations": {k: v / READS for k, v in calls[size].items()},
                          "items_read_per_read": items[size] / READS,
                          "attributes_read_per_read": attributes[size] / READS,
                          "volume": answers[size]["firm"]["volume"]["value"]}
        assert answers[size]["firm"]["volume"]["value"] == setup[size]["tickets"], answers[size]["firm"]["volume"]
    ratio = measured["large"]["median_ms"] / measured["small"]["median_ms"]
    return {"sizes": setup, "measured": measured, "ratio": round(ratio, 2), "target": f"<= {RATIO_TARGET}",
            "ok": ratio <= RATIO_TARGET and measured["large"]["round_trips_per_read"] == 1,
            "period": PERIOD, "reads": READS, "setup_seconds": setup_seconds,
            "moto_partition_queries_patched": not moto_as_is}


def measure() -> dict[str, Any]:
    TMP.mkdir(parents=True, exist_ok=True)
    out = TMP / f"dashboard-{uuid.uuid4().hex[:8]}.json"
    try:
        subprocess.run([sys.executable, "-m", "bench.dashboard", "--json", str(out)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        return json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results here (else print them)")
    parser.add_argument("--moto-as-is", action="store_true", help="let moto sort the whole table for every Query")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    result = run(moto_as_is=args.moto_as_is)
    text = json.dumps(result, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
