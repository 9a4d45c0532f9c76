"""Console pages for admins: the property register (with the units CSV import), staff,
notification channels (with a test message) and lobby posters. Every page is admin-only
and calls the same services as the JSON API (chalicelib/api/admin.py, posters.py).

The units import takes pasted text or a file (.csv in UTF-8 or GB18030, or .xlsx): its form
is the one console form sent as multipart (``console_page(files=True)``, console/uploads.py);
the file is read by domain/register_files.py.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from chalice import Blueprint, Response

from ...domain.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, PlanLimitReached
from ...observability import logger
from ..http import lazy, site_url
from .session import PAGE_HEADERS, Page, console_page, field_errors

registry = lazy("chalicelib.services.registry")
register_view = lazy("chalicelib.services.register_view")
staff = lazy("chalicelib.services.staff")
firm = lazy("chalicelib.services.firm")
posters = lazy("chalicelib.services.posters")
channel_check = lazy("chalicelib.services.channel_check")

bp = Blueprint(__name__)

CSV_MAX_BYTES = 1024 * 1024  # as the JSON import (api/admin.py)
CSV_FORM_MAX_BYTES = 4 * CSV_MAX_BYTES  # urlencoding triples every byte that is not a letter or digit
UNITS_SHOWN_OPEN = 60  # a building with more units lists them behind "Show the units"

# Field → what to say when it is refused (English msgids; zh-CN in console_manage.po).
PROPERTY_MESSAGES = {"name": "Enter the property's name (up to 120 characters)",
                     "address": "Keep the address under 300 characters"}
BUILDING_MESSAGES = {"name": "Enter the building's name as residents call it (up to 60 characters)"}
UNIT_MESSAGES = {"code": "Enter a unit number like 1203 or B-2/301",
                 "floor": "Enter the floor as a whole number between -10 and 300, or leave it empty"}
INVITE_MESSAGES = {"email": "Enter an e-mail address like name@example.com",
                   "name": "Enter their name (up to 80 characters)",
                   "role": "Choose staff or admin"}
# A plan's limit (domain/metering.py), in the page's language (console_usage.po)
PLAN_LIMITS = {"staff_seats": "Your plan's staff seats are all taken: deactivate someone or change the plan",
               "properties": "Your plan allows no more properties: change the plan to add one"}
DONE = {
    "property": "The property is added. Add its buildings and units below.",
    "building": "The building is added.",
    "unit": "The unit is added.",
    "invited": "The invitation is sent. They choose their own password at their first sign-in.",
    "role": "The role is changed.",
    "deactivated": "The person is deactivated and can no longer sign in.",
    "reactivated": "The person is active again and can sign in.",
    "phone": "The property's service phone is saved.",
}
KIND_NAMES = {"email": "E-mail", "sms": "SMS", "wecom": "WeCom bot", "dingtalk": "DingTalk bot", "slack": "Slack",
              "webhook": "Webhook"}
MESSAGE_NAMES = {"sla_warning": "Deadline warning", "sla_breach_level1": "Deadline missed (level 1)",
                 "sla_breach_level2": "Deadline missed (level 2)", "visit_reminder": "Visit reminder",
                 "survey_invite": "Survey invitation", "test_message": "Test message"}
# A test's outcome code (channel_check.reason_code) → what the admin is told.
TEST_REASONS = {
    "timeout": "no answer came within 5 seconds.",
    "connection-refused": "the connection was refused.",
    "dns": "the host name did not resolve.",
    "tls": "the host's TLS certificate is not valid.",
    "not-configured": "the e-mail or SMS service is not set up for this site.",
    "unreachable": "the e-mail or SMS service could not be reached. Try again in a few minutes.",
    "unusable": "its settings cannot be used. Correct them in the service standards.",
    "try-later": "the service is busy or could not be reached. Try again in a few minutes.",
    "refused": "the service refused it. Check the address, key or secret.",
}
ROW_FIELD = re.compile(r"rows\[(\d+)\]\.(\w+)$")
REASON_PATTERNS = (  # service reasons with a number in them → (pattern, msgid with %(n)s / %(a)s, %(b)s)
    (re.compile(r"repeats row (\d+)$"), "repeats row %(n)s"),
    (re.compile(r"must be at most (\d+) characters$"), "must be at most %(n)s characters"),
    (re.compile(r"must be between (-?\d+) and (-?\d+)$"), "must be between %(a)s and %(b)s"),
    (re.compile(r"at most (\d+) rows per import$"), "at most %(n)s rows per import"),
)


def _done(page: Page) -> str:
    key = page.query.get("done", "")
    if key == "imported" and (page.query.get("n") or "").isdigit():
        return page.t("%(n)s units are imported.") % {"n": int(page.query["n"])}
    return page.t(DONE[key]) if key in DONE else ""


# The units import's header reasons name columns: by their names in the page's language.
MISSING_COLUMNS = re.compile(r"the header must name the columns building,unit \(floor is optional\); missing: (.+)$")
COLUMN_NAMES = {"building": "Building", "unit": "Unit", "floor": "Floor"}


def _reason(page: Page, reason: str) -> str:
    """A service's reason in the page's language (the English text when there is none)."""
    missing = MISSING_COLUMNS.match(reason)
    if missing:
        names = [page.t(COLUMN_NAMES.get(c, c)) for c in missing.group(1).split(", ")]
        return page.t("the header row must name the building and unit columns; missing: %(columns)s") % {
            "columns": page.t(", ").join(names)}
    if reason.startswith("unknown columns: "):  # the file's own header cells, shown as typed
        return page.t("unknown columns: %(columns)s") % {"columns": reason[len("unknown columns: "):]}
    for pattern, msgid in REASON_PATTERNS:
        found = pattern.match(reason)
        if found:
            groups = found.groups()
            args = {"n": groups[0]} if len(groups) == 1 else {"a": groups[0], "b": groups[1]}
            return page.t(msgid) % args
    return page.t(reason)


# --- the property register ----------------------------------------------------------------

def _register(page: Page, status: int = 200, *, values: dict | None = None, errors: dict | None = None,
              building: dict | None = None) -> Response:
    """Properties with their buildings (and unit counts): three key queries. A refused
    building for a property that is not this firm's is NotFound, as if it had been checked first."""
    tree = register_view.register(page.who.tenant_id)
    if building and not any(p["id"] == building.get("property_id") for p in tree):
        raise NotFound("No such property.")
    return page.render("console/register.html", status, title=page.t("Properties"), properties=tree,
                       values=values or {}, errors=errors or {}, building=building or {}, notice=_done(page))


@console_page(bp, "/console/register", admin=True)
def register_page(page: Page) -> Response:
    return _register(page)


@console_page(bp, "/console/register/properties", ("POST",), admin=True)
def add_property(page: Page) -> Response:
    values = {"name": page.value("name"), "address": page.value("address")}
    try:
        added = registry.add_property(page.who, values)
    except InvalidInput as error:
        return _register(page, 422, values=values, errors=field_errors(page, error, PROPERTY_MESSAGES))
    except PlanLimitReached:
        return _register(page, 403, values=values, errors={"name": page.t(PLAN_LIMITS["properties"])})
    return page.redirect(f"/console/register/properties/{quote(added['id'], safe='')}?done=property")


@console_page(bp, "/console/register/properties/{property_id}/buildings", ("POST",), admin=True)
def add_building(page: Page, property_id: str) -> Response:
    name, back = page.value("name"), page.value("back")
    try:
        registry.add_building(page.who, property_id, {"name": name})
    except InvalidInput as error:
        refused = {"value": name, "error": field_errors(page, error, BUILDING_MESSAGES).get("name", "")}
        if back == "property":
            return _property(page, property_id, 422, building=refused)
        return _register(page, 422, building={**refused, "property_id": property_id})
    if back == "property":
        return page.redirect(f"/console/register/properties/{quote(property_id, safe='')}?done=building")
    return page.redirect("/console/register?done=building")


def _property(page: Page, property_id: str, status: int = 200, *, building: dict | None = None,
              unit: dict | None = None, csv: dict | None = None, phone: dict | None = None) -> Response:
    """One property's buildings and units (the same three queries as the register page)."""
    tree = register_view.register(page.who.tenant_id)
    prop = next((p for p in tree if p["id"] == property_id), None)
    if prop is None:
        raise NotFound("No such property.")
    return page.render("console/property.html", status, title=prop["name"], prop=prop,
                       building=building or {}, unit=unit or {"values": {}, "errors": {}},
                       csv=csv or {"text": "", "rows": [], "error": "", "detail": ""},
                       shown_open=UNITS_SHOWN_OPEN, notice=_done(page),
                       phone=phone or {"value": prop.get("service_phone", ""), "error": ""})


@console_page(bp, "/console/register/properties/{property_id}", admin=True)
def property_page(page: Page, property_id: str) -> Response:
    return _property(page, property_id)


@console_page(bp, "/console/register/properties/{property_id}/units", ("POST",), admin=True)
def add_unit(page: Page, property_id: str) -> Response:
    values = {"building_id": page.value("building_id"), "code": page.value("code"), "floor": page.value("floor")}
    try:
        registry.add_unit(page.who, property_id, values["building_id"], {"code": values["code"],
                                                                        "floor": values["floor"]})
    except InvalidInput as error:
        return _property(page, property_id, 422, unit={"values": values,
                                                       "errors": field_errors(page, error, UNIT_MESSAGES)})
    except Conflict:
        return _property(page, property_id, 409, unit={"values": values, "errors": {
            "code": page.t("This unit is already registered in that building")}})
    except NotFound:  # the building is not one of this property's (or the property is not ours: 404 below)
        return _property(page, property_id, 422, unit={"values": values, "errors": {
            "building_id": page.t("Choose one of this property's buildings")}})
    return page.redirect(f"/console/register/properties/{quote(property_id, safe='')}?done=unit")


@console_page(bp, "/console/register/properties/{property_id}/import", ("POST",), admin=True,
              max_body=CSV_FORM_MAX_BYTES, files=True)
def import_units(page: Page, property_id: str) -> Response:
    """Pasted rows, or a chosen file (it wins when both are sent): all rows or none."""
    upload = page.form.get("file")
    text = page.value("csv") if not upload else ""
    try:
        if upload:
            from ...domain.register_files import MAX_BYTES, kind_of
            kind = kind_of(upload.filename)
            if kind is None:
                return _property(page, property_id, 422, csv={
                    "text": "", "rows": [], "detail": "", "file_error": True,
                    "error": page.t("Choose a .csv or .xlsx file (or paste the rows)")})
            if len(upload.data) > MAX_BYTES:
                return _property(page, property_id, 413, csv={
                    "text": "", "rows": [], "detail": "", "file_error": True,
                    "error": page.t("The file is larger than 1 MB; split it")})
            answer = registry.import_units(page.who, property_id, file=upload.data, kind=kind)
        else:
            if len(text.encode("utf-8")) > CSV_MAX_BYTES:
                return _property(page, property_id, 413, csv={"text": "", "rows": [], "detail": "",
                                                              "error": page.t("Paste at most 1 MB at a time; split the file")})
            answer = registry.import_units(page.who, property_id, text)
    except (InvalidInput, PayloadTooLarge) as error:
        rows, other = [], []
        for key, reason in (error.fields or {}).items():
            found = ROW_FIELD.match(key)
            if found:
                rows.append((int(found.group(1)), found.group(2), _reason(page, str(reason))))
            else:
                other.append(_reason(page, str(reason)))
        rows.sort()
        if rows:
            message = page.t("%(n)s rows need fixing; nothing was imported.") % {"n": len({r[0] for r in rows})}
        else:
            message = page.t(error.message)
        return _property(page, property_id, error.status, csv={
            "text": text, "rows": rows, "error": message, "detail": "; ".join(other), "file_error": bool(upload)})
    return page.redirect(f"/console/register/properties/{quote(property_id, safe='')}"
                         f"?done=imported&n={int(answer['imported_units'])}")


# --- staff ------------------------------------------------------------------------------------

def _staff(page: Page, status: int = 200, *, invite: dict | None = None, refused: dict | None = None,
           conflict: bool = False, temporary: dict | None = None) -> Response:
    """The firm's people (one key query), active first. A refusal about someone who is not
    one of them is NotFound, as if the person had been looked up first."""
    people = sorted(staff.list_staff(page.who)["staff"],
                    key=lambda p: (not p["active"], (p["name"] or p["email"]).lower()))
    if refused and not any(p["id"] == refused["id"] for p in people):
        raise NotFound("No such person.")
    return page.render("console/staff.html", status, title=page.t("Staff"), people=people,
                       invite=invite or {"values": {"role": "staff"}, "errors": {}}, refused=refused or {},
                       conflict=conflict, temporary=temporary, notice=_done(page))


@console_page(bp, "/console/staff", admin=True)
def staff_page(page: Page) -> Response:
    return _staff(page)


@console_page(bp, "/console/staff", ("POST",), admin=True)
def invite(page: Page) -> Response:
    values = {"email": page.value("email"), "name": page.value("name"), "role": page.value("role") or "staff"}
    try:
        answer = staff.invite(page.who, values)
    except InvalidInput as error:
        return _staff(page, 422, invite={"values": values, "errors": field_errors(page, error, INVITE_MESSAGES)})
    except PlanLimitReached:
        return _staff(page, 403, invite={"values": values, "errors": {"email": page.t(PLAN_LIMITS["staff_seats"])}})
    except Conflict:
        return _staff(page, 409, invite={"values": values, "errors": {
            "email": page.t("This e-mail address already has a PropDesk account")}})
    local = answer.get("local_only") or {}
    if local.get("temporary_password"):
        # No e-mail leaves the local stack: the password is shown once, never put in a URL.
        return _staff(page, temporary={"name": answer["name"], "email": answer["email"],
                                       "password": local["temporary_password"]})
    return page.redirect("/console/staff?done=invited")


STAFF_ACTIONS = {"role": "role", "deactivate": "deactivated", "reactivate": "reactivated"}


@console_page(bp, "/console/staff/{staff_id}", ("POST",), admin=True)
def change_staff(page: Page, staff_id: str) -> Response:
    action = page.value("action")
    if action not in STAFF_ACTIONS:
        return _staff(page, 422, refused={"id": staff_id, "action": action,
                                          "message": page.t("Choose what to change")})
    body = {"role": page.value("role")} if action == "role" else {"active": action == "reactivate"}
    try:
        staff.change(page.who, staff_id, body, f'"{page.value("version")}"')
    except PlanLimitReached:
        return _staff(page, 403, refused={"id": staff_id, "action": action,
                                          "message": page.t(PLAN_LIMITS["staff_seats"])})
    except Conflict:
        return _staff(page, 409, conflict=True)
    except InvalidInput as error:
        if staff_id == page.who.sub and all("another admin" in str(v) for v in error.fields.values()):
            why = page.t("You cannot remove your own admin access. Ask another admin to change this.")
        else:
            why = "; ".join(field_errors(page, error, {"role": "Choose staff or admin"}).values())
        return _staff(page, 422, refused={"id": staff_id, "action": action, "message": why})
    return page.redirect(f"/console/staff?done={STAFF_ACTIONS[action]}")


# --- notification channels ----------------------------------------------------------------

def _kind(page: Page, kind: str) -> str:
    return page.t(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def _label(page: Page, channel: dict) -> str:
    return channel["name"] or f"{_kind(page, channel['kind'])} {channel['where']}".strip()


def _test_result(page: Page, channels: list[dict]) -> tuple[str, bool]:
    """The notice after "Send test" (?tested=<key>&result=<code>): (text, delivered)."""
    key, code = page.query.get("tested", ""), page.query.get("result", "")
    if not code or not channel_check.REASON.fullmatch(code):
        return "", False
    if code == "gone":
        return page.t("That channel is no longer in your service standards. Here are the channels as they are now."), False
    channel = next((c for c in channels if c["key"] == key), None)
    name = _label(page, channel) if channel else page.t("The channel")
    if code == "sent":
        return page.t("A test message was sent to %(channel)s. Check that it arrived.") % {"channel": name}, True
    http, errcode = re.fullmatch(r"http-(\d{3})", code), re.fullmatch(r"errcode-(m?\d{1,9})", code)
    if http:
        why = page.t("the service answered HTTP %(status)s.") % {"status": http.group(1)}
    elif errcode:
        why = page.t("the bot answered with error code %(code)s.") % {"code": errcode.group(1).replace("m", "-")}
    elif code == "too-many":
        from ...services import limits
        why = page.t("it has had %(n)s test messages in the last %(minutes)s minutes, so this one was not sent. "
                     "Try again later.") % {"n": limits.TESTS_PER_CHANNEL,
                                            "minutes": int(limits.TEST_WINDOW.total_seconds() // 60)}
    else:
        why = page.t(TEST_REASONS.get(code, TEST_REASONS["refused"]))
    return page.t("%(channel)s did not take the test message: %(why)s") % {"channel": name, "why": why}, False


@console_page(bp, "/console/channels", admin=True)
def channels_page(page: Page) -> Response:
    """The chain's channels (the standards: one read) and failed deliveries (one query)."""
    try:
        standards = firm.standards(page.who)["standards"]
    except NotFound:
        standards = {}
    channels = channel_check.listed(standards)
    from ... import web
    time_zone = (standards.get("calendar") or {}).get("time_zone") or "UTC"
    failed = [{**channel_check.failed_delivery(n), "when": web.format_time(n.get("updated_at"), page.lang, time_zone)}
              for n in firm.notifications(page.who, {"status": "failed"})["notifications"]]
    result, delivered = _test_result(page, channels)
    return page.render("console/channels.html", title=page.t("Notification channels"), channels=channels,
                       failed=failed, result=result, delivered=delivered,
                       kind_names={k: page.t(v) for k, v in KIND_NAMES.items()},
                       message_names={k: page.t(v) for k, v in MESSAGE_NAMES.items()})


@console_page(bp, "/console/channels/test", ("POST",), admin=True)
def send_test(page: Page) -> Response:
    try:
        outcome = channel_check.send_test(page.who, page.value("channel"), page.lang)
    except NotFound:  # the standards changed since the page was shown
        return page.redirect("/console/channels?result=gone")
    logger.info("channel test", extra={"kind": outcome["kind"], "ok": outcome["ok"], "reason": outcome["reason"]})
    return page.redirect("/console/channels?" + urlencode({"tested": outcome["key"], "result": outcome["reason"]}))


# --- getting started: a new firm's checklist ------------------------------------------------

# English msgids; zh-CN in console_manage.po
ONBOARDING = {
    "service_phone": ("Give residents a service phone",
                      "Shown on the report form and every resident's page, for anything urgent."),
    "units": ("Add a property with its buildings and units",
              "Until a building has a unit, the report form tells residents it is not open yet."),
    "standards": ("Check your service standards and save them",
                  "The targets, business hours and escalation chain came from a template: make them yours."),
    "poster": ("Print a lobby poster",
               "Its QR code opens the property's report form."),
    "colleague": ("Invite a colleague",
                  "Staff see the queue and answer residents; admins also change settings."),
}


@console_page(bp, "/console/welcome", admin=True)
def welcome_page(page: Page) -> Response:
    """Getting started: the new firm's five steps, each ticked from what is stored (three reads)."""
    from ...domain.onboarding import checklist, finished
    from ...store import tenants as tenant_store
    steps = checklist(**tenant_store.onboarding_facts(page.who.tenant_id))
    rows = [{**s, "title": page.t(ONBOARDING[s["key"]][0]), "why": page.t(ONBOARDING[s["key"]][1])} for s in steps]
    done = sum(s["done"] for s in steps)
    return page.render("console/welcome.html", title=page.t("Getting started"), steps=rows, done=done,
                       total=len(steps), finished=finished(steps))


def _poster_opened(page: Page) -> None:
    from datetime import datetime, timezone

    from ...store import tenants as tenant_store
    tenant_store.note_poster_printed(page.who.tenant_id, datetime.now(timezone.utc))


# --- lobby posters --------------------------------------------------------------------------

@console_page(bp, "/console/posters", admin=True)
def posters_page(page: Page) -> Response:
    """Links to each property's poster (one key query)."""
    properties = sorted(registry.list_properties(page.who)["properties"], key=lambda p: p["name"].lower())
    return page.render("console/posters.html", title=page.t("Lobby posters"), properties=properties)


def _filename(name: str, property_id: str, lang: str | None, suffix: str) -> str:
    ascii_name = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[:40] or property_id
    return f"poster-{ascii_name}{'-' + lang if lang else ''}.{suffix}"


@console_page(bp, "/console/posters/{property_id}/poster.svg", admin=True)
def poster_svg(page: Page, property_id: str) -> Response:
    """The same A4 SVG as GET /api/properties/{id}/poster.svg, with the console's session."""
    from ..posters import SVG_CSP, poster_lang
    lang = poster_lang(page.call)
    poster = posters.poster(page.who, property_id, site_url(page.call), lang)
    _poster_opened(page)
    return page.answer(Response(body=posters.svg(poster), status_code=200, headers={
        **PAGE_HEADERS, "Content-Type": "image/svg+xml; charset=utf-8", "Content-Security-Policy": SVG_CSP,
        "Content-Disposition": f'attachment; filename="{_filename(poster.property_name, property_id, lang, "svg")}"'}))


@console_page(bp, "/console/posters/{property_id}/print", admin=True)
def poster_print(page: Page, property_id: str) -> Response:
    """The print-ready A4 page of GET /api/properties/{id}/poster, with the console's session."""
    from markupsafe import Markup

    from ... import web
    from ..posters import poster_lang, style_csp
    poster = posters.poster(page.who, property_id, site_url(page.call), poster_lang(page.call))
    _poster_opened(page)
    html = web.render("poster.html", poster.langs[0], poster=poster,
                      qr=Markup(posters.qr_svg(poster.qr, title=poster.url)),  # noqa: S704 - built from escaped parts
                      title=f"{poster.firm} · {poster.property_name}")
    return page.answer(Response(body=html, status_code=200,
                                headers={**PAGE_HEADERS, "Content-Security-Policy": style_csp(html)}))


# --- residents' pages: the firm's service phone and notice, a property's phone ----------------

resident_page = lazy("chalicelib.services.resident_page")
PHONE_MESSAGES = {"service_phone": "Enter a phone number such as 400-820-8820 or +86 21 6888 8888"}
NOTICE_MESSAGES = {**PHONE_MESSAGES, "notice_zh_cn": "Keep the notice under 3000 characters",
                   "notice_en": "Keep the notice under 3000 characters"}


def _resident_page(page: Page, status: int = 200, *, values: dict | None = None, errors: dict | None = None
                   ) -> Response:
    current = resident_page.describe(page.who)
    if values is None:
        values = {"service_phone": current["service_phone"], "notice_zh_cn": current["notice"].get("zh-CN", ""),
                  "notice_en": current["notice"].get("en", "")}
    return page.render("console/resident_page.html", status, title=page.t("Residents' pages"), values=values,
                       errors=errors or {}, current=current,
                       notice=page.t("Saved.") if page.query.get("done") == "saved" else "")


@console_page(bp, "/console/register/residents", admin=True)
def resident_page_settings(page: Page) -> Response:
    return _resident_page(page)


@console_page(bp, "/console/register/residents", ("POST",), admin=True)
def save_resident_page(page: Page) -> Response:
    values = {name: page.value(name) for name in ("service_phone", "notice_zh_cn", "notice_en")}
    try:
        resident_page.change(page.who, values)
    except InvalidInput as error:
        return _resident_page(page, 422, values=values, errors=field_errors(page, error, NOTICE_MESSAGES))
    return page.redirect("/console/register/residents?done=saved")


@console_page(bp, "/console/register/properties/{property_id}/phone", ("POST",), admin=True)
def save_property_phone(page: Page, property_id: str) -> Response:
    value = page.value("service_phone")
    try:
        resident_page.set_property_phone(page.who, property_id, {"service_phone": value})
    except InvalidInput as error:
        return _property(page, property_id, 422, phone={"value": value,
                                                        "error": field_errors(page, error, PHONE_MESSAGES)
                                                        .get("service_phone", "")})
    return page.redirect(f"/console/register/properties/{quote(property_id, safe='')}?done=phone")
