"""Admins keep the property register: properties, buildings, units (one by one or by CSV)."""

from __future__ import annotations

from datetime import datetime, timezone

from ..domain import registry as rules
from ..domain.identity import Identity
from ..domain.tokens import new_id
from ..store import registry as store


def add_property(who: Identity, body: object) -> dict:
    who.require_admin()
    data = rules.PROPERTY.parse_body(body)
    from . import metering
    metering.check_room(who, "properties", len(store.list_properties(who.tenant_id)))
    prop = store.Property(new_id(), data["name"], data.get("address"))
    store.add_property(who.tenant_id, prop, datetime.now(timezone.utc))
    return _property(prop, [])


def list_properties(who: Identity) -> dict:
    return {"properties": [_property(p) for p in store.list_properties(who.tenant_id)]}


def get_property(who: Identity, property_id: str) -> dict:
    prop = store.get_property(who.tenant_id, property_id)
    return _property(prop, store.list_buildings(who.tenant_id, property_id))


def add_building(who: Identity, property_id: str, body: object) -> dict:
    who.require_admin()
    data = rules.BUILDING.parse_body(body)
    building = store.Building(property_id, new_id(), data["name"], False)
    store.add_building(who.tenant_id, building)
    return _building(building)


def list_units(who: Identity, property_id: str, building_id: str) -> dict:
    if not any(b.building_id == building_id for b in store.list_buildings(who.tenant_id, property_id)):
        from ..domain.errors import NotFound
        raise NotFound("No such building.")
    return {"units": [{"code": u.code, "floor": u.floor}
                      for u in store.list_units(who.tenant_id, property_id, building_id)]}


def add_unit(who: Identity, property_id: str, building_id: str, body: object) -> dict:
    who.require_admin()
    data = rules.UNIT.parse_body(body)
    store.add_unit(who.tenant_id, store.Unit(property_id, building_id, data["code"], data.get("floor")))
    return {"code": data["code"], "floor": data.get("floor")}


def import_units(who: Identity, property_id: str, csv_text: str = "", *, file: bytes | None = None,
                 kind: str = "csv") -> dict:
    """Every row is checked first; any bad row rejects the whole file (nothing written).
    Buildings are matched by name, case-insensitively, and created when new. The rows are
    pasted text, or an uploaded ``file`` of ``kind`` 'csv' or 'xlsx' (domain/register_files.py)."""
    who.require_admin()
    store.get_property(who.tenant_id, property_id)  # 404 before reading the file
    if file is not None:
        from ..domain.register_files import read_units
        rows = read_units(file, kind)
    else:
        rows = rules.parse_units_csv(csv_text)
    existing = {b.name.lower(): b for b in store.list_buildings(who.tenant_id, property_id)}
    new_buildings: dict[str, store.Building] = {}
    units = []
    for row in rows:
        key = row["building"].lower()
        building = existing.get(key) or new_buildings.get(key)
        if building is None:
            building = new_buildings[key] = store.Building(property_id, new_id(), row["building"], True)
        units.append(store.Unit(property_id, building.building_id, row["code"], row["floor"]))
    store.add_units(who.tenant_id, property_id, list(new_buildings.values()), units)
    return {"imported_units": len(units), "new_buildings": [b.name for b in new_buildings.values()]}


def _property(prop: store.Property, buildings: list[store.Building] | None = None) -> dict:
    view = {"id": prop.property_id, "name": prop.name, "address": prop.address, "service_phone": prop.service_phone}
    if buildings is not None:
        view["buildings"] = [_building(b) for b in buildings]
    return view


def _building(b: store.Building) -> dict:
    return {"id": b.building_id, "property_id": b.property_id, "name": b.name, "has_units": b.has_units}
