"""A firm's export and deletion at scale: ``export_10k_s``, ``export_peak_mib``, ``delete_leftover_items``.

Set-up (not timed): two firms signed up through the store, 10,000 ticket heads with their
score counters (bench/dashboard.py's builder, put straight into moto's backend as there) and
two timeline events per ticket, and a few photos in the bucket; a second firm of 1,000 tickets.

Then the firm-data job's export runs to the end in one go (``services.firm_export.run``) in a
process that runs only PropDesk's code (moto serves from a child, ``--serve``):
``export_10k_s`` is its wall time (``export_cpu_s`` the exporting process's CPU time, less
sensitive to a busy machine), ``export_peak_mib`` the process's peak resident memory
(``ru_maxrss``, what Lambda's memory limit applies to; the process holds nothing else) and
``export_calls_per_1k_tickets`` its AWS calls by service, counted on the client
(bench/dynamo_calls.py's ``aws_calls``).

moto is made to cost what DynamoDB does where it does not (profiled with cProfile: 406 s for
the export before, ~90 % of it in moto's server): a Query reads only its partition from its
start key on (bench/dashboard.py's ``_partition_queries``) and reads are answered as plain JSON
(infra/local/aws.py's ``plain_json_reads``). PropDesk's own code is unchanged by either.

Last the firm's deletion is carried out by the job (due, after its grace period) and the
verifier counts what is left of it (``delete_left``: items, objects, people; all must be 0) and
of the exported firm, which must be untouched.

Runs in a child process (``python -m bench.firm_data``) with its own moto stack.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TMP = ROOT / "bench" / ".tmp"
TICKETS = int(os.environ.get("BENCH_FIRM_TICKETS", "10000"))
EVENTS_PER_TICKET = 2
PHOTOS = 10
PHOTO_BYTES = 200 * 1024
DELETED_TICKETS = 1_000  # the deleted firm (deletion through moto costs ~5 ms an item)
LAMBDA_MIB = 1024  # the firm_data function's memory (.chalice/config.json)


def _events(tenant_id: str, tickets: int) -> int:
    """Two timeline events for each ticket head already written (ids ``{n:026d}``)."""
    from chalicelib.domain.tickets import Actor, Event
    from chalicelib.store.items import event_item

    from .dashboard import PERIOD_START, _moto_backend
    backend, table = _moto_backend(), os.environ["PROPDESK_TABLE"]
    staff = Actor("staff", "staff-1", "Wang Wei")
    for n in range(1, tickets + 1):
        at = PERIOD_START + timedelta(minutes=n)
        for i, kind in enumerate(("received", "acknowledged")[:EVENTS_PER_TICKET]):
            event = Event(f"{n:020d}{i:06d}", kind, at + timedelta(minutes=30 * i), staff, True,
                          {"note": "Bench: the hallway light flickers."})
            backend.put_item(table, event_item(tenant_id, f"{n:026d}", event).serialize())
    return tickets * EVENTS_PER_TICKET


def _export(tenant_id: str, now: datetime) -> dict:
    from chalicelib.domain.identity import Identity
    from chalicelib.services import firm_export
    from chalicelib.store import firm_data as store

    from .dynamo_calls import aws_calls
    started = firm_export.start(Identity(tenant_id, "admin", "admin"), now=now)
    t0, cpu0 = time.perf_counter(), time.process_time()
    with aws_calls() as calls:
        assert firm_export.run(store.get_export(tenant_id, started["id"]), now, lambda: False)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    services = Counter(service for service, _ in calls)
    return {"seconds": seconds, "cpu_seconds": cpu, "calls": dict(services), "operations": dict(Counter(f"{s}:{o}" for s, o in calls)),
            **firm_export.view(store.get_export(tenant_id, started["id"]))}


def serve() -> None:
    """The AWS side (``--serve``): moto with the firm set up in its own backend, in this
    process; prints the stack's environment and the firm as one JSON line, then serves until
    its stdin closes."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from infra.local import aws as local_aws
    server, endpoint = local_aws.start_moto()
    stack = local_aws.create_resources(endpoint, table=f"propdesk-bench-firm-{uuid.uuid4().hex[:6]}")
    local_aws.use(stack)
    os.environ.update({"PROPDESK_STAGE": "test", "POWERTOOLS_METRICS_DISABLED": "true",
                       "POWERTOOLS_LOG_LEVEL": "ERROR"})
    from .dashboard import _partition_queries
    _partition_queries()  # moto as DynamoDB costs (see the docstring)
    local_aws.plain_json_reads()
    t0 = time.perf_counter()
    # both firms signed up before any ticket: moto copies the whole table for each transaction
    firms = {"large": _firm(), "small": _firm()}
    for firm, tickets in ((firms["large"], TICKETS), (firms["small"], DELETED_TICKETS)):
        _fill(firm, tickets)
    print(json.dumps({"environment": stack.environment(), "firms": firms,
                      "setup_s": round(time.perf_counter() - t0, 1)}), flush=True)
    sys.stdin.read()
    server.stop()


def _firm() -> dict:
    from chalicelib.adapters import identity
    from chalicelib.domain.tokens import new_id
    from chalicelib.services.templates import load as load_template
    from chalicelib.store import tenants as tenant_store
    from chalicelib.store.tenants import Tenant, User

    tenant_id, slug = new_id(), f"bench-firm-{uuid.uuid4().hex[:6]}"
    email = f"admin@{slug}.example.com"  # a person in the identity provider, whom the deletion must remove
    sub = identity.create_user(email, "Admin", tenant_id, "admin", send_invite=False)
    tenant_store.create_tenant(Tenant(tenant_id, "Bench firm", slug, "en", "Asia/Shanghai", "prc-residential",
                                      datetime.now(timezone.utc)),
                               load_template("prc-residential"), User(sub, email, "Admin", "admin", True, 1))
    return {"tenant_id": tenant_id, "slug": slug}


def _fill(firm: dict, tickets: int) -> None:
    """Tickets with their counters and timelines, and photos (straight into moto's backend)."""
    from chalicelib.adapters import photo_storage

    from .dashboard import _populate
    tenant_id = firm["tenant_id"]
    firm.update(tickets=tickets, score_items=_populate(tenant_id, tickets, seed=tickets),
                events=_events(tenant_id, tickets))
    for i in range(PHOTOS):
        photo_storage.put_photo(f"{tenant_id}/photos/{i:026d}/p{i}.jpg", os.urandom(PHOTO_BYTES), "image/jpeg")


def run() -> dict[str, Any]:
    """The Lambda's side: this process runs only PropDesk's code (moto is the child's), so
    its peak memory is the exporter's and nothing of moto's."""
    child = subprocess.Popen([sys.executable, "-m", "bench.firm_data", "--serve"], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        ready = json.loads(child.stdout.readline())  # type: ignore[union-attr]
        os.environ.update(ready["environment"])
        os.environ.update({"PROPDESK_STAGE": "test", "POWERTOOLS_METRICS_DISABLED": "true",
                           "POWERTOOLS_LOG_LEVEL": "ERROR"})
        return _measure(ready)
    finally:
        child.stdin.close()  # type: ignore[union-attr]
        child.wait(timeout=60)


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


def _measure(ready: dict) -> dict[str, Any]:
    from chalicelib.domain.identity import Identity
    from chalicelib.services import firm_delete, firm_jobs

    large, small = ready["firms"]["large"], ready["firms"]["small"]
    now = datetime.now(timezone.utc)
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    exported = _export(large["tenant_id"], now)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"export: {exported['seconds']:.1f} s, peak {_mib(peak_kib)} MiB", file=sys.stderr)

    neighbour = [f"admin@{large['slug']}.example.com"]
    kept_before = firm_delete.verify(large["tenant_id"], large["slug"], neighbour)
    admin = Identity(small["tenant_id"], "admin", "admin")
    asked = firm_delete.request(admin, {"slug": small["slug"]}, now=now)
    due = datetime.fromisoformat(asked["deletion"]["due_at"])
    t1 = time.perf_counter()
    deleted = firm_jobs.run(due + timedelta(minutes=1), lambda: 900.0).firms_deleted
    delete_seconds = time.perf_counter() - t1
    left = firm_delete.verify(small["tenant_id"], small["slug"], [f"admin@{small['slug']}.example.com"])
    kept = firm_delete.verify(large["tenant_id"], large["slug"], neighbour)
    per_1k = {service: round(n * 1000 / large["tickets"], 1) for service, n in sorted(exported["calls"].items())}
    return {"export_10k_s": round(exported["seconds"], 1), "export_peak_mib": _mib(peak_kib),
            "export_calls_per_1k_tickets": per_1k, "delete_leftover_items": left["items"], "delete_left": left,
            "firm_data": {"exported_firm": {k: large[k] for k in ("tickets", "events", "score_items")},
                          "photos": PHOTOS, "items_exported": exported["items"], "zip_bytes": exported["size"],
                          "export_cpu_s": round(exported["cpu_seconds"], 1), "export_calls": exported["operations"], "rss_before_export_mib": _mib(before_kib),
                          "lambda_mib": LAMBDA_MIB, "peak_within_lambda": _mib(peak_kib) < LAMBDA_MIB,
                          "deleted_firm": {k: small[k] for k in ("tickets", "events", "score_items")},
                          "firms_deleted": deleted, "delete_s": round(delete_seconds, 1),
                          "other_firm_before_delete": kept_before,
                          "other_firm_after_delete": kept, "other_firm_untouched": kept == kept_before, "setup_s": ready["setup_s"]}}


def markdown(result: dict) -> str:
    data = result["firm_data"]
    firm, left, kept = data["exported_firm"], result["delete_left"], data["other_firm_after_delete"]
    calls = ", ".join(f"{service} {n:g}" for service, n in result["export_calls_per_1k_tickets"].items())
    return ("\n### A firm's export and deletion (issue 17)\n\n| measure | value | target |\n|---|---:|---|\n"
            f"| export_10k_s: a firm of {firm['tickets']:,} tickets, {firm['events']:,} events, "
            f"{firm['score_items']} score items, {data['photos']} photos → a {data['zip_bytes'] / 2**20:.1f} MiB ZIP "
            f"| {result['export_10k_s']} | — (checkpointed: any length) |\n"
            f"| … of which CPU time in the exporting process (moto's is the child's), s | {data['export_cpu_s']} | — |\n"
            f"| export_peak_mib (the process's peak RSS; {data['rss_before_export_mib']} before) "
            f"| {result['export_peak_mib']} | < {data['lambda_mib']} (the function's memory) |\n"
            f"| AWS calls of the export per 1,000 tickets | {calls} | — |\n"
            f"| delete_leftover_items (objects, people) after the deletion of a {data['deleted_firm']['tickets']:,}-ticket "
            f"firm | {left['items']} ({left['objects']}, {left['people']}) | 0 |\n"
            f"| the other firm's items (objects, people) after it | {kept['items']:,} ({kept['objects']}, "
            f"{kept['people']}) | as before: {'yes' if data['other_firm_untouched'] else '**NO**'} |\n\n"
            "- moto's main-table Query reads only its partition from the page's start key, and reads are "
            "answered as plain JSON (bench/firm_data.py)\n")


def checks(result: dict) -> dict[str, dict]:
    left, data = result["delete_left"], result["firm_data"]
    return {"export_peak_mib": {"target": f"< {data['lambda_mib']}", "value": result["export_peak_mib"],
                                "ok": data["peak_within_lambda"]},
            "delete_leftover_items": {"target": "= 0 items, objects and people",
                                      "value": left, "ok": not any(left.values())},
            "delete_other_firm_untouched": {"target": "its items, objects and people as before (1 person)",
                                            "value": data["other_firm_after_delete"],
                                            "ok": data["other_firm_untouched"]
                                            and data["other_firm_after_delete"]["people"] == 1}}


def merge(results: dict, result: dict) -> list[str]:
    """This benchmark's keys and targets into ``results`` (in place); the targets checked."""
    results.update(result)
    found = checks(result)
    results.setdefault("targets", {}).update(found)
    return list(found)


def measure() -> dict[str, Any]:
    TMP.mkdir(parents=True, exist_ok=True)
    out = TMP / f"firm-data-{uuid.uuid4().hex[:8]}.json"
    try:
        subprocess.run([sys.executable, "-m", "bench.firm_data", "--json", str(out)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        return json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.firm_data", description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results here (else print them)")
    parser.add_argument("--serve", action="store_true", help="(internal) the moto side")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.serve:
        serve()
        return 0
    text = json.dumps(run(), indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
