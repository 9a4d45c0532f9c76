"""How many of a firm's tickets are in each state, for the queue's counts.

    TENANT#<tid>   STATE_COUNTS   new, acknowledged, assigned, waiting, resolved, closed

Moved by one ADD in the same transaction that creates a ticket or changes its state
(``store/tickets.py``), so it never drifts from the tickets written since it existed; a
firm's tickets from before it are not in it (a count is never shown below zero). Read in the
queue page's BatchGetItem (``services/register_view.ticket_names``).
"""

from __future__ import annotations

from pynamodb.expressions.operand import Path

from ..domain.tickets import STATES
from .models import StateCountItem, tenant_pk

SK = "STATE_COUNTS"


def add_to(tenant_id: str, tx, before: str | None, after: str) -> bool:
    """Queue the ADD for a ticket moving from ``before`` (None: new) to ``after``. False
    when the state did not change (nothing queued)."""
    if before == after:
        return False
    actions = [Path([after]).add({"N": "1"}), Path(["kind"]).set({"S": "state_count"})]
    if before:
        actions.append(Path([before]).add({"N": "-1"}))
    tx.update(StateCountItem(tenant_pk(tenant_id), SK), actions=actions)
    return True


def counts(item: StateCountItem | None) -> dict[str, int]:
    """{state: n} from the item read (every state, never below zero)."""
    return {state: max(0, int(getattr(item, state, None) or 0)) if item else 0 for state in STATES}


__all__ = ["add_to", "counts", "SK"]
