"""The firm's canned replies (domain/replies.py): one item, saved whole with its version.

    TENANT#<tid>   REPLIES   replies (list), version, updated_by_name, updated_at

Round trips: read = 1 GetItem (or a key in a page's BatchGetItem, ``SK``); save = 1 PutItem
conditional on the version read, so an admin never silently overwrites a colleague's edit.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pynamodb.exceptions import DoesNotExist, PutError

from ..domain.errors import Conflict
from .items import plain_list
from .models import RepliesItem, tenant_pk

SK = "REPLIES"


def from_item(item: RepliesItem | None) -> tuple[list[dict], int]:
    if item is None:
        return [], 0
    return plain_list(item.replies), int(item.version or 0)


def get(tenant_id: str) -> tuple[list[dict], int]:
    replies, version, _ = get_with_saver(tenant_id)
    return replies, version


def get_with_saver(tenant_id: str) -> tuple[list[dict], int, dict]:
    """The replies, their version and who saved them when ({"by": name, "at": datetime}, or
    Nones for a list saved before this was kept)."""
    try:
        item = RepliesItem.get(tenant_pk(tenant_id), SK, consistent_read=True)
    except DoesNotExist:
        return [], 0, {"by": None, "at": None}
    return (*from_item(item), {"by": item.updated_by_name, "at": item.updated_at})


def save(tenant_id: str, replies: list[dict], expected_version: int, *, by_name: str | None = None,
         now: datetime | None = None) -> int:
    """Save the whole list if nobody saved since ``expected_version``; the new version."""
    item = RepliesItem(tenant_pk(tenant_id), SK, replies=replies, version=expected_version + 1,
                       updated_by_name=by_name or None, updated_at=now or datetime.now(timezone.utc))
    condition = RepliesItem.pk.does_not_exist() if expected_version == 0 else \
        (RepliesItem.version == expected_version)
    try:
        item.save(condition=condition)
    except PutError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            raise Conflict("Someone else changed the replies first. Reload them and try again.",
                           {"version": f"version {expected_version} is no longer current"}) from error
        raise
    return expected_version + 1


__all__ = ["get", "get_with_saver", "save", "from_item", "SK"]
