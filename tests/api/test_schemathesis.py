"""Schemathesis against ``/openapi.json``: every check it has, its coverage, fuzzing and stateful
phases (the stateful phase follows the ticket lifecycle's OpenAPI links: create → read → act
or re-classify with the ETag as If-Match), against the real local server (infra/local/serve.py
over moto), with a staff admin's Bearer token. Time-boxed; the run must make at least 2,000
requests and get no server error.

Config (tests/api/schemathesis.toml) says where our API deliberately differs from the checks'
defaults, each with its reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import Firm, body

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_SECONDS = int(os.environ.get("PROPDESK_SCHEMATHESIS_SECONDS", "150"))
MIN_REQUESTS = 2000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(app, client):
    from infra.local.serve import served_in_thread
    with served_in_thread(app, client.http._config) as url:
        yield url


@pytest.fixture(scope="module")
def firm(client):
    firm = Firm.sign_up(client)
    staff_sub, _ = firm.add_staff()
    firm.new_ticket()
    tracking = body(firm.submit())["ticket"]["tracking_token"]
    campaign = body(firm.call("POST", "/api/campaigns", {"name": "Survey", "property_ids": [firm.property_id],
                                                        "opens_on": "2026-12-01", "closes_on": "2026-12-31"}))["id"]
    firm.pinned = {"slug": firm.slug, "token": tracking, "property_id": firm.property_id,
                   "building_id": firm.building_id, "campaign_id": campaign, "staff_id": staff_sub,
                   "period": "M2026-11"}
    return firm


# Operations with a 500 another area is fixing: left out of the main run, and run on their own
# below as xfail(strict=False) naming the input, so they are guarded again once fixed.
KNOWN: dict[str, str] = {}  # all fixed: POST /auth/new-password maps the provider's errors (adapters/identity)


def schemathesis(served: str, firm, tmp_path: Path, seconds: int, *options: str, seed: int = 20261204) -> dict:
    """Run the schemathesis CLI against the served API; the run's report, HAR and output."""
    tmp_path = tmp_path / str(seed)
    tmp_path.mkdir(exist_ok=True)
    config = tmp_path / "schemathesis.toml"
    pinned = "\n".join(f'"path.{name}" = "{value}"' for name, value in firm.pinned.items())
    config.write_text(CONFIG.read_text(encoding="utf-8") + f"\n[parameters]\n{pinned}\n", encoding="utf-8")
    report, har = tmp_path / "report.json", tmp_path / "run.har"
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
               f"{served}/openapi.json", "--checks", "all", "--exclude-checks", "unsupported_method",
               "--phases", "examples,coverage,fuzzing,stateful",
               "--max-time", str(seconds), "--workers", "2", "--seed", str(seed), "--continue-on-failure",
               "-H", f"Authorization: Bearer {firm.admin_token}", "--request-timeout", "30",
               "--report", "json,har", "--report-json-path", str(report), "--report-har-path", str(har),
               "--no-color", "--output-truncate", "true", *options]
    run = subprocess.run(command, capture_output=True, text=True, timeout=seconds * 3 + 180, cwd=tmp_path)  # its cache too
    output = run.stdout + run.stderr
    (tmp_path / "output.txt").write_text(output, encoding="utf-8")
    assert report.exists() and har.exists(), output[-4000:]
    entries = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    result = json.loads(report.read_text(encoding="utf-8"))
    return {"requests": len(entries),
            "server_errors": sorted({f"{e['response']['status']} {e['request']['method']} {e['request']['url']}"
                                     for e in entries if e["response"]["status"] >= 500}),
            "failures": [f"{f['code']} {f['title']}: {', '.join(f['operations'])}" for f in result["failures"]],
            "errors": result["errors"], "phases": result["phases"], "output": output}


# Findings of checks other than "no server error" that are known and not yet fixed, by check
# code: each still shows in the run's output; a finding of any other kind fails the test.
ACCEPTED = {
    "ST201": "Schema-violating request accepted: some GET routes ignore query values they do not use "
             "(e.g. ?value=000… on /api/exports/tickets.csv, longer than the documented maxLength) instead of "
             "refusing them with 422 (the query Shapes are checked in services/, not at the edge)",
}

# Findings accepted only on some operations, by check code and path prefix: every operation the
# finding names must start with it, so the same finding on any other route still fails.
ACCEPTED_ON = {
    "ST203": ("/ops/", "an operator route without its Authorization (SigV4) header answers 403, as API Gateway "
                       "answers an unsigned request to an IAM route; the tool expects 401 of any missing "
                       "Authorization header. Firms' routes still must answer 401 (test_authentication)"),
}


def accepted(failure: str) -> bool:
    code, _, rest = failure.partition(" ")
    if code in ACCEPTED:
        return True
    if code not in ACCEPTED_ON:
        return False
    operations = rest.split(": ", 1)[1].split(", ")
    return all(operation.split(" ", 1)[1].startswith(ACCEPTED_ON[code][0]) for operation in operations)


# CPython 3.11.7 (this machine's) can raise "SystemError: AST constructor recursion depth
# mismatch" when two threads compile at once (python/cpython#106905, fixed in later 3.11
# releases); hypothesis hits it describing a strategy in schemathesis's worker threads. It is
# an error of the interpreter running the tool, not an answer of our API: only it is let pass.
INTERPRETER_BUG = "AST constructor recursion depth mismatch"


def tool_errors(run: dict) -> list:
    """The run's own errors (not findings), less those the interpreter bug above explains."""
    errors = list(run["errors"])
    explained = run["output"].count(INTERPRETER_BUG)
    if explained and all(e.get("title") == "Runtime Error" for e in errors) \
            and sum(e.get("count", 1) for e in errors) <= explained:
        return []
    return errors


def test_schemathesis_finds_no_server_error_in_2000_requests(served, firm, tmp_path):
    excluded = [option for operation_id in KNOWN for option in ("--exclude-operation-id", operation_id)]
    run = schemathesis(served, firm, tmp_path, MAX_SECONDS, *excluded)
    if run["requests"] < MIN_REQUESTS:  # a busy machine: one more, shorter run with another seed
        more = schemathesis(served, firm, tmp_path, MAX_SECONDS // 2, *excluded, seed=20261205)
        run = {"requests": run["requests"] + more["requests"],
               "server_errors": run["server_errors"] + more["server_errors"],
               "failures": sorted(set(run["failures"]) | set(more["failures"])),
               "errors": run["errors"] + more["errors"], "phases": [run["phases"], more["phases"]],
               "output": run["output"] + more["output"]}
    print(run["output"][-8000:])
    assert tool_errors(run) == [], run["output"][-6000:]
    assert run["server_errors"] == [], run["server_errors"][:20]
    assert run["requests"] >= MIN_REQUESTS, (run["requests"], run["phases"], run["failures"])
    unexpected = [failure for failure in run["failures"] if not accepted(failure)]
    assert unexpected == [], unexpected
