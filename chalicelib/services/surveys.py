"""The after-resolution survey: sending the invitation, showing the form, recording answers.

Two ways in, one answer per ticket:
- the invitation's link ``/s/{token}`` (sent by SMS / e-mail a set time after the resolve,
  at most once per resident per 30 days; valid 28 days from sending);
- the tracking page ``/t/{token}``, which offers the same questions once the report is
  resolved (for 28 days after the resolution).
An answer is written with the ticket's version guard and its score counters in one
transaction; a second answer (either link, a double tap, a retry) finds it already there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ..domain import follow_ups
from ..domain import surveys as rules
from ..domain import tokens
from ..domain.errors import Conflict, NotFound, TransitionRefused
from ..domain.escalation import Step
from ..domain.standards import survey_settings
from ..domain.tickets import Actor, Event, Ticket
from ..settings import settings
from ..store import escalations as escalation_store
from ..store import follow_ups as follow_up_store
from ..store import surveys as store
from ..store import tickets as ticket_store

SYSTEM = Actor("system", "", "PropDesk")


def survey_url(token: str) -> str:
    return f"{settings().public_base_url}/s/{token}"


# --- sending (from the minute sweep) -----------------------------------------------------

def send_invitation(watch: escalation_store.Watch, step: Step, now: datetime) -> str:
    """Fire a ticket's survey step: a fresh link (only its digest is kept) to each of the
    resident's channels, unless this resident was asked in the last 30 days."""
    recipients = watch.recipients.get("survey") or []
    if not recipients:
        return "done"
    issued = tokens.issue(watch.tenant_id, watch.ticket_id)
    data = {"ticket": str(watch.info.get("number", "")), "category": watch.info.get("category", ""),
            "firm": watch.info.get("firm", ""), "time_zone": watch.info.get("time_zone", "UTC"),
            "link": survey_url(issued.token)}
    outbox = [escalation_store.OutboxEntry(watch.tenant_id, watch.ticket_id, step.key, recipient, "survey_invite",
                                           watch.info.get("locale", "en"), data)
              for recipient in recipients]
    event = Event(id=tokens.new_id(), type="survey_sent", at=now, actor=SYSTEM, public=False,
                  data={"notified": len(outbox)})
    contact = {("phone" if r["channel"] == "sms" else "email"): r["to"] for r in recipients}
    return store.send(watch, step, outbox, event, issued.digest, contact, now, rules.ASK_AT_MOST_EVERY)


# --- the form ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Form:
    """What a survey page needs: the state (open / answered / expired / not_open), the
    questions, and the ticket's non-personal facts."""
    state: str
    questions: rules.Questions
    ticket: Ticket
    firm: dict
    until: datetime | None


def _state(ticket: Ticket, until: datetime | None, now: datetime) -> str:
    if ticket.survey:
        return "answered"
    if rules.open_until(ticket) is None or until is None:
        return "not_open"
    return "expired" if now > until else "open"


def _by_link(token: str) -> tuple[tokens.CapabilityToken, store.SurveyContext, datetime | None]:
    capability = tokens.read(token)
    if capability is None:
        raise NotFound("No such survey link.")
    found = store.context(capability.tenant_id, capability.subject_id)
    if found.invitation is None or not tokens.matches(capability, found.invitation.digest):
        raise NotFound("No such survey link.")
    return capability, found, found.invitation.sent_at + rules.ANSWER_WITHIN


def form_by_link(token: str, now: datetime | None = None) -> Form:
    """The invitation's page (one BatchGetItem). NotFound for a link that never was."""
    now = now or datetime.now(timezone.utc)
    _, found, until = _by_link(token)
    return Form(_state(found.ticket, until, now), rules.Questions.from_settings(survey_settings(found.standards)),
                found.ticket, found.firm, until)


# --- answers -----------------------------------------------------------------------------

def answer_by_link(token: str, body: object, now: datetime | None = None) -> Form:
    """Record an answer sent from the invitation's link. Round trips: one BatchGetItem and
    one transaction (ticket + timeline event + watch + score counters)."""
    now = now or datetime.now(timezone.utc)
    capability, found, until = _by_link(token)
    return _record(capability.tenant_id, found, body, now, "link", until)


def answer_by_tracking(token: str, body: object, now: datetime | None = None) -> Form:
    """Record an answer sent from the tracking page."""
    now = now or datetime.now(timezone.utc)
    capability = tokens.read(token)
    if capability is None:
        raise NotFound("No such tracking link.")
    found = store.context(capability.tenant_id, capability.subject_id)
    if not tokens.matches(capability, found.ticket.tracking_digest):
        raise NotFound("No such tracking link.")
    return _record(capability.tenant_id, found, body, now, "tracking_page", rules.open_until(found.ticket))


def _record(tenant_id: str, found: store.SurveyContext, body: object, now: datetime, via: str,
            until: datetime | None) -> Form:
    from .tickets import watch_after
    settings_ = survey_settings(found.standards)
    questions = rules.Questions.from_settings(settings_)
    for attempt in range(2):  # a staff change landing in between: read again, once
        ticket = found.ticket
        state = _state(ticket, until, now)
        if state != "open":
            raise TransitionRefused(REFUSALS[state][0], {"survey": REFUSALS[state][1]})
        answer = rules.parse_answer(body if isinstance(body, dict) else {}, questions)
        after, event = rules.record(ticket, answer, questions, now, tokens.new_id(), via, until)
        after = follow_ups.opened(after, now, follow_ups.working_days_setting(settings_))  # a low answer: call back
        watch = watch_after(after, found)
        call = follow_up_store.entry(tenant_id, after)
        try:
            ticket_store.record_event(tenant_id, ticket, after, event, watch=watch, also=(call,) if call else ())
            return Form("answered", questions, after, found.firm, until)
        except Conflict:
            if attempt:
                raise
            found = store.context(tenant_id, ticket.id)  # answered meanwhile: refused above
    raise AssertionError("unreachable")


REFUSALS = {"answered": ("This survey has already been answered. Thank you!", "already answered"),
            "expired": ("This survey link has expired.", "expired"),
            "not_open": ("This report is not waiting for your feedback.", "not open")}


__all__ = ["send_invitation", "form_by_link", "answer_by_link", "answer_by_tracking", "Form"]
