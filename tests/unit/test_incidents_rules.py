"""Incidents (domain/incidents.py), pure rules: which reports merge, which one leads, what
each action does to the incident and to its reports, and what staff are shown. Every
expected value is written out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import incidents
from chalicelib.domain.errors import InvalidInput, TransitionRefused
from chalicelib.domain.incidents import Incident
from chalicelib.domain.tickets import Actor, Ticket

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)
STAFF = Actor("staff", "s1", "Wang Wei")
A, B, C = "01ARZ3NDEKTSV4RRFFQ69G5FAA", "01ARZ3NDEKTSV4RRFFQ69G5FAB", "01ARZ3NDEKTSV4RRFFQ69G5FAC"


def report(id_: str, number: int, created: datetime = T0, *, status: str = "new", building: str = "B2",
           category: str = "lift", incident: dict | None = None, unit: str = "1203", version: int = 3) -> Ticket:
    return Ticket(id=id_, tenant_id="F", number=number, status=status, category=category, urgency="normal",
                  property_id="P", building_id=building, unit=unit, description="Lift stuck", created_at=created,
                  updated_at=created, version=version, incident=incident)


def refusal(error, call, *args):
    with pytest.raises(error) as refused:
        call(*args)
    return refused.value.message, refused.value.fields


# --- what staff send --------------------------------------------------------------------------

ONE_OF = {"type": "must be one of: merge, unmerge, acknowledge, update, resolve"}


@pytest.mark.parametrize("body", [None, [], {}, {"type": 3}, {"type": "close"}, {"type": "Merge"}])
def test_an_action_that_is_not_one_of_the_five_is_refused(body):
    assert refusal(InvalidInput, incidents.parse_event, body) == ("Say what to do with the incident.", ONE_OF)


def test_each_action_is_read_with_its_own_fields():
    assert incidents.parse_event({"type": "merge", "ticket_id": A}) == ("merge", {"ticket_id": A})
    assert incidents.parse_event({"type": "update", "body": " Engineer on site "}) == \
        ("update", {"body": "Engineer on site"})
    assert incidents.parse_event({"type": "acknowledge"})[0] == "acknowledge"
    _, fields = refusal(InvalidInput, incidents.parse_event, {"type": "update"})
    assert "body" in fields
    _, fields = refusal(InvalidInput, incidents.parse_event, {"type": "unmerge", "ticket_id": "12"})
    assert "ticket_id" in fields


# --- merging ------------------------------------------------------------------------------

def test_a_report_already_in_an_incident_or_no_longer_open_cannot_be_merged():
    merged_one = report(A, 7, incident={"id": "I1", "title": "Lift down", "lead": B})
    assert refusal(TransitionRefused, incidents.check_mergeable, merged_one) == (
        "Report #7 is already part of an incident.", {"ticket_id": "#7 is already merged into “Lift down”"})
    assert refusal(TransitionRefused, incidents.check_mergeable, report(A, 8, status="resolved"), "tickets[1]") == (
        "Report #8 is resolved; only open reports can be merged.",
        {"tickets[1]": "#8 is resolved; only open reports can be merged"})
    for status in ("new", "acknowledged", "assigned", "waiting"):
        assert incidents.check_mergeable(report(A, 9, status=status)) is None


def test_a_new_incident_is_led_by_its_earliest_report_and_holds_no_member_yet():
    later, earliest = report(A, 12, T0 + timedelta(minutes=5)), report(B, 15, T0)
    made = incidents.new("I1", "F", "Lift down", [later, earliest], NOW)
    assert made == Incident("I1", "F", "Lift down", B, [], "open", 0, NOW, NOW)
    # reported at the same second: the lower number leads
    tied = incidents.new("I2", "F", "Lift down", [report(A, 12), report(B, 11), report(C, 13)], NOW)
    assert tied.lead == B


def test_a_new_incident_refuses_a_report_listed_twice_or_one_that_cannot_merge():
    assert refusal(InvalidInput, incidents.new, "I1", "F", "Lift", [report(A, 1), report(A, 1)], NOW) == (
        "A report is listed twice.", {"tickets": "must not list the same report twice"})
    _, fields = refusal(TransitionRefused, incidents.new, "I1", "F", "Lift",
                        [report(A, 1), report(B, 2, status="closed")], NOW)
    assert fields == {"tickets[1]": "#2 is closed; only open reports can be merged"}


def incident(members=(), lead=A, status="open", version=4) -> Incident:
    return Incident("I1", "F", "Lift down", lead, [{"id": m, "number": n, "unit": "1203"} for m, n in members],
                    status, version, T0, T0)


def test_merging_marks_the_report_and_adds_it_with_the_leads_number_in_the_event():
    before = incident([(A, 12)])
    after_incident, after, event = incidents.merged(before, report(B, 15, version=3), STAFF, NOW, "E1")
    assert after_incident == Incident("I1", "F", "Lift down", A,
                                      [{"id": A, "number": 12, "unit": "1203"}, {"id": B, "number": 15, "unit": "1203"}],
                                      "open", 5, T0, NOW)
    assert (after.incident, after.version, after.updated_at) == ({"id": "I1", "title": "Lift down", "lead": A}, 4, NOW)
    assert (event.id, event.type, event.at, event.actor, event.public) == ("E1", "merged", NOW, STAFF, False)
    assert event.data == {"incident": "I1", "title": "Lift down", "lead_number": 12, "lead": False}


def test_the_lead_merged_first_names_itself_and_a_follower_before_its_lead_names_its_own_number():
    _, _, event = incidents.merged(incident(), report(A, 12), STAFF, NOW, "E1")
    assert event.data["lead_number"] == 12 and event.data["lead"] is True
    _, _, event = incidents.merged(incident([(C, 20)]), report(B, 15), STAFF, NOW, "E2")
    assert event.data["lead_number"] == 15 and event.data["lead"] is False


def test_a_resolved_or_full_incident_takes_no_more_reports():
    assert refusal(TransitionRefused, incidents.merged, incident(status="resolved"), report(B, 2), STAFF, NOW, "E") == (
        "A resolved incident takes no more reports.", {"ticket_id": "the incident is resolved; merge into a new one"})
    ids = [f"01ARZ3NDEKTSV4RRFFQ69G{n:04d}" for n in range(50)]
    full = incident([(i, n) for n, i in enumerate(ids)])
    assert refusal(TransitionRefused, incidents.merged, full, report(B, 99), STAFF, NOW, "E") == (
        "An incident holds at most 50 reports.", {"ticket_id": "the incident already holds 50 reports"})
    after_incident, _, _ = incidents.merged(incident([(i, n) for n, i in enumerate(ids[:49])]), report(B, 99),
                                            STAFF, NOW, "E")
    assert len(after_incident.members) == 50
    _, fields = refusal(TransitionRefused, incidents.merged, incident([(A, 1)]), report(B, 2, status="closed"),
                        STAFF, NOW, "E")
    assert fields == {"ticket_id": "#2 is closed; only open reports can be merged"}


# --- unmerging ----------------------------------------------------------------------------

MARK = {"id": "I1", "title": "Lift down", "lead": A}


def test_a_follower_leaves_with_its_own_report_back_and_the_incident_stays_open():
    after_incident, after, event = incidents.unmerged(incident([(A, 12), (B, 15)]), report(B, 15, incident=MARK),
                                                      STAFF, NOW, "E3")
    assert after_incident == Incident("I1", "F", "Lift down", A, [{"id": A, "number": 12, "unit": "1203"}],
                                      "open", 5, T0, NOW)
    assert (after.incident, after.version, after.updated_at) == (None, 4, NOW)
    assert (event.id, event.type, event.at, event.actor, event.public) == ("E3", "unmerged", NOW, STAFF, False)
    assert event.data == {"incident": "I1", "title": "Lift down"}


def test_the_lead_leaves_only_as_the_last_report_which_dissolves_the_incident():
    assert refusal(TransitionRefused, incidents.unmerged, incident([(A, 12), (B, 15)]), report(A, 12, incident=MARK),
                   STAFF, NOW, "E") == (
        "The lead report carries the incident's clock; unmerge the others first.",
        {"ticket_id": "is the lead report; it can leave only as the last report"})
    after_incident, after, _ = incidents.unmerged(incident([(A, 12)]), report(A, 12, incident=MARK), STAFF, NOW, "E")
    assert (after_incident.members, after_incident.status, after.incident) == ([], "dissolved", None)


@pytest.mark.parametrize("mark, members", [
    (None, [(A, 12), (B, 15)]),                                          # in no incident
    ({"id": "I9", "title": "Other", "lead": C}, [(A, 12), (B, 15)]),       # in another incident
    (MARK, [(A, 12)]),                                                   # marked, but not among the members
])
def test_a_report_outside_the_incident_cannot_be_unmerged(mark, members):
    assert refusal(TransitionRefused, incidents.unmerged, incident(members), report(B, 15, incident=mark),
                   STAFF, NOW, "E") == ("Report #15 is not part of this incident.",
                                        {"ticket_id": "#15 is not merged into this incident"})


# --- acting on the incident ------------------------------------------------------------------

def test_resolving_resolves_the_incident_and_other_actions_keep_its_status():
    assert incidents.after_action(incident(), "resolve", NOW) == Incident("I1", "F", "Lift down", A, [], "resolved",
                                                                          5, T0, NOW)
    for action in ("acknowledge", "update"):
        assert incidents.after_action(incident(), action, NOW) == Incident("I1", "F", "Lift down", A, [], "open",
                                                                           5, T0, NOW)


@pytest.mark.parametrize("status", ["resolved", "dissolved"])
def test_only_an_open_incident_can_be_acted_on(status):
    assert refusal(TransitionRefused, incidents.check_action, incident(status=status), "update") == (
        f"The incident is {status}.", {"type": f"not allowed while the incident is {status}"})


def test_an_open_incident_can_be_acted_on():
    assert incidents.check_action(incident(), "resolve") is None


def test_each_action_reaches_the_members_as_their_own_ticket_action():
    assert incidents.member_payload("update", {"body": "Engineer on site"}) == \
        ("comment", {"body": "Engineer on site", "visibility": "public"})
    assert incidents.member_payload("resolve", {"note": "Motor replaced"}) == ("resolve", {"note": "Motor replaced"})
    assert incidents.member_payload("acknowledge", {}) == ("acknowledge", {})


# --- what staff see ---------------------------------------------------------------------------

def test_the_view_marks_the_lead_and_adds_each_members_live_state_when_given():
    seen = incidents.view(incident([(A, 12), (B, 15)]))
    assert seen == {"id": "I1", "title": "Lift down", "status": "open", "version": 4, "lead": A,
                    "members": [{"id": A, "number": 12, "unit": "1203", "lead": True},
                                {"id": B, "number": 15, "unit": "1203", "lead": False}],
                    "created_at": "2026-12-05T08:00:00Z", "updated_at": "2026-12-05T08:00:00Z"}
    live = incidents.view(incident([(A, 12), (B, 15)]), {B: report(B, 15, status="assigned", version=6)})
    assert live["members"] == [{"id": A, "number": 12, "unit": "1203", "lead": True},
                               {"id": B, "number": 15, "unit": "1203", "lead": False, "status": "assigned",
                                "version": 6, "category": "lift", "building_id": "B2"}]
    undated = incidents.view(Incident("I1", "F", "Lift down", A))
    assert (undated["created_at"], undated["updated_at"], undated["members"]) == (None, None, [])


def test_suggestions_are_other_open_unmerged_reports_of_the_building_and_category_in_the_last_two_hours():
    mine = report(A, 1, NOW - timedelta(minutes=10))
    two_hours = report("S1", 2, NOW - timedelta(hours=2))                 # exactly two hours ago: in
    recent = report("S2", 3, NOW - timedelta(minutes=30))
    older = report("X1", 4, NOW - timedelta(hours=2, seconds=1))
    other_building = report("X2", 5, NOW, building="B3")
    other_category = report("X3", 6, NOW, category="water")
    closed = report("X4", 7, NOW, status="closed")
    merged_one = report("X5", 8, NOW, incident=MARK)
    found = incidents.suggestions(mine, [mine, two_hours, older, other_building, recent, other_category, closed,
                                         merged_one], NOW)
    assert [t.id for t in found] == ["S2", "S1"]  # newest first
