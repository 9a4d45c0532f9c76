"""CSV exports for people who live in Excel: tickets and scores.

UTF-8 with a byte-order mark, so Excel (zh-CN included) opens Chinese text intact; times
are ISO 8601 with the firm's offset (``2026-11-23T09:30:00+08:00``), not bare UTC.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from ..domain import clock
from ..domain import scores as score_rules
from ..domain.identity import Identity
from ..store import tickets as ticket_store
from . import scores

BOM = "\ufeff"
TICKET_COLUMNS = ("number", "status", "category", "urgency", "source", "property_id", "building_id", "unit",
                  "description", "created_at", "first_response_due", "first_response_at", "first_response_met",
                  "resolution_due", "resolved_at", "resolution_met", "closed_at", "reopen_count", "visits",
                  "repeat_complaint", "followed_up_at", "assignee", "survey_rating")


def _writer() -> tuple[io.StringIO, "csv._writer"]:
    out = io.StringIO()
    out.write(BOM)
    return out, csv.writer(out, lineterminator="\r\n")


def csv_file() -> tuple[io.StringIO, "csv._writer"]:
    """A new CSV for Excel (UTF-8 opening with the BOM, CRLF lines), for other modules' exports."""
    return _writer()


def safe(text: str) -> str:
    """Residents' text cannot become a spreadsheet formula (CSV injection): a leading
    = + - @ or tab is kept as text with a leading apostrophe, as Excel itself does."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def tickets_csv(who: Identity, params: dict) -> tuple[str, str]:
    """Open tickets and those finished in the period (default: this month). Returns
    (file name, CSV text)."""
    q = scores.QUERY.parse_body({k: v for k, v in params.items() if k == "period"})
    settings = scores.firm_settings(who.tenant_id)
    zone = ZoneInfo(settings["time_zone"])
    key = scores.period_key(q.get("period"), settings["time_zone"])
    start, end = score_rules.period_bounds(key, settings["time_zone"])
    out, writer = _writer()
    writer.writerow(TICKET_COLUMNS)
    for t in ticket_store.export(who.tenant_id, start, end):
        writer.writerow(ticket_row(t, zone))
    return f"tickets-{key}.csv", out.getvalue()


def ticket_row(t, zone: ZoneInfo) -> list:
    """One ticket as a row of TICKET_COLUMNS, times in the firm's zone."""
    def local(value: datetime | None) -> str:
        return value.astimezone(zone).isoformat(timespec="seconds") if value else ""

    def met(kept: bool | None) -> str:
        return "" if kept is None else ("yes" if kept else "no")

    # the resolution is judged once, at the first resolve, against the due as it stood
    # then (as the ticket view and the scores judge it); before that, the running due
    resolved = t.first_resolved_at
    resolution_due = t.first_resolution_due if resolved is not None else t.resolution_due
    return [t.number, t.status, t.category, t.urgency, t.source, t.property_id, t.building_id,
            safe(t.unit), safe(t.description), local(t.created_at), local(t.first_response_due),
            local(t.first_response_at), met(clock.judge(t.first_response_at, t.first_response_due)),
            local(resolution_due), local(resolved), met(t.resolution_met), local(t.closed_at), t.reopen_count,
            t.visits, "yes" if t.repeat else "no", local(t.followed_up_at), t.assignee or "",
            (t.survey or {}).get("rating") or ""]


def csv_text(rows: list[list], header: tuple[str, ...] | None = None) -> str:
    """Rows as CSV text (a header row and the BOM when ``header`` is given: a file's start)."""
    out = io.StringIO()
    if header:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


CSV_COLUMNS = ("period", "by", "value", "score", "value_shown", "n", "low", "high", "too_few", "unit")


def scores_csv(who: Identity, params: dict) -> tuple[str, str]:
    """The period's scores as CSV: UTF-8 with a byte-order mark so Excel (zh-CN too) opens it
    with the right characters; one row per slice and score."""
    answer = scores.period_scores(who, params)
    out, writer = _writer()
    writer.writerow(CSV_COLUMNS)
    rows = [("all", "all", answer["firm"])] + [(r["by"], r["value"], r["scores"]) for r in answer["slices"]]
    for by, value, scored in rows:
        for name, score in scored.items():
            writer.writerow([answer["period"], by, value, name, _round(score["value"]), score["n"],
                             _round(score["low"]), _round(score["high"]), "yes" if score["too_few"] else "no",
                             score["unit"]])
    return f"scores-{answer['period']}-{answer['by']}.csv", out.getvalue()


def _round(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"
