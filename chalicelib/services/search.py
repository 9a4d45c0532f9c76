"""Staff find a ticket by its number, its unit or the last 4 digits of the resident's phone
(domain/search.py): one key lookup each (store/search.py)."""

from __future__ import annotations

from ..domain import search as rules
from ..domain import tickets as ticket_rules
from ..domain.identity import Identity
from ..store import search as store


def find(who: Identity, way: str, text: str) -> dict:
    """``{"ticket_id": id | None}`` for a number; ``{"tickets": [staff views]}`` newest first
    for a unit or a phone. Raises InvalidInput naming ``q`` or ``by``."""
    search = rules.parse(way, text)
    if search.way == "number":
        return {"ticket_id": store.ticket_id_by_number(who.tenant_id, search.key)}
    return {"tickets": [ticket_rules.staff_view(t) for t in store.tickets(who.tenant_id, search)]}


__all__ = ["find"]
