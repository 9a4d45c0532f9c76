"""Follow-up calls owed after a low survey answer (domain/follow_ups.py), findable by due.

    TENANT#<tid>   TICKET#<ticket id>#CALL   queue index: TENANT#<tid>#QUEUE#calls / <due>#<ticket id>

The entry is written in the same transaction as the ticket change that opens or closes the
task (``tickets.record_event(..., also=...)``): while the call is owed it carries the
queue index keys; once logged it is written again without them, so the sparse index holds
only the calls still to make and "follow-ups due" is one Query.

Round trips: ``due`` = 1 Query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.follow_ups import open_call
from ..domain.tickets import Ticket
from .items import iso_utc, ticket_sk
from .models import CallItem, Item, tenant_pk


def calls_pk(tenant_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#QUEUE#calls"


def entry(tenant_id: str, ticket: Ticket) -> CallItem | None:
    """The ticket's call entry as it should now be (None: the ticket owes no call and never did)."""
    call = (ticket.survey or {}).get("call")
    if not call:
        return None
    due = datetime.fromisoformat(call["due"].replace("Z", "+00:00"))
    item = CallItem(tenant_pk(tenant_id), f"{ticket_sk(ticket.id)}#CALL", ticket_id=ticket.id, number=ticket.number,
                    unit=ticket.unit, rating=(ticket.survey or {}).get("rating"), due=due)
    if open_call(ticket):
        item.queue_pk, item.queue_sk = calls_pk(tenant_id), f"{iso_utc(due)}#{ticket.id}"
    else:
        item.done_at = datetime.fromisoformat(call["done_at"].replace("Z", "+00:00"))
    return item


@dataclass(frozen=True)
class CallDue:
    ticket_id: str
    number: int
    unit: str
    rating: int | None
    due: datetime


def due(tenant_id: str, limit: int = 100) -> list[CallDue]:
    """The calls still to make, the earliest promise first (one Query)."""
    found = []
    for item in Item.queue.query(calls_pk(tenant_id), limit=limit):
        if isinstance(item, CallItem):
            found.append(CallDue(item.ticket_id, int(item.number), item.unit,
                                 int(item.rating) if item.rating is not None else None, item.due))
    return found


__all__ = ["entry", "due", "CallDue", "calls_pk"]
