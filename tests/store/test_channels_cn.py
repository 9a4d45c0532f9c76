"""The cn profile's senders against real local stand-ins: e-mail to an aiosmtpd server (plain,
STARTTLS and implicit TLS with a certificate made here, AUTH), SMS to a local HTTP endpoint
that answers as Alibaba Cloud SMS or Tencent Cloud SMS would (``PROPDESK_SMS_ENDPOINT`` points
the sender at it), and each request's signature is checked by a second implementation of the
provider's documented algorithm written here (ACS3-HMAC-SHA256, TC3-HMAC-SHA256), not by the
sender's own signer. Credentials live in moto's Secrets Manager.
Only loopback addresses are used.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import ipaddress
import json
import re
import ssl
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chalicelib.adapters import channels
from chalicelib.adapters.channels import ConfigurationError, check_configuration, send
from chalicelib.adapters.channels import sms_cn
from chalicelib.domain import messages
from chalicelib.domain.messages import render
from chalicelib.settings import settings
from infra.local.aws import free_port
from infra.local.sms_sink import SmsCall as Call
from infra.local.sms_sink import start_sms_sink

DUE = datetime(2025, 11, 24, 6, 30, tzinfo=timezone.utc)  # 14:30 in Shanghai
ALIYUN_KEY = {"access_key_id": "LTAI-test-id", "access_key_secret": "aliyun-secret-0123456789"}
TENCENT_KEY = {"secret_id": "AKID-test-id", "secret_key": "tencent-secret-0123456789"}
SMTP_LOGIN = {"username": "mailer@propdesk.local", "password": "smtp-pass-0123"}


def message(kind="sla_breach_level1", locale="zh-CN", **extra):
    data = {"ticket": "1042", "category": {"en": "Repairs", "zh-CN": "维修"}, "unit": "3-2-501",
            "promise": "first_response", "due": DUE, "time_zone": "Asia/Shanghai",
            "firm": {"en": "Green Court", "zh-CN": "绿苑物业"}, **extra}
    return render(kind, locale, data)


# --- fixtures: secrets, the cn profile ----------------------------------------------------------


@pytest.fixture(scope="module")
def secrets(local_stack):
    import boto3

    client = boto3.client("secretsmanager", region_name="us-east-1")
    for name, value in (("test/sms-aliyun", ALIYUN_KEY), ("test/sms-tencent", TENCENT_KEY),
                        ("test/smtp", SMTP_LOGIN)):
        client.create_secret(Name=name, SecretString=json.dumps(value))
    return client


@pytest.fixture
def cn(secrets, monkeypatch):
    """The cn profile, with every setting an argument of ``use``; caches reset around the test."""

    def use(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()
        channels.reset_clients()

    # messaging under cn; the firms here sign in through the session's Cognito (identity has its own tests)
    use(PROPDESK_PROFILE="cn", PROPDESK_IDENTITY="cognito", PROPDESK_SMS_SIGN_NAME="绿苑物业", PROPDESK_SMTP_SECRET="test/smtp")
    yield use
    monkeypatch.undo()
    settings.cache_clear()
    channels.reset_clients()


# --- a real SMTP server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost, made here (cert file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class Mailbox:
    port: int
    received: list = field(default_factory=list)  # (envelope, over TLS?, authenticated?)


def start_smtp(*, tls: str, certificate=None, login: dict | None = None):
    """aiosmtpd on 127.0.0.1: ``tls`` is none | starttls (required) | implicit."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    box = Mailbox(port=free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            box.received.append((envelope, session.ssl is not None or tls == "implicit", session.authenticated))
            return "250 OK queued"

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = login is not None and auth_data.login == login["username"].encode() and \
            auth_data.password == login["password"].encode()
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself

    context = None
    if certificate is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
    options = {}
    if login is not None:
        options.update(authenticator=authenticate, auth_required=True, auth_require_tls=tls != "none")
    if tls == "starttls":
        options.update(tls_context=context, require_starttls=True)
    elif tls == "implicit":
        options.update(ssl_context=context)
    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port, **options)
    controller.start()
    return controller, box


def smtp_env(box: Mailbox, tls: str, certificate=None, secret="test/smtp") -> dict:
    env = {"PROPDESK_SMTP_HOST": "127.0.0.1", "PROPDESK_SMTP_PORT": str(box.port), "PROPDESK_SMTP_TLS": tls,
           "PROPDESK_SMTP_SECRET": secret}
    if certificate is not None:
        env["PROPDESK_SMTP_CA_FILE"] = str(certificate[0])
    return env


def parsed(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content, policy=email.policy.default)


def test_cn_email_travels_by_smtp_over_starttls_with_the_login_from_secrets_manager(cn, certificate):
    controller, box = start_smtp(tls="starttls", certificate=certificate, login=SMTP_LOGIN)
    try:
        cn(**smtp_env(box, "starttls", certificate), PROPDESK_MAIL_FROM="noreply@propdesk.local")
        msg = message()
        delivery = send({"channel": "email", "to": "ops@firm.example"}, msg, idempotency_key="t1:k-mail-1")
        assert delivery.ok and "(starttls)" in delivery.detail, delivery
        assert "ops@firm.example" not in delivery.detail
        (envelope, over_tls, authenticated), = box.received
        assert over_tls and authenticated
        assert envelope.mail_from == "noreply@propdesk.local" and envelope.rcpt_tos == ["ops@firm.example"]
        mail = parsed(envelope)
        assert mail["Subject"] == msg.subject and "绿苑物业" in mail["Subject"]
        assert mail.get_content().strip() == msg.text.strip() and "11月24日 14:30" in mail.get_content()
        assert mail["Message-ID"] == delivery.reference
        # The same idempotency key gives the same Message-ID: a retry is recognisably the same mail.
        again = send({"channel": "email", "to": "ops@firm.example"}, msg, idempotency_key="t1:k-mail-1")
        other = send({"channel": "email", "to": "ops@firm.example"}, msg, idempotency_key="t1:k-mail-2")
        assert again.reference == delivery.reference != other.reference
    finally:
        controller.stop()


def test_implicit_tls_and_the_port_rule(cn, certificate):
    from chalicelib.adapters.channels.smtp import tls_mode

    assert tls_mode(465, "auto") == "implicit" and tls_mode(587, "auto") == "starttls"
    assert tls_mode(25, "auto") == "starttls" and tls_mode(465, "starttls") == "starttls"
    controller, box = start_smtp(tls="implicit", certificate=certificate)
    try:
        cn(**smtp_env(box, "implicit", certificate, secret=""))
        delivery = send({"channel": "email", "to": "ops@firm.example"}, message(locale="en"), idempotency_key="k")
        assert delivery.ok and "(implicit)" in delivery.detail, delivery
        assert len(box.received) == 1 and "Overdue" in parsed(box.received[0][0])["Subject"]
    finally:
        controller.stop()


def test_an_untrusted_certificate_is_refused_and_not_retried(cn, certificate):
    controller, box = start_smtp(tls="starttls", certificate=certificate)
    try:
        cn(**smtp_env(box, "starttls", None, secret=""))  # the system CAs do not know our certificate
        delivery = send({"channel": "email", "to": "ops@firm.example"}, message(), idempotency_key="k")
        assert not delivery.ok and not delivery.retryable and "certificate" in delivery.detail, delivery
        assert box.received == []
    finally:
        controller.stop()


def test_a_server_without_starttls_is_never_used_in_clear(cn):
    controller, box = start_smtp(tls="none")
    try:
        cn(**smtp_env(box, "starttls", secret=""))
        delivery = send({"channel": "email", "to": "ops@firm.example"}, message(), idempotency_key="k")
        assert not delivery.ok and not delivery.retryable and "STARTTLS" in delivery.detail, delivery
        assert box.received == []
    finally:
        controller.stop()


def test_plain_smtp_only_on_a_local_stage(cn):
    controller, box = start_smtp(tls="none")
    try:
        cn(**smtp_env(box, "none", secret=""))
        assert send({"channel": "email", "to": "ops@firm.example"}, message(), idempotency_key="k").ok
        assert len(box.received) == 1 and box.received[0][1] is False
        cn(PROPDESK_STAGE="prod")
        refused = send({"channel": "email", "to": "ops@firm.example"}, message(), idempotency_key="k")
        assert not refused.ok and "local stage" in refused.detail
        assert len(box.received) == 1
        with pytest.raises(ConfigurationError, match="PROPDESK_SMTP_TLS=none"):
            check_configuration()
    finally:
        controller.stop()


def test_the_login_is_read_once_and_again_after_the_server_refuses_it(cn, certificate, secrets):
    secrets.create_secret(Name="test/smtp-rotating", SecretString=json.dumps(SMTP_LOGIN))
    controller, box = start_smtp(tls="starttls", certificate=certificate, login=SMTP_LOGIN)
    try:
        cn(**smtp_env(box, "starttls", certificate, secret="test/smtp-rotating"))
        to = {"channel": "email", "to": "ops@firm.example"}
        assert send(to, message(), idempotency_key="k1").ok
        wrong = json.dumps({**SMTP_LOGIN, "password": "stale"})
        secrets.put_secret_value(SecretId="test/smtp-rotating", SecretString=wrong)
        assert send(to, message(), idempotency_key="k2").ok  # cached for the process: not read again
        channels.reset_clients()  # a new process reads the (now wrong) password
        refused = send(to, message(), idempotency_key="k3")
        assert not refused.ok and not refused.retryable and "login" in refused.detail, refused
        assert "stale" not in refused.detail
        secrets.put_secret_value(SecretId="test/smtp-rotating", SecretString=json.dumps(SMTP_LOGIN))
        assert send(to, message(), idempotency_key="k4").ok  # the refusal made it read the secret again
        assert len(box.received) == 3
    finally:
        controller.stop()


def test_an_smtp_server_that_is_not_there_is_retryable(cn):
    cn(PROPDESK_SMTP_HOST="127.0.0.1", PROPDESK_SMTP_PORT=str(free_port()), PROPDESK_SMTP_TLS="starttls",
       PROPDESK_SMTP_SECRET="")
    delivery = send({"channel": "email", "to": "ops@firm.example"}, message(), idempotency_key="k")
    assert not delivery.ok and delivery.retryable and "refused" in delivery.detail, delivery


# --- a local SMS provider (infra/local/sms_sink.py) ---------------------------------------


@pytest.fixture
def provider():
    server = start_sms_sink()
    yield server
    server.stop()


def aliyun(cn, provider, **extra):
    cn(**{"PROPDESK_SMS_PROVIDER": "aliyun", "PROPDESK_SMS_SECRET": "test/sms-aliyun",
          "PROPDESK_SMS_ENDPOINT": provider.url, **extra})


def tencent(cn, provider, **extra):
    cn(**{"PROPDESK_SMS_PROVIDER": "tencent", "PROPDESK_SMS_SECRET": "test/sms-tencent",
          "PROPDESK_SMS_ENDPOINT": provider.url, "PROPDESK_SMS_APP_ID": "1400000001", **extra})


# Signature checks, written from the providers' documentation (not the SDKs' signers).


def _rfc3986(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def acs3_valid(call: Call, key_id: str, secret: str, *, now: float | None = None) -> bool:
    """Alibaba Cloud V3 (ACS3-HMAC-SHA256): Authorization = "ACS3-HMAC-SHA256 Credential=<id>,
    SignedHeaders=<a;b>,Signature=<hex>" where Signature = hex(HMAC-SHA256(secret, StringToSign)),
    StringToSign = "ACS3-HMAC-SHA256\\n" + hex(SHA256(CanonicalRequest)) and CanonicalRequest =
    method \\n URI \\n sorted RFC 3986 query \\n "name:value\\n" per signed header \\n signed
    header names \\n hex(SHA256(body)). host and every x-acs-* header must be signed."""
    found = re.fullmatch(r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})",
                         call.headers.get("authorization", ""))
    if not found or found.group(1) != key_id:
        return False
    signed = found.group(2).split(";")
    must = {"host"} | {name for name in call.headers if name.startswith("x-acs-")}
    if not must <= set(signed) or signed != sorted(signed):
        return False
    payload_hash = hashlib.sha256(call.body).hexdigest()
    if call.headers.get("x-acs-content-sha256") != payload_hash:
        return False
    sent_at = datetime.strptime(call.headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    if abs((now or time.time()) - sent_at.timestamp()) > 900:
        return False
    path, _, query = call.path.partition("?")
    # The server reads the query as HTML forms write it ("+" is a space), then signs it RFC 3986-encoded.
    pairs = [tuple(urllib.parse.unquote_plus(part) for part in (item.split("=", 1) + [""])[:2])
             for item in query.split("&") if item]
    canonical_query = "&".join(f"{_rfc3986(k)}={_rfc3986(v)}" for k, v in sorted(pairs, key=lambda kv: _rfc3986(kv[0])))
    canonical_headers = "".join(f"{name}:{call.headers[name].strip()}\n" for name in signed)
    canonical = "\n".join([call.method, path or "/", canonical_query, canonical_headers, ";".join(signed),
                           payload_hash])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, found.group(3))


def tc3_valid(call: Call, secret_id: str, secret_key: str, service: str = "sms", *,
              now: float | None = None) -> bool:
    """Tencent Cloud signature v3 (TC3-HMAC-SHA256): Authorization = "TC3-HMAC-SHA256
    Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=content-type;host, Signature=<hex>";
    CanonicalRequest = method \\n / \\n query \\n "name:value\\n" per signed header (lower-case)
    \\n names \\n hex(SHA256(body)); StringToSign = "TC3-HMAC-SHA256\\n" + X-TC-Timestamp + \\n
    + scope + \\n + hex(SHA256(CanonicalRequest)); key = HMAC chain "TC3"+key → date → service →
    "tc3_request"; the date is X-TC-Timestamp's UTC date."""
    found = re.fullmatch(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, "
                         r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})", call.headers.get("authorization", ""))
    if not found:
        return False
    key_id, date, scope_service, signed_names, signature = found.groups()
    timestamp = int(call.headers["x-tc-timestamp"])
    if key_id != secret_id or scope_service != service or abs((now or time.time()) - timestamp) > 300:
        return False
    if date != datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d"):
        return False
    signed = signed_names.split(";")
    if not {"content-type", "host"} <= set(signed):
        return False
    path, _, query = call.path.partition("?")
    canonical_headers = "".join(f"{name}:{call.headers[name].strip().lower()}\n" for name in signed)
    canonical = "\n".join([call.method, path or "/", query, canonical_headers, signed_names,
                           hashlib.sha256(call.body).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    signing_key = mac(mac(mac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    expected = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def test_aliyun_sms_is_an_approved_template_with_variables_and_a_valid_acs3_signature(cn, provider):
    aliyun(cn, provider)
    delivery = send({"channel": "sms", "to": "+86 138-0013-8000"}, message(), idempotency_key="t1:o9:l1")
    assert delivery.ok and delivery.reference == "local-1^0", delivery
    (call,) = provider.calls
    assert call.headers["x-acs-action"] == "SendSms" and call.headers["x-acs-version"] == "2017-05-25"
    query = dict(urllib.parse.parse_qsl(call.path.partition("?")[2]))
    assert query["PhoneNumbers"] == "13800138000"  # mainland numbers as 11 digits
    assert query["SignName"] == "绿苑物业"
    assert query["TemplateCode"] == "SMS_490000003"  # sla_breach_level1, zh-CN in the shipped mapping
    assert json.loads(query["TemplateParam"]) == {"ticket": "1042", "promise": "首次响应", "due": "11月24日 14:30"}
    assert query["OutId"] == "t1:o9:l1"
    assert call.summary() == {"provider": "aliyun", "action": "SendSms", "to": "13800138000", "sign": "绿苑物业",
                              "template": "SMS_490000003",
                              "variables": {"ticket": "1042", "promise": "首次响应", "due": "11月24日 14:30"}}
    assert acs3_valid(call, ALIYUN_KEY["access_key_id"], ALIYUN_KEY["access_key_secret"])
    # The check can fail: another secret, another key id, a changed parameter, an old request.
    assert not acs3_valid(call, ALIYUN_KEY["access_key_id"], "another-secret")
    assert not acs3_valid(call, "LTAI-other", ALIYUN_KEY["access_key_secret"])
    forged = Call(call.method, call.path.replace("13800138000", "13900139000"), call.headers, call.body)
    assert not acs3_valid(forged, ALIYUN_KEY["access_key_id"], ALIYUN_KEY["access_key_secret"])
    assert not acs3_valid(call, ALIYUN_KEY["access_key_id"], ALIYUN_KEY["access_key_secret"],
                          now=time.time() + 3600)
    # 【绿苑物业】工单1042未在11月24日 14:30前完成首次响应，已超时，按升级规则通知您（一级）。
    # = 6 + 45 = 51 UCS-2 units: one message.
    assert "1 segment)" in delivery.detail


def test_tencent_sms_is_an_approved_template_with_ordered_variables_and_a_valid_tc3_signature(cn, provider):
    tencent(cn, provider)
    msg = message(kind="visit_reminder", locale="en", visit_at=DUE)
    delivery = send({"channel": "sms", "to": "+8613800138000"}, msg, idempotency_key="t1:visit:9")
    assert delivery.ok and delivery.reference == "local:1", delivery
    (call,) = provider.calls
    assert call.headers["x-tc-action"] == "SendSms" and call.headers["x-tc-version"] == "2021-01-11"
    assert call.headers["x-tc-region"] == "ap-guangzhou"
    body = json.loads(call.body)
    assert body["PhoneNumberSet"] == ["+8613800138000"] and body["SmsSdkAppId"] == "1400000001"
    assert body["SignName"] == "绿苑物业" and body["TemplateId"] == "2100008"  # visit_reminder, en
    assert body["TemplateParamSet"] == ["1042", "24 Nov 14:30"]  # {1} ticket, {2} visit_at, in that order
    assert body["SessionContext"] == "t1:visit:9"
    assert call.summary()["variables"] == ["1042", "24 Nov 14:30"]
    assert tc3_valid(call, TENCENT_KEY["secret_id"], TENCENT_KEY["secret_key"])
    assert not tc3_valid(call, TENCENT_KEY["secret_id"], "another-secret")
    assert not tc3_valid(call, TENCENT_KEY["secret_id"], TENCENT_KEY["secret_key"], service="ses")
    forged = Call(call.method, call.path, call.headers, call.body.replace(b"1042", b"1043"))
    assert not tc3_valid(forged, TENCENT_KEY["secret_id"], TENCENT_KEY["secret_key"])


def test_the_detail_counts_the_segments_of_the_rendered_text(cn, provider):
    aliyun(cn, provider)
    link = "https://propdesk.example/s/" + "a" * 64  # 91 characters
    msg = message(kind="survey_invite", link=link)
    delivery = send({"channel": "sms", "to": "+8613800138000"}, msg, idempotency_key="k")
    # 【绿苑物业】(6) 您的报事（工单(7) 1042(4) ）已处理完成，请点击链接评价我们的服务：(20) link(91)
    # " 链接28天内有效。"(10) = 138 UCS-2 units > 134: three parts of at most 67.
    assert delivery.ok and "3 segments)" in delivery.detail, delivery
    assert json.loads(dict(urllib.parse.parse_qsl(provider.calls[0].path.partition("?")[2]))["TemplateParam"]) \
        == {"ticket": "1042", "link": link}


@pytest.mark.parametrize("answer, retryable", [
    ((200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "invalid number", "RequestId": "r"}), False),
    ((200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "flow control", "RequestId": "r"}), True),
    ((500, {"Code": "InternalError", "Message": "boom", "RequestId": "r"}), True),
    ((400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature", "RequestId": "r"}), False),
])
def test_aliyun_refusals_say_why_and_whether_to_retry(cn, provider, answer, retryable):
    aliyun(cn, provider)
    provider.answer = answer
    delivery = send({"channel": "sms", "to": "+8613800138000"}, message(), idempotency_key="k")
    assert not delivery.ok and delivery.retryable is retryable, delivery
    assert answer[1]["Code"] in delivery.detail and "13800138000" not in delivery.detail
    assert len(provider.calls) == 1  # one try; the outbox does the retrying


@pytest.mark.parametrize("answer, retryable", [
    ((200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}, "RequestId": "r"}}),
     False),
    ((200, {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}, "RequestId": "r"}}),
     True),
    ((200, {"Response": {"RequestId": "r", "SendStatusSet": [{"SerialNo": "", "PhoneNumber": "+8613800138000",
                                                              "Fee": 0, "SessionContext": "", "IsoCode": "CN",
                                                              "Code": "LimitExceeded.PhoneNumberThirtySecondLimit",
                                                              "Message": "too often"}]}}), True),
    ((200, {"Response": {"RequestId": "r", "SendStatusSet": [{"SerialNo": "", "PhoneNumber": "+8613800138000",
                                                              "Fee": 0, "SessionContext": "", "IsoCode": "CN",
                                                              "Code": "FailedOperation.TemplateIncorrectOrUnapproved",
                                                              "Message": "template"}]}}), False),
])
def test_tencent_refusals_say_why_and_whether_to_retry(cn, provider, answer, retryable):
    tencent(cn, provider)
    provider.answer = answer
    delivery = send({"channel": "sms", "to": "+8613800138000"}, message(), idempotency_key="k")
    assert not delivery.ok and delivery.retryable is retryable, delivery


@pytest.mark.parametrize("use", [aliyun, tencent])
def test_a_provider_that_cannot_be_reached_is_retryable(cn, use):
    class Nowhere:
        url = f"http://127.0.0.1:{free_port()}"

    use(cn, Nowhere)
    delivery = send({"channel": "sms", "to": "+8613800138000"}, message(), idempotency_key="k")
    assert not delivery.ok and delivery.retryable, delivery


def test_a_missing_or_incomplete_secret_is_a_clear_failure_and_nothing_is_sent(cn, provider):
    aliyun(cn, provider, PROPDESK_SMS_SECRET="test/no-such-secret")
    delivery = send({"channel": "sms", "to": "+8613800138000"}, message(), idempotency_key="k")
    assert not delivery.ok and not delivery.retryable and "test/no-such-secret" in delivery.detail, delivery
    tencent(cn, provider, PROPDESK_SMS_SECRET="test/sms-aliyun")  # Alibaba's key names, not Tencent's
    delivery = send({"channel": "sms", "to": "+8613800138000"}, message(), idempotency_key="k")
    assert not delivery.ok and "lacks secret_id, secret_key" in delivery.detail, delivery
    assert ALIYUN_KEY["access_key_secret"] not in delivery.detail
    assert provider.calls == []


def test_plain_http_to_the_provider_only_on_a_local_stage(cn, provider):
    aliyun(cn, provider, PROPDESK_STAGE="prod")
    delivery = send({"channel": "sms", "to": "+8613800138000"}, message(), idempotency_key="k")
    assert not delivery.ok and "loopback" in delivery.detail and provider.calls == []


def test_a_message_without_its_template_variables_is_not_sent(cn, provider):
    from chalicelib.domain.messages import Message

    aliyun(cn, provider)
    bare = Message(subject="s", text="t", kind="sla_warning", locale="zh-CN", facts={"ticket": "1042"})
    delivery = send({"channel": "sms", "to": "+8613800138000"}, bare, idempotency_key="k")
    assert not delivery.ok and not delivery.retryable and "promise, due" in delivery.detail, delivery
    assert provider.calls == []


def test_the_global_profile_still_texts_through_sns(cn, provider, local_stack):
    aliyun(cn, provider, PROPDESK_PROFILE="global")
    delivery = send({"channel": "sms", "to": "+8613800138000"}, message(), idempotency_key="k")
    assert delivery.ok and "SNS" in delivery.detail and provider.calls == []


# --- the template mapping, checked at start ---------------------------------------------------------


@pytest.mark.parametrize("provider_name", sms_cn.PROVIDERS)
def test_the_shipped_mapping_covers_every_kind_in_every_locale(provider_name):
    mapping = sms_cn.load_templates()
    assert sms_cn.check_templates(mapping, provider_name) == []
    assert set(mapping[provider_name]) == set(sms_cn.SMS_KINDS)


def test_a_new_message_kind_without_a_template_is_named_at_start():
    mapping = sms_cn.load_templates()
    problems = sms_cn.check_templates(mapping, "tencent", kinds=sms_cn.SMS_KINDS + ("resident_received",))
    assert problems == ["missing tencent SMS template mapping for: resident_received (zh-CN), resident_received (en)"]


def test_malformed_entries_are_named():
    entry = {"code": "SMS_1", "params": ["ticket", "due"], "text": "工单${ticket}须在${due}前完成"}
    table = {kind: {"zh-CN": dict(entry), "en": dict(entry)} for kind in sms_cn.SMS_KINDS}
    table["sla_warning"]["en"] = {"code": "12345", "params": ["ticket", "phone"], "text": "Ticket ${ticket}"}
    del table["test_message"]["en"]
    problems = sms_cn.check_templates({"aliyun": table}, "aliyun")
    assert problems[0] == "missing aliyun SMS template mapping for: test_message (en)"
    text = "\n".join(problems)
    assert "sla_warning (en): code '12345' is not a aliyun template code" in text
    assert "sla_warning (en): unknown variables phone" in text
    assert "sla_warning (en): text has variables ['ticket'] but params are ['phone', 'ticket']" in text
    tencent_entry = {"code": "123", "params": ["ticket", "due"], "text": "工单{1}须在{3}前完成"}
    tencent_table = {kind: {"zh-CN": tencent_entry, "en": tencent_entry} for kind in sms_cn.SMS_KINDS}
    assert "text has placeholders [1, 3] but params name 2 variables" in \
        "\n".join(sms_cn.check_templates({"tencent": tencent_table}, "tencent"))
    assert sms_cn.check_templates({}, "twilio") == ["PROPDESK_SMS_PROVIDER must be one of aliyun, tencent, not 'twilio'"]


def test_check_configuration_stops_a_cn_start_with_every_missing_template(cn, tmp_path, provider):
    mapping = sms_cn.load_templates()
    del mapping["aliyun"]["visit_reminder"]
    del mapping["aliyun"]["survey_invite"]["en"]
    path = tmp_path / "templates.json"
    path.write_text(json.dumps(mapping, ensure_ascii=False), encoding="utf-8")
    aliyun(cn, provider, PROPDESK_SMS_TEMPLATES=str(path))
    with pytest.raises(ConfigurationError) as raised:
        check_configuration()
    assert "visit_reminder (zh-CN), visit_reminder (en), survey_invite (en)" in str(raised.value)
    # A send meanwhile fails as "not configured", without calling the provider.
    delivery = send({"channel": "sms", "to": "+8613800138000"}, message(), idempotency_key="k")
    assert not delivery.ok and not delivery.retryable and "not configured" in delivery.detail
    assert provider.calls == []
    cn(PROPDESK_SMS_TEMPLATES="")
    assert check_configuration()["sms"].startswith("aliyun")


def test_a_cn_app_will_not_start_with_a_missing_template(tmp_path):
    import subprocess
    import sys

    mapping = sms_cn.load_templates()
    del mapping["aliyun"]["sla_warning"]["zh-CN"]
    path = tmp_path / "templates.json"
    path.write_text(json.dumps(mapping, ensure_ascii=False), encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin", "PROPDESK_PROFILE": "cn", "PROPDESK_SMS_TEMPLATES": str(path),
           "AWS_DEFAULT_REGION": "cn-northwest-1", "PYTHONPATH": str(root)}
    result = subprocess.run([sys.executable, "-c", "import app"], cwd=root, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert "missing aliyun SMS template mapping for: sla_warning (zh-CN)" in result.stderr
    ok = subprocess.run([sys.executable, "-c", "import app, sys; print('http.client' in sys.modules,"
                                               " 'chalicelib.adapters.channels.sms_cn' in sys.modules)"],
                        cwd=root, env={**env, "PROPDESK_SMS_TEMPLATES": ""}, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split()[1] == "True"  # the mapping was checked at start (above: a missing one stops it)


# --- through the service, unchanged: an admin's test message under the cn profile -------------------


def test_an_admins_test_messages_reach_the_sms_provider_and_the_smtp_server(cn, provider, firm, certificate):
    import copy

    from chalicelib.domain.identity import Identity
    from chalicelib.services import channel_check
    from tests.support import body

    current = body(firm.call("GET", "/api/standards"))
    document = copy.deepcopy(current["standards"])
    document["escalation"]["level1"] = {"notify": [
        {"channel": "sms", "to": "+8613800138000", "name": "Duty phone"},
        {"channel": "email", "to": "duty@firm.example", "name": "Duty mailbox"}]}
    answer = firm.call("PUT", "/api/standards", {"standards": document}, **{"If-Match": f'"{current["version"]}"'})
    assert answer.status_code == 200, answer.body
    controller, box = start_smtp(tls="starttls", certificate=certificate, login=SMTP_LOGIN)
    try:
        aliyun(cn, provider, **smtp_env(box, "starttls", certificate))
        admin = Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin",
                         email=firm.admin_email)
        texted = channel_check.send_test(admin, "Duty phone", "zh-CN")
        mailed = channel_check.send_test(admin, "Duty mailbox", "zh-CN")
    finally:
        controller.stop()
    assert texted["ok"] and mailed["ok"], (texted, mailed)
    (call,) = provider.calls
    assert call.summary()["template"] == "SMS_490000011" and call.summary()["variables"] == {}  # test_message, zh-CN
    assert acs3_valid(call, ALIYUN_KEY["access_key_id"], ALIYUN_KEY["access_key_secret"])
    (envelope, over_tls, _), = box.received
    assert over_tls and envelope.rcpt_tos == ["duty@firm.example"]
    assert "测试消息" in parsed(envelope)["Subject"]
