"""The published scorecard's facts: the slug's public profile (one GetItem) and what a
problem type was promised, as the review of the period stored the standards in force."""

from __future__ import annotations

from ..store import tenants as tenant_store


def published(slug: str) -> tenant_store.PublicScorecard:
    """The firm's public profile; NotFound for an unknown slug (publishing is the caller's check)."""
    return tenant_store.public_scorecard(slug)


def promise_for(promised: list[dict], category: str) -> dict:
    """The promise for an ordinary report of ``category`` (any priority): the catch-all
    ``"*"`` target, overridden by the category's own ``"*"`` target where it has one, the
    way the standards choose a ticket's targets (domain/standards.Standards.targets)."""
    chosen: dict = {}
    for cat_key in ("*", category):
        for row in promised:
            if row["category"] == cat_key and row["priority"] == "*":
                chosen.update({k: row[k] for k in ("first_response", "resolution") if row.get(k)})
    return chosen


__all__ = ["published", "promise_for"]
