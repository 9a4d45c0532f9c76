"""The firm-data job (every minute): exports to continue, deletions whose grace period is
over, slug quarantines to lift. It finds them in the ``work`` index (``FIRM#<shard>``, one
key-range Query a shard, no Scan), takes each with a conditional write (overlapping runs never
work on the same job) and stops starting work when the Lambda's time is nearly up; a job
left unfinished is checkpointed and due again at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from ..store import firm_data as store
from ..store import schema
from ..store.models import DeletionItem, ExportItem, QuarantineItem
from . import firm_delete, firm_export

LEASE = timedelta(minutes=15)  # a job taken by a run that died is taken again after this (Lambda's limit)
MARGIN_SECONDS = 30.0  # a run stops starting steps when less time than this is left (firm_data: 900 s),
MARGIN_SHARE = 0.25  # or than this share of the time it started with, if that is less (a short run)


@dataclass
class JobsReport:
    exports_finished: int = 0
    exports_paused: int = 0
    firms_deleted: int = 0
    slugs_released: int = 0


def run(now: datetime, seconds_left: Callable[[], float]) -> JobsReport:
    report = JobsReport()
    margin = min(MARGIN_SECONDS, seconds_left() * MARGIN_SHARE)

    def should_stop() -> bool:
        return seconds_left() < margin

    for shard in range(schema.WORK_SHARDS):
        for item in store.due(shard, now):
            if should_stop():
                return report
            if not store.claim(item, now + LEASE):
                continue
            if isinstance(item, ExportItem):
                if firm_export.run(item, now, should_stop):
                    report.exports_finished += 1
                else:
                    report.exports_paused += 1
            elif isinstance(item, DeletionItem):
                report.firms_deleted += firm_delete.execute(item, now, should_stop) is not None
            elif isinstance(item, QuarantineItem):
                firm_delete.release(item)
                report.slugs_released += 1
    return report
