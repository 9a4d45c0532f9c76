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
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from chalice import Blueprint, Response

from ...domain import tickets as rules
from ...domain.errors import Conflict, InvalidInput, MalformedRequest, NotFound, TransitionRefused
from ..http import lazy
from . import timeline
from .session import CSP, Page, console_page
from .timeline import CLOSE_REASONS, SOURCE_LABELS, now_utc as _now, seconds_to as _seconds_to, time_left

tickets = lazy("chalicelib.services.tickets")
photos = lazy("chalicelib.services.photos")
register_view = lazy("chalicelib.services.register_view")
staff = lazy("chalicelib.services.staff")
follow_ups = lazy("chalicelib.services.follow_ups")
search = lazy("chalicelib.services.search")

bp = Blueprint(__name__)

TICKET_ID = re.compile(rules.ID_PATTERN)

# English msgids; zh-CN in chalicelib/web/i18n/zh_CN/LC_MESSAGES/console_work.po
STATUS_LABELS = {"new": "New", "acknowledged": "Acknowledged", "assigned": "Assigned",
                 "waiting": "Waiting on the resident", "resolved": "Resolved", "closed": "Closed"}
ACTION_LABELS = {
    "acknowledge": "Acknowledge", "assign": "Assign", "comment": "Comment", "wait": "Ask the resident and wait",
    "schedule": "Book a visit", "resolve": "Resolve", "reopen": "Reopen", "close": "Close",
    "follow_up": "Log a follow-up call", "classify": "Change category or urgency",
    "cancel_visit": "Cancel the visit", "milestone": "Record a milestone",
}
DONE_NOTICES = {
    "acknowledge": "Acknowledged.", "assign": "Assigned.", "comment": "Comment added.",
    "wait": "The question was sent to the resident.", "schedule": "Visit booked.", "resolve": "Resolved.",
    "reopen": "Reopened.", "close": "Closed.", "follow_up": "Follow-up call logged.",
    "classify": "Category and urgency changed; the promised times were worked out again.",
    "cancel_visit": "Visit cancelled.", "milestone": "Milestone recorded.",
    "logged": "Report logged. Tell the resident its number; they get the tracking link on their channel.",
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
    "milestone.kind": "Choose a milestone of this ticket that can be recorded now",
    "milestone.note": "Keep the note under 2000 characters",
    "classify.category": "Choose one of the firm's categories",
    "classify.urgency": "Choose one of the firm's urgencies",
}
CONFLICT_MESSAGE = ("Someone else changed this ticket while you were typing — here is what it looks like now; "
                    "your text is kept below.")
# The same, when the page knows who (the timeline since the form was opened, in words).
CONFLICT_BY = ("%(names)s changed this ticket while you were typing — here is what it looks like now; "
               "your text is kept below.")
# A colleague's change as a sentence: who did what (timeline.event's detail), and when.
CHANGE_SENTENCES = {
    "assigned": "%(who)s assigned it %(detail)s at %(time)s",
    "resolved": "%(who)s resolved it at %(time)s",
    "comment": "%(who)s added a comment at %(time)s",
    "acknowledged": "%(who)s acknowledged it at %(time)s",
    "waiting": "%(who)s asked the resident a question at %(time)s",
    "scheduled": "%(who)s booked a visit for %(detail)s at %(time)s",
    "closed": "%(who)s closed it at %(time)s",
    "reopened": "%(who)s reopened it at %(time)s",
    "updated": "%(who)s changed the category or urgency (%(detail)s) at %(time)s",
}
CHANGE_OTHER = "%(who)s: %(what)s, at %(time)s"


# --- the queue ---------------------------------------------------------------------------------

@console_page(bp, "/console/queue")
def queue(page: Page) -> Response:
    q = page.query
    if q.get("tab") == "followups":
        return _follow_ups(page)
    if q.get("q"):
        return _search(page)
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
    filters = {"whose": whose, "status": status, "overdue": "1" if overdue else "",
               "category": params["category"], "property_id": params["property_id"], "limit": params["limit"]}
    chosen = {k: v for k, v in filters.items() if v}
    first_link = "/console/queue" + ("?" + urlencode(chosen) if chosen else "")
    next_link = "/console/queue?" + urlencode({**chosen, "cursor": next_cursor}) if next_cursor else None
    return _render_queue(page, found, filters=filters, next_link=next_link, first_link=first_link,
                         tab="overdue" if overdue and not whose else whose or "all", paged=bool(params["cursor"]))


def _render_queue(page: Page, found: list[dict], *, status: int = 200, tab: str = "", filters: dict | None = None,
                  search: dict | None = None, **links: Any) -> Response:
    names = page_names(page, {(t["property_id"], t["building_id"]) for t in found}, with_properties=True)
    return page.render(
        "console/queue.html", status, title=page.t("Queue"), rows=[_queue_row(page, t, names) for t in found],
        filters=filters or {}, tabs=_tabs(page, tab), search=search or {"by": "number", "q": ""},
        counts=[{"key": state, "label": page.t(STATUS_LABELS[state]), "n": names["state_counts"].get(state, 0)}
                for state in (*rules.OPEN_STATES, "resolved")],
        search_ways=[(w, page.t(label)) for w, label in SEARCH_WAYS],
        next_link=links.get("next_link"), first_link=links.get("first_link"), paged=links.get("paged", False),
        category_options=[(c["key"], c["name"]) for c in names["categories"]],
        property_options=[(p_id, name) for p_id, name in sorted(names["properties"].items(), key=lambda i: i[1])],
        status_options=[(s, page.t(STATUS_LABELS[s])) for s in rules.STATES])


SEARCH_WAYS = (("number", "Ticket number"), ("unit", "Unit"), ("phone", "Last 4 digits of the phone"))
SEARCH_ERRORS = {"number": "Type a ticket number, like 1024", "unit": "Type a unit code, like 1203",
                 "phone": "Type the last 4 digits of the resident's phone"}


def _search(page: Page) -> Response:
    """Find by number (straight to the ticket), unit or phone's last 4 digits (newest first)."""
    way, text = page.query.get("by", "number"), page.query.get("q", "")[:40]
    typed = {"by": way if way in SEARCH_ERRORS else "number", "q": text}
    try:
        answer = search.find(page.who, way, text)
    except InvalidInput:
        typed["error"] = page.t(SEARCH_ERRORS.get(way, SEARCH_ERRORS["number"]))
        return _render_queue(page, [], status=422, search=typed)
    if answer.get("ticket_id"):
        return page.redirect(f"/console/tickets/{answer['ticket_id']}")
    typed["done"] = True
    return _render_queue(page, answer.get("tickets") or [], search=typed)


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
        "rating": (t.get("survey") or {}).get("rating"), "snippet": snippet(t.get("description") or ""),
        "call_owed": bool(((t.get("survey") or {}).get("call") or {}).get("due")
                          and not t["survey"]["call"].get("done_at")),
    }


def snippet(text: str, length: int = 90) -> str:
    """The start of the description on one line, cut at a word where there are words."""
    line = " ".join(text.split())
    if len(line) <= length:
        return line
    cut = line[:length]
    return (cut.rsplit(" ", 1)[0] if " " in cut[length // 2:] else cut) + "…"


TABS = (("all", "All open", ""), ("mine", "Mine", "?whose=mine"), ("unassigned", "Unassigned", "?whose=unassigned"),
        ("overdue", "Overdue", "?overdue=1"), ("followups", "Follow-ups due", "?tab=followups"))


def _tabs(page: Page, current: str) -> list[dict]:
    return [{"key": key, "label": page.t(label), "href": "/console/queue" + query, "current": key == current}
            for key, label, query in TABS]


def _follow_ups(page: Page) -> Response:
    """The calls a low survey answer asked for, the earliest promise first (one Query)."""
    now = _now()
    rows = []
    for call in follow_ups.due(page.who):
        left, css = time_left(page, (call.due - now).total_seconds())
        rows.append({"id": call.ticket_id, "number": call.number, "unit": call.unit, "rating": call.rating,
                     "left": left, "left_class": css})
    return page.render("console/follow_ups.html", title=page.t("Follow-ups due"), rows=rows,
                       tabs=_tabs(page, "followups"))


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
                version: str | None = None, seen: str | None = None) -> Response:
    """The ticket as it is now. ``version``: the one the form keeps (a refused form keeps
    the version it was typed against, so a colleague's change still answers 409).
    ``seen``: on a conflict, the newest timeline event the form's page showed; what came
    after it is said in words above the page (from the same read: no extra round trip)."""
    view = tickets.read(page.who, ticket_id)
    names = page_names(page, {(view["property_id"], view["building_id"])}, with_replies=True)
    changes: list[str] = []
    if seen is not None:
        changes, names_by = _changes_since(page, view, names, seen)
        if names_by:
            warning = page.t(CONFLICT_BY) % {"names": names_by}
    allowed = allowed_actions(view)
    if not open_action and page.query.get("use"):  # a canned reply chosen: its form, filled in
        open_action, values = _chosen_reply(page, view, names)
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
        "created": timeline.format_time(page, view["created_at"], tz), "assignee": _assignee(page, view),
        "entry": _entry(page, view.get("entry") or {}), "promises": _promises(page, view, now, tz),
        "timeline": [timeline.event(page, e, names, tz, view.get("survey")) for e in view.get("timeline") or []],
        "voice": timeline.voice(page, view, tz, now),
        "photos": view.get("photos") or [], "time_zone": tz,
        "actions": [(a, page.t(ACTION_LABELS[a])) for a in allowed],
        "not_now": not_now,
        "open_action": open_action, "values": values or {}, "errors": errors or {},
        "labels": _field_labels(page), "replies": _reply_choices(page, view, names["replies"]),
        "staff": staff, "close_reasons": _close_reasons(page, view),
        "category_options": [(c["key"], c["name"]) for c in names["categories"]],
        "urgency_options": [(p["key"], p["name"]) for p in names["priorities"]],
        "milestone_options": [(k, page.t(timeline.MILESTONE_KINDS[k])) for k in milestone_kinds(view)],
        "notice": notice, "warning": warning, "changes": changes,
        "seen": (view.get("timeline") or [{}])[-1].get("id", ""), "can_merge": view["status"] in rules.OPEN_STATES,
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
    if "milestone" in allowed and not milestone_kinds(view):
        allowed.remove("milestone")  # only a ticket with a milestone to record now
    if view["status"] in rules.OPEN_STATES:
        allowed.append("classify")
    return allowed


def milestone_kinds(view: dict) -> list[str]:
    """The staff actions that would complete a milestone now (started, not done), in order."""
    from ...domain.standards import MILESTONE_KINDS
    found: list[str] = []
    for m in (view.get("sla") or {}).get("milestones") or []:
        if m["done_by"] in MILESTONE_KINDS and m["state"] in ("running", "breached", "paused") \
                and m["done_by"] not in found:
            found.append(m["done_by"])
    return found


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
        found.append({"key": key, "label": page.t(label), "due": timeline.format_time(page, promise["due"], tz), "state": text,
                      "class": css})
    if view["status"] in rules.OPEN_STATES and (sla.get("next_update") or {}).get("due") and not sla.get("paused"):
        due = sla["next_update"]["due"]
        text, css = time_left(page, _seconds_to(due, now))
        found.append({"key": "next_update", "label": page.t("Next update to the resident"),
                      "due": timeline.format_time(page, due, tz), "state": text, "class": css})
    for m in sla.get("milestones") or []:
        if not m.get("due"):
            continue  # not started: the milestone before it is not done yet
        state = m["state"]
        if state in ("met", "met_late"):
            text, css = page.t("met in time") if state == "met" else page.t("met late"), "muted"
        elif state == "paused":
            text, css = page.t("clock paused while waiting on the resident"), "muted"
        elif state == "not_done":
            text, css = page.t("not recorded before the work was resolved"), "muted"
        else:
            text, css = time_left(page, _seconds_to(m["due"], now))
        found.append({"key": f"milestone-{m['key']}", "label": timeline.localised(m.get("name"), page.lang),
                      "due": timeline.format_time(page, m["due"], tz), "state": text, "class": css})
    if view.get("visit_at") and view["status"] in rules.OPEN_STATES:
        found.append({"key": "visit", "label": page.t("Visit booked"),
                      "due": timeline.format_time(page, view["visit_at"], tz),
                      "state": "", "class": ""})
    return found


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
            "milestone.kind": page.t("What was done"), "milestone.note": page.t("Note (optional)"),
            "classify.category": page.t("Category"), "classify.urgency": page.t("Urgency"),
            "version": page.t("Ticket")}


# --- canned replies in the comment, wait and resolve forms (domain/replies.py) ---------------

REPLY_FIELDS = {"comment": "comment.body", "wait": "wait.question", "resolve": "resolve.note"}
REPLY_LANGUAGES = (("zh-CN", "中文"), ("en", "English"))


def _reply_choices(page: Page, view: dict, replies: list[dict]) -> dict:
    """{step: [(label, link)]}: each reply for this ticket's category, in either language."""
    from ...domain.replies import for_step
    found: dict[str, list] = {}
    for step in REPLY_FIELDS:
        for reply in for_step(replies, view["category"], step):
            for lang, name in REPLY_LANGUAGES:
                line = " ".join(reply["text"][lang].split())
                preview = line if len(line) <= 60 else line[:60] + "…"
                link = f"/console/tickets/{view['id']}?" + urlencode({"use": reply["key"], "in": lang})
                found.setdefault(step, []).append({"text": preview, "lang": lang, "language": name, "href": link})
    return found


def _chosen_reply(page: Page, view: dict, names: dict) -> tuple[str, dict]:
    """The form a chosen reply belongs to, with its text filled in ("", {} if it is gone)."""
    from ... import web
    from ...domain.replies import fill
    reply = next((r for r in names["replies"] if r["key"] == page.query.get("use")), None)
    lang = page.query.get("in") if page.query.get("in") in dict(REPLY_LANGUAGES) else page.lang
    if reply is None or reply["step"] not in REPLY_FIELDS:
        return "", {}
    text = fill(reply["text"][lang], lang, resident=(view.get("contact") or {}).get("name"),
                visit_time=web.format_time(view["visit_at"], lang, names["time_zone"]) if view.get("visit_at") else None, technician=view.get("assignee_name"), number=view["number"])
    values = {REPLY_FIELDS[reply["step"]]: text}
    if reply["step"] == "comment":
        values["comment.visibility"] = "public"  # a standard reply is words for the resident
    return reply["step"], values


# --- acting on the ticket ----------------------------------------------------------------------

@console_page(bp, "/console/tickets/{ticket_id}/events", ("POST",))
def act(page: Page, ticket_id: str) -> Response:
    _check_id(ticket_id)
    action = page.value("type")
    if action not in rules.EVENT_SHAPES:
        raise MalformedRequest("Unknown action.", {"type": "must be one of: " + ", ".join(rules.ACTIONS)})
    names = list(rules.EVENT_SHAPES[action].fields)
    values = {f"{action}.{name}": page.value(f"{action}.{name}") for name in names}
    if action == "resolve" and not values["resolve.note"].strip():  # the resident reads what was done
        return ticket_page(page, ticket_id, status=422, open_action=action, values=values,
                           errors={"resolve.note": page.t("Say what was done: the resident reads it")},
                           version=page.value("version"))
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
                           values=values, seen=page.value("seen"))
    except TransitionRefused as error:
        return ticket_page(page, ticket_id, status=409, warning=_refusal(page, error), open_action=action,
                           values=values)
    except InvalidInput as error:
        return ticket_page(page, ticket_id, status=422, open_action=action, values=values,
                           errors=_errors(page, action, error), version=version)
    return page.redirect(f"/console/tickets/{ticket_id}?done={action}")


def _changes_since(page: Page, view: dict, names: dict, seen: str) -> tuple[list[str], str]:
    """What happened to the ticket after the event ``seen`` (ULIDs sort by time), each as a
    sentence, and who did it ("Wang Fang", "Wang Fang and Zhao Lei"; "" if nobody is named)."""
    if not re.fullmatch(r"[0-9A-Z]{26}", seen or ""):
        return [], ""
    tz = names["time_zone"]
    sentences, people = [], []
    for e in view.get("timeline") or []:
        if e["id"] <= seen:
            continue
        said = timeline.event(page, e, names, tz, view.get("survey"))
        actor = e.get("actor") or {}
        who = page.t("You") if actor.get("sub") and actor.get("sub") == page.who.sub else said["who"] or page.t("Someone")
        if who not in people:
            people.append(who)
        words = {"who": who, "detail": said["detail"], "time": said["when"]}
        if e["type"] in CHANGE_SENTENCES and (said["detail"] or "%(detail)s" not in CHANGE_SENTENCES[e["type"]]):
            sentences.append(page.t(CHANGE_SENTENCES[e["type"]]) % words)
        else:
            what = f"{said['label']} {said['detail']}".strip() if said["detail"] else said["label"]
            sentences.append(page.t(CHANGE_OTHER) % {**words, "what": what})
    joined = page.t("%(first)s and %(second)s") % {"first": "、".join(people[:-1]) if page.lang == "zh-CN"
                                                   else ", ".join(people[:-1]), "second": people[-1]} \
        if len(people) > 1 else "".join(people)
    return sentences, joined


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

def page_names(page: Page, places: set[tuple[str, str]], *, with_properties: bool = False,
               with_replies: bool = False) -> dict:
    """``names_for`` in the page's language: {key: name} for categories and urgencies."""
    from ... import web
    names = register_view.ticket_names(page.who.tenant_id, places, with_properties=with_properties,
                                       with_replies=with_replies)
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
