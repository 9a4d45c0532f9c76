"""Canned replies (标准话术): admins keep them, staff choose one in the comment, wait and
resolve forms of a ticket, with its placeholders filled in (domain/replies.py)."""

from __future__ import annotations

from ..domain import replies as rules
from ..domain.identity import Identity
from ..store import replies as store
from ..store import tenants as tenant_store


def read(who: Identity) -> tuple[list[dict], int]:
    """The firm's replies and their version (one GetItem)."""
    return store.get(who.tenant_id)


def read_with_saver(who: Identity) -> tuple[list[dict], int, dict]:
    """The same GetItem, with who saved the list last and when ({"by", "at"}; Nones if unknown)."""
    return store.get_with_saver(who.tenant_id)


def _categories(tenant_id: str) -> list[str]:
    document, _ = tenant_store.get_standards(tenant_id)
    return [c["key"] for c in document.get("categories") or []]


def add(who: Identity, reply: dict, version: int) -> int:
    """Add one reply (admins). Refused beside its fields; a colleague's save first is a Conflict."""
    who.require_admin()
    current, _ = store.get(who.tenant_id)
    keys = {r["key"] for r in current}
    key = next(f"r{n}" for n in range(1, len(current) + 2) if f"r{n}" not in keys)
    checked = rules.check(current + [{**reply, "key": key}], _categories(who.tenant_id))
    return store.save(who.tenant_id, checked, version, by_name=who.actor.name)


def remove(who: Identity, key: str, version: int) -> int:
    who.require_admin()
    current, _ = store.get(who.tenant_id)
    return store.save(who.tenant_id, [r for r in current if r["key"] != key], version, by_name=who.actor.name)


__all__ = ["read", "add", "remove"]
