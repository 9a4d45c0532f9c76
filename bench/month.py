"""One firm's month driven through the routes, then read back from its usage counters.

Issue 17 asks that the cost model (``bench/cost.py``) take a firm's month from the same
counters the firm's admins see at ``GET /api/usage`` (``domain/metering.py``), not from the
modelled profile alone. So the bench drives the profile's month through the real routes for a
fresh firm of ~100 flats: reports (a few repeats and retried submissions among them), five
staff events on each (acknowledge, assign, a public comment, resolve, close), photos uploaded
to S3 and confirmed, survey answers, and the sweep that delivers the residents' messages; then
it reads the month's counters. What the counters measure replaces the profile's guess
(reports, staff events, photos, e-mails and SMS); the rest stays modelled.

Use ``drive(client, firm)`` inside ``bench/dynamo_calls.py``'s client; it returns the counters.
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

# The month driven: cost.PROFILE's quantities that usage counters measure.
FIRST_REPORTS = 72
REPEATS = 8          # the same unit and category again within 30 days
RETRIES = 8          # a submission retried with its Idempotency-Key: no new ticket, no count
PHOTOS = 40
SURVEY_ANSWERS = 24
STAFF_STEPS = ({"type": "acknowledge"}, {"type": "assign"}, {"type": "comment", "visibility": "public",
                                                               "body": "We will come tomorrow morning."},
               {"type": "resolve", "note": "Replaced the part."}, {"type": "close", "reason": "resolved"})


def _units_csv(building: str, units: int) -> str:
    return "building,unit,floor\n" + "".join(f"{building},{20 + i // 10}{i % 10:02d},{20 + i // 10}\n"
                                             for i in range(units))


def _photo() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def drive(client, firm, staff_sub: str) -> dict[str, Any]:
    """The month for ``firm`` (a tests.support.Firm with its register); returns
    ``{"counters": this month's usage counters, "driven": what was sent}``."""
    import requests

    from tests.support import body

    json_headers = {"Content-Type": "application/json"}
    imported = client.http.post(f"/api/properties/{firm.property_id}/units/import",
                                headers=firm.headers(**{"Content-Type": "text/csv"}),
                                body=_units_csv("Block 3", FIRST_REPORTS))
    assert imported.status_code == 201, imported.body
    units = [f"{20 + i // 10}{i % 10:02d}" for i in range(FIRST_REPORTS)]

    tokens: list[str] = []
    numbers: list[int] = []
    for i in range(FIRST_REPORTS + REPEATS):
        unit = units[i] if i < FIRST_REPORTS else units[i - FIRST_REPORTS]  # the repeats: units reported before
        report = firm.report(unit=unit, description=f"Month {i}: the bathroom extractor fan has stopped.",
                             contact={"name": "Li Na", "phone": f"+86 138 0013 {8000 + i:04d}"})
        key = f"month-{uuid.uuid4().hex}"
        answer = firm.submit(report, key=key)
        assert answer.status_code == 201, answer.body
        if i < RETRIES:
            again = firm.submit(report, key=key)
            assert again.headers.get("Idempotent-Replayed") == "true", again.headers
        tokens.append(body(answer)["ticket"]["tracking_token"])
        numbers.append(body(answer)["ticket"]["number"])

    for token in tokens[:PHOTOS]:
        form = body(client.http.post(f"/t/{token}/photos", headers=json_headers, body="{}"))
        sent = requests.post(form["url"], data=form["fields"], files={"file": ("fan.jpg", _photo(), "image/jpeg")},
                             timeout=30)
        assert sent.status_code in (201, 204), sent.text
        added = client.http.post(f"/t/{token}/photos/added", headers=json_headers,
                                 body=json.dumps({"key": form["fields"]["key"]}))
        assert added.status_code in (200, 201), added.body

    by_number = {}
    cursor = None
    while True:
        page = body(firm.call("GET", "/api/tickets?limit=100" + (f"&cursor={cursor}" if cursor else "")))
        by_number.update({t["number"]: t for t in page["tickets"]})
        cursor = page.get("next_cursor")
        if not cursor:
            break
    # Staff work the tickets step by step, each step for every ticket, then the sweep delivers
    # the messages that step caused (a resident's message waits a few minutes in case another
    # step follows; steps minutes apart are told apart, as in a real month).
    from tests.api.test_escalation import run_sweep
    versions = {number: by_number[number]["version"] for number in numbers}
    start = datetime.now(timezone.utc)
    for round_no, step in enumerate(STAFF_STEPS, start=1):
        if step["type"] == "close":  # some residents answer the survey before the ticket is closed
            for n, number in enumerate(numbers[:SURVEY_ANSWERS]):
                rated = client.http.post(f"/t/{tokens[n]}/survey", headers=json_headers,
                                         body=json.dumps({"rating": 4 + n % 2, "nps": 8 + n % 3}))
                assert rated.status_code == 201, (n, rated.body)
                versions[number] = body(firm.call("GET", f"/api/tickets/{by_number[number]['id']}"))["version"]
        payload = {**step, "assignee": staff_sub} if step["type"] == "assign" else step
        for number in numbers:
            done = firm.event(by_number[number]["id"], versions[number], payload)
            if done.status_code == 409:  # moved meanwhile (a held message sent, a repeat marked): read it again
                versions[number] = body(firm.call("GET", f"/api/tickets/{by_number[number]['id']}"))["version"]
                done = firm.event(by_number[number]["id"], versions[number], payload)
                if done.status_code == 409 and body(done)["error"]["code"] == "transition_refused":
                    continue  # the step was taken meanwhile: the counters have it already
            assert done.status_code == 201, (step, number, done.body)
            versions[number] = body(done)["version"]
        run_sweep(client, datetime.now(timezone.utc) + timedelta(minutes=30 * round_no))
    run_sweep(client, start + timedelta(hours=6))
    usage = body(firm.call("GET", "/api/usage"))
    return {"counters": usage["this_month"]["counters"], "month": usage["this_month"]["month"],
            "driven": {"reports": FIRST_REPORTS + REPEATS, "retried": RETRIES, "photos": PHOTOS,
                       "survey_answers": SURVEY_ANSWERS, "staff_events": len(numbers) * len(STAFF_STEPS)}}
