"""Fixtures for the pure unit tests."""

import time

import pytest


@pytest.fixture
def host_in_shanghai(monkeypatch):
    """The process's local zone set to Asia/Shanghai (UTC+8), as on a developer's machine:
    what is stated in UTC must not follow the host's zone (Lambda's is UTC, so it would not show)."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
