"""The links in residents' messages (``/m/{short}``): open the report, stop or resume messages.

A message carries a 22-character link (domain/tokens.py) that stands for the report's
tracking link. Opening it is a redirect; stopping is a GET that only shows a button (link
scanners and previews follow links) and a POST that records the stop on the timeline.
No script on any page.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from ..domain.errors import NotFound, TransitionRefused
from . import pages
from .http import Call, endpoint, lazy

notice_service = lazy("chalicelib.services.notices")

bp = Blueprint(__name__)
JUMPS = {"": "", "survey": "#survey-section", "not-fixed": "#not-fixed-section"}


def _lang(call: Call, data: dict | None = None) -> str | None:
    chosen = pages._one((data or {}).get("lang")) or call.query.get("lang")
    return chosen if chosen in ("en", "zh-CN") else None


def _open(call: Call, short: str, jump: str) -> Response:
    try:
        capability = notice_service.open_link(short)
    except NotFound:
        return pages.not_found_page(call)
    lang = _lang(call)
    return pages.page(303, "", Location=f"/t/{capability.token}" + (f"?lang={lang}" if lang else "") + JUMPS[jump],
                      **{"Cache-Control": "no-store"})


@endpoint(bp, "/m/{short}", "GET", auth=False, summary="A message's short link: 303 to the report's tracking page",
          tags=["residents"], responses={303: "to the tracking page", 404: "unknown link (a page)"},
          produces=["text/html"])
def open_report(call: Call, short: str) -> Response:
    return _open(call, short, "")


@endpoint(bp, "/m/{short}/survey", "GET", auth=False, summary="A message's link to the survey on the tracking page",
          tags=["residents"], responses={303: "to the tracking page's survey", 404: "unknown link (a page)"},
          produces=["text/html"])
def open_survey(call: Call, short: str) -> Response:
    return _open(call, short, "survey")


@endpoint(bp, "/m/{short}/not-fixed", "GET", auth=False,
          summary="A message's link to say a resolved report is not fixed (on the tracking page)",
          tags=["residents"], responses={303: "to the tracking page's 'not fixed' form", 404: "unknown link (a page)"},
          produces=["text/html"])
def open_not_fixed(call: Call, short: str) -> Response:
    return _open(call, short, "not-fixed")


def _stop_page(call: Call, short: str, state: str, lang: str | None, status: int = 200) -> Response:
    web = pages._web()
    lang = lang or pages.language(call, None)
    title = web.gettext(lang, "Messages about your report")
    return pages.page(status, web.render("message_stop.html", lang, short=short, state=state, title=title,
                                         firm=None, other_lang="en" if lang == "zh-CN" else "zh-CN"),
                      **{"Cache-Control": "no-store"})


@endpoint(bp, "/m/{short}/stop", "GET", auth=False,
          summary="Stop messages about a report: a page with a button (nothing is recorded by a GET)",
          tags=["residents"], responses={200: "the confirm page", 404: "unknown link (a page)"},
          produces=["text/html"])
def stop_confirm(call: Call, short: str) -> Response:
    try:
        notice_service.open_link(short)
    except NotFound:
        return pages.not_found_page(call)
    return _stop_page(call, short, "confirm", _lang(call))


def _set(call: Call, short: str, on: bool) -> Response:
    data = call.form_or_json() if call.body_bytes().strip() else {}
    data = data if isinstance(data, dict) else {}
    lang = _lang(call, data)
    try:
        token, _ = notice_service.set_messages(short, on)
    except NotFound:
        return pages.not_found_page(call, lang)
    except TransitionRefused:
        return _stop_page(call, short, "closed", lang, 409)
    if on or pages._one(data.get("back")) == "track":
        return pages.page(303, "", Location=f"/t/{token}" + (f"?lang={lang}" if lang else "") + "#messages")
    return _stop_page(call, short, "stopped", lang)


@endpoint(bp, "/m/{short}/stop", "POST", auth=False,
          summary="Stop messages about a report (recorded on its timeline, honoured at once)", tags=["residents"],
          content_types=["application/x-www-form-urlencoded", "application/json"],
          responses={200: "stopped (a page)", 303: "back to the tracking page when sent from it",
                     404: "unknown link (a page)"},
          produces=["text/html"])
def stop(call: Call, short: str) -> Response:
    return _set(call, short, False)


@endpoint(bp, "/m/{short}/resume", "POST", auth=False,
          summary="Turn messages about a report back on (from its tracking page)", tags=["residents"],
          content_types=["application/x-www-form-urlencoded", "application/json"],
          responses={303: "back to the tracking page", 404: "unknown link (a page)",
                     409: "the report is closed (a page)"},
          produces=["text/html"])
def resume(call: Call, short: str) -> Response:
    return _set(call, short, True)
