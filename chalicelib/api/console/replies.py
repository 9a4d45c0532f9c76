"""Admins keep the firm's canned replies (标准话术): per category (or every category) and
step (comment, wait, resolve), in Chinese and English, with placeholders. Staff choose
them in a ticket's forms (api/console/work.py).

Round trips: the page is one BatchGetItem (category names) and one GetItem (the replies);
adding or removing is one GetItem and one conditional PutItem (a colleague's save first
answers 409, keeping the
typed reply).
"""

from __future__ import annotations

import re

from chalice import Blueprint, Response

from ...domain.errors import Conflict, InvalidInput
from ...domain.replies import PLACEHOLDERS
from ..http import lazy
from .session import Page, console_page
from .work import page_names

replies = lazy("chalicelib.services.replies")

bp = Blueprint(__name__)

# English msgids; zh-CN in chalicelib/web/i18n/zh_CN/LC_MESSAGES/console_work.po
STEP_LABELS = {"comment": "Comment", "wait": "Ask the resident and wait", "resolve": "Resolve"}
FIELD_MESSAGES = {"category": "Choose a category, or every category",
                  "step": "Choose the step", "text.zh-CN": "Write the reply in Chinese, using only the placeholders listed",
                  "text.en": "Write the reply in English, using only the placeholders listed"}
FIELDS = ("category", "step", "text.zh-CN", "text.en")


@console_page(bp, "/console/replies", admin=True)
def replies_page(page: Page) -> Response:
    done = {"added": "Reply added.", "removed": "Reply removed."}.get(page.query.get("done", ""))
    return _page(page, notice=page.t(done) if done else "")


@console_page(bp, "/console/replies", ("POST",), admin=True)
def change_replies(page: Page) -> Response:
    version = int(page.value("version")) if page.value("version").isdigit() else 0
    values = {name: page.value(name).strip() for name in FIELDS}
    try:
        if page.value("remove"):
            replies.remove(page.who, page.value("remove"), version)
            return page.redirect("/console/replies?done=removed")
        replies.add(page.who, {"category": values["category"], "step": values["step"],
                               "text": {"zh-CN": values["text.zh-CN"], "en": values["text.en"]}}, version)
    except Conflict:
        return _page(page, status=409, values=values, warning=page.t(
            "A colleague changed the replies first — here they are now; your reply is kept below."), name_saver=True)
    except InvalidInput as error:
        errors = {}
        for name in error.fields or {}:
            field = re.sub(r"^replies\[\d+\]\.", "", name)
            errors[field] = page.t(FIELD_MESSAGES.get(field, "Check this field"))
        return _page(page, status=422, values=values, errors=errors, version=version)
    return page.redirect("/console/replies?done=added")


def _page(page: Page, *, status: int = 200, values: dict | None = None, errors: dict | None = None,
          notice: str = "", warning: str = "", version: int | None = None, name_saver: bool = False) -> Response:
    """``name_saver``: a colleague's save first (409) is said with their name and the time."""
    names = page_names(page, set())
    saved, current, saver = replies.read_with_saver(page.who)
    if name_saver and saver["by"] and saver["at"]:
        from ... import web
        warning = page.t("%(name)s changed the replies first, at %(time)s — here they are now; your reply is kept "
                         "below.") % {"name": saver["by"], "time": web.format_time(
                             saver["at"].isoformat(), page.lang, names["time_zone"])}
    categories = [("*", page.t("Every category"))] + [(c["key"], c["name"]) for c in names["categories"]]
    category_name = dict(categories)
    rows = [{"key": r["key"], "category": category_name.get(r["category"], r["category"]),
             "step": page.t(STEP_LABELS.get(r["step"], "Comment")), "zh": r["text"]["zh-CN"], "en": r["text"]["en"]}
            for r in saved]
    labels = {"category": page.t("Category"), "step": page.t("Step"), "text.zh-CN": page.t("Reply in Chinese"),
              "text.en": page.t("Reply in English")}
    return page.render("console/replies.html", status, title=page.t("Standard replies"), rows=rows,
                       version=current if version is None else version, values=values or {"category": "*",
                                                                                           "step": "resolve"},
                       errors=errors or {}, labels=labels, notice=notice, warning=warning,
                       categories=categories, steps=[(k, page.t(v)) for k, v in STEP_LABELS.items()],
                       placeholders=["{" + p + "}" for p in PLACEHOLDERS])
