"""The property register: properties, buildings, units, keyed under the tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.errors import Conflict, NotFound
from ..domain.registry import unit_key
from .models import BuildingItem, PropertyItem, UnitItem, tenant_pk
from .tickets import building_sk, property_sk, unit_sk
from .items import cancel_reasons, connection


@dataclass(frozen=True)
class Property:
    property_id: str
    name: str
    address: str | None
    service_phone: str | None = None  # the property's own service desk (over the firm's)


@dataclass(frozen=True)
class Building:
    property_id: str
    building_id: str
    name: str
    has_units: bool


@dataclass(frozen=True)
class Unit:
    property_id: str
    building_id: str
    code: str
    floor: int | None


def add_property(tenant_id: str, prop: Property, now: datetime) -> None:
    PropertyItem(tenant_pk(tenant_id), property_sk(prop.property_id), property_id=prop.property_id, name=prop.name,
                 address=prop.address, created_at=now).save(condition=PropertyItem.pk.does_not_exist())


def get_property(tenant_id: str, property_id: str) -> Property:
    try:
        item = PropertyItem.get(tenant_pk(tenant_id), property_sk(property_id))
    except DoesNotExist:
        raise NotFound("No such property.") from None
    return Property(item.property_id, item.name, item.address, item.service_phone)


def set_service_phone(tenant_id: str, property_id: str, phone: str | None) -> None:
    """Set (or clear, with None) a property's service phone; NotFound for another firm's."""
    from pynamodb.exceptions import UpdateError
    item = PropertyItem(tenant_pk(tenant_id), property_sk(property_id))
    action = PropertyItem.service_phone.set(phone) if phone else PropertyItem.service_phone.remove()
    try:
        item.update(actions=[action], condition=PropertyItem.pk.exists())
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            raise NotFound("No such property.") from None
        raise


def list_properties(tenant_id: str) -> list[Property]:
    return [Property(i.property_id, i.name, i.address, i.service_phone)
            for i in PropertyItem.query(tenant_pk(tenant_id), PropertyItem.sk.startswith("PROPERTY#"))]


def list_buildings(tenant_id: str, property_id: str) -> list[Building]:
    return [Building(i.property_id, i.building_id, i.name, bool(i.has_units))
            for i in BuildingItem.query(tenant_pk(tenant_id), BuildingItem.sk.startswith(f"BUILDING#{property_id}#"))]


def all_buildings(tenant_id: str) -> list[Building]:
    """Every building of the firm, whatever its property (one Query)."""
    return [Building(i.property_id, i.building_id, i.name, bool(i.has_units))
            for i in BuildingItem.query(tenant_pk(tenant_id), BuildingItem.sk.startswith("BUILDING#"))]


def add_building(tenant_id: str, building: Building) -> None:
    """Add a building to an existing property (checked in the same transaction)."""
    pk = tenant_pk(tenant_id)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.condition_check(PropertyItem, pk, property_sk(building.property_id),
                               condition=PropertyItem.pk.exists())
            tx.save(BuildingItem(pk, building_sk(building.property_id, building.building_id),
                                 property_id=building.property_id, building_id=building.building_id,
                                 name=building.name, name_key=building.name.lower(), has_units=False),
                    condition=BuildingItem.pk.does_not_exist())
    except TransactWriteError as error:
        if cancel_reasons(error)[:1] == ["ConditionalCheckFailed"]:
            raise NotFound("No such property.") from error
        raise


def add_units(tenant_id: str, property_id: str, new_buildings: list[Building], units: list[Unit]) -> None:
    """Write buildings and units in batches (idempotent: re-importing a unit overwrites it)."""
    pk = tenant_pk(tenant_id)
    touched = {u.building_id for u in units}
    with BuildingItem.batch_write() as batch:
        for b in new_buildings:
            batch.save(BuildingItem(pk, building_sk(property_id, b.building_id), property_id=property_id,
                                    building_id=b.building_id, name=b.name, name_key=b.name.lower(),
                                    has_units=b.building_id in touched))
    with UnitItem.batch_write() as batch:
        for u in units:
            batch.save(UnitItem(pk, unit_sk(property_id, u.building_id, u.code), property_id=property_id,
                                building_id=u.building_id, code=u.code, floor=u.floor))
    existing = touched - {b.building_id for b in new_buildings}
    for building_id in existing:
        BuildingItem(pk, building_sk(property_id, building_id)).update(
            actions=[BuildingItem.has_units.set(True)], condition=BuildingItem.pk.exists())


def add_unit(tenant_id: str, unit: Unit) -> None:
    pk = tenant_pk(tenant_id)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(BuildingItem(pk, building_sk(unit.property_id, unit.building_id)),
                      actions=[BuildingItem.has_units.set(True)], condition=BuildingItem.pk.exists())
            tx.save(UnitItem(pk, unit_sk(unit.property_id, unit.building_id, unit.code),
                             property_id=unit.property_id, building_id=unit.building_id, code=unit.code,
                             floor=unit.floor), condition=UnitItem.pk.does_not_exist())
    except TransactWriteError as error:
        reasons = cancel_reasons(error)  # item 0: the unit (a put), item 1: the building (an update)
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise NotFound("No such building.") from error
        if reasons[:1] == ["ConditionalCheckFailed"]:
            raise Conflict("That unit is already registered.", {"code": "is already in this building"}) from error
        raise


def list_units(tenant_id: str, property_id: str, building_id: str) -> list[Unit]:
    return [Unit(i.property_id, i.building_id, i.code, int(i.floor) if i.floor is not None else None)
            for i in UnitItem.query(tenant_pk(tenant_id), UnitItem.sk.startswith(f"UNIT#{property_id}#{building_id}#"))]


__all__ = ["Property", "Building", "Unit", "add_property", "get_property", "list_properties", "add_building",
           "list_buildings", "add_units", "add_unit", "list_units", "unit_key", "PutError"]


def count_units(tenant_id: str) -> int:
    """How many homes the register holds: one Query that only counts (``Select=COUNT``: no unit
    is read back; a further page per 1 MB of unit items, some thousands of homes)."""
    return UnitItem.count(tenant_pk(tenant_id), UnitItem.sk.startswith("UNIT#"))
