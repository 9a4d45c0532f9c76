"""Staff routes for incidents: several reports of one fault merged and answered as one."""

from __future__ import annotations

from chalice import Blueprint

from ..domain.fields import Choice, Shape
from ..observability import metrics
from .http import Call, Later, endpoint, lazy

service = lazy("chalicelib.services.incidents")
rules = lazy("chalicelib.domain.incidents")

bp = Blueprint(__name__)


def event_shape() -> Shape:
    """What POST /api/incidents/{id}/events documents: the type plus each action's fields."""
    return Shape(fields={"type": Choice(options=tuple(rules.ACTIONS))} | {
        name: spec for shape in rules.EVENT_SHAPES.values() for name, spec in shape.fields.items()
        if name != "note"} | {"note": rules.EVENT_SHAPES["acknowledge"].fields["note"]},
        description="type plus that action's fields: merge/unmerge ticket_id, update body, resolve note (required)")

INCIDENT_ID = "$response.body#/id"
ETAG = "$response.header.ETag"
ACT = {"operationId": "post_api_incidents_incident_id_events",
       "parameters": {"incident_id": INCIDENT_ID, "header.If-Match": ETAG},
       "description": "merge, unmerge, or act on every report, with the version just read"}


def _etag(view: dict) -> dict:
    return {"ETag": f'"{view["version"]}"'}


@endpoint(bp, "/api/incidents", "POST", summary="Merge reports of one fault into an incident", tags=["incidents"],
          request=Later(lambda: rules.CREATE), responses={201: "incident created; ETag is its version", 404: "no such ticket",
                                           409: "a report is closed or already merged", 422: "invalid fields"},
          links={"ActOnIncident": ACT})
def create_incident(call: Call):
    view = service.create(call.who, call.json())
    metrics.count("IncidentCreated")
    return 201, view, _etag(view)


@endpoint(bp, "/api/incidents/{incident_id}", "GET", summary="An incident and its reports", tags=["incidents"],
          responses={200: "the incident; ETag is its version", 404: "no such incident"},
          links={"ActOnIncident": {**ACT, "parameters": {"incident_id": "$request.path.incident_id",
                                                         "header.If-Match": ETAG}}})
def get_incident(call: Call, incident_id: str):
    view = service.read(call.who, incident_id)
    return 200, view, _etag(view)


@endpoint(bp, "/api/incidents/{incident_id}/events", "POST",
          summary="Merge or unmerge a report; acknowledge, update or resolve every report (each reporter is told)",
          tags=["incidents"], request=Later(event_shape), headers=["If-Match"],
          responses={200: "done; ETag is the incident's new version", 404: "no such incident or ticket",
                     409: "stale version or not allowed now", 422: "invalid fields", 428: "If-Match missing"})
def act_on_incident(call: Call, incident_id: str):
    view = service.act(call.who, incident_id, call.json(), call.header("if-match"))
    metrics.count("IncidentEvent")
    return 200, view, _etag(view)


@endpoint(bp, "/api/tickets/{ticket_id}/similar", "GET",
          summary="Other open reports like this one: same building, same category, the last 2 hours",
          tags=["incidents"], responses={200: "the reports, newest first", 404: "no such ticket"})
def similar_tickets(call: Call, ticket_id: str):
    return service.similar(call.who, ticket_id)
