"""Retention rules (pure): when a closed ticket's personal data is due for erasure, and what
erasure leaves. Expected times are the close plus the days, counted by hand."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from chalicelib.domain import retention as rules
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.tickets import Actor, Event, Ticket

CLOSED = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
DEFAULTS = {"contact_days": 180, "photo_days": 365}


def a_ticket(**changes) -> Ticket:
    ticket = Ticket(id="T1", tenant_id="X", number=7, status="closed", category="repairs", urgency="normal",
                    property_id="P", building_id="B", unit="1203", description="Tap drips", version=5,
                    created_at=datetime(2026, 2, 20, tzinfo=timezone.utc), updated_at=CLOSED, closed_at=CLOSED,
                    resolved_at=datetime(2026, 2, 25, tzinfo=timezone.utc),
                    contact={"name": "Li Na", "phone": "+8613800138000", "notify": "sms"},
                    entry={"present": False, "windows": [{"days": ["sat"], "from": "09:00", "to": "12:00"}],
                           "pets": "a cat"},
                    photos=[{"id": "U1", "type": "image/png", "bytes": 90}], survey={"rating": 4})
    return dataclasses.replace(ticket, **changes)


def test_a_closed_ticket_is_due_180_days_after_close_for_contact_and_365_for_photos():
    steps = rules.steps(a_ticket(), DEFAULTS)
    # 2026-03-01 + 180 days = 2026-08-28; + 365 days = 2027-03-01
    assert [(s.kind, s.at) for s in steps] == [
        ("contact", datetime(2026, 8, 28, 8, 0, tzinfo=timezone.utc)),
        ("photos", datetime(2027, 3, 1, 8, 0, tzinfo=timezone.utc))]
    assert all(s.promise == "retention" for s in steps)


def test_a_firms_own_periods_move_the_steps():
    settings = rules.settings_of({"retention": {"contact_days": 30, "photo_days": 60}})
    assert [s.at.date().isoformat() for s in rules.steps(a_ticket(), settings)] == ["2026-03-31", "2026-04-30"]


@pytest.mark.parametrize("status", ["new", "acknowledged", "assigned", "waiting", "resolved"])
def test_nothing_is_planned_before_the_ticket_is_closed(status):
    assert rules.steps(a_ticket(status=status, closed_at=None), DEFAULTS) == []


def test_only_what_is_still_held_is_planned():
    assert [s.kind for s in rules.steps(a_ticket(photos=[]), DEFAULTS)] == ["contact"]
    assert [s.kind for s in rules.steps(a_ticket(contact={}, entry={}), DEFAULTS)] == ["photos"]
    assert rules.steps(a_ticket(contact={}, entry={}, photos=[]), DEFAULTS) == []


def test_a_step_applies_only_to_the_close_it_was_planned_for():
    contact_step = rules.steps(a_ticket(), DEFAULTS)[0]
    assert rules.still_due(a_ticket(), contact_step)
    assert not rules.still_due(a_ticket(closed_at=datetime(2026, 4, 1, tzinfo=timezone.utc)), contact_step)
    assert not rules.still_due(a_ticket(contact={}, entry={}), contact_step)  # done already


def test_erasing_the_contact_keeps_every_fact():
    before = a_ticket()
    after, event = rules.erase(before, rules.CONTACT, datetime(2026, 8, 28, 8, 1, tzinfo=timezone.utc), "E1")
    assert after.contact == {} and after.entry == {}
    assert after.version == 6 and event.type == "retention_contact_erased" and event.public is False  # a BooleanAttribute: never None
    assert event.actor.kind == "system" and event.data == {}
    kept = [f.name for f in dataclasses.fields(Ticket) if f.name not in ("contact", "entry", "version", "updated_at")]
    assert {n: getattr(after, n) for n in kept} == {n: getattr(before, n) for n in kept}


def test_erasing_photos_says_how_many():
    after, event = rules.erase(a_ticket(), rules.PHOTOS, datetime(2027, 3, 1, 9, tzinfo=timezone.utc), "E2")
    assert after.photos == [] and after.contact["name"] == "Li Na"
    assert event.type == "retention_photos_erased" and event.data == {"count": 1}


def test_the_defaults_fill_what_a_firm_has_not_set():
    assert rules.settings_of(None) == DEFAULTS
    assert rules.settings_of({"service_phone": "400"}) == DEFAULTS
    page = rules.with_settings({"service_phone": "400"}, {"contact_days": 90, "photo_days": 200})
    assert page == {"service_phone": "400", "retention": {"contact_days": 90, "photo_days": 200}}


def test_periods_must_be_whole_days_within_ten_years():
    with pytest.raises(InvalidInput) as refused:
        rules.SETTINGS_SHAPE.parse_body({"contact_days": 0, "photo_days": 3651})
    assert refused.value.fields == {"contact_days": "must be between 1 and 3650",
                                    "photo_days": "must be between 1 and 3650"}


def test_the_console_timeline_says_each_erasure_in_words_in_both_languages():
    from chalicelib import web
    from chalicelib.api.console.timeline import EVENT_LABELS
    assert EVENT_LABELS["retention_contact_erased"] == \
        "Contact details and entry notes removed under the retention policy"
    assert web.gettext("zh-CN", EVENT_LABELS["retention_contact_erased"], console=True) == "已按保存期限删除联系方式和入户说明"
    assert web.gettext("zh-CN", EVENT_LABELS["retention_photos_erased"], console=True) == "已按保存期限删除照片"


def test_each_step_is_keyed_by_the_close_and_what_it_erases_and_due_when_planned():
    contact, photos = rules.steps(a_ticket(), DEFAULTS)
    assert contact.as_dict() == {"key": "retention:2026-03-01T08:00:00Z:contact", "promise": "retention",
                                 "kind": "contact", "at": "2026-08-28T08:00:00Z", "due": "2026-08-28T08:00:00Z"}
    assert photos.key == "retention:2026-03-01T08:00:00Z:photos" and photos.due == photos.at


def test_entry_notes_alone_are_still_contact_data_to_erase():
    steps = rules.steps(a_ticket(contact={}, photos=[]), DEFAULTS)
    assert [s.kind for s in steps] == ["contact"]
    assert rules.still_due(a_ticket(contact={}, photos=[]), steps[0])
    assert rules.holds_contact(a_ticket(entry={})) and not rules.holds_contact(a_ticket(contact={}, entry={}))


def test_a_closed_ticket_without_its_close_time_plans_nothing():
    assert rules.steps(a_ticket(closed_at=None), DEFAULTS) == []


def test_a_step_no_longer_applies_once_reopened_or_when_it_is_not_a_retention_step():
    contact_step, photo_step = rules.steps(a_ticket(), DEFAULTS)
    assert rules.still_due(a_ticket(), photo_step)
    assert not rules.still_due(a_ticket(photos=[]), photo_step)
    assert not rules.still_due(a_ticket(status="resolved"), contact_step)
    assert not rules.still_due(a_ticket(closed_at=None), contact_step)
    assert not rules.still_due(a_ticket(), dataclasses.replace(contact_step, promise="resolution"))
    assert not rules.still_due(a_ticket(), dataclasses.replace(contact_step, kind="photos"))


def test_an_erasure_is_stamped_now_unless_the_ticket_moved_later_and_may_name_its_actor_and_type():
    now = datetime(2026, 8, 28, 8, 1, tzinfo=timezone.utc)
    after, event = rules.erase(a_ticket(), rules.CONTACT, now, "E1")
    assert after.updated_at == now and (event.id, event.at, event.actor.name) == ("E1", now, "PropDesk")
    later = datetime(2026, 9, 1, tzinfo=timezone.utc)
    staff = Actor("staff", "S1", "Wang")
    after, event = rules.erase(a_ticket(updated_at=later), rules.PHOTOS, now, "E3", staff, "resident_data_erased")
    assert after.updated_at == later and after.version == 6
    assert (event.type, event.actor) == ("resident_data_erased", staff)


def test_erasing_an_unknown_kind_of_data_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown kind of data: notes"):
        rules.erase(a_ticket(), "notes", CLOSED, "E")


def test_a_firm_may_set_one_period_and_keep_the_default_of_the_other():
    assert rules.settings_of({"retention": {"photo_days": 30}}) == {"contact_days": 180, "photo_days": 30}
    assert rules.settings_of({"retention": {"contact_days": "45"}}) == {"contact_days": 45, "photo_days": 365}
    assert rules.with_settings(None, {"contact_days": 10}) == {"retention": {"contact_days": 10, "photo_days": 365}}


def test_the_resident_messages_of_a_ticket_are_its_survey_invitation_and_visit_reminders():
    resolved = datetime(2026, 2, 25, tzinfo=timezone.utc)
    events = [Event("E1", "reminded", CLOSED, Actor("system"), False,
                    {"promise": "visit", "due": "2026-02-22T02:00:00Z", "step": "eve"}),
              Event("E2", "reminded", CLOSED, Actor("system"), False, {"promise": "resolution", "due": "x", "step": "y"}),
              Event("E3", "reminded", CLOSED, Actor("system"), False, {"promise": "visit", "step": "eve"}),
              Event("E4", "note", CLOSED, Actor("system"), False, {"promise": "visit", "due": "d", "step": "s"})]
    assert rules.resident_message_steps(a_ticket(first_resolved_at=resolved), events) == [
        "survey:2026-02-25T00:00:00Z", "visit:2026-02-22T02:00:00Z:eve"]
    assert rules.resident_message_steps(a_ticket(first_resolved_at=None), []) == []
