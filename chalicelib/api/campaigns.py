"""Satisfaction campaigns: admins start one; households answer at ``/c/{slug}/{campaign_id}``
(link or QR poster, JavaScript off, zh-CN/en); staff read results by property and building."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from ..domain.errors import Conflict, InvalidInput, NotFound, TransitionRefused
from . import pages
from .http import Call, Later, endpoint, lazy, site_url

if TYPE_CHECKING:
    from ..domain.campaigns import Campaign

service = lazy("chalicelib.services.campaigns")
posters = lazy("chalicelib.services.posters")
rules = lazy("chalicelib.domain.campaigns")
tsm = lazy("chalicelib.domain.tsm")

bp = Blueprint(__name__)


@cache
def messages() -> dict[str, str]:
    """Form field → the message beside it (English msgids; zh-CN in the pages' catalogue)."""
    return {"place": "Choose your building", "unit": "Enter your unit number",
            "p": "Choose a number from 1 to 7", "e": "Choose a number from 1 to 7",
            "w": "Give whole numbers that add up to 100",
            **{key: "Choose yes or no" for key in tsm.FILTERS},
            **{q.field: "Choose one answer" for q in tsm.QUESTIONS}}


@cache
def fields() -> frozenset[str]:
    """Every field of a questionnaire form."""
    return frozenset(("place", "unit") + tuple(f"w_{d}" for d in rules.DIMENSION_HEADINGS) + tuple(
        f"{part}_{item.key}" for items in rules.QUESTIONNAIRES.values() for item in items for part in ("p", "e"))
        + tuple(tsm.FILTERS) + tuple(q.field for q in tsm.QUESTIONS))


def _message(field: str) -> str:
    """The message beside a field: its own, else its kind's (``p_3`` → ``p``)."""
    found = messages()
    return found.get(field) or found.get(field.split("_")[0], found["p"])


@endpoint(bp, "/api/campaigns", "POST", admin=True, summary="Start a satisfaction campaign for chosen properties",
          tags=["surveys"], request=Later(lambda: rules.CREATE), responses={201: "the campaign, its public link and poster",
                                                       422: "invalid fields"})
def create_campaign(call: Call):
    return 201, service.create(call.who, call.json())


@endpoint(bp, "/api/campaigns", "GET", summary="Your satisfaction campaigns", tags=["surveys"],
          responses={200: "campaigns"})
def list_campaigns(call: Call) -> dict:
    return service.list_campaigns(call.who)


@endpoint(bp, "/api/campaigns/{campaign_id}/results", "GET",
          summary="A campaign's SERVQUAL results: P, E and gap per dimension, weighted gap, satisfaction index, "
                  "for the firm, each property and each building",
          tags=["surveys"], responses={200: "results, each with n and a 95 % interval", 404: "no such campaign"})
def campaign_results(call: Call, campaign_id: str) -> dict:
    return service.results(call.who, campaign_id)


@endpoint(bp, "/api/campaigns/{campaign_id}/poster.svg", "GET", admin=True,
          summary="The campaign's QR code (SVG) for lobby posters", tags=["surveys"],
          responses={200: "the QR code", 404: "no such campaign", 422: "this site's address cannot be told"},
          produces=["image/svg+xml"])
def campaign_poster(call: Call, campaign_id: str) -> Response:
    from ..store import campaigns as store
    from ..store import tenants as tenant_store
    store.get(call.who.tenant_id, campaign_id)  # NotFound for another firm's
    slug = tenant_store.get_tenant(call.who.tenant_id).slug
    url = f"{site_url(call)}/c/{slug}/{campaign_id}"
    svg = posters.qr_svg(posters.qr_code(url), title=url)
    return Response(body=svg, status_code=200, headers={**pages.PAGE_HEADERS,
                                                        "Content-Type": "image/svg+xml; charset=utf-8"})


def _item_labels(web: Any, lang: str, campaign: Campaign) -> dict[str, str]:
    """What the error summary calls each field of the full form: its number and statement, and
    whose answer it is (an excellent firm's or ours) when both are asked."""
    labels = {}
    whose = web.gettext(lang, "%(question)s (%(whose)s)")
    excellent, ours = web.gettext(lang, "An excellent property firm"), web.gettext(lang, "Our property firm")
    for item in campaign.items:
        question = f"{item.number}. {web.gettext(lang, item.statement)}"
        labels[f"e_{item.key}"] = whose % {"question": question, "whose": excellent}
        labels[f"p_{item.key}"] = whose % {"question": question, "whose": ours} if campaign.expectations else question
    return labels


def _tsm_questions(web: Any, lang: str, landlord: str) -> list[dict]:
    """The TP survey as the page asks it, in the regulator's order and wording with the firm's
    name: each TP question with its answer options, a filter question ("Has ... carried out a
    repair ...?") just before the first question it decides."""
    said = {option: web.gettext(lang, label) for option, label in tsm.OPTION_LABELS.items()}
    yes_no = [("yes", web.gettext(lang, "Yes")), ("no", web.gettext(lang, "No"))]
    steps: list[dict] = []
    for q in tsm.QUESTIONS:
        if q.asked_if and not any(step["field"] == q.asked_if for step in steps):
            steps.append({"field": q.asked_if, "code": "", "asked_if": None, "options": yes_no,
                          "text": web.gettext(lang, tsm.FILTERS[q.asked_if]) % {"landlord": landlord}})
        steps.append({"field": q.field, "code": q.code, "asked_if": q.asked_if,
                      "text": web.gettext(lang, q.text) % {"landlord": landlord},
                      "options": [(option, said[option]) for option in q.options]})
    return steps


def _tsm_labels(web: Any, lang: str, landlord: str) -> dict[str, str]:
    """What the error summary calls each field of the TP survey: its question."""
    return {step["field"]: step["text"] for step in _tsm_questions(web, lang, landlord)}


def _page(call: Call, slug: str, campaign_id: str, *, status: int = 200, state: str | None = None,
          form_lang: str | None = None, errors: dict | None = None, values: dict | None = None) -> Response:
    try:
        shown = service.form(slug.lower(), campaign_id)
    except NotFound:
        return pages.not_found_page(call, pages.language(call, None, form_lang) if form_lang else None)
    web = pages._web()
    lang = pages.language(call, shown.firm.get("locale"), form_lang)
    from ..domain.surveys import SERVQUAL_ITEMS
    campaign = shown.campaign
    buildings = [{"value": f"{p['id']}:{b['id']}", "name": f"{p['name']} · {b['name']}"}
                 for p in shown.register for b in p["buildings"]]
    full = campaign.form == "full"
    groups = [(d, heading, [item for item in campaign.items if item.dimension == d])
              for d, heading in rules.DIMENSION_HEADINGS.items()] if full else []
    html = web.render("campaign.html", lang, firm=shown.firm["name"], campaign=campaign,
                      state=state or shown.state, slug=slug.lower(), buildings=buildings, items=SERVQUAL_ITEMS,
                      groups=groups, headings=rules.DIMENSION_HEADINGS,
                      labels=_item_labels(web, lang, campaign) if full else _tsm_labels(web, lang, shown.firm["name"])
                      if campaign.is_tsm else {},
                      tsm=_tsm_questions(web, lang, shown.firm["name"]) if campaign.is_tsm else None,
                      scale=range(rules.SCALE[0], rules.SCALE[1] + 1), values=values or {},
                      errors={k: web.gettext(lang, v) for k, v in (errors or {}).items()},
                      other_lang="en" if lang == "zh-CN" else "zh-CN",
                      title=campaign.name + " · " + shown.firm["name"])
    return pages.page(status, html, **{"Cache-Control": "no-store"})


@endpoint(bp, "/c/{slug}/{campaign_id}", "GET", auth=False, summary="A campaign's questionnaire (HTML)",
          tags=["surveys"], responses={200: "the questionnaire, or that it is closed", 404: "no such campaign"},
          produces=["text/html"])
def campaign_form(call: Call, slug: str, campaign_id: str) -> Response:
    return _page(call, slug, campaign_id, state="thanks" if call.query.get("thanks") else None)


@endpoint(bp, "/c/{slug}/{campaign_id}", "POST", auth=False, summary="A household answers a campaign (once per unit)",
          tags=["surveys"], content_types=["application/x-www-form-urlencoded", "application/json"],
          responses={201: "counted", 303: "a browser's form: to a thank-you page", 404: "no such campaign",
                     409: "this unit has answered already", 410: "the campaign is closed", 422: "invalid answers"},
          produces=["application/json", "text/html"])
def campaign_answer(call: Call, slug: str, campaign_id: str):
    body: Any = call.form_or_json()
    browser = pages.is_form(call) and pages.wants_html(call)
    if isinstance(body, dict):
        body = {k: pages._one(v) if isinstance(v, list) else v for k, v in body.items()}
    form_lang = pages._web().locale(body.get("lang")) if isinstance(body, dict) else None
    try:
        service.answer(slug.lower(), campaign_id, body if isinstance(body, dict) else {})
    except InvalidInput as error:
        if not browser:
            raise
        errors = {name: _message(name) for name in error.fields if name in fields()}
        return _page(call, slug, campaign_id, status=422, form_lang=form_lang, errors=errors,
                     values={k: str(v) for k, v in body.items()})
    except Conflict:
        if not browser:
            raise
        return _page(call, slug, campaign_id, status=409, state="answered", form_lang=form_lang)
    except TransitionRefused as error:
        error.status = 410
        if not browser:
            raise
        return _page(call, slug, campaign_id, status=410, form_lang=form_lang)
    if browser:
        return pages.page(303, "", Location=f"/c/{slug.lower()}/{campaign_id}?thanks=1"
                          + (f"&lang={form_lang}" if form_lang else ""))
    return 201, {"counted": True}
