"""A firm's data as a whole: read page by page, written back, deleted, counted; and the jobs
that do it (exports, deletion requests, slug quarantines).

    TENANT#<tid>   EXPORT#<id>     an export's progress; in ``work`` as FIRM#<shard> while it has work left
    TENANT#<tid>   FIRM_DELETE     the deletion request; in ``work`` at its due time
    SLUG#<slug>    QUARANTINE      a deleted firm's slug; in ``work`` at its release

Everything a firm owns is under its partitions (``schema.TENANT_PARTITIONS``), read by key
Query, never Scan, as raw items (score counters are attributes no model lists). Two kinds of
item live outside them and are found from the firm's own items: the slug's public profile
(from the tenant item) and residents' short links (from each ticket's ``notice``). Index
entries are projections of these items: they come and go with them.

Items leave the table as plain JSON values (``to_plain``) and come back unchanged (``from_plain``).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Iterator

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from ..domain.errors import Conflict, NotFound
from ..settings import settings
from . import schema
from .items import connection, iso_utc, shard_of
from .models import DeletionItem, ExportItem, Item, QuarantineItem, tenant_pk
from .notices import link_pk
from .tenants import slug_pk

PAGE_ITEMS = 1000  # items per Query page (DynamoDB stops at 1 MB before that when items are large)
DELETION_SK = "FIRM_DELETE"
QUARANTINE_SK = "QUARANTINE"


def partitions(tenant_id: str) -> list[str]:
    return [tenant_pk(tenant_id) + suffix for suffix in schema.TENANT_PARTITIONS]


# --- items as plain JSON values ---------------------------------------------------------------

def to_plain(value: dict):
    """A DynamoDB attribute value → a JSON value (sets and bytes tagged, e.g. ``{"$SS": [...]}``)."""
    (kind, inner), = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        return float(inner) if any(c in inner for c in ".eE") else int(inner)
    if kind in ("BOOL", "NULL"):
        return None if kind == "NULL" else inner
    if kind == "M":
        return {k: to_plain(v) for k, v in inner.items()}
    if kind == "L":
        return [to_plain(v) for v in inner]
    if kind == "B":
        return {"$B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"$BS": [base64.b64encode(b).decode() for b in inner]}
    return {f"${kind}": list(inner)}  # SS, NS


def from_plain(value) -> dict:
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": repr(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, list):
        return {"L": [from_plain(v) for v in value]}
    if len(value) == 1 and next(iter(value)) in ("$B", "$BS", "$SS", "$NS"):
        (tag, inner), = value.items()
        if tag == "$B":
            return {"B": base64.b64decode(inner)}
        if tag == "$BS":
            return {"BS": [base64.b64decode(b) for b in inner]}
        return {tag[1:]: inner}
    return {"M": {k: from_plain(v) for k, v in value.items()}}


def plain_item(raw: dict) -> dict:
    return {name: to_plain(value) for name, value in raw.items()}


def raw_item(item: dict) -> dict:
    return {name: from_plain(value) for name, value in item.items()}


# --- reading and writing a firm's items ------------------------------------------------------

def page(partition: str, start: dict | None, *, count_only: bool = False) -> tuple[list[dict], dict | None, int]:
    """One Query page of a partition, in key order: (raw items, where the next page starts or
    None, how many). ``start`` is the previous page's answer."""
    args: dict = {"TableName": settings().table, "KeyConditionExpression": "pk = :pk",
                  "ExpressionAttributeValues": {":pk": {"S": partition}}, "Limit": PAGE_ITEMS,
                  "ConsistentRead": True}
    if start:
        args["ExclusiveStartKey"] = start
    if count_only:
        args["Select"] = "COUNT"
    answer = connection().client.query(**args)
    return answer.get("Items", []), answer.get("LastEvaluatedKey"), int(answer.get("Count", 0))


def outside_keys(raws: list[dict]) -> list[tuple[str, str]]:
    """The keys of the firm's items outside its partitions that these items point to: the
    slug's profile (from the tenant item) and residents' short links (from tickets)."""
    keys = []
    for raw in raws:
        kind = raw.get("kind", {}).get("S")
        if kind == "tenant" and "slug" in raw:
            keys.append((slug_pk(raw["slug"]["S"]), "PUBLIC"))
        elif kind == "ticket":
            short = raw.get("notice", {}).get("M", {}).get("link", {}).get("S")
            if short:
                keys.append((link_pk(short), "LINK"))
    return keys


def get_raw(keys: list[tuple[str, str]]) -> list[dict]:
    """These items as stored (BatchGetItem, 100 keys a request), in the order asked."""
    table, client = settings().table, connection().client
    found: dict[tuple[str, str], dict] = {}
    pending = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
    while pending:
        request, pending = {table: {"Keys": pending[:100], "ConsistentRead": True}}, pending[100:]
        while request:
            answer = client.batch_get_item(RequestItems=request)
            for raw in answer.get("Responses", {}).get(table, []):
                found[(raw["pk"]["S"], raw["sk"]["S"])] = raw
            request = answer.get("UnprocessedKeys") or {}
    return [found[k] for k in dict.fromkeys(keys) if k in found]


def _batch_write(requests: list[dict]) -> None:
    table, client = settings().table, connection().client
    for start in range(0, len(requests), 25):
        request = {table: requests[start:start + 25]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def put_raw(raws: list[dict]) -> None:
    """Write items exactly as given (an import into an empty table)."""
    _batch_write([{"PutRequest": {"Item": raw}} for raw in raws])


def delete_raw(keys: list[tuple[str, str]]) -> None:
    _batch_write([{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}} for pk, sk in dict.fromkeys(keys)])


def count_left(tenant_id: str, slug: str) -> int:
    """Items of the firm still stored: its partitions, the queue index's entries under its
    keys and its slug's profile (COUNT queries; a deleted firm costs one page each)."""
    left = 0
    for partition in partitions(tenant_id):
        start = None
        while True:
            _, start, n = page(partition, start, count_only=True)
            left += n
            if not start:
                break
    client = connection().client
    for group in ("open", "done", "calls"):
        left += int(client.query(TableName=settings().table, IndexName=schema.QUEUE_INDEX, Select="COUNT",
                                 KeyConditionExpression="queue_pk = :k",
                                 ExpressionAttributeValues={":k": {"S": f"{tenant_pk(tenant_id)}#QUEUE#{group}"}})
                    .get("Count", 0))
    return left + len(get_raw([(slug_pk(slug), "PUBLIC")]))


# --- jobs: exports, the deletion request, slug quarantines ----------------------------------

def _work(tenant_id: str, at: datetime, job: str) -> dict:
    return {"work_pk": f"FIRM#{shard_of(tenant_id)}", "work_sk": f"{iso_utc(at)}#{tenant_id}#{job}"}


def due(shard: int, now: datetime) -> Iterator[Item]:
    """Jobs due by ``now`` in one shard of the ``work`` index (one key-range Query)."""
    yield from Item.work.query(f"FIRM#{shard}", Item.work_sk <= f"{iso_utc(now)}#~")


def claim(item: Item, until: datetime) -> bool:
    """Take a due job until ``until`` (moved out of reach of overlapping runs); False if another
    run took it first. A run that dies leaves it to be taken again then."""
    tenant_id, job = item.work_sk.split("#", 2)[1:]  # type: ignore[union-attr]
    try:
        item.update(actions=[Item.work_sk.set(_work(tenant_id, until, job)["work_sk"])],
                    condition=Item.work_sk == item.work_sk)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def export_sk(export_id: str) -> str:
    return f"EXPORT#{export_id}"


def create_export(tenant_id: str, export_id: str, requested_by: str, now: datetime) -> ExportItem:
    item = ExportItem(tenant_pk(tenant_id), export_sk(export_id), export_id=export_id, tenant_id=tenant_id,
                      status="queued", requested_by=requested_by, created_at=now,
                      **_work(tenant_id, now, f"export#{export_id}"))
    item.save(condition=ExportItem.pk.does_not_exist())
    return item


def get_export(tenant_id: str, export_id: str) -> ExportItem:
    try:
        return ExportItem.get(tenant_pk(tenant_id), export_sk(export_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such export.", {"export_id": "does not exist"}) from None


def exports(tenant_id: str, limit: int = 20) -> list[ExportItem]:
    """The newest exports first (ids are time-ordered)."""
    return list(ExportItem.query(tenant_pk(tenant_id), ExportItem.sk.startswith("EXPORT#"), scan_index_forward=False,
                                 limit=limit))


def save_progress(item: ExportItem, *, phase: str, items: int, photos: int, next_run: datetime | None,
                  key: str | None = None, size: int | None = None, now: datetime | None = None) -> None:
    """An export's progress; ``next_run`` None: finished (out of the work index)."""
    actions = [ExportItem.phase.set(phase), ExportItem.items.set(items), ExportItem.photos.set(photos)]
    if next_run is None:
        actions += [ExportItem.status.set("done"), ExportItem.key.set(key), ExportItem.size.set(size),
                    ExportItem.finished_at.set(now), ExportItem.work_pk.remove(), ExportItem.work_sk.remove()]
    else:
        actions += [ExportItem.status.set("running"),
                    ExportItem.work_sk.set(_work(item.tenant_id, next_run, f"export#{item.export_id}")["work_sk"])]
    item.update(actions=actions)


def request_deletion(tenant_id: str, slug: str, requested_by: str, now: datetime, due_at: datetime) -> DeletionItem:
    item = DeletionItem(tenant_pk(tenant_id), DELETION_SK, tenant_id=tenant_id, slug=slug, requested_by=requested_by,
                        requested_at=now, due_at=due_at, **_work(tenant_id, due_at, "delete"))
    try:
        item.save(condition=DeletionItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("The firm's deletion is already asked for.", {"slug": "deletion already requested"}) from None
        raise
    return item


def deletion(tenant_id: str) -> DeletionItem | None:
    try:
        return DeletionItem.get(tenant_pk(tenant_id), DELETION_SK, consistent_read=True)
    except DoesNotExist:
        return None


def cancel_deletion(tenant_id: str, now: datetime) -> bool:
    """Withdraw the request while it is not yet due (False: there was none, or it is under way)."""
    try:
        DeletionItem(tenant_pk(tenant_id), DELETION_SK).delete(condition=DeletionItem.due_at > now)
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def quarantine(slug: str, tenant_id: str, deleted_at: datetime, release_at: datetime, leftover: dict) -> None:
    """Hold the slug (its profile goes; the quarantine stays until ``release_at``)."""
    QuarantineItem(slug_pk(slug), QUARANTINE_SK, deleted_at=deleted_at, release_at=release_at, leftover=leftover,
                   **_work(tenant_id, release_at, f"release#{slug}")).save()
