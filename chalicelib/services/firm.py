"""A firm reads its own profile, and reads and changes its service standards."""

from __future__ import annotations

from datetime import datetime, timezone

from ..domain.errors import InvalidInput
from ..domain.identity import Identity
from ..domain import webhook_secrets as secrets
from ..domain.standards import changes, check_document, normalize
from ..store import tenants as store


def describe(who: Identity) -> dict:
    t = store.get_tenant(who.tenant_id)
    return {"id": t.tenant_id, "name": t.name, "slug": t.slug, "locale": t.locale, "time_zone": t.time_zone,
            "template": t.template, "role": who.role}


def standards(who: Identity, *, with_saver: bool = False) -> dict:
    """The standards and their version; ``with_saver`` adds who saved this version and when
    ({"by": name or None, "at": ISO}), read from the same item. Robot and webhook secrets read
    as a mask (domain/webhook_secrets.py): the document can be sent back as it is."""
    document, version, saved = store.get_standards_saved(who.tenant_id)
    found = {"version": version, "standards": secrets.masked(document)}
    if with_saver:
        found["saved"] = {"by": saved["by"], "at": saved["at"].isoformat().replace("+00:00", "Z")}
    return found


def replace_standards(who: Identity, body: object, if_match: str | None, *, now: datetime | None = None) -> dict:
    """An admin replaces the standards document. Validated whole before anything is written;
    saved only if nobody saved another version since the one the admin read (If-Match)."""
    who.require_admin()
    from .tickets import parse_version
    expected = parse_version(if_match)
    if not isinstance(body, dict) or set(body) - {"standards"} or "standards" not in body:
        raise InvalidInput("Send {\"standards\": {...}}.", {"standards": "is required (the whole document)"})
    document = normalize(body["standards"])
    tenant, current, version = store.get_tenant_and_standards(who.tenant_id)  # one BatchGetItem
    # a masked or missing secret keeps the saved one; checked as it will be saved
    document, problems = secrets.with_saved(document, current)
    try:
        check_document(document)
    except InvalidInput as error:
        raise InvalidInput(error.message, {**(error.fields or {}), **problems}) from None
    if problems:
        raise InvalidInput("Some secrets cannot be kept: type them again.", problems)
    if version != expected:
        from ..domain.errors import Conflict
        raise Conflict("Someone else changed the standards first. Reload them and try again.",
                       {"If-Match": f"version {expected} is no longer current; the standards are at {version}"})
    shown = secrets.masked(document)
    what = (changes(secrets.masked(current), shown) + secrets.changed(current, document)) or ["no change"]
    new_version = store.put_standards(who.tenant_id, tenant.slug, document, store.public_summary(document),
                                      expected_version=expected, who_sub=who.sub, who_name=who.name,
                                      now=now or datetime.now(timezone.utc), changes=what)
    from . import audit
    audit.standards_changed(current, document)
    from .scores import forget_settings
    forget_settings(who.tenant_id)  # this process reads the new minimum n and weights at once
    return {"version": new_version, "standards": shown, "changes": what}


def history(who: Identity) -> dict:
    who.require_admin()
    return {"versions": [{"version": v.version, "at": v.updated_at.isoformat().replace("+00:00", "Z"),
                          "by": {"id": v.updated_by, "name": v.updated_by_name},
                          "changes": [secrets.masked_line(line) for line in v.changes or []]}
                         for v in store.standards_history(who.tenant_id)]}


def notifications(who: Identity, query: dict) -> dict:
    """Escalation notifications, for admins to see what went out and what failed."""
    who.require_admin()
    from ..domain.escalation import NOTIFICATIONS_QUERY
    from ..store import escalations
    q = NOTIFICATIONS_QUERY.parse_body(query)
    return {"notifications": escalations.notifications(who.tenant_id, q.get("status"))}
