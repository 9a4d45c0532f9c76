"""``python -m infra.local --profile cn`` end to end: the China profile's messaging for real.

The stack runs in cn-northwest-1 with the SMS and SMTP credentials in (moto's) Secrets
Manager; e-mail goes by SMTP to the local aiosmtpd server and SMS through the Alibaba Cloud
SMS SDK to the local stand-in, both printed in the banner with where to read what arrived.
Staff sign in through PropDesk's own accounts (no Cognito): ID tokens signed ES256 by a KMS key
in moto's cn-northwest-1, checked here with that key's public half read from KMS directly.

Residents' "report received" messages are not on this branch yet, so the resident's mail
checked here is the survey invitation of the demo's resolved report with an e-mail contact
(the demo asks two minutes after a resolve; the first minute sweep sends it).
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests.local.test_local_stack import start

pytestmark = pytest.mark.slow

ADMIN = {"email": "admin@demo.propdesk.local", "password": "Demo-pass-2026"}


@pytest.fixture(scope="module")
def stack():
    runner = start("--profile", "cn")
    yield runner
    if runner.process.poll() is None:
        runner.process.terminate()
        try:
            runner.process.wait(10)
        except Exception:  # noqa: BLE001 - stop it whatever happens
            runner.process.kill()
            runner.process.wait(5)


def address(stack, label: str) -> str:
    return stack.value(label).split()[0]


def received(url: str) -> list:
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def console_session(stack) -> tuple[str, str]:
    """(cookie header, CSRF token) of the demo admin signed in to the console over HTTP."""
    first = requests.get(f"{stack.api}/console/signin", timeout=10, headers={"Accept-Language": "en"})
    pre = first.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(r'name="csrf" value="([^"]+)"', first.text).group(1)
    signed_in = requests.post(f"{stack.api}/console/signin", allow_redirects=False, timeout=10,
                              headers={"Cookie": pre, "Origin": stack.api}, data={"csrf": csrf, **ADMIN})
    assert signed_in.status_code == 303, signed_in.text
    cookies = "; ".join(c.split(";")[0] for c in signed_in.raw.headers.getlist("Set-Cookie") if "Max-Age=0" not in c)
    account = requests.get(f"{stack.api}/console/account", timeout=10, headers={"Cookie": cookies})
    return cookies, re.search(r'name="csrf" value="([^"]+)"', account.text).group(1)


def test_the_banner_says_where_mail_and_texts_arrive_and_that_staff_sign_in_through_accounts(stack):
    out = stack.output
    assert "Profile           cn:" in out and "cn-northwest-1" in out
    assert "NOT YET" not in out and "own accounts" in out and "user pool" not in out
    assert "token key arn:aws-cn:kms:cn-northwest-1:" in stack.value("AWS (moto)")
    smtp = address(stack, "Mail (SMTP)")
    assert re.fullmatch(r"127\.0\.0\.1:\d+", smtp)
    assert "arn:aws-cn:secretsmanager:cn-northwest-1:" in stack.value("Mail (SMTP)")
    assert "arn:aws-cn:secretsmanager:cn-northwest-1:" in stack.value("SMS (Alibaba)")
    assert isinstance(received(address(stack, "Mailbox")), list)
    assert isinstance(received(address(stack, "SMS received")), list)
    assert "moto's SES" not in out  # no SES in the China profile
    import smtplib
    host, port = smtp.split(":")
    with smtplib.SMTP(host, int(port), timeout=5) as server:  # a real SMTP server answers there
        code, _ = server.ehlo()
        assert code == 250


def token_key(stack):
    """The KMS key's public half, read from moto's KMS as anyone with the ARN could."""
    import boto3
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    arn = stack.value("AWS (moto)").split("token key ")[1].rstrip(")")
    kms = boto3.client("kms", region_name="cn-northwest-1", endpoint_url=address(stack, "AWS (moto)"),
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert meta["KeySpec"] == "ECC_NIST_P256" and meta["KeyUsage"] == "SIGN_VERIFY"
    return load_der_public_key(kms.get_public_key(KeyId=arn)["PublicKey"])


def test_staff_sign_in_through_accounts_with_tokens_the_kms_key_signed(stack):
    import jwt
    answer = requests.post(f"{stack.api}/auth/signin", json=ADMIN, timeout=10)
    assert answer.status_code == 200, answer.text
    token = answer.json()["tokens"]["IdToken"]
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    claims = jwt.decode(token, token_key(stack), algorithms=["ES256"], audience="propdesk")
    assert claims["iss"] == "propdesk-accounts" and claims["custom:role"] == "admin"
    assert requests.get(f"{stack.api}/api/tickets", timeout=10,
                        headers={"Authorization": f"Bearer {token}"}).status_code == 200
    wrong = requests.post(f"{stack.api}/auth/signin", json={**ADMIN, "password": "Not-the-pass-1"}, timeout=10)
    assert wrong.status_code == 401
    cookies, _ = console_session(stack)  # the console signs in through the same accounts
    queue = requests.get(f"{stack.api}/console/queue", timeout=10, headers={"Cookie": cookies}, allow_redirects=False)
    assert queue.status_code == 200


def test_a_new_firm_signs_up_and_its_admin_gets_a_code_in_the_local_mailbox(stack):
    import uuid
    first = requests.get(f"{stack.api}/console/signup", timeout=10, headers={"Accept-Language": "en"})
    pre = first.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(r'name="csrf" value="([^"]+)"', first.text).group(1)
    slug = f"cn-{uuid.uuid4().hex[:8]}"
    email = f"founder@{slug}.example.com"
    done = requests.post(f"{stack.api}/console/signup", timeout=20, headers={"Cookie": pre, "Origin": stack.api},
                         data={"csrf": csrf, "name": "Plum Court", "slug": slug, "time_zone": "Asia/Shanghai",
                               "locale": "zh-CN", "admin_email": email, "admin_name": "Li",
                               "template": "prc-residential"})
    assert done.status_code == 201, done.text[:500]
    mails = [m for m in received(address(stack, "Mailbox")) if m["to"] == [email]]
    assert len(mails) == 1 and "一次性登录码" in mails[0]["text"], mails
    code = re.search(r"\b(\d{8})\b", mails[0]["text"]).group(1)
    challenged = requests.post(f"{stack.api}/auth/signin", json={"email": email, "password": code}, timeout=10)
    assert challenged.status_code == 200 and challenged.json()["challenge"] == "NEW_PASSWORD_REQUIRED"
    assert code not in stack.output and email not in stack.output  # neither printed nor logged


def test_the_consoles_send_test_arrives_in_the_local_smtp_server_and_at_the_sms_stand_in(stack):
    cookies, csrf = console_session(stack)
    for name in ("Ops mailbox", "Duty phone"):
        sent = requests.post(f"{stack.api}/console/channels/test", allow_redirects=False, timeout=20,
                             headers={"Cookie": cookies, "Origin": stack.api}, data={"csrf": csrf, "channel": name})
        assert sent.status_code == 303 and "result=sent" in sent.headers["Location"], (name, sent.headers)
    mails = [m for m in received(address(stack, "Mailbox")) if m["to"] == ["ops@demo.propdesk.local"]]
    assert any("测试消息" in m["subject"] and m["authenticated"] for m in mails), mails
    texts = received(address(stack, "SMS received"))
    assert any(t["to"] == "13800138000" and t["template"] == "SMS_490000011" for t in texts), texts  # test_message


def test_a_residents_report_with_an_email_contact_ends_in_a_mail_in_the_local_smtp_server(stack):
    """The demo's resolved report from 赵敏 (e-mail contact): its survey invitation goes out on
    the first minute sweep, through the SMTP adapter, with the link to the survey."""
    mailbox = address(stack, "Mailbox")
    deadline = time.monotonic() + 75  # the next minute boundary, plus delivery
    survey_link = re.compile(rf"{re.escape(stack.api)}/s/[A-Za-z0-9_\-]{{64}}")
    invitations: list = []
    while time.monotonic() < deadline and not invitations:  # (her messages about each step come too)
        invitations = [m for m in received(mailbox) if m["to"] == ["zhao.min@example.com"]
                       and survey_link.search(m["text"])]
        if not invitations:
            time.sleep(1)
    assert len(invitations) == 1, stack.output[-3000:]
    link = survey_link.search(invitations[0]["text"])
    assert link and "请评价" in invitations[0]["subject"]
    assert requests.get(link.group(0), timeout=10, headers={"Accept": "text/html"}).status_code == 200
    assert "mail (SMTP) <- " in stack.output and "zhao.min@example.com" not in stack.output  # no addresses printed
