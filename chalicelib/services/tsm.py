"""The annual Tenant Satisfaction Measures return (UK): a reporting year's figures from the
yearly TSM counters, for the console's page, the JSON API and the CSV.

Reads, three round trips whatever the firm's size, no Scan: one BatchGetItem (the year's and
the year before's counters, the firm and its standards), one counting Query of the register's
units (the homes of CH01), one Query of the firm's campaigns (which TP surveys ran, for the
methods note). See ``domain/tsm.py`` for the definitions.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from ..domain import tsm
from ..domain.errors import NotFound
from ..domain.identity import Identity
from ..domain.standards import survey_settings
from ..store import campaigns as campaign_store
from ..store import registry as registry_store
from ..store import scores as score_store
from ..store import tenants as tenant_store
from ..store.models import StandardsItem, TenantItem, tenant_pk
from .scores import firm_settings

# What each part of a measure is called (English msgids; zh-CN in console_tsm.po).
PARTS = {"emergency": "Emergency repairs", "non_emergency": "Non-emergency repairs",
         "stage1": "Stage 1 complaints", "stage2": "Stage 2 complaints"}
MANAGEMENT = {
    "RP02": "Repairs completed within target timescale",
    "CH01": "Complaints relative to the size of the landlord (per 1,000 homes)",
    "CH02": "Complaints responded to within Complaint Handling Code timescales",
}


def _row(code: str, measure: str, score, previous=None, part: str = "", **extra) -> dict:
    """One line of the return: a share (a ``Score``) with its n and interval, or a rate."""
    row = {"code": code, "measure": measure, "part": part, "held": True, "value": score.value, "n": score.n,
           "low": score.low, "high": score.high, "too_few": score.too_few, "unit": "%",
           "previous": previous.value if previous is not None else None}
    return row | extra


def _rows(this: dict, before: dict) -> list[dict]:
    rows = []
    for q in tsm.QUESTIONS:
        measured: tsm.Perception = this[q.code]
        rows.append(_row(q.code, q.measure, measured.score, before[q.code].score, satisfied=measured.satisfied,
                         dont_know=measured.dont_know))
    for part in ("emergency", "non_emergency"):
        rows.append(_row("RP02", MANAGEMENT["RP02"], this["RP02"][part], before["RP02"][part], part))
    for part in ("stage1", "stage2"):
        count, rate = this["CH01"][part]["count"], this["CH01"][part]["per_1000"]
        rows.append({"code": "CH01", "measure": MANAGEMENT["CH01"], "part": part, "held": True, "value": rate,
                     "n": count, "low": None, "high": None, "too_few": False, "unit": "per 1,000 homes",
                     "previous": before["CH01"][part]["per_1000"]})
    for part in ("stage1", "stage2"):
        rows.append(_row("CH02", MANAGEMENT["CH02"], this["CH02"][part], before["CH02"][part], part))
    rows += [{"code": code, "measure": name, "part": "", "held": False} for code, name in tsm.NOT_HELD]
    return rows


def annual_return(who: Identity, params: dict, *, now: datetime | None = None) -> dict:
    """The return for ``params["year"]`` (the year it starts in: 2026 for April 2026 - March
    2027; without one, the reporting year under way in the firm's zone). Admins only; a bad
    year is InvalidInput naming ``year``."""
    who.require_admin()
    if params.get("year") is None:
        zone = firm_settings(who.tenant_id)["time_zone"]  # kept a minute per process
        year = tsm.financial_year(now or datetime.now(timezone.utc), zone)
    else:
        year = tsm.parse_year(params["year"])
    pk = tenant_pk(who.tenant_id)
    keys = [tsm.year_key(year), tsm.year_key(year - 1)]
    found, items = score_store.periods_and_items(who.tenant_id, keys, "tsm", "all", [(pk, "META"), (pk, "STANDARDS")])
    tenant = next((i for i in items if isinstance(i, TenantItem)), None)
    if tenant is None:
        raise NotFound("No such firm.")
    document = next((tenant_store.standards_document(i) for i in items if isinstance(i, StandardsItem)), {})
    min_n = survey_settings(document)["min_n"]
    homes = registry_store.count_units(who.tenant_id)
    first, last = tsm.year_bounds(year)
    surveys = [{"id": c.id, "name": c.name, "opens_on": c.opens_on.isoformat(), "closes_on": c.closes_on.isoformat(),
                "properties": len(c.property_ids)}
               for c in campaign_store.list_campaigns(who.tenant_id)
               if c.is_tsm and _overlaps(c.opens_on, c.closes_on, first, last)]
    this = tsm.measures(found.get(keys[0], {}), homes, min_n)
    before = tsm.measures(found.get(keys[1], {}), homes, min_n)
    return {"year": year, "label": tsm.year_label(year), "from": first.isoformat(), "to": last.isoformat(),
            "time_zone": tenant.time_zone, "firm": tenant.name, "homes": homes, "min_n": min_n,
            "respondents": this["respondents"], "previous_respondents": before["respondents"],
            "surveys": surveys, "rows": _rows(this, before)}


def _overlaps(opens: date, closes: date, first: date, last: date) -> bool:
    return opens <= last and closes >= first


CSV_COLUMNS = ("year", "code", "measure", "part", "held", "value", "unit", "n", "low_95", "high_95", "too_few",
               "previous_year_value")


def return_csv(who: Identity, params: dict) -> tuple[str, str]:
    """The return as CSV (UTF-8 with BOM, as every PropDesk export): one row per measure and
    part, "not held" measures included. Returns (file name, text)."""
    from .exports import csv_file  # one way to open a CSV for Excel

    answer = annual_return(who, params)
    out, writer = csv_file()
    writer.writerow(CSV_COLUMNS)

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    for row in answer["rows"]:
        if not row["held"]:
            writer.writerow([answer["label"], row["code"], row["measure"], "", "no", "", "", "", "", "", "", ""])
            continue
        writer.writerow([answer["label"], row["code"], row["measure"], row["part"], "yes", number(row["value"]),
                         row["unit"], row["n"], number(row["low"]), number(row["high"]),
                         "yes" if row["too_few"] else "no", number(row["previous"])])
    return f"tsm-{answer['year']}.csv", out.getvalue()


__all__ = ["annual_return", "return_csv", "PARTS", "MANAGEMENT", "CSV_COLUMNS"]
