"""A resident's own data, from their tracking link (``/t/{token}/...``): download it as a ZIP,
or erase their contact details. The erase GET only shows a button (link scanners and previews follow links); the POST,
with ``confirm=yes``, erases and is recorded on the report's timeline for the firm. No script.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from ..domain.errors import InvalidInput, NotFound
from ..domain.fields import Choice, Shape
from . import pages
from .http import Call, endpoint, lazy

resident_data = lazy("chalicelib.services.resident_data")
ticket_service = lazy("chalicelib.services.tickets")

bp = Blueprint(__name__)
ERASE = Shape(fields={
    "confirm": Choice(options=("yes",), description="yes: erase my contact details and entry notes"),
    "lang": Choice(options=("zh-CN", "en"), required=False, description="the page's language"),
})
CONFIRM_MISSING = "Confirm with the button to erase your contact details"


def _page(call: Call, token: str, state: str, lang: str | None, status: int = 200, error: str = "") -> Response:
    web = pages._web()
    lang = lang or pages.language(call, None)
    html = web.render("erase_contact.html", lang, token=token, state=state, firm=None,
                      title=web.gettext(lang, "Erase my contact details"), error=web.gettext(lang, error) if error else "",
                      other_lang="en" if lang == "zh-CN" else "zh-CN")
    return pages.page(status, html, **{"Cache-Control": "no-store"})


@endpoint(bp, "/t/{token}/erase-contact", "GET", auth=False,
          summary="Erase my contact details: a page with a button (nothing is erased by a GET)",
          tags=["residents"], responses={200: "the confirm page", 404: "unknown link (a page)"},
          produces=["text/html"])
def erase_confirm(call: Call, token: str) -> Response:
    try:
        ticket_service.track(token)
    except NotFound:
        return pages.not_found_page(call)
    lang = call.query.get("lang")
    return _page(call, token, "confirm", lang if lang in ("zh-CN", "en") else None)


@endpoint(bp, "/t/{token}/erase-contact", "POST", auth=False,
          summary="Erase my contact details and entry notes from this report (the report stays, anonymised; "
                  "messages stop); recorded on its timeline",
          tags=["residents"], request=ERASE, content_types=["application/x-www-form-urlencoded", "application/json"],
          produces=["application/json", "text/html"],
          responses={200: "erased (or nothing left to erase): a page, or {erased}", 404: "unknown link",
                     422: "confirm missing"})
def erase(call: Call, token: str):
    raw = call.form_or_json()
    form = pages.is_form(call)
    if form and isinstance(raw, dict):
        raw = {k: pages._one(v) for k, v in raw.items()}
    chosen = raw.get("lang") if isinstance(raw, dict) else None
    lang = chosen if chosen in ("zh-CN", "en") else None
    try:
        ERASE.parse_body(raw)
    except InvalidInput:
        if form:
            return _page(call, token, "confirm", lang, 422, CONFIRM_MISSING)
        raise
    if not form:
        return {"erased": resident_data.erase_contact(token)}
    try:
        erased = resident_data.erase_contact(token)
    except NotFound:
        return pages.not_found_page(call, lang)
    return _page(call, token, "erased" if erased else "nothing", lang)


@endpoint(bp, "/t/{token}/my-data", "POST", auth=False,
          summary="Download my data: a ZIP of the report, the messages sent to me and its photos (a short-lived "
                  "link; recorded on the report's timeline)",
          tags=["residents"], content_types=["application/x-www-form-urlencoded", "application/json"],
          produces=["application/json", "text/html"],
          responses={201: "{url, expires_in}", 303: "a browser's form: to the download", 404: "unknown link"})
def download(call: Call, token: str):
    form = pages.is_form(call)
    try:
        url = resident_data.download(token)
    except NotFound:
        if form:
            return pages.not_found_page(call)
        raise
    if form:
        return pages.page(303, "", Location=url, **{"Cache-Control": "no-store"})
    from ..adapters.photo_storage import VIEW_SECONDS
    return 201, {"url": url, "expires_in": VIEW_SECONDS}
