"""Erasing a ticket's personal data: one transaction, guarded by the version read.

The ticket without the data, the timeline event that says so and the removal of the
contact's find-my-reports references (``CONTACT#<digest>#<created>#<ticket id>``) are
written together or not at all. Score counters are not touched: erasure changes no fact
they count.
"""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.errors import Conflict
from ..domain.tickets import Event, Ticket
from .contacts import contact_prefix
from .items import cancel_reasons, connection, event_item, iso_utc, ticket_item
from .models import ContactRefItem, EventItem, TicketItem, tenant_pk


def reference_sks(ticket: Ticket, digests: list[str]) -> list[str]:
    """The keys of the ticket's references for each of its contacts' digests."""
    return [f"{contact_prefix(d)}{iso_utc(ticket.created_at)}#{ticket.id}" for d in digests]


def erase(tenant_id: str, before: Ticket, after: Ticket, event: Event, reference_keys: list[str] = ()) -> None:
    """Save ``after`` (the ticket without the erased data) and its event; delete the
    references. Conflict when the ticket changed since ``before`` was read."""
    pk = tenant_pk(tenant_id)
    try:
        with TransactWrite(connection=connection()) as tx:
            for sk in reference_keys:
                tx.delete(ContactRefItem(pk, sk))
            tx.save(ticket_item(tenant_id, after),
                    condition=TicketItem.pk.exists() & (TicketItem.version == before.version))
            tx.save(event_item(tenant_id, after.id, event), condition=EventItem.pk.does_not_exist())
    except TransactWriteError as error:
        if {"ConditionalCheckFailed", "TransactionConflict"} & set(cancel_reasons(error)):
            raise Conflict("The ticket changed while its data was being erased.",
                           {"ticket": f"version {before.version} is no longer current"}) from error
        raise
