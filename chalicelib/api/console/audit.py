"""The audit log in the console (admins only): every admin change through the API or the
console's forms, and every sign-in, newest first, filterable by what was done, in words in
the page's language (never the route), and downloadable as CSV for Excel. One Query, plus
the firm's time zone."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from chalice import Blueprint, Response

from ...domain.audit import ACTION_NAMES, OTHER_SETTING, SETTING_NAMES, action_name, outcome_of
from ..http import lazy
from .session import Page, console_page

audit_store = lazy("chalicelib.store.audit")
scores = lazy("chalicelib.services.scores")

bp = Blueprint(__name__)
PATH = "/console/audit"
SHOWN = 200  # the newest this many; the CSV has the same


def _kinds() -> dict[str, tuple[str, ...]]:
    """Each name an admin can filter by → the recorded actions it covers (API and console alike)."""
    kinds: dict[str, list[str]] = {"Signed in": ["sign-in"]}
    for action, name in ACTION_NAMES.items():
        if action != "sign-in":
            kinds.setdefault(name, []).append(action)
    return {name: tuple(actions) for name, actions in kinds.items()}


def _rows(page: Page) -> tuple[list[dict], str]:
    page.who.require_admin()
    chosen = page.query.get("kind", "")
    kinds = _kinds()
    actions = kinds.get(chosen, ())
    entries = audit_store.entries(page.who.tenant_id, limit=SHOWN, actions=actions)
    zone = ZoneInfo(scores.firm_settings(page.who.tenant_id)["time_zone"])
    rows = [{"at": datetime.fromisoformat(e["at"].replace("Z", "+00:00")).astimezone(zone).strftime("%Y-%m-%d %H:%M"),
             "who": e["actor"]["name"] or page.t("Name not recorded"),
             "what": page.t(action_name(e["action"], e["target"])), "outcome": page.t(outcome_of(e["status"])),
             "network": e["network"], "changes": [_change(page, c) for c in e.get("changes") or []]}
            for e in entries]
    return rows, chosen if actions else ""


def _change(page: Page, change: dict) -> str:
    """One setting's change in words: "Water leak · Urgent · Resolution: 3d → 2d"."""
    setting = str(change.get("setting", ""))
    label = None
    if setting.startswith("standards:") and setting not in SETTING_NAMES:
        from .standards import box_label
        label = box_label(page.t, page.lang, setting.split(":", 1)[1], change.get("names"))
    label = label or page.t(SETTING_NAMES.get(setting, OTHER_SETTING))
    if change.get("hidden"):
        return page.t("%(setting)s: changed") % {"setting": label}
    return page.t("%(setting)s: %(before)s → %(after)s") % {
        "setting": label, "before": _value(page, setting, change.get("before")),
        "after": _value(page, setting, change.get("after"))}


def _value(page: Page, setting: str, value) -> str:
    if setting == "staff.role":
        return page.t({"admin": "Admin", "staff": "Staff"}.get(str(value), "Another role"))
    if setting == "plan":
        from .usage import PLAN_NAMES
        return page.t(PLAN_NAMES.get(str(value), "Another plan"))
    if setting == "staff.active":
        return page.t("Active" if value else "Deactivated")
    if isinstance(value, bool):
        return page.t("Yes" if value else "No")
    if setting.endswith(".channel"):
        from .standards import CHANNEL_LABELS
        return page.t(CHANNEL_LABELS.get(str(value), "Another channel")) if value else page.t("(empty)")
    text = str(value if value is not None else "")
    return text if text else page.t("(empty)")


@console_page(bp, PATH, admin=True)
def audit_page(page: Page) -> Response:
    rows, chosen = _rows(page)
    options = sorted(((name, page.t(name)) for name in _kinds()), key=lambda option: option[1])
    return page.render("console/audit.html", title=page.t("Audit log"), rows=rows, options=options, chosen=chosen,
                       shown=SHOWN)


@console_page(bp, f"{PATH}.csv", admin=True)
def audit_csv(page: Page) -> Response:
    from ..scores import csv_download
    rows, _ = _rows(page)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([page.t("When"), page.t("Who"), page.t("What"), page.t("What changed"), page.t("Outcome"),
                     page.t("Network")])
    for row in rows:
        writer.writerow([row["at"], row["who"], row["what"], "\n".join(row["changes"]), row["outcome"], row["network"]])
    return page.answer(csv_download("audit-log.csv", "\ufeff" + out.getvalue()))
