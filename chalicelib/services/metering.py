"""Usage and plans (domain/metering.py): what a firm used, what its plan allows, and what
happens at a limit.

- Admin actions that would go past a limit (one more staff seat, one more property) are
  refused with PlanLimitReached naming the limit, and the firm's admins get one e-mail per
  limit and month (through the outbox, so the minute sweep delivers it as every message).
- SMS past the month's allowance are held by the sweep (``SmsGate``), never silently dropped.
- Nothing here ever refuses a resident's report or photo.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ..domain import metering as rules
from ..domain.errors import PlanLimitReached
from ..domain.identity import Identity
from ..observability import logger
from ..store import metering as store

# What an API caller reads when a limit refuses them (English; the console says it in the
# page's language from its own catalogue).
REFUSALS = {"staff_seats": ("Your plan's staff seats are all taken.", "staff_seats",
                            "the plan allows {value} active staff; deactivate someone or change the plan"),
            "properties": ("Your plan allows no more properties.", "properties",
                           "the plan allows {value} properties; change the plan to add more")}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def usage(who: Identity, now: datetime | None = None) -> dict:
    """GET /api/usage: this month and last, each counter, the plan's limits with what is in
    use. Three round trips: the firm and its counters (BatchGetItem), its staff, its properties."""
    who.require_admin()
    from ..store import registry, tenants
    now = now or _now()
    this = rules.month_of(now)
    last = rules.previous_month(this)
    read = store.read(who.tenant_id, [this, last])
    seats = sum(1 for u in tenants.list_users(who.tenant_id) if u.active)
    properties = len(registry.list_properties(who.tenant_id))
    return rules.usage_view(rules.plan_of(read.plan), this, read.months[this], last, read.months[last],
                            {"staff_seats": seats, "properties": properties,
                             "photo_bytes": int(read.total.get("photo_bytes", 0))})


def firm_usage(tenant_id: str, now: datetime | None = None) -> dict:
    """The operator's view of one firm (``GET /ops/firms/{tenant_id}/usage``): what its admins
    see at GET /api/usage. NotFound for no such firm."""
    _operator_knows(tenant_id)
    return usage(Identity(tenant_id=tenant_id, sub="operator", role="admin", name="operator", email=""), now)


def set_firm_plan(tenant_id: str, body: object, operator: str, source_ip: str) -> dict:
    """The operator puts a firm on a plan (``PUT /ops/firms/{tenant_id}/plan``); the firm's
    audit log says so (who: "PropDesk operator", the plan before and after)."""
    data = rules.PLAN_CHANGE.parse_body(body)
    before = _operator_knows(tenant_id)
    store.set_plan(tenant_id, data["plan"])
    from ..domain.audit import network_of
    from ..store import audit as audit_store
    audit_store.record(tenant_id, at=_now(), actor_sub=f"operator:{operator}", actor_name="PropDesk operator",
                       action="PUT /ops/firms/{tenant_id}/plan", target={"tenant_id": tenant_id}, status=200,
                       network=network_of(source_ip),
                       changes=[{"setting": "plan", "before": rules.plan_of(before.plan).name,
                                 "after": data["plan"]}])
    return {"tenant_id": tenant_id, "plan": data["plan"]}


def _operator_knows(tenant_id: str) -> store.Usage:
    from ..domain.errors import NotFound
    read = store.read(tenant_id, [])
    if not read.exists:
        raise NotFound("No such firm.", {"tenant_id": "does not exist"})
    return read


def check_room(who: Identity, limit: str, in_use: int, now: datetime | None = None) -> None:
    """Refuse one more under ``limit`` when ``in_use`` already fill the plan, and tell the
    admins (once a month)."""
    now = now or _now()
    read = store.read(who.tenant_id, [])
    plan = rules.plan_of(read.plan)
    if rules.room_for(plan, limit, in_use):
        return
    tell_admins(who.tenant_id, limit, plan, read, now)
    message, field, reason = REFUSALS[limit]
    value = plan.limits()[limit]
    raise PlanLimitReached(message, {field: reason.format(value=value)})


def _value(limit: str, value: int) -> str:
    return f"{value / rules.GIB:g} GiB" if limit == "photo_bytes" else str(value)


def tell_admins(tenant_id: str, limit: str, plan: rules.Plan, read: store.Usage, now: datetime) -> bool:
    """One e-mail to each active admin, once per limit and month. True when sent now."""
    from ..store import tenants
    from ..store.escalations import OutboxEntry
    month = rules.month_of(now)
    admins = [u for u in tenants.list_users(tenant_id) if u.active and u.role == "admin" and u.email]
    outbox = [OutboxEntry(tenant_id, None, f"plan_limit:{month}:{limit}", {"channel": "email", "to": u.email},
                          "plan_limit", read.locale or "en",
                          {"limit": limit, "value": _value(limit, plan.limits()[limit]), "plan": plan.name,
                           "firm": read.firm}) for u in admins]
    told = store.alert_once(tenant_id, month, limit, now, outbox)
    if told:
        logger.info("plan limit reached", extra={"limit": limit, "plan": plan.name, "admins": len(outbox)})
    return told


def after_photo(tenant_id: str, now: datetime | None = None) -> None:
    """A resident's photo was stored: past the plan's photo storage, tell the admins (the photo
    itself is kept; residents are never refused)."""
    now = now or _now()
    read = store.read(tenant_id, [])
    plan = rules.plan_of(read.plan)
    if int(read.total.get("photo_bytes", 0)) >= plan.photo_bytes:
        tell_admins(tenant_id, "photo_bytes", plan, read, now)


EXEMPT_KINDS = frozenset({"account_invite", "password_reset"})  # sign-in codes are never held


class SmsGate:
    """One sweep's view of each firm's SMS allowance: the firm's plan and month read once per
    sweep (one BatchGetItem per firm that sends an SMS), then counted here as SMS go."""

    def __init__(self) -> None:
        self._seen: dict[str, list] = {}

    def allows(self, tenant_id: str, kind: str, now: datetime) -> bool:
        if kind in EXEMPT_KINDS:
            return True
        if tenant_id not in self._seen:
            month = rules.month_of(now)
            read = store.read(tenant_id, [month])
            self._seen[tenant_id] = [rules.plan_of(read.plan), int(read.months[month].get("msg_sms", 0)), read]
        plan, sent, read = self._seen[tenant_id]
        if rules.sms_allowed(plan, sent):
            self._seen[tenant_id][1] = sent + 1
            return True
        tell_admins(tenant_id, "sms_per_month", plan, read, now)
        return False


def note_request(who: Identity | None) -> None:
    """An authenticated API call (approximate: store/metering.note_request)."""
    if who is None:
        return
    try:
        store.note_request(who.tenant_id, _now())
    except Exception:  # counting must never fail the request it counts
        logger.exception("usage count failed")
