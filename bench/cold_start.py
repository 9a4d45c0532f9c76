"""Cold start: import time in fresh Python processes.

Each sample is one new ``python -c`` process, started from the repository root, that times
its own imports with ``time.perf_counter()`` (the interpreter's own start-up is excluded
from ``*_ms``; the parent's wall time for the whole process is kept as ``process_ms``).
Samples of the different subjects are interleaved so drift hits them alike; one unrecorded
round first warms the bytecode cache. The child gets dummy credentials and a region but no
AWS endpoint: importing the app must not need AWS, and a guard run proves it opens no socket.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# label → (statement timed in the child, what it means)
SUBJECTS: dict[str, tuple[str, str]] = {
    "boto3": ("import boto3", "import boto3 (the yardstick)"),
    "app": ("import app", "import app (the Lambda handler module: Chalice app and routes; services and the store load on first use)"),
    "app_first_request_modules": (
        "import app, chalicelib.adapters.identity.jws; from cryptography.hazmat.primitives.asymmetric import "
        "padding, rsa; import chalicelib.store.models",
        "import app + what the first authorized request imports on top (the identity adapters' jws: "
        "cryptography's RSA; no PyJWT since issue 15); see first_request_* for the verify itself"),
    "app_first_request_ready": (
        "import app, chalicelib.adapters.identity.jws; from cryptography.hazmat.primitives.asymmetric import "
        "padding, rsa; from chalicelib.store.items import connection; connection().client",
        "the line above + PynamoDB's botocore session and DynamoDB client built (no call made)"),
}

CHILD = ("import time\nt = time.perf_counter()\n{statement}\n"
         "print(repr(time.perf_counter() - t))\n")

NETWORK_GUARD = """
import socket
def _refuse(*args, **kwargs):
    raise RuntimeError("network touched during import")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
import app, sys
heavy = [m for m in ("boto3", "botocore", "pynamodb", "jwt", "cryptography", "aws_lambda_powertools", "yaml")
         if m in sys.modules]
print(",".join(heavy))
"""


def child_env() -> dict[str, str]:
    """The environment of a fresh Lambda-like process: region and credentials, no endpoint."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "PROPDESK_", "COGNITO_", "POWERTOOLS_", "MOTO_"))
           and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME")}
    env.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                "AWS_EC2_METADATA_DISABLED": "true", "PROPDESK_TABLE": "propdesk-bench"})
    return env


def _run(code: str, env: dict[str, str]) -> tuple[str, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"child failed ({code!r}):\n{done.stderr[-2000:]}")
    return done.stdout.strip(), wall


def measure(runs: int = 9) -> dict:
    env = child_env()
    try:
        guard_out, _ = _run(NETWORK_GUARD, env)
        guard_ok, guard_error = True, None
    except RuntimeError as error:  # importing app opened a socket (or failed outright)
        guard_out, guard_ok, guard_error = "", False, str(error)[-500:]
    samples: dict[str, list[float]] = {label: [] for label in SUBJECTS}
    walls: dict[str, list[float]] = {label: [] for label in SUBJECTS}
    for round_no in range(runs + 1):  # round 0 warms the bytecode cache and is not recorded
        for label, (statement, _) in SUBJECTS.items():
            out, wall = _run(CHILD.format(statement=statement), env)
            if round_no:
                samples[label].append(float(out.splitlines()[-1]))
                walls[label].append(wall)

    def ms(values: list[float]) -> float:
        return round(statistics.median(values) * 1000, 1)

    subjects = {label: {"median_ms": ms(samples[label]), "min_ms": round(min(samples[label]) * 1000, 1),
                        "max_ms": round(max(samples[label]) * 1000, 1), "process_median_ms": ms(walls[label]),
                        "measures": SUBJECTS[label][1]}
                for label in SUBJECTS}
    return {
        "runs": runs,
        "import_ratio": round(statistics.median(samples["app"]) / statistics.median(samples["boto3"]), 3),
        # Less sensitive to other load on the machine than the medians; informational, not the target.
        "import_ratio_of_minimums": round(min(samples["app"]) / min(samples["boto3"]), 3),
        "subjects": subjects,
        "app_import_opens_no_socket": guard_ok,
        "app_import_guard_error": guard_error,
        "modules_loaded_by_import_app": [m for m in guard_out.split(",") if m],
    }


# --- the first authorized request, per identity adapter (issue 15: first_request_ratio[_cn]) --
#
# A fresh process: import app, then everything that verifying one ID token loads and runs —
# the identity adapter, the one verify (services/access) and the store it reads the standing
# with, jwt + cryptography, the public key parsed, the signature checked. The key's fetch is
# the one thing not timed (it is a network call: Cognito's JWKS, or KMS GetPublicKey): it is
# handed over from memory, as a cached key would be. The standing's GetItem is not made.

_FIRST_REQUEST_SETUP = """
import json, time
TOKEN = {token!r}
KEY = {key!r}
class _CachedKms:  # GetPublicKey's answer, as the adapter caches it
    def get_public_key(self, KeyId):
        return {{"PublicKey": bytes.fromhex(KEY)}}
t = time.perf_counter()
"""

FIRST_REQUEST = {
    "first_request_cognito": (
        "import app\n"
        "import chalicelib.services.access, chalicelib.store.tenants\n"
        "from chalicelib.adapters.identity import cognito\n"
        "cognito._fetch_jwks = lambda url: json.loads(KEY)  # the JWKS, as read once and cached\n"
        "assert cognito.verify_token(TOKEN).tenant_id == 'bench-tenant'\n",
        "import app + Cognito's verify of one ID token (RS256) with the JWKS cached"),
    "first_request_accounts": (
        "import app\n"
        "import chalicelib.services.access, chalicelib.store.tenants\n"
        "from chalicelib.adapters.identity import accounts\n"
        "accounts._kms = lambda: _CachedKms()\n"
        "assert accounts.verify_token(TOKEN).tenant_id == 'bench-tenant'\n",
        "import app + the accounts adapter's verify of one ID token (ES256) with the KMS public key cached"),
}


def _first_request_inputs() -> dict[str, tuple[str, str, dict[str, str]]]:
    """Per adapter: (token, key as the child gets it, extra environment). Keys made here."""
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    now = int(time.time())
    claims = {"sub": "bench-person", "token_use": "id", "custom:tenant_id": "bench-tenant", "custom:role": "admin",
              "email": "bench@example.com", "name": "Bench", "iat": now, "auth_time": now, "exp": now + 3600}
    pool, client_id = "us-east-1_bench", "bench-client"
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    jwk.update({"kid": "bench", "alg": "RS256", "use": "sig"})
    cognito_token = jwt.encode({**claims, "iss": issuer, "aud": client_id}, rsa_key, algorithm="RS256",
                               headers={"kid": "bench"})
    ec_key = ec.generate_private_key(ec.SECP256R1())
    der = ec_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    accounts_token = jwt.encode({**claims, "iss": "propdesk-accounts", "aud": "propdesk"}, ec_key, algorithm="ES256",
                                headers={"kid": "bench-key"})
    return {
        "first_request_cognito": (cognito_token, json.dumps({"keys": [jwk]}), {
            "PROPDESK_IDENTITY": "cognito", "COGNITO_USER_POOL_ID": pool, "COGNITO_CLIENT_ID": client_id,
            "COGNITO_JWKS_URL": "http://127.0.0.1:9/never-fetched"}),
        "first_request_accounts": (accounts_token, der.hex(), {
            "PROPDESK_IDENTITY": "accounts", "PROPDESK_PROFILE": "cn", "PROPDESK_TOKEN_KEY": "bench-key"}),
    }


def measure_first_request(runs: int = 9) -> dict:
    """``first_request_ratio`` (Cognito) and ``first_request_ratio_cn`` (accounts): the median
    first authorized request of a fresh process ÷ the median ``import boto3``, interleaved."""
    env = child_env()
    inputs = _first_request_inputs()
    samples: dict[str, list[float]] = {"boto3": [], "app_global": [], "app_cn": [],
                                       **{label: [] for label in FIRST_REQUEST}}
    for round_no in range(runs + 1):  # round 0 warms the bytecode cache
        out, _ = _run(CHILD.format(statement=SUBJECTS["boto3"][0]), env)
        if round_no:
            samples["boto3"].append(float(out.splitlines()[-1]))
        for label, profile in (("app_global", "global"), ("app_cn", "cn")):  # import app under each profile
            out, _ = _run(CHILD.format(statement=SUBJECTS["app"][0]), {**env, "PROPDESK_PROFILE": profile})
            if round_no:
                samples[label].append(float(out.splitlines()[-1]))
        for label, (statement, _) in FIRST_REQUEST.items():
            token, key, extra = inputs[label]
            code = _FIRST_REQUEST_SETUP.format(token=token, key=key) + statement + \
                "print(repr(time.perf_counter() - t))\n"
            out, _ = _run(code, {**env, **extra})
            if round_no:
                samples[label].append(float(out.splitlines()[-1]))
    boto3 = statistics.median(samples["boto3"])
    medians = {label: round(statistics.median(values) * 1000, 1) for label, values in samples.items()}
    return {
        "first_request_ratio": round(statistics.median(samples["first_request_cognito"]) / boto3, 3),
        "first_request_ratio_cn": round(statistics.median(samples["first_request_accounts"]) / boto3, 3),
        # import app ÷ import boto3 under each profile, in the same interleaved runs (issue 15)
        "import_ratio_global": round(statistics.median(samples["app_global"]) / boto3, 3),
        "import_ratio_cn": round(statistics.median(samples["app_cn"]) / boto3, 3),
        # Less sensitive to other load on the machine than the medians; informational, not the target.
        "first_request_ratio_of_minimums": round(min(samples["first_request_cognito"]) / min(samples["boto3"]), 3),
        "first_request_ratio_cn_of_minimums": round(min(samples["first_request_accounts"]) / min(samples["boto3"]), 3),
        "first_request_ms": medians,
        "first_request": {"runs": runs, "median_ms": medians,
                          "min_ms": {label: round(min(values) * 1000, 1) for label, values in samples.items()},
                          "measures": {label: text for label, (_, text) in FIRST_REQUEST.items()},
                          "target": "≤ 1.5 × import boto3, in both profiles"},
    }
