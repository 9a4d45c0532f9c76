"""Log a report taken by phone or at the desk (``/console/intake``), over the same service
as ``POST /api/tickets`` (``services.tickets.create_by_staff``).

Staff say how it came in (phone, walk-in), where, what and how urgent, and how the resident
wants updates. Updates by SMS or e-mail need the resident's agreement to be contacted,
asked on the call and ticked here; without it the report is logged with no messages.

Round trips: the form is the register's two key Queries and one BatchGetItem for the
category and urgency names; sending adds the creating transaction (plus the ticket number).
"""

from __future__ import annotations

from chalice import Blueprint, Response

from ...domain.errors import InvalidInput
from ..http import lazy
from .session import Page, console_page
from .work import page_names

tickets = lazy("chalicelib.services.tickets")
register_view = lazy("chalicelib.services.register_view")

bp = Blueprint(__name__)

# English msgids; zh-CN in chalicelib/web/i18n/zh_CN/LC_MESSAGES/console_work.po
SOURCES = (("phone", "By phone"), ("walk_in", "At the desk"))
CHANNELS = (("sms", "By SMS"), ("email", "By e-mail"), ("none", "No messages"))
FIELD_MESSAGES = {
    "place": "Choose the building", "unit": "Type the unit, like 1203",
    "category": "Choose a category", "urgency": "Choose an urgency",
    "description": "Describe the problem (5 to 4000 characters)",
    "contact.phone": "Type a phone number the resident can be reached on",
    "contact.email": "Type an e-mail address like name@example.com",
    "contact.notify": "Give a phone number for SMS, or an e-mail address for e-mail",
    "consent": "Ask the resident whether we may send updates; without their agreement choose “No messages”",
}
FIELDS = ("source", "place", "unit", "category", "urgency", "description", "contact.name", "contact.phone",
          "contact.email", "contact.notify", "consent")


@console_page(bp, "/console/intake")
def intake_form(page: Page) -> Response:
    return _form(page, {"source": "phone", "contact.notify": "sms"})


@console_page(bp, "/console/intake", ("POST",))
def log_report(page: Page) -> Response:
    values = {name: page.value(name).strip() for name in FIELDS}
    property_id, _, building_id = values["place"].partition(":")
    notify = values["contact.notify"] or "none"
    errors: dict[str, str] = {}
    if notify in ("sms", "email") and values["consent"] != "yes":
        errors["consent"] = page.t(FIELD_MESSAGES["consent"])
    if not values["place"]:
        errors["place"] = page.t(FIELD_MESSAGES["place"])
    body = {"source": values["source"] or "phone", "property_id": property_id, "building_id": building_id,
            "unit": values["unit"], "category": values["category"], "urgency": values["urgency"],
            "description": values["description"], "entry": {"present": True, "windows": []},
            "contact": {k: v for k, v in {"name": values["contact.name"], "phone": values["contact.phone"],
                                          "email": values["contact.email"], "notify": notify}.items() if v}}
    if not errors:
        try:
            view = tickets.create_by_staff(page.who, body)
        except InvalidInput as error:
            errors = _errors(page, error)
        else:
            return page.redirect(f"/console/tickets/{view['id']}?done=logged")
    return _form(page, values, errors, status=422)


def _errors(page: Page, error: InvalidInput) -> dict[str, str]:
    found = {}
    for name, reason in (error.fields or {}).items():
        key = "place" if name in ("property_id", "building_id") else name
        found[key] = page.t(FIELD_MESSAGES[key]) if key in FIELD_MESSAGES else str(reason)
    return found


def _form(page: Page, values: dict, errors: dict | None = None, status: int = 200) -> Response:
    names = page_names(page, set())
    places = [(f"{p['id']}:{b['id']}", f"{p['name']} · {b['name']}")
              for p in register_view.places(page.who.tenant_id) for b in p["buildings"]]
    labels = {"source": page.t("How it came in"), "place": page.t("Building"), "unit": page.t("Unit"),
              "category": page.t("Category"), "urgency": page.t("Urgency"), "description": page.t("Problem"),
              "contact.name": page.t("Resident's name"), "contact.phone": page.t("Phone"),
              "contact.email": page.t("E-mail"), "contact.notify": page.t("Updates to the resident"),
              "consent": page.t("Agreement to be contacted")}
    return page.render("console/intake.html", status, title=page.t("Log a report"), values=values,
                       errors=errors or {}, labels=labels, places=places,
                       sources=[(k, page.t(label)) for k, label in SOURCES],
                       channels=[(k, page.t(label)) for k, label in CHANNELS],
                       category_options=[(c["key"], c["name"]) for c in names["categories"]],
                       urgency_options=[(p["key"], p["name"]) for p in names["priorities"]])
