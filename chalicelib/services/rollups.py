"""Rollups: freezing closed periods into reviews, and the public scorecard's data.

Open periods need no refresh: their scores are computed from live counters on every read.
What needs a job is the end of a period. Once a night (01:00 in the firm's zone) each firm's
last closed month and quarter are frozen into a review (月检查 / 季度评估): every score with
n and interval, by property and building, hotspots by category, and what the firm promised
next to what it achieved. Later changes (a reopen of an October ticket in November) move the
live counters, never a finalised review. The latest reviews also go onto the slug's public
profile, where the published scorecard reads them in one GetItem.

The job runs hourly so each firm's local night comes round on time in every zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..domain import scores as score_rules
from ..domain.errors import NotFound
from ..domain.inspections import summary as inspected
from ..domain.standards import survey_settings
from ..observability import logger
from ..store import rollups as store
from ..store import schema
from ..store import inspections as inspection_store
from ..store import scores as score_store
from ..store import tenants as tenant_store
from . import register_view

PUBLIC_SCORES = ("csat", "nps", "satisfaction_index", "sla_first_response", "sla_resolution", "first_response_p50",
                 "first_response_p90", "resolution_p50", "resolution_p90", "first_time_fix_ops",
                 "first_time_fix_said", "reopen_rate", "repeat_rate", "follow_up_rate", "volume", "share")


@dataclass
class RollupReport:
    firms_read: int = 0
    periods_finalised: list[str] = field(default_factory=list)


def run(now: datetime) -> RollupReport:
    """Finalise every firm whose night has come (one Query per shard of the work index)."""
    report = RollupReport()
    for shard in range(schema.WORK_SHARDS):
        for slot in store.due_slots(shard, now):
            report.firms_read += 1
            report.periods_finalised += finalise_firm(slot, now)
    logger.info("rollup done", extra={"firms": report.firms_read, "finalised": len(report.periods_finalised)})
    return report


def finalise_firm(slot: store.Slot, now: datetime) -> list[str]:
    closed = score_rules.last_closed(now, slot.time_zone)
    due = {kind: period for kind, period in closed.items() if slot.finalised.get(kind) != period}
    reports: dict[str, dict] = {}
    if due:
        try:
            standards, _ = tenant_store.get_standards(slot.tenant_id)
        except NotFound:  # a firm without standards: the defaults
            standards = {}
        names = _names(slot.tenant_id, standards)
        for period in due.values():
            reports[period] = review(period, score_store.period(slot.tenant_id, period), standards, names,
                                     slot.time_zone)
    scorecard = None
    if reports:
        latest = {kind: reports.get(period) or store.report(slot.tenant_id, period) for kind, period in closed.items()}
        scorecard = {kind: value for kind, value in latest.items() if value}
        scorecard.update(_before(slot.tenant_id, closed))
    store.finalise(slot, reports, scorecard, {**slot.finalised, **due}, score_rules.next_finalisation(now, slot.time_zone), now)
    return list(reports)


def _before(tenant_id: str, closed: dict[str, str]) -> dict:
    """The month and quarter before the latest, firm-wide only (the scorecard's trend):
    ``{"month_before": {"period", "firm"}, ...}`` for those finalised."""
    found = {}
    for kind, period in closed.items():
        earlier = score_rules.previous_periods(period, 2)[0]
        report = store.report(tenant_id, earlier)
        if report:
            found[f"{kind}_before"] = {"period": earlier, "firm": report.get("firm") or {}}
    return found


def _names(tenant_id: str, standards: dict) -> dict:
    register = register_view.places(tenant_id)
    return {
        "properties": {p["id"]: p["name"] for p in register},
        "building_property": {b["id"]: p["id"] for p in register for b in p["buildings"]},
        "buildings": {b["id"]: b["name"] for p in register for b in p["buildings"]},
        "categories": {c["key"]: c.get("name") or {} for c in standards.get("categories") or []},
        "areas": inspection_store.area_names(tenant_id),
    }


def review(period: str, counters: dict, standards: dict, names: dict, time_zone: str) -> dict:
    """One period's review: the firm, each property with its buildings, categories (hotspots)
    and the promises, each score with n, interval and "too few"; the monthly inspections'
    items passed of inspected (firm, property, area; None where none was done), from the same
    counters; no person is named."""
    survey = survey_settings(standards)
    min_n, weights = survey["min_n"], survey["weights"]
    firm = counters.get(("all", "all"), {})
    total = firm.get("tickets", 0)

    def scored(c: dict, with_share: bool = False) -> dict:
        found = score_rules.scores(c, min_n=min_n, total_tickets=total if with_share else None, weights=weights)
        return {name: found[name].as_dict() for name in PUBLIC_SCORES if name in found}

    properties = []
    for pid, name in sorted(names["properties"].items(), key=lambda kv: kv[1]):
        buildings = [{"id": bid, "name": names["buildings"][bid], "scores": scored(counters.get(("building", bid), {}),
                                                                                   True)}
                     for bid, owner in names["building_property"].items() if owner == pid]
        properties.append({"id": pid, "name": name, "scores": scored(counters.get(("property", pid), {}), True),
                           "buildings": sorted(buildings, key=lambda b: -b["scores"]["volume"]["value"]),
                           "inspections": inspected(counters.get(("property", pid), {}), names.get("areas"))})
    categories = [{"key": key, "name": names["categories"].get(key) or {}, "scores": scored(c, True)}
                  for (by, key), c in counters.items() if by == "category"]
    start, end = score_rules.period_bounds(period, time_zone)
    return {
        "period": period, "from": start.isoformat(), "to": end.isoformat(), "time_zone": time_zone, "min_n": min_n,
        "firm": scored(firm), "inspections": inspected(firm, names.get("areas")), "properties": properties,
        "categories": sorted(categories, key=lambda c: -c["scores"]["volume"]["value"]),
        "promised": _promises(standards),
    }


def _promises(standards: dict) -> list[dict]:
    """What the firm promised, per category and priority, as written in its standards."""
    found = []
    for category, by_priority in (standards.get("targets") or {}).items():
        for priority, target in (by_priority or {}).items():
            found.append({"category": category, "priority": priority,
                          "first_response": target.get("first_response"), "resolution": target.get("resolution")})
    return found


__all__ = ["run", "finalise_firm", "review", "RollupReport"]
