"""The console's page of the firm's own data (admins only): export everything and follow the
export's progress, download the finished ZIP (a 24-hour link), ask for the firm's deletion
(typing its short name), or cancel it during the grace period. The same services as
``api/firm_data.py``; each change is recorded in the audit log (as every admin form: session.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chalice import Response

from ...domain.errors import Conflict, InvalidInput
from ..http import lazy
from .session import Page, console_page, field_errors

from chalice import Blueprint

exports = lazy("chalicelib.services.firm_export")
deletion = lazy("chalicelib.services.firm_delete")
scores = lazy("chalicelib.services.scores")

bp = Blueprint(__name__)
PATH = "/console/firm-data"

# English msgids; zh-CN in console_firm_data.po
STATUS = {"queued": "Waiting to start", "running": "In progress", "done": "Ready", "expired": "Expired"}
PHASE = {"items": "Reading the firm's records", "csv": "Writing the spreadsheets", "assemble": "Building the ZIP file",
         "photos": "Adding the photos", "finish": "Finishing", "done": "Done"}
DONE = {"export": "The export has started. This page shows its progress; refresh it to see more.",
        "asked": "The firm's deletion is asked for. You can cancel it until the date shown.",
        "cancelled": "The deletion is cancelled. Nothing was deleted.",
        "none": "There was no deletion to cancel."}
SLUG_MESSAGES = {"slug": "Type the firm's short name exactly as shown"}


def _local(page: Page, iso: str | None) -> str:
    if not iso:
        return ""
    zone = ZoneInfo(scores.firm_settings(page.who.tenant_id)["time_zone"])
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _render(page: Page, status: int = 200, *, slug_error: str = "", typed: str = "") -> Response:
    who = page.who
    listed = exports.listing(who)["exports"]
    rows = [{**e, "status_text": page.t(STATUS.get(e["status"], e["status"])),
             "phase_text": page.t(PHASE.get(e["phase"], e["phase"])), "created": _local(page, e["created_at"]),
             "size_mib": f"{(e['size'] or 0) / 2**20:.1f}"} for e in listed]
    pending = deletion.status(who)["deletion"]
    if pending:
        pending = {**pending, "due": _local(page, pending["due_at"])}
    slug = scores.firm_settings(who.tenant_id)["slug"]
    notice = page.t(DONE[page.query["done"]]) if page.query.get("done") in DONE else ""
    return page.render("console/firm_data.html", status, title=page.t("Your firm's data"), exports=rows,
                       pending=pending, slug=slug, slug_error=slug_error, typed=typed, notice=notice)


@console_page(bp, PATH, admin=True)
def firm_data_page(page: Page) -> Response:
    return _render(page)


@console_page(bp, f"{PATH}/export", ("POST",), admin=True)
def start_export(page: Page) -> Response:
    exports.start(page.who)
    return page.redirect(f"{PATH}?done=export")


@console_page(bp, f"{PATH}/delete", ("POST",), admin=True)
def ask_deletion(page: Page) -> Response:
    typed = page.value("slug")
    try:
        deletion.request(page.who, {"slug": typed})
    except InvalidInput as error:
        return _render(page, 422, slug_error=field_errors(page, error, SLUG_MESSAGES)["slug"], typed=typed)
    except Conflict:
        return page.redirect(f"{PATH}?done=asked")
    return page.redirect(f"{PATH}?done=asked")


@console_page(bp, f"{PATH}/cancel", ("POST",), admin=True)
def cancel_deletion(page: Page) -> Response:
    cancelled = deletion.cancel(page.who)["cancelled"]
    return page.redirect(f"{PATH}?done={'cancelled' if cancelled else 'none'}")
