"""Staff search (domain/search.py): each way is one key lookup.

    by number  GetItem  TENANT#<tid> / NUMBER#<n>                        → the ticket id
    by unit    Query    index by_unit,  unit_pk  = TENANT#<tid>#UNIT#<unit>     newest first
    by phone   Query    index by_phone, phone_pk = TENANT#<tid>#PHONE4#<last 4> newest first

The number item is written in the ticket's creating transaction (``number_item``); the
index keys are set on every write of the head (``store/items.search_keys``). The tenant
part of every key comes from the caller's tenant, never from what was typed.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from ..domain.search import Search
from ..domain.tickets import Ticket
from .items import ticket_from_item
from .models import Item, NumberItem, tenant_pk


def number_item(tenant_id: str, ticket: Ticket) -> NumberItem:
    return NumberItem(tenant_pk(tenant_id), f"NUMBER#{ticket.number}", ticket_id=ticket.id)


def ticket_id_by_number(tenant_id: str, number: str) -> str | None:
    """One GetItem: the id of this firm's ticket with that number, or None."""
    try:
        return NumberItem.get(tenant_pk(tenant_id), f"NUMBER#{number}").ticket_id
    except DoesNotExist:
        return None


def tickets(tenant_id: str, search: Search, limit: int = 50) -> list[Ticket]:
    """One Query on the unit or phone index: the matching tickets, newest first."""
    if search.way == "unit":
        found = Item.by_unit.query(f"{tenant_pk(tenant_id)}#UNIT#{search.key}", scan_index_forward=False, limit=limit)
    elif search.way == "phone":
        found = Item.by_phone.query(f"{tenant_pk(tenant_id)}#PHONE4#{search.key}", scan_index_forward=False,
                                    limit=limit)
    else:
        raise ValueError(f"search by {search.way} is a lookup, not a list")  # a programming error
    return [ticket_from_item(tenant_id, item) for item in found]


__all__ = ["number_item", "ticket_id_by_number", "tickets"]
