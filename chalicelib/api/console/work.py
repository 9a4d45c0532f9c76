"""Console pages for the work itself: the queue (next deadline first) and the ticket page
with its timeline, promises, photos and the actions as plain forms (no JavaScript).

Every change goes through ``services.tickets`` with the version the page was rendered
with, so a colleague's change in between answers 409 and the page shows the ticket as it
is now, keeping what was typed.

Round trips to render: the queue is the queue Query, the firm's properties (for the
filter) and one BatchGetItem for the standards and the buildings on the page; the ticket
page is the ticket Query (head + timeline), one BatchGetItem for the names and the staff
list (only when the ticket can be assigned).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from chalice import Blueprint, Response

from ...domain import tickets as rules
from ...domain.errors import Conflict, InvalidInput, MalformedRequest, NotFound, TransitionRefused
from ..http import lazy
from .session import CSP, Page, console_page

tickets = lazy("chalicelib.services.tickets")
photos = lazy("chalicelib.services.photos")
register_view = lazy("chalicelib.services.register_view")
staff = lazy("chalicelib.services.staff")

bp = Blueprint(__name__)

TICKET_ID = re.compile(rules.ID_PATTERN)
DUE_SOON_SECONDS = 3600  # the queue marks what falls due within the hour

# English msgids; zh-CN in chalicelib/web/i18n/zh_CN/LC_MESSAGES/console_work.po
STATUS_LABELS = {"new": "New", "acknowledged": "Acknowledged", "assigned": "Assigned",
                 "waiting": "Waiting on the resident", "resolved": "Resolved", "closed": "Closed"}
EVENT_LABELS = {
    "received": "Received", "acknowledged": "Acknowledged", "assigned": "Assigned",
    "waiting": "Asked the resident", "scheduled": "Visit booked", "comment": "Comment", "resolved": "Resolved",
    "reopened": "Reopened", "closed": "Closed", "updated": "Re-classified", "resident_replied": "Resident replied",
    "photo_added": "Photo added", "followed_up": "Follow-up call",
    "messages_stopped": "Resident stopped messages", "messages_resumed": "Resident turned messages back on",
    "visit_cancelled": "Visit cancelled",
    "retention_contact_erased": "Contact details and entry notes removed under the retention policy",
    "retention_photos_erased": "Photos removed under the retention policy",
    "resident_erased_contact": "Resident erased their contact details and entry notes",
    "resident_downloaded_data": "Resident downloaded their data",
}
SOURCE_LABELS = {"resident_form": "Resident's form", "phone": "Phone", "walk_in": "Walk-in", "staff": "Entered by staff"}
CLOSE_REASONS = {"resolved": "Resolved", "duplicate": "Duplicate", "withdrawn": "Withdrawn by the resident",
                 "spam": "Spam"}
ACTION_LABELS = {
    "acknowledge": "Acknowledge", "assign": "Assign", "comment": "Comment", "wait": "Ask the resident and wait",
    "schedule": "Book a visit", "resolve": "Resolve", "reopen": "Reopen", "close": "Close",
    "follow_up": "Log a follow-up call", "classify": "Change category or urgency",
    "cancel_visit": "Cancel the visit",
}
DONE_NOTICES = {
    "acknowledge": "Acknowledged.", "assign": "Assigned.", "comment": "Comment added.",
    "wait": "The question was sent to the resident.", "schedule": "Visit booked.", "resolve": "Resolved.",
    "reopen": "Reopened.", "close": "Closed.", "follow_up": "Follow-up call logged.",
    "classify": "Category and urgency changed; the promised times were worked out again.",
    "cancel_visit": "Visit cancelled.",
}
WEEKDAY_LABELS = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
# Field (action.field) → what to say beside it when refused.
FIELD_MESSAGES = {
    "acknowledge.note": "Keep the note under 2000 characters",
    "assign.assignee": "Choose an active member of staff",
    "comment.body": "Write the comment (up to 4000 characters)",
    "comment.visibility": "Choose internal or public",
    "wait.question": "Write the question for the resident (up to 2000 characters)",
    "schedule.note": "Keep the note under 2000 characters",
    "resolve.note": "Keep the note under 2000 characters",
    "reopen.reason": "Say why it is reopened (up to 2000 characters)",
    "close.reason": "For a ticket that is not resolved, say why it is closed: duplicate, withdrawn or spam",
    "close.note": "Keep the note under 2000 characters",
    "follow_up.note": "Keep the note under 2000 characters",
    "classify.category": "Choose one of the firm's categories",
    "classify.urgency": "Choose one of the firm's urgencies",
}
CONFLICT_MESSAGE = ("Someone else changed this ticket while you were typing — here is what it looks like now; "
                    "your text is kept below.")


# --- plain words for time --------------------------------------------------------------------

def span_words(page: Page, seconds: float) -> str:
    """25 min, 1 h 20 min, 5 h, 2 days 3 h, 9 days (rounded; in the page's language)."""
    minutes = round(abs(seconds) / 60)
    if minutes < 1:
        return page.t("less than 1 min")
    if minutes < 60:
        return page.t("%(n)s min") % {"n": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        if hours < 10 and rest:
            return page.t("%(h)s h %(m)s min") % {"h": hours, "m": rest}
        return page.t("%(n)s h") % {"n": round(minutes / 60)}
    days, hours = divmod(round(minutes / 60), 24)
    if days < 3 and hours:
        return page.t("%(d)s d %(h)s h") % {"d": days, "h": hours}
    days = round(minutes / 1440)
    return (page.t("%(n)s day") if days == 1 else page.t("%(n)s days")) % {"n": days}


def time_left(page: Page, seconds: float | None) -> tuple[str, str]:
    """("due in 25 min" | "overdue by 2 h", css class) for seconds to a deadline."""
    if seconds is None:
        return "", ""
    if seconds < 0:
        return page.t("overdue by %(span)s") % {"span": span_words(page, seconds)}, "overdue"
    return (page.t("due in %(span)s") % {"span": span_words(page, seconds)},
            "due-soon" if seconds < DUE_SOON_SECONDS else "")


def _seconds_to(iso: str | None, now: datetime) -> float | None:
    if not iso:
        return None
    return (datetime.fromisoformat(iso.replace("Z", "+00:00")) - now).total_seconds()


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- the queue ---------------------------------------------------------------------------------

@console_page(bp, "/console/queue")
def queue(page: Page) -> Response:
    q = page.query
    whose = q.get("whose") if q.get("whose") in ("mine", "unassigned") else ""
    status = q.get("status") if q.get("status") in rules.STATES else ""
    overdue = q.get("overdue") == "1"
    params = {"status": status, "category": q.get("category", "")[:40], "property_id": q.get("property_id", "")[:26],
              "assignee": {"mine": "me", "unassigned": "none"}.get(whose, ""), "cursor": q.get("cursor", ""),
              "limit": str(int(q["limit"])) if q.get("limit", "").isdigit() and 0 < int(q["limit"]) <= 100 else ""}
    answer = tickets.queue(page.who, {k: v for k, v in params.items() if v})
    found = answer["tickets"]
    next_cursor = answer["next_cursor"]
    if overdue and status not in rules.DONE_STATES:
        # Open tickets come by next deadline first, so the overdue ones are the front of the
        # queue: keep those, and stop paging once a ticket on this page is not overdue.
        late = [t for t in found if t["sla"]["seconds_left"] is not None and t["sla"]["seconds_left"] < 0]
        if len(late) < len(found):
            next_cursor = None
        found = late
    names = page_names(page, {(t["property_id"], t["building_id"]) for t in found}, with_properties=True)
    rows = [_queue_row(page, t, names) for t in found]
    filters = {"whose": whose, "status": status, "overdue": "1" if overdue else "",
               "category": params["category"], "property_id": params["property_id"], "limit": params["limit"]}
    chosen = {k: v for k, v in filters.items() if v}
    first_link = "/console/queue" + ("?" + urlencode(chosen) if chosen else "")
    next_link = "/console/queue?" + urlencode({**chosen, "cursor": next_cursor}) if next_cursor else None
    return page.render(
        "console/queue.html", title=page.t("Queue"), rows=rows, filters=filters, next_link=next_link,
        first_link=first_link,
        paged=bool(params["cursor"]),
        category_options=[(c["key"], c["name"]) for c in names["categories"]],
        property_options=[(p_id, name) for p_id, name in sorted(names["properties"].items(), key=lambda i: i[1])],
        status_options=[(s, page.t(STATUS_LABELS[s])) for s in rules.STATES])


def _queue_row(page: Page, t: dict, names: dict) -> dict:
    left, css = time_left(page, t["sla"]["seconds_left"])
    if not left:
        left = page.t("clock paused while waiting on the resident") if t["sla"].get("paused") and \
            t["status"] in rules.OPEN_STATES else "—"
    return {
        "id": t["id"], "number": t["number"], "status": page.t(STATUS_LABELS.get(t["status"], t["status"])),
        "place": _place(names, t), "category": names["category"].get(t["category"], t["category"]),
        "urgency": names["urgency"].get(t["urgency"], t["urgency"]), "urgent": t["urgency"] == names["top_priority"],
        "assignee": _assignee(page, t), "left": left, "left_class": css, "repeat": t.get("repeat"),
    }


def _place(names: dict, t: dict) -> dict:
    return {"property": names["properties"].get(t["property_id"], ""),
            "building": names["buildings"].get(t["building_id"], ""), "unit": t["unit"]}


def _assignee(page: Page, t: dict) -> str:
    if not t.get("assignee"):
        return ""
    name = t.get("assignee_name") or page.t("Someone")
    return page.t("%(name)s (you)") % {"name": name} if t["assignee"] == page.who.sub else name


# --- the ticket page ---------------------------------------------------------------------------

def _check_id(ticket_id: str) -> None:
    # A ticket id is a ULID; anything else (a prefix of one included) is no ticket.
    if not TICKET_ID.fullmatch(ticket_id or ""):
        raise NotFound("No such ticket.")


@console_page(bp, "/console/tickets/{ticket_id}")
def ticket(page: Page, ticket_id: str) -> Response:
    _check_id(ticket_id)
    notice = DONE_NOTICES.get(page.query.get("done", ""))
    return ticket_page(page, ticket_id, notice=page.t(notice) if notice else "")


def ticket_page(page: Page, ticket_id: str, *, status: int = 200, notice: str = "", warning: str = "",
                open_action: str = "", values: dict | None = None, errors: dict | None = None,
                version: str | None = None) -> Response:
    """The ticket as it is now. ``version``: the one the form keeps (a refused form keeps
    the version it was typed against, so a colleague's change still answers 409)."""
    view = tickets.read(page.who, ticket_id)
    names = page_names(page, {(view["property_id"], view["building_id"])})
    allowed = allowed_actions(view)
    not_now = open_action if open_action and open_action not in allowed else ""
    if not_now:
        allowed.append(not_now)  # keep what was typed even if the action is not possible now
    staff = assignable_staff(page) if "assign" in allowed else []
    now = _now()
    tz = names["time_zone"]
    context = {
        "t": view, "version": version or str(view["version"]),
        "status_label": page.t(STATUS_LABELS.get(view["status"], view["status"])),
        "category": names["category"].get(view["category"], view["category"]),
        "urgency": names["urgency"].get(view["urgency"], view["urgency"]),
        "place": _place(names, view), "source": page.t(SOURCE_LABELS.get(view["source"], view["source"])),
        "created": _time(page, view["created_at"], tz), "assignee": _assignee(page, view),
        "entry": _entry(page, view.get("entry") or {}), "promises": _promises(page, view, now, tz),
        "timeline": [_event(page, e, names, tz) for e in view.get("timeline") or []],
        "photos": view.get("photos") or [], "time_zone": tz,
        "actions": [(a, page.t(ACTION_LABELS[a])) for a in allowed],
        "not_now": not_now,
        "open_action": open_action, "values": values or {}, "errors": errors or {},
        "labels": _field_labels(page),
        "staff": staff, "close_reasons": _close_reasons(page, view),
        "category_options": [(c["key"], c["name"]) for c in names["categories"]],
        "urgency_options": [(p["key"], p["name"]) for p in names["priorities"]],
        "notice": notice, "warning": warning,
    }
    response = page.render("console/ticket.html", status, title=page.t("Ticket") + f" #{view['number']}", **context)
    if context["photos"]:
        origin = photos.bucket_origin()  # the photo links point at the bucket: allow its images here only
        response.headers["Content-Security-Policy"] = CSP.replace("img-src 'self' data:",
                                                                  f"img-src 'self' data: {origin}")
    return response


def allowed_actions(view: dict) -> list[str]:
    """The actions the lifecycle allows now (the domain's own table), in working order."""
    allowed = [a for a in rules.ACTIONS if view["status"] in rules.ALLOWED_FROM[a]]
    if "follow_up" in allowed and not view.get("first_resolved_at"):
        allowed.remove("follow_up")  # a follow-up call comes after the work is resolved
    if "cancel_visit" in allowed and not view.get("visit_at"):
        allowed.remove("cancel_visit")  # only a booked visit can be cancelled
    if view["status"] in rules.OPEN_STATES:
        allowed.append("classify")
    return allowed


def _time(page: Page, iso: str | None, tz: str) -> str:
    from ... import web
    return web.format_time(iso, page.lang, tz)


def _entry(page: Page, entry: dict) -> dict:
    windows = []
    for w in entry.get("windows") or []:
        days = ", ".join(page.t(WEEKDAY_LABELS.get(d, d)) for d in (w.get("days") or [])) or page.t("Every day")
        windows.append(f"{days} {w.get('from', '')}–{w.get('to', '')}")
    return {"present": bool(entry.get("present", True)), "windows": windows, "pets": entry.get("pets") or ""}


def _promises(page: Page, view: dict, now: datetime, tz: str) -> list[dict]:
    """Every promise with its time and state: met, overdue by, due in, or paused."""
    sla = view.get("sla") or {}
    found = []
    for key, label in (("first_response", "First response"), ("resolution", "Resolution")):
        promise = sla.get(key) or {}
        if not promise.get("due"):
            continue
        state = promise.get("state")
        if state in ("met", "met_late"):
            text, css = page.t("met in time") if state == "met" else page.t("met late"), "muted"
        elif state == "paused" or (key == "resolution" and not view["status"] in rules.OPEN_STATES):
            text, css = page.t("clock paused while waiting on the resident") if state == "paused" else "", "muted"
        else:
            text, css = time_left(page, _seconds_to(promise["due"], now))
        found.append({"key": key, "label": page.t(label), "due": _time(page, promise["due"], tz), "state": text,
                      "class": css})
    if view["status"] in rules.OPEN_STATES and (sla.get("next_update") or {}).get("due") and not sla.get("paused"):
        due = sla["next_update"]["due"]
        text, css = time_left(page, _seconds_to(due, now))
        found.append({"key": "next_update", "label": page.t("Next update to the resident"),
                      "due": _time(page, due, tz), "state": text, "class": css})
    if view.get("visit_at") and view["status"] in rules.OPEN_STATES:
        found.append({"key": "visit", "label": page.t("Visit booked"), "due": _time(page, view["visit_at"], tz),
                      "state": "", "class": ""})
    return found


def _event(page: Page, e: dict, names: dict, tz: str) -> dict:
    data, actor = e.get("data") or {}, e.get("actor") or {}
    who = actor.get("name") or {"resident": page.t("Resident"), "system": page.t("PropDesk")}.get(
        actor.get("kind", ""), "")
    label = page.t(EVENT_LABELS.get(e["type"], e["type"]))
    detail = ""
    if e["type"] == "reopened" and data.get("by_resident"):
        label = page.t("Resident said it is not fixed")
    if e["type"] == "assigned":
        detail = page.t("to %(name)s") % {"name": data.get("assignee_name") or ""}
    elif e["type"] == "scheduled" and data.get("at"):
        detail = _time(page, data["at"], tz)
    elif e["type"] == "closed":
        detail = page.t(CLOSE_REASONS.get(data.get("reason", ""), data.get("reason", "")))
    elif e["type"] == "updated":
        before, after = data.get("from") or {}, data.get("to") or {}
        detail = " → ".join(
            f"{names['category'].get(side.get('category'), side.get('category'))} · "
            f"{names['urgency'].get(side.get('urgency'), side.get('urgency'))}" for side in (before, after))
    text = data.get("note") or "" if e["type"] == "closed" else \
        data.get("body") or data.get("question") or data.get("note") or data.get("reason") or ""
    return {"label": label, "when": _time(page, e.get("at"), tz), "who": who, "detail": detail, "text": text,
            "internal": not e.get("public", True)}


def _close_reasons(page: Page, view: dict) -> list[tuple[str, str]]:
    keys = rules.CLOSE_REASONS if view["status"] == "resolved" else [r for r in rules.CLOSE_REASONS if r != "resolved"]
    return [(k, page.t(CLOSE_REASONS[k])) for k in keys]


def _field_labels(page: Page) -> dict:
    return {"acknowledge.note": page.t("Note to the resident (optional)"),
            "assign.assignee": page.t("Assign to"),
            "comment.body": page.t("Comment"), "comment.visibility": page.t("Who can see it"),
            "wait.question": page.t("Question for the resident"),
            "schedule.at": page.t("Visit date and time"), "schedule.note": page.t("Note to the resident (optional)"),
            "cancel_visit.note": page.t("Note to the resident (optional)"),
            "resolve.note": page.t("What was done (shown to the resident)"),
            "reopen.reason": page.t("Why it is reopened"),
            "close.reason": page.t("Reason"), "close.note": page.t("Note (optional)"),
            "follow_up.note": page.t("What the resident said (optional)"),
            "classify.category": page.t("Category"), "classify.urgency": page.t("Urgency"),
            "version": page.t("Ticket")}


# --- acting on the ticket ----------------------------------------------------------------------

@console_page(bp, "/console/tickets/{ticket_id}/events", ("POST",))
def act(page: Page, ticket_id: str) -> Response:
    _check_id(ticket_id)
    action = page.value("type")
    if action not in rules.EVENT_SHAPES:
        raise MalformedRequest("Unknown action.", {"type": "must be one of: " + ", ".join(rules.ACTIONS)})
    names = list(rules.EVENT_SHAPES[action].fields)
    values = {f"{action}.{name}": page.value(f"{action}.{name}") for name in names}
    body: dict[str, Any] = {"type": action, **{name: values[f"{action}.{name}"] for name in names}}
    if action == "schedule":
        values["schedule.zone"] = page.value("schedule.zone")
        body["at"] = with_zone(body["at"], values["schedule.zone"])
    return _change(page, ticket_id, action, values,
                   lambda version: tickets.record_event(page.who, ticket_id, body, version))


@console_page(bp, "/console/tickets/{ticket_id}/classify", ("POST",))
def classify(page: Page, ticket_id: str) -> Response:
    _check_id(ticket_id)
    values = {"classify.category": page.value("classify.category"), "classify.urgency": page.value("classify.urgency")}
    body = {"category": values["classify.category"], "urgency": values["classify.urgency"]}
    return _change(page, ticket_id, "classify", values, lambda version: tickets.change(page.who, ticket_id, body, version))


def _change(page: Page, ticket_id: str, action: str, values: dict, run) -> Response:
    version = page.value("version")
    try:
        run(f'"{version}"')
    except Conflict:
        return ticket_page(page, ticket_id, status=409, warning=page.t(CONFLICT_MESSAGE), open_action=action,
                           values=values)
    except TransitionRefused as error:
        return ticket_page(page, ticket_id, status=409, warning=_refusal(page, error), open_action=action,
                           values=values)
    except InvalidInput as error:
        return ticket_page(page, ticket_id, status=422, open_action=action, values=values,
                           errors=_errors(page, action, error), version=version)
    return page.redirect(f"/console/tickets/{ticket_id}?done={action}")


def _refusal(page: Page, error: TransitionRefused) -> str:
    reason = " ".join(str(v) for v in (error.fields or {}).values())
    if "not been resolved" in reason:
        return page.t("A follow-up call comes after the work is resolved.")
    found = re.search(r"not allowed while the ticket is (\w+)", reason)
    if found and found.group(1) in STATUS_LABELS:
        return page.t("That is not possible while the ticket is “%(status)s”.") % {
            "status": page.t(STATUS_LABELS[found.group(1)])}
    return error.message


def _errors(page: Page, action: str, error: InvalidInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, reason in (error.fields or {}).items():
        key = f"{action}.{name}"
        if name == "at":
            errors[key] = page.t("Choose a time in the future") if "past" in reason else \
                page.t("Choose a time inside one of the resident's entry windows") if "allows" in reason else \
                page.t("Enter a date and time")
        elif name == "body" and action == "classify":
            errors["classify.category"] = page.t("Choose a different category or urgency")
        elif key in FIELD_MESSAGES:
            errors[key] = page.t(FIELD_MESSAGES[key])
        elif name in ("If-Match", "version"):
            errors["version"] = page.t("Open the ticket again and send the form from there")
        else:
            errors[key] = str(reason)
    return errors


def with_zone(local: str, zone: str) -> str:
    """A datetime-local value (2026-11-28T09:30) in the firm's zone → ISO with its offset.
    Anything else is passed on as typed, for the domain to refuse beside the field."""
    from ...domain.fields import Problem, parse_datetime, parse_zone
    try:
        return parse_datetime(local, zone=parse_zone(zone or "UTC")).isoformat()
    except Problem:
        return local


# --- names and people for the pages (services/register_view.py, services/staff.py) ----------------

def page_names(page: Page, places: set[tuple[str, str]], *, with_properties: bool = False) -> dict:
    """``names_for`` in the page's language: {key: name} for categories and urgencies."""
    from ... import web
    names = register_view.ticket_names(page.who.tenant_id, places, with_properties=with_properties)
    names["categories"] = [{"key": c["key"], "name": web.localized(c["name"], page.lang, c["key"])}
                           for c in names["categories"]]
    names["priorities"] = [{"key": p["key"], "name": web.localized(p["name"], page.lang, p["key"])}
                           for p in names["priorities"]]
    names["top_priority"] = names["priorities"][0]["key"] if names["priorities"] else ""  # the most urgent first
    names["category"] = {c["key"]: c["name"] for c in names["categories"]}
    names["urgency"] = {p["key"]: p["name"] for p in names["priorities"]}
    return names


def assignable_staff(page: Page) -> list[tuple[str, str]]:
    """Active staff as (id, name) for the assign form, the person asking first."""
    people = sorted(staff.assignable(page.who), key=lambda u: (u.sub != page.who.sub, (u.name or u.email).lower()))
    return [(u.sub, page.t("%(name)s (you)") % {"name": u.name or u.email} if u.sub == page.who.sub
             else (u.name or u.email)) for u in people]
