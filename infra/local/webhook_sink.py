"""A tiny webhook receiver on 127.0.0.1 for the local stack and tests.

It answers like the bot services do when all is well — ``{"errcode": 0, "errmsg": "ok",
"ok": true}`` with 200, or the plain text ``ok`` on Slack-shaped paths (``/services/...``)
— and records every request as a :class:`Received` ``(path, headers, body)``, where
``path`` keeps the query string, ``headers`` looks names up case-insensitively and
``body`` is the parsed JSON (``None`` if it was not JSON); ``.raw`` holds the exact
bytes (to verify signatures), ``.query`` the decoded query, ``.status`` the answer given.

Failure modes for retry tests, changeable on the running server:
``fail_first=N`` (the first N requests fail), ``always_fail=True``, ``fail_status``
(default 500; 200 answers with ``fail_errcode`` instead, like a provider refusing),
``delay_s`` (answer slowly).

Point channels at it with the provider's path shape, e.g. ``{url}/cgi-bin/webhook/send?key=k``
(WeCom), ``{url}/robot/send?access_token=t`` (DingTalk), ``{url}/services/T/B/X`` (Slack),
``{url}/hook`` (generic). ``GET /_received`` lists what arrived, for a look by hand.

Run it alone with ``python -m infra.local.webhook_sink --port 8025``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Headers(dict):
    """Header names are case-insensitive (urllib sends ``X-propdesk-signature``)."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__((str(k).lower(), v) for k, v in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


class Received(tuple):
    """``(path, headers, body)`` with ``.method``, ``.raw``, ``.query`` and ``.status``."""

    def __new__(cls, path: str, headers: Headers, body: Any, *, method: str = "POST", raw: bytes = b"",
                status: int = 200) -> "Received":
        self = super().__new__(cls, (path, headers, body))
        self.method = method
        self.raw = raw
        self.status = status
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(path).query).items()}
        return self

    @property
    def path(self) -> str:
        return self[0]

    @property
    def headers(self) -> Headers:
        return self[1]

    @property
    def body(self) -> Any:
        return self[2]

    def summary(self) -> dict:
        return {"method": self.method, "path": self.path, "status": self.status, "headers": dict(self.headers),
                "body": self.body if self.body is not None else self.raw.decode("utf-8", "replace")}


class WebhookSink(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0, *, fail_first: int = 0, always_fail: bool = False, fail_status: int = 500,
                 fail_errcode: int = -1, delay_s: float = 0.0, echo: bool = True) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.received: list[Received] = []
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.fail_status = fail_status
        self.fail_errcode = fail_errcode
        self.delay_s = delay_s
        self.echo = echo
        self._lock = threading.Lock()
        self._count = 0
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_fails(self) -> bool:
        with self._lock:
            self._count += 1
            return self.always_fail or self._count <= self.fail_first

    def reset(self, **modes: Any) -> None:
        """Forget what arrived and the request count; optionally change failure modes."""
        with self._lock:
            self.received.clear()
            self._count = 0
            for name, value in modes.items():
                if name not in ("fail_first", "always_fail", "fail_status", "fail_errcode", "delay_s", "echo"):
                    raise TypeError(f"unknown sink mode {name!r}")
                setattr(self, name, value)

    def start(self) -> "WebhookSink":
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="webhook-sink", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread:
            self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server: WebhookSink
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self._record_and_answer()

    def do_PUT(self) -> None:  # noqa: N802
        self._record_and_answer()

    def do_GET(self) -> None:  # noqa: N802
        if urllib.parse.urlsplit(self.path).path == "/_received":
            self._answer(200, json.dumps([r.summary() for r in list(self.server.received)], ensure_ascii=False,
                                         indent=2).encode("utf-8"), "application/json; charset=utf-8")
        else:
            self._answer(404, b'{"error":"POST webhooks here; GET /_received lists them"}', "application/json")

    def _record_and_answer(self) -> None:
        sink = self.server
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            body = None
        fails = sink.next_fails()
        slack = "/services/" in urllib.parse.urlsplit(self.path).path
        if fails:
            status = sink.fail_status
            if slack:
                payload, ctype = (b"server_error" if status >= 500 else b"invalid_payload"), "text/plain"
            else:
                payload = json.dumps({"errcode": sink.fail_errcode if status == 200 else status,
                                      "errmsg": "webhook sink failing on purpose", "ok": False}).encode()
                ctype = "application/json"
        else:
            status = 200
            payload, ctype = ((b"ok", "text/plain") if slack else
                              (b'{"errcode":0,"errmsg":"ok","ok":true}', "application/json"))
        sink.received.append(Received(self.path, Headers(self.headers.items()), body, method=self.command, raw=raw,
                                      status=status))
        if sink.echo:
            shown = raw[:300].decode("utf-8", "replace")
            print(f"[webhook-sink] {self.command} {self.path} -> {status} {shown}", file=sys.stderr, flush=True)
        if sink.delay_s:
            time.sleep(sink.delay_s)
        extra = {"Retry-After": "1"} if status == 429 else {}
        self._answer(status, payload, ctype, extra)

    def _answer(self, status: int, payload: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to tell it

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet; echo covers it
        pass


def start_sink(port: int = 0, **modes: Any) -> tuple[WebhookSink, str, list[Received]]:
    """Start a sink in a background thread. Returns (server, base URL, the list it records into).
    Stop it with ``server.stop()``."""
    server = WebhookSink(port, **modes).start()
    return server, server.url, server.received


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Receive and print PropDesk webhooks on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--fail-first", type=int, default=0, help="fail the first N requests")
    parser.add_argument("--always-fail", action="store_true")
    parser.add_argument("--fail-status", type=int, default=500)
    args = parser.parse_args(argv)
    server, url, _ = start_sink(args.port, fail_first=args.fail_first, always_fail=args.always_fail,
                                fail_status=args.fail_status)
    print(f"webhook sink listening on {url} (Ctrl-C stops it)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
