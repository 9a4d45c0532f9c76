"""Who did what among a firm's admins: every admin route that changes something is recorded
by the route helper (api/http.py) after it answered; admins read the log here."""

from __future__ import annotations

from datetime import datetime, timezone

from ..domain.audit import QUERY, network_of
from ..domain.identity import Identity
from ..store import audit as store


def record(who: Identity, action: str, target: dict, status: int, source_ip: str) -> None:
    store.record(who.tenant_id, at=datetime.now(timezone.utc), actor_sub=who.sub, actor_name=who.name,
                 action=action, target=target, status=status, network=network_of(source_ip))


def entries(who: Identity, params: dict) -> dict:
    who.require_admin()
    query = QUERY.parse_body(params)
    return {"entries": store.entries(who.tenant_id, action=query.get("action"), limit=query.get("limit") or 100)}
