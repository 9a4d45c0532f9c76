"""Admins check the notification channels of their escalation chain: what each one is
(without its secret, a webhook only by its host) and one test message sent to it now.

A channel is an entry of ``escalation.level1.notify`` / ``level2.notify`` in the firm's
standards. Entries carry no id, so a channel is named by ``<kind>-<8 hex>``, a hash of its
kind and address: stable while the entry stays, the same in both levels (as the escalation
sender treats it), and safe to put in a form or a URL (it reveals no key). An entry may
carry its own ``name`` ("Duty manager"); that is shown and accepted too.

A test message goes out once, straight through the channel sender (no outbox, no retry):
the admin sees at once whether it was delivered, and why not. ``reason`` is a short code
for the outcome (``sent``, ``http-404``, ``errcode-93000``, ``timeout``...), fit for a
redirect's query string; ``detail`` is the sender's own words, which never carry a URL
beyond its host nor a secret.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from datetime import datetime, timezone
from typing import Any

from ..domain.errors import NotFound
from ..domain.identity import Identity
from ..domain.tokens import new_id

LEVELS = ("level1", "level2")
RESIDENT_MESSAGES = ("visit_reminder", "survey_invite")  # sent to a resident's own phone or e-mail
REASON = re.compile(r"[a-z0-9-]{1,40}")


def channel_key(entry: dict) -> str:
    kind = str(entry.get("channel") or "")
    target = str(entry.get("to") or entry.get("url") or "")
    digest = hashlib.sha256(f"{kind}\0{target}".encode("utf-8")).hexdigest()[:8]
    return f"{kind}-{digest}"


def where(entry: dict) -> str:
    """Where a channel delivers, fit to show: an address or number as written, a URL only
    by its host (bot URLs carry their keys in the path or query)."""
    if entry.get("channel") in ("email", "sms"):
        return str(entry.get("to") or "")
    try:
        parts = urllib.parse.urlsplit(str(entry.get("url") or ""))
        return parts.netloc.rpartition("@")[2] or "?"
    except ValueError:
        return "?"


def describe(entry: Any) -> dict:
    """One channel as admins see it: key, name (the entry's own, if any), kind and where."""
    if not isinstance(entry, dict):
        return {"key": "", "name": "", "kind": "", "where": "?"}
    name = entry.get("name")
    return {"key": channel_key(entry), "name": name.strip() if isinstance(name, str) else "",
            "kind": str(entry.get("channel") or ""), "where": where(entry)}


def listed(standards: dict) -> list[dict]:
    """Every distinct channel of the escalation chain, in chain order, with the levels it
    is in (the same address in both levels is one channel, as the sender treats it)."""
    found: dict[str, dict] = {}
    escalation = standards.get("escalation") if isinstance(standards, dict) else None
    for level in LEVELS:
        spec = escalation.get(level) if isinstance(escalation, dict) else None
        notify = spec.get("notify") if isinstance(spec, dict) else None
        for entry in notify if isinstance(notify, list) else []:
            if not isinstance(entry, dict):
                continue
            view = describe(entry)
            known = found.setdefault(view["key"], {**view, "levels": []})
            if level not in known["levels"]:
                known["levels"].append(level)
            if not known["name"] and view["name"]:
                known["name"] = view["name"]
    return list(found.values())


def failed_delivery(notification: dict) -> dict:
    """A failed notification for the admins' list: the channel described like the chain's
    (a resident's own phone or e-mail is not shown; it is on the ticket)."""
    channel = notification.get("channel") or {}
    view = describe(channel)
    if notification.get("kind") in RESIDENT_MESSAGES:
        view["where"] = ""
        view["resident"] = True
    return {**notification, "channel": view}


def _find(standards: dict, channel_name: str) -> dict | None:
    escalation = standards.get("escalation") if isinstance(standards, dict) else None
    for level in LEVELS:
        spec = escalation.get(level) if isinstance(escalation, dict) else None
        notify = spec.get("notify") if isinstance(spec, dict) else None
        for entry in notify if isinstance(notify, list) else []:
            if isinstance(entry, dict) and channel_name in (channel_key(entry), entry.get("name")):
                return entry
    return None


def send_test(who: Identity, channel_name: str, lang: str, now: datetime | None = None) -> dict:
    """Send one test message to a channel of the firm's escalation chain, now. Admins only;
    a name that is not in the chain (another firm's included) is NotFound. Never raises for
    a failed delivery: ``ok`` is False and ``reason`` / ``detail`` say why (``too-many``:
    the channel had its test messages for these 10 minutes, and nothing was sent)."""
    who.require_admin()
    from ..adapters import channels
    from ..domain.messages import render
    from ..store import tenants as store
    from ..store import tickets as ticket_store
    from . import limits

    tenant, standards, _ = store.get_tenant_and_standards(who.tenant_id)
    entry = _find(standards, channel_name or "")
    if entry is None:
        raise NotFound("No such channel in your escalation chain.")
    view = describe(entry)
    if not ticket_store.take(who.tenant_id, limits.channel_test_limit(view["key"], now or datetime.now(timezone.utc))):
        return {**view, "ok": False, "retryable": True, "reason": "too-many",
                "detail": f"at most {limits.TESTS_PER_CHANNEL} test messages to a channel in {limits.TEST_WINDOW}"}
    message = render("test_message", lang, {"firm": tenant.name})
    try:
        delivery = channels.send(entry, message, idempotency_key=f"test-{new_id()}")
    except ValueError as exc:  # the entry passed the standards' checks but not the sender's
        return {**view, "ok": False, "retryable": False, "reason": "unusable",
                "detail": str(exc).replace("malformed channel entry: ", "")}
    return {**view, "ok": delivery.ok, "retryable": delivery.retryable, "detail": delivery.detail,
            "reason": reason_code(delivery.ok, delivery.detail, delivery.retryable)}


def reason_code(ok: bool, detail: str, retryable: bool) -> str:
    """The outcome as a short code (for a redirect's query string and a translated sentence)."""
    if ok:
        return "sent"
    found = re.search(r"(?:answered|refused with) (\d{3})\b", detail)
    if found:
        return f"http-{found.group(1)}"
    found = re.search(r"errcode (-?\d{1,9})\b", detail)
    if found:
        return f"errcode-{found.group(1).replace('-', 'm')}"
    for needle, code in (("timed out", "timeout"), ("connection refused", "connection-refused"),
                         ("did not resolve", "dns"), ("TLS certificate", "tls"), ("not configured", "not-configured"),
                         ("could not reach AWS", "unreachable"), ("unusable URL", "unusable")):
        if needle in detail:
            return code
    return "try-later" if retryable else "refused"
