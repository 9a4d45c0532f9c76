"""The follow-up call (回访) a low survey answer asks for.

Pure rules, no AWS. A resident who rates the service 2 or less of 5, or says it was not
fixed the first time, is owed a call: the answer opens a follow-up task on the ticket with
its own promise, ``working_days`` working days of the ticket's business calendar after the
answer (the firm's ``survey.follow_up_days``, default 2). Logging a follow-up call closes
it, on time or late against that promise.

The task lives in the ticket's kept survey answer (``Ticket.survey["call"]``)::

    {"due": "<ISO UTC>", "done_at": "<ISO UTC>" | None, "on_time": bool | None}

so it travels with the answer; the queue finds open tasks through their own index entry
(``store/follow_ups.py``).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from .tickets import Ticket

DEFAULT_WORKING_DAYS = 2
LOW_RATING = 2  # this or less of 5 asks for a call


def needs_call(answer: dict | None) -> bool:
    """A rating of 2 or less, or "not fixed the first time" (None: not asked or not answered)."""
    if not answer:
        return False
    rating = answer.get("rating")
    return (isinstance(rating, int) and rating <= LOW_RATING) or answer.get("fixed_first_visit") is False


def call_due(ticket: Ticket, answered_at: datetime, working_days: int) -> datetime:
    """When the call is promised: ``working_days`` working days after the answer, in the
    calendar the ticket was promised under (always-open calendars count whole days)."""
    from .calendar import add_working_days
    from .standards import calendar_for
    return add_working_days(calendar_for(ticket.calendar or {}, answered_at.year), answered_at, working_days)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def opened(ticket: Ticket, answered_at: datetime, working_days: int = DEFAULT_WORKING_DAYS) -> Ticket:
    """The ticket whose survey answer (already kept) asks for a call, with the task open.
    An answer that does not ask for one leaves the ticket as it is."""
    if not needs_call(ticket.survey):
        return ticket
    call = {"due": _iso(call_due(ticket, answered_at, working_days)), "done_at": None, "on_time": None}
    return dataclasses.replace(ticket, survey={**ticket.survey, "call": call})


def open_call(ticket: Ticket) -> dict | None:
    """The follow-up task still waiting for its call, if any."""
    call = (ticket.survey or {}).get("call")
    return call if call and not call.get("done_at") else None


def closed(ticket: Ticket, called_at: datetime) -> Ticket:
    """The ticket after a follow-up call was logged: an open task is done, judged against its due."""
    call = open_call(ticket)
    if call is None:
        return ticket
    done = {**call, "done_at": _iso(called_at), "on_time": called_at <= _parse(call["due"])}
    return dataclasses.replace(ticket, survey={**ticket.survey, "call": done})


def working_days_setting(survey_settings: dict) -> int:
    """The firm's ``survey.follow_up_days`` (validated by the standards), else the default."""
    days = survey_settings.get("follow_up_days")
    return days if isinstance(days, int) and not isinstance(days, bool) and days >= 0 else DEFAULT_WORKING_DAYS


__all__ = ["needs_call", "call_due", "opened", "open_call", "closed", "working_days_setting",
           "DEFAULT_WORKING_DAYS", "LOW_RATING"]
