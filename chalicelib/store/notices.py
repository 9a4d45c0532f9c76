"""Messages to residents in the outbox: written inside the transaction of the step they tell.

A resident's message is one outbox item per ticket and sequence number
(``OUTBOX#R#<ticket>#<seq>``), delivered by the minute sweep like every other entry. A step
that comes while the message is held joins it (``notice_steps`` appended, ``rev`` + 1) only
if it is still pending; the sweep's claim checks ``rev``, so a step appended after the
sweep read the item makes that claim fail and the next sweep sends the whole message.
A short link (``LINK#<sha256>``) written with the ticket lets ``/m/{short}`` find it.

Nothing here costs a round trip of its own: each function adds items to a transaction
the caller opened (store/tickets.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from ..domain import tokens
from .models import LinkItem, OutboxItem, tenant_pk


def outbox_id(ticket_id: str, seq: int) -> str:
    return f"R#{ticket_id}#{seq:04d}"


def link_pk(short: str) -> str:
    return f"LINK#{tokens.digest(short)}"


@dataclass(frozen=True)
class NewMessage:
    """Open message ``seq`` with its first step, to go at ``deliver_at``."""
    tenant_id: str
    ticket_id: str
    seq: int
    channel: dict
    locale: str
    data: dict
    step: dict
    deliver_at: datetime


@dataclass(frozen=True)
class JoinMessage:
    """Add a step to message ``seq``, still held."""
    tenant_id: str
    ticket_id: str
    seq: int
    step: dict


@dataclass(frozen=True)
class CancelMessage:
    """The resident stopped messages: the held one is not sent."""
    tenant_id: str
    ticket_id: str
    seq: int


class MessageTaken(Exception):
    """The held message was claimed by the sweep before this step could join it."""


def iso_utc(moment: datetime) -> str:
    from .items import iso_utc as iso
    return iso(moment)


def add_to(tx, write, now: datetime) -> str:
    """Put a message write into an open transaction. Returns "put" or "update" (PynamoDB
    sends puts before updates: callers place cancellation reasons by it)."""
    from .items import shard_of
    pk = tenant_pk(write.tenant_id)
    oid = outbox_id(write.ticket_id, write.seq)
    if isinstance(write, NewMessage):
        tx.save(OutboxItem(pk, f"OUTBOX#{oid}", outbox_id=oid, tenant_id=write.tenant_id, ticket_id=write.ticket_id,
                           step=f"notice:{write.seq}", channel=write.channel, message_kind="resident_update",
                           locale=write.locale, data=write.data, status="pending", attempts=0, created_at=now,
                           updated_at=now, notice_steps=[write.step], rev=1, work_pk=f"OUT#{shard_of(oid)}",
                           work_sk=f"{iso_utc(write.deliver_at)}#{write.tenant_id}#{oid}"),
                condition=OutboxItem.pk.does_not_exist())
        return "put"
    if isinstance(write, JoinMessage):
        tx.update(OutboxItem(pk, f"OUTBOX#{oid}"),
                  actions=[OutboxItem.notice_steps.set(OutboxItem.notice_steps.append([write.step])),
                           OutboxItem.rev.add(1), OutboxItem.updated_at.set(now)],
                  condition=OutboxItem.status == "pending")
        return "update"
    tx.update(OutboxItem(pk, f"OUTBOX#{oid}"),
              actions=[OutboxItem.status.set("stopped"), OutboxItem.work_pk.remove(), OutboxItem.work_sk.remove(),
                       OutboxItem.updated_at.set(now), OutboxItem.data.set({})],
              condition=OutboxItem.status == "pending")
    return "update"


def link_item(short: str, tenant_id: str, ticket_id: str) -> LinkItem:
    return LinkItem(link_pk(short), "LINK", tenant_id=tenant_id, ticket_id=ticket_id)


def find_link(short: str) -> tokens.CapabilityToken | None:
    """The long tracking token a message's short link stands for (one GetItem), or None."""
    if tokens.short_secret(short) is None:
        return None
    try:
        item = LinkItem.get(link_pk(short), "LINK")
    except DoesNotExist:
        return None
    return tokens.from_short(item.tenant_id, item.ticket_id, short)
