"""Notification senders against the moto server (SES, SNS) and a local webhook sink.

What moto recorded is read from its own HTTP API (``/moto-api/data.json``), since the
server runs apart from the test's moto backends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chalicelib.adapters import channels
from chalicelib.adapters.channels import Delivery, send, validate_channel, verify_signature
from chalicelib.domain.messages import render
from infra.local.aws import free_port
from infra.local.webhook_sink import start_sink

ROOT = Path(__file__).resolve().parents[2]
MAIL_FROM = "noreply@propdesk.local"
DUE = datetime(2025, 11, 24, 6, 30, tzinfo=timezone.utc)


def message(kind="sla_breach_level1", locale="zh-CN", **extra):
    data = {"ticket": "1042", "category": {"en": "Repairs", "zh-CN": "维修"}, "unit": "3-2-501",
            "promise": "first_response", "due": DUE, "time_zone": "Asia/Shanghai",
            "firm": {"en": "Green Court", "zh-CN": "绿苑物业"}, **extra}
    return render(kind, locale, data)


@pytest.fixture
def sink():
    server, url, received = start_sink(echo=False)
    yield server, url, received
    server.stop()


@pytest.fixture
def aws(local_stack, monkeypatch):
    """Clients pointed at the session's moto server, with our sender address verified
    (moto, like SES in its sandbox, refuses mail from unverified identities)."""
    import boto3

    monkeypatch.delenv("PROPDESK_MAIL_FROM", raising=False)
    channels.reset_clients()
    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress=MAIL_FROM)
    yield local_stack
    channels.reset_clients()


def moto_data(endpoint: str) -> dict:
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=120) as answer:
        return json.load(answer)


# --- SES and SNS on moto ---------------------------------------------------------------------


def test_email_goes_through_ses_with_subject_and_text(aws):
    msg = message()
    delivery = send({"channel": "email", "to": "ops@firm.example"}, msg, idempotency_key="k-email-1")
    assert delivery.ok and not delivery.retryable, delivery
    sent = [m for m in moto_data(aws.endpoint)["ses"]["Message"] if m["id"] == delivery.reference]
    assert len(sent) == 1
    assert sent[0]["source"] == MAIL_FROM
    assert sent[0]["destinations"]["ToAddresses"] == ["ops@firm.example"]
    assert sent[0]["subject"] == msg.subject
    assert sent[0]["body"] == msg.text and "11月24日 14:30" in sent[0]["body"]


def test_email_from_an_unverified_sender_is_refused_and_not_retried(aws, monkeypatch):
    monkeypatch.setenv("PROPDESK_MAIL_FROM", "someone-else@propdesk.local")
    delivery = send({"channel": "email", "to": "ops@firm.example"}, message(), idempotency_key="k-email-2")
    assert not delivery.ok and not delivery.retryable
    assert "MessageRejected" in delivery.detail
    assert "ops@firm.example" not in delivery.detail


def test_email_when_aws_cannot_be_reached_is_retryable(aws, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    channels.reset_clients()
    delivery = send({"channel": "email", "to": "ops@firm.example"}, message(), idempotency_key="k-email-3")
    assert not delivery.ok and delivery.retryable, delivery
    assert "could not reach AWS" in delivery.detail


def test_sms_goes_through_sns_publish(aws):
    msg = message(locale="en")
    delivery = send({"channel": "sms", "to": "+86 138-0013-8000"}, msg, idempotency_key="k-sms-1")
    assert delivery.ok and delivery.reference, delivery
    sms = [m for m in moto_data(aws.endpoint)["sns"]["SMS"] if m["message_id"] == delivery.reference]
    assert sms == [{"message": msg.text, "message_id": delivery.reference, "phone_number": "+8613800138000"}]
    # "[Green Court] Ticket 1042 (Repairs, ...) ... level 1.": 138 GSM-7 characters, one message.
    assert len(msg.text) == 138 and delivery.detail.endswith("(1 segment)")


# --- chat bots and the generic webhook against the local sink -------------------------------------


def test_wecom_sends_a_text_message_and_succeeds_on_errcode_0(sink):
    _, url, received = sink
    msg = message()
    delivery = send({"channel": "wecom", "url": f"{url}/cgi-bin/webhook/send?key=wk-secret-1"}, msg,
                    idempotency_key="k1")
    assert delivery == Delivery(True, "wecom: delivered (errcode 0)")
    (path, headers, body), = received
    assert path == "/cgi-bin/webhook/send?key=wk-secret-1"
    assert body == {"msgtype": "text", "text": {"content": msg.text}}
    assert headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("errcode, retryable", [(93000, False), (45009, True)])
def test_wecom_errcodes_fail_and_say_why(sink, errcode, retryable):
    server, url, _ = sink
    server.reset(always_fail=True, fail_status=200, fail_errcode=errcode)
    delivery = send({"channel": "wecom", "url": f"{url}/cgi-bin/webhook/send?key=wk-secret-2"}, message(),
                    idempotency_key="k2")
    assert not delivery.ok and delivery.retryable is retryable
    assert str(errcode) in delivery.detail
    assert "wk-secret-2" not in delivery.detail  # a bot URL's key is a credential


def test_wecom_content_is_cut_to_its_2048_byte_limit(sink):
    _, url, received = sink
    from chalicelib.domain.messages import Message
    long = Message(subject="s", text="漏" * 1000)  # 3000 bytes
    assert send({"channel": "wecom", "url": f"{url}/cgi-bin/webhook/send?key=k"}, long, idempotency_key="k").ok
    content = received[0].body["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048 and content.endswith("…")


def test_dingtalk_is_signed_as_dingtalk_requires(sink):
    _, url, received = sink
    secret = "SEC" + "0123456789abcdef" * 4
    msg = message(locale="en")
    before = int(time.time() * 1000)
    delivery = send({"channel": "dingtalk", "url": f"{url}/robot/send?access_token=dt-token", "secret": secret},
                    msg, idempotency_key="k3")
    after = int(time.time() * 1000)
    assert delivery.ok, delivery
    hit = received[0]
    assert hit.body == {"msgtype": "text", "text": {"content": msg.text}}
    assert hit.query["access_token"] == "dt-token"
    timestamp = hit.query["timestamp"]
    assert before <= int(timestamp) <= after  # milliseconds
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert hit.query["sign"] == expected
    # On the wire the signature is URL-encoded exactly once (base64's + / = escaped).
    raw_sign = hit.path.split("sign=", 1)[1].split("&", 1)[0]
    assert raw_sign == urllib.parse.quote_plus(expected)
    assert not any(ch in raw_sign for ch in "+/=")


def test_dingtalk_without_a_secret_is_sent_unsigned_and_errcodes_fail(sink):
    server, url, received = sink
    channel = {"channel": "dingtalk", "url": f"{url}/robot/send?access_token=dt-token"}
    assert send(channel, message(), idempotency_key="k4").ok
    assert set(received[0].query) == {"access_token"}
    server.reset(always_fail=True, fail_status=200, fail_errcode=310000)
    delivery = send(channel, message(), idempotency_key="k4")
    assert not delivery.ok and not delivery.retryable and "310000" in delivery.detail
    server.reset(always_fail=True, fail_status=200, fail_errcode=130101)  # sending too fast
    assert send(channel, message(), idempotency_key="k4").retryable


def test_slack_gets_escaped_text_and_needs_a_plain_ok(sink):
    server, url, received = sink
    from chalicelib.domain.messages import Message
    channel = {"channel": "slack", "url": f"{url}/services/T000/B000/XXXX"}
    assert send(channel, Message(subject="s", text="a < b & c > d"), idempotency_key="k5").ok
    assert received[0].body == {"text": "a &lt; b &amp; c &gt; d"}
    server.reset(always_fail=True, fail_status=400)
    refused = send(channel, message(), idempotency_key="k5")
    assert not refused.ok and not refused.retryable and "invalid_payload" in refused.detail
    assert "XXXX" not in refused.detail
    server.reset(always_fail=True, fail_status=429)
    limited = send(channel, message(), idempotency_key="k5")
    assert not limited.ok and limited.retryable and limited.retry_after_s == 1.0


def test_generic_webhook_is_signed_and_verifiable(sink):
    _, url, received = sink
    secret = "whsec-0123456789abcdef"
    msg = message(locale="en", link="https://console.propdesk.example/tickets/01J")
    delivery = send({"channel": "webhook", "url": f"{url}/hook", "secret": secret}, msg,
                    idempotency_key="tenant-1:ticket-9:l1")
    assert delivery.ok, delivery
    hit = received[0]
    headers = hit.headers
    assert headers["Idempotency-Key"] == "tenant-1:ticket-9:l1"
    assert headers["X-PropDesk-Event"] == "sla_breach_level1"
    timestamp, signature = headers["X-PropDesk-Timestamp"], headers["X-PropDesk-Signature"]
    assert abs(int(timestamp) - time.time()) < 10
    assert signature == "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + hit.raw,
                                             hashlib.sha256).hexdigest()
    assert verify_signature(secret, timestamp, hit.raw, signature)
    assert verify_signature(secret, timestamp, hit.raw.decode("utf-8"), signature)

    body = hit.body
    assert body["event"] == "sla_breach_level1" and body["id"] == "tenant-1:ticket-9:l1"
    assert body["ticket"] == {"number": "1042", "category": "Repairs", "unit": "3-2-501", "promise": "first_response",
                              "due": "2025-11-24T06:30:00Z", "time_zone": "Asia/Shanghai",
                              "link": "https://console.propdesk.example/tickets/01J"}
    assert body["message"] == {"locale": "en", "subject": msg.subject, "text": msg.text}

    tampered = hit.raw.replace(b"1042", b"1043")
    assert not verify_signature(secret, timestamp, tampered, signature)
    assert not verify_signature("another-secret-0123", timestamp, hit.raw, signature)
    assert not verify_signature(secret, int(timestamp) + 1, hit.raw, signature)
    assert not verify_signature(secret, timestamp, hit.raw, signature, now=int(timestamp) + 301)
    assert verify_signature(secret, timestamp, hit.raw, signature, now=int(timestamp) + 299)
    assert not verify_signature(secret, "not-a-time", hit.raw, signature)
    assert not verify_signature(secret, timestamp, hit.raw, None)


@pytest.mark.parametrize("status, retryable", [(500, True), (503, True), (429, True), (400, False), (404, False),
                                               (410, False), (302, False)])
def test_http_answers_are_classified(sink, status, retryable):
    server, url, _ = sink
    server.reset(always_fail=True, fail_status=status)
    delivery = send({"channel": "webhook", "url": f"{url}/hook", "secret": "whsec-0123456789abcdef"}, message(),
                    idempotency_key="k6")
    assert not delivery.ok and delivery.retryable is retryable, delivery
    assert str(status) in delivery.detail


def test_fail_first_then_deliver(sink):
    server, url, received = sink
    server.reset(fail_first=2)
    channel = {"channel": "wecom", "url": f"{url}/cgi-bin/webhook/send?key=k"}
    outcomes = [send(channel, message(), idempotency_key="k7") for _ in range(3)]
    assert [(d.ok, d.retryable) for d in outcomes] == [(False, True), (False, True), (True, False)]
    assert [r.status for r in received] == [500, 500, 200]


def test_a_refused_connection_is_retryable():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for channel in ({"channel": "webhook", "url": f"{url}/hook", "secret": "whsec-0123456789abcdef"},
                    {"channel": "wecom", "url": f"{url}/cgi-bin/webhook/send?key=k"},
                    {"channel": "slack", "url": f"{url}/services/T/B/X"}):
        delivery = send(channel, message(), idempotency_key="k8")
        assert not delivery.ok and delivery.retryable and "refused" in delivery.detail, delivery


def test_a_slow_receiver_times_out_retryably(sink, monkeypatch):
    server, url, _ = sink
    server.reset(delay_s=1.0)
    monkeypatch.setattr(channels, "TIMEOUT_S", 0.2)
    delivery = send({"channel": "webhook", "url": f"{url}/hook", "secret": "whsec-0123456789abcdef"}, message(),
                    idempotency_key="k9")
    assert not delivery.ok and delivery.retryable and "timed out" in delivery.detail, delivery


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", [
    {"channel": "email", "to": "ops@firm.example"},
    {"channel": "sms", "to": "+8613800138000"},
    {"channel": "sms", "to": "+44 7700 900123"},
    {"channel": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"},
    {"channel": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=abc", "secret": "SECabc"},
    {"channel": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=abc"},
    {"channel": "slack", "url": "https://hooks.slack.com/services/T0/B0/abc"},
    {"channel": "webhook", "url": "https://hooks.firm.example/propdesk", "secret": "0123456789abcdef"},
    {"channel": "email", "to": "ops@firm.example", "level": 1, "name": "Duty manager"},  # extra keys are fine
])
def test_good_entries_have_no_problems(entry):
    assert validate_channel(entry, allow_local=False) == {}


@pytest.mark.parametrize("entry, field, words", [
    ("email", "channel", "mapping"),
    ({"channel": "pager"}, "channel", "one of"),
    ({"to": "ops@firm.example"}, "channel", "one of"),
    ({"channel": "email"}, "to", "required"),
    ({"channel": "email", "to": "ops at firm"}, "to", "e-mail"),
    ({"channel": "email", "to": "ops@firm.example\r\nBcc: x@y.example"}, "to", "e-mail"),
    ({"channel": "sms", "to": "13800138000"}, "to", "international"),
    ({"channel": "sms", "to": "+86 abc"}, "to", "international"),
    ({"channel": "wecom"}, "url", "required"),
    ({"channel": "wecom", "url": "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a"}, "url", "https"),
    ({"channel": "wecom", "url": "https://oapi.dingtalk.com/robot/send?access_token=a"}, "url", "qyapi.weixin.qq.com"),
    ({"channel": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "url", "key="),
    ({"channel": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=a", "secret": "abc"},
     "secret", "SEC"),
    ({"channel": "slack", "url": "https://hooks.slack.com/other"}, "url", "services"),
    ({"channel": "webhook", "url": "https://hooks.firm.example/x"}, "secret", "required"),
    ({"channel": "webhook", "url": "https://hooks.firm.example/x", "secret": ""}, "secret", "required"),
    ({"channel": "webhook", "url": "ftp://hooks.firm.example/x", "secret": "0123456789abcdef"}, "url", "https"),
    ({"channel": "webhook", "url": "hooks.firm.example/x", "secret": "0123456789abcdef"}, "url", "https"),
    ({"channel": "webhook", "url": "https://10.0.0.5/x", "secret": "0123456789abcdef"}, "url", "public"),
    ({"channel": "webhook", "url": "https://169.254.169.254/latest", "secret": "0123456789abcdef"}, "url", "public"),
    ({"channel": "webhook", "url": "http://127.0.0.1:9001/x", "secret": "0123456789abcdef"}, "url", "https"),
    ({"channel": "webhook", "url": "https://localhost/x", "secret": "0123456789abcdef"}, "url", "public"),
    ({"channel": "webhook", "url": "https://u:p@hooks.firm.example/x", "secret": "0123456789abcdef"},
     "url", "password"),
])
def test_bad_entries_name_the_field_and_the_reason(entry, field, words):
    problems = validate_channel(entry, allow_local=False)
    assert field in problems, problems
    assert words in problems[field]


def test_local_sinks_are_allowed_only_locally():
    entry = {"channel": "wecom", "url": "http://127.0.0.1:8025/cgi-bin/webhook/send?key=k"}
    assert validate_channel(entry, allow_local=True) == {}
    assert "url" in validate_channel(entry, allow_local=False)
    assert validate_channel({**entry, "url": "http://localhost:8025/x"}, allow_local=True) == {}
    assert validate_channel(entry) == {}  # the test stage counts as local


def test_a_malformed_entry_raises_value_error_but_a_failed_delivery_never_raises():
    with pytest.raises(ValueError):
        send({"channel": "email"}, message(), idempotency_key="k")
    with pytest.raises(ValueError):
        send({"channel": "carrier-pigeon", "to": "loft"}, message(), idempotency_key="k")


def test_importing_the_senders_builds_no_aws_client():
    code = ("import sys; import chalicelib.adapters.channels as c; "
            "assert c._client.cache_info().currsize == 0; print('botocore' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
