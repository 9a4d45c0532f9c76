"""Scheduled handlers' edge: read the EventBridge event, call the service, report."""

from __future__ import annotations

from datetime import datetime, timezone


def event_time(event: dict) -> datetime:
    """EventBridge's scheduled time (ISO, UTC): the job's "now"."""
    raw = event.get("time")
    if not raw:
        return datetime.now(timezone.utc)
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def run_sla_sweep(event: dict) -> dict:
    from .observability import metrics, subsegment
    from .services import escalation
    now = event_time(event)
    with subsegment("sweep"):
        swept = escalation.sweep(now)
    # written on every run: its absence (no sweep) alarms as well as its size (infra: SweepLagAlarm)
    metrics.seconds("SweepLagSeconds", swept.lag_seconds(now))
    with subsegment("deliver"):
        delivered = escalation.deliver(now)
    metrics.flush_if_any()
    return {"now": now.isoformat(), "watches_read": swept.watches_read, "steps_fired": swept.steps_fired,
            "already_done": swept.steps_already_done, "sent": delivered.sent, "retried": delivered.retried,
            "failed": delivered.failed}


def run_scores_rollup(event: dict) -> dict:
    from .observability import metrics, subsegment
    from .services import rollups
    now = event_time(event)
    with subsegment("rollup"):
        done = rollups.run(now)
    metrics.flush_if_any()
    return {"now": now.isoformat(), "firms_read": done.firms_read, "finalised": done.periods_finalised}


def run_firm_data(event: dict, seconds_left) -> dict:
    """Exports to continue, deletions due, slug quarantines over; ``seconds_left()`` is the
    Lambda's remaining time (the job checkpoints before it runs out)."""
    from .observability import metrics
    from .services import firm_jobs
    now = event_time(event)
    done = firm_jobs.run(now, seconds_left)
    metrics.flush_if_any()
    return {"now": now.isoformat(), "exports_finished": done.exports_finished, "exports_paused": done.exports_paused,
            "firms_deleted": done.firms_deleted, "slugs_released": done.slugs_released}
