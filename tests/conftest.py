"""Shared fixtures: one moto server per test session as the embedded AWS.

Tests stay independent by data, not by restarting AWS: each firm a test creates has
its own tenant id and slug, which is exactly the isolation the product relies on.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # chalice.test.Client reads .chalice/config.json from the working directory
# Read at import by the store models; the dynamic parts (endpoint, pool) are read lazily.
os.environ["PROPDESK_TABLE"] = "propdesk-test"
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["PROPDESK_STAGE"] = "test"
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "PropDeskTest"
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
# Tests report many tickets from one address; tests/api/test_rate_limits.py sets its own limits.
os.environ["PROPDESK_REPORTS_PER_IP"] = "1000"

from infra.local import aws as local_aws  # noqa: E402


# The files that take longest start first, so the two workers of `make test` finish together
# (pytest -n 2 --dist loadfile --no-loadscope-reorder hands out whole files in this order;
# xdist's own order, most tests first, left the one-test files of two minutes for the end).
# Seconds measured on this 2-core machine; the rest keep their collection order.
SLOW_FILES = (
    "tests/api/test_schemathesis.py",          # 150: a fixed count of requests
    "tests/local/test_newcomer.py",            # 115: a fresh clone's `make dev` installs everything
    "tests/api/test_scorecard.py",             # 100
    "tests/infra/test_stack.py",               # 100: cfn-lint and checkov on every profile
    "tests/api/test_incidents.py",             # 95
    "tests/api/test_tickets.py",               # 75
    "tests/api/test_hostile_input.py",         # 60
    "tests/pages/test_scorecard_page.py",      # 50
    "tests/api/test_escalation.py",            # 35
    "tests/pages/test_survey_pages.py",        # 30
    "tests/pages/test_resident_messages_page.py",
    "tests/api/test_inspections.py",
    "tests/local/test_local_stack_cn.py",
    "tests/local/test_local_stack.py",
    "tests/api/test_scores.py",
    "tests/api/test_tsm.py",
)


def pytest_collection_modifyitems(session, config, items):
    rank = {path: i for i, path in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable within a file


@pytest.fixture(scope="session")
def moto_endpoint():
    server, endpoint = local_aws.start_moto()
    undo = (lambda: None) if os.environ.get("PROPDESK_MOTO_AS_IS") else local_aws.cheap_transaction_backups()
    yield endpoint
    undo()
    server.stop()


@pytest.fixture(scope="module")
def local_stack(moto_endpoint):
    """A clean AWS for each test module: moto is reset and the table and user pool made anew.
    (moto answers an index query by looking at every item, so a table that grew through the
    whole session would make later tests slow for no reason of ours.)"""
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=60)
    stack = local_aws.create_resources(moto_endpoint, table="propdesk-test")
    local_aws.use(stack)
    from chalicelib.settings import settings
    settings.cache_clear()
    yield stack


@pytest.fixture(scope="session")
def app():
    from app import app as chalice_app
    return chalice_app


@pytest.fixture(scope="module")
def client(app, local_stack):
    from chalice.test import Client

    from infra.local.gateway import PropDeskLocalGateway

    with Client(app, stage_name="test", project_dir=str(ROOT)) as c:
        c.http._local_gateway = PropDeskLocalGateway(app, c.http._config)
        yield c


@pytest.fixture
def firm(client):
    """A freshly signed-up firm with an admin signed in (see support.Firm)."""
    from tests.support import Firm
    return Firm.sign_up(client)


@pytest.fixture
def other_firm(client):
    from tests.support import Firm
    return Firm.sign_up(client)


# --- messaging under both deployment profiles ------------------------------------------------
# A test that asks for ``messaging_profile`` runs twice: under ``global`` (SES and SNS, i.e.
# moto's) and under ``cn`` (the smtp adapter to a real aiosmtpd server with a login read from
# Secrets Manager, the Alibaba Cloud SMS SDK to infra/local/sms_sink.py). Only the tests that
# deliver ask for it; everything else runs once, under ``global``.

@pytest.fixture(scope="session")
def cn_outlets():
    """The session's local SMTP server (AUTH required) and Alibaba/Tencent SMS stand-in."""
    from infra.local.mailbox import start_mailbox
    from infra.local.sms_sink import start_sms_sink

    box = start_mailbox(http_port=None, login=local_aws.LOCAL_SMTP_LOGIN)
    sms = start_sms_sink()
    yield box, sms
    box.stop()
    sms.stop()


class Outlets:
    """What reached the recipients since the test began, the same shape under both profiles:
    ``mails()`` → [{to, subject, text}], ``texts()`` → [{to (E.164), text | template + variables}]."""

    def __init__(self, profile: str, cn_outlets=None) -> None:
        self.profile = profile
        self._box, self._sms = cn_outlets or (None, None)
        self._start = self._counts()

    def _counts(self) -> tuple[int, int]:
        if self.profile == "cn":
            return len(self._box.mails()), len(self._sms.calls)
        ses, sns = self._moto()
        return len(ses.sent_messages), len(sns.sms_messages)

    @staticmethod
    def _moto():
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        region = os.environ.get("AWS_REGION") or os.environ["AWS_DEFAULT_REGION"]
        return ses_backends[DEFAULT_ACCOUNT_ID][region], sns_backends[DEFAULT_ACCOUNT_ID][region]

    def mails(self) -> list[dict]:
        if self.profile == "cn":
            return [{"to": list(m.recipients), "subject": m.subject, "text": m.text, "authenticated": m.authenticated}
                    for m in self._box.mails()[self._start[0]:]]
        ses, _ = self._moto()
        return [{"to": m.destinations["ToAddresses"], "subject": m.subject, "text": m.body}
                for m in ses.sent_messages[self._start[0]:]]

    def texts(self) -> list[dict]:
        if self.profile == "cn":
            found = []
            for call in list(self._sms.calls)[self._start[1]:]:
                summary = call.summary()
                number = summary["to"][0] if isinstance(summary["to"], list) else summary["to"]  # Tencent: a list
                found.append({"to": number if number.startswith("+") else f"+86{number}",  # Alibaba: 11 digits
                              "template": summary["template"], "variables": summary["variables"] or {}})
            return found
        _, sns = self._moto()
        return [{"to": number, "text": text} for number, text in list(sns.sms_messages.values())[self._start[1]:]]


@pytest.fixture(params=["global", "cn"])
def messaging_profile(request, local_stack, monkeypatch):
    """Run the test under each deployment profile's e-mail and SMS; yields :class:`Outlets`.
    Under ``cn`` the settings and the channels' cached clients, secrets and template mapping
    are cleared before and after, so the next test is back under ``global``."""
    from chalicelib.adapters import channels
    from chalicelib.settings import settings

    outlets = None
    if request.param == "cn":
        box, sms = outlets = request.getfixturevalue("cn_outlets")
        arns = local_aws.create_provider_secrets(local_stack, names=("test/cn-sms", "test/cn-smtp"))
        for name, value in {
                "PROPDESK_PROFILE": "cn", "PROPDESK_SMTP_HOST": "127.0.0.1", "PROPDESK_SMTP_PORT": str(box.smtp_port),
                "PROPDESK_SMTP_TLS": "none", "PROPDESK_SMTP_SECRET_ARN": arns["smtp"],
                "PROPDESK_SMS_PROVIDER": "aliyun", "PROPDESK_SMS_SECRET_ARN": arns["sms"],
                "PROPDESK_SMS_ENDPOINT": sms.url, "PROPDESK_SMS_SIGN_NAME": "PropDesk",
                # A module whose firms signed up through Cognito keeps it (cn would default to our own
                # accounts); modules that choose an adapter (tests/api/identity_adapters.py) keep theirs.
                "PROPDESK_IDENTITY": os.environ.get("PROPDESK_IDENTITY") or "cognito"}.items():
            monkeypatch.setenv(name, value)
    settings.cache_clear()
    channels.reset_clients()
    yield Outlets(request.param, outlets)
    monkeypatch.undo()
    settings.cache_clear()
    channels.reset_clients()
