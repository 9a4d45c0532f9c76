"""A local stand-in for Alibaba Cloud SMS and Tencent Cloud SMS on 127.0.0.1, for tests and
the cn profile's local stack: point ``PROPDESK_SMS_ENDPOINT`` at its URL and the official
SDKs send their ``SendSms`` calls here.

It tells the providers apart as they are called (Alibaba's ``x-acs-action`` header and query
parameters, Tencent's ``X-TC-Action`` header and JSON body), answers as each does when the
message is accepted, and records every call as a :class:`SmsCall` (method, path with query,
lower-case headers, raw body) so tests can check its signature. It checks no signature
itself. ``answer = (status, json)`` makes it give that answer instead (a refusal, a 500).
``GET /_received`` lists what arrived in a readable form (provider, number, template,
variables), for a look by hand.

Run it alone with ``python -m infra.local.sms_sink --port 8026``.
"""

from __future__ import annotations

import argparse
import json
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class SmsCall:
    method: str
    path: str
    headers: dict  # lower-case names
    body: bytes

    def summary(self) -> dict:
        """Who was texted which template with which variables (no signature details)."""
        if "x-tc-action" in self.headers:
            request = json.loads(self.body or b"{}")
            return {"provider": "tencent", "action": self.headers["x-tc-action"],
                    "to": request.get("PhoneNumberSet"), "sign": request.get("SignName"),
                    "template": request.get("TemplateId"), "variables": request.get("TemplateParamSet")}
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        variables = query.get("TemplateParam")
        return {"provider": "aliyun", "action": self.headers.get("x-acs-action"), "to": query.get("PhoneNumbers"),
                "sign": query.get("SignName"), "template": query.get("TemplateCode"),
                "variables": json.loads(variables) if variables else None}


class SmsSink(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.calls: list[SmsCall] = []
        self.answer: tuple[int, dict] | None = None
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def start_sms_sink(port: int = 0) -> SmsSink:
    server = SmsSink(port)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


class _Handler(BaseHTTPRequestHandler):
    server: SmsSink

    def log_message(self, *args) -> None:  # noqa: ANN002 - quiet: numbers are personal data
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        if self.path != "/_received":
            self._reply(404, {"error": "not found"})
            return
        with self.server.lock:
            self._reply(200, [call.summary() for call in self.server.calls])

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        call = SmsCall("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        with self.server.lock:
            self.server.calls.append(call)
        if self.server.answer is not None:
            self._reply(*self.server.answer)
        elif "x-tc-action" in call.headers:
            request = json.loads(body or b"{}")
            self._reply(200, {"Response": {"RequestId": "local-request", "SendStatusSet": [
                {"SerialNo": f"local:{len(self.server.calls)}", "PhoneNumber": number, "Fee": 1,
                 "SessionContext": request.get("SessionContext", ""), "Code": "Ok", "Message": "send success",
                 "IsoCode": "CN"} for number in request.get("PhoneNumberSet") or []]}})
        else:
            self._reply(200, {"Code": "OK", "Message": "OK", "BizId": f"local-{len(self.server.calls)}^0",
                              "RequestId": "local-request"})

    def _reply(self, status: int, payload) -> None:  # noqa: ANN001
        raw = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8026)
    args = parser.parse_args()
    server = SmsSink(args.port)
    print(f"SMS stand-in on {server.url} (GET {server.url}/_received)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
