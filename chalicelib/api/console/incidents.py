"""Console pages for incidents: merge reports of one fault from a ticket's page (with the
suggested look-alikes), and the incident's page (its reports, unmerge, a public update or
the resolution for every reporter). Plain forms, no JavaScript; every change carries the
incident's version, so a colleague's change first answers 409 with the typed text kept.

Round trips to render: the merge page reads the ticket (GetItem), the look-alikes (one
Query of the open queue) and, for a ticket already merged, its incident (GetItem); the
incident page reads the incident (GetItem) and its reports (BatchGetItem).

English msgids; zh-CN in chalicelib/web/i18n/zh_CN/LC_MESSAGES/console_incidents.po.
"""

from __future__ import annotations

import re

from chalice import Blueprint, Response

from ...domain import tickets as rules
from ...domain.errors import Conflict, InvalidInput, NotFound, TransitionRefused
from ..http import lazy
from .session import Page, console_page
from .timeline import format_time
from .work import STATUS_LABELS, snippet
from .work import _check_id as _check  # a ULID, or no such record

incidents = lazy("chalicelib.services.incidents")
search = lazy("chalicelib.services.search")

bp = Blueprint(__name__)

ID = re.compile(rules.ID_PATTERN)
INCIDENT_STATUS = {"open": "Open", "resolved": "Resolved", "dissolved": "No reports left"}
DONE = {"merged": "The reports were merged into the incident.", "unmerge": "The report was taken out of the incident.",
        "update": "The update was sent to every reporter.", "resolve": "Every report was resolved; each reporter is told.",
        "acknowledge": "Every report was acknowledged."}
CONFLICT = ("Someone else changed this incident while you were typing — here is what it looks like now; "
            "your text is kept below.")
FIELD_ERRORS = {"title": "Name the fault in a few words (3 to 120 characters)",
                "body": "Write the update for the residents (up to 4000 characters)",
                "note": "Say what was done: every reporter reads it",
                "number": "Type the number of an open report of this firm"}


# --- merging from a ticket's page -----------------------------------------------------------------

@console_page(bp, "/console/tickets/{ticket_id}/merge")
def merge_page(page: Page, ticket_id: str) -> Response:
    _check(ticket_id)
    return _merge_page(page, ticket_id)


def _merge_page(page: Page, ticket_id: str, *, status: int = 200, warning: str = "", values: dict | None = None,
                errors: dict | None = None) -> Response:
    found = incidents.merge_choices(page.who, ticket_id)
    ticket, incident = found["ticket"], found["incident"]
    tz = found["time_zone"]
    chosen = set((values or {}).get("tickets") or [])
    rows = [{"id": t["id"], "number": t["number"], "unit": t["unit"], "snippet": snippet(t["description"], 60),
             "when": format_time(page, t["created_at"], tz), "checked": t["id"] in chosen} for t in found["tickets"]]
    return page.render("console/merge.html", status, title=page.t("Merge reports of one fault"), t=ticket,
                       incident=incident, rows=rows, hours=found["hours"], values=values or {}, errors=errors or {},
                       warning=warning,
                       labels={"title": page.t("What is broken"), "number": page.t("Another report's number"),
                               "tickets": page.t("Reports to merge")})


@console_page(bp, "/console/tickets/{ticket_id}/merge", ("POST",))
def merge(page: Page, ticket_id: str) -> Response:
    _check(ticket_id)
    values = {"title": page.value("title"), "number": page.value("number").strip(),
              "tickets": [v for v in page.values("tickets") if ID.fullmatch(v)],
              "incident": page.value("incident"), "version": page.value("version")}
    chosen = list(values["tickets"])
    if values["number"]:
        try:
            other = search.find(page.who, "number", values["number"]).get("ticket_id")
        except (InvalidInput, NotFound):
            other = None
        if not other:
            return _merge_page(page, ticket_id, status=422, values=values,
                               errors={"number": page.t(FIELD_ERRORS["number"])})
        chosen.append(other)
    try:
        if values["incident"]:
            _check(values["incident"])
            version = values["version"]
            for other in dict.fromkeys(c for c in chosen if c != ticket_id):
                view = incidents.act(page.who, values["incident"], {"type": "merge", "ticket_id": other},
                                     f'"{version}"')
                version = view["version"]
            incident_id = values["incident"]
        else:
            incident_id = incidents.create(page.who, {"title": values["title"],
                                                      "tickets": list(dict.fromkeys([ticket_id, *chosen]))})["id"]
    except Conflict:
        return _merge_page(page, ticket_id, status=409, warning=page.t(CONFLICT), values=values)
    except (InvalidInput, TransitionRefused) as error:
        status = 409 if isinstance(error, TransitionRefused) else 422
        return _merge_page(page, ticket_id, status=status, values=values, errors=_errors(page, error),
                           warning=_why(page, error) if isinstance(error, TransitionRefused) else "")
    return page.redirect(f"/console/incidents/{incident_id}?done=merged")


# --- the incident's page ----------------------------------------------------------------------------

@console_page(bp, "/console/incidents/{incident_id}")
def incident_page(page: Page, incident_id: str) -> Response:
    _check(incident_id)
    done = DONE.get(page.query.get("done", ""))
    return _incident_page(page, incident_id, notice=page.t(done) if done else "")


def _incident_page(page: Page, incident_id: str, *, status: int = 200, notice: str = "", warning: str = "",
                   values: dict | None = None, errors: dict | None = None, version: str | None = None) -> Response:
    view = incidents.read(page.who, incident_id)
    members = [{**m, "status_label": page.t(STATUS_LABELS.get(m.get("status", ""), "Closed")),
                "can_leave": not m["lead"] or len(view["members"]) == 1} for m in view["members"]]
    open_reports = sum(1 for m in view["members"] if m.get("status") in rules.OPEN_STATES)
    return page.render("console/incident.html", status, title=page.t("Incident") + f" · {view['title']}",
                       i=view, members=members, open_reports=open_reports, version=version or str(view["version"]),
                       status_label=page.t(INCIDENT_STATUS.get(view["status"], "Open")), notice=notice,
                       warning=warning, values=values or {}, errors=errors or {},
                       labels={"body": page.t("Update for every reporter"),
                               "note": page.t("What was done (every reporter reads it)")})


@console_page(bp, "/console/incidents/{incident_id}/events", ("POST",))
def act(page: Page, incident_id: str) -> Response:
    _check(incident_id)
    action = page.value("type")
    fields = {"unmerge": "ticket_id", "update": "body", "resolve": "note", "acknowledge": "note"}
    if action not in fields:
        raise InvalidInput("Unknown action.", {"type": "must be one of: " + ", ".join(fields)})
    values = {fields[action]: page.value(fields[action])}
    version = page.value("version")
    try:
        incidents.act(page.who, incident_id, {"type": action, **values}, f'"{version}"')
    except Conflict:
        return _incident_page(page, incident_id, status=409, warning=page.t(CONFLICT), values=values)
    except TransitionRefused as error:
        return _incident_page(page, incident_id, status=409, values=values,
                              warning=_why(page, error))
    except InvalidInput as error:
        return _incident_page(page, incident_id, status=422, values=values, errors=_errors(page, error),
                              version=version)
    return page.redirect(f"/console/incidents/{incident_id}?done={action}")


def _errors(page: Page, error: InvalidInput | TransitionRefused) -> dict:
    found = {}
    for name in (error.fields or {}):
        key = name.split("[")[0]
        found[key if key in FIELD_ERRORS else "tickets"] = page.t(FIELD_ERRORS.get(key, "Choose open reports that "
                                                                                   "are in no incident yet"))
    return found


REFUSALS = (  # (words in the domain's reason, what the page says)
    ("is already merged", "Report %(ref)s is already part of an incident."),
    ("only open reports", "Report %(ref)s is no longer open; only open reports can be merged."),
    ("is the lead report", "The lead report carries the incident's clock; take the other reports out first."),
    ("not merged into this incident", "That report is not part of this incident."),
    ("already holds", "An incident holds at most 50 reports."),
    ("past that step", "Every report of the incident is already past that step."),
    ("the incident is", "The incident is no longer open."),
)


def _why(page: Page, error: TransitionRefused) -> str:
    """The refusal in the page's language: which report, and why (never the domain's English)."""
    reason = " ".join(str(v) for v in (error.fields or {}).values())
    number = re.search(r"#(\d+)", reason)
    for words, said in REFUSALS:
        if words in reason:
            return page.t(said) % {"ref": f"#{number.group(1)}" if number else ""}
    return page.t("That is not possible now.")
