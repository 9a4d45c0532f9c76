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


@pytest.fixture(scope="session")
def moto_endpoint():
    server, endpoint = local_aws.start_moto()
    yield endpoint
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
