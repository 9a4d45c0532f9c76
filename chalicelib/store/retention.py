"""Erasing a ticket's personal data: one transaction, guarded by the version read.

The ticket without the data, the timeline event that says so and the removal of the
contact's find-my-reports references (``CONTACT#<digest>#<created>#<ticket id>``) are
written together or not at all. Score counters are not touched: erasure changes no fact
they count.

Before that, ``scrub_messages`` takes the resident's address out of every message about the
ticket (the step messages ``OUTBOX#R#<ticket>#<seq>``, one key-range Query; the survey
invitation and visit reminders, whose ids follow from their step keys) and out of the
watch's recipients; a message still held is stopped. It is idempotent, so a sweep that
stops between the two simply does it again.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.errors import Conflict
from ..domain.tickets import Event, Ticket
from .contacts import contact_prefix
from .items import cancel_reasons, connection, event_item, iso_utc, plain, ticket_item
from .escalations import OutboxEntry, watch_sk
from .models import ContactRefItem, EventItem, Item, OutboxItem, TicketItem, WatchItem, tenant_pk


def reference_sks(ticket: Ticket, digests: list[str]) -> list[str]:
    """The keys of the ticket's references for each of its contacts' digests."""
    return [f"{contact_prefix(d)}{iso_utc(ticket.created_at)}#{ticket.id}" for d in digests]


def erase(tenant_id: str, before: Ticket, after: Ticket, event: Event, reference_keys: list[str] = (),
          freed_photo_bytes: int = 0) -> None:
    """Save ``after`` (the ticket without the erased data) and its event; delete the
    references; take erased photos' bytes off the firm's stored total. Conflict when the
    ticket changed since ``before`` was read."""
    from . import metering
    pk = tenant_pk(tenant_id)
    try:
        with TransactWrite(connection=connection()) as tx:
            for sk in reference_keys:
                tx.delete(ContactRefItem(pk, sk))
            tx.save(ticket_item(tenant_id, after),
                    condition=TicketItem.pk.exists() & (TicketItem.version == before.version))
            tx.save(event_item(tenant_id, after.id, event), condition=EventItem.pk.does_not_exist())
            metering.free_photo_bytes(tenant_id, tx, freed_photo_bytes)
    except TransactWriteError as error:
        if {"ConditionalCheckFailed", "TransactionConflict"} & set(cancel_reasons(error)):
            raise Conflict("The ticket changed while its data was being erased.",
                           {"ticket": f"version {before.version} is no longer current"}) from error
        raise


def resident_message_keys(tenant_id: str, ticket: Ticket, steps: list[str], recipients: list[dict]) -> list[str]:
    """The outbox keys of the survey invitation and visit reminders the ticket's ``steps``
    (step keys) sent to ``recipients`` (the resident's channels): the same ids the sweep gave them."""
    return [f"OUTBOX#{OutboxEntry(tenant_id, ticket.id, step, r, '', '', {}).outbox_id}"
            for step in steps for r in recipients]


def resident_messages(tenant_id: str, ticket_id: str, computed_keys: list[str]) -> list[OutboxItem]:
    """The ticket's messages to its resident: its step messages (one key-range Query) and
    those of ``computed_keys`` that exist (one BatchGetItem)."""
    pk = tenant_pk(tenant_id)
    prefix = f"OUTBOX#R#{ticket_id}#"  # store/notices.outbox_id: the step messages of this ticket
    found = list(OutboxItem.query(pk, OutboxItem.sk.startswith(prefix), consistent_read=True))
    if computed_keys:
        found += [i for i in Item.batch_get([(pk, sk) for sk in computed_keys], consistent_read=True)
                  if isinstance(i, OutboxItem)]
    return found


def scrub_messages(tenant_id: str, ticket_id: str, computed_keys: list[str], now: datetime) -> int:
    """Remove the resident's address from the ticket's messages and its watch. Returns how
    many messages were touched."""
    pk = tenant_pk(tenant_id)
    found = resident_messages(tenant_id, ticket_id, computed_keys)
    for item in found:
        actions = [OutboxItem.channel.set({"channel": plain(item.channel).get("channel") or ""}),
                   OutboxItem.updated_at.set(now)]
        if item.status == "pending":
            actions += [OutboxItem.status.set("stopped"), OutboxItem.work_pk.remove(), OutboxItem.work_sk.remove()]
        OutboxItem(pk, item.sk).update(actions=actions)
    try:
        WatchItem(pk, watch_sk(ticket_id)).update(
            actions=[WatchItem.recipients["survey"].remove(), WatchItem.recipients["visit"].remove()],
            condition=WatchItem.pk.exists())
    except UpdateError:
        pass  # no watch: nothing to scrub
    return len(found)


def log_event(tenant_id: str, ticket_id: str, event: Event) -> None:
    """A timeline entry that changes nothing on the ticket (e.g. the resident downloaded their data)."""
    event_item(tenant_id, ticket_id, event).save(condition=EventItem.pk.does_not_exist())
