"""A firm's export read back into an empty stack: the same firm.

Given a firm with a resident's rated report, a photo, staff, two standards versions and a
campaign, exported through the API and the firm-data job; when AWS is wiped (moto reset: a
new, empty table, bucket and user pool) and the ZIP imported; then every exported item is
there exactly as it was, the photo's bytes too, the resident's tracking link shows the same
report, and every score the scores API gave before comes out the same.
"""

from __future__ import annotations

import io
import json
import re
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import Conflict
from tests.api.test_firm_data import busy, finished_zip, partition, run_jobs
from tests.api.test_photos import bucket_keys
from tests.support import body

BY = ("all", "category", "property", "building", "staff")


def scores(who, periods: list[str]) -> dict:
    from chalicelib.services import scores as score_service
    score_service.forget_settings(who.tenant_id)
    return {(p, by): json.loads(json.dumps(score_service.period_scores(who, {"period": p, "by": by})))
            for p in periods for by in BY}


def tracking(client, token: str) -> str:
    """The resident's tracking page as JSON, its photo links without their signature (signed anew each time)."""
    return re.sub(r'\?X-Amz-[^"]*', "", client.http.get(f"/t/{token}", headers={"Accept": "application/json"}).body.decode())


def photos(local_stack, tenant_id: str) -> dict[str, bytes]:
    import boto3
    s3 = boto3.client("s3", endpoint_url=local_stack.endpoint, region_name="us-east-1")
    return {k: s3.get_object(Bucket="propdesk-photos-local", Key=k)["Body"].read()
            for k in bucket_keys(local_stack, f"{tenant_id}/photos/")}


def test_export_then_import_into_an_empty_stack_gives_the_same_firm_and_scores(client, local_stack, moto_endpoint):
    from chalicelib.domain.firm_data import NOT_EXPORTED
    from chalicelib.domain.identity import Identity
    from chalicelib.services import firm_import
    from tests.support import Firm
    firm = Firm.sign_up(client)
    made = busy(firm, client)
    now = datetime.now(timezone(timedelta(hours=8)))
    periods = [f"M{now:%Y-%m}", f"W{now:%G-%V}", f"Q{now.year}-{(now.month - 1) // 3 + 1}"]
    who = Identity(firm.tenant_id, firm.admin_sub, "admin")
    scores_before = scores(who, periods)
    api = body(firm.call("GET", f"/api/scores?period={periods[0]}&by=category"))
    assert api == scores_before[(periods[0], "category")] and api["firm"]["csat"]["n"] == 1  # the rating counts
    tracking_before = tracking(client, made["token"])
    export = body(firm.call("POST", "/api/firm/exports"))
    run_jobs(client, datetime.now(timezone.utc) + timedelta(minutes=1))
    archive = finished_zip(firm, export["id"])
    items_before = sorted(json.dumps(i, sort_keys=True) for i in partition(firm.tenant_id)
                          if i.get("kind", {"S": i["sk"]["S"].split("#")[0].lower()})["S"] not in NOT_EXPORTED)
    photos_before = photos(local_stack, firm.tenant_id)
    assert photos_before

    # an empty stack
    from chalicelib.settings import settings
    from infra.local import aws as local_aws
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=60)
    local_aws.use(local_aws.create_resources(moto_endpoint, table="propdesk-test"))
    settings.cache_clear()
    assert partition(firm.tenant_id) == [] and photos(local_stack, firm.tenant_id) == {}
    assert client.http.get(f"/t/{made['token']}", headers={"Accept": "application/json"}).status_code == 404

    imported = firm_import.load(io.BytesIO(archive))

    assert imported.tenant_id == firm.tenant_id and imported.photos == len(photos_before)
    assert sorted(json.dumps(i, sort_keys=True) for i in partition(firm.tenant_id)) == items_before
    assert photos(local_stack, firm.tenant_id) == photos_before
    assert scores(who, periods) == scores_before
    assert tracking(client, made["token"]) == tracking_before
    assert client.http.get(f"/r/{firm.slug}").status_code == 200  # the residents' form, from the slug's profile
    with pytest.raises(Conflict):  # a second import is refused
        firm_import.load(io.BytesIO(archive))
