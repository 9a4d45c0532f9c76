"""Webhook and robot secrets are write-only on every path: the API's read, its PUT's answer,
the history, the audit log, the YAML download and the editor never carry one; what they show
(a mask) sent back keeps the saved secret, so outgoing webhooks stay signed with it."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from infra.local.webhook_sink import start_sink
from tests.api.test_escalation import report_at, run_sweep
from tests.console.conftest import Session
from tests.support import body

SECRET = "hook-key-7f3a9c2e5b1d-never-shown"
NEW_SECRET = "hook-key-rotated-44e1c0"
MASK = "********"


@pytest.fixture
def sink():
    server, url, received = start_sink()
    yield url, received
    server.stop()


def read(firm) -> dict:
    answer = firm.call("GET", "/api/standards")
    assert answer.status_code == 200
    return body(answer)


def put(firm, document: dict, version: int):
    return firm.call("PUT", "/api/standards", {"standards": document}, **{"If-Match": f'"{version}"'})


def stored_chain(firm) -> list[dict]:
    """Level 1's recipients as stored (the secret itself, which no read path returns)."""
    from chalicelib.store import tenants
    document, _ = tenants.get_standards(firm.tenant_id)
    return document["escalation"]["level1"]["notify"]


def with_webhook(firm, url: str, secret: str = SECRET) -> dict:
    """The firm's chain is one signed webhook; 'repairs' has calendar-time targets (1 h, 4 h)."""
    current = read(firm)
    document = copy.deepcopy(current["standards"])
    document["targets"]["repairs"] = {"*": {"first_response": "1h", "resolution": "4h"}}
    document["escalation"] = {"warn_at": 0.5, "level1": {"notify": [{"channel": "webhook", "url": f"{url}/hook",
                                                                     "secret": secret}]},
                              "level2": {"after": "1h", "notify": []}}
    saved = put(firm, document, current["version"])
    assert saved.status_code == 200, saved.body
    return body(saved)


def expected_signature(secret: str, timestamp: str, raw: bytes) -> str:
    """PropDesk's webhook signature, computed here from its description (not its code)."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()


def signed_warning(client, firm, received, days: int) -> tuple[str, str, bytes]:
    """A repair reported ``days`` ahead and swept past half its first response: the webhook's
    (timestamp, signature, raw body)."""
    received.clear()
    t0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=days)
    report_at(firm, t0)
    run_sweep(client, t0 + timedelta(minutes=31))
    assert len(received) == 1, received
    hook = received[0]
    return hook.headers["X-PropDesk-Timestamp"], hook.headers["X-PropDesk-Signature"], hook.raw


def test_no_read_path_returns_the_secret(client, firm, sink):
    url, _ = sink
    # Given an admin saves a signed webhook (and a DingTalk robot's secret) through the API
    saved = with_webhook(firm, url)
    # Then the PUT's own answer already masks it
    assert SECRET not in json.dumps(saved)
    assert saved["standards"]["escalation"]["level1"]["notify"][0]["secret"] == MASK

    # And so do the API's read, the history and the audit log
    answer = firm.call("GET", "/api/standards")
    assert SECRET not in answer.body.decode()
    assert body(answer)["standards"]["escalation"]["level1"]["notify"] == [
        {"channel": "webhook", "url": f"{url}/hook", "secret": MASK}]
    history = firm.call("GET", "/api/standards/history")
    assert history.status_code == 200 and SECRET not in history.body.decode()
    audit = firm.call("GET", "/api/audit")
    assert audit.status_code == 200 and SECRET not in audit.body.decode()
    assert "standards:escalation.level1.notify[0].secret" in audit.body.decode()  # that it changed, only

    # And the console: the YAML download, the editor and the paste page
    admin = Session(client, firm.admin_email)
    download = admin.get("/console/standards.yaml")
    assert download.status_code == 200 and SECRET not in download.body.decode()
    assert yaml.safe_load(download.body)["escalation"]["level1"]["notify"][0]["secret"] == MASK
    for path in ("/console/standards", "/console/standards/upload", "/console/channels"):
        page = admin.get(path)
        assert page.status_code == 200 and SECRET not in page.body.decode(), path

    # While the stored secret is the one typed
    assert stored_chain(firm)[0]["secret"] == SECRET


def test_a_masked_json_round_trip_keeps_the_webhook_signed_with_the_original_secret(client, firm, sink):
    url, received = sink
    with_webhook(firm, url)
    # Given the standards as the API reads them (masked), with something else changed
    current = read(firm)
    document = copy.deepcopy(current["standards"])
    document["survey"]["min_n"] = 7
    # When they are sent back with If-Match
    saved = put(firm, document, current["version"])
    assert saved.status_code == 200, saved.body
    assert SECRET not in saved.body.decode()
    assert body(saved)["changes"] == ["survey.min_n: 5 → 7"]  # the secret did not change
    # Then the stored secret is the original, and the webhook is still signed with it
    assert stored_chain(firm) == [{"channel": "webhook", "url": f"{url}/hook", "secret": SECRET}]
    timestamp, signature, raw = signed_warning(client, firm, received, days=500)
    assert signature == expected_signature(SECRET, timestamp, raw)


def test_a_yaml_download_edited_and_pasted_back_keeps_the_secret(client, firm, sink):
    url, received = sink
    with_webhook(firm, url)
    admin = Session(client, firm.admin_email)
    # Given the YAML download, edited elsewhere (the survey's minimum n) and pasted back
    text = admin.get("/console/standards.yaml").body.decode()
    assert f"secret: '{MASK}'" in text
    edited = text.replace("min_n: 5", "min_n: 9")
    assert edited != text
    pasted = admin.post("/console/standards/upload", {"version": str(read(firm)["version"]), "yaml": edited})
    assert pasted.status_code == 303, pasted.body.decode()[:800]
    # Then the secret is kept and the webhook is signed with it
    assert read(firm)["standards"]["survey"]["min_n"] == 9
    assert stored_chain(firm)[0]["secret"] == SECRET
    timestamp, signature, raw = signed_warning(client, firm, received, days=510)
    assert signature == expected_signature(SECRET, timestamp, raw)


def test_the_editor_saved_with_the_secret_box_empty_keeps_the_signature(client, firm, sink):
    url, received = sink
    with_webhook(firm, url)
    admin = Session(client, firm.admin_email)
    saved = admin.post("/console/standards", {
        "version": str(read(firm)["version"]), "escalation.level1.notify[0].channel": "webhook",
        "escalation.level1.notify[0].address": f"{url}/hook", "escalation.level1.notify[0].secret": "",
        "survey.min_n": "6"})
    assert saved.status_code == 303, saved.body.decode()[:800]
    assert stored_chain(firm)[0]["secret"] == SECRET
    timestamp, signature, raw = signed_warning(client, firm, received, days=520)
    assert signature == expected_signature(SECRET, timestamp, raw)


def test_a_new_secret_replaces_the_saved_one_and_null_takes_it_off(client, firm, sink):
    url, received = sink
    with_webhook(firm, url)
    # A new value replaces it: the webhook is signed with the new one
    current = read(firm)
    document = copy.deepcopy(current["standards"])
    document["escalation"]["level1"]["notify"][0]["secret"] = NEW_SECRET
    saved = put(firm, document, current["version"])
    assert saved.status_code == 200 and NEW_SECRET not in saved.body.decode()
    assert "escalation.level1.notify[0].secret: changed (not shown)" in body(saved)["changes"]
    timestamp, signature, raw = signed_warning(client, firm, received, days=530)
    assert signature == expected_signature(NEW_SECRET, timestamp, raw)
    history = firm.call("GET", "/api/standards/history").body.decode()
    assert NEW_SECRET not in history and SECRET not in history

    # A missing secret keeps it too (the same webhook, same address)
    current = read(firm)
    document = copy.deepcopy(current["standards"])
    del document["escalation"]["level1"]["notify"][0]["secret"]
    assert put(firm, document, current["version"]).status_code == 200
    assert stored_chain(firm)[0]["secret"] == NEW_SECRET

    # null takes it off
    current = read(firm)
    document = copy.deepcopy(current["standards"])
    document["escalation"]["level1"]["notify"][0]["secret"] = None
    assert put(firm, document, current["version"]).status_code == 200
    assert stored_chain(firm) == [{"channel": "webhook", "url": f"{url}/hook"}]


def test_the_mask_for_a_robot_with_no_saved_secret_is_refused_and_nothing_is_saved(client, firm):
    current = read(firm)
    document = copy.deepcopy(current["standards"])
    document["escalation"]["level1"]["notify"] = [
        {"channel": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=new", "secret": MASK}]
    refused = put(firm, document, current["version"])
    assert refused.status_code == 422
    fields = body(refused)["error"]["fields"]
    assert fields == {"escalation.level1.notify[0].secret": "is the mask of a saved secret, but no saved robot or "
                                                             "webhook has this channel and address: type the secret"}
    assert read(firm)["version"] == current["version"]
