"""The after-resolution survey: what is asked, how an answer is read, when it may be given.

Pure rules, no AWS. The questions follow the firm's survey settings (``standards.survey``):
always a 1-5 rating and an optional comment; optionally 0-10 "would you recommend us"
(NPS), one short agree/disagree item per SERVQUAL dimension on a 1-5 scale, and "was it
fixed on the first visit?". The answer is kept on the ticket (``Ticket.survey``), so it is
counted in the ticket's slices and a retry or a second link finds it already there.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .errors import InvalidInput, TransitionRefused
from .fields import clean_text, whole_number
from .scores import DIMENSIONS, SurveyResponse
from .tickets import ANSWER_WITHIN, Actor, Event, Ticket, open_until  # noqa: F401 (both part of this module's API)

ASK_AT_MOST_EVERY = timedelta(days=30)  # a resident (by contact) is sent at most one survey in this time
SCALE = (1, 5)
COMMENT_MAX = 2000

# One short statement per SERVQUAL dimension, agreed with on 1 (strongly disagree) to 5
# (strongly agree). English msgids; zh-CN in the pages' catalogue.
SERVQUAL_ITEMS = {
    "tangibles": "Staff came with the right tools and left the place clean",
    "reliability": "The work was done as promised",
    "responsiveness": "Staff responded quickly",
    "assurance": "Staff were competent and I trusted them",
    "empathy": "Staff understood what mattered to me",
}


@dataclass(frozen=True)
class Questions:
    nps: bool
    servqual: bool
    fixed_question: bool
    weights: dict | None

    @classmethod
    def from_settings(cls, survey: dict) -> "Questions":
        return cls(bool(survey.get("nps")), bool(survey.get("servqual")), bool(survey.get("fixed_question", True)),
                   survey.get("weights"))


def parse_answer(form: dict, questions: Questions) -> dict:
    """The resident's answer from a form or JSON body. Raises InvalidInput naming each field."""
    problems: dict[str, str] = {}
    if not isinstance(form, dict):
        raise InvalidInput("The answer must be a form or a JSON object.", {"body": "must be an object"})
    answer: dict[str, Any] = {"rating": whole_number(form.get("rating"), 1, 5, "rating", problems, True)}
    comment = form.get("comment")
    if comment is not None and not isinstance(comment, str):
        problems["comment"] = "must be text"
    elif comment and len(comment) > COMMENT_MAX:
        problems["comment"] = f"must be at most {COMMENT_MAX} characters"
    answer["comment"] = (clean_text(comment, multiline=True).strip() or None) if isinstance(comment, str) else None
    if questions.nps:
        answer["nps"] = whole_number(form.get("nps"), 0, 10, "nps", problems, False)
    if questions.fixed_question:
        fixed = form.get("fixed_first_visit")
        if fixed in (None, ""):
            answer["fixed_first_visit"] = None
        elif isinstance(fixed, bool) or (isinstance(fixed, str) and fixed in ("yes", "no")):  # not 1/0: 1 == True
            answer["fixed_first_visit"] = fixed in ("yes", True)
        else:
            problems["fixed_first_visit"] = "must be yes or no"
    if questions.servqual:
        answer["servqual"] = {}
        for dimension in DIMENSIONS:
            value = whole_number(form.get(f"sq_{dimension}"), *SCALE, f"sq_{dimension}", problems, False)
            if value is not None:
                answer["servqual"][dimension] = {"p": value, "e": None}
    if problems:
        raise InvalidInput("Some answers need attention.", problems)
    return answer


def refused_state(error: TransitionRefused) -> str:
    """What a refused answer means for the page: answered, expired or not_open."""
    return {"already answered": "answered", "expired": "expired"}.get(error.fields.get("survey", ""), "not_open")


def record(ticket: Ticket, answer: dict, questions: Questions, now: datetime, event_id: str,
           via: str, until: datetime | None = None) -> tuple[Ticket, Event]:
    """Keep the answer on the ticket (which counts it) and note it on the timeline. The
    answer also counts as the follow-up (回访) if none was logged yet. ``until``: when the
    link used expires (default: 28 days after the resolution)."""
    if ticket.survey:
        raise TransitionRefused("This survey has already been answered. Thank you!", {"survey": "already answered"})
    if open_until(ticket) is None:
        raise TransitionRefused("This report is not waiting for your feedback.", {"survey": "not open"})
    if now > (until or open_until(ticket)):
        raise TransitionRefused("This survey link has expired.", {"survey": "expired"})
    response = SurveyResponse(at=now, rating=answer["rating"], nps=answer.get("nps"),
                              fixed_first_visit=answer.get("fixed_first_visit"),
                              servqual=answer.get("servqual") or {}, scale=SCALE, weights=questions.weights)
    kept = {"at": now.isoformat().replace("+00:00", "Z"), "rating": response.rating, "nps": response.nps,
            "fixed_first_visit": response.fixed_first_visit, "servqual": response.servqual,
            "scale": list(SCALE), "weights": questions.weights, "via": via}
    after = dataclasses.replace(ticket, survey=kept, followed_up_at=ticket.followed_up_at or now,
                                updated_at=now, version=ticket.version + 1)
    data = {"rating": response.rating, "via": via}
    if answer.get("comment"):
        data["comment"] = answer["comment"]
    event = Event(id=event_id, type="survey_answered", at=now, actor=Actor("resident"), public=False, data=data)
    return after, event


__all__ = ["Questions", "parse_answer", "record", "refused_state", "open_until", "ANSWER_WITHIN",
           "ASK_AT_MOST_EVERY", "SERVQUAL_ITEMS", "SCALE"]
