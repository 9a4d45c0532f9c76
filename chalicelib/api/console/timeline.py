"""The ticket's story in words for staff: every timeline event as who did what, to whom and
why, in the page's language, and the resident's voice (their survey answer and the
follow-up call it asks for). Never a code: an event kind this page does not know yet reads
"Other change".

English msgids; zh-CN in chalicelib/web/i18n/zh_CN/LC_MESSAGES/console_work.po.
"""

from __future__ import annotations

from datetime import datetime, timezone

from .session import Page

EVENT_LABELS = {
    "received": "Received", "acknowledged": "Acknowledged", "assigned": "Assigned",
    "waiting": "Asked the resident", "scheduled": "Visit booked", "comment": "Comment", "resolved": "Resolved",
    "reopened": "Reopened", "closed": "Closed", "updated": "Re-classified", "resident_replied": "Resident replied",
    "photo_added": "Photo added", "followed_up": "Follow-up call",
    "messages_stopped": "Resident stopped messages", "messages_resumed": "Resident turned messages back on",
    "visit_cancelled": "Visit cancelled", "survey_sent": "Survey sent to the resident",
    "survey_not_sent": "Survey not sent: this resident was asked in the last 30 days",
    "survey_answered": "Resident answered the survey",
    "retention_contact_erased": "Contact details and entry notes removed under the retention policy",
    "retention_photos_erased": "Photos removed under the retention policy",
    "resident_erased_contact": "Resident erased their contact details and entry notes",
    "resident_downloaded_data": "Resident downloaded their data",
    "merged": "Merged into an incident with other reports of the same fault",
    "unmerged": "Taken out of the incident: its own promises count again",
    "milestone_done": "Milestone done",
    "escalation_requested": "Resident took the complaint to the next stage",
}
# What a staff "milestone" action says was done (domain/standards.MILESTONE_KINDS).
MILESTONE_KINDS = {
    "on_site": "On site", "investigation_done": "Investigation done", "summary_sent": "Written summary sent",
    "safety_work_done": "Safety work done", "made_safe": "Made safe",
    "preventive_work_started": "Preventive work started", "work_done": "Work done",
}
SOURCE_LABELS = {"resident_form": "Resident's form", "phone": "Phone", "walk_in": "Walk-in", "staff": "Entered by staff"}
CLOSE_REASONS = {"resolved": "Resolved", "duplicate": "Duplicate", "withdrawn": "Withdrawn by the resident",
                 "spam": "Spam"}
# An escalation step in words: which level, and what happened to which promise.
ESCALATION_LABELS = {
    "warn": "Warning: the %(promise)s promise is close to its time",
    "level1": "Escalated, level 1: the %(promise)s promise was missed",
    "level2": "Escalated, level 2: the %(promise)s promise is still missed",
}
REMINDER_LABELS = {"remind24h": "Visit reminder sent to the resident (a day before)",
                   "remind1h": "Visit reminder sent to the resident (an hour before)"}

DUE_SOON_SECONDS = 3600  # what falls due within the hour is marked


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


def seconds_to(iso: str | None, now: datetime) -> float | None:
    if not iso:
        return None
    return (datetime.fromisoformat(iso.replace("Z", "+00:00")) - now).total_seconds()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)



def format_time(page: Page, iso: str | None, tz: str) -> str:
    from ... import web
    return web.format_time(iso, page.lang, tz)


def _promise(page: Page, key: str, name: dict | None = None) -> str:
    from ...domain.messages import promise_name
    if key.startswith("milestone."):  # a milestone of the standard, by its own name
        return localised(name, page.lang) or page.t("promised time")
    return promise_name(key, page.lang) or page.t("promised time")


def localised(names: dict | None, lang: str) -> str:
    """A name the firm gave in both languages, in the page's (the other if one is missing)."""
    names = names or {}
    return str(names.get(lang) or names.get("en") or names.get("zh-CN") or "")


def event(page: Page, e: dict, names: dict, tz: str, survey: dict | None = None) -> dict:
    """One timeline entry: label, when, who, a detail line and the text written with it."""
    data, actor = e.get("data") or {}, e.get("actor") or {}
    who = actor.get("name") or {"resident": page.t("Resident"), "system": page.t("PropDesk")}.get(
        actor.get("kind", ""), "")
    kind = e["type"]
    label = page.t(EVENT_LABELS[kind]) if kind in EVENT_LABELS else page.t("Other change")
    detail = ""
    if kind == "received" and data.get("source") and data["source"] in SOURCE_LABELS:
        detail = page.t(SOURCE_LABELS[data["source"]])
    elif kind == "reopened" and data.get("by_resident"):
        label = page.t("Resident said it is not fixed")
    elif kind == "assigned":
        detail = page.t("to %(name)s") % {"name": data.get("assignee_name") or page.t("Someone")}
    elif kind == "scheduled" and data.get("at"):
        detail = format_time(page, data["at"], tz)
    elif kind == "closed":
        reason = data.get("reason", "")
        detail = page.t(CLOSE_REASONS[reason]) if reason in CLOSE_REASONS else ""
    elif kind == "updated":
        before, after = data.get("from") or {}, data.get("to") or {}
        detail = " → ".join(
            f"{names['category'].get(side.get('category'), side.get('category'))} · "
            f"{names['urgency'].get(side.get('urgency'), side.get('urgency'))}" for side in (before, after))
    elif kind == "escalated":
        template = ESCALATION_LABELS.get(data.get("step", ""), "Escalated: the %(promise)s promise")
        label = page.t(template) % {"promise": _promise(page, data.get("promise", ""), data.get("name"))}
        detail = _told(page, data, tz)
    elif kind == "reminded":
        label = page.t(REMINDER_LABELS.get(data.get("step", ""), "Visit reminder sent to the resident"))
    elif kind == "survey_answered":
        detail = " · ".join(answer_words(page, {**(survey or {}), "rating": data.get("rating")}))
    elif kind in ("merged", "unmerged"):
        detail = incident_words(page, data)
    elif kind == "escalation_requested" and data.get("number"):
        detail = page.t("as report #%(number)s") % {"number": data["number"]}
    elif kind == "milestone_done":
        what = page.t(MILESTONE_KINDS[data["kind"]]) if data.get("kind") in MILESTONE_KINDS else ""
        names = " · ".join(localised(n, page.lang) for n in data.get("names") or [])
        detail = " — ".join(part for part in (what, names) if part)
    if kind == "closed":
        text = data.get("note") or ""
    elif kind in ("escalated", "reminded", "survey_sent", "survey_not_sent", "merged", "unmerged"):
        text = ""  # their data are facts for machines, said above in words
    else:
        text = data.get("body") or data.get("question") or data.get("note") or data.get("reason") \
            or data.get("comment") or ""
    return {"label": label, "when": format_time(page, e.get("at"), tz), "who": who, "detail": detail, "text": text,
            "internal": not e.get("public", True)}


def incident_words(page: Page, data: dict) -> str:
    """“Lift in Block 3 is down” · this report leads it | · lead report #12."""
    title = page.t("“%(title)s”") % {"title": data.get("title") or ""}
    if "lead" not in data:  # unmerged
        return title
    lead = page.t("this report leads it: its promises are the incident's") if data.get("lead") else \
        page.t("lead report #%(number)s") % {"number": data.get("lead_number", "")}
    return f"{title} · {lead}"


def _told(page: Page, data: dict, tz: str) -> str:
    due = page.t("due %(time)s") % {"time": format_time(page, data["due"], tz)} if data.get("due") else ""
    n = data.get("notified")
    told = "" if not isinstance(n, int) else page.t("nobody told") if n == 0 else \
        (page.t("%(n)s person told") if n == 1 else page.t("%(n)s people told")) % {"n": n}
    return " · ".join(part for part in (due, told) if part)


def answer_words(page: Page, survey: dict) -> list[str]:
    """The survey answer as short phrases: rated 2 of 5 · would recommend 3 of 10 · not fixed the first time."""
    words = []
    if isinstance(survey.get("rating"), int):
        words.append(page.t("rated %(n)s of 5") % {"n": survey["rating"]})
    if isinstance(survey.get("nps"), int):
        words.append(page.t("would recommend %(n)s of 10") % {"n": survey["nps"]})
    if survey.get("fixed_first_visit") is True:
        words.append(page.t("fixed the first time"))
    elif survey.get("fixed_first_visit") is False:
        words.append(page.t("not fixed the first time"))
    return words


def voice(page: Page, view: dict, tz: str, now: datetime) -> dict | None:
    """The resident's answer for the ticket page (staff only), with the follow-up call it
    asks for: due, overdue, or made (on time or late). None before an answer."""
    survey = view.get("survey")
    if not survey:
        return None
    answered = next((e for e in view.get("timeline") or [] if e["type"] == "survey_answered"), None)
    found = {"rating": survey.get("rating"), "low": isinstance(survey.get("rating"), int) and survey["rating"] <= 2,
             "nps": survey.get("nps"), "fixed": survey.get("fixed_first_visit"),
             "comment": ((answered or {}).get("data") or {}).get("comment") or "",
             "when": format_time(page, survey.get("at"), tz), "call": None}
    call = survey.get("call")
    if call:
        if call.get("done_at"):
            state = page.t("call made in time") if call.get("on_time") else page.t("call made late")
            css = "muted" if call.get("on_time") else "overdue"
        else:
            state, css = time_left(page, seconds_to(call["due"], now))
        found["call"] = {"due": format_time(page, call["due"], tz), "state": state, "class": css,
                         "open": not call.get("done_at")}
    return found


__all__ = ["event", "voice", "answer_words", "time_left", "span_words", "seconds_to", "now_utc", "format_time", "EVENT_LABELS", "SOURCE_LABELS", "CLOSE_REASONS"]
