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
    """Time zone, minimum n and weights: read once a minute per process (one BatchGetItem;
    a firm without standards uses the defaults)."""
    cached = _settings.get(tenant_id)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    tenant, document, _ = tenant_store.get_tenant_and_standards(tenant_id)
    survey = survey_settings(document)
    value = {"time_zone": tenant.time_zone, "min_n": survey["min_n"], "weights": survey["weights"],
             "publish": survey["publish"], "name": tenant.name, "locale": tenant.locale, "slug": tenant.slug,
             "publish_inspections": survey["publish_inspections"], "joined": _iso(tenant.created_at)}
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


DASHBOARD = QUERY  # period (required here), by, value


def dashboard(who: Identity, params: dict) -> dict:
    """Everything the console's dashboard shows for one period, in three round trips:
    every slice of the period (one Query), the firm's buildings (one Query), then one
    BatchGetItem for the firm's settings, the chosen slice's last 12 periods and the names
    of the properties and people that appear in the slices.

    Returns {"period", "time_zone", "min_n", "firm": scores, "slices": {by: [{value, scores}]},
    "inspections": {"firm": summary or None, "property": {id: summary}} (services/inspections),
    "joined": when the firm signed up (ISO),
    "trend": [{period, scores}], "names": {"category": {key: names}, "property": {id: name},
    "building": {id: (name, property_id)}, "staff": {sub: name}}}."""
    from ..store import registry as registry_store
    from ..store.models import PropertyItem, StandardsItem, TenantItem, UserItem, tenant_pk
    from ..store.tickets import property_sk

    q = DASHBOARD.parse_body(params)
    if not q.get("period"):
        raise InvalidInput("Say which period.", {"period": "is required, like M2026-11"})
    key = rules.parse_period(q["period"]).key
    by, value = q.get("by") or "all", q.get("value") or "all"
    if (by == "all") != (value == "all"):
        raise InvalidInput("Say which slice.", {"value": "give a value with by (or neither, for the whole firm)"})
    if not _visible(who, by, value):
        raise Forbidden("Only admins see a colleague's numbers.", {"value": "is not you"})
    found = store.period(who.tenant_id, key)
    buildings = registry_store.all_buildings(who.tenant_id)
    pk = tenant_pk(who.tenant_id)
    properties = {b.property_id for b in buildings} | {v for (b, v) in found if b == "property"}
    people = {v for (b, v) in found if b == "staff" and _visible(who, b, v)}
    wanted = [(pk, "META"), (pk, "STANDARDS")] + [(pk, property_sk(p)) for p in sorted(properties)] + \
        [(pk, f"USER#{sub}") for sub in sorted(people)]
    trend_found, items = store.periods_and_items(who.tenant_id, rules.previous_periods(key, 12), by, value, wanted)
    tenant = next((i for i in items if isinstance(i, TenantItem)), None)
    if tenant is None:
        raise NotFound("No such firm.")
    document = next((tenant_store.standards_document(i) for i in items if isinstance(i, StandardsItem)), {})
    survey = survey_settings(document)
    settings = {"time_zone": tenant.time_zone, "min_n": survey["min_n"], "weights": survey["weights"]}
    firm = found.get(("all", "all"), {})
    total = firm.get("tickets", 0)
    slices: dict[str, list] = {}
    for (slice_by, slice_value), counters in sorted(found.items()):
        if slice_by != "all" and _visible(who, slice_by, slice_value):
            slices.setdefault(slice_by, []).append({"value": slice_value,
                                                    "scores": _scored(counters, settings, total)})
    names = {"category": {c["key"]: c.get("name") or {} for c in document.get("categories") or []},
             "property": {i.property_id: i.name for i in items if isinstance(i, PropertyItem)},
             "building": {b.building_id: (b.name, b.property_id) for b in buildings},
             "staff": {i.sub: i.name or i.email for i in items if isinstance(i, UserItem)}}
    from ..domain.inspections import summary as inspected  # the same counters, no read
    inspections = {"firm": inspected(firm), "property": {
        v: inspected(c) for (b, v), c in found.items() if b == "property" and inspected(c)}}
    return {"period": key, "time_zone": settings["time_zone"], "min_n": settings["min_n"],
            "joined": _iso(tenant.created_at), "firm": _scored(firm, settings), "slices": slices, "names": names, "inspections": inspections,
            "trend": [{"period": p, "scores": _scored(trend_found.get(p, {}), settings)}
                      for p in rules.previous_periods(key, 12)]}


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
