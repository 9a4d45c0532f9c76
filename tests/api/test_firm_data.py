"""A firm's export and its verified deletion, through the API and the firm-data job.

Given a firm with a resident's report (contact, messages, a photo, a rating), staff, a
changed standards document and a campaign: an admin's export becomes a ZIP with every kind
of item as JSON Lines, the CSVs and the photo, and no secret; stopped after every step and
resumed, it is byte for byte the uninterrupted one. An admin's deletion, confirmed by the
firm's short name, waits 14 days, can be cancelled, and then leaves nothing of the firm
(items, objects, people) while a neighbouring firm keeps every item it had.
"""

from __future__ import annotations

import io
import json
import os
import urllib.request
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from tests.api.test_escalation import run_sweep
from tests.api.test_photos import bucket_keys, confirm, png, reported, upload
from tests.support import body, cognito

JSON = {"Content-Type": "application/json"}
FAR = lambda: 10_000.0  # noqa: E731 — a run with all the time it needs


def run_jobs(client, when: datetime, *, runs: int = 20) -> dict:
    """The scheduled handler, as EventBridge invokes it (chalice.test gives each run 3 s, so a
    job may take several runs: the next minute's runs, all at ``when``). The runs' totals."""
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=["arn:aws:events:us-east-1:123456789012:rule/firm_data"])
    event["time"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    totals: dict = {}
    for _ in range(runs):
        answer = client.lambda_.invoke("firm_data", event).payload
        for name, value in answer.items():
            if isinstance(value, int):
                totals[name] = totals.get(name, 0) + value
        if not answer["exports_paused"]:
            break
    return totals


def busy(firm, client) -> dict:
    """A firm with something of every kind: a resident's report with a photo, rated; staff;
    a second standards version; a campaign."""
    tid, token = reported(firm)
    photo = body(confirm(firm, token, upload(firm, token, png(), name="tap.png")))
    ticket = body(firm.call("GET", f"/api/tickets/{tid}"))
    for action in ({"type": "acknowledge"}, {"type": "resolve", "note": "Washer replaced."}):
        ticket = body(firm.event(tid, ticket["version"], action))
    resolved_at = datetime.fromisoformat(ticket["resolved_at"].replace("Z", "+00:00"))
    run_sweep(client, resolved_at + timedelta(hours=25))  # the survey invitation
    assert client.http.post(f"/t/{token}/survey", headers=JSON, body='{"rating": 4}').status_code == 201
    staff_sub, _ = firm.add_staff(name="Zhao Lei")
    standards = body(firm.call("GET", "/api/standards"))
    saved = firm.call("PUT", "/api/standards", {"standards": standards["standards"]},
                      **{"If-Match": f'"{standards["version"]}"'})
    assert saved.status_code == 200, saved.body
    assert firm.call("POST", "/api/campaigns", {"name": "Winter survey", "property_ids": [firm.property_id],
                                                "opens_on": "2026-12-01", "closes_on": "2026-12-31"}).status_code == 201
    return {"ticket_id": tid, "token": token, "photo": photo["id"], "staff_sub": staff_sub}


def partition(tenant_id: str) -> list[dict]:
    """Every item of the firm as stored (Queries of its partitions; the oracle of what is there)."""
    import boto3
    table = boto3.client("dynamodb")
    found = []
    for pk in (f"TENANT#{tenant_id}", f"TENANT#{tenant_id}#SCORES"):
        args = {"TableName": "propdesk-test", "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": pk}}, "ConsistentRead": True}
        while True:
            answer = table.query(**args)
            found += answer["Items"]
            if "LastEvaluatedKey" not in answer:
                break
            args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    return found


def person_known(local_stack, email: str) -> bool:
    """Whether the identity provider still holds the person, asked directly (not through our adapter):
    the Cognito pool, or under our own accounts (cn profile) the account item."""
    if os.environ.get("PROPDESK_IDENTITY") == "accounts":
        import boto3
        return "Item" in boto3.client("dynamodb").get_item(
            TableName="propdesk-test", Key={"pk": {"S": f"ACCOUNT#{email.lower()}"}, "sk": {"S": "ACCOUNT"}})
    try:
        cognito().admin_get_user(UserPoolId=local_stack.user_pool_id, Username=email)
    except cognito().exceptions.UserNotFoundException:
        return False
    return True


def finished_zip(firm, export_id: str) -> bytes:
    answer = body(firm.call("GET", f"/api/firm/exports/{export_id}"))
    assert answer["status"] == "done", answer
    assert answer["download"]["expires_in"] == 24 * 3600
    with urllib.request.urlopen(answer["download"]["url"], timeout=30) as got:
        return got.read()


@pytest.fixture(scope="module")
def desk(client):
    from tests.support import Firm
    firm = Firm.sign_up(client)
    return firm, busy(firm, client)


def test_an_admins_export_holds_every_kind_the_csvs_and_the_photos_and_no_secret(client, desk):
    firm, made = desk
    started = firm.call("POST", "/api/firm/exports")
    assert started.status_code == 202, started.body
    export = body(started)
    assert export["status"] == "queued"
    assert run_jobs(client, datetime.now(timezone.utc) + timedelta(minutes=1))["exports_finished"] >= 1
    archive = zipfile.ZipFile(io.BytesIO(finished_zip(firm, export["id"])))
    names = set(archive.namelist())
    kinds = {"tenant", "standards", "standards_version", "user", "property", "building", "unit", "ticket", "event",
             "survey", "campaign", "score", "outbox", "audit", "slug", "link", "contact_ref", "rollup", "watch"}
    assert {f"items/{k}.jsonl" for k in kinds} <= names
    assert "csv/tickets.csv" in names and any(n.startswith("csv/scores-M") for n in names)
    assert f"photos/{made['ticket_id']}/{made['photo']}.png" in names
    assert archive.read(f"photos/{made['ticket_id']}/{made['photo']}.png")[:4] == b"\x89PNG"

    def lines(kind: str) -> list[dict]:
        return [json.loads(line) for line in archive.read(f"items/{kind}.jsonl").decode().splitlines()]

    tickets = lines("ticket")
    assert [t["ticket_id"] for t in tickets] == [made["ticket_id"]]
    assert tickets[0]["contact"]["name"] == "Li Na"
    events = {e["type"] for e in lines("event") if e["sk"].startswith(f"TICKET#{made['ticket_id']}#EV#")}
    assert {"received", "acknowledged", "resolved"} <= events
    assert {u["email"] for u in lines("user")} >= {firm.admin_email}
    assert [v["version"] for v in lines("standards_version")] == [1, 2]
    assert lines("slug")[0]["pk"] == f"SLUG#{firm.slug}"
    stored = {(i["pk"]["S"], i["sk"]["S"]) for i in partition(firm.tenant_id)}
    exported = {(i["pk"], i["sk"]) for name in names if name.startswith("items/")
                for i in lines(name[6:-6]) if i["pk"].startswith("TENANT#")}
    left_out = {sk.split("#")[0] for _, sk in stored - exported}
    assert left_out <= {"EXPORT", "CODE", "RATE", "IDEM"}, left_out  # jobs and short-lived security records
    text = b"".join(archive.read(n) for n in names if not n.startswith("photos/")).decode()
    for secret in ("password_hash", "totp_secret", "refresh", "code_hash", "tracking_token"):
        assert secret not in text
    csv_text = archive.read("csv/tickets.csv").decode("utf-8")
    assert csv_text.startswith("\ufeffnumber,status,") and ",resolved," in csv_text


def test_an_export_stopped_after_every_step_is_the_same_zip(client, desk, local_stack):
    from chalicelib.services import firm_export
    from chalicelib.store import firm_data as store
    from chalicelib.domain.identity import Identity
    firm, made = desk
    # photos large enough that the ZIP takes several 5 MiB parts
    import boto3
    s3 = boto3.client("s3", endpoint_url=local_stack.endpoint, region_name="us-east-1")
    for i in range(3):
        s3.put_object(Bucket="propdesk-photos-local", Key=f"{firm.tenant_id}/photos/{made['ticket_id']}/big{i}.jpg",
                      Body=os.urandom(3 * 1024 * 1024))
    who = Identity(firm.tenant_id, firm.admin_sub, "admin")
    at = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
    whole, pieces = firm_export.start(who, now=at), firm_export.start(who, now=at)
    assert firm_export.run(store.get_export(firm.tenant_id, whole["id"]), at, lambda: False)
    runs, progress = 0, []
    while not firm_export.run(store.get_export(firm.tenant_id, pieces["id"]), at, lambda: True):
        runs += 1
        seen = body(firm.call("GET", f"/api/firm/exports/{pieces['id']}"))
        assert seen["status"] == "running" and "download" not in seen
        progress.append((seen["phase"], seen["items"]))
    assert runs > 10 and {p for p, _ in progress} >= {"items", "assemble", "photos"}
    assert progress[-1][1] == body(firm.call("GET", f"/api/firm/exports/{whole['id']}"))["items"] > 0
    one, other = finished_zip(firm, whole["id"]), finished_zip(firm, pieces["id"])
    assert len(one) > 9 * 1024 * 1024 and one == other
    assert zipfile.ZipFile(io.BytesIO(other)).testzip() is None
    assert bucket_keys(local_stack, f"{firm.tenant_id}/exports/{pieces['id']}/") == []  # working files gone


def test_staff_cannot_export_and_the_list_shows_progress(client, desk):
    firm, _ = desk
    _, staff_token = firm.add_staff()
    assert firm.call("POST", "/api/firm/exports", token=staff_token).status_code == 403
    listed = body(firm.call("GET", "/api/firm/exports"))["exports"]
    assert listed and all({"status", "phase", "items", "photos"} <= set(e) for e in listed)


# --- deletion --------------------------------------------------------------------------------

def test_a_wrong_short_name_is_refused_naming_the_field(firm):
    for payload in ({"slug": firm.slug + "x"}, {"slug": ""}, {}):
        refused = firm.call("POST", "/api/firm/deletion", payload)
        assert refused.status_code == 422, refused.body
        assert "slug" in body(refused)["error"]["fields"]
    assert body(firm.call("GET", "/api/firm/deletion"))["deletion"] is None


def test_a_deletion_waits_14_days_and_can_be_cancelled(client, firm):
    asked = firm.call("POST", "/api/firm/deletion", {"slug": firm.slug})
    assert asked.status_code == 202, asked.body
    due = datetime.fromisoformat(body(asked)["deletion"]["due_at"])
    requested = datetime.fromisoformat(body(asked)["deletion"]["requested_at"])
    assert due - requested == timedelta(days=14)
    assert firm.call("POST", "/api/firm/deletion", {"slug": firm.slug}).status_code == 409
    run_jobs(client, due - timedelta(minutes=1))  # not yet
    assert body(firm.call("GET", "/api/tenant"))["slug"] == firm.slug
    cancelled = body(firm.call("DELETE", "/api/firm/deletion"))
    assert cancelled == {"cancelled": True, "deletion": None}
    assert run_jobs(client, due + timedelta(days=1))["firms_deleted"] == 0
    assert body(firm.call("GET", "/api/tenant"))["slug"] == firm.slug
    actions = [e["action"] for e in body(firm.call("GET", "/api/audit"))["entries"]]
    assert {"POST /api/firm/deletion", "DELETE /api/firm/deletion"} <= set(actions)


def test_a_deleted_firm_leaves_nothing_and_its_neighbour_keeps_everything(client, local_stack):
    from tests.support import Firm
    gone, neighbour = Firm.sign_up(client), Firm.sign_up(client)
    made = busy(gone, client)
    busy(neighbour, client)
    staff_email = next(u["email"] for u in body(gone.call("GET", "/api/staff"))["staff"] if u["name"] == "Zhao Lei")
    assert gone.call("POST", "/api/firm/exports").status_code == 202  # an export under way is deleted too
    neighbour_before = sorted(json.dumps(i, sort_keys=True) for i in partition(neighbour.tenant_id))
    neighbour_objects = bucket_keys(local_stack, f"{neighbour.tenant_id}/")
    assert bucket_keys(local_stack, f"{gone.tenant_id}/photos/")
    asked = body(gone.call("POST", "/api/firm/deletion", {"slug": gone.slug}))
    due = datetime.fromisoformat(asked["deletion"]["due_at"])

    done = run_jobs(client, due + timedelta(minutes=1))
    assert done["firms_deleted"] == 1

    assert partition(gone.tenant_id) == []
    assert bucket_keys(local_stack, f"{gone.tenant_id}/") == [] == bucket_keys(local_stack, f"incoming/{gone.tenant_id}/")
    assert not person_known(local_stack, gone.admin_email) and not person_known(local_stack, staff_email)
    assert person_known(local_stack, neighbour.admin_email)
    from chalicelib.services import firm_delete
    assert firm_delete.verify(gone.tenant_id, gone.slug, [gone.admin_email, staff_email]) == \
        {"items": 0, "objects": 0, "people": 0}
    assert client.http.get(f"/t/{made['token']}", headers={"Accept": "application/json"}).status_code == 404
    assert client.http.get(f"/r/{gone.slug}").status_code == 404
    assert gone.call("GET", "/api/tickets").status_code in (401, 403)  # the token's person is gone
    # the neighbour: every item and object as it was
    assert sorted(json.dumps(i, sort_keys=True) for i in partition(neighbour.tenant_id)) == neighbour_before
    assert bucket_keys(local_stack, f"{neighbour.tenant_id}/") == neighbour_objects
    assert body(neighbour.call("GET", "/api/tenant"))["slug"] == neighbour.slug

    # the slug is held for 90 days, then another firm may take it
    def sign_up_as(slug: str):
        return client.http.post("/signup", headers=JSON, body=json.dumps({
            "name": "Next firm", "slug": slug, "time_zone": "Asia/Shanghai", "locale": "en",
            "admin_email": f"next-{slug}@example.com", "admin_name": "Next Admin", "template": "prc-residential"}))

    held = sign_up_as(gone.slug)
    assert held.status_code == 409 and "slug" in body(held)["error"]["fields"]
    assert run_jobs(client, due + timedelta(days=89))["slugs_released"] == 0
    assert run_jobs(client, due + timedelta(days=91))["slugs_released"] == 1
    assert sign_up_as(gone.slug).status_code == 201


def test_a_finished_export_is_tagged_for_deletion_and_expires_after_seven_days(client, desk, local_stack):
    """The ZIP holds every resident's contact details: S3 deletes it by its tag (the stack's
    lifecycle rule), and from then on the export shows as expired, with no link."""
    import boto3
    from chalicelib.domain.identity import Identity
    from chalicelib.services import firm_export
    firm, _ = desk
    who = Identity(firm.tenant_id, firm.admin_sub, "admin")
    at = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)
    export = firm_export.start(who, now=at)
    from chalicelib.store import firm_data as store
    assert firm_export.run(store.get_export(firm.tenant_id, export["id"]), at, lambda: False)
    finished = datetime.fromisoformat(firm_export.status(who, export["id"], now=at)["finished_at"])
    s3 = boto3.client("s3", endpoint_url=local_stack.endpoint, region_name="us-east-1")
    tags = s3.get_object_tagging(Bucket="propdesk-photos-local", Key=f"{firm.tenant_id}/exports/{export['id']}.zip")
    assert tags["TagSet"] == [{"Key": "propdesk-kind", "Value": "export"}]
    almost = firm_export.status(who, export["id"], now=finished + timedelta(days=7) - timedelta(minutes=1))
    assert almost["status"] == "done" and almost["download"]["expires_in"] == 24 * 3600
    gone = firm_export.status(who, export["id"], now=finished + timedelta(days=7))
    assert gone["status"] == "expired" and "download" not in gone
