"""checkov (CloudFormation framework) on the template of every deployment profile.

``measure()`` synthesizes each profile of infra/ (``python infra/synth.py -c profile=...`` in a
child process) and scans the template with ``checkov -f <template> --framework cloudformation``.
It returns ``checkov_failed`` (failed checks over all profiles: 0 is the target) and
``checkov_skipped_with_reason`` (each check skipped in the CDK code, with its one-line reason,
the profiles and the number of resources it is skipped on). tests/infra/test_stack.py runs
``scan()`` on the test session's own templates.

checkov is not in the project's virtualenv: its pins (boto3/botocore 1.35, packaging 23) would
downgrade ours. ``make test``/``make bench`` install it into ``.venv-checkov`` and point
``CHECKOV`` at it; ``checkov_command()`` also finds a ``checkov`` on ``PATH``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ("global", "cn")
CHECKOV_VENV = ROOT / ".venv-checkov"


def checkov_command() -> str | None:
    """The checkov executable: ``$CHECKOV``, else ``.venv-checkov/bin/checkov``, else ``checkov``
    on PATH; None if there is none."""
    for candidate in (os.environ.get("CHECKOV"), str(CHECKOV_VENV / "bin" / "checkov"), shutil.which("checkov")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def scan(template: Path, checkov: str | None = None) -> dict:
    """One template's result: ``passed``, ``failed`` and ``skipped`` checks, each a list of
    ``{"check", "resource", "reason"}`` (the reason of a skip is its ``comment``)."""
    checkov = checkov or checkov_command()
    if checkov is None:
        raise RuntimeError("checkov not found: set CHECKOV=/path/to/checkov or run `make test` (builds .venv-checkov)")
    proc = subprocess.run([checkov, "-f", str(template), "--framework", "cloudformation", "-o", "json",
                           "--skip-download"], capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"checkov gave no JSON (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n"
                           f"{proc.stderr[-2000:]}") from exc
    reports = report if isinstance(report, list) else [report]
    results = [r for r in reports if r.get("check_type") == "cloudformation"]
    if not results:
        raise RuntimeError(f"checkov reported no CloudFormation results for {template}: {proc.stdout[-2000:]}")
    if any(r["summary"].get("parsing_errors") for r in results):
        raise RuntimeError(f"checkov could not parse {template}")

    def rows(kind: str) -> list[dict]:
        return [{"check": c["check_id"], "resource": c["resource"],
                 "reason": (c.get("check_result") or {}).get("suppress_comment", "") if kind == "skipped_checks"
                 else c.get("check_name", "")}
                for r in results for c in r["results"].get(kind, [])]

    return {"passed": rows("passed_checks"), "failed": rows("failed_checks"), "skipped": rows("skipped_checks")}


def summarize(scans: dict[str, dict]) -> dict:
    """Bench keys from each profile's ``scan()``."""
    skipped: dict[tuple[str, str], dict] = {}
    for profile, result in scans.items():
        for row in result["skipped"]:
            entry = skipped.setdefault((row["check"], row["reason"]),
                                       {"check": row["check"], "reason": row["reason"], "profiles": [], "resources": 0})
            entry["resources"] += 1
            if profile not in entry["profiles"]:
                entry["profiles"].append(profile)
    return {
        "checkov_failed": sum(len(result["failed"]) for result in scans.values()),
        "checkov_failures": [{"profile": profile, **row} for profile, result in scans.items() for row in result["failed"]],
        "checkov_skipped_with_reason": sorted(skipped.values(), key=lambda e: (e["check"], e["reason"])),
    }


def _synth(profile: str, outdir: Path) -> Path:
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    proc = subprocess.run([sys.executable, str(ROOT / "infra" / "synth.py"), "--outdir", str(outdir),
                           "-c", f"profile={profile}"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    printed = [line for line in proc.stdout.splitlines() if line.endswith(".template.json")]
    if proc.returncode != 0 or not printed:
        raise RuntimeError(f"synth of profile {profile} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return Path(printed[-1])


def measure(profiles: Iterable[str] = PROFILES) -> dict:
    """Synthesize and scan every profile: ``{"checkov_failed": int, "checkov_skipped_with_reason":
    [...], "checkov_failures": [...]}``."""
    checkov = checkov_command()
    if checkov is None:
        raise RuntimeError("checkov not found: set CHECKOV=/path/to/checkov or run `make bench` (builds .venv-checkov)")
    with tempfile.TemporaryDirectory(prefix="propdesk-checkov-") as tmp:
        scans = {profile: scan(_synth(profile, Path(tmp) / profile), checkov) for profile in profiles}
    return summarize(scans)


def markdown(result: dict) -> str:
    lines = [f"### checkov on every profile's template: {result['checkov_failed']} failed", "",
             "| skipped check | why | profiles | resources |", "|---|---|---|---:|"]
    for entry in result["checkov_skipped_with_reason"]:
        lines.append(f"| {entry['check']} | {entry['reason']} | {', '.join(entry['profiles'])} | {entry['resources']} |")
    lines += [f"- FAILED {f['profile']}: {f['check']} on {f['resource']} ({f['reason']})"
              for f in result["checkov_failures"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    outcome = measure()
    print(markdown(outcome))
    sys.exit(1 if outcome["checkov_failed"] else 0)
