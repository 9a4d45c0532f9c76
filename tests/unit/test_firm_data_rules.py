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
