"""Residents' contacts as keys (by digest only) and their one-time codes.

Key layout, under the firm's partition ``TENANT#<tid>``:

    CONTACT#<digest>#<created ISO UTC>#<ticket id>   a ticket reported with that contact
    CODE#<digest>                                    the contact's current one-time code

A contact's reports of the last 12 months are one key-range Query (never a Scan); the
references are written in the ticket's creation transaction (``reference_items``).
Codes are checked against ``valid_until`` on every try: TTL (``expires_at``) only tidies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from ..domain import contacts as rules
from .models import ContactCodeItem, ContactRefItem, Item, TicketItem, tenant_pk
from .items import iso_utc, ticket_sk


def contact_prefix(digest: str) -> str:
    return f"CONTACT#{digest}#"


def code_sk(digest: str) -> str:
    return f"CODE#{digest}"


def reference_items(tenant_id: str, ticket_id: str, number: int, created_at: datetime,
                    sealed_by_digest: dict[str, str]) -> list[ContactRefItem]:
    """The ticket's contact references, to save in its creation transaction."""
    expires = int((created_at + rules.REFERENCE_KEPT).timestamp())
    return [ContactRefItem(tenant_pk(tenant_id), f"{contact_prefix(d)}{iso_utc(created_at)}#{ticket_id}",
                           ticket_id=ticket_id, number=number, created_at=created_at, sealed=sealed,
                           expires_at=expires)
            for d, sealed in sealed_by_digest.items()]


@dataclass(frozen=True)
class Reference:
    ticket_id: str
    number: int
    created_at: datetime
    sealed: str


def references(tenant_id: str, digest: str, since: datetime, limit: int | None = None) -> list[Reference]:
    """The contact's reports since ``since``, newest first: one Query on the key range."""
    prefix = contact_prefix(digest)
    items = ContactRefItem.query(tenant_pk(tenant_id), ContactRefItem.sk.between(prefix + iso_utc(since), prefix + "~"),
                                 scan_index_forward=False, limit=limit, consistent_read=True)
    return [Reference(i.ticket_id, int(i.number), i.created_at, i.sealed) for i in items]


def statuses(tenant_id: str, ticket_ids: list[str]) -> dict[str, dict]:
    """Status and category of each ticket: one BatchGetItem."""
    if not ticket_ids:
        return {}
    pk = tenant_pk(tenant_id)
    found = {}
    for item in Item.batch_get([(pk, ticket_sk(t)) for t in dict.fromkeys(ticket_ids)]):
        if isinstance(item, TicketItem):
            found[item.ticket_id] = {"status": item.status, "category": item.category, "unit": item.unit}
    return found


# --- codes -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredCode:
    salt: str
    code_hash: str
    valid_until: datetime
    tries: int
    used: bool


def put_code(tenant_id: str, digest: str, issued: rules.IssuedCode, now: datetime) -> None:
    """The contact's new code replaces any earlier one (one PutItem)."""
    ContactCodeItem(tenant_pk(tenant_id), code_sk(digest), salt=issued.salt, code_hash=issued.code_hash,
                    valid_until=issued.expires_at, tries=0, used=False, created_at=now,
                    expires_at=int(issued.expires_at.timestamp()) + 3600).save()


def get_code(tenant_id: str, digest: str) -> StoredCode | None:
    try:
        item = ContactCodeItem.get(tenant_pk(tenant_id), code_sk(digest), consistent_read=True)
    except DoesNotExist:
        return None
    return StoredCode(item.salt, item.code_hash, item.valid_until, int(item.tries or 0), bool(item.used))


def count_wrong_try(tenant_id: str, digest: str, code: StoredCode) -> int | None:
    """Count one wrong try against this very code (the salt names it). Returns the tries now
    counted, or None when it was already locked or replaced meanwhile."""
    item = ContactCodeItem(tenant_pk(tenant_id), code_sk(digest))
    try:
        item.update(actions=[ContactCodeItem.tries.add(1)],
                    condition=(ContactCodeItem.salt == code.salt) & (ContactCodeItem.tries < rules.MAX_TRIES))
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            return None
        raise
    return int(item.tries)


def use_code(tenant_id: str, digest: str, code: StoredCode, now: datetime) -> bool:
    """Spend a right code once: False if it was used, locked, replaced or expired meanwhile."""
    item = ContactCodeItem(tenant_pk(tenant_id), code_sk(digest))
    try:
        item.update(actions=[ContactCodeItem.used.set(True)],
                    condition=(ContactCodeItem.salt == code.salt) & (ContactCodeItem.tries < rules.MAX_TRIES)
                    & (ContactCodeItem.used == False) & (ContactCodeItem.valid_until > now))  # noqa: E712
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise
    return True
