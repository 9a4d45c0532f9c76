"""Survey storage: the invitation sent for a ticket, and when each resident was last asked.

    TENANT#<tid>  SURVEY#<ticket id>           the invitation: digest of the link's token, when sent
    TENANT#<tid>  ASKED#<sha256 of contact>    when this phone / e-mail was last sent a survey

The invitation is written in the same transaction as the escalation-style step mark, the
outbox entries and the timeline event, and only if the resident was not asked in the last
30 days: a repeated sweep writes nothing, and a resident is asked at most once a month.
The answer itself lives on the ticket (``Ticket.survey``), written by ``tickets.record_event``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.escalation import Step
from ..domain.tickets import Event, Ticket
from .escalations import OutboxEntry, Watch
from .models import AskedItem, Item, MarkItem, OutboxItem, StandardsItem, SurveyItem, TenantItem, TicketItem, tenant_pk
from .items import cancel_reasons, connection, event_item, plain, ticket_from_item, ticket_sk

__all__ = ["Invitation", "SurveyContext", "asked_sk", "survey_sk", "send", "context"]


def survey_sk(ticket_id: str) -> str:
    return f"SURVEY#{ticket_id}"


def asked_sk(contact: dict) -> str:
    """One key per way of reaching a resident (phone digits, else lower-cased e-mail)."""
    phone = "".join(ch for ch in str(contact.get("phone") or "") if ch.isdigit())
    who = f"phone:{phone}" if phone else f"email:{str(contact.get('email') or '').strip().lower()}"
    return "ASKED#" + hashlib.sha256(who.encode()).hexdigest()


@dataclass(frozen=True)
class Invitation:
    digest: str
    sent_at: datetime


def send(watch: Watch, step: Step, outbox: list[OutboxEntry], event: Event, digest: str, contact: dict,
         now: datetime, ask_every: timedelta) -> str:
    """Send the survey step once. Returns "sent", "asked_recently" (step marked done, nothing
    sent, noted on the timeline), "done" (an earlier sweep already did it) or "conflict" (a
    competing transaction cancelled this one and no mark is stored: not sent, try again)."""
    pk = tenant_pk(watch.tenant_id)
    mark = MarkItem(pk, f"{ticket_sk(watch.ticket_id)}#ESC#{step.key}", step=step.key, at=now)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(mark, condition=MarkItem.pk.does_not_exist())
            tx.save(SurveyItem(pk, survey_sk(watch.ticket_id), ticket_id=watch.ticket_id, digest=digest, sent_at=now),
                    condition=SurveyItem.pk.does_not_exist())
            for entry in outbox:
                tx.save(entry.item(now), condition=OutboxItem.pk.does_not_exist())
            tx.save(event_item(watch.tenant_id, watch.ticket_id, event), condition=Item.pk.does_not_exist())
            tx.update(AskedItem(pk, asked_sk(contact)), actions=[AskedItem.last_at.set(now)],
                      condition=AskedItem.last_at.does_not_exist() | (AskedItem.last_at <= now - ask_every))
    except TransactWriteError as error:
        # Items in PynamoDB's order: the puts (mark, invitation, outbox..., event), then the
        # update of ASKED#: only that last one failing means "asked in the last 30 days".
        reasons = cancel_reasons(error)
        failed = [i for i, r in enumerate(reasons) if r == "ConditionalCheckFailed"]
        if failed != [len(reasons) - 1]:
            if failed:
                return "done"
            if "TransactionConflict" in reasons:  # both sides may have been cancelled: read the mark
                from .escalations import mark_stored
                return "done" if mark_stored(watch.tenant_id, watch.ticket_id, step.key) else "conflict"
            raise
        skipped = Event(id=event.id, type="survey_not_sent", at=now, actor=event.actor, public=False,
                        data={"reason": "this resident was sent a survey in the last 30 days"})
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(mark, condition=MarkItem.pk.does_not_exist())
                tx.save(event_item(watch.tenant_id, watch.ticket_id, skipped),
                        condition=Item.pk.does_not_exist())
        except TransactWriteError:
            return "done"
        return "asked_recently"
    return "sent"


@dataclass(frozen=True)
class SurveyContext:
    ticket: Ticket
    invitation: Invitation | None
    standards: dict
    firm: dict


def context(tenant_id: str, ticket_id: str) -> SurveyContext:
    """The ticket, its invitation, the standards and the firm: one BatchGetItem."""
    from ..domain.errors import NotFound
    pk = tenant_pk(tenant_id)
    keys = [(pk, ticket_sk(ticket_id)), (pk, survey_sk(ticket_id)), (pk, "STANDARDS"), (pk, "META")]
    head, invitation, standards, firm = None, None, {}, {}
    for item in Item.batch_get(keys, consistent_read=True):
        if isinstance(item, TicketItem):
            head = item
        elif isinstance(item, SurveyItem):
            invitation = Invitation(item.digest, item.sent_at)
        elif isinstance(item, StandardsItem):
            standards = plain(item.document)
        elif isinstance(item, TenantItem):
            firm = {"name": item.name, "locale": item.locale, "time_zone": item.time_zone, "slug": item.slug,
                    "resident_page": plain(item.resident_page)}  # service phones, retention
    if head is None:
        raise NotFound("No such ticket.")
    return SurveyContext(ticket_from_item(tenant_id, head), invitation, standards, firm)
