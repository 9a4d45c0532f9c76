"""Monthly quality inspections in the console (services/inspections.py), all plain forms
that work with JavaScript off on a 375 px phone (POST, then redirect to a GET):

    /console/inspections                                   each property's month (2-3 round trips)
    /console/inspections/{pid}                             a property's results month by month (2)
    /console/inspections/{pid}/checklist                   admins edit the checklist (2; POST: 3)
    /console/inspections/{pid}/months/{month}              staff complete the month (3; POST: 4 + the save)
    /console/inspections/{pid}/months/{month}/items/{key}/ticket   POST: a ticket for a failed item
    /console/inspections/{pid}/months/{month}/items/{key}/photos/added   S3 sends the browser back here
        after a failed item's photo was posted straight to the bucket (presigned POST, as residents do)

A colleague's save first answers 409 with the page as it now stands and the typed results
kept. Strings: English msgids, zh-CN in console_inspections.po.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timezone
from functools import cache

from chalice import Blueprint, Response

from ...domain.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from ..http import lazy, site_url
from .session import Page, console_page

service = lazy("chalicelib.services.inspections")
rules = lazy("chalicelib.domain.inspections")
scores = lazy("chalicelib.services.scores")
figures = lazy("chalicelib.web.figures")
photo_storage = lazy("chalicelib.adapters.photo_storage")

bp = Blueprint(__name__)

BLANK_ITEMS = 2  # empty rows offered under each area, and under a new area


@cache
def starter_keys() -> dict[str, str]:
    """The starter checklist's item names (either language) → their keys."""
    return {name: area["key"] for area in rules.STARTER["areas"] for name in area["name"].values()}


def _month_path(month: str) -> str:
    """A month in a page's path; anything else is no page at all (404, not a field error)."""
    try:
        return rules.check_month(month)
    except InvalidInput:
        raise NotFound("No such month.") from None


def _month_title(page: Page, month: str) -> str:
    return figures.period_title(month, page.lang, page.t)


def _name(page: Page, names: dict | None) -> str:
    names = names or {}
    return names.get(page.lang) or names.get("en") or names.get("zh-CN") or ""


# --- the month overview --------------------------------------------------------------------------

@console_page(bp, "/console/inspections")
def overview_page(page: Page) -> Response:
    notice = {"published": "The scorecard now shows the monthly inspections.",
              "unpublished": "The scorecard no longer shows the monthly inspections."}.get(page.query.get("done", ""))
    return _overview(page, notice=page.t(notice) if notice else "")


def _overview(page: Page, *, status: int = 200, notice: str = "", warning: str = "") -> Response:
    settings = scores.firm_settings(page.who.tenant_id)  # kept a minute per process
    try:
        month = rules.check_month(page.query.get("month") or "")
    except InvalidInput:  # none, or not a month: this month in the firm's zone
        from ...domain.scores import period_keys
        month = period_keys(datetime.now(timezone.utc), settings["time_zone"])["month"]
    found = service.overview(page.who, month)
    from ...domain.scores import parse_period
    current = parse_period(found["month"])
    return page.render("console/inspections.html", status, title=page.t("Monthly inspections"),
                       month=found["month"], month_title=_month_title(page, found["month"]),
                       previous=current.shift(-1).key, following=current.shift(1).key,
                       properties=found["properties"], published=bool(settings.get("publish_inspections")),
                       notice=notice, warning=warning)


@console_page(bp, "/console/inspections", ("POST",), admin=True)
def publish_page(page: Page) -> Response:
    """Whether the public scorecard shows the last month's inspections (``survey.publish_inspections``
    in the standards). The form carries what it showed: a colleague's change meanwhile is shown, not
    overwritten."""
    from ...domain.standards import survey_settings
    firm = _firm()
    shown, chosen = page.value("was") == "true", page.value("publish") == "true"
    current = firm.standards(page.who)
    if survey_settings(current["standards"])["publish_inspections"] != shown:
        return _publish_conflict(page)
    if chosen != shown:
        import copy
        document = copy.deepcopy(current["standards"])
        document.setdefault("survey", {})["publish_inspections"] = chosen
        try:
            firm.replace_standards(page.who, {"standards": document}, str(current["version"]))
        except Conflict:
            return _publish_conflict(page)
    return page.redirect("/console/inspections?done=" + ("published" if chosen else "unpublished"))


def _publish_conflict(page: Page) -> Response:
    scores.forget_settings(page.who.tenant_id)
    return _overview(page, status=409, warning=page.t(
        "A colleague changed the standards first. Here is the setting as it is now; choose again if needed."))


def _firm():
    from ...services import firm
    return firm


# --- a property's months ---------------------------------------------------------------------------

@console_page(bp, "/console/inspections/{property_id}")
def history_page(page: Page, property_id: str) -> Response:
    found = service.history(page.who, property_id)
    months = [{"month": i["month"], "title": _month_title(page, i["month"]), "passed": i["passed"], "items": i["items"],
               "areas": [{"name": _name(page, area["name"]), **i["by_area"].get(area["key"], {})} for area in i["areas"]],
               "failed": [_name(page, item.name) for item in rules.failed_items(i, i["results"])]}
              for i in found["inspections"]]
    return page.render("console/inspection_history.html", title=found["property"]["name"] + " · " +
                       page.t("Inspection results"), prop=found["property"], months=months)


# --- the checklist ------------------------------------------------------------------------------------

@console_page(bp, "/console/inspections/{property_id}/checklist", admin=True)
def checklist_page(page: Page, property_id: str) -> Response:
    found = service.checklist(page.who, property_id)
    notice = page.t("Checklist saved.") if page.query.get("done") == "saved" else ""
    return _checklist(page, found, _rows(found["checklist"]), found["version"], notice=notice)


@console_page(bp, "/console/inspections/{property_id}/checklist", ("POST",), admin=True)
def save_checklist_page(page: Page, property_id: str) -> Response:
    version = int(page.value("version")) if page.value("version").isdigit() else 0
    areas, places = _read_checklist(page)
    try:
        service.save_checklist(page.who, property_id, {"areas": areas, "version": version})
    except Conflict:
        current = service.checklist(page.who, property_id)
        return _checklist(page, current, _rows({"areas": areas}), current["version"], status=409, warning=page.t("A colleague changed this checklist first. Their version is saved; "
                                                     "yours is below — send it again to replace theirs."))
    except InvalidInput as error:
        errors = {}
        for path in error.fields:
            found = re.match(r"areas\[(\d+)\](?:\.items\[(\d+)\])?(?:\.name\.(zh-CN|en))?", path)
            if not found:
                errors["areas"] = page.t("Give the checklist at least one area with at least one item")
                continue
            area, item, lang = found.groups()
            field = places.get((int(area), int(item) if item else None), "areas")
            if lang:
                field += ".zh" if lang == "zh-CN" else ".en"
                errors[field] = page.t("Write the name in both languages")
            else:
                errors[field + ".zh" if field != "areas" else field] = page.t("Give every area at least one item")
        return _checklist(page, service.checklist(page.who, property_id), _rows({"areas": areas}), version,
                          status=422, errors=errors)
    return page.redirect(f"/console/inspections/{property_id}/checklist?done=saved")


def _rows(checklist: dict) -> list[dict]:
    """The form's areas: the saved ones, each with blank rows to add items, then a blank area."""
    blank = [{"key": "", "zh": "", "en": ""} for _ in range(BLANK_ITEMS)]
    rows = [{"key": a["key"], "zh": a["name"].get("zh-CN", ""), "en": a["name"].get("en", ""),
             "items": [{"key": i["key"], "zh": i["name"].get("zh-CN", ""), "en": i["name"].get("en", "")}
                       for i in a["items"]] + [dict(b) for b in blank]} for a in checklist["areas"]]
    return rows + [{"key": "", "zh": "", "en": "", "items": [dict(b) for b in blank] + [{"key": "", "zh": "", "en": ""}]}]


def _read_checklist(page: Page) -> tuple[list[dict], dict]:
    """The posted form as a checklist (rows with both names empty are left out) and where
    each area and item of it came from in the form, to put an error beside its field."""
    areas: list[dict] = []
    places: dict = {}
    for i in range(rules.MAX_AREAS + 1):
        prefix = f"a{i}"
        if f"{prefix}.zh" not in page.form and f"{prefix}.en" not in page.form:
            continue
        zh, en = page.value(f"{prefix}.zh").strip(), page.value(f"{prefix}.en").strip()
        items = []
        for j in range(rules.MAX_ITEMS_PER_AREA + BLANK_ITEMS + 1):
            at = f"{prefix}.i{j}"
            item_zh, item_en = page.value(f"{at}.zh").strip(), page.value(f"{at}.en").strip()
            if not item_zh and not item_en:
                continue
            places[(len(areas), len(items))] = at
            items.append({"key": _item_key(page.value(f"{at}.key")), "name": {"zh-CN": item_zh, "en": item_en}})
        if not zh and not en and not items:
            continue
        places[(len(areas), None)] = prefix
        areas.append({"key": _area_key(page.value(f"{prefix}.key"), zh, en), "name": {"zh-CN": zh, "en": en},
                      "items": items})
    return areas, places


def _area_key(kept: str, zh: str, en: str) -> str:
    """An area keeps its key; a new one named like a starter area takes that area's key (so
    "公共设施" sums across properties), any other a key from its name."""
    if rules.KEY.fullmatch(kept or ""):
        return kept
    named = starter_keys().get(zh) or starter_keys().get(en)
    return named or "area_" + hashlib.sha256((en or zh).lower().encode()).hexdigest()[:8]


def _item_key(kept: str) -> str:
    return kept if rules.KEY.fullmatch(kept or "") else "item_" + secrets.token_hex(4)


def _checklist(page: Page, found: dict, rows: list[dict], version: int, *, status: int = 200,
               errors: dict | None = None, notice: str = "", warning: str = "") -> Response:
    prop = {"id": found["property_id"], "name": found["property_name"]}
    return page.render("console/inspection_checklist.html", status, title=prop["name"] + " · " +
                       page.t("Inspection checklist"), prop=prop, rows=rows, version=version, errors=errors or {},
                       notice=notice, warning=warning, saved=found["saved"])


# --- completing a month ------------------------------------------------------------------------------

@console_page(bp, "/console/inspections/{property_id}/months/{month}")
def month_form_page(page: Page, property_id: str, month: str) -> Response:
    month = _month_path(month)
    notice = {"saved": page.t("Inspection saved."), "ticket": page.t("Ticket opened for the failed item."),
              "photo": page.t("Photo added.")}.get(
        page.query.get("done", ""), "")
    return _month(page, property_id, month, notice=notice)


@console_page(bp, "/console/inspections/{property_id}/months/{month}", ("POST",))
def save_month_page(page: Page, property_id: str, month: str) -> Response:
    month = _month_path(month)
    version = int(page.value("version")) if page.value("version").isdigit() else 0
    found = service.month_page(page.who, property_id, month)
    typed = _typed(page, found["checklist"])
    results = {key: {"passed": value["choice"] == "pass", "note": value["note"]} if value["choice"] else None
               for key, value in typed.items()}
    try:
        service.record(page.who, property_id, month, {"version": version,
                                                      "results": {k: v for k, v in results.items() if v}})
    except Conflict:
        return _month(page, property_id, month, typed=typed, status=409, warning=page.t(
            "A colleague saved this inspection first. Here it is as they saved it; your results are kept in the "
            "form — check them and save again."), name_saver=True)
    except InvalidInput as error:
        errors = {}
        for path in error.fields:
            parts = path.split(".")
            if len(parts) >= 2 and parts[0] == "results":
                key = parts[1]
                if len(parts) == 3 and parts[2] == "note":
                    errors[f"note.{key}"] = page.t("Say what is wrong")
                else:
                    errors[f"result.{key}"] = page.t("Choose passed or failed")
            elif path == "property_id":
                errors["checklist"] = page.t("This property has no checklist yet; an admin sets one up first.")
        return _month(page, property_id, month, typed=typed, status=422, errors=errors, version=version)
    return page.redirect(f"/console/inspections/{property_id}/months/{month}?done=saved")


@console_page(bp, "/console/inspections/{property_id}/months/{month}/items/{item_key}/ticket", ("POST",))
def open_ticket_page(page: Page, property_id: str, month: str, item_key: str) -> Response:
    month = _month_path(month)
    version = int(page.value("version")) if page.value("version").isdigit() else 0
    try:
        service.open_ticket(page.who, property_id, month, item_key, {"version": version})
    except Conflict:
        return _month(page, property_id, month, status=409, warning=page.t(
            "A colleague saved this inspection first. Here it is as they saved it; open the ticket again if the "
            "item still failed."))
    return page.redirect(f"/console/inspections/{property_id}/months/{month}?done=ticket#item-{item_key}")


# English msgids for a refused photo, shown beside the item's upload field.
PHOTO_MESSAGES = {"not_photo": "Choose a photo: JPEG, PNG, HEIC or WebP",
                  "too_large": "The photo must be 10 MB or smaller",
                  "full": "An item takes at most 3 photos",
                  "missing": "The photo did not arrive. Please choose it and upload it again"}


@console_page(bp, "/console/inspections/{property_id}/months/{month}/items/{item_key}/photos/added")
def photo_added_page(page: Page, property_id: str, month: str, item_key: str) -> Response:
    """Where S3 sends the browser after a photo's upload: check and attach it, then back to
    the item (or the page again with the reason beside its upload field). Without a key
    there is nothing to check: the month's page."""
    month = _month_path(month)
    if not page.query.get("key"):
        return _month(page, property_id, month)
    try:
        service.accept_photo(page.who, property_id, month, item_key, page.query.get("key", ""))
    except (InvalidInput, PayloadTooLarge, NotFound) as error:
        if isinstance(error, NotFound) and "upload" not in error.message:
            raise
        which = ("too_large" if isinstance(error, PayloadTooLarge) else "missing" if isinstance(error, NotFound)
                 else "full" if "at most" in error.fields.get("photo", "") else "not_photo")
        return _month(page, property_id, month, status=error.status,
                      errors={f"photo.{item_key}": page.t(PHOTO_MESSAGES[which])})
    return page.redirect(f"/console/inspections/{property_id}/months/{month}?done=photo#item-{item_key}")


def _typed(page: Page, checklist: dict | None) -> dict:
    found = {}
    for item in rules.items_of(checklist) if checklist else []:
        choice = page.value(f"result.{item.key}")
        found[item.key] = {"choice": choice if choice in ("pass", "fail") else "",
                           "note": page.value(f"note.{item.key}")[:rules.MAX_NOTE * 2]}
    return found


def _month(page: Page, property_id: str, month: str, *, typed: dict | None = None, status: int = 200,
           errors: dict | None = None, notice: str = "", warning: str = "", version: int | None = None,
           name_saver: bool = False) -> Response:
    """``name_saver``: a stale save (409) says who saved the inspection first and when."""
    found = service.month_page(page.who, property_id, month)
    saved = found["inspection"]
    saver = ((saved or {}).get("inspector") or {}).get("name")
    if name_saver and saver and saved.get("at"):
        from ... import web
        zone = scores.firm_settings(page.who.tenant_id)["time_zone"]  # cached a minute per process
        warning = page.t("%(name)s saved this inspection first, at %(time)s. Here it is as they saved it; your "
                         "results are kept in the form — check them and save again.") % {
            "name": page.t("You") if saved["inspector"].get("sub") == page.who.sub else saver,
            "time": web.format_time(saved["at"], page.lang, zone)}
    checklist = found["checklist"]
    areas = []
    for area in (checklist or {"areas": []})["areas"]:
        items = []
        for item in area["items"]:
            result = (saved or {}).get("results", {}).get(item["key"])
            shown = (typed or {}).get(item["key"])
            choice = shown["choice"] if shown else ("pass" if result and result["passed"] else
                                                     "fail" if result else "")
            failed = bool(result) and not result["passed"]
            items.append({"key": item["key"], "name": _name(page, item["name"]), "choice": choice,
                          "note": shown["note"] if shown else (result or {}).get("note", ""),
                          "saved_failed": failed, "ticket_id": (result or {}).get("ticket_id"),
                          "photos": service.photo_links(page.who, property_id, found["month"], item["key"],
                                                        result.get("photos") or []) if failed else [],
                          "upload": _upload(page, property_id, found["month"], item["key"])
                          if failed and service.can_add_photo(result) else None})
        tally = (saved or {}).get("by_area", {}).get(area["key"])
        areas.append({"key": area["key"], "name": _name(page, area["name"]), "items": items, "tally": tally})
    response = page.render("console/inspection_month.html", status, title=found["property"]["name"] + " · " +
                           _month_title(page, found["month"]), prop=found["property"], month=found["month"],
                           month_title=_month_title(page, found["month"]), areas=areas, saved=saved,
                           has_checklist=checklist is not None,
                           version=(saved or {}).get("version", 0) if version is None else version,
                           errors=errors or {}, notice=notice, warning=warning)
    if any(i["upload"] or i["photos"] for a in areas for i in a["items"]):  # forms post to, and links open, the bucket
        from ..pages import csp_with_photos
        response.headers["Content-Security-Policy"] = csp_with_photos(photo_storage.bucket_origin())
    return response


def _upload(page: Page, property_id: str, month: str, item_key: str):
    back = f"{site_url(page.call)}/console/inspections/{property_id}/months/{month}/items/{item_key}/photos/added"
    return service.photo_upload_form(page.who, property_id, month, item_key, redirect=back)
