"""Inspection storage (domain/inspections.py).

    TENANT#<tid>   CHECKLIST#<pid>              the property's checklist (areas), version
    TENANT#<tid>   INSPECTION#<pid>#<month>     that month's inspection: the checklist's areas as
                                                they stood, every item's result, version
    TENANT#<tid>#SCORES   SCORE#<period>#…      the month's and quarter's inspection counters
                                                (store/scores.py)

Round trips: a checklist or an inspection is one GetItem; a property's inspections are one
key Query (``begins_with INSPECTION#<pid>#``, newest month last); saving a checklist is one
conditional PutItem; saving an inspection is one transaction: the inspection (conditional on
the version read) and the counters' difference, so the scores move exactly when it lands.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.operand import Path
from pynamodb.transactions import TransactWrite

from ..domain.errors import Conflict
from . import scores
from .items import cancel_reasons, connection, plain, plain_list
from .models import ChecklistItem, InspectionItem, tenant_pk


def checklist_sk(property_id: str) -> str:
    return f"CHECKLIST#{property_id}"


def inspection_sk(property_id: str, month: str) -> str:
    return f"INSPECTION#{property_id}#{month}"


def _conflict(what: str, version: int) -> Conflict:
    return Conflict(f"Someone else changed the {what} first. Reload it and try again.",
                    {"version": f"version {version} is no longer current"})


def get_checklist(tenant_id: str, property_id: str) -> tuple[dict | None, int]:
    """The property's checklist and its version; (None, 0) when it has none yet."""
    try:
        item = ChecklistItem.get(tenant_pk(tenant_id), checklist_sk(property_id), consistent_read=True)
    except DoesNotExist:
        return None, 0
    return {"areas": plain_list(item.areas)}, int(item.version or 0)


def save_checklist(tenant_id: str, property_id: str, checklist: dict, expected_version: int) -> int:
    """Save the whole checklist if nobody saved since ``expected_version``; the new version."""
    item = ChecklistItem(tenant_pk(tenant_id), checklist_sk(property_id), property_id=property_id,
                         areas=checklist["areas"], version=expected_version + 1)
    condition = ChecklistItem.pk.does_not_exist() if expected_version == 0 else \
        (ChecklistItem.version == expected_version)
    try:
        item.save(condition=condition)
    except PutError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            raise _conflict("checklist", expected_version) from error
        raise
    return expected_version + 1


def area_names(tenant_id: str) -> dict[str, dict]:
    """Every area key of the firm's checklists and its names (one key Query; the nightly review
    names the areas it sums). A key used by several properties takes the first one's names."""
    found: dict[str, dict] = {}
    for item in ChecklistItem.query(tenant_pk(tenant_id), ChecklistItem.sk.startswith("CHECKLIST#")):
        if isinstance(item, ChecklistItem):
            for area in plain_list(item.areas):
                found.setdefault(area["key"], area["name"])
    return found


def _inspection(item: InspectionItem) -> dict:
    return {"property_id": item.property_id, "month": item.month, "areas": plain_list(item.areas),
            "results": plain(item.results), "inspector": plain(item.inspector), "at": item.at.isoformat(),
            "version": int(item.version or 0)}


def get_inspection(tenant_id: str, property_id: str, month: str) -> dict | None:
    try:
        return _inspection(InspectionItem.get(tenant_pk(tenant_id), inspection_sk(property_id, month),
                                              consistent_read=True))
    except DoesNotExist:
        return None


def inspections_of(tenant_id: str, property_id: str) -> list[dict]:
    """The property's inspections, oldest month first (one key Query)."""
    found = InspectionItem.query(tenant_pk(tenant_id), InspectionItem.sk.startswith(f"INSPECTION#{property_id}#"))
    return [_inspection(item) for item in found if isinstance(item, InspectionItem)]


def save_inspection(tenant_id: str, inspection: dict, expected_version: int, deltas: dict, now: datetime) -> int:
    """Record the inspection and add ``deltas`` to the score counters, together or not at all.
    Conflict when someone saved since ``expected_version`` (0: nobody has saved one)."""
    item = InspectionItem(tenant_pk(tenant_id), inspection_sk(inspection["property_id"], inspection["month"]),
                          property_id=inspection["property_id"], month=inspection["month"],
                          areas=inspection["areas"], results=inspection["results"],
                          inspector=inspection["inspector"], at=now, version=expected_version + 1)
    condition = InspectionItem.pk.does_not_exist() if expected_version == 0 else \
        (InspectionItem.version == expected_version)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(item, condition=condition)
            scores.add_to(tenant_id, tx, deltas)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancel_reasons(error):
            raise _conflict("inspection", expected_version) from error
        raise
    return expected_version + 1


def link_ticket(tenant_id: str, property_id: str, month: str, item_key: str, ticket_id: str,
                expected_version: int) -> int:
    """Note the ticket opened for a failed item (a new version: a form still showing the old
    one answers 409 rather than dropping the link)."""
    item = InspectionItem(tenant_pk(tenant_id), inspection_sk(property_id, month))
    try:
        item.update(actions=[Path(["results", item_key, "ticket_id"]).set({"S": ticket_id}),
                             InspectionItem.version.set(expected_version + 1)],
                    condition=(InspectionItem.version == expected_version))
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            raise _conflict("inspection", expected_version) from error
        raise
    return expected_version + 1


def add_photo(tenant_id: str, property_id: str, month: str, item_key: str, photo: dict, expected_version: int) -> int:
    """Append a checked photo to a failed item's photos (a new version, like a ticket link)."""
    item = InspectionItem(tenant_pk(tenant_id), inspection_sk(property_id, month))
    try:
        item.update(actions=[Path(["results", item_key, "photos"]).set(
                                 Path(["results", item_key, "photos"]).append({"L": [{"M": _photo_value(photo)}]})),
                             InspectionItem.version.set(expected_version + 1)],
                    condition=(InspectionItem.version == expected_version))
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            raise _conflict("inspection", expected_version) from error
        raise
    return expected_version + 1


def _photo_value(photo: dict) -> dict:
    return {name: ({"N": str(value)} if isinstance(value, int) else {"S": str(value)}) for name, value in photo.items()}


__all__ = ["add_photo", "area_names", "get_checklist", "save_checklist", "get_inspection", "inspections_of", "save_inspection", "link_ticket",
           "checklist_sk", "inspection_sk"]
