"""Score counters: one item per (period, slice), in the firm's own score partition.

    pk = TENANT#{tenant}#SCORES      sk = SCORE#{period}#{by}#{value}
    attributes c_{counter} = whole numbers, changed only with ADD

Writers add counter deltas to the transaction that records the change itself (a ticket
event, a survey answer), so a change and its counts land together or not at all, and a
retry refused by that transaction's guard counts nothing. Readers get a whole period's
slices with one Query, or one slice's last N periods with one BatchGetItem. No read ever
touches a ticket.

Counters are top-level attributes (not a map) because ADD creates a missing top-level
number but cannot reach into a map that does not exist yet.
"""

from __future__ import annotations

from typing import Any, Iterable

from pynamodb.expressions.operand import Path

from ..settings import settings
from .models import ScoreItem, tenant_pk
from .items import connection

PREFIX = "c_"
Key = tuple[str, str, str]  # (period, by, value)


def scores_pk(tenant_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#SCORES"


def score_sk(period: str, by: str, value: str) -> str:
    return f"SCORE#{period}#{by}#{value}"


def add_to(tenant_id: str, tx, deltas: dict[Key, dict[str, int]]) -> int:
    """Queue one ADD per touched (period, slice) on the transaction ``tx``. Returns how many
    items it added (callers that read cancellation reasons by position need it)."""
    added = 0
    for (period, by, value), counters in sorted(deltas.items()):
        actions = [Path([PREFIX + name]).add({"N": str(n)}) for name, n in sorted(counters.items()) if n]
        if not actions:
            continue
        actions.append(Path(["kind"]).set({"S": "score"}))
        tx.update(ScoreItem(scores_pk(tenant_id), score_sk(period, by, value)), actions=actions)
        added += 1
    return added


def _counters(item: dict) -> dict[str, int]:
    return {name[len(PREFIX):]: int(value["N"]) for name, value in item.items()
            if name.startswith(PREFIX) and "N" in value}


def _slice(sk: str) -> tuple[str, str, str]:
    _, period, by, value = sk.split("#", 3)
    return period, by, value


def period(tenant_id: str, period_key: str, by: str | None = None) -> dict[tuple[str, str], dict[str, int]]:
    """The slices of one period (only those of ``by`` when given): ``{(by, value): counters}``.
    One Query (more only past 1 MB of counters, far beyond a small firm's slices)."""
    client = connection().client
    prefix = f"SCORE#{period_key}#" + (f"{by}#" if by else "")
    args = {"TableName": settings().table, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
            "ExpressionAttributeValues": {":pk": {"S": scores_pk(tenant_id)}, ":sk": {"S": prefix}}}
    found: dict[tuple[str, str], dict[str, int]] = {}
    while True:
        answer = client.query(**args)
        for item in answer.get("Items", []):
            _, by, value = _slice(item["sk"]["S"])
            found[(by, value)] = _counters(item)
        if "LastEvaluatedKey" not in answer:
            return found
        args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def periods(tenant_id: str, period_keys: Iterable[str], by: str, value: str) -> dict[str, dict[str, int]]:
    """One slice over several periods (a trend): ``{period: counters}``. One BatchGetItem."""
    return periods_and_items(tenant_id, period_keys, by, value, ())[0]


def periods_and_items(tenant_id: str, period_keys: Iterable[str], by: str, value: str,
                      item_keys: Iterable[tuple[str, str]]) -> tuple[dict[str, dict[str, int]], list[Any]]:
    """A trend (one slice over several periods) and a few other items of the firm, such as
    its settings and the names a page shows, in one BatchGetItem (more only past 100 keys).
    ``item_keys`` are (pk, sk) pairs of the tenant's own partition; they come back as models."""
    from .models import Item
    keys = list(dict.fromkeys(period_keys))
    wanted = [{"pk": {"S": scores_pk(tenant_id)}, "sk": {"S": score_sk(p, by, value)}} for p in keys]
    tenant = tenant_pk(tenant_id)
    wanted += [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(item_keys) if pk == tenant]
    client, table = connection().client, settings().table
    found: dict[str, dict[str, int]] = {p: {} for p in keys}
    items: list[Any] = []
    pending = wanted
    while pending:
        request, pending = {table: {"Keys": pending[:100]}}, pending[100:]
        while request:
            answer = client.batch_get_item(RequestItems=request)
            for raw in answer.get("Responses", {}).get(table, []):
                if raw["pk"]["S"] == scores_pk(tenant_id):
                    found[_slice(raw["sk"]["S"])[0]] = _counters(raw)
                else:
                    items.append(Item.from_raw_data(raw))
            request = answer.get("UnprocessedKeys") or {}
    return found, items
