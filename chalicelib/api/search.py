"""Staff search over the API, as the console's queue search: a ticket by its number, its unit
or the last 4 digits of the resident's phone, one key lookup each (services/search.py)."""

from __future__ import annotations

from functools import cache

from chalice import Blueprint

from ..domain.fields import Choice, Shape, Text
from .http import Call, Later, endpoint, lazy

service = lazy("chalicelib.services.search")

bp = Blueprint(__name__)
rules = lazy("chalicelib.domain.search")


@cache
def query_shape() -> Shape:
    return Shape(fields={
        "by": Choice(options=rules.WAYS, required=False, default="number",
                     description="number (one GetItem: the ticket's id), unit or phone (its last 4 digits: one Query "
                                 "of an index, newest first)"),
        "q": Text(max_len=40, description="what was typed: 1024, 1203 or 8000"),
    })


@endpoint(bp, "/api/search/tickets", "GET", summary="Find tickets by number, unit or the phone's last 4 digits",
          tags=["tickets"], query=Later(query_shape),
          responses={200: "by number: ticket_id (null: none); by unit or phone: tickets, newest first",
                     422: "q or by not readable"})
def search_tickets(call: Call) -> dict:
    query = query_shape().parse_body(call.query)
    found = service.find(call.who, query["by"], query["q"])
    return {"by": query["by"], "ticket_id": found.get("ticket_id"), "tickets": found.get("tickets") or []}
