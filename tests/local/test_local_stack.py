"""``python -m infra.local`` end to end: a real subprocess, real HTTP, real signals.

What a developer gets from ``make dev``: moto, the demo firm, the API with our gateway,
and a clean stop on Ctrl-C (the whole process tree gone, the ports free again).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from infra.local.seed import HISTORY_REPORTS

ROOT = Path(__file__).resolve().parents[2]
READY = "PropDesk local stack is ready"
START_TIMEOUT = 60
STOP_TIMEOUT = 10

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid`` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Runner:
    """The stack as a subprocess, its output collected by a thread."""

    def __init__(self, port: int, moto_port: int, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "COGNITO_", "PROPDESK_", "POWERTOOLS_"))}
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "--port", str(port), "--moto-port", str(moto_port), *extra],
            cwd=str(ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if READY in line:
                self.ready.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def value(self, label: str) -> str:
        line = next(line for line in self.lines if line.strip().startswith(label))
        return line.strip()[len(label):].strip()


def start(*extra: str) -> Runner:
    port = free_port()
    moto_port = free_port()
    while moto_port == port:
        moto_port = free_port()
    runner = Runner(port, moto_port, *extra)
    started = time.monotonic()
    deadline = started + START_TIMEOUT
    while not runner.ready.wait(0.2):
        if runner.process.poll() is not None or time.monotonic() > deadline:
            runner.process.kill()
            pytest.fail(f"the local stack did not become ready (exit code {runner.process.poll()}):\n"
                        + runner.output)
    runner.startup_seconds = time.monotonic() - started
    runner.api = f"http://127.0.0.1:{port}"
    runner.port, runner.moto_port = port, moto_port
    return runner


@pytest.fixture(scope="module")
def stack():
    runner = start()
    yield runner
    if runner.process.poll() is None:  # the stop test did not run or failed
        runner.process.kill()
        runner.process.wait(5)


@pytest.fixture(scope="module")
def admin_token(stack):
    response = requests.post(f"{stack.api}/auth/signin",
                             json={"email": "admin@demo.propdesk.local", "password": "Demo-pass-2026"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["tokens"]["IdToken"]


def test_the_banner_says_where_everything_is(stack):
    out = stack.output
    assert stack.api in out
    assert f"{stack.api}/openapi.json" in out
    assert f"POST {stack.api}/r/demo/tickets" in out
    assert "admin@demo.propdesk.local" in out and "staff@demo.propdesk.local" in out and "Demo-pass-2026" in out
    assert f"http://127.0.0.1:{stack.moto_port}" in out
    assert "curl -s -X POST" in out
    assert "Scheduled job sla_sweep: rate(1 minute)" in out
    assert f"{stack.api}/console" in out


def test_the_demo_admin_signs_in_to_the_console_and_sees_the_seeded_queue(stack):
    """Over real HTTP as `make dev` serves it. (requests keeps Secure cookies for https only,
    so the test carries the cookies itself, as a browser does for http://127.0.0.1.)"""
    import re
    first = requests.get(f"{stack.api}/console/signin", timeout=10, headers={"Accept-Language": "en"})
    pre = first.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(r'name="csrf" value="([^"]+)"', first.text).group(1)
    signed_in = requests.post(f"{stack.api}/console/signin", allow_redirects=False, timeout=10,
                              headers={"Cookie": pre, "Origin": stack.api},
                              data={"csrf": csrf, "email": "admin@demo.propdesk.local", "password": "Demo-pass-2026"})
    assert signed_in.status_code == 303, signed_in.text
    cookies = "; ".join(c.split(";")[0] for c in signed_in.raw.headers.getlist("Set-Cookie") if "Max-Age=0" not in c)
    queue = requests.get(f"{stack.api}/console/queue", timeout=10,
                         headers={"Cookie": cookies, "Accept-Language": "en"})
    assert queue.status_code == 200
    assert "王伟 Wang Wei" in queue.text and "/console/tickets/" in queue.text


def test_health_and_openapi(stack):
    assert requests.get(f"{stack.api}/healthz", timeout=10).status_code == 200
    response = requests.get(f"{stack.api}/openapi.json", timeout=10)
    assert response.status_code == 200
    assert "/r/{slug}/tickets" in response.json()["paths"]


def test_the_demo_queue_lists_the_seeded_tickets_by_due_time(stack, admin_token):
    response = requests.get(f"{stack.api}/api/tickets", headers={"Authorization": f"Bearer {admin_token}"},
                            timeout=10)
    assert response.status_code == 200, response.text
    tickets = response.json()["tickets"]
    assert {t["status"] for t in tickets} >= {"new", "acknowledged", "assigned", "waiting"}
    dues = [t["due_at"] for t in tickets]
    running = [d for d in dues if d is not None]
    assert running and dues[:len(running)] == sorted(running)  # next deadline first
    assert all(t["status"] == "waiting" for t in tickets[len(running):])  # stopped clocks last
    assert any(t["assignee_name"] == "王伟 Wang Wei" for t in tickets)

    done = requests.get(f"{stack.api}/api/tickets", params={"status": "resolved", "limit": "100"},
                        headers={"Authorization": f"Bearer {admin_token}"}, timeout=10)
    assert done.status_code == 200 and len(done.json()["tickets"]) == 1 + HISTORY_REPORTS  # and last month's


def test_last_months_work_fills_the_published_scorecard_and_the_dashboard(stack, admin_token):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    this_month = datetime.now(ZoneInfo("Asia/Shanghai")).replace(day=1)
    last = this_month - timedelta(days=1)
    page = requests.get(f"{stack.api}/p/demo/scorecard?lang=en", timeout=10)
    assert page.status_code == 200
    assert f"Month: {last:%B %Y}" in page.text
    csat = page.text[page.text.index('id="month-csat"'):]
    csat = csat[:csat.index("</tr>")]
    assert "<strong>" in csat and "n = " in csat  # a value with its n, not "too few responses"
    for private in ("@example.com", "水龙头", "The kitchen tap", "已处理"):  # contacts, descriptions, notes
        assert private not in page.text
    auth = {"Authorization": f"Bearer {admin_token}"}
    live = requests.get(f"{stack.api}/api/scores", params={"period": f"M{last:%Y-%m}", "by": "category"},
                        headers=auth, timeout=10)
    frozen = requests.get(f"{stack.api}/api/reports/M{last:%Y-%m}", headers=auth, timeout=10)
    assert live.status_code == 200 and frozen.status_code == 200, (live.text, frozen.text)
    # the twenty (and, early in a month, the newest stories), frozen as they were
    volume = live.json()["firm"]["volume"]["value"]
    assert volume >= HISTORY_REPORTS and frozen.json()["firm"]["volume"]["value"] == volume


def test_a_resident_report_is_idempotent_and_trackable(stack, admin_token):
    queue = requests.get(f"{stack.api}/api/tickets", headers={"Authorization": f"Bearer {admin_token}"},
                         timeout=10).json()["tickets"]
    sample = queue[0]
    report = {"property_id": sample["property_id"], "building_id": sample["building_id"], "unit": sample["unit"],
              "category": "repairs", "urgency": "normal", "description": "走廊灯不亮了 / The corridor light is out.",
              "contact": {"name": "Li Na", "phone": "+86 138 0013 8000"}, "entry": {"present": True}}
    key = f"test-{uuid.uuid4().hex}"
    first = requests.post(f"{stack.api}/r/demo/tickets", json=report, headers={"Idempotency-Key": key}, timeout=10)
    again = requests.post(f"{stack.api}/r/demo/tickets", json=report, headers={"Idempotency-Key": key}, timeout=10)
    assert first.status_code == 201, first.text
    assert again.status_code == 201, again.text
    assert first.json()["ticket"]["number"] == again.json()["ticket"]["number"]
    assert again.headers["Idempotent-Replayed"] == "true"

    tracking_url = first.json()["ticket"]["tracking_url"]
    assert tracking_url.startswith(f"{stack.api}/t/")
    tracked = requests.get(tracking_url, timeout=10)
    assert tracked.status_code == 200
    assert tracked.json()["number"] == first.json()["ticket"]["number"]

    seeded = requests.get(stack.value("Tracking link"), timeout=10)
    assert seeded.status_code == 200 and seeded.json()["status"] == "waiting"


def test_unknown_routes_and_missing_tokens_answer_in_our_error_shape(stack):
    missing = requests.get(f"{stack.api}/no/such/route", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"

    anonymous = requests.get(f"{stack.api}/api/tickets", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"


def test_the_seeded_water_leak_escalates_to_the_demo_webhook_on_the_minute_sweep(stack):
    """make dev's promise: the scheduled sweep runs, and a missed promise reaches the configured
    channel (the local webhook sink, which the runner prints)."""
    deadline = time.monotonic() + 75  # the next minute boundary, plus delivery
    while time.monotonic() < deadline and "<- sla_warning" not in stack.output:
        time.sleep(1)
    out = stack.output
    assert "webhook /hook <- sla_warning" in out, out[-3000:]
    # Each promise warned once: the first response and, since the template's milestones, 到场
    # (on site within 1 h) too; the same promise twice would print the same line twice.
    warnings = [line.strip() for line in out.splitlines() if "webhook /hook <- sla_warning" in line]
    assert 1 <= len(warnings) == len(set(warnings)) <= 2, warnings


def test_an_admin_applies_a_yaml_file_with_the_cli_and_new_tickets_follow_it(stack, admin_token, tmp_path):
    yaml_text = (ROOT / "tenants" / "templates" / "prc-residential.yaml").read_text(encoding="utf-8")
    changed = yaml_text.replace('"*": {first_response: 24h, resolution: 30 working days}',
                                '"*": {first_response: 12h, resolution: 30 working days}', 1)
    assert changed != yaml_text
    path = tmp_path / "demo.yaml"
    path.write_text(changed, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COGNITO_", "PROPDESK_"))}
    result = subprocess.run([sys.executable, "-m", "cli", "standards", "apply", "--tenant", "demo",
                             str(path), "--api", stack.api, "--email", "admin@demo.propdesk.local",
                             "--password", "Demo-pass-2026"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "applied" in result.stdout
    history = requests.get(f"{stack.api}/api/standards/history", headers={"Authorization": f"Bearer {admin_token}"},
                           timeout=10).json()["versions"]
    assert "targets.*.*.first_response: 24h → 12h" in history[0]["changes"]
    wrong = subprocess.run([sys.executable, "-m", "cli", "standards", "apply", "--tenant", "not-demo",
                            str(path), "--api", stack.api, "--email", "admin@demo.propdesk.local",
                            "--password", "Demo-pass-2026"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60)
    assert wrong.returncode == 2


def test_ctrl_c_stops_the_whole_tree_and_frees_the_ports(stack):
    """Last in this module: it stops the stack."""
    process = stack.process
    tree = children_of(process.pid)
    assert tree, "the API should run as a subprocess"
    assert listening(stack.port) and listening(stack.moto_port)

    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        code = process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the stack did not stop within 10 s of Ctrl-C:\n" + stack.output)
    assert code == 0, stack.output
    while any(alive(pid) for pid in tree) and time.monotonic() - started < STOP_TIMEOUT:
        time.sleep(0.1)
    assert not [pid for pid in tree if alive(pid)], "processes left behind"
    assert not listening(stack.port) and not listening(stack.moto_port)
    for port in (stack.port, stack.moto_port):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))  # free to listen on again
    print(f"local stack: ready in {stack.startup_seconds:.1f} s, stopped in {time.monotonic() - started:.1f} s")


def test_the_runner_fails_when_the_api_process_dies():
    runner = start("--no-seed")
    try:
        assert "admin@demo.propdesk.local" not in runner.output  # --no-seed: no demo firm
        (api_process,) = [pid for pid in children_of(runner.process.pid) if alive(pid)]
        os.kill(api_process, signal.SIGKILL)
        code = runner.process.wait(STOP_TIMEOUT)
        assert code != 0
        assert "The API process exited" in runner.output
        assert not listening(runner.moto_port)
    finally:
        if runner.process.poll() is None:
            runner.process.kill()
            runner.process.wait(5)

