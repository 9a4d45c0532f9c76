"""Residents' HTML pages: the hosted report form, its form-encoded submission, the
tracking page, a thank-you page, 404 pages and the stylesheet.

The JSON routes stay in public.py; for a browser they hand over to ``submit_form`` and
``tracking_page`` here. jinja2 and babel load on first use (``chalicelib.web``), never
at import: importing app.py is the Lambda cold start.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from typing import Any

from chalice import Blueprint, Response

from ..domain.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, RateLimited, TransitionRefused
from ..observability import metrics
from . import http
from .http import SECURITY_HEADERS, Call, endpoint, lazy, site_url

register_view = lazy("chalicelib.services.register_view")
photo_rules = lazy("chalicelib.domain.photos")
survey_rules = lazy("chalicelib.domain.surveys")
ticket_service = lazy("chalicelib.services.tickets")
photo_service = lazy("chalicelib.services.photos")
survey_service = lazy("chalicelib.services.surveys")

bp = Blueprint(__name__)

HTML = "text/html; charset=utf-8"
CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
PAGE_HEADERS = {**SECURITY_HEADERS, "Content-Type": HTML, "Content-Security-Policy": CSP,
                "X-Frame-Options": "DENY", "Vary": "Accept, Accept-Language"}
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_\-.:]{8,128}")
WINDOW_ROWS = 2
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HONEYPOT = "website"

# Form field → (message when missing, message when not valid). English msgids; zh-CN in
# chalicelib/web/i18n. Order is the form's order (the error summary follows it).
FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "place": ("Choose your building", "Choose a building from the list"),
    "unit": ("Enter your unit number", "Enter a unit number of this building, like 1203"),
    "category": ("Choose what the problem is about", "Choose one of the listed problem types"),
    "urgency": ("Choose how urgent it is", "Choose one of the listed urgencies"),
    "description": ("Describe the problem", "Describe the problem in 5 to 4000 characters"),
    "entry_present": ("Say whether staff may enter without you", "Say whether staff may enter without you"),
    "window_from_0": ("Give at least one time when staff may enter without you",
                      "Enter times like 09:00, the end later than the start"),
    "window_from_1": ("Enter a start time like 09:00", "Enter times like 09:00, the end later than the start"),
    "pets": ("Tell us about pets", "Keep the note about pets under 200 characters"),
    "contact_name": ("Enter your name", "Keep your name under 80 characters"),
    "contact_phone": ("Enter a phone number", "Enter a phone number of 6 to 20 digits, like 138 0013 8000"),
    "contact_email": ("Enter an e-mail address", "Enter an e-mail address like name@example.com"),
    "contact_notify": ("Choose how we tell you", "Choose SMS, e-mail or no messages"),
}


def wants_html(call: Call) -> bool:
    return "text/html" in (call.header("accept") or "").lower()


def is_form(call: Call) -> bool:
    return (call.header("content-type") or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded"


def page(status: int, body: str, **headers: str) -> Response:
    return Response(body=body, status_code=status, headers={**PAGE_HEADERS, **headers})


def csp_with_photos(origin: str) -> str:
    """The tracking page may show photos from the bucket and post its upload form there."""
    return CSP.replace("img-src 'self' data:", f"img-src 'self' data: {origin}").replace(
        "form-action 'self'", f"form-action 'self' {origin}")


def _web():
    from .. import web
    return web


def language(call: Call, default: str | None, form_lang: str | None = None) -> str:
    return _web().choose_language(form_lang or call.query.get("lang"), call.header("accept-language"), default)


def too_many_page(call: Call, lang: str | None = None) -> Response:
    lang = lang or language(call, None)
    return page(429, _web().render("too_many.html", lang, title=_web().gettext(lang, "Too many reports in a short time")),
                **{"Retry-After": "600"})


def not_found_page(call: Call, lang: str | None = None) -> Response:
    lang = lang or language(call, None)
    return page(404, _web().render("not_found.html", lang, title=_web().gettext(lang, "Page not found")))


CANNOT_READ = {
    400: ("We could not read what was sent", "Your browser sent the form in a way we cannot read. Nothing was saved."),
    413: ("That was too much to send at once",
          "The form was larger than we accept. Shorten the text. Nothing was saved."),
}


def refusal_page(request: Any, error: Any) -> Response | None:
    """A browser's unreadable (400) or oversized (413) form on a public route: a page in the
    browser's language. Everything else keeps its own handling (JSON for API clients)."""
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
    if error.status not in CANNOT_READ or "text/html" not in headers.get("accept", "").lower():
        return None
    web = _web()
    lang = web.choose_language(None, headers.get("accept-language"), None)
    heading, message = CANNOT_READ[error.status]
    return page(error.status, web.render("cannot_read.html", lang, title=web.gettext(lang, heading),
                                         heading=web.gettext(lang, heading), message=web.gettext(lang, message)))


http.html_refusal = refusal_page


# --- the form -------------------------------------------------------------------------------

def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _one(value: Any) -> str:
    items = _list(value)
    return items[0] if items else ""


def flat_values(data: dict) -> dict:
    """The form's own names, as typed (for re-rendering), from a parsed form or query."""
    values = {name: _one(data.get(name)) for name in (
        "place", "unit", "category", "urgency", "description", "entry_present", "pets",
        "contact_name", "contact_phone", "contact_email", "contact_notify", "nonce", "notice_version")}
    if not values["place"] and data.get("building_id"):
        values["place"] = f"{_one(data.get('property_id'))}:{_one(data.get('building_id'))}"
    for name in ("window_day", "window_from", "window_to"):
        items = _list(data.get(name))
        values[name] = (items + [""] * WINDOW_ROWS)[:WINDOW_ROWS]
    return values


def report_from_form(values: dict) -> dict:
    """Map the flat form to the JSON shape ``submit_report`` validates."""
    property_id, _, building_id = values["place"].partition(":")
    report: dict[str, Any] = {"property_id": property_id, "building_id": building_id, "unit": values["unit"],
                              "category": values["category"], "urgency": values["urgency"],
                              "description": values["description"]}
    contact = {k: values[f"contact_{k}"] for k in ("name", "phone", "email", "notify") if values[f"contact_{k}"].strip()}
    if contact:
        report["contact"] = contact
    present = values["entry_present"]
    if present or values["pets"].strip():
        windows = []
        for day, start, end in zip(values["window_day"], values["window_from"], values["window_to"]):
            if start.strip() or end.strip():
                windows.append({"days": [day] if day else [], "from": start.strip(), "to": end.strip()})
        # The radio sends yes or no (nothing chosen: the default, only with the resident there);
        # anything else goes on as sent, for the boolean field to refuse beside the question.
        answers = {"yes": True, "": True, "no": False}
        report["entry"] = {"present": answers.get(present, present) if isinstance(present, str) else present,
                           "windows": windows if present == "no" else [], "pets": values["pets"]}
    if NONCE_PATTERN.fullmatch(values["nonce"] or ""):
        report["nonce"] = values["nonce"]
    return report


def form_field(path: str) -> str:
    """A service error path (``entry.windows[0].from``) → the form field that shows it."""
    if path in ("property_id", "building_id"):
        return "place"
    if path.startswith("contact."):
        return "contact_" + path.split(".", 1)[1]
    if path == "entry.pets":
        return "pets"
    if path == "entry.present":
        return "entry_present"
    match = re.match(r"entry\.windows(?:\[(\d+)\])?", path)
    if match:
        return f"window_from_{min(int(match.group(1) or 0), WINDOW_ROWS - 1)}"
    if path.startswith("entry"):
        return "entry_present"
    return path if path in FIELD_MESSAGES else "description"


def field_errors(problems: dict[str, str], lang: str) -> dict[str, str]:
    web = _web()
    errors: dict[str, str] = {}
    for path, reason in problems.items():
        name = form_field(path)
        if name in errors:
            continue
        missing, invalid = FIELD_MESSAGES.get(name, FIELD_MESSAGES["description"])
        needed = reason == "is required" or reason.startswith("is needed for messages")  # a channel chosen without it
        errors[name] = web.gettext(lang, missing if needed else invalid)
    order = list(FIELD_MESSAGES)
    return dict(sorted(errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99))


def render_form(slug: str, lang: str, context: dict, values: dict, errors: dict[str, str] | None = None) -> str:
    web = _web()
    register = context["register"]
    buildings = [b for p in register for b in p["buildings"]]
    if not values.get("place") and len(buildings) == 1:
        values["place"] = f"{buildings[0]['property_id']}:{buildings[0]['id']}"
    chosen = next((b for b in buildings if f"{b['property_id']}:{b['id']}" == values.get("place")), None)
    from ..domain.resident_page import notice_version, service_phone, tel_href
    from ..services.resident_page import notice
    firm_page = context.get("resident_page") or {}
    prop = next((p for p in register if chosen and p["id"] == chosen["property_id"]), register[0] if len(register) == 1 else {})
    phone = service_phone(firm_page, prop.get("service_phone"))
    if not any(b["units"] for b in buildings):  # a new firm: nowhere a report could be filed yet
        return web.render("not_open.html", lang, slug=slug, firm=context["name"], service_phone=phone,
                          service_tel=tel_href(phone), title=web.gettext(lang, "Report a problem") + " · " + context["name"],
                          other_lang="en" if lang == "zh-CN" else "zh-CN")
    return web.render(
        "form.html", lang, service_phone=phone, service_tel=tel_href(phone), notice_version=notice_version(firm_page),
        notice=notice(lang, context["name"], firm_page, prop.get("service_phone")), **_form_context(
            web, slug, lang, context, register, chosen, values, errors))


def _form_context(web, slug, lang, context, register, chosen, values, errors) -> dict:
    return dict(
        slug=slug, firm=context["name"], register=register, chosen=chosen,
        categories=context["categories"], priorities=context["priorities"], values=values, errors=errors or {},
        weekdays=WEEKDAYS, rows=range(WINDOW_ROWS), honeypot=HONEYPOT,
        title=web.gettext(lang, "Report a problem") + " · " + context["name"],
        other_lang="en" if lang == "zh-CN" else "zh-CN")


@endpoint(bp, "/r/{slug}", "GET", auth=False, summary="The hosted report form (HTML; ?lang=zh-CN|en, ?property=, "
          "?building= pre-fill)", tags=["residents"], responses={200: "the form", 404: "no such firm (a page)"},
          produces=["text/html"])
def report_form(call: Call, slug: str) -> Response:
    try:
        context = register_view.form_context(slug.lower())
    except NotFound:
        return not_found_page(call)
    lang = language(call, context["locale"])
    values = flat_values(call.query)
    if not values["place"] and call.query.get("property"):
        prop = next((p for p in context["register"] if p["id"] == call.query["property"]), None)
        if prop and prop["buildings"]:
            values["place"] = f"{prop['id']}:{prop['buildings'][0]['id']}"
    if not NONCE_PATTERN.fullmatch(values["nonce"]):
        values["nonce"] = secrets.token_urlsafe(18)
    # Not no-store: going back must show this very form (same nonce), so a resubmission
    # lands on the same ticket. Private and revalidated on every ordinary load.
    return page(200, render_form(slug, lang, context, values), **{"Cache-Control": "private, max-age=0"})


def submit_form(call: Call, slug: str, data: dict) -> Response:
    """A browser's form POST: 303 to the tracking page, or 422 with the form re-rendered."""
    values = flat_values(data)
    form_lang = _web().locale(_one(data.get("lang")))  # only one of our locales goes into a URL
    if _one(data.get(HONEYPOT)).strip():  # a bot filled the field people never see
        return page(303, "", Location=f"/r/{slug}/thanks" + (f"?lang={form_lang}" if form_lang else ""))
    try:
        report = report_from_form(values)
        try:
            answer, replayed = ticket_service.submit_report(slug.lower(), report, source_ip=call.source_ip,
                                                            notice_version=shown_notice(values),
                                                            locale=form_lang or None)
        except InvalidInput as error:
            if set(error.fields) != {"idempotency_key"}:
                raise
            # The form was sent before and then changed (back, edit, send): a new report.
            report["nonce"] = secrets.token_urlsafe(18)
            answer, replayed = ticket_service.submit_report(slug.lower(), report, source_ip=call.source_ip,
                                                            notice_version=shown_notice(values),
                                                            locale=form_lang or None)
    except RateLimited:
        return too_many_page(call, language(call, None, form_lang))
    except NotFound:
        return not_found_page(call, language(call, None, form_lang))
    except InvalidInput as error:
        try:
            context = register_view.form_context(slug.lower())
        except NotFound:
            return not_found_page(call, language(call, None, form_lang))
        lang = language(call, context["locale"], form_lang)
        if not NONCE_PATTERN.fullmatch(values["nonce"]):
            values["nonce"] = secrets.token_urlsafe(18)
        html = render_form(slug, lang, context, values, field_errors(error.fields, lang))
        return page(422, html)
    if not replayed:
        metrics.count("TicketCreated")
    # the tracking page in its confirmation state: reference first, where the link went, add photos
    location = f"/t/{answer['ticket']['tracking_token']}?new=1" + (f"&lang={form_lang}" if form_lang else "")
    return page(303, "", Location=location)


NOTICE_VERSION = re.compile(r"default-\d{4}-\d{2}|firm-\d{1,6}")


def shown_notice(values: dict) -> str | None:
    """The notice version the form showed (recorded with the resident's agreement); None:
    whatever is current."""
    return values.get("notice_version") if NOTICE_VERSION.fullmatch(values.get("notice_version") or "") else None


@endpoint(bp, "/r/{slug}/thanks", "GET", auth=False, summary="Thank-you page after a report (HTML)",
          tags=["residents"], responses={200: "thank you"}, produces=["text/html"])
def thanks(call: Call, slug: str) -> Response:
    lang = language(call, None)
    web = _web()
    return page(200, web.render("thanks.html", lang, slug=slug, title=web.gettext(lang, "Thank you")))


# --- tracking --------------------------------------------------------------------------------

EVENT_LABELS = {
    "received": "Received", "acknowledged": "Acknowledged", "assigned": "Assigned", "waiting": "Waiting for you",
    "scheduled": "Visit booked", "comment": "Message from staff", "resolved": "Resolved", "reopened": "Reopened",
    "closed": "Closed", "updated": "Details updated", "resident_replied": "Your reply", "photo_added": "Photo added",
    "messages_stopped": "You stopped messages", "messages_resumed": "You turned messages back on",
    "visit_cancelled": "Visit cancelled", "milestone_done": "Step done",
    "escalation_requested": "You took your complaint to the next stage",
}
STATUS_LABELS = {"new": "Received", "acknowledged": "Acknowledged", "assigned": "Being worked on",
                 "waiting": "Waiting for you", "resolved": "Resolved", "closed": "Closed"}


# The resident's forms on the tracking page: field → (missing, not valid), and what a
# refusal says beside the field. English msgids; zh-CN in chalicelib/web/i18n.
RESIDENT_FIELDS = {
    "reply": ("body", "Write your answer", "Keep your answer under 2000 characters",
              "We are no longer waiting for your answer"),
    "not_fixed": ("reason", "Say what is still wrong", "Keep the reason under 2000 characters",
                  "This report is not marked as resolved"),
}
TOO_LATE = "The 14 days to say it was not fixed have passed; please report the problem again"
CHANGED = "The report changed while you were writing. Check it and send again."


def resident_form_post(call: Call, token: str, action: str, data: dict) -> Response:
    """A browser's reply / not-fixed form: 303 back to the tracking page, or the page again
    with the message beside the field (what was typed kept)."""
    field, missing, invalid, refused = RESIDENT_FIELDS[action]
    text, form_lang = _one(data.get(field)), _web().locale(_one(data.get("lang")))
    act = ticket_service.resident_reply if action == "reply" else ticket_service.resident_not_fixed
    try:
        act(token, {field: text}, with_view=False)
    except NotFound:
        return not_found_page(call, language(call, None, form_lang))
    except (InvalidInput, TransitionRefused, Conflict) as error:
        if isinstance(error, InvalidInput):
            message = missing if error.fields.get(field) == "is required" else invalid
        elif isinstance(error, Conflict):
            message = CHANGED
        else:
            message = TOO_LATE if "14 days" in error.fields.get("reason", "") else refused
        return tracking_page(call, token, status=error.status, form_lang=form_lang,
                             errors={field: message}, values={field: text})
    location = f"/t/{token}" + (f"?lang={form_lang}" if form_lang else "")
    return page(303, "", Location=location)


ESCALATE_MESSAGES = {"is required": "Say why the answer did not settle your complaint",
                     "at least": "Say a little more: at least 5 characters",
                     "at most": "Keep the reason under 2000 characters"}
NO_NEXT_STAGE = "This report cannot be taken to a next stage"


def escalate_form_post(call: Call, token: str, data: dict) -> Response:
    """A browser's "take my complaint to stage 2" form: 303 to the next stage's tracking page
    (or back to this one when its link is no longer kept), or this page again with the reason
    beside the box, what was typed kept."""
    text, form_lang = _one(data.get("reason")), _web().locale(_one(data.get("lang")))
    try:
        answer = ticket_service.resident_escalate(token, {"reason": text}, locale=form_lang)
    except NotFound:
        return not_found_page(call, language(call, None, form_lang))
    except (InvalidInput, TransitionRefused, Conflict) as error:
        if isinstance(error, InvalidInput):
            reason = error.fields.get("reason", "") if text.strip() else "is required"
            message = next((m for cue, m in ESCALATE_MESSAGES.items() if cue in reason),
                           ESCALATE_MESSAGES["is required"])
        else:
            message = CHANGED if isinstance(error, Conflict) else NO_NEXT_STAGE
        return tracking_page(call, token, status=error.status, form_lang=form_lang,
                             errors={"reason_escalate": message}, values={"reason_escalate": text})
    lang_query = f"lang={form_lang}&" if form_lang else ""
    target = answer.get("tracking_token") or token
    return page(303, "", Location=f"/t/{target}?{lang_query}new=1" if answer.get("tracking_token")
                else f"/t/{token}" + (f"?lang={form_lang}" if form_lang else ""))


def _event_label(web, event: dict, lang: str) -> str:
    """A timeline entry in words: a milestone by the names the firm gave it; never a code (an
    event kind this page does not know reads "Other change")."""
    if event.get("by_resident"):
        return web.gettext(lang, "You said it is not fixed")
    if event["type"] == "milestone_done" and event.get("names"):
        return web.gettext(lang, "Done: %(what)s") % {
            "what": " · ".join(web.localized(name, lang) for name in event["names"])}
    return web.gettext(lang, EVENT_LABELS.get(event["type"], "Other change"))


def milestone_lines(web, view: dict, lang: str, tz: str) -> list[dict]:
    """The public milestones for the status card: done (when), due by, or after the step before."""
    lines = []
    by_key = {m["key"]: m for m in view.get("milestones") or []}
    for m in view.get("milestones") or []:
        name = web.localized(m.get("name"), lang, "")
        if m["state"] in ("met", "met_late"):
            text, css = web.gettext(lang, "done %(time)s") % {"time": web.format_time(m["done_at"], lang, tz)}, "met"
        elif m["state"] == "not_started":
            before = by_key.get(m.get("after") or "")
            text, css = (web.gettext(lang, "after “%(step)s”") % {"step": web.localized(before.get("name"), lang, "")}
                         if before else web.gettext(lang, "after the step before it")), ""
        elif m["state"] == "not_done":
            continue
        else:
            text, css = web.gettext(lang, "by %(time)s") % {"time": web.format_time(m["due"], lang, tz)}, ""
        lines.append({"key": m["key"], "name": name, "text": text, "class": css})
    return lines


def next_stage(web, context: dict, view: dict, lang: str, tz: str) -> dict | None:
    """A complaint's next stage on its tracking page: asked for (its report number and when),
    offered (once this stage has been answered), or None when the category has none."""
    to = (context.get("escalates_to") or {}).get(view["category"])
    if not to:
        return None
    target = next((c for c in context["categories"] if c["key"] == to), None)
    stage = web.localized(target["name"], lang, "") if target else ""
    timeline = view.get("timeline") or []
    done = next((e for e in timeline if e["type"] == "escalation_requested"), None)
    if done:
        return {"stage": stage, "number": done.get("number"), "at": web.format_time(done.get("at"), lang, tz)}
    answered = view["status"] == "resolved" or (view["status"] == "closed"
                                                 and any(e["type"] == "resolved" for e in timeline))
    return {"stage": stage} if answered and stage else None


def tracking_page(call: Call, token: str, *, status: int = 200, form_lang: str | None = None,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    try:
        context = register_view.tracking_context(token)
    except NotFound:
        return not_found_page(call, language(call, None, form_lang) if form_lang else None)
    web = _web()
    lang = language(call, context["locale"], form_lang)
    view, tz = context["view"], context["time_zone"]
    not_fixed_until = view.get("not_fixed_until")
    can_not_fix = bool(not_fixed_until) and datetime.now(timezone.utc) <= datetime.fromisoformat(
        not_fixed_until.replace("Z", "+00:00"))
    category = next((c for c in context["categories"] if c["key"] == view["category"]), None)
    urgency = next((p for p in context["priorities"] if p["key"] == view["urgency"]), None)
    promised = view.get("promised") or {}
    timeline = [{"label": _event_label(web, e, lang),
                 "at": web.format_time(e.get("at"), lang, tz),
                 # who did it; for an assignment, who will do the work (first names only)
                 "who": (e.get("assignee_name") if e["type"] == "assigned" else None)
                 or (e.get("by") or {}).get("name") or "",
                 "for": visit_words(e.get("for"), e.get("until"), lang, tz) if e.get("for") else "",
                 "text": e.get("question") or e.get("note") or e.get("body") or e.get("reason") or ""}
                for e in reversed(view.get("timeline") or [])]  # newest first, each stamped when it happened
    survey = None
    if view.get("survey_answered") or view.get("survey_until"):
        from ..domain.surveys import Questions
        until = view.get("survey_until")
        state = "answered" if view.get("survey_answered") else (
            "open" if until and datetime.now(timezone.utc) <= datetime.fromisoformat(until.replace("Z", "+00:00"))
            else "expired")
        survey = {"state": state, "questions": Questions.from_settings(context["survey"])}
    escalation = next_stage(web, context, view, lang, tz)
    upload, origin, can_add = None, "", photo_service.can_add(view)
    if view.get("photos") or can_add:
        origin = photo_service.bucket_origin()
    if can_add:
        upload = photo_service.upload_form(token, redirect=f"{site_url(call)}/t/{token}/photos/added?lang={lang}")
    html = web.render(
        "track.html", lang, firm=context["name"], view=view, timeline=timeline, time_zone=tz,
        milestones=milestone_lines(web, view, lang, tz), escalation=escalation,
        upload=upload, max_photos=photo_rules.MAX_PER_TICKET, survey=survey, **survey_texts(),
        category=web.localized(category["name"], lang, view["category"]) if category else view["category"],
        urgency=web.localized(urgency["name"], lang, view["urgency"]) if urgency else view["urgency"],
        status=web.gettext(lang, STATUS_LABELS.get(view["status"], view["status"])),
        created=web.format_time(view.get("created_at"), lang, tz),
        first_response=web.format_time(promised.get("first_response_by"), lang, tz),
        first_response_in=web.format_span(view.get("created_at"), promised.get("first_response_by"), lang),
        resolution=web.format_time(promised.get("resolution_by"), lang, tz),
        resolution_in=web.format_span(view.get("created_at"), promised.get("resolution_by"), lang),
        visit=visit_words(view.get("visit_at"), view.get("visit_until"), lang, tz),
        **status_card(call, context, view, lang), new=call.query.get("new") == "1",
        title=web.gettext(lang, "Report") + f" #{view['number']} · " + context["name"],
        other_lang="en" if lang == "zh-CN" else "zh-CN", token=token, slug=context.get("slug", ""),
        short=_short(token),
        can_not_fix=can_not_fix, not_fixed_by=web.format_time(not_fixed_until, lang, tz) if can_not_fix else "",
        errors={name: web.gettext(lang, message) for name, message in (errors or {}).items()},
        values=values or {})
    return page(status, html, **({"Content-Security-Policy": csp_with_photos(origin)} if origin else {}))


def visit_words(at: str | None, until: str | None, lang: str, tz: str) -> str:
    """A visit as people say it: weekday, date and time range (or start), no seconds."""
    if not at:
        return ""
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime
    web = _web()
    zone = ZoneInfo(tz) if tz else ZoneInfo("UTC")
    start = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(zone)
    day = format_datetime(start, "M月d日 EEEE" if lang == "zh-CN" else "EEEE d MMMM", locale=web.BABEL_LOCALE[lang])
    if until:
        end = datetime.fromisoformat(until.replace("Z", "+00:00")).astimezone(zone)
        return f"{day} {start:%H:%M}–{end:%H:%M}" if lang == "zh-CN" else f"{day}, {start:%H:%M}–{end:%H:%M}"
    return web.gettext(lang, "%(day)s, from %(time)s") % {"day": day, "time": f"{start:%H:%M}"}


STATUS_LINES = {
    "new": "We have your report and will answer soon.",
    "acknowledged": "We are looking at your report.",
    "assigned": "Someone is working on your report.",
    "waiting": "We need an answer from you: see the question below.",
    "resolved": "We have marked the problem as fixed.",
    "closed": "This report is closed.",
}


def status_card(call: Call, context: dict, view: dict, lang: str) -> dict:
    """The tracking page's top card: the state in words, promises met as met, who is coming,
    the firm's service phone, where the link went, and a zone note only when the reader's
    zone (CloudFront-Viewer-Time-Zone) is not the firm's."""
    from ..domain.resident_page import tel_href
    web, tz = _web(), context["time_zone"]
    met = view.get("met") or {}
    phone = context.get("service_phone") or ""
    sent = view.get("link_sent_to") or None
    return {
        "status_line": web.gettext(lang, STATUS_LINES.get(view["status"], STATUS_LINES["new"])),
        "responded": web.format_time(met.get("first_response_at"), lang, tz),
        "fixed": web.format_time(met.get("resolved_at"), lang, tz),
        "coming": view.get("assignee_name") if view["status"] not in ("resolved", "closed") else None,
        "service_phone": phone, "service_tel": tel_href(phone),
        "link_sent_to": sent, "wechat": "micromessenger" in (call.header("user-agent") or "").lower(),
        "zone_note": zone_differs(call.header("cloudfront-viewer-time-zone"), tz),
    }


def zone_differs(reader_zone: str | None, firm_zone: str) -> bool:
    if not reader_zone:
        return False
    from zoneinfo import ZoneInfo
    now = datetime.now(timezone.utc)
    try:
        return now.astimezone(ZoneInfo(reader_zone)).utcoffset() != now.astimezone(ZoneInfo(firm_zone)).utcoffset()
    except Exception:  # noqa: BLE001 - an unknown zone name from a header is no reason to fail
        return False
def _short(token: str) -> str | None:
    """The short link of the report's messages (their stop / resume forms post to it)."""
    from ..domain.tokens import short_of
    return short_of(token)


# --- the survey --------------------------------------------------------------------------------

RATING_LABELS = {5: "Very satisfied", 4: "Satisfied", 3: "Neither satisfied nor dissatisfied", 2: "Dissatisfied",
                 1: "Very dissatisfied"}
# Survey field → message (English msgids) when it is missing or not valid.
SURVEY_MESSAGES = {"rating": "Choose a rating from 1 to 5", "nps": "Choose a number from 0 to 10",
                   "fixed_first_visit": "Choose yes or no", "comment": "Keep your comment under 2000 characters"}


def survey_fields() -> tuple[str, ...]:
    return ("rating", "fixed_first_visit", "nps", "comment", *(f"sq_{d}" for d in survey_rules.SERVQUAL_ITEMS))


def survey_texts() -> dict:
    return {"rating_labels": RATING_LABELS, "servqual_items": survey_rules.SERVQUAL_ITEMS,
            "survey_fields": survey_fields()}


def survey_values(data: dict) -> dict:
    return {name: _one(data.get(name)) for name in survey_fields()}


def survey_errors(problems: dict[str, str]) -> dict[str, str]:
    return {name: SURVEY_MESSAGES.get(name, "Choose a number from 1 to 5") for name in survey_fields()
            if name in problems}


def survey_page(call: Call, token: str, *, status: int = 200, state: str | None = None, form_lang: str | None = None,
                errors: dict | None = None, values: dict | None = None) -> Response:
    """The invitation's page: the questions (one tap in the message chose the rating), or
    what became of the survey: thanks, already answered, expired."""
    try:
        form = survey_service.form_by_link(token)
    except NotFound:
        return not_found_page(call, language(call, None, form_lang) if form_lang else None)
    web = _web()
    lang = language(call, form.firm.get("locale"), form_lang)
    values = values or survey_values(call.query)
    state = state or form.state
    html = web.render("survey.html", lang, firm=form.firm.get("name"), token=token, state=state,
                      questions=form.questions, number=form.ticket.number, category=form.ticket.category,
                      values=values, errors={k: web.gettext(lang, v) for k, v in (errors or {}).items()},
                      other_lang="en" if lang == "zh-CN" else "zh-CN",
                      title=web.gettext(lang, "How did we do?") + " · " + (form.firm.get("name") or ""),
                      **survey_texts())
    # Not cacheable, never indexed: the link is the resident's.
    return page(status, html, **{"Cache-Control": "no-store"})


def survey_post(call: Call, token: str, data: dict, *, via_tracking: bool) -> Response:
    """A browser's survey form: 303 to the thank-you (or tracking) page, or the form again
    with the reason beside each field; a second answer gets "already answered"."""
    form_lang = _web().locale(_one(data.get("lang")))
    answer = {k: v for k, v in survey_values(data).items() if v != ""}
    try:
        if via_tracking:
            survey_service.answer_by_tracking(token, answer)
        else:
            survey_service.answer_by_link(token, answer)
    except NotFound:
        return not_found_page(call, language(call, None, form_lang))
    except InvalidInput as error:
        errors = survey_errors(error.fields)
        if via_tracking:
            return tracking_page(call, token, status=422, form_lang=form_lang, errors=errors,
                                 values=survey_values(data))
        return survey_page(call, token, status=422, form_lang=form_lang, errors=errors, values=survey_values(data))
    except TransitionRefused as error:
        from ..domain.surveys import refused_state
        state = refused_state(error)
        if via_tracking:
            return tracking_page(call, token, status=409, form_lang=form_lang)
        return survey_page(call, token, status=409 if state == "answered" else 410, state=state, form_lang=form_lang)
    suffix = f"?lang={form_lang}" if form_lang else ""
    if via_tracking:
        return page(303, "", Location=f"/t/{token}{suffix}#survey-thanks")
    return page(303, "", Location=f"/s/{token}" + (suffix + "&" if suffix else "?") + "thanks=1")


# --- photos ------------------------------------------------------------------------------------

# What the page says beside the upload field when a photo is refused (English msgids).
PHOTO_MESSAGES = {
    "not_photo": "Choose a photo: JPEG, PNG, HEIC or WebP",
    "too_large": "The photo must be 10 MB or smaller",
    "too_many_pixels": "The photo must be at most 40 megapixels: choose a smaller size or camera resolution",
    "full": "A report takes at most 5 photos",
    "closed": "This report is closed and takes no more photos",
    "missing": "The photo did not arrive. Please choose it and upload it again",
}


def photo_added(call: Call, token: str, key: str) -> Response:
    """Where S3 sends the browser after an upload: check the file, then 303 back to the
    tracking page, or the page again with the reason beside the upload field."""
    form_lang = _web().locale(call.query.get("lang"))
    try:
        photo_service.accept(token, key)
    except NotFound as error:
        if "upload" not in error.message:
            return not_found_page(call, language(call, None, form_lang))
        return tracking_page(call, token, status=404, form_lang=form_lang,
                             errors={"photo": PHOTO_MESSAGES["missing"]})
    except (InvalidInput, PayloadTooLarge, TransitionRefused) as error:
        reason = error.fields.get("photo", "")
        which = ("too_large" if isinstance(error, PayloadTooLarge) else "too_many_pixels" if "megapixels" in reason
                 else "not_photo" if isinstance(error, InvalidInput) else "closed" if "closed" in reason else "full")
        return tracking_page(call, token, status=error.status, form_lang=form_lang,
                             errors={"photo": PHOTO_MESSAGES[which]})
    location = f"/t/{token}" + (f"?lang={form_lang}" if form_lang else "") + "#photos"
    return page(303, "", Location=location)


# --- the stylesheet ----------------------------------------------------------------------------

@endpoint(bp, "/static/app.css", "GET", auth=False, summary="The pages' stylesheet (cacheable)", tags=["residents"],
          responses={200: "the stylesheet"}, produces=["text/css"])
def stylesheet(call: Call) -> Response:
    web = _web()
    return css_response(call, web.stylesheet(), web.stylesheet_version())


def css_response(call: Call, text: str, version: str) -> Response:
    """A stylesheet, cached for good when asked for by its current version (?v=)."""
    return Response(body=text, status_code=200, headers={
        **SECURITY_HEADERS, "Content-Type": "text/css; charset=utf-8",
        "Cache-Control": "public, max-age=31536000, immutable" if call.query.get("v") == version
        else "public, max-age=300"})


from . import find_pages  # noqa: E402,F401 - registers /r/{slug}/mine (find my reports) on this blueprint
