"""Console pages for the scores: the dashboard (one period, one slice, 12-period trends and
hotspots), its CSV downloads, and the printable monthly and quarterly reviews (月检查 /
季度评估) that the nightly rollup stores.

Every number comes from the score services the JSON API uses (``services/scores.py``);
this module only lays them out. A dashboard is one service call, ``scores.dashboard``:
three round trips whatever the slice (every slice of the period, the buildings, then the
settings, the trend and the names in one BatchGetItem). A review is one GetItem: the
stored review carries its own names.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable
from urllib.parse import urlencode

from chalice import Blueprint, Response

from ...domain.errors import InvalidInput, NotFound
from ..http import lazy
from ..scores import csv_download
from ..scorecard import LABELS
from .session import Page, console_page, message_page

service = lazy("chalicelib.services.scores")
rules = lazy("chalicelib.domain.scores")
figures = lazy("chalicelib.web.figures")  # numbers as people read them, as on the public scorecard
exports = lazy("chalicelib.services.exports")
firm_service = lazy("chalicelib.services.firm")

bp = Blueprint(__name__)

# What the page calls things (English msgids; zh-CN in console_dashboard.po; the score
# labels themselves are the published scorecard's, translated in messages.po).
SLICES = {"all": "The whole firm", "property": "By property", "building": "By building",
          "category": "By problem type", "staff": "By staff member"}
SLICE_NAMES = {"property": "Property", "building": "Building", "category": "Problem type", "staff": "Staff member"}
LABEL = {**LABELS, "share": "Share of all reports",
         "follow_up_calls_on_time": "Follow-up calls after a low rating made on time"}
GROUPS = (
    ("Satisfaction", ("csat", "nps", "satisfaction_index")),
    ("Response and repair times", ("sla_first_response", "sla_resolution", "first_response_p50",
                                   "first_response_p90", "resolution_p50", "resolution_p90")),
    ("Quality of the work", ("first_time_fix_ops", "first_time_fix_said", "reopen_rate", "repeat_rate",
                             "follow_up_rate", "follow_up_calls_on_time")),
    ("Volume", ("volume", "share")),
)
COLUMNS = {"volume": "Reports", "share": "Share", "csat": "Satisfied", "sla_first_response": "Answered on time",
           "sla_resolution": "Fixed on time", "resolution_p50": "Time to fix (median)",
           "first_time_fix_ops": "First-visit fix", "reopen_rate": "Reopen rate"}
DIMENSIONS = {"tangibles": "Tangibles (facilities, appearance)", "reliability": "Reliability",
              "responsiveness": "Responsiveness", "assurance": "Assurance (competence, courtesy)",
              "empathy": "Empathy"}
PRIORITIES = {"*": "Any priority", "urgent": "Urgent", "normal": "Normal", "low": "Can wait"}
REVIEW_SCORES = tuple(LABELS)  # the scores a review keeps, in the scorecard's order
HOTSPOT_BARS = 10


def _web():
    from ... import web
    return web


def _charts():
    from ...web import charts
    return charts


def _plot(score: dict | None) -> float | None:
    """A trend point: only what the page would show as a number."""
    if not score or score.get("value") is None or (score.get("too_few") and score.get("unit") != "tickets"):
        return None
    return float(score["value"])


# --- periods -------------------------------------------------------------------------------------

def _locale(lang: str) -> str:
    return _web().BABEL_LOCALE[lang]


def period_title(page: Page, key: str) -> str:
    """November 2026 / 2026年11月; Q4 2026; Week 47, 2026 (from Nov 16)."""
    return figures.period_title(key, page.lang, page.t)


def period_short(page: Page, key: str) -> str:
    """A trend's x label: Nov / 11月 (January shows its year instead: 2026 / 2026年), Q4, W47."""
    from babel.dates import format_skeleton
    period = rules.parse_period(key)
    if period.kind == "month":
        return format_skeleton("y" if period.number == 1 else "MMM", period.first_day, locale=_locale(page.lang))
    return f"Q{period.number}" if period.kind == "quarter" else f"W{period.number:02d}"


def _span(page: Page, start: datetime, end: datetime, time_zone: str) -> str:
    """The period's first and last day on the firm's calendar (``end`` is exclusive)."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_skeleton
    zone = ZoneInfo(time_zone)
    days = (start.astimezone(zone).date(), (end.astimezone(zone) - timedelta(days=1)).date())
    return " – ".join(format_skeleton("yMMMd", day, locale=_locale(page.lang)) for day in days)


# --- names -------------------------------------------------------------------------------------------

def _category_names(page: Page) -> dict:
    """{key: {"zh-CN": ..., "en": ...}} from the standards (one GetItem)."""
    try:
        document = firm_service.standards(page.who)["standards"]
    except NotFound:  # a firm without standards: keys are all there is
        return {}
    return {c["key"]: c.get("name") or {} for c in document.get("categories") or []}


def _namer(page: Page, by: str, names: dict) -> Callable[[str], str]:
    """How a slice's value reads on the page, from the names the dashboard read brought."""
    web = _web()
    if by == "category":
        return lambda value: web.localized(names["category"].get(value), page.lang, value)
    if by == "property":
        return lambda value: names["property"].get(value) or page.t("Removed") + f" ({value[:8]})"
    if by == "building":
        several = len(names["property"]) > 1

        def building(value: str) -> str:
            if value not in names["building"]:
                return page.t("Removed") + f" ({value[:8]})"
            name, property_id = names["building"][value]
            return f"{names['property'].get(property_id, '?')} · {name}" if several else name
        return building
    if by == "staff":
        own = {page.who.sub: page.who.name or page.who.email}
        return lambda value: names["staff"].get(value) or own.get(value) or \
            page.t("Former staff member") + f" ({value[:8]})"
    return lambda value: page.t("The whole firm")


# --- the dashboard ---------------------------------------------------------------------------------

def _slice_param(text: str | None) -> str:
    by = (text or "firm").strip()
    return "all" if by in ("firm", "all", "") else by


def _rows(slices: list[dict], name: Callable[[str], str]) -> list[dict]:
    rows = [{"value": r["value"], "label": name(r["value"]), "scores": r["scores"]} for r in slices]
    return sorted(rows, key=lambda r: (-(r["scores"]["volume"]["value"] or 0), r["label"]))


def _hotspot_chart(page: Page, rows: list[dict], title: str, chart_id: str) -> tuple[str, list[dict]]:
    """A bar per slice with reports (the busiest first), and the same figures for a table."""
    listed = []
    for row in rows:
        volume = int(row["scores"]["volume"]["value"] or 0)
        if volume:
            share = row["scores"].get("share") or {}
            percent = f"{share['value']:.0f}%" if share.get("value") is not None else ""
            listed.append({"label": row["label"], "volume": volume, "share": percent, "value": row["value"]})
    bars = [(h["label"], h["volume"], f"{h['volume']} ({h['share']})" if h["share"] else str(h["volume"]))
            for h in listed[:HOTSPOT_BARS]]
    return _charts().bar_chart(bars, title=title, chart_id=chart_id, empty=page.t("No reports in this period"),
                               axis_label=page.t("Reports")), listed


def _trend_charts(page: Page, trend: dict) -> tuple[list[dict], list[dict]]:
    charts = _charts()
    keys = [p["period"] for p in trend["periods"]]
    labels = [period_short(page, k) for k in keys]

    def series(name: str) -> list[float | None]:
        return [_plot(p["scores"].get(name)) for p in trend["periods"]]

    empty = page.t("Nothing to show yet")
    percent = {"y_max": 100.0, "unit": "%", "empty": empty}
    drawn = [
        {"id": "trend-satisfaction", "title": page.t("Satisfaction over the last 12 periods"),
         "svg": charts.line_chart([(page.t("Satisfied (4 or 5 of 5)"), series("csat")),
                                   (page.t("Satisfaction index"), series("satisfaction_index"))], labels,
                                  title=page.t("Satisfaction over the last 12 periods"), chart_id="trend-satisfaction",
                                  **percent)},
        {"id": "trend-on-time", "title": page.t("On time over the last 12 periods"),
         "svg": charts.line_chart([(page.t("Answered on time"), series("sla_first_response")),
                                   (page.t("Fixed on time"), series("sla_resolution"))], labels,
                                  title=page.t("On time over the last 12 periods"), chart_id="trend-on-time",
                                  **percent)},
        {"id": "trend-volume", "title": page.t("Reports over the last 12 periods"),
         "svg": charts.line_chart([(page.t("Reports"), series("volume"))], labels,
                                  title=page.t("Reports over the last 12 periods"), chart_id="trend-volume",
                                  empty=empty)},
    ]
    table = [{"period": period_title(page, k), "csat": figures.shown(p["scores"].get("csat"), page.lang),
              "index": figures.shown(p["scores"].get("satisfaction_index"), page.lang),
              "first": figures.shown(p["scores"].get("sla_first_response"), page.lang),
              "fixed": figures.shown(p["scores"].get("sla_resolution"), page.lang),
              "volume": int(p["scores"]["volume"]["value"] or 0)}
             for k, p in zip(keys, trend["periods"])]
    return drawn, table


def _groups(page: Page, scores: dict, before: dict | None = None) -> list[dict]:
    """The headline tables; each figure with its change from the period ``before`` (when
    both periods show a number)."""
    def row(key: str) -> dict:
        change = change_words(page, key, scores.get(key), before["scores"].get(key), before["period"]) \
            if before else None
        return {"key": key, "label": page.t(LABEL[key]), "score": figures.shown(scores.get(key), page.lang, key),
                "change": change}
    return [{"title": page.t(title), "rows": [row(key) for key in keys if key in scores]} for title, keys in GROUPS]


def _shows_number(score: dict | None) -> bool:
    return bool(score) and score.get("value") is not None and \
        (not score.get("too_few") or score.get("unit") == "tickets")


def change_words(page: Page, key: str, now: dict | None, before: dict | None, before_key: str) -> dict | None:
    """{"arrow": ▲ | ▼ | "", "direction": up | down (for screen readers), "text": "+4 pts from
    October"}: the change from the previous period, or None when either shows no number."""
    if not (_shows_number(now) and _shows_number(before)):
        return None
    unit = now.get("unit") or ""
    a, b = float(now["value"]), float(before["value"])
    if unit == "%" or key == "nps":  # percentages and NPS move in points, rounded as shown
        difference = round(a) - round(b)
        amount = page.t("%(n)s pts") % {"n": f"{abs(difference):.0f}"}
    elif unit == "tickets":
        difference = round(a - b)
        amount = f"{abs(difference):.0f}"
    elif unit == "minutes":
        difference = round(a - b)
        amount = figures.figure(abs(difference), unit, page.lang, key) if difference else "0"
    else:  # an index or a mean on a scale: points, to one decimal as shown
        difference = round(a - b, 1)
        amount = page.t("%(n)s pts") % {"n": f"{abs(difference):.1f}"}
    since = previous_name(page, before_key)
    if not difference:
        return {"arrow": "", "direction": "", "text": page.t("no change from %(period)s") % {"period": since}}
    sign = "+" if difference > 0 else "−"
    return {"arrow": "▲" if difference > 0 else "▼", "direction": page.t("up") if difference > 0 else page.t("down"),
            "text": page.t("%(change)s from %(period)s") % {"change": sign + amount, "period": since}}


def previous_name(page: Page, key: str) -> str:
    """October / 10月 for a month; the period's title otherwise."""
    from babel.dates import format_date, format_skeleton
    period = rules.parse_period(key)
    if period.kind == "month":
        if page.lang == "en":
            return format_date(period.first_day, "LLLL", locale=_locale(page.lang))
        return format_skeleton("MMMM", period.first_day, locale=_locale(page.lang))
    return period_title(page, key)


def _servqual(page: Page, scores: dict) -> dict:
    rows = [{"key": d, "label": page.t(label),
             "p": figures.shown(scores.get(f"servqual.{d}.p"), page.lang), "e": figures.shown(scores.get(f"servqual.{d}.e"), page.lang),
             "gap": figures.shown(scores.get(f"servqual.{d}.gap"), page.lang)} for d, label in DIMENSIONS.items()]
    return {"rows": rows, "weighted": figures.shown(scores.get("servqual.weighted_gap"), page.lang)}


def _period_options(page: Page, now_keys: dict, chosen: str, joined: datetime, time_zone: str) -> list[dict]:
    """Recent months, quarters and weeks, only those since the firm joined (newest first)."""
    groups = [("Months", rules.previous_periods(now_keys["month"], 13)),
              ("Quarters", rules.previous_periods(now_keys["quarter"], 6)),
              ("Weeks", rules.previous_periods(now_keys["week"], 10))]
    groups = [(label, [k for k in keys if rules.after_joining(k, joined, time_zone)]) for label, keys in groups]
    listed = {key for _, keys in groups for key in keys}
    out = [{"label": page.t(label), "options": [(k, period_title(page, k)) for k in reversed(keys)]}
           for label, keys in groups if keys]
    if chosen not in listed:  # an older period asked for by its URL
        out.insert(0, {"label": page.t("Chosen"), "options": [(chosen, period_title(page, chosen))]})
    return out


def _reviews(page: Page, now_keys: dict) -> list[dict]:
    """The last closed months and quarters: their reviews appear the night after they end."""
    keys = (rules.previous_periods(now_keys["month"], 4)[:-1][::-1]
            + rules.previous_periods(now_keys["quarter"], 3)[:-1][::-1])
    return [{"key": k, "title": review_title(page, k)} for k in keys]


def review_title(page: Page, key: str) -> str:
    """Monthly review: October 2026 / 月检查：2026年10月."""
    kind = page.t("Monthly review") if key[0] == "M" else page.t("Quarterly review")
    return page.t("%(kind)s: %(period)s") % {"kind": kind, "period": period_title(page, key)}


@console_page(bp, "/console/dashboard")
def dashboard(page: Page) -> Response:
    who = page.who
    by = _slice_param(page.query.get("by"))
    value = (page.query.get("value") or "").strip() if by != "all" else ""
    if not page.query.get("period"):  # the last complete month in the firm's time zone (this one if it is new)
        settings = service.firm_settings(who.tenant_id)
        opening = rules.opening_month(datetime.now(timezone.utc), settings["time_zone"], _moment(settings["joined"]))
        chosen = {"period": opening, "by": "firm" if by == "all" else by}
        return page.redirect("/console/dashboard?" + urlencode({**chosen, **({"value": value} if value else {})}))
    # One read for the whole page: every slice of the period, the buildings, and one
    # BatchGetItem for the settings, the trend and the names (services/scores.dashboard).
    data = service.dashboard(who, {"period": page.query["period"], "by": by if value else "all",
                                   "value": value or "all"})
    period, time_zone, names = data["period"], data["time_zone"], data["names"]
    joined = _moment(data["joined"])
    now_keys = rules.period_keys(datetime.now(timezone.utc), time_zone)
    # Before the firm joined there was nothing to count: those periods are left out, not drawn as zero.
    trend = {"periods": [p for p in data["trend"]
                         if p["period"] == period or rules.after_joining(p["period"], joined, time_zone)]}
    before = trend["periods"][-2] if len(trend["periods"]) > 1 else None

    def rows(kind: str) -> list[dict]:
        return _rows(data["slices"].get(kind, []), _namer(page, kind, names))

    second = by if by in ("property", "building", "staff") else "building"
    table_rows = rows(by) if by != "all" else []
    category_rows = table_rows if by == "category" else rows("category")
    second_rows = table_rows if by == second else rows(second)

    headline = trend["periods"][-1]["scores"]
    focus = next((r for r in table_rows if r["value"] == value), None) if value else None
    if focus is not None:
        headline = focus["scores"]  # the slice's own row also has its share of the firm
    focus_label = (focus["label"] if focus else _namer(page, by, names)(value)) if value else page.t("The whole firm")

    category_chart, category_list = _hotspot_chart(page, category_rows, page.t("Reports by problem type"),
                                                   "hot-category")
    second_title = page.t({"building": "Reports by building", "property": "Reports by property",
                           "staff": "Reports by staff member"}[second])
    second_chart, second_list = _hotspot_chart(page, second_rows, second_title, f"hot-{second}")
    trends, trend_table = _trend_charts(page, trend)

    csv_query = f"period={period}&by={'firm' if by == 'all' else by}"
    context = {
        "period": period, "period_title": period_title(page, period),
        "period_span": _span(page, *rules.period_bounds(period, time_zone), time_zone),
        "by": by, "value": value, "focus_label": focus_label, "min_n": data["min_n"],
        "period_groups": _period_options(page, now_keys, period, joined, time_zone),
        "slice_options": [("firm" if k == "all" else k, page.t(v)) for k, v in SLICES.items()],
        "slice_choice": "firm" if by == "all" else by,
        "groups": _groups(page, headline, before), "servqual": _servqual(page, headline),
        "columns": [(k, page.t(v)) for k, v in COLUMNS.items()],
        "table_rows": [{"value": r["value"], "label": r["label"],
                        "cells": [figures.shown(r["scores"].get(k), page.lang, k) for k in COLUMNS]} for r in table_rows],
        "slice_name": page.t(SLICE_NAMES.get(by, "")),
        # a hotspot's own table only when the slice table above does not already list the same figures
        "category_chart": category_chart, "category_list": category_list if by != "category" else [],
        "second_title": second_title, "second_name": page.t(SLICE_NAMES[second]), "second_chart": second_chart,
        "second_list": second_list if by != second else [], "trends": trends, "trend_table": trend_table,
        "reviews": _reviews(page, now_keys), "csv_query": csv_query,
        "inspections": _inspections(page, data["inspections"]["firm"], data["inspections"]["property"],
                                    names["property"]),
    }
    return page.render("console/dashboard.html", title=page.t("Dashboard"), **context)


def _inspections(page: Page, firm: dict | None, by_property: dict, property_names: dict) -> dict | None:
    """The period's monthly inspections: items passed of inspected, for the firm, each
    property and (in a review) each area; None when nothing was inspected."""
    if not firm:
        return None
    web = _web()
    return {"passed": firm["passed"], "items": firm["items"],
            "areas": [{"name": web.localized(a.get("name"), page.lang, ""), "passed": a["passed"], "items": a["items"]}
                      for a in firm.get("areas") or [] if a.get("name")],
            "properties": sorted(({"name": property_names.get(pid) or "—", "passed": s["passed"], "items": s["items"]}
                                  for pid, s in by_property.items() if s), key=lambda p: p["name"])}


# --- CSV downloads (the JSON API's files, with the console's session) -------------------------------

def _csv_params(page: Page, *names: str) -> dict:
    params = {name: page.query[name] for name in names if page.query.get(name)}
    if "by" in params:
        params["by"] = _slice_param(params["by"])
    return params


def _csv(page: Page, name: str, text: str) -> Response:
    return page.answer(csv_download(name, text))


@console_page(bp, "/console/exports/tickets.csv")
def tickets_csv(page: Page) -> Response:
    return _csv(page, *exports.tickets_csv(page.who, _csv_params(page, "period")))


@console_page(bp, "/console/exports/scores.csv")
def scores_csv(page: Page) -> Response:
    return _csv(page, *exports.scores_csv(page.who, _csv_params(page, "period", "by")))


# --- the printable review -----------------------------------------------------------------------

def _share_text(score: dict | None) -> str:
    return f"{score['value']:.0f}%" if score and score.get("value") is not None else ""


def _place_rows(page: Page, items: list[dict]) -> list[dict]:
    return [{"name": b["name"], "volume": int(b["scores"]["volume"]["value"] or 0),
             "share": _share_text(b["scores"].get("share")),
             "csat": figures.shown(b["scores"].get("csat"), page.lang),
             "fixed": figures.shown(b["scores"].get("sla_resolution"), page.lang)} for b in items]


@console_page(bp, "/console/reviews/{period}")
def review(page: Page, period: str) -> Response:
    try:
        found = service.report(page.who, period)  # one GetItem; another firm's period is simply not there
    except (NotFound, InvalidInput):
        return message_page(page, 404, "This review is not there",
                            "A month's or a quarter's review is made the night after it ends. "
                            "This one is not finalised yet, or there is no such period.",
                            link=("/console/dashboard", "Back to the dashboard"))
    web, charts, lang = _web(), _charts(), page.lang
    firm = found.get("firm") or {}
    categories = found.get("categories") or []
    promised = sorted(found.get("promised") or [],
                      key=lambda p: (p["category"] != "*", p["category"], p["priority"] != "*", p["priority"]))
    names = {c["key"]: c.get("name") for c in categories if c.get("name")}
    if any(p["category"] not in names and p["category"] != "*" for p in promised):
        names = {**_category_names(page), **names}  # a promised type nobody reported: its name from the standards

    def category_name(key: str) -> str:
        return page.t("Every problem type") if key == "*" else web.localized(names.get(key), lang, key)

    hotspots = [{"name": category_name(c["key"]), "volume": int(c["scores"]["volume"]["value"] or 0),
                 "share": _share_text(c["scores"].get("share"))} for c in categories]
    hotspots = [h for h in hotspots if h["volume"]]
    by_category = {c["key"]: c["scores"] for c in categories}

    def achieved(category: str, name: str) -> dict:
        scores = firm if category == "*" else by_category.get(category)
        return figures.shown(scores.get(name) if scores else None, lang)

    promises = [{"category": category_name(p["category"]),
                 "priority": page.t(PRIORITIES[p["priority"]]) if p["priority"] in PRIORITIES else p["priority"],
                 "first_response": p.get("first_response") or "—", "resolution": p.get("resolution") or "—",
                 "answered": achieved(p["category"], "sla_first_response"),
                 "fixed": achieved(p["category"], "sla_resolution")} for p in promised]
    properties = []
    for index, prop in enumerate(found.get("properties") or []):
        buildings = _place_rows(page, prop.get("buildings") or [])
        properties.append({
            "name": prop["name"], "id": f"property-{index}",
            "rows": [{"key": k, "label": page.t(LABEL[k]), "score": figures.shown(prop["scores"].get(k), lang, k)}
                     for k in REVIEW_SCORES + ("share",) if k in prop["scores"]],
            "buildings": buildings,
            "chart": charts.bar_chart([(b["name"], b["volume"], f"{b['volume']} ({b['share']})" if b["share"]
                                        else str(b["volume"])) for b in buildings if b["volume"]][:HOTSPOT_BARS],
                                      title=page.t("Reports by building") + " · " + prop["name"],
                                      chart_id=f"property-{index}-buildings", axis_label=page.t("Reports"),
                                      empty=page.t("No reports in this period"))})
    heading = review_title(page, found["period"])
    context = {
        "heading": heading,
        "span": _span(page, _moment(found["from"]), _moment(found["to"]), found.get("time_zone") or "UTC"),
        "time_zone": found.get("time_zone", ""), "min_n": found.get("min_n", 5),
        "rows": [{"key": k, "label": page.t(LABEL[k]), "score": figures.shown(firm.get(k), lang, k)}
                 for k in REVIEW_SCORES if k in firm],
        "hotspots": hotspots,
        "hotspot_chart": charts.bar_chart([(h["name"], h["volume"], f"{h['volume']} ({h['share']})")
                                           for h in hotspots[:HOTSPOT_BARS]],
                                          title=page.t("Reports by problem type"), chart_id="review-categories",
                                          axis_label=page.t("Reports"), empty=page.t("No reports in this period")),
        "promises": promises, "properties": properties,
        "inspections": _inspections(page, found.get("inspections"),
                                    {p["id"]: p.get("inspections") for p in found.get("properties") or []},
                                    {p["id"]: p["name"] for p in found.get("properties") or []}),
    }
    return page.render("console/review.html", title=heading, **context)


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


__all__ = ["bp", "period_title"]
