"""Monthly quality inspections (月度品质检查, seed 004): admins keep a checklist per property,
staff record each month's inspection, a failed item opens a ticket, and the results roll
into the firm's score counters (domain/inspections.py has the rules, store/inspections.py
the keys).

What a reader of the scores gets needs no read of an inspection: the month's counters are
in the score items the dashboard and the nightly review already read
(``domain/inspections.summary``), and the published scorecard's sentences come from the
frozen review (``domain/inspections.scorecard_lines``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..domain import inspections as rules
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.identity import Identity
from ..store import inspections as store
from ..store import registry


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9:
        raise InvalidInput("The version is not one we gave you.", {"version": "must be the whole number you read"})
    return value


def _property(who: Identity, property_id: str):
    return registry.get_property(who.tenant_id, property_id)  # NotFound for another firm's


def checklist(who: Identity, property_id: str) -> dict:
    """The property's checklist and version; a property without one offers the starter
    checklist (the seeds' four areas) at version 0."""
    prop = _property(who, property_id)
    found, version = store.get_checklist(who.tenant_id, property_id)
    return {"property_id": property_id, "property_name": prop.name, "checklist": found or rules.STARTER,
            "version": version, "saved": found is not None}


def save_checklist(who: Identity, property_id: str, body: Any) -> dict:
    """Admins replace the property's checklist (``{"areas": [...], "version": n}``)."""
    who.require_admin()
    if not isinstance(body, dict):
        raise InvalidInput("The checklist needs a list of areas.", {"areas": "must be a list"})
    version = _version(body.get("version", 0))
    checked = rules.check_checklist(body)
    _property(who, property_id)
    new_version = store.save_checklist(who.tenant_id, property_id, checked, version)
    return {"property_id": property_id, "checklist": checked, "version": new_version, "saved": True}


def _with_tallies(inspection: dict) -> dict:
    areas = rules.by_area(inspection, inspection["results"])
    total = rules.overall(areas)
    return {**inspection, "passed": total.passed, "items": total.total,
            "by_area": {key: {"passed": t.passed, "items": t.total} for key, t in areas.items()}}


def inspection(who: Identity, property_id: str, month: str) -> dict:
    """That month's inspection of the property with its tallies; NotFound if none yet."""
    month = rules.check_month(month)
    found = store.get_inspection(who.tenant_id, property_id, month)
    if found is None:
        _property(who, property_id)  # another firm's property and an empty month read alike
        raise NotFound("No inspection of that property in that month yet.")
    return _with_tallies(found)


def inspections(who: Identity, property_id: str, month: str | None = None) -> dict:
    """The property's inspections (one month when ``month`` is given), oldest first."""
    _property(who, property_id)
    if month:
        found = store.get_inspection(who.tenant_id, property_id, rules.check_month(month))
        listed = [found] if found else []
    else:
        listed = store.inspections_of(who.tenant_id, property_id)
    return {"property_id": property_id, "inspections": [_with_tallies(i) for i in listed]}


def record(who: Identity, property_id: str, month: str, body: Any, *, now: datetime | None = None) -> dict:
    """Staff record (or correct) a month's inspection: ``{"results": {...}, "version": n}``
    (0 for the month's first). Every item of the property's current checklist needs a
    result, a failed one a note; the scores move in the same transaction."""
    month = rules.check_month(month)
    if not isinstance(body, dict):
        raise InvalidInput("The inspection needs its results.", {"results": "must be a mapping of item to result"})
    version = _version(body.get("version", 0))
    _property(who, property_id)
    current, _ = store.get_checklist(who.tenant_id, property_id)
    if current is None:
        raise InvalidInput("This property has no checklist yet; an admin sets one up first.",
                           {"property_id": "has no inspection checklist yet"})
    before = store.get_inspection(who.tenant_id, property_id, month)
    if (before["version"] if before else 0) != version:
        raise Conflict("Someone else saved this inspection first. Reload it and try again.",
                       {"version": f"version {version} is no longer current"})
    results = rules.check_results(current, body.get("results"))
    if before:  # a failed item keeps its ticket and photos while it still fails
        for key, result in results.items():
            earlier = before["results"].get(key) or {}
            if not result["passed"]:
                result["photos"] = earlier.get("photos") or []
                if earlier.get("ticket_id"):
                    result["ticket_id"] = earlier["ticket_id"]
    after = {"property_id": property_id, "month": month, "areas": current["areas"], "results": results,
             "inspector": {"sub": who.sub, "name": who.actor.name}}
    deltas = rules.difference(_contributions(after), _contributions(before) if before else {})
    now = now or _now()
    new_version = store.save_inspection(who.tenant_id, after, version, deltas, now)
    return _with_tallies({**after, "at": now.isoformat(), "version": new_version})


def _contributions(inspection: dict) -> dict:
    return rules.contributions(inspection["property_id"], inspection["month"],
                               rules.by_area(inspection, inspection["results"]))


def open_ticket(who: Identity, property_id: str, month: str, item_key: str, body: Any) -> dict:
    """File a ticket for a failed item (``{"version": n, "category": …, "urgency": …,
    "building_id": …}``, all but the version optional), linked both ways: the ticket's
    description names the inspection, the inspection's item keeps the ticket id. An item
    that already has its ticket answers that ticket again (a double tap files one)."""
    month = rules.check_month(month)
    body = body if isinstance(body, dict) else {}
    version = _version(body.get("version", 0))
    found = store.get_inspection(who.tenant_id, property_id, month)
    if found is None:
        _property(who, property_id)
        raise NotFound("No inspection of that property in that month yet.")
    result = found["results"].get(item_key)
    if result is None:
        raise NotFound("No such item in that inspection.", {"item": "is not an item of this inspection"})
    if result.get("ticket_id"):
        return {"ticket_id": result["ticket_id"], "version": found["version"], "created": False}
    if result["passed"]:
        raise InvalidInput("Only a failed item opens a ticket.", {"item": "passed this inspection"})
    if found["version"] != version:
        raise Conflict("Someone else saved this inspection first. Reload it and try again.",
                       {"version": f"version {version} is no longer current"})
    from . import tickets
    report = _report(who, property_id, month, found, item_key, body)
    ticket = tickets.create_by_staff(who, report, communal=True)
    new_version = store.link_ticket(who.tenant_id, property_id, month, item_key, ticket["id"], version)
    return {"ticket_id": ticket["id"], "number": ticket.get("number"), "version": new_version, "created": True}


COMMUNAL_UNIT = "0"  # a ticket of a shared area names the building, and unit 0


def _report(who: Identity, property_id: str, month: str, found: dict, item_key: str, body: dict) -> dict:
    from ..store import tenants as tenant_store
    buildings = registry.list_buildings(who.tenant_id, property_id)
    if not buildings:
        raise InvalidInput("This property has no building to file the ticket under.",
                           {"building_id": "the property has no buildings in the register"})
    building_id = body.get("building_id") or buildings[0].building_id
    if building_id not in {b.building_id for b in buildings}:
        raise InvalidInput("Some fields need attention.", {"building_id": "is not a building of the chosen property"})
    document, _ = tenant_store.get_standards(who.tenant_id)
    item = next(i for i in rules.items_of(found) if i.key == item_key)
    category = body.get("category") or _category(document, item.area)
    priorities = [p["key"] for p in document.get("priorities") or []]
    urgency = body.get("urgency") or ("normal" if "normal" in priorities else (priorities[-1] if priorities else ""))
    area = rules.area_names(found)[item.area]
    note = found["results"][item_key].get("note") or ""
    description = (f"{area.get('zh-CN')} · {item.name.get('zh-CN')} / {area.get('en')} · {item.name.get('en')} — "
                   f"{note} ({month})")
    return {"property_id": property_id, "building_id": building_id, "unit": COMMUNAL_UNIT, "category": category,
            "urgency": urgency, "description": description[:4000], "source": "staff",
            "entry": {"present": False, "windows": [{"from": "09:00", "to": "17:00"}]}}


# The category a failed item's ticket takes by default, by the seeds' area keys; else repairs,
# else the firm's first category that is not an emergency (never a 24/7 emergency by default).
AREA_CATEGORIES = {"sanitation": "environment", "greening": "environment", "facilities": "repairs",
                   "service": "complaint"}


def _category(document: dict, area: str) -> str:
    categories = document.get("categories") or []
    keys = [c["key"] for c in categories]
    for wanted in (AREA_CATEGORIES.get(area), "repairs"):
        if wanted in keys:
            return wanted
    calm = [c["key"] for c in categories if not c.get("emergency")]
    return (calm or keys or [""])[0]


# --- photos of a failure (the residents' photo path: services/photos.py, adapters/photo_storage.py) ---

def _photo_subject(property_id: str, month: str, item_key: str) -> str:
    """Where an item's photos sit in the bucket, beside tickets' (``{tenant}/photos/{subject}/``)."""
    return f"inspection-{property_id}-{month}-{item_key}"


def _failed_item(who: Identity, property_id: str, month: str, item_key: str) -> tuple[dict, dict]:
    month = rules.check_month(month)
    found = store.get_inspection(who.tenant_id, property_id, month)
    if found is None or item_key not in found["results"]:
        raise NotFound("No such item in that inspection.", {"item": "is not an item of this inspection"})
    result = found["results"][item_key]
    if result["passed"]:
        raise InvalidInput("Only a failed item takes photos.", {"photo": "the item passed this inspection"})
    return found, result


def can_add_photo(result: dict) -> bool:
    return not result.get("passed") and len(result.get("photos") or []) < rules.MAX_PHOTOS_PER_ITEM


def photo_upload_form(who: Identity, property_id: str, month: str, item_key: str, *, redirect: str):
    """A presigned POST for one photo of a failed item (signing is local: no round trip);
    the inspection was read by the caller's page."""
    from ..adapters import photo_storage as storage
    from ..domain import photos as photo_rules
    from ..domain import tokens
    key = storage.incoming_prefix(who.tenant_id, _photo_subject(property_id, month, item_key)) + tokens.new_id()
    return storage.upload_form(key, max_bytes=photo_rules.MAX_BYTES, redirect=redirect)


def accept_photo(who: Identity, property_id: str, month: str, item_key: str, key: str) -> dict:
    """Check the upload at ``key`` (its type from its bytes, location stripped), store the
    clean copy and attach it to the failed item. Safe to repeat. Raises NotFound (no such
    item or upload), InvalidInput (not a photo we accept, the item passed, or full),
    PayloadTooLarge, Conflict (a colleague's save kept changing it)."""
    from ..adapters import photo_storage as storage
    from ..domain import photos as photo_rules
    from ..domain.errors import PayloadTooLarge
    from .photos import UPLOAD_ID
    subject = _photo_subject(property_id, month, item_key)
    prefix = storage.incoming_prefix(who.tenant_id, subject)
    upload_id = key[len(prefix):] if isinstance(key, str) and key.startswith(prefix) else ""
    if not UPLOAD_ID.fullmatch(upload_id):
        raise NotFound("No such upload.", {"key": "is not an upload of this item"})
    found, result = _failed_item(who, property_id, month, item_key)
    done = next((p for p in result.get("photos") or [] if p.get("id") == upload_id), None)
    if done is not None:
        return done
    if not can_add_photo(result):
        storage.delete(key)
        raise InvalidInput("This item has all the photos it takes.",
                           {"photo": f"an item takes at most {rules.MAX_PHOTOS_PER_ITEM} photos"})
    try:
        data = storage.read_incoming(key, photo_rules.MAX_BYTES)
    except storage.TooLarge:
        storage.delete(key)
        raise PayloadTooLarge("That photo is larger than 10 MB.",
                              {"photo": f"must be at most {photo_rules.MAX_BYTES // (1024 * 1024)} MB"}) from None
    if data is None:
        raise NotFound("No such upload.", {"key": "did not arrive"})
    try:
        kind, clean = photo_rules.check(data)
    except InvalidInput:
        storage.delete(key)
        raise
    photo = {"id": upload_id, "type": kind, "bytes": len(clean)}
    storage.put_photo(storage.photo_key(who.tenant_id, subject, upload_id, photo_rules.extension(kind)), clean, kind)
    for attempt in range(3):  # a colleague's save may land between our read and write: read again
        try:
            store.add_photo(who.tenant_id, property_id, month, item_key, photo, found["version"])
            break
        except Conflict:
            if attempt == 2:
                raise
            found, result = _failed_item(who, property_id, month, item_key)
    storage.delete(key)
    return photo


def photo_links(who: Identity, property_id: str, month: str, item_key: str, photos: list[dict]) -> list[dict]:
    """Short-lived links to look at an item's photos (presigned GETs; signing is local)."""
    from ..adapters import photo_storage as storage
    from ..domain import photos as photo_rules
    subject = _photo_subject(property_id, month, item_key)
    return [{"id": p["id"], "url": storage.view_url(storage.photo_key(who.tenant_id, subject, p["id"],
                                                                     photo_rules.extension(p["type"])))}
            for p in photos]


# --- what the console pages read ------------------------------------------------------------

def overview(who: Identity, month: str) -> dict:
    """Each property with that month's items passed of inspected (two key Queries: the
    properties, the month's property counters)."""
    from ..store import scores as score_store
    month = rules.check_month(month)
    counters = score_store.period(who.tenant_id, month, "property")
    properties = []
    for prop in sorted(registry.list_properties(who.tenant_id), key=lambda p: p.name):
        summary = rules.summary(counters.get(("property", prop.property_id), {}))
        properties.append({"id": prop.property_id, "name": prop.name, "summary": summary})
    return {"month": month, "properties": properties}


def month_page(who: Identity, property_id: str, month: str) -> dict:
    """The property, its checklist and that month's inspection (three GetItems)."""
    month = rules.check_month(month)
    prop = _property(who, property_id)
    current, version = store.get_checklist(who.tenant_id, property_id)
    found = store.get_inspection(who.tenant_id, property_id, month)
    return {"property": {"id": prop.property_id, "name": prop.name}, "month": month, "checklist": current,
            "checklist_version": version, "inspection": _with_tallies(found) if found else None}


def history(who: Identity, property_id: str) -> dict:
    """The property and its inspections, newest month first (a GetItem and a key Query)."""
    prop = _property(who, property_id)
    listed = [_with_tallies(i) for i in store.inspections_of(who.tenant_id, property_id)]
    return {"property": {"id": prop.property_id, "name": prop.name}, "inspections": listed[::-1]}


__all__ = ["checklist", "save_checklist", "inspection", "inspections", "record", "open_ticket", "accept_photo",
           "photo_upload_form", "photo_links", "can_add_photo", "overview", "month_page", "history"]
