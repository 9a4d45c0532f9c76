"""Admins manage their people: invite, change role, deactivate. The identity adapter
(Cognito, or our own accounts) holds the login; the tenant's staff list holds who belongs to
the firm, in which role, and since when their tokens count (services/access.py)."""

from __future__ import annotations

import dataclasses
import secrets
import time
from datetime import datetime, timezone

from ..adapters import identity as directory
from ..domain.errors import DomainError, InvalidInput
from ..domain.identity import Identity, revocation_time
from ..domain.tenants import STAFF_CHANGE, STAFF_INVITE
from ..settings import settings
from ..store import tenants as store
from . import access


def _view(user: store.User) -> dict:
    return {"id": user.sub, "email": user.email, "name": user.name, "role": user.role, "active": user.active,
            "version": user.version}


def list_staff(who: Identity) -> dict:
    who.require_admin()
    return {"staff": [_view(u) for u in store.list_users(who.tenant_id)]}


def assignable(who: Identity) -> list[store.User]:
    """The firm's active people, for anyone of the firm to assign a ticket to (names only
    reach the page; e-mails and roles stay on the admins' staff list). One Query."""
    return [u for u in store.list_users(who.tenant_id) if u.active]


def invite(who: Identity, body: object) -> dict:
    who.require_admin()
    data = STAFF_INVITE.parse_body(body)
    from . import metering
    metering.check_room(who, "staff_seats", sum(1 for u in store.list_users(who.tenant_id) if u.active))
    local = settings().is_local and not directory.invites_by_code()  # accounts: the code reaches a local mailbox too
    temporary = local_temporary_password() if local else None
    sub = directory.create_user(data["email"], data["name"], who.tenant_id, data["role"],
                                temporary_password=temporary, send_invite=not local)
    user = store.User(sub, data["email"], data["name"], data["role"], True, 1)
    try:
        store.add_user(who.tenant_id, user, datetime.now(timezone.utc))
    except BaseException:
        directory.delete_user(data["email"])
        raise
    view = _view(user)
    if temporary:
        view["local_only"] = {"temporary_password": temporary,
                              "note": "No e-mail is sent on the local stack; Cognito would send this."}
    return view


def change(who: Identity, sub: str, body: object, if_match: str | None) -> dict:
    who.require_admin()
    data = STAFF_CHANGE.parse_body(body)
    before = store.get_user(who.tenant_id, sub)  # another tenant's person → 404 before Cognito is touched
    from .tickets import parse_version  # the one If-Match reader: strong tags only
    # If-Match is optional here: an empty header is no header (a sent version must be exact)
    if if_match is not None and if_match.strip() and parse_version(if_match) != before.version:
        from ..domain.errors import Conflict
        raise Conflict("Someone else changed this staff member first.",
                       {"If-Match": f"version {if_match} is no longer current"})
    after = dataclasses.replace(before, role=data.get("role") or before.role,
                                active=before.active if data.get("active") is None else data["active"],
                                name=data.get("name") or before.name)
    if after.active and not before.active:  # a reactivated person takes a seat again
        from . import metering
        metering.check_room(who, "staff_seats", sum(1 for u in store.list_users(who.tenant_id) if u.active))
    if sub == who.sub and (after.role != "admin" or not after.active):
        raise InvalidInput("You cannot remove your own admin access.",
                           {"role" if after.role != "admin" else "active": "ask another admin to change this"})
    # Deactivation refuses every token the person holds (role changes: the token's role no
    # longer matches); services/access.py reads this within a minute, this process at once.
    revoked = revocation_time(time.time()) if before.active and not after.active else None
    store.update_user(who.tenant_id, before, after, valid_after=revoked)
    access.forget(who.tenant_id, sub)
    try:
        if after.role != before.role:
            directory.set_role(before.email, after.role)
        if after.active != before.active:
            directory.set_active(before.email, after.active)
    except DomainError:
        # the identity provider refused or could not be reached: put the staff list back, so
        # that the answer (4xx/503) is true. (Tokens refused by a deactivation stay refused:
        # at worst the person signs in again.)
        store.update_user(who.tenant_id, dataclasses.replace(after, version=before.version + 1), before)
        access.forget(who.tenant_id, sub)
        if after.role != before.role:
            try:
                directory.set_role(before.email, before.role)
            except DomainError:
                pass  # the staff list decides (a token with the other role is refused)
        raise
    from . import audit
    audit.changed("staff.role", before.role, after.role)
    audit.changed("staff.active", before.active, after.active)
    audit.changed("staff.name", before.name, after.name)
    return _view(dataclasses.replace(after, version=before.version + 1))


def local_temporary_password() -> str:
    return "Tmp-" + secrets.token_urlsafe(9) + "9a"
