"""What the residents' pages need to read beyond the JSON routes: the firm's register and
the names of its categories and priorities (for the form), and the firm's time zone and
names for a tracking link (for the tracking page). Read-only, keyed reads, no Scan."""

from __future__ import annotations

from ..domain.errors import NotFound
from ..store import registry as registry_store
from ..store import tenants as tenant_store
from ..store.models import BuildingItem, UnitItem, tenant_pk
from . import tickets as ticket_service


def _names(standards: dict) -> dict:
    """{"categories": [{key, name{}, help{}, emergency}], "priorities": [{key, name{}}]}"""
    return {
        "categories": [{"key": c["key"], "name": c.get("name") or {}, "help": c.get("help") or {},
                        "emergency": bool(c.get("emergency"))} for c in standards.get("categories") or []],
        "priorities": [{"key": p["key"], "name": p.get("name") or {}} for p in standards.get("priorities") or []],
    }


def places(tenant_id: str) -> list[dict]:
    """The tenant's properties and their buildings as a tree, without units: two key queries."""
    properties = {p.property_id: {"id": p.property_id, "name": p.name, "address": p.address, "buildings": [],
                                  "service_phone": p.service_phone or ""}
                  for p in registry_store.list_properties(tenant_id)}
    for b in registry_store.all_buildings(tenant_id):
        if b.property_id in properties:
            properties[b.property_id]["buildings"].append(
                {"id": b.building_id, "property_id": b.property_id, "name": b.name, "units": []})
    tree = sorted(properties.values(), key=lambda p: p["name"])
    for p in tree:
        p["buildings"].sort(key=lambda b: b["name"])
    return tree


def register(tenant_id: str) -> list[dict]:
    """The tenant's register as a tree with every building's units: three key queries."""
    tree = places(tenant_id)
    buildings = {b["id"]: b for p in tree for b in p["buildings"]}
    for item in UnitItem.query(tenant_pk(tenant_id), UnitItem.sk.startswith("UNIT#")):
        if item.building_id in buildings:
            buildings[item.building_id]["units"].append(item.code)
    return tree


def form_context(slug: str) -> dict:
    """Everything the hosted form shows for a firm's slug; NotFound for an unknown slug."""
    profile = tenant_store.intake_profile(slug, take_ticket_number=False)
    try:
        standards, _ = tenant_store.get_standards(profile.tenant_id)
    except NotFound:
        standards = {"categories": [{"key": k} for k in profile.categories],
                     "priorities": [{"key": k} for k in profile.priorities]}
    names = _names(standards)
    allowed = set(profile.categories)
    names["categories"] = [c for c in names["categories"] if c["key"] in allowed] or names["categories"]
    return {"name": profile.name, "locale": profile.locale, "time_zone": profile.time_zone,
            "register": register(profile.tenant_id), "resident_page": profile.resident_page, **names}


def tracking_context(token: str) -> dict:
    """The public view of a tracking link plus the firm's name, locale, time zone and the
    names of its categories; NotFound for anything that is not a live link."""
    ticket, view = ticket_service.track_ticket(token)
    # the firm, its standards and the ticket's property (its service phone): one BatchGetItem
    tenant, standards, prop = tenant_store.tenant_standards_and_property(ticket.tenant_id, ticket.property_id)
    from ..domain.resident_page import service_phone
    from ..domain.standards import survey_settings
    return {"view": view, "name": tenant.name, "locale": tenant.locale, "time_zone": tenant.time_zone,
            "slug": tenant.slug, "survey": survey_settings(standards), **_names(standards),
            "escalates_to": {c["key"]: c["escalates_to"] for c in standards.get("categories") or []
                             if c.get("escalates_to")},  # a complaint's next stage, by category
            "service_phone": service_phone(tenant.resident_page, prop.get("service_phone"))}


def ticket_names(tenant_id: str, places: set[tuple[str, str]], *, with_properties: bool = False,
                 with_replies: bool = False) -> dict:
    """Display names for tickets: categories and urgencies (from the standards), buildings
    and properties, and the firm's time zone: one BatchGetItem (plus one Query for every
    property when a page offers them as a filter)."""
    from ..store import replies as replies_store
    from ..store import state_counts
    from ..store.models import Item, PropertyItem, RepliesItem, StandardsItem, StateCountItem, TenantItem
    from ..store.tickets import building_sk, property_sk
    pk = tenant_pk(tenant_id)
    properties: dict[str, str] = {}
    if with_properties:
        properties = {p.property_id: p.name for p in registry_store.list_properties(tenant_id)}
    keys = {(pk, "STANDARDS"), (pk, "META")}
    keys |= {(pk, building_sk(p, b)) for p, b in places}
    if not with_properties:
        keys |= {(pk, property_sk(p)) for p, _ in places}
    else:
        keys.add((pk, state_counts.SK))  # the queue's counts per state
    if with_replies:
        keys.add((pk, replies_store.SK))  # the firm's canned replies, for a ticket's forms
    count_item = replies_item = None
    standards: dict = {}
    buildings: dict[str, str] = {}
    zone = "UTC"
    for item in Item.batch_get(list(keys)):
        if isinstance(item, StandardsItem):
            standards = item.document.as_dict() if hasattr(item.document, "as_dict") else dict(item.document)
        elif isinstance(item, TenantItem):
            zone = item.time_zone or zone
        elif isinstance(item, BuildingItem):
            buildings[item.building_id] = item.name
        elif isinstance(item, PropertyItem):
            properties[item.property_id] = item.name
        elif isinstance(item, StateCountItem):
            count_item = item
        elif isinstance(item, RepliesItem):
            replies_item = item
    zone = (standards.get("calendar") or {}).get("time_zone") or zone
    return {"categories": [{"key": c["key"], "name": c.get("name") or {}} for c in standards.get("categories") or []],
            "priorities": [{"key": p["key"], "name": p.get("name") or {}} for p in standards.get("priorities") or []],
            "buildings": buildings, "properties": properties, "time_zone": zone,
            "state_counts": state_counts.counts(count_item) if with_properties else {},
            "replies": replies_store.from_item(replies_item)[0]}
