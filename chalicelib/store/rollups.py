"""Rollup storage: each firm's nightly finalisation slot and the frozen period reviews.

    TENANT#<tid>          ROLLUP              the firm's slot; in GSI ``work`` as ROLL#<shard> at its next run
    TENANT#<tid>#SCORES   REPORT#<period>     a finalised period's review (written once)

A job finds the firms due with one key-range Query per shard of the sparse ``work`` index
(no Scan; a firm costs one read a night). Finalising writes the review, the slug's public
scorecard and the slot's next run in one transaction; the review only if absent, so a
repeated run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from .items import shard_of
from .models import Item, ReportItem, RollupItem, SlugItem, tenant_pk
from .scores import scores_pk
from .items import cancel_reasons, connection, iso_utc, plain

ROLLUP_SK = "ROLLUP"


def report_sk(period: str) -> str:
    return f"REPORT#{period}"


def slot_item(tenant_id: str, slug: str, time_zone: str, next_at: datetime, before: dict[str, str]) -> RollupItem:
    """A new firm's slot (written with the firm, in create_tenant's transaction). ``before``
    are the month and quarter that ended before the firm joined: counted as done, so its
    first review and scorecard are of a period it was there for, never an empty one."""
    return RollupItem(tenant_pk(tenant_id), ROLLUP_SK, tenant_id=tenant_id, slug=slug, time_zone=time_zone,
                      finalised=before, work_pk=f"ROLL#{shard_of(tenant_id)}",
                      work_sk=f"{iso_utc(next_at)}#{tenant_id}")


@dataclass(frozen=True)
class Slot:
    tenant_id: str
    slug: str
    time_zone: str
    finalised: dict
    work_sk: str


def due_slots(shard: int, now: datetime) -> Iterator[Slot]:
    for item in Item.work.query(f"ROLL#{shard}", Item.work_sk <= f"{iso_utc(now)}#~"):
        if isinstance(item, RollupItem):
            yield Slot(item.tenant_id, item.slug, item.time_zone, plain(item.finalised), item.work_sk or "")


def finalise(slot: Slot, reports: dict[str, dict], scorecard: dict | None, finalised: dict, next_at: datetime,
             now: datetime) -> bool:
    """Freeze the periods' reviews, publish the scorecard data on the slug, move the slot
    to its next run. False if another run got there first (nothing written)."""
    try:
        with TransactWrite(connection=connection()) as tx:
            for period, report in reports.items():
                tx.save(ReportItem(scores_pk(slot.tenant_id), report_sk(period), period=period, report=report,
                                   finalised_at=now), condition=ReportItem.pk.does_not_exist())
            if scorecard is not None:
                tx.update(SlugItem(f"SLUG#{slot.slug}", "PUBLIC"), actions=[SlugItem.scorecard.set(scorecard)],
                          condition=SlugItem.tenant_id == slot.tenant_id)
            tx.update(RollupItem(tenant_pk(slot.tenant_id), ROLLUP_SK), actions=[
                RollupItem.finalised.set(finalised),
                RollupItem.work_sk.set(f"{iso_utc(next_at)}#{slot.tenant_id}")],
                condition=RollupItem.work_sk == slot.work_sk)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancel_reasons(error) or "TransactionConflict" in cancel_reasons(error):
            return False
        raise
    return True


def report(tenant_id: str, period: str) -> dict | None:
    """A finalised review (one GetItem), or None if that period is not finalised."""
    from pynamodb.exceptions import DoesNotExist
    try:
        return plain(ReportItem.get(scores_pk(tenant_id), report_sk(period)).report)
    except DoesNotExist:
        return None
