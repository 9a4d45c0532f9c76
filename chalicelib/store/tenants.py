"""Tenants, their public slug profile, their standards and their people."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.errors import Conflict, NotFound
from ..domain.identity import Standing
from .models import QuarantineItem, SlugItem, StandardsItem, StandardsVersionItem, TenantItem, UserItem, tenant_pk
from .items import User, cancel_reasons, connection, plain, user_from_item


def slug_pk(slug: str) -> str:
    return f"SLUG#{slug}"


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    slug: str
    locale: str
    time_zone: str
    template: str
    created_at: datetime
    resident_page: dict = field(default_factory=dict)  # service phone, notice (domain/resident_page.py)


@dataclass(frozen=True)
class IntakeProfile:
    """What a public request learns from the slug in one read: whose form it is, what it
    accepts, and the next ticket number."""
    tenant_id: str
    name: str
    locale: str
    time_zone: str
    categories: list[str]
    priorities: list[str]
    emergency_categories: list[str]
    targets: dict
    calendar: dict
    escalation: dict
    ticket_number: int | None = None
    resident_page: dict = field(default_factory=dict)  # service phone, notice (domain/resident_page.py)
    messages: dict = field(default_factory=dict)  # quiet hours, SMS signature (domain/notices.py)
    category_names: dict = field(default_factory=dict)  # key → {"zh-CN", "en"}

    def standards(self):
        """Enough of the standards for intake: category and priority keys and the targets."""
        from ..domain.standards import Standards
        return Standards({
            "categories": [{"key": k, "emergency": k in self.emergency_categories} for k in self.categories],
            "priorities": [{"key": k} for k in self.priorities],
            "targets": self.targets,
            "calendar": self.calendar,
        })


def public_summary(standards: dict) -> dict:
    """The parts of a standards document the slug profile carries for one-read intake."""
    return {
        "categories": [c["key"] for c in standards["categories"]],
        "category_names": {c["key"]: c.get("name") or {} for c in standards["categories"]},
        "priorities": [p["key"] for p in standards["priorities"]],
        "emergency_categories": [c["key"] for c in standards["categories"] if c.get("emergency")],
        "targets": standards["targets"],
        "calendar": standards.get("calendar") or {},
        "escalation": standards.get("escalation") or {},
        # the published scorecard's switches (read with the slug, one GetItem)
        "survey": {k: v for k, v in (standards.get("survey") or {}).items()
                   if k in ("publish", "publish_properties", "min_n", "publish_inspections", "after_resolution")},
        "messages": standards.get("messages") or {},  # residents' messages at intake: quiet hours, signature
    }


def create_tenant(tenant: Tenant, standards: dict, admin: User) -> None:
    """Claim the slug and write the tenant, its standards and first admin, all or nothing.
    Raises Conflict(slug) if the slug is taken."""
    pk = tenant_pk(tenant.tenant_id)
    try:
        with TransactWrite(connection=connection()) as tx:
            # a deleted firm's slug stays in quarantine a while (store/firm_data.py)
            tx.condition_check(QuarantineItem, slug_pk(tenant.slug), "QUARANTINE",
                               condition=QuarantineItem.pk.does_not_exist())
            tx.save(SlugItem(slug_pk(tenant.slug), "PUBLIC", tenant_id=tenant.tenant_id, name=tenant.name,
                             locale=tenant.locale, time_zone=tenant.time_zone, ticket_seq=0,
                             **public_summary(standards)),
                    condition=SlugItem.pk.does_not_exist())
            tx.save(TenantItem(pk, "META", tenant_id=tenant.tenant_id, name=tenant.name, slug=tenant.slug,
                               locale=tenant.locale, time_zone=tenant.time_zone, template=tenant.template,
                               created_at=tenant.created_at), condition=TenantItem.pk.does_not_exist())
            tx.save(StandardsItem(pk, "STANDARDS", document=standards, version=1, updated_at=tenant.created_at,
                                  updated_by=admin.sub, updated_by_name=admin.name or None))
            tx.save(StandardsVersionItem(pk, version_sk(1), version=1, document=standards,
                                         updated_at=tenant.created_at, updated_by=admin.sub,
                                         updated_by_name=admin.name,
                                         changes=[f"created from the template {tenant.template}"]))
            tx.save(_user_item(tenant.tenant_id, admin, tenant.created_at))
            from ..domain.scores import last_closed, next_finalisation  # the firm's first nightly finalisation
            from .rollups import slot_item
            tx.save(slot_item(tenant.tenant_id, tenant.slug, tenant.time_zone,
                              next_finalisation(tenant.created_at, tenant.time_zone),
                              last_closed(tenant.created_at, tenant.time_zone)))
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancel_reasons(error)[:2]:  # the quarantine, or the slug's claim
            raise Conflict("That short name is taken.", {"slug": "is already in use by another firm"}) from error
        raise


def delete_tenant_records(tenant: Tenant, admin_sub: str) -> None:
    """Undo create_tenant (used when the first admin cannot be created)."""
    pk = tenant_pk(tenant.tenant_id)
    with TransactWrite(connection=connection()) as tx:
        tx.delete(SlugItem(slug_pk(tenant.slug), "PUBLIC"))
        tx.delete(TenantItem(pk, "META"))
        tx.delete(StandardsItem(pk, "STANDARDS"))
        tx.delete(StandardsVersionItem(pk, version_sk(1)))
        tx.delete(UserItem(pk, f"USER#{admin_sub}"))
        from .rollups import ROLLUP_SK
        from .models import RollupItem
        tx.delete(RollupItem(pk, ROLLUP_SK))


def get_tenant(tenant_id: str) -> Tenant:
    try:
        item = TenantItem.get(tenant_pk(tenant_id), "META")
    except DoesNotExist:
        raise NotFound("No such firm.") from None
    return Tenant(item.tenant_id, item.name, item.slug, item.locale, item.time_zone, item.template, item.created_at,
                  plain(item.resident_page))


def intake_profile(slug: str, *, take_ticket_number: bool) -> IntakeProfile:
    """Resolve a public slug in one call. With ``take_ticket_number`` it is an atomic
    counter increment that also returns the profile (one UpdateItem, no extra read)."""
    try:
        if take_ticket_number:
            item = SlugItem(slug_pk(slug), "PUBLIC")
            item.update(actions=[SlugItem.ticket_seq.add(1)], condition=SlugItem.pk.exists())
        else:
            item = SlugItem.get(slug_pk(slug), "PUBLIC")
    except (DoesNotExist, UpdateError) as error:
        if isinstance(error, UpdateError) and getattr(error, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise
        raise NotFound("No such firm.") from None
    return IntakeProfile(item.tenant_id, item.name, item.locale, item.time_zone, list(item.categories or []),
                         list(item.priorities or []), list(item.emergency_categories or []), plain(item.targets), plain(item.calendar), plain(item.escalation),
                         int(item.ticket_seq) if take_ticket_number else None, resident_page=plain(item.resident_page),
                         messages=plain(item.messages), category_names=plain(item.category_names))


@dataclass(frozen=True)
class PublicScorecard:
    name: str
    locale: str
    time_zone: str
    survey: dict  # publish, publish_properties, min_n, after_resolution
    scorecard: dict  # {"month": review, "quarter": review, "month_before": ...} as last finalised
    resident_page: dict = field(default_factory=dict)  # the service phone
    logo: str | None = None  # the logo as a data: address, when the firm has one


def public_scorecard(slug: str) -> PublicScorecard:
    """What the published scorecard shows, from the slug's profile and its logo: one
    BatchGetItem. ``logo`` is the image as a ``data:`` address (the pages' CSP allows those)."""
    from .models import Item, LogoItem
    found = {type(item): item for item in Item.batch_get([(slug_pk(slug), "PUBLIC"), (slug_pk(slug), "LOGO")])}
    item, logo = found.get(SlugItem), found.get(LogoItem)
    if item is None:
        raise NotFound("No such firm.")
    shown = f"data:{logo.content_type};base64,{logo.image}" if logo is not None and item.logo else None
    return PublicScorecard(item.name, item.locale, item.time_zone, plain(item.survey), plain(item.scorecard),
                           plain(item.resident_page) or {}, shown)


def set_logo(tenant_id: str, slug: str, content_type: str, image_base64: str, version: str) -> None:
    """Store the firm's logo beside its public profile (one transaction); ``None`` removes it."""
    from .models import LogoItem
    with TransactWrite(connection=connection()) as tx:
        if image_base64:
            tx.save(LogoItem(slug_pk(slug), "LOGO", tenant_id=tenant_id, content_type=content_type,
                             image=image_base64))
            tx.update(SlugItem(slug_pk(slug), "PUBLIC"), actions=[SlugItem.logo.set(version)],
                      condition=SlugItem.tenant_id == tenant_id)
        else:
            tx.delete(LogoItem(slug_pk(slug), "LOGO"))
            tx.update(SlugItem(slug_pk(slug), "PUBLIC"), actions=[SlugItem.logo.remove()],
                      condition=SlugItem.tenant_id == tenant_id)


def take_ticket_number(tenant_id: str) -> IntakeProfile:
    """For staff-created tickets: find the slug, then take a number from its counter."""
    tenant = get_tenant(tenant_id)
    profile = intake_profile(tenant.slug, take_ticket_number=True)
    if profile.tenant_id != tenant_id:  # defensive: a slug always names its own tenant
        raise NotFound("No such firm.")
    return profile


def get_tenant_and_standards(tenant_id: str) -> tuple[Tenant, dict, int]:
    """The firm and its standards (document, version) in one BatchGetItem. A firm without
    standards yet answers ({}, 0) for them; an unknown firm raises NotFound."""
    from .models import Item
    pk = tenant_pk(tenant_id)
    tenant, document, version = None, {}, 0
    for item in Item.batch_get([(pk, "META"), (pk, "STANDARDS")], consistent_read=True):
        if isinstance(item, TenantItem):
            tenant = Tenant(item.tenant_id, item.name, item.slug, item.locale, item.time_zone, item.template,
                            item.created_at, plain(item.resident_page))
        elif isinstance(item, StandardsItem):
            document, version = plain(item.document), int(item.version)
    if tenant is None:
        raise NotFound("No such firm.")
    return tenant, document, version


def onboarding_facts(tenant_id: str) -> dict:
    """What a new firm's checklist (domain/onboarding.py) is ticked from, in three reads: the
    firm and its standards (one BatchGetItem), up to two people, and one unit."""
    from .models import Item, UnitItem
    pk = tenant_pk(tenant_id)
    facts = {"service_phone": None, "standards_version": 0, "poster_printed": False}
    for item in Item.batch_get([(pk, "META"), (pk, "STANDARDS")], consistent_read=True):
        if isinstance(item, TenantItem):
            facts["service_phone"] = (plain(item.resident_page) or {}).get("service_phone")
            facts["poster_printed"] = item.poster_printed_at is not None
        elif isinstance(item, StandardsItem):
            facts["standards_version"] = int(item.version)
    facts["people"] = sum(1 for _ in UserItem.query(pk, UserItem.sk.startswith("USER#"), limit=2))
    facts["units"] = sum(1 for _ in UnitItem.query(pk, UnitItem.sk.startswith("UNIT#"), limit=1))
    return facts


def note_poster_printed(tenant_id: str, now: datetime) -> None:
    """The first time an admin opens a lobby poster; later ones change nothing."""
    try:
        TenantItem(tenant_pk(tenant_id), "META").update(
            actions=[TenantItem.poster_printed_at.set(now)],
            condition=TenantItem.pk.exists() & TenantItem.poster_printed_at.does_not_exist())
    except UpdateError:
        pass  # printed before (or no such firm: nothing to note)


def standards_document(item: StandardsItem) -> dict:
    """A standards item read elsewhere (e.g. in a batch with other items) as a plain dict."""
    return plain(item.document)


def get_standards(tenant_id: str) -> tuple[dict, int]:
    document, version, _ = get_standards_saved(tenant_id)
    return document, version


def get_standards_saved(tenant_id: str) -> tuple[dict, int, dict]:
    """The standards, their version, and who saved them when: {"by": name or None, "at": datetime}."""
    try:
        item = StandardsItem.get(tenant_pk(tenant_id), "STANDARDS")
    except DoesNotExist:
        raise NotFound("No standards yet.") from None
    return plain(item.document), int(item.version), {"by": item.updated_by_name, "at": item.updated_at}


# --- people ------------------------------------------------------------------------------

def _user_item(tenant_id: str, user: User, now: datetime) -> UserItem:
    return UserItem(tenant_pk(tenant_id), f"USER#{user.sub}", sub=user.sub, email=user.email, name=user.name,
                    role=user.role, active=user.active, created_at=now, version=user.version)


def add_user(tenant_id: str, user: User, now: datetime) -> None:
    try:
        _user_item(tenant_id, user, now).save(condition=UserItem.pk.does_not_exist())
    except PutError as error:
        raise Conflict("This person is already on the staff list.", {"email": "is already on the staff list"}) from error


def get_user(tenant_id: str, sub: str) -> User:
    try:
        return user_from_item(UserItem.get(tenant_pk(tenant_id), f"USER#{sub}", consistent_read=True))
    except DoesNotExist:
        raise NotFound("No such staff member.") from None


def list_users(tenant_id: str) -> list[User]:
    return [user_from_item(item) for item in UserItem.query(tenant_pk(tenant_id), UserItem.sk.startswith("USER#"))]


def update_user(tenant_id: str, before: User, after: User, *, valid_after: int | None = None) -> None:
    """Write the change if the person is still at ``before.version``; with ``valid_after``
    (epoch seconds) also refuse from now on every token issued before it."""
    item = UserItem(tenant_pk(tenant_id), f"USER#{before.sub}")
    actions = [UserItem.role.set(after.role), UserItem.active.set(after.active),
               UserItem.name.set(after.name), UserItem.version.set(before.version + 1)]
    if valid_after is not None:
        actions.append(UserItem.valid_after.set(valid_after))
    try:
        item.update(actions=actions, condition=UserItem.pk.exists() & (UserItem.version == before.version))
    except UpdateError as error:
        raise Conflict("Someone else changed this staff member first.",
                       {"If-Match": f"version {before.version} is no longer current"}) from error


def standing(tenant_id: str, sub: str) -> Standing | None:
    """The person's standing (role, active, valid_after) for token checks: one GetItem of
    their item; None when the firm has no such person."""
    try:
        item = UserItem.get(tenant_pk(tenant_id), f"USER#{sub}",
                            attributes_to_get=["kind", "role", "active", "valid_after"])
    except DoesNotExist:
        return None
    return Standing(role=item.role, active=bool(item.active), valid_after=int(item.valid_after or 0))


def revoke_tokens(tenant_id: str, sub: str, valid_after: int) -> None:
    """Refuse every token of the person issued before ``valid_after`` (sign-out). Never moves
    the mark back; a person who is not on the list is left alone (nothing to revoke)."""
    item = UserItem(tenant_pk(tenant_id), f"USER#{sub}")
    try:
        item.update(actions=[UserItem.valid_after.set(valid_after)],
                    condition=UserItem.pk.exists() & (UserItem.valid_after.does_not_exist()
                                                      | (UserItem.valid_after < valid_after)))
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise


def check_slug_free(slug: str) -> None:
    """A cheap early answer for the common case; the transaction's condition is the real guard."""
    try:
        SlugItem.get(slug_pk(slug), "PUBLIC")
    except DoesNotExist:
        return
    raise Conflict("That short name is taken.", {"slug": "is already in use by another firm"})


def version_sk(version: int) -> str:
    return f"STANDARDS#V#{version:06d}"


@dataclass(frozen=True)
class StandardsVersion:
    version: int
    updated_at: datetime
    updated_by: str
    updated_by_name: str | None
    changes: list[str]


def put_standards(tenant_id: str, slug: str, document: dict, public: dict, *, expected_version: int,
                  who_sub: str, who_name: str, now: datetime, changes: list[str]) -> int:
    """Replace the standards if still at ``expected_version``, record the version in the
    history and refresh the slug's intake summary: one transaction, all or nothing."""
    pk = tenant_pk(tenant_id)
    new_version = expected_version + 1
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(StandardsVersionItem(pk, version_sk(new_version), version=new_version, document=document,
                                         updated_at=now, updated_by=who_sub, updated_by_name=who_name,
                                         changes=changes[:200]),
                    condition=StandardsVersionItem.pk.does_not_exist())
            tx.update(StandardsItem(pk, "STANDARDS"), actions=[
                StandardsItem.document.set(document), StandardsItem.version.set(new_version),
                StandardsItem.updated_at.set(now), StandardsItem.updated_by.set(who_sub),
                StandardsItem.updated_by_name.set(who_name or None)],
                condition=StandardsItem.pk.exists() & (StandardsItem.version == expected_version))
            tx.update(SlugItem(slug_pk(slug), "PUBLIC"), actions=[
                getattr(SlugItem, name).set(value) for name, value in public.items()],
                condition=SlugItem.tenant_id == tenant_id)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancel_reasons(error) or "TransactionConflict" in cancel_reasons(error):
            raise Conflict("Someone else changed the standards first. Reload them and try again.",
                           {"If-Match": f"version {expected_version} is no longer current"}) from error
        raise
    return new_version


def standards_history(tenant_id: str, limit: int = 50) -> list[StandardsVersion]:
    items = StandardsVersionItem.query(tenant_pk(tenant_id), StandardsVersionItem.sk.startswith("STANDARDS#V#"),
                                       scan_index_forward=False, limit=limit)
    return [StandardsVersion(int(i.version), i.updated_at, i.updated_by, i.updated_by_name, list(i.changes or []))
            for i in items]


def set_resident_page(tenant_id: str, slug: str, page: dict) -> None:
    """The firm's service phone and notice, on the tenant and its slug's public profile
    (the form reads the slug, the tracking page the tenant): one transaction."""
    with TransactWrite(connection=connection()) as tx:
        tx.update(TenantItem(tenant_pk(tenant_id), "META"), actions=[TenantItem.resident_page.set(page)],
                  condition=TenantItem.pk.exists())
        tx.update(SlugItem(slug_pk(slug), "PUBLIC"), actions=[SlugItem.resident_page.set(page)],
                  condition=SlugItem.tenant_id == tenant_id)


def tenant_standards_and_property(tenant_id: str, property_id: str) -> tuple[Tenant, dict, dict]:
    """The firm, its standards and one of its properties ({} when absent): one BatchGetItem."""
    from .models import Item, PropertyItem
    pk = tenant_pk(tenant_id)
    tenant, document, prop = None, {}, {}
    for item in Item.batch_get([(pk, "META"), (pk, "STANDARDS"), (pk, f"PROPERTY#{property_id}")]):
        if isinstance(item, TenantItem):
            tenant = Tenant(item.tenant_id, item.name, item.slug, item.locale, item.time_zone, item.template,
                            item.created_at, plain(item.resident_page))
        elif isinstance(item, StandardsItem):
            document = plain(item.document)
        elif isinstance(item, PropertyItem):
            prop = {"name": item.name, "service_phone": item.service_phone}
    if tenant is None:
        raise NotFound("No such firm.")
    return tenant, document, prop
