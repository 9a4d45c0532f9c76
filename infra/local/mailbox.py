"""A local SMTP server (aiosmtpd) on 127.0.0.1 for the cn profile's e-mail, in tests and
``make dev --profile cn``: point ``PROPDESK_SMTP_HOST`` / ``PROPDESK_SMTP_PORT`` at it with
``PROPDESK_SMTP_TLS=none`` (plain SMTP, which the smtp adapter allows on local stages only).

With ``login`` it asks for AUTH (PLAIN/LOGIN, over plain SMTP since this is loopback only)
and accepts only that user name and password, so the adapter's Secrets Manager read is
exercised too. Every accepted message is kept as a :class:`Mail`; ``GET /_received`` on the
small HTTP listing (:attr:`Mailbox.url`) shows them as JSON (from, to, subject, date,
Message-ID, text), newest last, for a look by hand.

Run it alone with ``python -m infra.local.mailbox --port 8025``.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import logging
import threading
import time
import warnings
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    message_id: str
    date: str
    authenticated: bool

    def summary(self) -> dict:
        return {"from": self.sender, "to": list(self.recipients), "subject": self.subject, "date": self.date,
                "message_id": self.message_id, "authenticated": self.authenticated, "text": self.text}


@dataclass
class Mailbox:
    smtp_port: int
    login: dict | None = None
    received: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: object = None
    _listing: ThreadingHTTPServer | None = None

    @property
    def smtp_address(self) -> str:
        return f"127.0.0.1:{self.smtp_port}"

    @property
    def url(self) -> str:
        """The HTTP listing (``/_received``), or "" when it was not started."""
        return f"http://127.0.0.1:{self._listing.server_address[1]}" if self._listing else ""

    def mails(self) -> list[Mail]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Mail]:
        """The mails once at least ``count`` arrived (or what arrived by ``timeout``)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.mails()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
        if self._listing is not None:
            self._listing.shutdown()
            self._listing.server_close()


def start_mailbox(smtp_port: int = 0, http_port: int | None = 0, login: dict | None = None) -> Mailbox:
    """Start the SMTP server (a free port unless given) and, unless ``http_port`` is None,
    its HTTP listing. ``login`` = {"username", "password"} makes AUTH required."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from .aws import free_port

    box = Mailbox(smtp_port=smtp_port or free_port(), login=login)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001 - aiosmtpd's hook
            parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                              policy=email.policy.default)
            body = parsed.get_body(preferencelist=("plain",))
            mail = Mail(sender=envelope.mail_from, recipients=tuple(envelope.rcpt_tos),
                        subject=str(parsed.get("Subject", "")), text=body.get_content() if body else "",
                        message_id=str(parsed.get("Message-ID", "")), date=str(parsed.get("Date", "")),
                        authenticated=bool(session.authenticated))
            with box.lock:
                box.received.append(mail)
            return "250 OK queued"

    def authenticate(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        ok = (login is not None and auth_data.login == login["username"].encode()
              and auth_data.password == login["password"].encode())
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself

    options: dict = {}
    if login is not None:
        options.update(authenticator=authenticate, auth_required=True, auth_require_tls=False)
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's per-session lines name addresses
    class QuietController(Controller):
        def factory(self):  # noqa: ANN202 - aiosmtpd's hook: one SMTP session per connection
            with warnings.catch_warnings():  # AUTH over plain SMTP is on purpose: loopback only
                warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
                return super().factory()

    controller = QuietController(Handler(), hostname="127.0.0.1", port=box.smtp_port, **options)
    controller.start()
    box._controller = controller
    if http_port is not None:
        box._listing = _Listing(http_port, box)
        threading.Thread(target=box._listing.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return box


class _Listing(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, box: Mailbox) -> None:
        super().__init__(("127.0.0.1", port), _ListingHandler)
        self.box = box


class _ListingHandler(BaseHTTPRequestHandler):
    server: _Listing

    def log_message(self, *args) -> None:  # noqa: ANN002 - quiet: addresses are personal data
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        if self.path != "/_received":
            status, payload = 404, {"error": "not found; the mailbox is at /_received"}
        else:
            status, payload = 200, [mail.summary() for mail in self.server.box.mails()]
        raw = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025, help="the SMTP port (default 8025)")
    parser.add_argument("--http-port", type=int, default=0, help="the listing's port (default: any free)")
    args = parser.parse_args()
    box = start_mailbox(args.port, args.http_port)
    print(f"SMTP on {box.smtp_address} (plain, no login); received mail at {box.url}/_received", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        box.stop()


if __name__ == "__main__":
    main()
