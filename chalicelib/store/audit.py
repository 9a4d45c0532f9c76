"""The audit log: one item per admin action, under the firm's partition, newest first by key.

    TENANT#<tid>   AUDIT#<at ISO UTC>#<id>   who, when, which route, its ids, the answer, from where,
                                             and for a settings change each setting before and after

Nothing else from the request's body is kept (no secrets, no residents' data). TTL removes
entries after two years; there is no route that changes or deletes one.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from ..domain.tokens import new_id
from .items import iso_utc, plain
from .models import AuditItem, tenant_pk

KEPT = timedelta(days=730)
PREFIX = "AUDIT#"


def entry(tenant_id: str, *, at: datetime, actor_sub: str, actor_name: str, action: str, target: dict,
          status: int, network: str, changes: list[dict] | None = None) -> AuditItem:
    """The entry as an item, for a caller that writes it with something else."""
    return AuditItem(tenant_pk(tenant_id), f"{PREFIX}{iso_utc(at)}#{new_id()}", at=at, actor_sub=actor_sub,
                     actor_name=actor_name or None, action=action, target=target, status=status,
                     network=network or None, expires_at=int((at + KEPT).timestamp()),
                     changes=json.dumps(changes, ensure_ascii=False) if changes else None)


def record(tenant_id: str, *, at: datetime, actor_sub: str, actor_name: str, action: str, target: dict,
           status: int, network: str, changes: list[dict] | None = None) -> None:
    entry(tenant_id, at=at, actor_sub=actor_sub, actor_name=actor_name, action=action, target=target,
          status=status, network=network, changes=changes).save()


def entries(tenant_id: str, *, action: str | None = None, limit: int = 100,
            actions: tuple[str, ...] = ()) -> list[dict]:
    """The newest entries first (one Query; ``action`` filters on the route, ``actions`` on any
    of several)."""
    condition = AuditItem.action == action if action else AuditItem.action.is_in(*actions) if actions else None
    items = AuditItem.query(tenant_pk(tenant_id), AuditItem.sk.startswith(PREFIX), filter_condition=condition,
                            scan_index_forward=False, limit=limit)
    return [{"at": iso_utc(i.at), "actor": {"id": i.actor_sub, "name": i.actor_name or ""}, "action": i.action,
             "target": plain(i.target), "status": int(i.status), "network": i.network or "",
             "changes": json.loads(i.changes) if i.changes else []} for i in items]
