"""Reading scores: a period's slices, one slice's trend, CSV exports.

Every answer comes from the score counters (``store/scores.py``), never from rereading
tickets: a period is one Query, a 12-period trend one BatchGetItem. The firm's survey
settings (minimum n, SERVQUAL weights, time zone) are read once and kept for a minute
per process, so a warm dashboard read is exactly one round trip.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from ..domain import scores as rules
from ..domain.errors import Forbidden, InvalidInput, NotFound
from ..domain.identity import Identity
from ..domain.standards import survey_settings
from ..store import scores as store
from ..store import tenants as tenant_store

QUERY = rules.QUERY
SETTINGS_SECONDS = 60
PARTITIONING = ("property", "building", "category")
_settings: dict[str, tuple[float, dict]] = {}


def firm_settings(tenant_id: str) -> dict:
    """Time zone, minimum n and weights: read once a minute per process (two GetItems)."""
    cached = _settings.get(tenant_id)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    tenant = tenant_store.get_tenant(tenant_id)
    try:
        document, _ = tenant_store.get_standards(tenant_id)
    except NotFound:  # a firm without standards uses the defaults
        document = {}
    survey = survey_settings(document)
    value = {"time_zone": tenant.time_zone, "min_n": survey["min_n"], "weights": survey["weights"],
             "publish": survey["publish"], "name": tenant.name, "locale": tenant.locale, "slug": tenant.slug}
    _settings[tenant_id] = (time.monotonic() + SETTINGS_SECONDS, value)
    return value


def forget_settings(tenant_id: str) -> None:
    """Called when the standards change in this process."""
    _settings.pop(tenant_id, None)


def period_key(text: str | None, time_zone: str) -> str:
    if text:
        return rules.parse_period(text).key
    return rules.period_keys(datetime.now(timezone.utc), time_zone)["month"]


def _scored(counters: dict, settings: dict, total: int | None = None) -> dict:
    return {name: score.as_dict() for name, score in rules.scores(
        counters, min_n=settings["min_n"], total_tickets=total, weights=settings["weights"]).items()}


def _visible(who: Identity, by: str, value: str) -> bool:
    """Staff see the firm's numbers and their own; only admins see colleagues' numbers."""
    return who.role == "admin" or by != "staff" or value == who.sub


def period_scores(who: Identity, params: dict) -> dict:
    """Every score of one period for the whole firm and for each slice of ``by``. One Query
    that reads only the slices asked for (the firm's totals are their sum)."""
    q = QUERY.parse_body(params)
    settings = firm_settings(who.tenant_id)
    key = period_key(q.get("period"), settings["time_zone"])
    by = q.get("by") or "all"
    if by in PARTITIONING:  # every ticket is in exactly one of these slices: they add up to the firm
        found = store.period(who.tenant_id, key, by)
        firm: dict = {}
        for counters in found.values():
            firm = rules.add(firm, counters)
    else:  # the firm's own item (and, by staff, every slice: not every ticket is assigned)
        found = store.period(who.tenant_id, key, "all" if by == "all" else None)
        firm = found.get(("all", "all"), {})
    total = firm.get("tickets", 0)
    rows = [{"by": by, "value": value, "scores": _scored(counters, settings, total)}
            for (slice_by, value), counters in sorted(found.items())
            if slice_by == by and by != "all" and _visible(who, slice_by, value)]
    start, end = rules.period_bounds(key, settings["time_zone"])
    return {"period": key, "from": _iso(start), "to": _iso(end), "time_zone": settings["time_zone"],
            "min_n": settings["min_n"], "by": by, "firm": _scored(firm, settings), "slices": rows}


def trend(who: Identity, params: dict) -> dict:
    """One slice over the last N periods (default 12) ending at ``period``."""
    q = QUERY.parse_body(params)
    settings = firm_settings(who.tenant_id)
    key = period_key(q.get("period"), settings["time_zone"])
    by, value = q.get("by") or "all", q.get("value") or "all"
    if (by == "all") != (value == "all"):
        raise InvalidInput("Say which slice.", {"value": "give a value with by (or neither, for the whole firm)"})
    if not _visible(who, by, value):
        raise Forbidden("Only admins see a colleague's numbers.", {"value": "is not you"})
    keys = rules.previous_periods(key, int(q.get("periods") or 12))
    found = store.periods(who.tenant_id, keys, by, value)
    return {"by": by, "value": value, "min_n": settings["min_n"],
            "periods": [{"period": p, "scores": _scored(found.get(p, {}), settings)} for p in keys]}


def report(who: Identity, period: str) -> dict:
    """A finalised review (one GetItem). Staff and admins see it; it names no staff member."""
    from ..store import rollups
    key = rules.parse_period(period).key
    found = rollups.report(who.tenant_id, key)
    if found is None:
        raise NotFound("That period has not been finalised.", {"period": "is still open, or before the firm began"})
    return found


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


__all__ = ["period_scores", "trend", "report", "firm_settings", "forget_settings", "QUERY", "Forbidden"]
