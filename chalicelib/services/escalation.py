"""The scheduled jobs of the SLA engine: escalate what is due, deliver the outbox.

Both take "now" from the EventBridge event's time, so a retried or late event does
the same work as the original would have, and tests travel in time without clocks.
Reads are key-range queries on the sparse work index: a sweep reads what is due and
nothing else; a firm with nothing due costs nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from ..domain import escalation as chain
from ..domain.tickets import Actor, Event
from ..domain.tokens import new_id
from ..observability import logger, metrics
from ..store import escalations as store
from ..store import schema

SYSTEM = Actor("system", "", "PropDesk")


@dataclass
class SweepReport:
    watches_read: int = 0
    steps_fired: int = 0
    steps_already_done: int = 0
    steps_not_fired: int = 0  # met competing transactions and is not stored: left for the next sweep
    notifications_queued: int = 0
    surveys_sent: int = 0
    erased: int = 0  # retention steps done (domain/retention.py)
    fired: list[str] = field(default_factory=list)
    oldest_due: datetime | None = None  # the earliest time of a step found due: the sweep's lag

    def lag_seconds(self, now: datetime) -> float:
        """How long the oldest due step had waited when the sweep found it (0: nothing due)."""
        return max(0.0, (now - self.oldest_due).total_seconds()) if self.oldest_due else 0.0


def sweep(now: datetime) -> SweepReport:
    """Fire every escalation step whose time has come, once."""
    report = SweepReport()
    for shard in range(schema.WORK_SHARDS):
        for watch in store.due_watches(shard, now):
            report.watches_read += 1
            due = [s for s in watch.steps if s.at <= now]
            if due:
                first = min(s.at for s in due)
                report.oldest_due = first if report.oldest_due is None else min(report.oldest_due, first)
            unfired: set[str] = set()
            for step in due:
                if step.promise == "survey":  # the after-resolution survey rides the same sweep
                    from .surveys import send_invitation
                    for pause in (*store.CONFLICT_RETRIES, None):
                        outcome = send_invitation(watch, step, now)
                        if outcome != "conflict" or pause is None:
                            break
                        time.sleep(pause)
                    if outcome == "conflict":  # not stored: the next sweep sends it
                        report.steps_not_fired += 1
                        unfired.add(step.key)
                        continue
                    report.steps_fired += outcome != "done"
                    report.steps_already_done += outcome == "done"
                    report.surveys_sent += outcome == "sent"
                    continue
                if step.promise == "retention":  # a closed ticket's personal data, erased when due
                    from .retention import CONFLICT, ERASED, apply
                    outcome = apply(watch, step, now)
                    if outcome == CONFLICT:
                        report.steps_not_fired += 1
                        unfired.add(step.key)
                    report.steps_fired += outcome == ERASED
                    report.erased += outcome == ERASED
                    continue
                who = watch.recipients.get("visit" if step.promise == "visit" else step.kind, [])
                outbox = [store.OutboxEntry(watch.tenant_id, watch.ticket_id, step.key, recipient,
                                            _message_kind(step), watch.info.get("locale", "en"),
                                            _message_data(watch, step))
                          for recipient in who]
                data = {"step": step.kind, "promise": step.promise, "due": chain._iso(step.due),
                        "notified": len(outbox)}
                milestone = chain.milestone_key(step.promise)
                if milestone:  # the timeline says the milestone by its names
                    data["name"] = (watch.info.get("milestones") or {}).get(milestone) or {}
                event = Event(id=new_id(), type="reminded" if step.promise == "visit" else "escalated", at=now,
                              actor=SYSTEM, public=False, data=data)
                outcome = store.fire(watch, step, outbox, event, now)
                if outcome == store.FIRED:
                    report.steps_fired += 1
                    report.notifications_queued += len(outbox)
                    report.fired.append(f"{watch.ticket_id}:{step.key}")
                    metrics.count(f"Escalation_{step.kind}")
                elif outcome == store.ALREADY:
                    report.steps_already_done += 1
                else:  # not stored after retries: keep the step so the next sweep fires it
                    report.steps_not_fired += 1
                    unfired.add(step.key)
            store.advance(watch, [s for s in watch.steps if s.at > now or s.key in unfired])
    logger.info("sweep done", extra={"watches_read": report.watches_read, "fired": report.steps_fired,
                                     "already_done": report.steps_already_done,
                                     "not_fired": report.steps_not_fired})
    return report


def _message_kind(step: chain.Step) -> str:
    return {"warn": "sla_warning", "level1": "sla_breach_level1", "level2": "sla_breach_level2",
            "remind24h": "visit_reminder", "remind1h": "visit_reminder"}[step.kind]


def _message_data(watch: store.Watch, step: chain.Step) -> dict:
    info = watch.info
    data = {"ticket": str(info.get("number", "")), "category": info.get("category", ""), "unit": info.get("unit", ""),
            "promise": step.promise, "due": chain._iso(step.due), "time_zone": info.get("time_zone", "UTC"),
            "firm": info.get("firm", "")}
    if step.promise == "visit":
        data["visit_at"] = data.pop("due")
        data.pop("promise")
    milestone = chain.milestone_key(step.promise)
    if milestone:
        data["promise"] = "milestone"
        data["milestone_name"] = (info.get("milestones") or {}).get(milestone) or {"en": milestone, "zh-CN": milestone}
    return data


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    held: int = 0  # SMS past the plan's month (services/metering.SmsGate)


def deliver(now: datetime, send: Callable | None = None) -> DeliveryReport:
    """Send what the outbox holds and is due: retried with backoff, failed after
    MAX_ATTEMPTS (and then listed for admins), never dropped."""
    from ..domain.messages import render
    if send is None:
        from ..adapters.channels import send
    from .metering import SmsGate
    from ..domain import metering as usage_rules
    from ..domain.sms import sms_segments
    gate = SmsGate()
    report = DeliveryReport()
    for shard in range(schema.WORK_SHARDS):
        for delivery in store.due_deliveries(shard, now):
            if not store.claim(delivery, now):
                report.skipped += 1
                continue
            data = dict(delivery.data)
            if delivery.kind == "resident_update" and not _anything_to_tell(data):
                store.delivered(delivery, now)  # e.g. a visit booked and cancelled within the hold
                report.skipped += 1
                continue
            if isinstance(data.get("due"), str):
                data["due"] = datetime.fromisoformat(data["due"].replace("Z", "+00:00"))
            channel = str(delivery.channel.get("channel") or "")
            if channel == "sms" and not gate.allows(delivery.tenant_id, delivery.kind, now):
                store.held(delivery, now, "held: the plan's SMS for this month are used up")
                report.held += 1
                continue
            try:
                message = render(delivery.kind, delivery.locale, data)
                outcome = send(delivery.channel, message, idempotency_key=delivery.outbox_id)
            except ValueError as exc:  # a recipient or message that can never be sent
                store.failed(delivery, now, f"not sendable: {exc}")
                report.failed += 1
                metrics.count("NotificationFailed")
                continue
            attempt = delivery.attempts + 1
            if outcome.ok:
                store.delivered(delivery, now, usage_rules.delivered(
                    channel, sms_segments(message.text) if channel == "sms" else 0))
                report.sent += 1
            elif outcome.retryable and attempt < store.MAX_ATTEMPTS:
                store.retry_later(delivery, now, now + chain.backoff(attempt), outcome.detail)
                report.retried += 1
            else:
                store.failed(delivery, now, outcome.detail)
                report.failed += 1
                metrics.count("NotificationFailed")
    return report


def _anything_to_tell(data: dict) -> bool:
    from ..domain.notices import merge
    return bool(merge(list(data.get("steps") or [])))
