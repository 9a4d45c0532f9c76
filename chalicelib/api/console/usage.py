"""The console's usage page (admins): what the firm used this month and last, and its plan's
limits with what is in use. Every number comes from ``services/metering.usage`` (three round
trips: the firm and its counters, its staff, its properties); this module only lays it out."""

from __future__ import annotations

from chalice import Blueprint, Response

from ..http import lazy
from .session import Page, console_page

service = lazy("chalicelib.services.metering")
rules = lazy("chalicelib.domain.metering")

bp = Blueprint(__name__)

# English msgids; zh-CN in console_usage.po
PLAN_NAMES = {"free": "Free", "standard": "Standard"}
COUNTER_NAMES = {"reports": "Reports received", "staff_events": "Staff actions on tickets",
                 "msg_email": "E-mails sent", "msg_sms": "Text messages sent",
                 "msg_webhook": "Bot and webhook messages sent", "sms_segments": "Text message parts billed",
                 "sms_held": "Text messages held at the plan's limit", "photos": "Photos added",
                 "photo_bytes": "Photo storage added", "api_requests": "API requests (approximate)"}
LIMIT_NAMES = {"staff_seats": "Staff seats", "properties": "Properties",
               "sms_per_month": "Text messages this month", "photo_bytes": "Photo storage"}
BYTES = frozenset({"photo_bytes"})


def _number(page: Page, name: str, value: int) -> str:
    if name in BYTES:
        return page.t("%(mb)s MB") % {"mb": f"{value / 2 ** 20:,.1f}"}
    return f"{value:,}"


def _month(key: str) -> str:
    return key[1:]  # M2026-12 -> 2026-12


@console_page(bp, "/console/usage", admin=True)
def usage_page(page: Page) -> Response:
    answer = service.usage(page.who)
    this, last = answer["this_month"], answer["last_month"]
    rows = [{"id": name, "name": page.t(COUNTER_NAMES[name]),
             "this": _number(page, name, this["counters"][name]), "last": _number(page, name, last["counters"][name])}
            for name in rules.COUNTERS]
    limits = [{"id": name, "name": page.t(LIMIT_NAMES[name]) if name != "properties" else page.t("Properties"),
               "limit": _number(page, name, entry["limit"]), "used": _number(page, name, entry["used"]),
               "reached": entry["reached"]} for name, entry in answer["limits"].items()]
    return page.render("console/usage.html", title=page.t("Usage and plan"),
                       plan=page.t(PLAN_NAMES.get(answer["plan"], "Standard")), rows=rows, limits=limits,
                       this_month=_month(this["month"]), last_month=_month(last["month"]))
