"""Resolving says what was done: the resident reads it, so the API refuses a resolve
without a note, as the console does, naming the field and changing nothing."""

from __future__ import annotations

import pytest

from tests.support import body


@pytest.mark.parametrize("payload", [{"type": "resolve"}, {"type": "resolve", "note": ""},
                                     {"type": "resolve", "note": "   \n\t "}, {"type": "resolve", "note": None}])
def test_a_resolve_without_a_note_is_refused_naming_the_note(client, firm, payload):
    ticket = firm.new_ticket()
    refused = firm.event(ticket["id"], ticket["version"], payload)
    assert refused.status_code == 422, refused.body
    assert body(refused)["error"]["fields"] == {"note": "is required"}
    after = body(firm.call("GET", f"/api/tickets/{ticket['id']}"))
    assert (after["status"], after["version"]) == ("new", ticket["version"])  # nothing written


def test_a_resolve_with_a_note_is_recorded_and_shown_to_the_resident(client, firm):
    answer = body(firm.submit())
    token = answer["ticket"]["tracking_token"]
    ticket = next(t for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]
                  if t["number"] == answer["ticket"]["number"])
    done = firm.event(ticket["id"], ticket["version"], {"type": "resolve", "note": "  Replaced the washer. "})
    assert done.status_code == 201, done.body
    page = body(firm.client.http.get(f"/t/{token}", headers={"Accept": "application/json"}))
    assert [e.get("note") for e in page["timeline"] if e["type"] == "resolved"] == ["Replaced the washer."]


def test_the_openapi_document_says_the_note_is_required(client):
    document = body(client.http.get("/openapi.json"))
    schema = document["paths"]["/api/tickets/{ticket_id}/events"]["post"]["requestBody"]["content"]
    variants = schema["application/json"]["schema"]["oneOf"]
    resolve = next(v for v in variants if v["title"] == "resolve")
    assert "note" in resolve["required"]
