"""Console pages for admins: the service standards editor (targets per category × priority,
business hours, holidays, escalation chain, survey), the same standards as YAML (download,
and paste back), and scorecard publishing with a preview.

Every save goes through ``firm.replace_standards``: the whole document is checked by the
domain validator and saved only at the version the admin read, so a publish switch or a
pasted file is a standards version like any other. The form <-> document moves are in
``services/standards_form.py``; the validator's paths name the boxes.

Round trips: the YAML and the paste page read the standards (1), the editor also the staff
list (2: its blank recipient rows offer the colleagues by name); the
scorecard page reads the firm, its properties and the public scorecard (3). A save adds
``replace_standards``' own three (firm, standards, one transaction).
"""

from __future__ import annotations

import re

from typing import Any

from chalice import Blueprint, Response

from ...domain.errors import Conflict, InvalidInput
from ..http import SECURITY_HEADERS, lazy, site_url
from .session import Page, console_page

firm = lazy("chalicelib.services.firm")
registry = lazy("chalicelib.services.registry")
staff = lazy("chalicelib.services.staff")
editor = lazy("chalicelib.services.standards_form")
rules = lazy("chalicelib.domain.standards")
tenant_store = lazy("chalicelib.store.tenants")

bp = Blueprint(__name__)

NOTICES = {
    "saved": "The standards are saved.",
    "unchanged": "Nothing was changed, so nothing was saved.",
    "uploaded": "The YAML is saved as the standards.",
    "published": "The scorecard is published.",
    "unpublished": "The scorecard is no longer published.",
    "publishing": "The publishing choices are saved.",
}
TARGET_LABELS = {"first_response": "First response", "resolution": "Resolution", "update_every": "Update every",
                 "attend": "Attend within"}
WEEKDAY_LABELS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
                  "sat": "Saturday", "sun": "Sunday"}
CHANNEL_LABELS = {"email": "E-mail", "sms": "SMS", "wecom": "WeCom robot", "dingtalk": "DingTalk robot",
                  "slack": "Slack", "webhook": "Webhook"}
LEVEL_LABELS = {"level1": "Level 1, at the breach", "level2": "Level 2"}
RECIPIENT_LABELS = {"channel": "Channel", "address": "Address", "secret": "Secret"}
SURVEY_LABELS = {"survey.after_resolution": "Ask after resolution", "survey.min_n": "Minimum responses to show a score",
                 "survey.nps": "Ask the 0 to 10 recommend question (NPS)",
                 "survey.servqual": "Ask one question on each of the five parts of the service below",
                 "survey.fixed_question": "Ask whether it was fixed on the first visit"}
# The five SERVQUAL dimensions in plain words; the term itself is the box's hint.
DIMENSION_LABELS = {"tangibles": "How the place, equipment and staff look", "reliability": "Doing what we promised",
                    "responsiveness": "Quick, willing help", "assurance": "Staff who know their job and earn trust",
                    "empathy": "Caring about each resident"}
DIMENSION_TERMS = {"tangibles": "Tangibles", "reliability": "Reliability", "responsiveness": "Responsiveness",
                   "assurance": "Assurance", "empathy": "Empathy"}
GROUP_LABELS = {"standards": "The standards", "calendar": "Calendar", "calendar.hours": "Business hours",
                "targets": "Targets", "escalation": "Escalation", "escalation.level1": "Level 1, at the breach",
                "escalation.level2": "Level 2", "survey": "Survey", "survey.weights": "How much each part of the service counts"}


def _web():
    from ... import web
    return web


def _notice(page: Page) -> str:
    key = page.query.get("done", "")
    return page.t(NOTICES[key]) if key in NOTICES else ""


# --- the editor --------------------------------------------------------------------------------

@console_page(bp, "/console/standards", ("GET", "POST"), admin=True)
def standards_editor(page: Page) -> Response:
    current = firm.standards(page.who, with_saver=True)
    saved_values = editor.values_from_document(current["standards"])
    if page.call.raw.method == "GET":
        return _editor(page, current, saved_values, notice=_notice(page))
    typed = {k: v for k, v in page.form.items() if k not in ("csrf", "version")}
    version = page.value("version")
    built = editor.document_from_form(current["standards"], typed)
    values = {**saved_values, **editor.values_from_form(typed)}
    if editor.same(built.document, current["standards"]):
        return page.redirect("/console/standards?done=unchanged")
    try:
        firm.replace_standards(page.who, {"standards": built.document}, version)
    except InvalidInput as error:
        return _editor(page, current, values, problems=error.fields, built=built, version=version, status=422)
    except Conflict:
        # Someone saved another version since this form was read: show theirs beside what was
        # typed; the form now carries their version, so saving again replaces it knowingly.
        changed = {name: saved_values.get(name, "") for name in typed
                   if name in saved_values and saved_values[name] != values.get(name)
                   and not name.endswith(".secret")}  # secrets are never shown, theirs nor yours
        return _editor(page, current, values, saved_now=changed, status=409)
    return page.redirect("/console/standards?done=saved")


def _names(document: dict, lang: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    web = _web()

    def named(kind: str, everything: str) -> list[tuple[str, str]]:
        entries = [e for e in document.get(kind) or [] if isinstance(e, dict) and isinstance(e.get("key"), str)]
        return [("*", everything)] + [(e["key"], web.localized(e.get("name"), lang, e["key"])) for e in entries]

    return (named("categories", web.gettext(lang, "All categories", console=True)),
            named("priorities", web.gettext(lang, "Any priority", console=True)))


BOX_LABELS = {"calendar.time_zone": "Time zone", "calendar.country": "Public holidays of",
              "calendar.holidays": "Extra holidays", "calendar.workdays": "Make-up working days",
              "escalation.warn_at": "Warn when this much of the time has gone",
              "escalation.level2.after": "Level 2: this long after the breach",
              "messages": "Messages to residents", "messages.quiet_hours.from": "Quiet hours from",
              "messages.quiet_hours.to": "Quiet hours until", "messages.sms_signature": "SMS signature",
              **{f"calendar.hours.{day}": text for day, text in WEEKDAY_LABELS.items()},
              **{f"survey.weights.{dim}": text for dim, text in DIMENSION_LABELS.items()}}


def _labels(page: Page, categories: list, priorities: list, values: dict) -> dict[str, str]:
    """What each box is called (in the error summary, and beside the box)."""
    t = page.t
    labels = {name: t(text) for name, text in {**GROUP_LABELS, **SURVEY_LABELS, **BOX_LABELS}.items()}
    for cat, cat_name in categories:
        for pri, pri_name in priorities:
            for what, text in TARGET_LABELS.items():
                labels[editor.target_name(cat, pri, what)] = f"{cat_name} · {pri_name} · {t(text)}"
    for level in editor.LEVELS:
        for i in range(editor.recipient_rows(values, level)):
            for what, text in RECIPIENT_LABELS.items():
                labels[editor.recipient_name(level, i, what)] = _recipient_label(t, level, i, text)
    return labels


def _recipient_label(t, level: str, i: int, text: str) -> str:
    return f"{t(LEVEL_LABELS[level])} · {t('Recipient')} {i + 1} · {t(text)}"


_RECIPIENT_BOX = re.compile(r"escalation\.(level[12])\.notify\[(\d+)\]\.(\w+)")


def box_label(t, lang: str, box: str, names: dict | None = None) -> str | None:
    """What the editor calls one box, for a box name alone (the audit log's settings changes);
    a target box's category and priority are named by ``names`` (their names in both
    languages, as the document gave them). None: no box of the editor."""
    if box in BOX_LABELS or box in SURVEY_LABELS:
        return t(BOX_LABELS.get(box) or SURVEY_LABELS[box])
    if box.startswith("targets.") and box.count(".") == 3:
        _, cat, pri, what = box.split(".")
        if what in TARGET_LABELS:
            web = _web()
            named = names or {}
            cat_name = t("All categories") if cat == "*" else web.localized(named.get("category"), lang, t("A category"))
            pri_name = t("Any priority") if pri == "*" else web.localized(named.get("priority"), lang, t("A priority"))
            return f"{cat_name} · {pri_name} · {t(TARGET_LABELS[what])}"
    found = _RECIPIENT_BOX.fullmatch(box)
    if found and found.group(3) in RECIPIENT_LABELS:
        return _recipient_label(t, found.group(1), int(found.group(2)), RECIPIENT_LABELS[found.group(3)])
    return None


# Reasons that quote what was typed: the catalogue has them with the typed part as a variable.
WORDED_REASONS = (
    (re.compile(r"'(?P<value>.*)' is not a duration like .*"),
     "'%(value)s' is not a duration like 30m, 24h, 7d, 4 business hours or 7 working days"),
    (re.compile(r"'(?P<value>.*)' is not a time range like 08:30-12:00"),
     "'%(value)s' is not a time range like 08:30-12:00"),
    (re.compile(r"must add up to 100 \(they add up to (?P<n>-?\d+)\)"), "must add up to 100 (they add up to %(n)s)"),
    (re.compile(r"(?P<first>\d\d:\d\d-\d\d:\d\d) overlaps (?P<second>\d\d:\d\d-\d\d:\d\d)"),
     "%(first)s overlaps %(second)s"),
)


def reason_in_words(t, reason: str) -> str:
    """A validator's reason in the page's language, the typed value kept as typed."""
    for pattern, message in WORDED_REASONS:
        found = pattern.fullmatch(reason)
        if found:
            return t(message) % found.groupdict()
    return t(reason)


def _errors(page: Page, problems: dict, built: Any, names: set[str]) -> dict[str, str]:
    """{box: text}: every problem the validator found, at its box, in the page's language."""
    errors: dict[str, str] = {}
    for spot, found in editor.place_problems(problems, built, names).items():
        texts = []
        for path, reason in found:
            text = reason_in_words(page.t, reason)
            if path in built.lines:
                text = page.t("Line %(n)s") % {"n": built.lines[path]} + ": " + text
            elif path != spot and spot in editor.GROUPS:
                text = f"{path}: {text}"
            texts.append(text)
        errors[spot] = "; ".join(texts)
    return errors


_LEADING_NUMBER = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(\w?)")
# (singular, plural) of each unit a duration is written in; "%(n)s" is the number as written
DURATION_WORDS = {"m": ("%(n)s min", "%(n)s min"), "h": ("%(n)s h", "%(n)s h"), "d": ("1 day", "%(n)s days"),
                  "business_hours": ("1 business hour", "%(n)s business hours"),
                  "working_days": ("1 working day", "%(n)s working days")}


def duration_in_words(t, text: str) -> str:
    """'24h' → '24 h' / '24 小时', '7 working days' → '7 working days' / '7 个工作日' (the
    number and unit as written); text that is not a duration comes back as it is."""
    try:
        duration = rules.parse_duration(text)
    except ValueError:
        return text
    n, letter = _LEADING_NUMBER.match(text).groups()
    unit = duration.kind if duration.business else letter
    one, many = DURATION_WORDS.get(unit, ("%(n)s", "%(n)s"))
    return t(one if float(n) == 1 else many) % {"n": n}


def _placeholders(page: Page, values: dict, categories: list, priorities: list) -> dict[str, str]:
    """What an empty target box shows in grey: the time it inherits, in words."""
    t = page.t
    found = editor.inherited_targets(values, [c for c, _ in categories], [p for p, _ in priorities])
    shown = {name: t("inherited: %(d)s") % {"d": duration_in_words(t, text)} for name, text in found.items()}
    for cat, _name in categories:
        for pri, _pname in priorities:
            for what in ("update_every", "attend"):
                shown.setdefault(editor.target_name(cat, pri, what), t("none"))
    return shown


# The zones offered by name (the one saved is always offered too, whatever it is).
COMMON_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau", "Asia/Singapore", "Asia/Kuala_Lumpur",
                "Asia/Tokyo", "Australia/Sydney", "Europe/London", "Europe/Dublin", "Europe/Paris",
                "America/New_York", "America/Chicago", "America/Los_Angeles", "UTC")


def zone_options(t, lang: str, current: str) -> list[tuple[str, str]]:
    """(IANA name, what people call it in ``lang``): "China (Shanghai) Time" / "中国（上海）时间",
    from Babel's locale data; the saved zone kept as an option even when not a common one."""
    from babel.dates import get_timezone_location
    zones = list(COMMON_ZONES) + ([current] if current and current not in COMMON_ZONES else [])

    def named(zone: str) -> str:
        if zone == "UTC":
            return t("Coordinated Universal Time (UTC)")
        try:
            return get_timezone_location(zone, locale=_web().BABEL_LOCALE[lang])
        except (LookupError, ValueError):  # not a zone Babel knows: its name as saved
            return zone
    return [(zone, named(zone)) for zone in zones]


def country_options(lang: str, current: str) -> list[tuple[str, str]]:
    """(code, the country's or region's name in ``lang``) for every calendar we have."""
    from babel import Locale
    names = Locale.parse(_web().BABEL_LOCALE[lang]).territories
    codes = list(rules.SUPPORTED_COUNTRIES) + ([current] if current and current not in rules.SUPPORTED_COUNTRIES else [])
    return [(code, names.get(code, code)) for code in codes]


def _editor(page: Page, current: dict, values: dict, *, problems: dict | None = None, built: Any = None,
            version: str | None = None, saved_now: dict | None = None, notice: str = "",
            status: int = 200) -> Response:
    document = current["standards"]
    categories, priorities = _names(document, page.lang)
    labels = _labels(page, categories, priorities, values)
    errors = _errors(page, problems, built or editor.Built(document), set(values)) if problems else {}
    return page.render(
        "console/standards.html", status, title=page.t("Service standards"), notice=notice, errors=errors,
        labels=labels, values=values, placeholders=_placeholders(page, values, categories, priorities), saved_now=saved_now or {}, version=version or str(current["version"]),
        current_version=current["version"], conflict=saved_now is not None, saver=_saver(page, current),
        categories=categories, priorities=priorities,
        target_fields=[(what, page.t(text)) for what, text in TARGET_LABELS.items()],
        weekdays=list(WEEKDAY_LABELS),
        zones=zone_options(page.t, page.lang, str(values.get("calendar.time_zone") or "")),
        countries=country_options(page.lang, str(values.get("calendar.country") or "")),
        channels=[(c, page.t(CHANNEL_LABELS.get(c, c))) for c in rules.CHANNELS],
        levels=[(level, editor.recipient_rows(values, level)) for level in editor.LEVELS],
        saved_secrets=editor.saved_secrets(document),
        **_recipient_choices(page, document, values),
        flags=[f"survey.{flag}" for flag in editor.SURVEY_FLAGS], dimensions=list(DIMENSION_LABELS),
        dimension_hints={dim: page.t("SERVQUAL term: %(term)s") % {"term": page.t(term)}
                         for dim, term in DIMENSION_TERMS.items()})


def _recipient_choices(page: Page, document: dict, values: dict) -> dict:
    """What a blank recipient row offers to choose (the firm's active colleagues by name, the
    robots and webhooks its chain already uses), and whose e-mail a filled row holds. The
    staff list is one Query: the editor reads two things, the standards and its people."""
    people = [u for u in staff.assignable(page.who) if u.email]
    by_email = {u.email.lower(): u.name or u.email for u in people}
    channels = []
    for value, entry in editor.firm_channels(document):
        kind = page.t(CHANNEL_LABELS.get(entry.get("channel"), "Webhook"))
        host = re.sub(r"^https?://([^/?#]+).*$", r"\1", str(entry["url"]))
        channels.append((value, f"{entry['name']} · {kind}" if entry.get("name") else f"{kind} · {host}"))
    names = {}
    for level in editor.LEVELS:
        for i in range(editor.recipient_rows(values, level)):
            address = str(values.get(editor.recipient_name(level, i, "address")) or "").lower()
            if values.get(editor.recipient_name(level, i, "channel")) == "email" and address in by_email:
                names[editor.recipient_name(level, i, "address")] = by_email[address]
    return {"people": sorted(((f"staff:{u.email}", f"{u.name} ({u.email})" if u.name else u.email) for u in people),
                             key=lambda p: p[1].lower()),
            "firm_channels": channels, "recipient_names": names}


def _saver(page: Page, current: dict) -> dict | None:
    """Who saved the version on screen and when, in the firm's zone (None if not recorded)."""
    saved = current.get("saved") or {}
    if not saved.get("by"):
        return None
    zone = (current["standards"].get("calendar") or {}).get("time_zone") or "UTC"
    return {"name": saved["by"], "when": _web().format_time(saved["at"], page.lang, zone)}


# --- the same standards as YAML -------------------------------------------------------------------

@console_page(bp, "/console/standards.yaml", admin=True)
def standards_yaml(page: Page) -> Response:
    current = firm.standards(page.who)
    version = current["version"]
    heading = (f"PropDesk service standards, version {version} (see tenants/README.md).\n"
               "Paste it back at /console/standards/upload, or: propdesk standards apply --tenant <slug> FILE")
    return page.answer(Response(body=editor.to_yaml(current["standards"], heading=heading), status_code=200, headers={
        **SECURITY_HEADERS, "Content-Type": "application/yaml; charset=utf-8",
        "Content-Disposition": f'attachment; filename="standards-v{version}.yaml"',
        "Content-Security-Policy": "default-src 'none'; sandbox", "X-Content-Type-Options": "nosniff"}))


@console_page(bp, "/console/standards/upload", ("GET", "POST"), admin=True)
def standards_upload(page: Page) -> Response:
    """Paste YAML (a textarea: a file input would need a multipart form the console does not
    read). Checked whole by the same validator; nothing is saved while anything is wrong."""
    if page.call.raw.method == "GET":
        current = firm.standards(page.who)
        return _upload(page, "", str(current["version"]))
    text, version = page.value("yaml"), page.value("version")
    if not text.strip():
        return _upload(page, text, version, [(1, "", page.t("Paste the whole standards document as YAML"))], 422)
    pasted = editor.from_yaml(text)
    if pasted.error:
        return _upload(page, text, version, [(pasted.error_line, "", "YAML: " + pasted.error)], 422)
    try:
        firm.replace_standards(page.who, {"standards": pasted.document}, version)
    except InvalidInput as error:
        problems = sorted((pasted.line_of(path), str(path), page.t(str(reason)))
                          for path, reason in (error.fields or {"standards": error.message}).items())
        return _upload(page, text, version, problems, 422)
    except Conflict:
        current = firm.standards(page.who)
        return _upload(page, text, str(current["version"]), conflict=current["version"], status=409)
    return page.redirect("/console/standards?done=uploaded")


def _upload(page: Page, text: str, version: str, problems: list | None = None, status: int = 200, *,
            conflict: int | None = None) -> Response:
    return page.render("console/standards_upload.html", status, title=page.t("Paste standards as YAML"),
                       text=text, version=version, problems=problems or [], conflict=conflict)


# --- scorecard publishing ---------------------------------------------------------------------------

@console_page(bp, "/console/scorecard", ("GET", "POST"), admin=True)
def scorecard_publish(page: Page) -> Response:
    """The public scorecard's two switches, read from and shown as the public page sees them
    (the slug's profile), saved into the standards. The form carries what it showed: if the
    switches changed meanwhile, the admin sees that instead of overwriting it."""
    if page.call.raw.method == "GET":
        info = firm.describe(page.who)
        properties = registry.list_properties(page.who)["properties"]
        found = tenant_store.public_scorecard(info["slug"])
        live = _switches(found.survey)
        return _scorecard(page, info, properties, live, live, found=found, notice=_notice(page))
    shown = {"publish": page.value("was_publish") == "true",
             "properties": sorted(p for p in page.value("was_properties").split(",") if p)}
    chosen = {"publish": "true" in page.values("survey.publish"),
              "properties": sorted(p for p in page.values("survey.publish_properties") if p)}
    current = firm.standards(page.who)
    document = current["standards"]
    saved = _switches(rules.survey_settings(document))
    if saved != shown:
        return _scorecard_conflict(page, chosen, saved)
    if saved == chosen:
        return page.redirect("/console/scorecard?done=unchanged")
    import copy
    document = copy.deepcopy(document)
    survey = document.setdefault("survey", {})
    survey["publish"] = chosen["publish"]
    if chosen["properties"] or "publish_properties" in survey:
        survey["publish_properties"] = chosen["properties"]
    try:
        firm.replace_standards(page.who, {"standards": document}, str(current["version"]))
    except Conflict:  # saved by someone else between our read and our write
        return _scorecard_conflict(page, chosen, saved)
    done = "publishing" if chosen["publish"] == saved["publish"] else "published" if chosen["publish"] else "unpublished"
    return page.redirect(f"/console/scorecard?done={done}")


def _switches(survey: dict) -> dict:
    return {"publish": bool(survey.get("publish")), "properties": sorted(survey.get("publish_properties") or [])}


def _scorecard_conflict(page: Page, chosen: dict, saved: dict) -> Response:
    info = firm.describe(page.who)
    properties = registry.list_properties(page.who)["properties"]
    return _scorecard(page, info, properties, chosen, saved, saved_now=saved, status=409)


def _scorecard(page: Page, info: dict, properties: list, values: dict, shown: dict, *, found: Any = None,
               saved_now: dict | None = None, notice: str = "", status: int = 200) -> Response:
    names = {p["id"]: p["name"] for p in properties}
    return page.render(
        "console/scorecard_publish.html", status, title=page.t("Scorecard"), notice=notice, values=values,
        shown=shown, properties=properties, public_path=f"/p/{info['slug']}/scorecard",
        public_url=site_url(page.call) + f"/p/{info['slug']}/scorecard",
        saved_now=saved_now, saved_names=[names.get(p, p) for p in (saved_now or {}).get("properties", [])],
        preview=_preview(page, found, info["slug"]) if found is not None else None)


def _preview(page: Page, found: Any, slug: str):
    """What /p/{slug}/scorecard shows, made by the public page's own code and template (its
    main block), in the admin's language: no frame (the console may not be framed)."""
    from markupsafe import Markup

    from .. import scorecard as public
    web = _web()
    context = public.page_context(found, slug, page.lang, web)
    template = web.environment(page.lang).get_template("scorecard.html")
    macros = template.make_module(context)  # the template's own `show` macro, for its main block
    return Markup("".join(template.blocks["main"](template.new_context({**context, "show": macros.show}))))
