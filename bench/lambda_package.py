"""Cold start as deployed (issue 19): the Lambda package the CDK app builds, run as Lambda runs it.

``infra.lambda_package.build`` makes the package exactly as the CDK app does (staged source,
``chalice package`` of the deployed stage, trimmed and byte-compiled). It is unzipped into a
temporary folder made read-only, like ``/var/task``, and every subject runs in a fresh
``python -B -S`` (no site-packages, no bytecode written) of the building interpreter, which is the
runtime's minor version (``python3.11``), with only that folder on ``sys.path`` and behind it
a stand-in for what the Lambda runtime provides (boto3, botocore and their dependencies,
byte-compiled as pip installs them; see ``RUNTIME``). Subjects, interleaved round by round:

* ``boto3``: ``import boto3`` from the runtime stand-in alone (the yardstick);
* ``app``: ``import app``;
* ``first_request``: import app, verify one Cognito ID token (RS256; the JWKS handed over as the
  adapter caches it: the one network read not timed) and build the DynamoDB client (no call);
  ``first_request_cn`` the same with the cn package and its accounts adapter (ES256, KMS key cached);
* ``authorizer``: what the deployed authorizer function loads (its handler is
  ``chalicelib.api.auth.cognito``: no ``import app``), the verify and the DynamoDB client;
* ``resident_page``: import app, render the report form page (zh-CN) for a firm read before
  and build the DynamoDB client (the register and standards read is the one call not made);
* ``sweep``: import app and what the minute sweep imports, with the DynamoDB client built.

``python -X importtime`` of the first request lists what it imports beyond ``import app``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.cold_start import _first_request_inputs, child_env
from infra import lambda_package

ROOT = Path(__file__).resolve().parents[1]
#: What the Lambda Python runtime puts on the path after /var/task (boto3 and what it needs).
RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")

_PROLOGUE = """
import sys, time
sys.path[:0] = {path!r}
TOKEN = {token!r}
KEY = {key!r}
CONTEXT = {context!r}
class _CachedKms:  # GetPublicKey's answer, as the accounts adapter caches it
    def get_public_key(self, KeyId):
        return {{"PublicKey": bytes.fromhex(KEY)}}
t = time.perf_counter()
"""

_CONNECTION = "from chalicelib.store.items import connection\nconnection().client\n"

SUBJECTS: dict[str, tuple[str, str]] = {
    "boto3": ("import boto3\n", "import boto3 (runtime stand-in, with bytecode)"),
    "app": ("import app\n", "import app"),
    "first_request": (
        "import app, json\n"
        "import chalicelib.services.access, chalicelib.store.tenants\n"
        "from chalicelib.adapters.identity import cognito\n"
        "cognito._fetch_jwks = lambda url: json.loads(KEY)\n"
        "assert cognito.verify_token(TOKEN).tenant_id == 'bench-tenant'\n" + _CONNECTION,
        "import app + Cognito's verify of one ID token (JWKS cached) + the DynamoDB client built"),
    "authorizer": (
        "import chalicelib.api.auth, json\n"
        "import chalicelib.services.access, chalicelib.store.tenants\n"
        "from chalicelib.adapters.identity import cognito\n"
        "cognito._fetch_jwks = lambda url: json.loads(KEY)\n"
        "assert cognito.verify_token(TOKEN).tenant_id == 'bench-tenant'\n" + _CONNECTION,
        "the authorizer function as deployed (handler chalicelib.api.auth.cognito, no import app): "
        "its module + the verify + the DynamoDB client"),
    "resident_page": (
        "import app\n"
        "from chalicelib.api import pages\n"
        "html = pages.render_form('bench', 'zh-CN', CONTEXT, pages.flat_values({}))\n"
        "assert CONTEXT['name'] in html\n" + _CONNECTION,
        "import app + the report form page rendered in zh-CN + the DynamoDB client (the firm's read not made)"),
    "sweep": (
        "import app\n"
        "import chalicelib.jobs, chalicelib.observability\n"
        "from chalicelib.services import escalation\n" + _CONNECTION,
        "import app + the minute sweep's modules + the DynamoDB client built"),
}
CN_SUBJECT = (
    "import app\n"
    "import chalicelib.services.access, chalicelib.store.tenants\n"
    "from chalicelib.adapters.identity import accounts\n"
    "accounts._kms = lambda: _CachedKms()\n"
    "assert accounts.verify_token(TOKEN).tenant_id == 'bench-tenant'\n" + _CONNECTION,
    "cn package: import app + the accounts adapter's verify (ES256, KMS key cached) + the DynamoDB client")


def _read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    folder.chmod(0o555)


def _writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def runtime_stand_in(into: Path) -> Path:
    """boto3 and its dependencies from this environment, byte-compiled (pip's default, timestamp
    pycs): what the Lambda runtime provides outside the package."""
    import compileall

    import boto3

    site = Path(boto3.__file__).resolve().parents[1]
    into.mkdir(parents=True)
    for name in RUNTIME:
        source = site / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, into / name)
    compileall.compile_dir(into, quiet=2, workers=1)
    return into


def form_context() -> dict:
    """A firm as the report form reads it (register_view.form_context), from the PRC template."""
    from chalicelib.services import register_view, templates

    standards = templates.load("prc-residential")
    register = [{"id": "p1", "name": "绿苑小区", "address": "", "service_phone": "021-5555 0100", "buildings": [
        {"id": f"b{n}", "property_id": "p1", "name": f"{n}号楼", "units": [f"{n}-{u:03d}" for u in range(101, 121)]}
        for n in (1, 2, 3)]}]
    return {"name": "绿苑物业", "locale": "zh-CN", "time_zone": "Asia/Shanghai", "register": register,
            "resident_page": {}, **register_view._names(standards)}


def _run(code: str, cwd: Path, env: dict[str, str], *, importtime: bool = False) -> subprocess.CompletedProcess:
    flags = ["-B", "-S"] + (["-X", "importtime"] if importtime else [])
    done = subprocess.run([sys.executable, *flags, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"package child failed:\n{done.stderr[-3000:]}")
    return done


def _code(statement: str, path: list[str], token: str, key: str, context: dict) -> str:
    return (_PROLOGUE.format(path=path, token=token, key=key, context=context) + statement
            + "print(repr(time.perf_counter() - t))\n")


def importtime_beyond_app(package: Path, runtime: Path, env: dict[str, str], token: str, key: str,
                          context: dict, top: int = 12) -> list[dict]:
    """The modules the first request imports that ``import app`` does not, heaviest first
    (cumulative µs of each top-level package, as ``-X importtime`` reports it)."""
    def modules(statement: str) -> dict[str, tuple[int, int]]:
        done = _run(_code(statement, [str(package), str(runtime)], token, key, context), package, env,
                    importtime=True)
        found: dict[str, tuple[int, int]] = {}
        for line in done.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
            if match:
                found[match.group(4)] = (int(match.group(1)), int(match.group(2)))
        return found

    base = modules(SUBJECTS["app"][0])
    first = modules(SUBJECTS["first_request"][0])
    extra = {name: us for name, us in first.items() if name not in base}
    by_package: dict[str, int] = {}
    for name, (self_us, _) in extra.items():
        by_package[name.split(".")[0]] = by_package.get(name.split(".")[0], 0) + self_us
    return [{"package": name, "self_ms": round(us / 1000, 1),
             "modules": sum(1 for m in extra if m.split(".")[0] == name)}
            for name, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]]


def measure(runs: int = 9) -> dict[str, Any]:
    env = {**child_env(), "PYTHONDONTWRITEBYTECODE": "1"}
    inputs = _first_request_inputs()
    cognito_token, cognito_key, cognito_env = inputs["first_request_cognito"]
    accounts_token, accounts_key, accounts_env = inputs["first_request_accounts"]
    context = form_context()
    work = Path(tempfile.mkdtemp(prefix="propdesk-lambda-bench-"))
    try:
        zip_path, sam_path, report = lambda_package.build(work / "global")
        cn_zip, _, cn_report = lambda_package.build(work / "cn", profile="cn")
        runtime = runtime_stand_in(work / "runtime")
        package, cn_package = work / "task", work / "task-cn"
        for source, folder in ((zip_path, package), (cn_zip, cn_package)):
            with zipfile.ZipFile(source) as archive:
                archive.extractall(folder)
            _read_only(folder)
        _read_only(runtime)
        runtime_version = {fn["Properties"].get("Runtime") for fn in json.loads(sam_path.read_text())["Resources"].values()
                           if fn["Type"] == "AWS::Serverless::Function"}

        samples: dict[str, list[float]] = {label: [] for label in [*SUBJECTS, "first_request_cn"]}
        for round_no in range(runs + 1):  # round 0 is not recorded (the page cache warms)
            for label, (statement, _) in [*SUBJECTS.items(), ("first_request_cn", CN_SUBJECT)]:
                cn = label == "first_request_cn"
                path = [str(runtime)] if label == "boto3" else [str(cn_package if cn else package), str(runtime)]
                code = _code(statement, path, accounts_token if cn else cognito_token,
                             accounts_key if cn else cognito_key, context)
                done = _run(code, cn_package if cn else package, {**env, **(accounts_env if cn else cognito_env)})
                if round_no:
                    samples[label].append(float(done.stdout.strip().splitlines()[-1]))
        heaviest = importtime_beyond_app(package, runtime, {**env, **cognito_env}, cognito_token, cognito_key, context)
    finally:
        _writable(work)
        shutil.rmtree(work, ignore_errors=True)

    boto3 = statistics.median(samples["boto3"])
    median = {label: round(statistics.median(values) * 1000, 1) for label, values in samples.items()}

    def ratio(label: str) -> float:
        return round(statistics.median(samples[label]) / boto3, 3)

    return {
        "lambda_import_ratio": ratio("app"),
        "lambda_first_request_ratio": ratio("first_request"),
        "lambda_first_request_ratio_cn": ratio("first_request_cn"),
        "lambda_authorizer_ratio": ratio("authorizer"),
        "lambda_resident_page_ratio": ratio("resident_page"),
        "lambda_sweep_ratio": ratio("sweep"),
        "lambda_zip_mb": round(report.zip_bytes / 1e6, 1),
        "lambda_unzipped_mb": round(report.unzipped_bytes / 1e6, 1),
        "lambda_py_files": report.py_files,
        "lambda_pyc_files": report.pyc_files,
        "lambda_zip_mb_cn": round(cn_report.zip_bytes / 1e6, 1),
        "lambda_unzipped_mb_cn": round(cn_report.unzipped_bytes / 1e6, 1),
        "lambda_package": {
            "runs": runs, "median_ms": median,
            "min_ms": {label: round(min(values) * 1000, 1) for label, values in samples.items()},
            "measures": {**{label: text for label, (_, text) in SUBJECTS.items()}, "first_request_cn": CN_SUBJECT[1]},
            "runtime": sorted(runtime_version), "python": f"{sys.version_info.major}.{sys.version_info.minor}",
            "trimmed_mb": {reason: round(size / 1e6, 2) for reason, size in
                           sorted(report.by_reason.items(), key=lambda kv: -kv[1])},
            "first_request_imports_beyond_app": heaviest,
            "targets": "lambda_first_request_ratio ≤ 1.5, lambda_import_ratio ≤ 1.0, lambda_unzipped_mb ≤ 40, "
                       "lambda_pyc_files = lambda_py_files",
        },
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(os.environ.get("RUNS", "5"))), indent=2, ensure_ascii=False))


TARGETS = {"lambda_import_ratio": 1.0, "lambda_first_request_ratio": 1.5, "lambda_unzipped_mb": 40}


def merge(results: dict, measured: dict) -> list[str]:
    """The package's figures into ``results`` (in place); returns the targets checked."""
    results.update(measured)
    targets = results.setdefault("targets", {})
    for name, limit in TARGETS.items():
        targets[name] = {"target": f"≤ {limit}", "value": measured[name], "ok": measured[name] <= limit}
    targets["lambda_pyc_files"] = {"target": "= lambda_py_files", "value": measured["lambda_pyc_files"],
                                   "ok": measured["lambda_pyc_files"] == measured["lambda_py_files"]}
    return [*TARGETS, "lambda_pyc_files"]


def markdown(measured: dict) -> str:
    detail = measured["lambda_package"]
    ms = detail["median_ms"]
    lines = ["", "### Cold start as deployed: the Lambda package, read-only, `python -B -S` (issue 19)", "",
             "| subject | median ms | ÷ import boto3 | target |", "|---|---:|---:|---|",
             f"| import boto3 (runtime stand-in, bytecode) | {ms['boto3']} | 1 | |",
             f"| import app | {ms['app']} | {measured['lambda_import_ratio']} | ≤ 1.0 |",
             f"| first authorized request (Cognito verify + DynamoDB client) | {ms['first_request']} "
             f"| {measured['lambda_first_request_ratio']} | ≤ 1.5 |",
             f"| first authorized request, cn package (accounts verify + DynamoDB client) | {ms['first_request_cn']} "
             f"| {measured['lambda_first_request_ratio_cn']} | |",
             f"| the authorizer function as deployed (its module, verify, DynamoDB client) | {ms['authorizer']} "
             f"| {measured['lambda_authorizer_ratio']} | |",
             f"| first resident form page (zh-CN) | {ms['resident_page']} | {measured['lambda_resident_page_ratio']} | |",
             f"| minute sweep's imports + DynamoDB client | {ms['sweep']} | {measured['lambda_sweep_ratio']} | |",
             "", "| package | zip MB | unzipped MB | .py | .pyc |", "|---|---:|---:|---:|---:|",
             f"| global | {measured['lambda_zip_mb']} | {measured['lambda_unzipped_mb']} | {measured['lambda_py_files']} "
             f"| {measured['lambda_pyc_files']} |",
             f"| cn (Alibaba Cloud SMS) | {measured['lambda_zip_mb_cn']} | {measured['lambda_unzipped_mb_cn']} | | |",
             "", "What the first request imports beyond `import app` (self time, `-X importtime`): "
             + ", ".join(f"{row['package']} {row['self_ms']} ms" for row in detail["first_request_imports_beyond_app"])]
    return "\n".join(lines) + "\n"
