"""A firm's deletion: asked by an admin (who types the firm's short name), carried out by the
firm-data job when the grace period (14 days) has passed, cancellable until then.

Carrying it out removes, in this order (each step can be repeated; a run that stops for time
starts again from the top, and what is gone stays gone):

1. every person of the firm's staff list from the identity provider (Cognito, or our own
   accounts in the cn profile), while the list is still there to say who they are;
2. every S3 object under the firm's prefixes (photos, downloads, exports, unconfirmed uploads)
   and any unfinished multipart upload;
3. every item under the firm's partitions (tickets and their timelines, the register, staff,
   standards and their history, surveys, campaigns, scores, reviews, the audit log, the
   outbox...) with the index entries they carry, and the firm's items outside them (the
   slug's public profile, residents' short links);
4. the verifier counts what is left (items, objects, people) and the slug goes into
   quarantine (90 days) with those counts; the request itself goes last.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from ..adapters import identity
from ..adapters import photo_storage as bucket
from ..domain import firm_data as rules
from ..domain.identity import Identity
from ..observability import logger
from ..store import firm_data as store
from ..store import tenants as tenant_store
from ..store.models import DeletionItem, QuarantineItem, UserItem
from . import access

BATCH = 1000  # objects per listing and deletion, items per page


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def view(item: DeletionItem | None) -> dict:
    if item is None:
        return {"deletion": None}
    return {"deletion": {"requested_at": item.requested_at.isoformat(), "due_at": item.due_at.isoformat(),
                         "requested_by": item.requested_by}}


def status(who: Identity) -> dict:
    who.require_admin()
    return view(store.deletion(who.tenant_id))


def request(who: Identity, body: object, now: datetime | None = None) -> dict:
    """Ask for the firm's deletion; ``body`` must carry the firm's slug, typed exactly."""
    who.require_admin()
    slug = tenant_store.get_tenant(who.tenant_id).slug
    rules.confirm_slug(body, slug)
    at = _now(now)
    return view(store.request_deletion(who.tenant_id, slug, who.sub, at, rules.due_at(at)))


def cancel(who: Identity, now: datetime | None = None) -> dict:
    """Withdraw the request while its grace period runs (nothing to withdraw: ``cancelled`` false)."""
    who.require_admin()
    return {"cancelled": store.cancel_deletion(who.tenant_id, _now(now)), **view(store.deletion(who.tenant_id))}


# --- the job ---------------------------------------------------------------------------------

def _staff(tenant_id: str) -> list[UserItem]:
    return list(UserItem.query(store.partitions(tenant_id)[0], UserItem.sk.startswith("USER#")))


def _objects_left(tenant_id: str) -> int:
    return sum(len(bucket.list_keys(prefix, limit=BATCH)) for prefix in bucket.firm_prefixes(tenant_id))


def verify(tenant_id: str, slug: str, emails: list[str]) -> dict:
    """What is left of a deleted firm: items (its partitions, queue index entries, its slug's
    profile), objects under its prefixes (up to 1,000 a prefix), and people among ``emails``
    still known to the identity provider."""
    return {"items": store.count_left(tenant_id, slug), "objects": _objects_left(tenant_id),
            "people": sum(1 for e in emails if identity.person_exists(e))}


def execute(item: DeletionItem, now: datetime, should_stop: Callable[[], bool]) -> dict | None:
    """Delete the firm; the verifier's counts, or None if the run's time ran out first (the
    request is due again at once)."""
    tenant_id, slug = item.tenant_id, item.slug
    staff = _staff(tenant_id)
    emails = [person.email for person in staff]
    for person in staff:
        identity.delete_user(person.email)
        access.forget(tenant_id, person.sub)  # every process's cache forgets within a minute (access.py)
    for prefix in bucket.firm_prefixes(tenant_id):
        bucket.abort_uploads(prefix)
        while keys := bucket.list_keys(prefix, limit=BATCH):
            bucket.delete_keys(keys)
            if should_stop():
                return _again(item, now)
    own = (item.pk, item.sk)
    for partition in store.partitions(tenant_id):
        while True:
            raws, more, _ = store.page(partition, None)
            keys = [(r["pk"]["S"], r["sk"]["S"]) for r in raws if (r["pk"]["S"], r["sk"]["S"]) != own]
            store.delete_raw(store.outside_keys(raws) + keys)
            if not more:
                break
            if should_stop():
                return _again(item, now)
    leftover = verify(tenant_id, slug, emails)
    leftover["items"] -= 1  # the request itself, removed next
    store.quarantine(slug, tenant_id, now, rules.released_at(now), leftover)
    item.delete()
    logger.info("firm deleted", extra={"deleted_tenant": tenant_id, "leftover": leftover})
    return leftover


def _again(item: DeletionItem, now: datetime) -> None:
    store.claim(item, now)
    return None


def release(item: QuarantineItem) -> None:
    """The quarantine is over: the slug may be signed up for again."""
    item.delete(condition=QuarantineItem.work_sk == item.work_sk)
