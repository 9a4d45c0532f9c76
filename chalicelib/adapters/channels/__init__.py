"""Notification senders: one recipient entry of an escalation chain, one message, one try.

``send(channel, message, idempotency_key=...)`` makes a single delivery attempt and
answers a :class:`Delivery`; it never raises for a failed delivery (the outbox decides
whether and when to try again from ``retryable``), only ``ValueError`` for an entry that
``validate_channel`` would refuse.

One module per channel family; the deployment profile (``PROPDESK_PROFILE``) picks how
e-mail and SMS travel, the bots are the same everywhere:

==========  ===================================  ==========================================
channel     ``global`` profile                   ``cn`` profile (AWS China: no SES, no SNS SMS)
==========  ===================================  ==========================================
email       ``aws``: SES ``SendEmail`` from      ``smtp``: any SMTP relay over TLS, login
            ``PROPDESK_MAIL_FROM``               from Secrets Manager
sms         ``aws``: SNS ``Publish``             ``sms_cn``: Alibaba Cloud or Tencent Cloud
                                                 SMS (``PROPDESK_SMS_PROVIDER``), as an
                                                 approved template code plus variables
wecom, dingtalk, slack, webhook                  ``bots``: HTTPS POSTs, signed where the
                                                 service (or our webhook) asks for it
==========  ===================================  ==========================================

Failures: connection errors, timeouts, HTTP 5xx and 429, AWS throttling and provider
"busy / too fast" codes are retryable; other 4xx, redirects, provider error codes, AWS
rejections and configuration errors are not, and ``detail`` says why. ``detail`` never
carries a webhook's URL beyond its host (bot URLs embed their keys) nor a recipient's address.

Nothing here builds a client or imports an SDK until the first send.
:func:`check_configuration` is what a ``cn`` deployment runs at start: a message kind ×
locale without an approved SMS template is a :class:`ConfigurationError` naming each one.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable

from ...domain.messages import Message
from ...settings import settings
from . import aws, sms_cn, smtp
from .aws import client_for as _client  # noqa: F401 - the cached boto3 clients (tests look at the cache)
from .delivery import E164_RE, EMAIL_RE, ConfigurationError, Delivery, phone

__all__ = ["CHANNELS", "ConfigurationError", "Delivery", "check_configuration", "dingtalk_sign", "mail_from",
           "profile", "reset_clients", "send", "sign_webhook", "validate_channel", "verify_signature",
           "webhook_payload"]

log = logging.getLogger("propdesk.channels")

CHANNELS = ("email", "sms", "wecom", "dingtalk", "slack", "webhook")
PROFILES = ("global", "cn")
TIMEOUT_S = 5.0  # per try, for every family (read at call time)
DEFAULT_MAIL_FROM = "noreply@propdesk.local"

# The bots' HTTP and signing (urllib.request, ssl), smtplib and the SMS SDKs load on first use:
# importing this package stays cheap enough for check_configuration() at a cold start.
_FROM_BOTS = ("dingtalk_sign", "sign_webhook", "verify_signature", "webhook_payload")


def __getattr__(name: str) -> Any:
    if name in _FROM_BOTS:
        from . import bots

        return getattr(bots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def profile() -> str:
    """``global`` or ``cn``: the deployment profile (settings' ``profile``, else ``PROPDESK_PROFILE``)."""
    chosen = getattr(settings(), "profile", None) or os.environ.get("PROPDESK_PROFILE") or "global"
    return chosen.strip().lower()


# --- validation ---------------------------------------------------------------------------


def validate_channel(entry: Any, *, allow_local: bool | None = None) -> dict[str, str]:
    """Problems with one escalation-chain recipient, as field → reason ({} when fine).

    ``allow_local`` (default: the stage is local or test) admits ``http://127.0.0.1`` and
    ``localhost`` URLs for local sinks; deployed, loopback and private addresses are refused."""
    if not isinstance(entry, dict):
        return {"channel": "must be a mapping such as {channel: email, to: ops@example.com}"}
    kind = entry.get("channel")
    if kind not in CHANNELS:
        return {"channel": "must be one of: " + ", ".join(CHANNELS)}
    if allow_local is None:
        allow_local = settings().is_local
    problems: dict[str, str] = {}
    if kind == "email":
        to = entry.get("to")
        if not isinstance(to, str) or not to.strip():
            problems["to"] = "is required: the e-mail address to notify"
        elif len(to) > 254 or not EMAIL_RE.fullmatch(to.strip()):
            problems["to"] = "must be an e-mail address like ops@example.com"
    elif kind == "sms":
        to = entry.get("to")
        if not isinstance(to, str) or not to.strip():
            problems["to"] = "is required: the mobile number to text"
        elif not E164_RE.fullmatch(phone(to)):
            problems["to"] = "must be a mobile number in international form, e.g. +8613800138000"
    else:
        from . import bots

        url = entry.get("url")
        reason = bots.url_problem(kind, url, allow_local)
        if reason:
            problems["url"] = reason
        secret = entry.get("secret")
        if kind == "webhook":
            if not isinstance(secret, str) or not secret:
                problems["secret"] = "is required: the shared secret requests are signed with"
        elif kind == "dingtalk" and secret is not None:
            if not isinstance(secret, str) or not secret.startswith("SEC"):
                problems["secret"] = "must be the robot's signing secret (it starts with SEC)"
    return problems


# --- sending ------------------------------------------------------------------------------


def send(channel: dict, message: Message, *, idempotency_key: str) -> Delivery:
    problems = validate_channel(channel)
    if problems:
        raise ValueError("malformed channel entry: " + "; ".join(f"{k} {v}" for k, v in problems.items()))
    from ...observability import subsegment  # Powertools (and botocore with it) only once sending

    kind = channel["channel"]
    try:
        with subsegment(f"channel {kind}", channel=kind):  # the provider's call, timed in the trace
            return _sender(kind)(channel, message, idempotency_key)
    except Exception as exc:  # a bug of ours, not a delivery outcome: report it, do not loop on it
        log.exception("channel %s: unexpected error", kind)
        return Delivery(False, f"{kind}: internal error {type(exc).__name__}", retryable=False)


def _sender(kind: str) -> Callable[[dict, Message, str], Delivery]:
    china = profile() == "cn"
    if kind == "email":
        family = smtp.send_email if china else aws.send_email
        return lambda channel, message, key: family(channel, message, key, mail_from())
    if kind == "sms":
        return sms_cn.send_sms if china else aws.send_sms
    from . import bots

    return bots.SENDERS[kind]


def mail_from() -> str:
    return (getattr(settings(), "mail_from", "") or os.environ.get("PROPDESK_MAIL_FROM") or DEFAULT_MAIL_FROM)


def reset_clients() -> None:
    """Forget cached clients, secrets and the SMS template mapping (after the endpoint,
    region or configuration changed, e.g. in tests)."""
    aws.reset()
    sms_cn.reset()


# --- start-up check -----------------------------------------------------------------------


def check_configuration() -> dict[str, str]:
    """What the deployment will send through, checked without sending anything: for the ``cn``
    profile, the SMS provider and its template mapping against every message kind × locale,
    and the SMTP TLS setting. Raises :class:`ConfigurationError` listing every problem. Reads
    only local data (no AWS call, no SDK import): cheap enough for a cold start."""
    chosen = profile()
    if chosen not in PROFILES:
        raise ConfigurationError([f"PROPDESK_PROFILE must be one of {', '.join(PROFILES)}, not {chosen!r}"])
    if chosen == "global":
        return {"profile": "global", "email": "SES", "sms": "SNS"}
    config = settings().messaging
    problems: list[str] = []
    try:
        sms_cn.templates(config)
    except ConfigurationError as exc:
        problems.extend(exc.problems)
    try:
        mode = smtp.tls_mode(config.smtp_port, config.smtp_tls)
        if mode == "none" and not settings().is_local:
            problems.append("PROPDESK_SMTP_TLS=none is allowed only on a local stage")
    except ValueError as exc:
        problems.append(str(exc))
        mode = "?"
    if problems:
        raise ConfigurationError(problems)
    return {"profile": "cn", "email": f"SMTP {config.smtp_host or '(host not set)'}:{config.smtp_port} ({mode})",
            "sms": f"{config.sms_provider} (signature 【{config.sms_sign_name}】)"}
