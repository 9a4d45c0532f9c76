"""Cold start: import time in fresh Python processes.

Each sample is one new ``python -c`` process, started from the repository root, that times
its own imports with ``time.perf_counter()`` (the interpreter's own start-up is excluded
from ``*_ms``; the parent's wall time for the whole process is kept as ``process_ms``).
Samples of the different subjects are interleaved so drift hits them alike; one unrecorded
round first warms the bytecode cache. The child gets dummy credentials and a region but no
AWS endpoint: importing the app must not need AWS, and a guard run proves it opens no socket.
"""

from __future__ import annotations

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
        "import app, jwt, jwt.algorithms; from jwt import PyJWKClient; import chalicelib.store.models",
        "import app + what the first authorized request imports on top (jwt, PyJWKClient, cryptography's RSA)"),
    "app_first_request_ready": (
        "import app, jwt, jwt.algorithms; from jwt import PyJWKClient; "
        "from chalicelib.store.tickets import connection; connection().client",
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
