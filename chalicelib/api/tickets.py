"""Staff routes: the queue, reading a ticket, acting on it."""

from __future__ import annotations

from chalice import Blueprint

from ..domain import tickets as rules
from ..domain.fields import Choice, Shape, Text
from ..observability import metrics
from .http import Call, endpoint, lazy

service = lazy("chalicelib.services.tickets")

bp = Blueprint(__name__)

QUEUE_QUERY = Shape(fields={
    "status": Choice(options=rules.STATES, required=False),
    "category": Text(required=False),
    "property_id": Text(required=False),
    "assignee": Text(required=False, description="a staff id, 'me' or 'none'"),
    "limit": Text(required=False, description="1-100, default 25"),
    "cursor": Text(required=False, description="next_cursor of the previous page"),
})
EVENT = Shape(fields={"type": Choice(options=rules.ACTIONS)} | {
    name: spec for shape in rules.EVENT_SHAPES.values() for name, spec in shape.fields.items()
} | {"note": Text(required=False, max_len=2000)}, description="type plus that event's fields")
CHANGE = Shape(fields={"category": Text(required=False), "urgency": Text(required=False)})


def event_schema() -> dict:
    """One schema per event type, each with only its own fields required (for /openapi.json)."""
    note = Text(required=False, max_len=2000).schema()
    variants = []
    for action in rules.ACTIONS:
        shape = rules.EVENT_SHAPES[action]
        properties = {"type": {"type": "string", "enum": [action]}, "note": note,
                      **{name: spec.schema() for name, spec in shape.fields.items()}}
        variants.append({"type": "object", "title": action, "additionalProperties": False, "properties": properties,
                         "required": ["type", *[name for name, spec in shape.fields.items() if spec.required]]})
    return {"oneOf": variants, "discriminator": {"propertyName": "type"}}


TICKET_ID = "$response.body#/id"
ETAG = "$response.header.ETag"
READ_TICKET = {"operationId": "get_api_tickets_ticket_id", "parameters": {"ticket_id": TICKET_ID},
               "description": "read the ticket"}
ACT = {"operationId": "post_api_tickets_ticket_id_events",
       "parameters": {"ticket_id": TICKET_ID, "header.If-Match": ETAG},
       "description": "act on it, with the version just read"}
RECLASSIFY = {"operationId": "patch_api_tickets_ticket_id",
              "parameters": {"ticket_id": TICKET_ID, "header.If-Match": ETAG},
              "description": "re-classify it, with the version just read"}
LIFECYCLE = {"ReadTicket": READ_TICKET, "ActOnTicket": ACT, "ReclassifyTicket": RECLASSIFY}


def _etag(view: dict) -> dict:
    return {"ETag": f'"{view["version"]}"'}


@endpoint(bp, "/api/tickets", "GET", summary="The queue, next deadline first", tags=["tickets"], query=QUEUE_QUERY,
          responses={200: "a page of tickets and next_cursor"})
def list_tickets(call: Call) -> dict:
    return service.queue(call.who, call.query)


@endpoint(bp, "/api/tickets", "POST", summary="Log a ticket taken by phone or at the desk", tags=["tickets"],
          request=rules.intake_shape(staff=True), responses={201: "ticket created", 422: "invalid fields"},
          links=LIFECYCLE)
def create_ticket(call: Call):
    view = service.create_by_staff(call.who, call.json())
    metrics.count("TicketCreated")
    return 201, view, _etag(view)


@endpoint(bp, "/api/tickets/{ticket_id}", "GET", summary="A ticket with its whole timeline", tags=["tickets"],
          responses={200: "the ticket; ETag is its version", 404: "no such ticket"},
          links={"ActOnTicket": ACT, "ReclassifyTicket": RECLASSIFY})
def get_ticket(call: Call, ticket_id: str):
    view = service.read(call.who, ticket_id)
    return 200, view, _etag(view)


@endpoint(bp, "/api/tickets/{ticket_id}", "PATCH", summary="Re-classify (category, urgency)", tags=["tickets"],
          request=CHANGE, headers=["If-Match"],
          responses={200: "changed", 404: "no such ticket", 409: "stale version", 428: "If-Match missing"},
          links={"ReadTicket": READ_TICKET, "ActOnTicket": ACT})
def change_ticket(call: Call, ticket_id: str):
    view = service.change(call.who, ticket_id, call.json(), call.header("if-match"))
    metrics.count("TicketReclassified")
    return 200, view, _etag(view)


@endpoint(bp, "/api/tickets/{ticket_id}/events", "POST",
          summary="Act on a ticket: acknowledge, assign, comment, wait, resolve, reopen, close", tags=["tickets"],
          request=EVENT, schema=event_schema(), headers=["If-Match"],
          responses={201: "recorded", 404: "no such ticket", 409: "stale version or not allowed in this state",
                     422: "invalid fields", 428: "If-Match missing"},
          links={"ReadTicket": {**READ_TICKET, "parameters": {"ticket_id": "$request.path.ticket_id"}},
                 "ActAgain": {**ACT, "parameters": {"ticket_id": "$request.path.ticket_id", "header.If-Match": ETAG}}})
def add_event(call: Call, ticket_id: str):
    view = service.record_event(call.who, ticket_id, call.json(), call.header("if-match"))
    metrics.count(f"TicketEvent_{view['event']['type']}")
    return 201, view, _etag(view)
