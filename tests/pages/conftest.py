"""Residents' pages in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright's sync API) against the Chalice app served over real HTTP on a free port,
the way ``infra/local/serve.py`` serves it, on this session's moto."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PROPDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "test-output" / "pages"
WAIT_MS = 10_000  # every wait is bounded


@pytest.fixture(scope="module")
def base_url(app, client):
    """The app over HTTP (chalice local's server with our gateway) in a thread."""
    from chalice.config import Config

    from infra.local.serve import served_in_thread

    config = Config.create(chalice_stage="test", app_name="propdesk", project_dir=str(ROOT), chalice_app=app,
                           config_from_disk=json.loads((ROOT / ".chalice" / "config.json").read_text()))
    with served_in_thread(app, config) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    """A 375 px wide phone, JavaScript off, Chinese first (as most residents arrive)."""
    context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False,
                                  locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def zh_firm(client):
    from tests.support import Firm
    return Firm.sign_up(client, locale="zh-CN")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
