"""The API's ticket search mirrors the console's queue search: by number (one GetItem), unit
or the last 4 digits of the phone (one Query each, newest first); what was typed is read or
refused naming the field, and another firm's tickets are never found."""

from __future__ import annotations

import pytest

from tests.console.conftest import dynamo_calls
from tests.support import body


def submitted(firm, unit: str, phone: str) -> dict:
    answer = body(firm.submit(firm.report(unit=unit, contact={"name": "Li Na", "phone": phone})))
    return next(t for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]
                if t["number"] == answer["ticket"]["number"])


def test_find_by_number_unit_and_phone_each_in_one_round_trip(client, firm):
    older = submitted(firm, "1203", "+86 138 0013 8000")
    newer = submitted(firm, "1203", "+86 139 5555 1234")
    other_unit = submitted(firm, "1204", "+86 137 0000 8000")
    firm.call("GET", "/api/search/tickets?by=unit&q=1203")  # the person's standing, cached for the counts
    cases = [(f"by=number&q=%23{newer['number']}", None, newer["id"]),
             ("by=unit&q=1203", [newer["id"], older["id"]], None),
             ("by=unit&q=%201203%20", [newer["id"], older["id"]], None),  # spaces around it do not matter
             ("by=phone&q=8000", [other_unit["id"], older["id"]], None),
             ("by=phone&q=1234", [newer["id"]], None),
             ("by=number&q=99999", [], None)]
    for query, ids, ticket_id in cases:
        with dynamo_calls() as calls:
            answer = firm.call("GET", f"/api/search/tickets?{query}")
        assert answer.status_code == 200, (query, answer.body)
        found = body(answer)
        assert [t["id"] for t in found["tickets"]] == (ids or []), query
        assert found["ticket_id"] == ticket_id, query
        assert sum(calls.values()) == 1 and set(calls) <= {"GetItem", "Query"}, (query, calls)


@pytest.mark.parametrize("query, field", [
    ("by=phone&q=12", "q"), ("by=phone&q=12345", "q"), ("by=number&q=12a", "q"), ("by=unit&q=%3Cscript%3E", "q"),
    ("by=name&q=Li", "by"), ("by=unit", "q"), ("by=unit&q=" + "9" * 41, "q"), ("by=number&q=%00", "q"),
])
def test_unreadable_searches_are_refused_naming_the_field(client, firm, query, field):
    answer = firm.call("GET", f"/api/search/tickets?{query}")
    assert answer.status_code == 422, (query, answer.body)
    assert field in body(answer)["error"]["fields"], (query, body(answer))


def test_another_firm_finds_none_of_ours_by_any_way(client, firm, other_firm):
    ours = submitted(firm, "1203", "+86 138 0013 4321")
    for query in (f"by=number&q={ours['number']}", "by=unit&q=1203", "by=phone&q=4321"):
        found = body(other_firm.call("GET", f"/api/search/tickets?{query}"))
        assert ours["id"] not in str(found), query
    assert client.http.get("/api/search/tickets?by=unit&q=1203").status_code == 401
