"""A firm's usage counters (domain/metering.py says what each counts).

    TENANT#<tid>   USAGE#<month>           u_reports, u_staff_events, u_msg_sms, ... (ADD only)
    TENANT#<tid>   USAGE#TOTAL             u_photo_bytes: photos stored, all months (less those erased)
    TENANT#<tid>   USAGE_ALERT#<month>#<limit>   the admins were told (written once)

Writers queue one UpdateItem on the transaction that records what they count (a ticket, its
event, a photo), as the rate-limit and score counters do: no round trip of its own, and a
change refused by its transaction's guard counts nothing.

API requests are the approximate counter: each warm Lambda keeps a per-firm tally of the
Bearer-token API calls it answered (``note_request``; console pages are not counted) and hands
it to the firm's next metering write in that process (a ticket, an event, a photo, a delivery),
which ADDs it in the same UpdateItem; a tally that reaches ``FLUSH_EVERY`` first is written by
one UpdateItem of its own (at most one call per FLUSH_EVERY requests of a firm). A transaction
that fails gives its tally back (``give_back``). A Lambda that is recycled loses what it had not
handed on (fewer than FLUSH_EVERY per firm and instance): the count is a floor, never more than
what happened.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from pynamodb.expressions.operand import Path

from ..domain import metering as rules
from .items import connection
from .models import UsageItem, tenant_pk

PREFIX = "u_"
TOTAL = "TOTAL"
FLUSH_EVERY = 100

_pending: dict[str, int] = {}
_carried: dict[str, int] = {}  # what the firm's last add_to took, until its transaction is known to stand
_lock = threading.Lock()


def usage_sk(month: str) -> str:
    return f"USAGE#{month}"


def _take_pending(tenant_id: str) -> int:
    with _lock:
        return _pending.pop(tenant_id, 0)


def _actions(counts: dict[str, int]) -> list:
    actions = [Path([PREFIX + name]).add({"N": str(n)}) for name, n in sorted(counts.items()) if n]
    if actions:
        actions.append(Path(["kind"]).set({"S": "usage"}))
    return actions


def add_to(tenant_id: str, tx, at: datetime, counts: dict[str, int]) -> int:
    """Queue the month's ADD (and the stored-photo total's) on ``tx``, with the API requests
    this instance counted for the firm. Returns how many items it queued. Call it last: its
    updates come after every other item of the transaction."""
    counts = {k: v for k, v in counts.items() if v}
    requests = _take_pending(tenant_id)
    with _lock:
        _carried[tenant_id] = requests
    if requests:
        counts["api_requests"] = counts.get("api_requests", 0) + requests
    if not counts:
        return 0
    pk = tenant_pk(tenant_id)
    tx.update(UsageItem(pk, usage_sk(rules.month_of(at))), actions=_actions(counts))
    if counts.get("photo_bytes"):
        tx.update(UsageItem(pk, usage_sk(TOTAL)), actions=_actions({"photo_bytes": counts["photo_bytes"]}))
        return 2
    return 1


def free_photo_bytes(tenant_id: str, tx, freed: int) -> None:
    """Photos erased (retention): the stored total goes down by their bytes, on ``tx``."""
    if freed > 0:
        tx.update(UsageItem(tenant_pk(tenant_id), usage_sk(TOTAL)), actions=_actions({"photo_bytes": -freed}))


def give_back(tenant_id: str) -> None:
    """The transaction that carried the firm's request tally failed: keep the tally for the next."""
    with _lock:
        carried = _carried.pop(tenant_id, 0)
        if carried:
            _pending[tenant_id] = _pending.get(tenant_id, 0) + carried


def add(tenant_id: str, at: datetime, counts: dict[str, int]) -> None:
    """One UpdateItem on its own (for a write that is a single UpdateItem itself)."""
    actions = _actions({k: v for k, v in counts.items() if v})
    if actions:
        UsageItem(tenant_pk(tenant_id), usage_sk(rules.month_of(at))).update(actions=actions)


def note_request(tenant_id: str, now: datetime) -> bool:
    """Count one API request of the firm in memory; write the tally when it is full. True
    when written."""
    with _lock:
        _pending[tenant_id] = _pending.get(tenant_id, 0) + 1
        due = _pending[tenant_id] >= FLUSH_EVERY
    if not due:
        return False
    requests = _take_pending(tenant_id)
    if requests:
        add(tenant_id, now, {"api_requests": requests})
    return True


@dataclass(frozen=True)
class Usage:
    """A firm's plan (with its name and locale) and its counters, read together."""
    plan: str | None
    firm: str
    locale: str
    months: dict[str, dict[str, int]]
    total: dict[str, int]
    exists: bool = True  # False: no such firm (its record was not there)


def read(tenant_id: str, month_keys: list[str]) -> Usage:
    """The firm's record (its plan) and the counters of each month asked for and of all
    months: one BatchGetItem, read raw (the counters are attributes the model does not list)."""
    from ..settings import settings
    pk = tenant_pk(tenant_id)
    table = settings().table
    request = {table: {"Keys": [{"pk": {"S": pk}, "sk": {"S": sk}}
                                for sk in ["META", *(usage_sk(m) for m in [*month_keys, TOTAL])]],
                       "ConsistentRead": True}}
    found: dict[str, dict[str, int]] = {m: {} for m in month_keys}
    total: dict[str, int] = {}
    meta: dict = {}
    client = connection().client
    while request:
        answer = client.batch_get_item(RequestItems=request)
        for item in answer.get("Responses", {}).get(table, []):
            sk = item["sk"]["S"]
            if sk == "META":
                meta = item
                continue
            month = sk[len("USAGE#"):]
            if month == TOTAL:
                total = _counters(item)
            elif month in found:
                found[month] = _counters(item)
        request = answer.get("UnprocessedKeys") or {}
    return Usage(plan=(meta.get("plan") or {}).get("S"), firm=(meta.get("name") or {}).get("S", ""),
                 locale=(meta.get("locale") or {}).get("S", "en"), months=found, total=total, exists=bool(meta))


def alert_once(tenant_id: str, month: str, limit: str, now: datetime, outbox: list) -> bool:
    """Mark that the admins were told of ``limit`` this month and queue their e-mails, in one
    transaction that writes nothing when the mark exists. True when this call told them."""
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite
    from .models import OutboxItem, UsageAlertItem
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(UsageAlertItem(tenant_pk(tenant_id), f"USAGE_ALERT#{month}#{limit}", at=now,
                                   expires_at=int(now.timestamp()) + 400 * 86400),
                    condition=UsageAlertItem.pk.does_not_exist())
            for entry in outbox:
                tx.save(entry.item(now), condition=OutboxItem.pk.does_not_exist())
    except TransactWriteError:
        return False
    return True


def _counters(raw: dict) -> dict[str, int]:
    return {name[len(PREFIX):]: int(value["N"]) for name, value in raw.items()
            if name.startswith(PREFIX) and "N" in value}


def set_plan(tenant_id: str, plan: str) -> None:
    """Put the firm on ``plan`` (an operator's action: domain/metering.PLANS names them)."""
    from .models import TenantItem
    if plan not in rules.PLANS:
        raise ValueError(f"unknown plan {plan!r}; expected one of {', '.join(rules.PLANS)}")
    TenantItem(tenant_pk(tenant_id), "META").update(actions=[TenantItem.plan.set(plan)],
                                                    condition=TenantItem.pk.exists())


def month_raw(tenant_id: str, month: str) -> dict[str, int]:
    """One month's counters (one BatchGetItem)."""
    return read(tenant_id, [month]).months[month]
