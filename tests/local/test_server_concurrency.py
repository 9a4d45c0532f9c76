"""The local server (infra/local/serve.py) under a burst of clients: every connection is taken
(a listen backlog of 128, a thread each), and every log line names its own request: its
request id, its route and its tenant, never another concurrent request's (Powertools keys are
process-wide unless kept per request; a log naming the wrong firm is a privacy bug)."""

from __future__ import annotations

import json
import logging
import socket
import threading

import pytest
import requests

from tests.support import Firm

BURST = 40


@pytest.fixture(scope="module")
def server(app, client):
    """The app served over real HTTP by serve.py's server, in this process (moto as AWS)."""
    from infra.local.serve import create_server
    server = create_server(app, client.http._config, "127.0.0.1", 0)
    yield server
    server.server.server_close()


@pytest.fixture(scope="module")
def serving(server):
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server.server_address[1]}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def log_lines():
    """Every JSON log line the app writes, as Powertools formats it, at INFO."""
    from chalicelib.observability import logger
    lines: list[dict] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.setFormatter(logger.registered_formatter)
    level = logger.log_level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_a_burst_of_clients_all_get_a_connection_while_the_server_is_busy(server):
    # Nobody accepts yet (the server is busy): connections wait in the listen backlog. With
    # socketserver's default backlog of 5, the 7th client's handshake is dropped and it times out.
    port = server.server.server_address[1]
    clients, refused = [], 0
    for _ in range(BURST):
        s = socket.socket()
        s.settimeout(1.0)
        try:
            s.connect(("127.0.0.1", port))
            clients.append(s)
        except OSError:
            refused += 1
            s.close()
    try:
        assert refused == 0, f"{refused} of {BURST} clients could not connect"
        for s in clients:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        thread = threading.Thread(target=server.server.serve_forever, daemon=True)
        thread.start()
        try:
            for s in clients:
                s.settimeout(30)
                assert s.recv(64).startswith(b"HTTP/1.1 200"), "a queued client got no answer"
        finally:
            server.shutdown()
            thread.join(5)
    finally:
        for s in clients:
            s.close()


def test_concurrent_requests_log_their_own_request_id_route_and_tenant(client, serving, log_lines):
    a, b = Firm.sign_up(client), Firm.sign_up(client)
    calls = [(a, "/api/tickets", "GET /api/tickets"), (b, "/api/properties", "GET /api/properties")] * (BURST // 2)
    start = threading.Barrier(len(calls))
    answers: list[tuple[str, str, str]] = []
    failures: list[str] = []

    def call(firm: Firm, path: str, route: str) -> None:
        start.wait()
        try:
            response = requests.get(serving + path, headers={"Authorization": f"Bearer {firm.admin_token}"}, timeout=60)
        except requests.RequestException as error:
            failures.append(repr(error))
            return
        if response.status_code != 200:
            failures.append(f"{response.status_code} {response.text[:200]}")
            return
        answers.append((response.headers["X-Request-Id"], firm.tenant_id, route))

    threads = [threading.Thread(target=call, args=c) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert failures == []
    assert len(answers) == len(calls)
    by_request: dict[str, list[dict]] = {}
    for line in log_lines:
        by_request.setdefault(line.get("request_id"), []).append(line)
    for request_id, tenant_id, route in answers:
        lines = by_request.get(request_id)
        assert lines, f"no log line for request {request_id}"
        for line in lines:
            assert (line["tenant_id"], line["route"]) == (tenant_id, route), line
    # and no line of these requests went out without a request id or with another's
    named = {line.get("request_id") for line in log_lines if line.get("message") == "request done"}
    assert {request_id for request_id, _, _ in answers} <= named
