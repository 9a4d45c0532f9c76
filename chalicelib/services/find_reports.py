"""Find my reports: a resident proves a phone number or e-mail address with a one-time
code and sees that firm's reports from it in the last 12 months.

The same answer whether or not the contact is known: a code is issued (stored hashed)
either way, but sent only to a known contact; the rate limits, the tries and the lock
work the same; and the request takes at least ``MIN_ANSWER_SECONDS`` either way, so the
time of sending does not tell a known contact from an unknown one.

The code is sent directly through the channel adapters, not through the outbox: the
outbox is delivered by the minute sweep (a code that may take a minute to arrive is a
code people give up on) and would keep the plain code in the table until delivered,
where this module stores only its salted HMAC. A failed send is not retried: the page
lets the resident ask again (rate-limited).

Round trips: asking for a code = GetItem (slug) + 2 UpdateItem (limits) + Query (known?)
+ PutItem (code); trying a code = GetItem (slug) + GetItem (code) + UpdateItem (try or
spend) and, when right, a Query (references) + BatchGetItem (statuses).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from ..domain import contacts as rules
from ..domain.errors import InvalidInput, RateLimited
from ..domain.tickets import Ticket
from ..settings import settings
from ..store import contacts as store
from ..store import tenants as tenant_store

MIN_ANSWER_SECONDS = 0.35


def _pepper() -> str:
    return settings().contact_pepper


def contact_references(tenant_id: str, ticket: Ticket, token: str, time_zone: str) -> tuple:
    """The items that make a new ticket findable by its phone and e-mail: saved in the
    ticket's creation transaction (no extra round trip)."""
    found = rules.contacts_of(ticket.contact or {}, time_zone)
    if not found:
        return ()
    sealed = {rules.digest(tenant_id, c, _pepper()): rules.seal(token, tenant_id, c, ticket.id, _pepper())
              for c in found}
    return tuple(store.reference_items(tenant_id, ticket.id, ticket.number, ticket.created_at, sealed))


@dataclass(frozen=True)
class Asked:
    """What the page says after asking for a code (identical for known and unknown contacts)."""
    firm: str
    locale: str
    contact: rules.Contact


def _contact(text: str, time_zone: str) -> rules.Contact:
    try:
        return rules.parse(text, time_zone)
    except rules.NotAContact:
        raise InvalidInput("Enter the phone number or e-mail address you reported with.",
                           {"contact": "must be a phone number or an e-mail address"}) from None


def request_code(slug: str, contact_text: str, *, source_ip: str = "", locale: str | None = None,
                 now: datetime | None = None, send: Callable | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> Asked:
    started = time.monotonic()
    now = now or datetime.now(timezone.utc)
    profile = tenant_store.intake_profile(slug, take_ticket_number=False)
    contact = _contact(contact_text, profile.time_zone)
    digest = rules.digest(profile.tenant_id, contact, _pepper())
    _take_limits(profile.tenant_id, digest, source_ip, now)
    known = bool(store.references(profile.tenant_id, digest, now - rules.LOOKBACK, limit=1))
    issued = rules.new_code(now, _pepper())
    store.put_code(profile.tenant_id, digest, issued, now)
    if known:
        _send(contact, issued.code, profile.name, locale or profile.locale, send)
    # Unknown contacts get the same page after the same time: nothing tells them apart.
    left = MIN_ANSWER_SECONDS - (time.monotonic() - started)
    if left > 0:
        sleep(left)
    return Asked(profile.name, profile.locale, contact)


def _take_limits(tenant_id: str, digest: str, source_ip: str, now: datetime) -> None:
    from ..store.tickets import Limit, take
    from .limits import _window
    window, expiry = _window(now, rules.CODE_WINDOW)
    limits = [Limit(f"RATE#code#{digest[:32]}#{window}", rules.CODES_PER_CONTACT, expiry, "contact")]
    if source_ip:
        import hashlib
        who = hashlib.sha256(f"{tenant_id}|{source_ip}".encode()).hexdigest()[:32]
        limits.append(Limit(f"RATE#codeip#{who}#{window}", rules.CODES_PER_ADDRESS, expiry, "address"))
    for limit in limits:
        if not take(tenant_id, limit):
            raise RateLimited("Too many codes asked for just now. Please wait and try again later.",
                              {"contact": f"the {limit.scope} limit of {limit.limit} codes an hour was reached"})


def _send(contact: rules.Contact, code: str, firm: str, locale: str, send: Callable | None) -> None:
    from ..domain.messages import Message
    from ..observability import logger, metrics
    if send is None:
        from ..adapters.channels import send
    subject, text = rules.code_text(locale, firm, code)
    try:
        outcome = send(contact.channel, Message(subject=subject, text=text, kind="contact_code", locale=locale),
                       idempotency_key=rules.code_hash(code, "key", _pepper())[:32])
    except ValueError:  # not a number an SMS can reach (no country code known): nothing sent
        metrics.count("ContactCodeNotSendable")
        return
    if not outcome.ok:  # never the contact or the code in a log
        logger.warning("contact code not sent", extra={"channel": contact.channel["channel"]})
        metrics.count("ContactCodeFailed")
    else:
        metrics.count("ContactCodeSent")


class WrongCode(Exception):
    """A wrong code: ``tries_left`` more before the code locks."""

    def __init__(self, tries_left: int) -> None:
        super().__init__(f"wrong code, {tries_left} tries left")
        self.tries_left = tries_left


class CodeLocked(Exception):
    """Five wrong tries: this code is dead; ask for a new one."""


class CodeExpired(Exception):
    """No live code for this contact (never asked, expired, or already used)."""


@dataclass(frozen=True)
class FoundReport:
    number: int
    created_at: datetime
    status: str
    category: str
    unit: str
    tracking_token: str | None


@dataclass(frozen=True)
class Found:
    firm: str
    locale: str
    time_zone: str
    contact: rules.Contact
    reports: list[FoundReport]


def find(slug: str, contact_text: str, code: str, *, now: datetime | None = None) -> Found:
    """Check the code; when right, spend it and list the contact's reports (newest first)."""
    now = now or datetime.now(timezone.utc)
    profile = tenant_store.intake_profile(slug, take_ticket_number=False)
    contact = _contact(contact_text, profile.time_zone)
    digest = rules.digest(profile.tenant_id, contact, _pepper())
    stored = store.get_code(profile.tenant_id, digest)
    if stored is None or stored.used or stored.valid_until <= now:
        raise CodeExpired()
    if stored.tries >= rules.MAX_TRIES:
        raise CodeLocked()
    if not rules.code_matches(code, stored.salt, stored.code_hash, _pepper()):
        tries = store.count_wrong_try(profile.tenant_id, digest, stored)
        if tries is None or tries >= rules.MAX_TRIES:
            raise CodeLocked()
        raise WrongCode(rules.MAX_TRIES - tries)
    if not store.use_code(profile.tenant_id, digest, stored, now):
        raise CodeExpired()
    refs = store.references(profile.tenant_id, digest, now - rules.LOOKBACK)
    facts = store.statuses(profile.tenant_id, [r.ticket_id for r in refs])
    reports = [FoundReport(r.number, r.created_at, facts[r.ticket_id]["status"], facts[r.ticket_id]["category"],
                           facts[r.ticket_id]["unit"],
                           rules.unseal(r.sealed, profile.tenant_id, contact, r.ticket_id, _pepper()))
               for r in refs if r.ticket_id in facts]  # a deleted ticket's reference is skipped
    return Found(profile.name, profile.locale, profile.time_zone, contact, reports)


def code_valid_for() -> timedelta:
    return rules.CODE_VALID
