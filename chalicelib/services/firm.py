"""A firm reads its own profile and its standards document."""

from __future__ import annotations

from ..domain.identity import Identity
from ..store import tenants as store


def describe(who: Identity) -> dict:
    t = store.get_tenant(who.tenant_id)
    return {"id": t.tenant_id, "name": t.name, "slug": t.slug, "locale": t.locale, "time_zone": t.time_zone,
            "template": t.template, "role": who.role}


def standards(who: Identity) -> dict:
    document, version = store.get_standards(who.tenant_id)
    return {"version": version, "standards": document}
