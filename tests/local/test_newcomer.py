"""A newcomer's first run: a fresh clone, the README's `make dev`, nothing installed before.

(`make test` on a fresh clone is what CI runs as .ci/run, so this covers the other command.)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.local.test_local_stack import READY, free_port, listening

ROOT = Path(__file__).resolve().parents[2]
INSTALL_AND_START_TIMEOUT = 480

pytestmark = pytest.mark.slow


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("## The two commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#")[0].strip() for line in block.strip().splitlines() if line.strip()]


def test_the_readme_names_exactly_two_commands_and_ci_runs_the_test_one():
    assert readme_commands() == ["make dev", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.skipif(shutil.which("git") is None or shutil.which("make") is None, reason="needs git and make")
def test_make_dev_on_a_fresh_clone_brings_up_the_demo(tmp_path):
    clone = tmp_path / "propdesk"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    assert not (clone / ".venv").exists()
    port, moto_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "COGNITO_", "PROPDESK_", "POWERTOOLS_", "VIRTUAL_ENV"))}
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if "/.venv/" not in p)
    process = subprocess.Popen(["make", "dev", f"ARGS=--port {port} --moto-port {moto_port}"], cwd=clone, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if READY in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(INSTALL_AND_START_TIMEOUT), "".join(lines[-60:])
        assert (clone / ".venv" / "bin" / "python").exists()
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
        signed_in = requests.post(f"{base}/auth/signin", timeout=10, data=json.dumps(
            {"email": "admin@demo.propdesk.local", "password": "Demo-pass-2026"}),
            headers={"Content-Type": "application/json"})
        token = signed_in.json()["tokens"]["IdToken"]
        queue = requests.get(f"{base}/api/tickets", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert queue.status_code == 200 and queue.json()["tickets"]
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole group
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    deadline = time.monotonic() + 10
    while listening(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not listening(port)
