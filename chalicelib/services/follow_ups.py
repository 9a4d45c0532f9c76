"""Follow-up calls (回访) owed after a low survey answer: the queue's "follow-ups due".

Opening and closing a call happen with the survey answer (services/surveys.py) and the
logged call (services/tickets.record_event); this reads what is still owed.
"""

from __future__ import annotations

from ..domain.identity import Identity
from ..store import follow_ups as store


def due(who: Identity, limit: int = 100) -> list[store.CallDue]:
    """The firm's calls still to make, the earliest promise first (one Query)."""
    return store.due(who.tenant_id, limit)


__all__ = ["due"]
