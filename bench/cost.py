"""Modelled AWS cost of one tenant-month, from measured round trips.

A model, and labelled as one: a small firm's month of activity (``PROFILE``, stated below)
times what each request was *measured* to cost in ``bench/dynamo_calls.py`` (DynamoDB calls
and the request units of the items they carried), priced at AWS on-demand list prices for
us-east-1 (``PRICES``, November 2026). Scheduled jobs are shared by every firm on the
deployment: their cost is divided by ``FIRMS_SHARING`` firms. SMS is not included (its
price depends on the country); the number of messages is shown.
"""

from __future__ import annotations

import math
from typing import Any

# A firm of ~500 flats: ~80 reports a month, three staff on the console.
PROFILE: dict[str, tuple[str, float]] = {
    # what happens in a month: (route label in results.json round_trip_details, times)
    "resident reports": ("POST /r/{slug}/tickets", 72),
    "repeat reports": ("POST /r/{slug}/tickets (repeat complaint)", 8),
    "retried submissions": ("POST /r/{slug}/tickets (replay)", 8),
    "tracking page views": ("GET /t/{token}", 480),
    "photo upload forms": ("POST /t/{token}/photos", 40),
    "survey answers": ("POST /t/{token}/survey", 24),
    "staff ticket events": ("POST /api/tickets/{id}/events (acknowledge)", 400),
    "re-classifications": ("PATCH /api/tickets/{id}", 10),
    "ticket reads": ("GET /api/tickets/{id}", 600),
    "queue pages": ("GET /api/tickets", 2700),
    "dashboard reads": ("GET /api/scores", 300),
    "trend reads": ("GET /api/scores/trend", 100),
    "scorecard views": ("GET /p/{slug}/scorecard", 300),
}
ESCALATION_STEPS_PER_TICKET = 2.5  # warnings, breaches, visit reminders, survey invitations
TICKETS = 80
FIRMS_SHARING = 1000
LAMBDA_MB = 512
LAMBDA_MS_PER_REQUEST = 60  # warm API requests measured locally run 20-60 ms; rounded up
STORAGE_GB = 0.02  # a year of tickets, events and counters for such a firm (~20 MB)
PHOTO_GB_PER_MONTH = 0.1  # ~50 photos of ~2 MB

PRICES = {
    "dynamodb_write_unit": 1.25 / 1e6, "dynamodb_read_unit": 0.25 / 1e6, "dynamodb_gb_month": 0.25,
    "lambda_request": 0.20 / 1e6, "lambda_gb_second": 0.0000166667, "api_gateway_request": 3.50 / 1e6,
    "eventbridge_schedule_invocation": 0.0, "s3_gb_month": 0.023, "s3_put": 0.005 / 1000, "s3_get": 0.0004 / 1000,
    "ses_email": 0.10 / 1000,
}


# Which of the profile's quantities a firm's usage counters (domain/metering.py) measure.
FROM_USAGE = {"resident reports": "reports", "staff ticket events": "staff_events", "photo upload forms": "photos"}


def profile_from(usage: dict[str, int] | None) -> dict[str, tuple[str, float]]:
    """The profile with the quantities a firm's month of usage counters measured in place of the
    modelled ones (a report counter includes the repeats and staff-logged reports: its route's
    cost is the first report's). Without counters, the modelled profile."""
    if not usage:
        return dict(PROFILE)
    profile = dict(PROFILE)
    for what, counter in FROM_USAGE.items():
        label, _ = PROFILE[what]
        profile[what] = (label, float(usage.get(counter, 0)))
    if "reports" in usage:  # the counter holds them all: repeats are not modelled on top
        profile.pop("repeat reports", None)
    return profile


def model(routes: dict[str, dict], usage: dict[str, int] | None = None) -> dict[str, Any]:
    """``usage``: a month's counters of one firm (GET /api/usage's ``counters``): the reports,
    staff events, photos, e-mails and SMS it counted replace the profile's stated numbers."""
    rows, reads, writes, requests = [], 0.0, 0.0, 0.0
    for what, (label, times) in profile_from(usage).items():
        route = routes.get(label)
        if route is None:
            continue
        r, w = route.get("read_units", 0.0) * times, route.get("write_units", 0.0) * times
        rows.append({"what": what, "route": label, "per_month": times, "dynamodb_calls": route["dynamodb_calls"],
                     "read_units": round(r, 1), "write_units": round(w, 1)})
        reads, writes, requests = reads + r, writes + w, requests + times
    # The minute sweep: 43,200 runs of 8 empty Queries (0.5 unit each), shared; each fired step
    # writes mark + outbox + event in a transaction (2 units each) and moves the watch (1).
    sweeps = 60 * 24 * 30
    shared_reads = sweeps * 8 * 0.5 + 24 * 30 * 8 * 0.5  # + the hourly rollup's 8 Queries
    steps = TICKETS * ESCALATION_STEPS_PER_TICKET
    job_writes = steps * (3 * 2 + 1)
    reads += shared_reads / FIRMS_SHARING
    writes += job_writes
    lambda_seconds = requests * LAMBDA_MS_PER_REQUEST / 1000 + (sweeps * 0.2 + 720 * 0.2) / FIRMS_SHARING
    cost = {
        "dynamodb_requests": reads * PRICES["dynamodb_read_unit"] + writes * PRICES["dynamodb_write_unit"],
        "dynamodb_storage": STORAGE_GB * PRICES["dynamodb_gb_month"],
        "lambda": (requests + (sweeps + 720) / FIRMS_SHARING) * PRICES["lambda_request"]
        + lambda_seconds * LAMBDA_MB / 1024 * PRICES["lambda_gb_second"],
        "api_gateway": requests * PRICES["api_gateway_request"],
        "s3_photos": PHOTO_GB_PER_MONTH * PRICES["s3_gb_month"] + 50 * PRICES["s3_put"] + 500 * PRICES["s3_get"],
        "ses_email": (usage["msg_email"] if usage and "msg_email" in usage else steps * 0.5) * PRICES["ses_email"],
    }
    total = sum(cost.values())
    return {"profile": rows, "tickets": TICKETS, "firms_sharing_jobs": FIRMS_SHARING,
            "requests_per_month": requests, "read_units": round(reads, 1), "write_units": round(writes, 1),
            "cost_usd": {k: round(v, 4) for k, v in cost.items()}, "cost_per_tenant_month_usd": round(total, 3),
            "sms_messages_not_priced": int(usage["msg_sms"]) if usage and "msg_sms" in usage else math.ceil(steps * 0.5),
            "from_usage": sorted(FROM_USAGE) + ["e-mails", "SMS"] if usage else []}


def markdown(result: dict) -> str:
    lines = ["### Modelled cost of one tenant-month (bench/cost.py: measured round trips × a stated profile)", "",
             "| activity | per month | DynamoDB calls each | read units | write units |", "|---|---:|---:|---:|---:|"]
    for row in result["profile"]:
        lines.append(f"| {row['what']} | {row['per_month']:g} | {row['dynamodb_calls']} | {row['read_units']:g} "
                     f"| {row['write_units']:g} |")
    lines += ["", "| part | USD per month |", "|---|---:|"]
    for part, usd in result["cost_usd"].items():
        lines.append(f"| {part} | {usd:.4f} |")
    lines += [f"| **total (`cost_per_tenant_month_usd`)** | **{result['cost_per_tenant_month_usd']:.3f}** |", "",
              f"- {result['tickets']} tickets, {result['requests_per_month']:g} API requests a month; scheduled jobs "
              f"shared by {result['firms_sharing_jobs']} firms; {result['sms_messages_not_priced']} SMS not priced "
              "(country rates)"]
    driven = result.get("usage_month_driven") or {}
    if driven.get("counters"):
        c = driven["counters"]
        lines.append(f"- from a month driven through the routes and read back from the firm's usage counters "
                     f"(bench/month.py, GET /api/usage): {c.get('reports', 0)} reports, {c.get('staff_events', 0)} "
                     f"staff events, {c.get('photos', 0)} photos, {c.get('msg_email', 0)} e-mails, "
                     f"{c.get('msg_sms', 0)} SMS ({c.get('sms_segments', 0)} segments), "
                     f"{c.get('api_requests', 0)} API requests counted; the rest of the profile is stated above")
    lines.append("")
    return "\n".join(lines)
