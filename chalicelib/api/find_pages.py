"""Find my reports (``/r/{slug}/mine``): the residents' pages, plain HTML forms, no script.

1. GET  /r/{slug}/mine        the contact field
2. POST /r/{slug}/mine        a code is issued (sent only to a known contact): the code field
3. POST /r/{slug}/mine/code   a right code lists the reports; a wrong one says how many tries
                              are left; the fifth wrong one locks the code

Steps 2 and 3 answer the same page and status for a known and an unknown contact. The
contact travels in the form's body (never in a URL); the answers are never cached.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalice import Response

from ..domain.errors import InvalidInput, NotFound, RateLimited
from . import pages
from .http import Call, endpoint, lazy
from .pages import bp  # the residents' pages' blueprint (registered by app.py)

contact_rules = lazy("chalicelib.domain.contacts")

finder = lazy("chalicelib.services.find_reports")

NO_STORE = {"Cache-Control": "no-store"}
MESSAGES = {
    "contact": "Enter the phone number or e-mail address you reported with",
    "code": "Enter the 6-digit code",
    "wrong": "That code is not right. You can try %(n)s more times.",
    "locked": "That code was entered wrongly 5 times and no longer works. Ask for a new code.",
    "expired": "That code has expired or was already used. Ask for a new code.",
    "too_many": "Too many codes were asked for just now. Please try again in an hour.",
}


def _render(call: Call, slug: str, lang: str, firm: str, state: str, *, status: int = 200, contact: str = "",
            masked: str = "", errors: dict | None = None, reports: list | None = None, time_zone: str = "UTC",
            service_phone: str = "") -> Response:
    web = pages._web()
    from ..domain.resident_page import tel_href
    rows = []
    for r in reports or []:
        rows.append({"number": r.number, "status": web.gettext(lang, pages.STATUS_LABELS.get(r.status, "Received")),
                     "unit": r.unit, "created": web.format_time(r.created_at.isoformat(), lang, time_zone),
                     "category": r.category, "link": f"/t/{r.tracking_token}?lang={lang}" if r.tracking_token else ""})
    html = web.render("mine.html", lang, slug=slug, firm=firm, state=state, contact=contact, masked=masked,
                      errors=errors or {}, reports=rows, other_lang="en" if lang == "zh-CN" else "zh-CN",
                      service_phone=service_phone, service_tel=tel_href(service_phone),
                      title=web.gettext(lang, "Find my reports") + " · " + firm)
    return pages.page(status, html, **NO_STORE)


@dataclass(frozen=True)
class _Firm:
    """The firm a find-my-reports page is for, in the reader's language (one GetItem: the slug)."""
    profile: Any
    lang: str
    phone: str  # the firm's service phone


def _open(call: Call, slug: str, form_lang: str | None = None) -> _Firm | Response:
    """The firm behind ``slug`` with the page's language, or the not-found page."""
    from ..store import tenants as tenant_store
    try:
        profile = tenant_store.intake_profile(slug.lower(), take_ticket_number=False)
    except NotFound:
        return pages.not_found_page(call, pages.language(call, None, form_lang))
    return _Firm(profile, pages.language(call, profile.locale, form_lang),
                 (profile.resident_page or {}).get("service_phone", ""))


def _form(call: Call) -> tuple[dict, str, str | None]:
    """The posted form: its fields, the contact typed and the form's language."""
    data = call.form_or_json()
    data = data if isinstance(data, dict) else {}
    return data, pages._one(data.get("contact")).strip()[:254], pages._one(data.get("lang")) or None


@endpoint(bp, "/r/{slug}/mine", "GET", auth=False, summary="Find my reports: enter the phone or e-mail used (HTML)",
          tags=["residents"], responses={200: "the form", 404: "no such firm (a page)"},
          produces=["text/html"])
def find_form(call: Call, slug: str) -> Response:
    firm = _open(call, slug)
    if isinstance(firm, Response):
        return firm
    return _render(call, slug, firm.lang, firm.profile.name, "ask", service_phone=firm.phone)


def _categories(profile) -> dict:
    """Category names: the slug carries them (read already); a slug written before it did,
    from the firm's standards (one GetItem)."""
    if profile.category_names:
        return profile.category_names
    from ..store import tenants as tenant_store
    tenant_id = profile.tenant_id
    try:
        standards, _ = tenant_store.get_standards(tenant_id)
    except NotFound:
        return {}
    return {c["key"]: c.get("name") or {} for c in standards.get("categories") or []}


@endpoint(bp, "/r/{slug}/mine", "POST", auth=False,
          summary="Find my reports: ask for a 6-digit code (sent only to a contact with reports; same page either way)",
          tags=["residents"], content_types=["application/x-www-form-urlencoded"],
          responses={200: "the code form", 404: "no such firm", 422: "not a phone number or e-mail address",
                     429: "too many codes asked for (per contact and per address)"},
          produces=["text/html"])
def ask_code(call: Call, slug: str) -> Response:
    _, text, form_lang = _form(call)
    firm = _open(call, slug, form_lang)
    if isinstance(firm, Response):
        return firm
    profile, lang, phone, web = firm.profile, firm.lang, firm.phone, pages._web()
    try:
        asked = finder.request_code(slug.lower(), text, source_ip=call.source_ip, locale=lang)
    except InvalidInput:
        return _render(call, slug, lang, profile.name, "ask", status=422, contact=text, service_phone=phone,
                       errors={"contact": web.gettext(lang, MESSAGES["contact"])})
    except RateLimited:
        return _render(call, slug, lang, profile.name, "ask", status=429, contact=text, service_phone=phone,
                       errors={"contact": web.gettext(lang, MESSAGES["too_many"])})
    return _render(call, slug, lang, profile.name, "code", contact=text, masked=asked.contact.masked,
                   service_phone=phone)


@endpoint(bp, "/r/{slug}/mine/code", "POST", auth=False,
          summary="Find my reports: enter the code; a right one lists the reports of the last 12 months",
          tags=["residents"], content_types=["application/x-www-form-urlencoded"],
          responses={200: "the reports, each with its tracking link", 404: "no such firm",
                     410: "no live code: expired or used", 422: "wrong code (tries left said)",
                     429: "locked after 5 wrong codes"},
          produces=["text/html"])
def check_code(call: Call, slug: str) -> Response:
    data, text, form_lang = _form(call)
    code = pages._one(data.get("code")).strip()[:16]
    firm = _open(call, slug, form_lang)
    if isinstance(firm, Response):
        return firm
    profile, lang, phone, web = firm.profile, firm.lang, firm.phone, pages._web()
    try:
        masked = contact_rules.parse(text, profile.time_zone).masked
    except contact_rules.NotAContact:
        return _render(call, slug, lang, profile.name, "ask", status=422, contact=text, service_phone=phone,
                       errors={"contact": web.gettext(lang, MESSAGES["contact"])})
    again = {"contact": text, "masked": masked, "service_phone": phone}
    try:
        found = finder.find(slug.lower(), text, code)
    except finder.WrongCode as wrong:
        message = web.gettext(lang, MESSAGES["wrong"] if code else MESSAGES["code"]) % {"n": wrong.tries_left}
        return _render(call, slug, lang, profile.name, "code", status=422, errors={"code": message}, **again)
    except finder.CodeLocked:
        return _render(call, slug, lang, profile.name, "again", status=429,
                       errors={"code": web.gettext(lang, MESSAGES["locked"])}, **again)
    except finder.CodeExpired:
        return _render(call, slug, lang, profile.name, "again", status=410,
                       errors={"code": web.gettext(lang, MESSAGES["expired"])}, **again)
    names = _categories(profile)
    rows = [replace(r, category=web.localized(names.get(r.category), lang, r.category)) for r in found.reports]
    return _render(call, slug, lang, profile.name, "found", reports=rows, time_zone=found.time_zone, **again)
