"""The residents' form page, measured in a real Chromium: total transfer and scripts needed.

``measure()`` runs the measurement in a fresh Python process (``python -m bench.pages``):
it sets its own table name and moto before the store models are imported, so it never
collides with the other benchmarks' stacks in the calling process. The child starts moto,
signs up a firm from the PRC template with a register, serves the app over HTTP the way
``infra/local/serve.py`` does, opens ``/r/{slug}`` in Debian's /usr/bin/chromium (375 px wide,
zh-CN) and sums the response body sizes of every request the page makes (HTML, CSS,
scripts, fonts, images). Then, with JavaScript disabled, it fills and sends the form and
checks it lands on the tracking page: ``form_scripts_required`` is the number of scripts
the page loads (0) and the submission works without any.

    python -m bench.pages            # prints the JSON
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PROPDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TARGET_KB = 30


def measure(timeout: float = 180) -> dict[str, Any]:
    """{"form_transfer_kb", "form_scripts_required", ...}: run in a child process."""
    return run_child("bench.pages", timeout)


def run_child(module: str, timeout: float) -> dict[str, Any]:
    """Run ``python -m <module> --child`` without this process's stack settings and return
    the JSON it prints last (bench/console.py measures the same way)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROPDESK_", "COGNITO_", "AWS_ENDPOINT"))}
    done = subprocess.run([sys.executable, "-m", module, "--child"], cwd=str(ROOT), env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def in_own_stack(table_prefix: str, measure_fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """In the child: its own table name and moto, set before the store models are imported."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["PROPDESK_TABLE"] = f"{table_prefix}-{uuid.uuid4().hex[:6]}"
    os.environ["PROPDESK_STAGE"] = "test"
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    os.environ["PROPDESK_REPORTS_PER_IP"] = "100000"  # set-ups report many tickets from one address
    sys.path.insert(0, str(ROOT))
    from infra.local import aws as local_aws

    server, endpoint = local_aws.start_moto()
    try:
        stack = local_aws.create_resources(endpoint, table=os.environ["PROPDESK_TABLE"])
        local_aws.use(stack)
        from chalicelib.settings import settings
        settings.cache_clear()
        return measure_fn()
    finally:
        server.stop()


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app over real HTTP on a free port (as infra/local/serve.py serves it): its base URL."""
    from chalice.config import Config

    from infra.local.serve import served_in_thread

    config = Config.create(chalice_stage="test", app_name="propdesk", project_dir=str(ROOT), chalice_app=app,
                           config_from_disk=json.loads((ROOT / ".chalice" / "config.json").read_text()))
    with served_in_thread(app, config) as url:
        yield url


def _measure() -> dict[str, Any]:
    from chalice.test import Client
    from playwright.sync_api import sync_playwright

    from app import app
    from infra.local.gateway import PropDeskLocalGateway
    from tests.support import Firm

    with Client(app, stage_name="test", project_dir=str(ROOT)) as client:
        client.http._local_gateway = PropDeskLocalGateway(app, client.http._config)
        firm = Firm.sign_up(client, locale="zh-CN")
    with served(app) as base:
        url = f"{base}/r/{firm.slug}"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
            try:
                # 1. what a phone downloads to show the form (script on, as a normal browser)
                context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
                page = context.new_page()
                responses: list[tuple[str, str, int]] = []
                page.on("response", lambda r: responses.append((r.request.resource_type, r.url, len(r.body()))))
                page.goto(url, wait_until="networkidle", timeout=30_000)
                scripts = page.locator("script").count()
                context.close()
                # 2. the form sends with JavaScript off
                context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False)
                page = context.new_page()
                page.set_default_timeout(10_000)
                page.goto(url)
                page.select_option("#unit", "1203")
                page.check("#category-repairs")
                page.check("#urgency-normal")
                page.fill("#description", "厨房水龙头整夜滴水。")
                page.click("#send")
                page.wait_for_url("**/t/*", timeout=10_000)
                submits_without_script = page.locator("#number").count() == 1
                context.close()
            finally:
                browser.close()
    total = sum(size for _, _, size in responses)
    by_type: dict[str, int] = {}
    for kind, _, size in responses:
        by_type[kind] = by_type.get(kind, 0) + size
    kb = round(total / 1024, 1)
    return {"form_transfer_kb": kb, "form_scripts_required": scripts if submits_without_script else None,
            "form_transfer_bytes": total, "form_requests": len(responses), "form_transfer_by_type": by_type,
            "form_submits_without_script": submits_without_script,
            "form_transfer_target_kb": TARGET_KB, "form_transfer_ok": kb <= TARGET_KB,
            "note": "sum of response body sizes (uncompressed) of every request the form page makes, "
                    "Chromium 375 px, zh-CN, PRC template with a 1-building register"}


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(in_own_stack("propdesk-bench-pages", _measure)))
    else:
        print(json.dumps(measure(), indent=2, ensure_ascii=False))
