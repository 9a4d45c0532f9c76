"""The published scorecard ``/p/{slug}/scorecard``: the latest finalised month and quarter,
for owners and residents. Opt-in (``survey.publish`` in the standards; properties listed in
``survey.publish_properties`` get their own tables). Plain sentences first, then every figure.
One BatchGetItem (the profile and its logo), no script, cacheable, no personal data; scores
below the firm's minimum n say "too few responses" instead."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chalice import Blueprint, Response

from ..domain.errors import NotFound
from ..domain.resident_page import tel_href
from . import pages
from .http import Call, endpoint, lazy

service = lazy("chalicelib.services.scorecard")
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

# The plain sentences that open each period (English msgids; zh-CN in messages.po): one
# wording per way a share reads (``figures.in_ten``), so numbers and plurals agree in both
# languages: "1 of the 6 residents ... was", "about 8 in 10 residents ... were".
SENTENCES = {
    "csat": {
        "nobody": "No resident rated our service after a report in this period.",
        "too_few": "Too few residents rated our service after a report to give a figure (%(n)s).",
        "one_yes": "The one resident who rated our service after a report was satisfied.",
        "one_no": "The one resident who rated our service after a report was not satisfied.",
        "none": "None of the %(n)s residents who rated our service after a report were satisfied.",
        "all": "All %(n)s residents who rated our service after a report were satisfied.",
        "exact_one": "1 of the %(n)s residents who rated our service after a report was satisfied.",
        "exact": "%(k)s of the %(n)s residents who rated our service after a report were satisfied.",
        "under": "Fewer than 1 in 10 residents who rated our service after a report were satisfied.",
        "over": "More than 9 in 10 residents who rated our service after a report were satisfied.",
        "ten_one": "About 1 in 10 residents who rated our service after a report was satisfied.",
        "ten": "About %(k)s in 10 residents who rated our service after a report were satisfied.",
    },
    "sla_resolution": {
        "nobody": "We finished no report in this period.",
        "too_few": "We finished too few reports to give a figure (%(n)s).",
        "one_yes": "We finished the one report of the period on time.",
        "one_no": "We finished the one report of the period late.",
        "none": "We finished none of the %(n)s reports on time.",
        "all": "We finished all %(n)s reports on time.",
        "exact_one": "We finished 1 of %(n)s reports on time.",
        "exact": "We finished %(k)s of %(n)s reports on time.",
        "under": "We finished fewer than 1 in 10 reports on time.",
        "over": "We finished more than 9 in 10 reports on time.",
        "ten_one": "We finished about 1 in 10 reports on time.",
        "ten": "We finished about %(k)s in 10 reports on time.",
    },
}
SURE = {  # the "how sure are we" line behind each sentence
    "csat": ("Based on 1 answer, the true share is very likely between %(low)s and %(high)s (a 95%% interval).",
             "Based on %(n)s answers, the true share is very likely between %(low)s and %(high)s (a 95%% interval)."),
    "sla_resolution": ("Based on 1 finished report, the true share is very likely between %(low)s and %(high)s "
                       "(a 95%% interval).",
                       "Based on %(n)s finished reports, the true share is very likely between %(low)s and "
                       "%(high)s (a 95%% interval)."),
}
TREND = {"up": "Up from %(before)s in %(period)s.", "down": "Down from %(before)s in %(period)s.",
         "same": "The same as in %(period)s (%(before)s)."}
REPORTS = ("We received 1 report in this period.", "We received %(n)s reports in this period.")


def sentence(key: str, score: dict | None, t) -> str:
    """The plain sentence for a share (``csat`` or ``sla_resolution``): its wording chosen by
    ``figures.in_ten`` from the exact count behind the %, "too few" below the firm's minimum."""
    words = SENTENCES[key]
    n = int((score or {}).get("n") or 0)
    if n == 0:
        return t(words["nobody"])
    if score.get("too_few"):
        return t(words["too_few"]) % {"n": n}
    successes = round(score["value"] * n / 100)  # the value is 100 * successes / n
    form, k = figures.in_ten(successes, n)
    if form in ("exact", "ten") and k == 1:
        form += "_one"
    return t(words[form]) % {"n": n, "k": k}


def how_sure(key: str, score: dict | None, lang: str, t) -> str:
    """"How sure are we": the 95 % interval and the n behind a sentence ("" without one)."""
    shown = figures.shown(score, lang)
    if shown["too_few"] or not shown["interval"]:
        return ""
    low, high = shown["interval"].split(" – ")
    one, many = SURE[key]
    return t(one if shown["n"] == 1 else many) % {"n": shown["n"], "low": low, "high": high}


def trend(score: dict | None, before: dict | None, period: str, lang: str, t) -> str:
    """The change against the previous period, in points of the rounded figures shown."""
    if not score or not before or score.get("too_few") or before.get("too_few") or \
            score.get("value") is None or before.get("value") is None:
        return ""
    now, then = round(score["value"]), round(before["value"])
    word = "up" if now > then else "down" if now < then else "same"
    return t(TREND[word]) % {"before": figures.figure(before["value"], "%", lang), "period": period}


def _promise_rows(review: dict, lang: str, web) -> list[dict]:
    """Every problem type that had reports, with what was promised for it (its own target,
    else the catch-all "*" one) and what was done."""
    def t(message: str) -> str:
        return web.gettext(lang, message)

    rows = []
    for category in review.get("categories") or []:
        volume = int(category["scores"]["volume"]["value"] or 0)
        if not volume:
            continue
        promise = service.promise_for(review.get("promised") or [], category["key"])
        rows.append({
            "key": category["key"],
            "name": web.localized(category.get("name") or {}, lang, category["key"]),
            "promise": t("First answer within %(a)s, finished within %(b)s.") % {
                "a": figures.duration_words(promise.get("first_response"), lang),
                "b": figures.duration_words(promise.get("resolution"), lang)},
            "reports": t(REPORTS[0] if volume == 1 else REPORTS[1]) % {"n": volume},
            "did": sentence("sla_resolution", category["scores"].get("sla_resolution"), t),
        })
    return rows


def _section(kind: str, review: dict, before: dict | None, published: list[str], lang: str, web,
             after_resolution: str, *, inspections: bool = False) -> dict:
    def t(message: str) -> str:
        return web.gettext(lang, message)

    def label(key: str) -> str:
        return t(LABELS[key])

    firm = review.get("firm", {})
    rows = [{"key": key, "label": label(key), "score": figures.shown(firm[key], lang, key)}
            for key in LABELS if key in firm]
    categories = review.get("categories") or []
    hotspots = [{"name": web.localized(c.get("name") or {}, lang, c["key"]),
                 "count": int(c["scores"]["volume"]["value"] or 0),
                 "share": figures.figure(c["scores"]["share"]["value"] or 0, "%", lang) if c["scores"].get("share") else ""}
                for c in categories[:5] if c["scores"]["volume"]["value"]]
    properties = [{"name": p["name"], "rows": [{"label": label(key), "score": figures.shown(p["scores"][key], lang, key)}
                                               for key in PROPERTY_ROWS if key in p["scores"]]}
                  for p in review.get("properties") or [] if p["id"] in published]
    kind_title = t("Month" if kind == "month" else "Quarter")
    title = figures.period_title(review["period"], lang, t)
    earlier = figures.period_title(before["period"], lang, t) if before else ""
    volume = int((firm.get("volume") or {}).get("value") or 0)
    headline = [{"key": key, "sentence": sentence(key, firm.get(key), t), "sure": how_sure(key, firm.get(key), lang, t),
                 "trend": trend(firm.get(key), (before or {}).get("firm", {}).get(key), earlier, lang, t)}
                for key in ("csat", "sla_resolution")]
    start, end = (datetime.fromisoformat(review[edge]) for edge in ("from", "to"))
    zone = ZoneInfo(review.get("time_zone") or "UTC")
    answered = int((firm.get("csat") or {}).get("n") or 0)
    method = t("Who was asked: every resident whose report we finished was invited, %(after)s later, to rate our "
               "service from 1 to 5, at most once in 30 days. When: %(from)s to %(to)s. How many answered: %(n)s.") % {
        "after": figures.duration_words(after_resolution, lang), "n": answered,
        "from": figures.day(start.astimezone(zone).date(), lang),
        "to": figures.day((end.astimezone(zone) - timedelta(days=1)).date(), lang)}
    # Inspections are monthly: the month's section shows them when the firm publishes them.
    from ..domain.inspections import scorecard_lines
    inspected = scorecard_lines(review, lang, t, publish=inspections and kind == "month")
    return {"kind": kind, "title": f"{kind_title}: {title}", "rows": rows, "headline": headline,
            "reports": t(REPORTS[0] if volume == 1 else REPORTS[1]) % {"n": volume}, "method": method,
            "hotspots": hotspots, "promises": _promise_rows(review, lang, web), "properties": properties,
            "inspections": inspected}


@endpoint(bp, "/p/{slug}/scorecard", "GET", auth=False,
          summary="A firm's published scorecard: the latest finalised month and quarter (HTML, cacheable)",
          tags=["scores"], responses={200: "the scorecard", 404: "no such firm, or it does not publish"},
          produces=["text/html"])
def scorecard(call: Call, slug: str) -> Response:
    try:
        found = service.published(slug.lower())
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
    card = found.scorecard or {}
    after = found.survey.get("after_resolution") or "24h"
    inspections = bool(found.survey.get("publish_inspections"))
    sections = [_section(kind, card[kind], card.get(f"{kind}_before"), published, lang, web, after,
                         inspections=inspections)
                for kind in ("month", "quarter") if card.get(kind)]
    phone = (found.resident_page or {}).get("service_phone") or ""
    return {"firm": found.name, "slug": slug, "sections": sections, "min_n": found.survey.get("min_n") or 5,
            "phone": phone, "phone_href": tel_href(phone), "logo": found.logo,
            "other_lang": "en" if lang == "zh-CN" else "zh-CN",
            "title": web.gettext(lang, "Our service scorecard") + " · " + found.name}
