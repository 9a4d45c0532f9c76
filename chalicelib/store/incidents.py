"""Incident storage (domain/incidents.py).

    TENANT#<tid>   INCIDENT#<incident id>   title, lead, members [{id, number, unit}], status, version

The incident is written, guarded by the version read, in the transaction of the ticket
change it goes with (``tickets.record_event(..., guarded=...)``): a merge or an unmerge
writes the incident, the report (its ``incident`` mark, its watch, its score counters)
and the report's timeline event at once, and a stale ``If-Match`` writes nothing.

Suggestions ("other open reports: same building, same category, last 2 hours") are one
Query of the open queue (the sparse ``queue`` index's ``…#QUEUE#open`` partition),
filtered by building, category and report time: it reads the firm's open reports, never
its history.

Round trips: ``get`` = 1 GetItem; ``similar_open`` = 1 Query.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from ..domain.errors import NotFound
from ..domain.incidents import Incident
from ..domain.tickets import Ticket
from .items import plain_list, ticket_from_item
from .models import IncidentItem, Item, TicketItem, tenant_pk


def incident_sk(incident_id: str) -> str:
    return f"INCIDENT#{incident_id}"


def item(incident: Incident) -> IncidentItem:
    return IncidentItem(tenant_pk(incident.tenant_id), incident_sk(incident.id), incident_id=incident.id,
                        title=incident.title, lead=incident.lead, members=list(incident.members),
                        status=incident.status, version=incident.version, created_at=incident.created_at,
                        updated_at=incident.updated_at)


def guarded(before: Incident, after: Incident) -> tuple[IncidentItem, object]:
    """The incident to put with a ticket change, only if it is still at the version read
    (a new one, version 0 before, only if absent)."""
    if before.version == 0:
        return item(after), IncidentItem.pk.does_not_exist()
    return item(after), IncidentItem.version == before.version


def get(tenant_id: str, incident_id: str) -> Incident:
    """The incident; NotFound if absent (or another tenant's)."""
    try:
        found = IncidentItem.get(tenant_pk(tenant_id), incident_sk(incident_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such incident.") from None
    return Incident(found.incident_id, tenant_id, found.title, found.lead,
                    [{"id": m["id"], "number": int(m["number"]), "unit": m["unit"]} for m in plain_list(found.members)],
                    found.status, int(found.version), found.created_at, found.updated_at)


def similar_open(tenant_id: str, building_id: str, category: str, since: datetime) -> list[Ticket]:
    """Open reports of this building and category reported since ``since`` (one Query)."""
    condition = (TicketItem.building_id == building_id) & (TicketItem.category == category) \
        & (TicketItem.created_at >= since)
    return [ticket_from_item(tenant_id, found)
            for found in Item.queue.query(f"{tenant_pk(tenant_id)}#QUEUE#open", filter_condition=condition)
            if isinstance(found, TicketItem)]
