"""Monthly quality inspections (services/inspections.py): admins keep each property's
checklist; staff record a month's inspection and open a ticket for a failed item; anyone
signed in reads them. A property or month of another firm answers 404."""

from __future__ import annotations

from chalice import Blueprint

from ..domain.fields import Shape, Text
from .http import Call, endpoint, lazy

service = lazy("chalicelib.services.inspections")

bp = Blueprint(__name__)

NAMES = {"type": "object", "properties": {"zh-CN": {"type": "string", "maxLength": 120},
                                          "en": {"type": "string", "maxLength": 120}},
         "required": ["zh-CN", "en"]}
KEY = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}
VERSION = {"type": "integer", "minimum": 0, "description": "the version you read (0: none saved yet)"}
CHECKLIST = {"type": "object", "required": ["areas", "version"], "properties": {
    "version": VERSION,
    "areas": {"type": "array", "minItems": 1, "maxItems": 20, "items": {
        "type": "object", "required": ["key", "name", "items"], "properties": {
            "key": KEY, "name": NAMES,
            "items": {"type": "array", "minItems": 1, "maxItems": 50, "items": {
                "type": "object", "required": ["key", "name"], "properties": {"key": KEY, "name": NAMES}}}}}}}}
RESULTS = {"type": "object", "required": ["results", "version"], "properties": {
    "version": VERSION,
    "results": {"type": "object", "description": "every item of the checklist by its key",
                "additionalProperties": {"type": "object", "required": ["passed"], "properties": {
                    "passed": {"type": "boolean"},
                    "note": {"type": "string", "maxLength": 1000, "description": "required when failed"}}}}}}
TICKET = {"type": "object", "required": ["version"], "properties": {
    "version": VERSION,
    "building_id": {"type": "string", "maxLength": 26, "description": "default: the property's first building"},
    "category": {"type": "string", "maxLength": 40, "description": "default: the standards' first category"},
    "urgency": {"type": "string", "maxLength": 40, "description": "default: normal"}}}
MONTH_QUERY = Shape(fields={"month": Text(required=False, max_len=8, pattern=r"M\d{4}-\d{2}",
                                          pattern_reason="must be a month like M2026-11")})


@endpoint(bp, "/api/properties/{property_id}/checklist", "GET", summary="A property's inspection checklist",
          tags=["inspections"], responses={200: "the checklist (the starter one at version 0 if none is saved)",
                                           404: "no such property"})
def get_checklist(call: Call, property_id: str) -> dict:
    return service.checklist(call.who, property_id)


@endpoint(bp, "/api/properties/{property_id}/checklist", "PUT", admin=True,
          summary="Replace a property's inspection checklist (areas x items, names in both languages)",
          tags=["inspections"], schema=CHECKLIST,
          responses={200: "saved, with its new version", 404: "no such property",
                     409: "someone saved another version first", 422: "every problem by its place; nothing saved"})
def put_checklist(call: Call, property_id: str) -> dict:
    return service.save_checklist(call.who, property_id, call.json())


@endpoint(bp, "/api/properties/{property_id}/inspections", "GET",
          summary="A property's monthly inspections (?month=M2026-11 for one month)", tags=["inspections"],
          query=MONTH_QUERY,
          responses={200: "inspections, oldest month first, each with its tallies", 404: "no such property",
                     422: "the month is not a month"})
def list_inspections(call: Call, property_id: str) -> dict:
    return service.inspections(call.who, property_id, call.query.get("month"))


@endpoint(bp, "/api/properties/{property_id}/inspections/{month}", "GET",
          summary="A property's inspection of one month", tags=["inspections"],
          responses={200: "the inspection with passed items per area", 404: "no such property or inspection",
                     422: "the month is not a month"})
def get_inspection(call: Call, property_id: str, month: str) -> dict:
    return service.inspection(call.who, property_id, month)


@endpoint(bp, "/api/properties/{property_id}/inspections/{month}", "PUT",
          summary="Record (or correct) a property's inspection of a month: every item passed or failed, "
                  "a note for each failure", tags=["inspections"], schema=RESULTS,
          responses={200: "saved; the month's scores moved with it", 404: "no such property",
                     409: "someone saved this inspection first", 422: "every problem by its item; nothing saved"})
def put_inspection(call: Call, property_id: str, month: str) -> dict:
    return service.record(call.who, property_id, month, call.json())


@endpoint(bp, "/api/properties/{property_id}/inspections/{month}/items/{item_key}/ticket", "POST",
          summary="Open a ticket for a failed item (once; again answers the same ticket)", tags=["inspections"],
          schema=TICKET, responses={200: "the item's ticket, already opened", 201: "the ticket opened",
                                    404: "no such property, inspection or item",
                                    409: "someone saved this inspection first",
                                    422: "the item passed, or a field is wrong"})
def open_ticket(call: Call, property_id: str, month: str, item_key: str):
    answer = service.open_ticket(call.who, property_id, month, item_key, call.json())
    return (201 if answer["created"] else 200), answer
