"""Escalation storage: watch items in the sparse ``work`` index, step marks, the outbox.

Exactly once: a step fires in one transaction that creates its mark, its outbox entries
and its timeline event, each only if absent. Two sweeps, a repeated EventBridge event or a
Lambda retry race for the same mark; one transaction wins, the others write nothing. When
transactions conflict DynamoDB may cancel all of them, so a conflict is retried and then
settled by reading the mark back: never assumed to mean "someone else fired it".
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.escalation import Step
from ..domain.tickets import Event, Ticket
from .models import Item, MarkItem, OutboxItem, WatchItem, tenant_pk
from .items import cancel_reasons, connection, event_item, iso_utc, plain, plain_list, shard_of, ticket_sk


def watch_sk(ticket_id: str) -> str:
    return f"{ticket_sk(ticket_id)}#WATCH"


def watch_item(tenant_id: str, ticket: Ticket, steps: list[Step], recipients: dict, info: dict) -> WatchItem:
    """The ticket's watch, in the work index at its earliest step (absent from it when none)."""
    item = WatchItem(tenant_pk(tenant_id), watch_sk(ticket.id), tenant_id=tenant_id, ticket_id=ticket.id,
                     steps=[s.as_dict() for s in steps], recipients=recipients, info=info)
    if steps:
        item.work_pk = f"SLA#{shard_of(ticket.id)}"
        item.work_sk = f"{iso_utc(steps[0].at)}#{tenant_id}#{ticket.id}"
    return item


@dataclass(frozen=True)
class Watch:
    tenant_id: str
    ticket_id: str
    steps: list[Step]
    recipients: dict
    info: dict
    work_sk: str


def _watch(item: WatchItem) -> Watch:
    return Watch(item.tenant_id, item.ticket_id, [Step.from_dict(d) for d in plain_list(item.steps)],
                 plain(item.recipients), plain(item.info), item.work_sk or "")


def _due(prefix: str, shard: int, now: datetime) -> Iterator[Item]:
    """Everything in one shard of the work index whose time has come: a key-range Query."""
    return Item.work.query(f"{prefix}#{shard}", Item.work_sk <= f"{iso_utc(now)}#~")


def due_watches(shard: int, now: datetime) -> Iterator[Watch]:
    for item in _due("SLA", shard, now):
        if isinstance(item, WatchItem):
            yield _watch(item)


FIRED, ALREADY, NOT_FIRED = "fired", "already", "not_fired"
CONFLICT_RETRIES = (0.05, 0.1, 0.2)  # seconds to wait before each retry after a transaction conflict


def mark_sk(ticket_id: str, step_key: str) -> str:
    return f"{ticket_sk(ticket_id)}#ESC#{step_key}"


def fire(watch: Watch, step: Step, outbox: list["OutboxEntry"], event: Event, now: datetime,
         sleep: Callable[[float], None] = time.sleep) -> str:
    """Record one step with its notifications and timeline event, exactly once.

    FIRED: this call wrote it. ALREADY: its mark was there (another sweep fired it).
    NOT_FIRED: it kept meeting a competing transaction (DynamoDB cancels *both* sides of a
    conflict, so neither may have written) and, read back afterwards, no mark is stored: the
    step has not happened, and the caller leaves it for the next sweep."""
    for pause in (*CONFLICT_RETRIES, None):
        try:
            _write_step(watch, step, outbox, event, now)
            return FIRED
        except TransactWriteError as error:
            reasons = cancel_reasons(error)
            if "ConditionalCheckFailed" in reasons:
                return ALREADY
            if "TransactionConflict" not in reasons:
                raise
        if pause is not None:
            sleep(pause)
    return ALREADY if mark_stored(watch.tenant_id, watch.ticket_id, step.key) else NOT_FIRED


def _write_step(watch: Watch, step: Step, outbox: list["OutboxEntry"], event: Event, now: datetime) -> None:
    pk = tenant_pk(watch.tenant_id)
    with TransactWrite(connection=connection()) as tx:
        tx.save(MarkItem(pk, mark_sk(watch.ticket_id, step.key), step=step.key, at=now),
                condition=MarkItem.pk.does_not_exist())
        for entry in outbox:
            tx.save(entry.item(now), condition=OutboxItem.pk.does_not_exist())
        tx.save(event_item(watch.tenant_id, watch.ticket_id, event), condition=Item.pk.does_not_exist())


def mark_stored(tenant_id: str, ticket_id: str, step_key: str) -> bool:
    """Whether the step's mark is stored (a strongly consistent read of one item)."""
    try:
        MarkItem.get(tenant_pk(tenant_id), mark_sk(ticket_id, step_key), consistent_read=True)
    except MarkItem.DoesNotExist:
        return False
    return True


def advance(watch: Watch, remaining: list[Step]) -> None:
    """Move the watch to its next step (or out of the index) unless someone rewrote it since."""
    item = WatchItem(tenant_pk(watch.tenant_id), watch_sk(watch.ticket_id))
    actions = [WatchItem.steps.set([s.as_dict() for s in remaining])]
    if remaining:
        actions.append(WatchItem.work_sk.set(f"{iso_utc(remaining[0].at)}#{watch.tenant_id}#{watch.ticket_id}"))
    else:
        actions += [WatchItem.work_pk.remove(), WatchItem.work_sk.remove()]
    try:
        item.update(actions=actions, condition=WatchItem.work_sk == watch.work_sk)
    except UpdateError:
        pass  # a ticket event rewrote the watch: its plan is newer than ours


# --- outbox ------------------------------------------------------------------------------

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class OutboxEntry:
    tenant_id: str
    ticket_id: str | None
    step: str | None
    channel: dict
    kind: str
    locale: str
    data: dict

    @property
    def outbox_id(self) -> str:
        """The same step to the same recipient always has the same id: it is written once."""
        who = self.channel.get("to") or self.channel.get("url") or ""
        raw = f"{self.tenant_id}|{self.ticket_id}|{self.step}|{self.channel.get('channel')}|{who}"
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    def item(self, now: datetime) -> OutboxItem:
        oid = self.outbox_id
        return OutboxItem(tenant_pk(self.tenant_id), f"OUTBOX#{oid}", outbox_id=oid, tenant_id=self.tenant_id,
                          ticket_id=self.ticket_id, step=self.step, channel=self.channel, message_kind=self.kind,
                          locale=self.locale, data=self.data, status="pending", attempts=0, created_at=now,
                          updated_at=now, work_pk=f"OUT#{shard_of(oid)}", work_sk=f"{iso_utc(now)}#{self.tenant_id}#{oid}")


@dataclass(frozen=True)
class Delivery:
    tenant_id: str
    outbox_id: str
    channel: dict
    kind: str
    locale: str
    data: dict
    attempts: int
    work_sk: str
    rev: int | None = None  # a resident's message: the revision read (steps join while it is held)


def due_deliveries(shard: int, now: datetime) -> Iterator[Delivery]:
    for item in _due("OUT", shard, now):
        if isinstance(item, OutboxItem):
            data = plain(item.data)
            if item.notice_steps is not None:
                data["steps"] = plain_list(item.notice_steps)
            yield Delivery(item.tenant_id, item.outbox_id, plain(item.channel), item.message_kind, item.locale,
                           data, int(item.attempts or 0), item.work_sk or "",
                           int(item.rev) if item.rev is not None else None)


def _outbox(d: Delivery) -> OutboxItem:
    return OutboxItem(tenant_pk(d.tenant_id), f"OUTBOX#{d.outbox_id}")


def claim(d: Delivery, now: datetime) -> bool:
    """Take a delivery for one attempt. The lease moves it out of reach of other workers
    until it runs out (then a crashed attempt is retried)."""
    lease_sk = f"{iso_utc(now + LEASE)}#{d.tenant_id}#{d.outbox_id}"
    try:
        _outbox(d).update(actions=[OutboxItem.status.set("sending"), OutboxItem.attempts.set(d.attempts + 1),
                                   OutboxItem.work_sk.set(lease_sk), OutboxItem.updated_at.set(now)],
                          condition=(OutboxItem.work_sk == d.work_sk) if d.rev is None
                          else (OutboxItem.work_sk == d.work_sk) & (OutboxItem.rev == d.rev))
    except UpdateError:
        return False
    return True


def delivered(d: Delivery, now: datetime, usage: dict[str, int] | None = None) -> None:
    actions = [OutboxItem.status.set("sent"), OutboxItem.work_pk.remove(), OutboxItem.work_sk.remove(),
               OutboxItem.updated_at.set(now), OutboxItem.last_error.remove()]
    if "link" in d.data and d.kind == "survey_invite":  # a resident's survey link is theirs alone once sent
        actions.append(OutboxItem.data.set({k: v for k, v in d.data.items() if k != "link"}))
    if d.kind == "resident_update":  # so are a resident's message links, and staff's words to them
        actions += [OutboxItem.data.set({k: v for k, v in d.data.items() if k in ("ticket", "channel")}),
                    OutboxItem.notice_steps.set([{"kind": s.get("kind"), "at": s.get("at")}
                                                 for s in d.data.get("steps") or []])]
    if not usage:
        _outbox(d).update(actions=actions)
        return
    from . import metering  # the usage counters ride the same write: one TransactWriteItems, no extra trip
    with TransactWrite(connection=connection()) as tx:
        tx.update(_outbox(d), actions=actions)
        metering.add_to(d.tenant_id, tx, now, usage)


def held(d: Delivery, now: datetime, reason: str) -> None:
    """Not sent, on purpose (the month's SMS allowance is used up): kept as ``held`` with why,
    out of the work index, and counted as held, in one transaction."""
    from . import metering
    with TransactWrite(connection=connection()) as tx:
        tx.update(_outbox(d), actions=[OutboxItem.status.set("held"), OutboxItem.work_pk.remove(),
                                       OutboxItem.work_sk.remove(), OutboxItem.updated_at.set(now),
                                       OutboxItem.last_error.set(reason[:500])])
        metering.add_to(d.tenant_id, tx, now, {"sms_held": 1})


def retry_later(d: Delivery, now: datetime, at: datetime, error: str) -> None:
    _outbox(d).update(actions=[OutboxItem.status.set("pending"), OutboxItem.updated_at.set(now),
                               OutboxItem.work_sk.set(f"{iso_utc(at)}#{d.tenant_id}#{d.outbox_id}"),
                               OutboxItem.last_error.set(error[:500])])


def failed(d: Delivery, now: datetime, error: str) -> None:
    _outbox(d).update(actions=[OutboxItem.status.set("failed"), OutboxItem.work_pk.remove(),
                               OutboxItem.work_sk.remove(), OutboxItem.updated_at.set(now),
                               OutboxItem.last_error.set(error[:500])])


def notifications(tenant_id: str, status: str | None = None, limit: int = 100) -> list[dict]:
    """A tenant's notifications (newest activity first is not kept by key: sorted here)."""
    condition = (OutboxItem.status == status) if status else None
    found = [{"id": i.outbox_id, "ticket_id": i.ticket_id, "step": i.step, "channel": i.channel.as_dict()
              if hasattr(i.channel, "as_dict") else plain(i.channel), "kind": i.message_kind, "status": i.status,
              "attempts": int(i.attempts or 0), "last_error": i.last_error,
              "updated_at": i.updated_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")}
             for i in OutboxItem.query(tenant_pk(tenant_id), OutboxItem.sk.startswith("OUTBOX#"),
                                       filter_condition=condition, limit=limit)]
    for entry in found:
        entry["channel"] = {k: v for k, v in entry["channel"].items() if k != "secret"}
    return sorted(found, key=lambda e: e["updated_at"], reverse=True)
