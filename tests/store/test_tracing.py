"""Traces (X-Ray through Powertools' Tracer): lazy at import, and what a traced Lambda sends.

Each case runs in a fresh process: the X-Ray SDK decides at import whether it is in Lambda
(``LAMBDA_TASK_ROOT``), and the point of the first case is what ``import app`` imports. The
second plays a traced Lambda invocation (the trace header Lambda sets, a UDP socket standing
in for the X-Ray daemon) against a moto server, and reads the subsegments that were sent.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+447700900123"

LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "propdesk-dev",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_SERVICE_NAME": "propdesk",
}


def run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "_X_AMZN", "LAMBDA_", "POWERTOOLS_"))}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True,
                          text=True, timeout=120)


def test_import_app_does_not_load_the_xray_sdk_even_in_lambda() -> None:
    proc = run("import sys, app\n"
               "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_xray_sdk', 'wrapt')))",
               {**LAMBDA_ENV, "LAMBDA_TASK_ROOT": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_outside_lambda_nothing_is_traced_and_nothing_is_imported() -> None:
    proc = run("import sys\n"
               "from chalicelib.observability import subsegment, tracer\n"
               "with subsegment('work', route='GET /x'):\n"
               "    pass\n"
               "print(tracer() is None, 'aws_xray_sdk' in sys.modules)",
               {"AWS_DEFAULT_REGION": "us-east-1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "False"]


TRACED_REQUEST = f"""
import json, sys
from moto.server import ThreadedMotoServer
from infra.local.aws import free_port
port = free_port()
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
import os
os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{{port}}"
import boto3
from chalicelib.adapters.channels import send
from chalicelib.domain.messages import render
from chalicelib.observability import request_scope
from datetime import datetime, timezone
message = render("sla_breach_level1", "en", {{"ticket": "1042", "category": "Repairs", "unit": "3-2-501",
                 "promise": "first_response", "due": datetime(2025, 11, 24, 6, 30, tzinfo=timezone.utc),
                 "time_zone": "Asia/Shanghai", "firm": "Green Court"}})
with request_scope(request_id="req-7f3a", tenant_id="t-green", route="POST /api/tickets"):
    boto3.client("dynamodb").list_tables()
    delivery = send({{"channel": "sms", "to": "{PHONE}"}}, message, idempotency_key="k-1")
print(json.dumps({{"ok": delivery.ok, "text": message.text}}))
server.stop()
"""


def test_a_traced_request_sends_dynamodb_and_channel_subsegments_without_personal_data(tmp_path: Path) -> None:
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(5)
    try:
        proc = run(TRACED_REQUEST, {
            **LAMBDA_ENV,
            "LAMBDA_TASK_ROOT": str(tmp_path),
            # what Lambda sets for a sampled invocation of an actively traced function
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
        })
        assert proc.returncode == 0, proc.stderr[-3000:]
        outcome = json.loads(proc.stdout.strip().splitlines()[-1])
        assert outcome["ok"]
        sent = []
        while True:
            try:
                sent.append(daemon.recv(65536).decode().split("\n", 1)[1])  # header line, then the JSON
            except socket.timeout:
                break
    finally:
        daemon.close()
    documents = [json.loads(d) for d in sent]

    def names(doc: dict) -> list[str]:
        return [doc["name"], *(n for child in doc.get("subsegments", []) for n in names(child))]

    found = [n for doc in documents for n in names(doc)]
    assert {"request", "dynamodb", "channel sms", "sns"} <= set(found), found
    (dynamodb,) = [d for d in documents if d["name"] == "dynamodb"]
    assert dynamodb["aws"]["operation"] == "ListTables" and dynamodb["namespace"] == "aws"
    (request,) = [d for d in documents if d["name"] == "request"]
    assert request["annotations"] == {"route": "POST /api/tickets", "tenant_id": "t-green", "request_id": "req-7f3a"}
    everything = "\n".join(sent)
    assert PHONE not in everything and PHONE[1:] not in everything
    assert outcome["text"] not in everything and "Green Court" not in everything
