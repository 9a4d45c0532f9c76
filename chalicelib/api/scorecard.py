"""The published scorecard ``/p/{slug}/scorecard``: the latest finalised month and quarter,
for owners and residents. Opt-in (``survey.publish`` in the standards; properties listed in
``survey.publish_properties`` get their own tables). One GetItem, no script, cacheable,
no personal data; scores below the firm's minimum n say "too few responses" instead."""

from __future__ import annotations

from chalice import Blueprint, Response

from ..domain.errors import NotFound
from ..domain.inspections import scorecard_lines
from . import pages
from .http import Call, endpoint, lazy

tenant_store = lazy("chalicelib.store.tenants")
figures = lazy("chalicelib.web.figures")  # the same numbers as the console shows

bp = Blueprint(__name__)

# What each score is called on the page (English msgids; zh-CN in the pages' catalogue).
LABELS = {
    "csat": "Residents satisfied (rated 4 or 5 of 5)",
    "nps": "Net Promoter Score",
    "satisfaction_index": "Satisfaction index (0 to 100)",
    "sla_first_response": "First responses on time",
    "sla_resolution": "Repairs finished on time",
    "first_response_p50": "Time to first response, median",
    "first_response_p90": "Time to first response, 9 in 10 within",
    "resolution_p50": "Time to fix, median",
    "resolution_p90": "Time to fix, 9 in 10 within",
    "first_time_fix_ops": "Fixed on the first visit (our records)",
    "first_time_fix_said": "Fixed on the first visit (as residents told us)",
    "reopen_rate": "Reopened after we said it was fixed",
    "repeat_rate": "Reported again within 30 days",
    "follow_up_rate": "Called back within 48 hours",
    "volume": "Reports",
}
PROPERTY_ROWS = ("csat", "sla_first_response", "sla_resolution", "first_time_fix_ops", "volume")


def _section(kind: str, review: dict, published: list[str], lang: str, web, *, inspections: bool = False) -> dict:
    def label(key: str) -> str:
        return web.gettext(lang, LABELS[key])

    rows = [{"key": key, "label": label(key), "score": figures.shown(review["firm"][key], lang, key)}
            for key in LABELS if key in review.get("firm", {})]
    categories = review.get("categories") or []
    hotspots = [{"name": web.localized(c.get("name") or {}, lang, c["key"]),
                 "count": int(c["scores"]["volume"]["value"] or 0),
                 "share": figures.figure(c["scores"]["share"]["value"] or 0, "%", lang) if c["scores"].get("share") else ""}
                for c in categories[:5] if c["scores"]["volume"]["value"]]
    by_category = {c["key"]: c for c in categories}
    promises = []
    for promise in review.get("promised") or []:
        if promise["priority"] not in ("*", "normal"):
            continue
        category = by_category.get(promise["category"])
        if category is None:
            continue
        promises.append({"name": web.localized(category.get("name") or {}, lang, category["key"]),
                         "first_response": promise.get("first_response") or "—",
                         "resolution": promise.get("resolution") or "—",
                         "achieved": figures.shown(category["scores"]["sla_resolution"], lang)})
    properties = [{"name": p["name"], "rows": [{"label": label(key), "score": figures.shown(p["scores"][key], lang, key)}
                                               for key in PROPERTY_ROWS if key in p["scores"]]}
                  for p in review.get("properties") or [] if p["id"] in published]
    kind_title = web.gettext(lang, "Month" if kind == "month" else "Quarter")
    title = figures.period_title(review["period"], lang, lambda message: web.gettext(lang, message))
    # Inspections are monthly: the month's section shows them when the firm publishes them.
    inspected = scorecard_lines(review, lang, lambda message: web.gettext(lang, message),
                                publish=inspections and kind == "month")
    return {"kind": kind, "title": f"{kind_title}: {title}", "rows": rows,
            "hotspots": hotspots, "promises": promises, "properties": properties, "inspections": inspected}


@endpoint(bp, "/p/{slug}/scorecard", "GET", auth=False,
          summary="A firm's published scorecard: the latest finalised month and quarter (HTML, cacheable)",
          tags=["scores"], responses={200: "the scorecard", 404: "no such firm, or it does not publish"},
          produces=["text/html"])
def scorecard(call: Call, slug: str) -> Response:
    try:
        found = tenant_store.public_scorecard(slug.lower())
    except NotFound:
        return pages.not_found_page(call)
    if not found.survey.get("publish"):
        return pages.not_found_page(call)  # not published: no hint that it exists
    web = pages._web()
    lang = pages.language(call, found.locale)
    html = web.render("scorecard.html", lang, **page_context(found, slug.lower(), lang, web))
    return pages.page(200, html, **{"Cache-Control": "public, max-age=3600"})


def page_context(found, slug: str, lang: str, web) -> dict:
    """What scorecard.html shows for a firm's published profile (the console's preview too)."""
    published = list(found.survey.get("publish_properties") or [])
    sections = [_section(kind, found.scorecard[kind], published, lang, web,
                         inspections=bool(found.survey.get("publish_inspections")))
                for kind in ("month", "quarter") if (found.scorecard or {}).get(kind)]
    return {"firm": found.name, "slug": slug, "sections": sections, "min_n": found.survey.get("min_n") or 5,
            "other_lang": "en" if lang == "zh-CN" else "zh-CN",
            "title": web.gettext(lang, "Our service scorecard") + " · " + found.name}
