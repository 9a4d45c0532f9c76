"""Sign-in cost under the ``accounts`` identity adapter (the cn profile): AWS calls of one
``POST /auth/signin`` and of verifying a token once the KMS public key is cached.

Runs as ``python -m bench.signin`` in a child process (its own moto in cn-northwest-1, as
``make dev --profile cn`` has it: the table and the ES256 KMS key), prints JSON. Every AWS call
is counted by wrapping botocore's ``BaseClient._make_api_call`` (as tests/api/test_accounts.py
does); a DynamoDB call is one round trip (a BatchGetItem or a TransactWriteItems included).
Issue 15's target: sign-in ≤ 2 DynamoDB round trips + 1 KMS call; a verify with the key cached
makes 0 KMS calls (and 0 calls of any kind).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from .dynamo_calls import aws_calls

ROOT = Path(__file__).resolve().parents[1]


def _measure_here() -> dict:
    from infra.local import aws as local_aws

    server, endpoint = local_aws.start_moto()
    try:
        stack = local_aws.create_resources(endpoint, table=f"propdesk-bench-signin-{uuid.uuid4().hex[:6]}",
                                           region=local_aws.CN_REGION)
        local_aws.use(stack)
        os.environ.update({"PROPDESK_STAGE": "test", "PROPDESK_PROFILE": "cn", "POWERTOOLS_METRICS_DISABLED": "true",
                           "POWERTOOLS_LOG_LEVEL": "ERROR"})
        from chalice.test import Client

        from app import app
        from chalicelib.adapters.identity import accounts
        from tests.support import PASSWORD, set_password, unique

        with Client(app) as client:
            slug = unique("bench")
            email = f"admin-{slug}@example.com"
            answer = client.http.post("/signup", headers={"Content-Type": "application/json"}, body=json.dumps({
                "name": "Bench Court", "slug": slug, "time_zone": "Asia/Shanghai", "locale": "zh-CN",
                "admin_email": email, "admin_name": "Bench", "template": "prc-residential"}))
            assert answer.status_code == 201, answer.body
            set_password(email, PASSWORD)
            body = json.dumps({"email": email, "password": PASSWORD})
            with aws_calls() as signin_calls:
                signed_in = client.http.post("/auth/signin", headers={"Content-Type": "application/json"}, body=body)
            assert signed_in.status_code == 200, signed_in.body
            token = json.loads(signed_in.body)["tokens"]["IdToken"]
            with aws_calls() as first_verify:
                accounts.verify_token(token)  # this process's first: reads the public key once
            with aws_calls() as cached_verify:
                for _ in range(10):
                    accounts.verify_token(token)
    finally:
        server.stop()
    dynamodb = [op for service, op in signin_calls if service == "dynamodb"]
    kms = [op for service, op in signin_calls if service == "kms"]
    ok = len(dynamodb) <= 2 and len(kms) <= 1 and not [c for c in cached_verify if c[0] == "kms"]
    return {
        "signin_round_trips_cn": len(dynamodb),
        "signin_kms_calls_cn": len(kms),
        "verify_kms_calls_cached_cn": len([c for c in cached_verify if c[0] == "kms"]),
        "signin_cn": {"dynamodb_operations": dynamodb, "kms_operations": kms,
                      "first_verify_calls": [op for _, op in first_verify],
                      "cached_verify_calls_in_10": [op for _, op in cached_verify],
                      "target": "sign-in ≤ 2 DynamoDB round trips + 1 KMS call; a verify with the key cached: 0 KMS calls",
                      "ok": ok},
    }


def measure() -> dict:
    """In a child process (its own moto and environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROPDESK_", "COGNITO_", "POWERTOOLS_"))}
    done = subprocess.run([sys.executable, "-m", "bench.signin"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"bench.signin failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    result = _measure_here()
    print(json.dumps(result))
