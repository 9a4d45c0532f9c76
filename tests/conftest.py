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

from infra.local import aws as local_aws  # noqa: E402


@pytest.fixture(scope="session")
def local_stack():
    server, endpoint = local_aws.start_moto()
    stack = local_aws.create_resources(endpoint, table="propdesk-test")
    local_aws.use(stack)
    from chalicelib.settings import settings
    settings.cache_clear()
    yield stack
    server.stop()


@pytest.fixture(scope="session")
def app(local_stack):
    from app import app as chalice_app
    return chalice_app


@pytest.fixture(scope="session")
def client(app):
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
