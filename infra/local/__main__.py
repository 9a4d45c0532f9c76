"""``python -m infra.local`` (what ``make dev`` runs): the whole stack on this machine.

1. moto's server in this process, as the embedded AWS (table + Cognito user pool); under
   ``--profile cn`` in cn-northwest-1 without Cognito: the KMS key that signs the ``accounts``
   adapter's ID tokens, the SMS and SMTP credentials in Secrets Manager, a local SMTP server
   (``infra/local/mailbox.py``) and the SMS stand-in (``sms_sink.py``);
2. the demo firm (``infra/local/seed.py``) unless ``--no-seed``;
3. the API (``infra/local/serve.py``: chalice local with our gateway, plus the schedule
   loop) as a subprocess started with the stack's environment;
4. a banner once ``/healthz`` answers. Ctrl-C or SIGTERM stops it all (exit code 0);
   if the API process dies, this exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import aws

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "PropDesk local stack is ready"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 8.0

# Inherited variables that would point the stack somewhere else than its own moto.
_FOREIGN_ENV_PREFIXES = ("AWS_ENDPOINT_URL_", "COGNITO_")
_FOREIGN_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
                "PROPDESK_IDENTITY", "PROPDESK_TOKEN_KEY", "PROPDESK_TOKEN_KEY_ID")


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def say(text: str = "") -> None:
    print(text, flush=True)


def drop_foreign_environment() -> None:
    for name in list(os.environ):
        if name.startswith(_FOREIGN_ENV_PREFIXES) or name in _FOREIGN_ENV:
            del os.environ[name]


def wait_until_healthy(url: str, process: subprocess.Popen, stop: threading.Event, timeout: float) -> str | None:
    """None when /healthz answers 200; otherwise why not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stop.is_set():
            return "stopped while starting"
        if process.poll() is not None:
            return f"the API process exited with code {process.returncode} while starting (its output is above)"
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return None
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        stop.wait(0.1)
    return f"the API did not answer {url}/healthz within {timeout:.0f} s"


def stop_process(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def show_deliveries(received: list, stop: threading.Event) -> None:
    """Print what the local webhook sink receives: escalations you can watch happen."""
    shown = 0
    while not stop.wait(1.0):
        while shown < len(received):
            entry = received[shown]
            shown += 1
            payload = entry.body if isinstance(entry.body, dict) else {}
            message = payload.get("message") or {}
            say(f"  webhook {entry.path} <- {payload.get('event', '?')}: {message.get('text', '')[:160]}")


#: The deployment profiles ``--profile`` chooses from (chalicelib/settings.py's PROFILES; not
#: imported here, as chalicelib's models must not load before the stack's environment is set).
PROFILES = ("global", "cn")

#: What the local stack does under each profile, for the banner: what is real, and what not yet.
PROFILE_NOTES = {
    "global": ["staff sign in through Cognito; e-mail through SES, SMS through SNS (all moto)"],
    "cn": [
        f"AWS China: region {aws.CN_REGION} (moto: DynamoDB, S3, KMS, Secrets Manager, arn:aws-cn ARNs);",
        "staff sign in through PropDesk's own accounts (argon2id passwords, ES256 ID tokens signed",
        "by a KMS key; no Cognito); e-mail by the SMTP adapter to a real local SMTP server, SMS by",
        "the Alibaba Cloud SMS SDK to a local stand-in of its API, both with credentials read from",
        "Secrets Manager (no SES, no SNS); invitation and reset codes arrive there too.",
    ],
}


def app_environment(api: str, profile: str) -> dict[str, str]:
    """What the local stack sets for the app (this process's seeding and the served API)."""
    return {"PROPDESK_STAGE": "local", "PROPDESK_PUBLIC_BASE_URL": api, "PROPDESK_PROFILE": profile}


@dataclass
class ChinaMessaging:
    """The cn profile's local outlets: the SMTP server and the SMS provider stand-in."""

    mailbox: object  # infra/local/mailbox.Mailbox
    sms: object  # infra/local/sms_sink.SmsSink
    secrets: dict  # {"sms": ARN, "smtp": ARN}

    def environment(self) -> dict[str, str]:
        """What points the app's smtp and sms_cn adapters here (the SDK's own endpoint setting)."""
        return {"PROPDESK_SMTP_HOST": "127.0.0.1", "PROPDESK_SMTP_PORT": str(self.mailbox.smtp_port),
                "PROPDESK_SMTP_TLS": "none", "PROPDESK_SMTP_SECRET_ARN": self.secrets["smtp"],
                "PROPDESK_SMS_PROVIDER": "aliyun", "PROPDESK_SMS_SECRET_ARN": self.secrets["sms"],
                "PROPDESK_SMS_ENDPOINT": self.sms.url, "PROPDESK_SMS_SIGN_NAME": "PropDesk"}

    def stop(self) -> None:
        self.mailbox.stop()
        self.sms.stop()


def start_china_messaging(stack: aws.LocalAws, smtp_port: int = 0, sms_port: int = 0) -> ChinaMessaging:
    from .mailbox import start_mailbox
    from .sms_sink import start_sms_sink

    secrets = aws.create_provider_secrets(stack)
    mailbox = start_mailbox(smtp_port, login=aws.LOCAL_SMTP_LOGIN)
    try:
        sms = start_sms_sink(sms_port)
    except BaseException:
        mailbox.stop()
        raise
    return ChinaMessaging(mailbox, sms, secrets)


def show_china_messages(messaging: ChinaMessaging, stop: threading.Event) -> None:
    """Print what the local SMTP server and SMS stand-in receive (what, never to whom)."""
    mails = texts = 0
    while not stop.wait(1.0):
        for mail in messaging.mailbox.mails()[mails:]:
            mails += 1
            say(f"  mail (SMTP) <- {mail.subject[:120]}")
        calls = list(messaging.sms.calls)
        for call in calls[texts:]:
            texts += 1
            summary = call.summary()
            say(f"  sms ({summary['provider']}) <- template {summary['template']} {summary['variables'] or ''}")


def banner(api: str, stack: aws.LocalAws, seeded: dict | None, sink_url: str | None = None,
           profile: str = "global", messaging: ChinaMessaging | None = None) -> str:
    notes = PROFILE_NOTES[profile]
    lines = [
        "",
        "PropDesk local stack",
        f"  Profile           {profile}: {notes[0]}",
        *(f"                    {note}" for note in notes[1:]),
        f"  Console           {api}/console  (staff and admins; sign up a new firm at {api}/console/signup)",
        f"  API               {api}",
        f"  OpenAPI           {api}/openapi.json",
    ]
    if seeded:
        slug = seeded["slug"]
        lines.append(f"  Report form       {api}/r/{slug}")
        lines.append(f"  Resident intake   POST {api}/r/{slug}/tickets")
        lines.append(f"  Scorecard         {api}/p/{slug}/scorecard  (last month, frozen by the nightly rollup at 01:00 Shanghai)")
        lines.append(f"  Scores (staff)    {api}/api/scores?by=category")
        if seeded.get("tracking_url"):
            lines.append(f"  Tracking link     {seeded['tracking_url']}")
        for login in seeded["logins"]:
            lines.append(f"  Sign in ({login['role']:<5})   {login['email']}  /  {login['password']}")
    region = getattr(stack, "region", "us-east-1")
    token_key = getattr(stack, "token_key_id", "")
    signer = f"token key {token_key}" if token_key else f"user pool {stack.user_pool_id}"
    lines.append(f"  AWS (moto)        {stack.endpoint}  ({region}; table {stack.table}, {signer})")
    if messaging is not None:
        box, sms = messaging.mailbox, messaging.sms
        lines += [
            f"  Mail (SMTP)       {box.smtp_address}  (plain SMTP, local only; login from {messaging.secrets['smtp']})",
            f"  Mailbox           {box.url}/_received  (every mail the SMTP server accepted; also printed below)",
            f"  SMS (Alibaba)     {sms.url}  (stand-in for dysmsapi.aliyuncs.com; key from {messaging.secrets['sms']})",
            f"  SMS received      {sms.url}/_received  (template codes and variables; also printed below)",
        ]
    if sink_url:
        lines.append(f"  Webhook sink      {sink_url}/_received  (the demo's escalations arrive here and print below;")
        if messaging is None:
            lines.append(f"                    e-mails are in moto's SES: {stack.endpoint}/moto-api/)")
        else:
            lines.append("                    e-mails in the mailbox above)")
    if seeded:
        login = seeded["logins"][0]
        payload = json.dumps({"email": login["email"], "password": login["password"]})
        lines += ["", "  Try it:",
                  f"    curl -s -X POST {api}/auth/signin -H 'Content-Type: application/json' -d '{payload}'"]
    lines += ["", f"{READY_LINE} at {api} (Ctrl-C stops it)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local",
                                     description="Run PropDesk locally: moto as AWS, the API, scheduled jobs.")
    parser.add_argument("--port", type=int, default=8000, help="the API's port (default 8000)")
    parser.add_argument("--moto-port", type=int, default=5050, help="moto's port (default 5050)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--no-seed", action="store_true", help="start empty, without the demo firm")
    parser.add_argument("--sink-port", type=int, default=0, help="the local webhook sink's port (default: any free)")
    parser.add_argument("--profile", choices=PROFILES, default="global",
                        help="deployment profile the app runs as (PROPDESK_PROFILE): global (default) or cn")
    parser.add_argument("--smtp-port", type=int, default=0, help="cn: the local SMTP server's port (default: any free)")
    parser.add_argument("--sms-port", type=int, default=0, help="cn: the SMS stand-in's port (default: any free)")
    args = parser.parse_args(argv)

    for what, host, port in (("API", args.host, args.port), ("moto", "127.0.0.1", args.moto_port)):
        if port_in_use(host, port):
            print(f"Port {port} on {args.host} is in use; choose another with --{'moto-' if what == 'moto' else ''}port.",
                  file=sys.stderr, flush=True)
            return 2
    if args.port == args.moto_port:
        print("--port and --moto-port must differ.", file=sys.stderr, flush=True)
        return 2

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    api = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '') else args.host}:{args.port}"
    moto_server = None
    sink = None
    messaging: ChinaMessaging | None = None
    process: subprocess.Popen | None = None
    china = args.profile == "cn"
    try:
        say(f"Starting moto (the local AWS) on 127.0.0.1:{args.moto_port} ...")
        aws.cheap_transaction_backups()
        moto_server, endpoint = aws.start_moto(args.moto_port)
        stack = aws.create_resources(endpoint, region=aws.CN_REGION if china else "us-east-1")
        drop_foreign_environment()
        aws.use(stack)  # before chalicelib's models are imported: they read the table name then
        os.environ.update(app_environment(api, args.profile))
        if china:
            say("Starting the local SMTP server and the SMS stand-in ...")
            messaging = start_china_messaging(stack, args.smtp_port, args.sms_port)
            os.environ.update(messaging.environment())
            threading.Thread(target=show_china_messages, args=(messaging, stop), daemon=True).start()
        environment = dict(os.environ)

        from .webhook_sink import start_sink
        sink, sink_url, received = start_sink(args.sink_port)
        threading.Thread(target=show_deliveries, args=(received, stop), daemon=True).start()

        seeded = None
        if not args.no_seed and not stop.is_set():
            from . import seed
            say("Seeding the demo firm ...")
            seeded = seed.seed_demo(sink_url=sink_url, duty_phone=seed.DUTY_PHONE if china else None)

        if stop.is_set():
            return 0
        say(f"Starting the API on {api} ...")
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.serve", "--host", args.host, "--port", str(args.port), "--supervised"],
            cwd=str(ROOT), env={**environment, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches only us; we stop it in order
        )
        problem = wait_until_healthy(api, process, stop, READY_TIMEOUT)
        if problem == "stopped while starting":
            return 0
        if problem:
            print(f"PropDesk local stack failed to start: {problem}", file=sys.stderr, flush=True)
            return 1
        say(banner(api, stack, seeded, sink_url, profile=args.profile, messaging=messaging))

        while not stop.wait(0.5):
            if process.poll() is not None:
                print(f"The API process exited with code {process.returncode}; see its output above. "
                      "Stopping the stack.", file=sys.stderr, flush=True)
                return 1
        say("Stopping the PropDesk local stack ...")
        return 0
    finally:
        if process is not None:
            stop_process(process)
            if process.stdin:
                process.stdin.close()
        if sink is not None:
            sink.stop()
        if messaging is not None:
            messaging.stop()
        if moto_server is not None:
            moto_server.stop()
            inner = getattr(moto_server, "_server", None)
            if inner is not None:
                inner.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
