"""A firm leaving with its data, and being deleted: the rules, no AWS.

Export: every item under the firm's partitions, one JSON Lines file per kind, named from the
item's own ``kind`` attribute (``items/ticket.jsonl``, ``items/event.jsonl``, ...), so a kind
added tomorrow is exported without a change here. What is never exported: the export and
delete jobs themselves, and the short-lived security records (one-time codes, rate-limit
windows, idempotency claims, which hold a tracking link). Attributes that hold a secret
(password hashes, refresh tokens, TOTP keys, one-time code hashes) are dropped from any item.

Delete: asked by an admin who types the firm's short name, carried out after a grace period
(cancellable until then); the short name is then held in quarantine before another firm
may take it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from .errors import InvalidInput
from .fields import Shape, Text

NOT_EXPORTED = frozenset({"firm_export", "firm_delete", "contact_code", "counter", "rate", "idempotency"})
SECRET_ATTRIBUTES = frozenset({"password_hash", "totp_secret", "totp_pending", "code_hash", "challenge_hash",
                               "current_hash", "refresh_token", "salt"})
GRACE = timedelta(days=14)  # between the request and the deletion; cancellable
QUARANTINE = timedelta(days=90)  # a deleted firm's short name is not given to another firm before
LINK_VALID = timedelta(hours=24)  # the finished export's download link
# A finished export holds every resident's contact details: it is kept this long, then S3 deletes
# it (infra/stack.py's lifecycle rule, by the tag below, on the ZIP and its staged parts alike)
# and the export shows as expired. An admin who needs it again starts a new one.
KEPT = timedelta(days=7)
EXPORT_TAG = ("propdesk-kind", "export")


def export_state(status: str, finished_at: datetime | None, now: datetime) -> str:
    """What an export is for its reader: queued, running, done, or expired once KEPT has passed."""
    if status == "done" and finished_at is not None and now >= finished_at + KEPT:
        return "expired"
    return status
_KIND = re.compile(r"[^a-z0-9_]")


def kind_of(item: dict) -> str:
    """The item's ``kind``; an item only ever written by an update (a counter, a marker) may
    have none, and is named by its sort key's first word (``REPEAT#…`` → ``repeat``)."""
    kind = item.get("kind") or str(item.get("sk", "")).split("#")[0]
    return _KIND.sub("_", kind.lower()) or "other"


def exported(item: dict) -> dict | None:
    """What of a stored item goes into the export (None: the item is not exported)."""
    if kind_of(item) in NOT_EXPORTED:
        return None
    return {name: value for name, value in item.items() if name not in SECRET_ATTRIBUTES}


def entry_name(item: dict) -> str:
    """The JSON Lines file the item goes into."""
    return f"items/{kind_of(item)}.jsonl"


DELETION_REQUEST = Shape(fields={
    "slug": Text(max_len=100, description="the firm's short name, typed exactly to confirm the deletion"),
})


def confirm_slug(body: object, slug: str) -> None:
    """A deletion is confirmed by typing the firm's short name exactly."""
    typed = DELETION_REQUEST.parse_body(body, "Type the firm's short name to confirm.")["slug"]
    if typed.strip() != slug:
        raise InvalidInput("That is not this firm's short name.",
                           {"slug": "does not match this firm's short name; type it exactly"})


def due_at(requested_at: datetime) -> datetime:
    return requested_at + GRACE


def released_at(deleted_at: datetime) -> datetime:
    return deleted_at + QUARANTINE
