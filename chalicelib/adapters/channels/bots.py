"""Chat bots and the generic webhook: WeCom, DingTalk, Slack, and PropDesk's signed JSON POST.

==========  ==========================================================================
channel     how, and what counts as delivered
==========  ==========================================================================
wecom       WeCom group bot: ``{"msgtype": "text", "text": {"content"}}``;
            delivered = HTTP 200 and ``errcode == 0``
dingtalk    DingTalk custom robot, same body; with a ``secret`` the URL gets
            ``timestamp`` (ms) and ``sign`` = base64(HMAC-SHA256(secret,
            f"{timestamp}\\n{secret}")), URL-encoded; delivered = ``errcode == 0``
slack       Slack incoming webhook ``{"text"}``; delivered = HTTP 200 and body ``ok``
webhook     JSON POST ``{"event", "id", "sent_at", "ticket", "message"}`` with
            ``X-PropDesk-Timestamp`` (unix s), ``X-PropDesk-Signature: sha256=<hex
            HMAC-SHA256(secret, f"{timestamp}.{body}")>`` and ``Idempotency-Key``;
            delivered = any 2xx. Receivers check with :func:`verify_signature`.
==========  ==========================================================================

HTTP is the standard library's ``urllib`` with the package's ``TIMEOUT_S`` and no redirects
(a signed POST must not be re-sent elsewhere). ``detail`` never carries a webhook's URL
beyond its host (bot URLs embed their keys).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable

from ...domain.messages import Message
from .delivery import Delivery, prefixed as _prefixed, snippet as _snippet, timeout_s

USER_AGENT = "PropDesk-Notifier/1.0"
MAX_RESPONSE_BYTES = 64 * 1024
WECOM_MAX_CONTENT_BYTES = 2048

# Hosts of the bot services; a loopback URL stands in for them in local runs and tests.
PROVIDER_HOSTS = {"wecom": ("qyapi.weixin.qq.com",), "dingtalk": ("oapi.dingtalk.com",),
                  "slack": ("hooks.slack.com",)}
PROVIDER_QUERY = {"wecom": "key", "dingtalk": "access_token"}
# Provider codes that mean "busy / too fast, try later" rather than "this will never work".
RETRYABLE_ERRCODES = {"wecom": {-1, 45009}, "dingtalk": {-1, 130101}}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


# --- validation ---------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(kind: str, url: Any, allow_local: bool) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return "is required: the webhook address"
    if len(url) > 2048 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "must be a single URL without spaces"
    try:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "is not a valid URL"
    if not host:
        return "must be a full URL starting with https://"
    if parts.username or parts.password:
        return "must not contain a user name or password"
    local = is_loopback(host)
    if local and allow_local:
        if parts.scheme not in ("http", "https"):
            return "must start with https://"
        return None  # a local sink stands in for any provider
    if parts.scheme != "https":
        return "must start with https://"
    if local or _is_private_literal(host):
        return "must be a public address"
    expected = PROVIDER_HOSTS.get(kind)
    if expected and host not in expected:
        return f"must be a {kind} bot address on {expected[0]}"
    if kind == "slack" and not parts.path.startswith("/services/"):
        return "must be a Slack incoming-webhook URL (https://hooks.slack.com/services/...)"
    param = PROVIDER_QUERY.get(kind)
    if param and not urllib.parse.parse_qs(parts.query).get(param):
        return f"must include the bot's {param}=... parameter"
    return None


def _is_private_literal(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host.endswith((".local", ".internal", ".localhost"))
    return not ip.is_global


# --- signing ------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int | str) -> str:
    """DingTalk's robot signature, base64 (URL-encode it when putting it in the query)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode("utf-8")
    return base64.b64encode(hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()).decode("ascii")


def sign_webhook(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """The ``X-PropDesk-Signature`` value for a body sent at ``timestamp`` (unix seconds)."""
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + raw, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, timestamp: int | str | None, body: bytes | str, header: str | None,
                     tolerance_s: int = 300, *, now: float | None = None) -> bool:
    """For receivers of the generic webhook: is ``header`` our signature of exactly this body,
    sent within ``tolerance_s`` seconds of ``now``? Compare in constant time; verify the raw
    bytes received, before parsing them."""
    if not secret or not header or timestamp is None:
        return False
    try:
        ts = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        return False
    expected = sign_webhook(secret, ts, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8", "replace"))


# --- sending ------------------------------------------------------------------------------


def send_wecom(channel: dict, message: Message, key: str) -> Delivery:
    content = _truncate_utf8(message.text, WECOM_MAX_CONTENT_BYTES)
    return _bot("wecom", channel["url"], {"msgtype": "text", "text": {"content": content}})


def send_dingtalk(channel: dict, message: Message, key: str) -> Delivery:
    url = channel["url"]
    secret = channel.get("secret")
    if secret:
        timestamp = str(int(time.time() * 1000))
        query = urllib.parse.urlencode({"timestamp": timestamp, "sign": dingtalk_sign(secret, timestamp)})
        url += ("&" if urllib.parse.urlsplit(url).query else "?") + query
    return _bot("dingtalk", url, {"msgtype": "text", "text": {"content": message.text}})


def _bot(kind: str, url: str, payload: dict) -> Delivery:
    answer = _post(url, _json_bytes(payload), {})
    if isinstance(answer, Delivery):
        return _prefixed(kind, answer)
    if answer.status != 200:
        return _prefixed(kind, _status_failure(answer))
    try:
        data = json.loads(answer.body.decode("utf-8"))
        code = int(data.get("errcode"))
    except (ValueError, TypeError, AttributeError):
        return Delivery(False, f"{kind}: {answer.host} answered 200 without an errcode: {_snippet(answer.body)}")
    if code == 0:
        return Delivery(True, f"{kind}: delivered (errcode 0)")
    message = str(data.get("errmsg", ""))[:200]
    retryable = code in RETRYABLE_ERRCODES.get(kind, set())
    why = "busy or rate-limited, try later" if retryable else "refused"
    return Delivery(False, f"{kind}: {why}: errcode {code} {message}".rstrip(), retryable=retryable)


def send_slack(channel: dict, message: Message, key: str) -> Delivery:
    text = message.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    answer = _post(channel["url"], _json_bytes({"text": text}), {})
    if isinstance(answer, Delivery):
        return _prefixed("slack", answer)
    if answer.status == 200 and answer.body.strip() == b"ok":
        return Delivery(True, "slack: delivered")
    if answer.status == 200:
        return Delivery(False, f"slack: answered 200 but not ok: {_snippet(answer.body)}")
    return _prefixed("slack", _status_failure(answer))


def send_webhook(channel: dict, message: Message, key: str) -> Delivery:
    body = _json_bytes(webhook_payload(message, idempotency_key=key))
    timestamp = str(int(time.time()))
    headers = {
        "X-PropDesk-Timestamp": timestamp,
        "X-PropDesk-Signature": sign_webhook(channel["secret"], timestamp, body),
        "X-PropDesk-Event": message.kind or "message",
        "Idempotency-Key": key,
    }
    answer = _post(channel["url"], body, headers)
    if isinstance(answer, Delivery):
        return _prefixed("webhook", answer)
    if 200 <= answer.status < 300:
        return Delivery(True, f"webhook: {answer.host} answered {answer.status}")
    return _prefixed("webhook", _status_failure(answer))


def webhook_payload(message: Message, *, idempotency_key: str, sent_at: datetime | None = None) -> dict:
    """The generic webhook's JSON document (documented for integrators)."""
    facts = dict(message.facts)
    number = facts.pop("ticket", None)
    ticket = {"number": number, **facts} if number else None
    moment = (sent_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return {
        "event": message.kind or "message",
        "id": idempotency_key,
        "sent_at": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "ticket": ticket,
        "message": {"locale": message.locale, "subject": message.subject, "text": message.text},
    }


SENDERS: dict[str, Callable[[dict, Message, str], Delivery]] = {
    "wecom": send_wecom, "dingtalk": send_dingtalk, "slack": send_slack, "webhook": send_webhook,
}


# --- HTTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    host: str
    status: int
    body: bytes
    headers: Any


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None  # urllib then raises HTTPError with the 3xx status


@lru_cache(maxsize=2)
def _opener(loopback: bool) -> urllib.request.OpenerDirector:
    handlers: list[Any] = [_NoRedirect()]
    if loopback:
        handlers.append(urllib.request.ProxyHandler({}))  # a local sink is never behind a proxy
    return urllib.request.build_opener(*handlers)


def _post(url: str, body: bytes, headers: dict[str, str]) -> _Answer | Delivery:
    host = (urllib.parse.urlsplit(url).hostname or "?").lower()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **headers})
    try:
        with _opener(is_loopback(host)).open(request, timeout=timeout_s()) as response:
            return _Answer(host, response.status, response.read(MAX_RESPONSE_BYTES), response.headers)
    except urllib.error.HTTPError as exc:
        try:
            payload = exc.read(MAX_RESPONSE_BYTES)
        except Exception:  # noqa: BLE001 - the status is what matters
            payload = b""
        return _Answer(host, exc.code, payload, exc.headers)
    except urllib.error.URLError as exc:
        return _network_failure(host, exc.reason)
    except (TimeoutError, socket.timeout, OSError, ValueError) as exc:
        # http.client.HTTPException subclasses that matter (RemoteDisconnected) are OSErrors too
        return _network_failure(host, exc)
    except Exception as exc:  # noqa: BLE001 - e.g. http.client.IncompleteRead, BadStatusLine
        return Delivery(False, f"{host}: broken HTTP answer: {type(exc).__name__}", retryable=True)


def _network_failure(host: str, reason: Any) -> Delivery:
    if isinstance(reason, ssl.SSLCertVerificationError):
        return Delivery(False, f"{host}: TLS certificate not valid: {getattr(reason, 'verify_message', '')}",
                        retryable=False)
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return Delivery(False, f"{host}: timed out after {timeout_s():g} s", retryable=True)
    if isinstance(reason, ConnectionRefusedError):
        return Delivery(False, f"{host}: connection refused", retryable=True)
    if isinstance(reason, socket.gaierror):
        return Delivery(False, f"{host}: name did not resolve", retryable=True)
    if isinstance(reason, ValueError):
        return Delivery(False, f"{host}: unusable URL: {reason}", retryable=False)
    return Delivery(False, f"{host}: connection failed: {type(reason).__name__}", retryable=True)


def _status_failure(answer: _Answer) -> Delivery:
    status, snippet = answer.status, _snippet(answer.body)
    if status == 429:
        after = _retry_after(answer.headers)
        wait = f" (retry after {after:g} s)" if after is not None else ""
        return Delivery(False, f"{answer.host} answered 429 too many requests{wait}", retryable=True,
                        retry_after_s=after)
    if status >= 500:
        return Delivery(False, f"{answer.host} answered {status}: {snippet}".rstrip(": "), retryable=True)
    if 300 <= status < 400:
        return Delivery(False, f"{answer.host} answered {status} redirect; the webhook address has moved",
                        retryable=False)
    return Delivery(False, f"{answer.host} refused with {status}: {snippet}".rstrip(": "), retryable=False)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _json_bytes(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _truncate_utf8(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", "ignore") + "…"