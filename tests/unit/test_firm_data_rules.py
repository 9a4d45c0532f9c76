"""How long a firm's finished export is offered: seven days from when it finished, to the minute."""

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.firm_data import export_state

FINISHED = datetime(2026, 12, 1, 10, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("now, expected", [
    (FINISHED, "done"),
    (datetime(2026, 12, 8, 10, 29, 59, tzinfo=timezone.utc), "done"),   # a second short of 7 × 24 h
    (datetime(2026, 12, 8, 10, 30, tzinfo=timezone.utc), "expired"),    # exactly 7 days on
    (datetime(2027, 1, 1, tzinfo=timezone.utc), "expired"),
])
def test_a_finished_export_expires_seven_days_after_it_finished(now, expected):
    assert export_state("done", FINISHED, now) == expected


@pytest.mark.parametrize("status", ["queued", "running"])
def test_an_export_still_being_made_never_shows_as_expired(status):
    assert export_state(status, None, FINISHED + timedelta(days=30)) == status
    assert export_state(status, FINISHED, FINISHED + timedelta(days=30)) == status


def test_a_finished_export_without_its_finishing_time_stays_done():
    assert export_state("done", None, FINISHED + timedelta(days=30)) == "done"


# --- the export's files, what is left out, and the deletion's dates ---------------------------

from chalicelib.domain.errors import InvalidInput  # noqa: E402
from chalicelib.domain.firm_data import confirm_slug, due_at, entry_name, exported, kind_of, released_at  # noqa: E402


@pytest.mark.parametrize("item, kind", [
    ({"kind": "ticket", "sk": "TICKET#1"}, "ticket"),
    ({"kind": "Survey Answer", "sk": "X"}, "survey_answer"),   # lower case, anything else an underscore
    ({"kind": "photo-meta.v2"}, "photo_meta_v2"),
    ({"sk": "REPEAT#2026-12#boiler"}, "repeat"),              # no kind: the sort key's first word
    ({"kind": "", "sk": "USAGE#TOTAL"}, "usage"),
    ({"kind": None, "sk": "Rate"}, "rate"),
    ({"sk": ""}, "other"),
    ({}, "other"),
])
def test_an_item_is_named_by_its_kind_else_its_sort_keys_first_word(item, kind):
    assert kind_of(item) == kind
    assert entry_name(item) == f"items/{kind}.jsonl"


@pytest.mark.parametrize("item", [
    {"kind": "firm_export", "pk": "F"}, {"kind": "firm_delete", "pk": "F"}, {"kind": "contact_code", "code_hash": "h"},
    {"kind": "counter"}, {"kind": "rate"}, {"kind": "idempotency", "token": "t"},
    {"sk": "RATE#203.0.113.0/24#2026-12-01T10"},   # a rate window written by an update alone
    {"kind": "Idempotency"},
])
def test_jobs_and_short_lived_security_records_are_not_exported(item):
    assert exported(item) is None


def test_an_exported_item_keeps_everything_but_its_secrets():
    item = {"kind": "staff", "pk": "F#1", "sk": "STAFF#7", "name": "Li Na", "password_hash": "$scrypt$",
            "totp_secret": "JBSW", "totp_pending": "K", "code_hash": "c", "challenge_hash": "d",
            "current_hash": "e", "refresh_token": "r", "salt": "s"}
    assert exported(item) == {"kind": "staff", "pk": "F#1", "sk": "STAFF#7", "name": "Li Na"}
    assert exported({"kind": "ticket", "number": 7}) == {"kind": "ticket", "number": 7}


def test_a_deletion_is_confirmed_only_by_the_firms_short_name_typed_exactly():
    assert confirm_slug({"slug": "greenway"}, "greenway") is None
    assert confirm_slug({"slug": "  greenway "}, "greenway") is None  # spaces around it are not typing
    with pytest.raises(InvalidInput) as wrong:
        confirm_slug({"slug": "Greenway"}, "greenway")
    assert wrong.value.message == "That is not this firm's short name."
    assert wrong.value.fields == {"slug": "does not match this firm's short name; type it exactly"}
    with pytest.raises(InvalidInput) as missing:
        confirm_slug({}, "greenway")
    assert missing.value.message == "Type the firm's short name to confirm." and "slug" in missing.value.fields


def test_a_deletion_is_carried_out_after_14_days_and_the_name_is_free_90_days_later():
    asked = datetime(2026, 12, 1, 10, 30, tzinfo=timezone.utc)
    assert due_at(asked) == datetime(2026, 12, 15, 10, 30, tzinfo=timezone.utc)
    # 15 December + 90 days: 16 days to the end of December, 31 of January, 28 of February, 15 of March.
    assert released_at(datetime(2026, 12, 15, 10, 30, tzinfo=timezone.utc)) == \
        datetime(2027, 3, 15, 10, 30, tzinfo=timezone.utc)
