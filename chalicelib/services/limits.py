"""Rate limits on residents' reports: per address (10 minutes) and per firm (an hour);
and on admins' test messages: per channel (10 minutes), since each one is a real message
(an SMS costs money, a webhook wakes someone).

Counters are fixed-window items under the firm's partition, incremented in the same
transaction that writes the ticket (so a limited report writes nothing and a report costs no
extra round trip). The address is kept only as a salted hash. TTL tidies old windows away;
correctness never waits for it, since each window has its own key.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from ..settings import settings
from ..store.tickets import Limit

IP_WINDOW = timedelta(minutes=10)
FIRM_WINDOW = timedelta(hours=1)
TEST_WINDOW = timedelta(minutes=10)
TESTS_PER_CHANNEL = 5


def _window(now: datetime, size: timedelta) -> tuple[str, int]:
    start = int(now.timestamp()) // int(size.total_seconds()) * int(size.total_seconds())
    return str(start), start + int(size.total_seconds()) + 3600


def report_limits(tenant_id: str, source_ip: str, now: datetime) -> tuple[Limit, ...]:
    conf = settings()
    firm_window, firm_expiry = _window(now, FIRM_WINDOW)
    limits = [Limit(f"RATE#firm#{firm_window}", conf.reports_per_firm, firm_expiry, "firm")]
    if source_ip:
        ip_window, ip_expiry = _window(now, IP_WINDOW)
        who = hashlib.sha256(f"{tenant_id}|{source_ip}".encode()).hexdigest()[:32]
        limits.insert(0, Limit(f"RATE#ip#{who}#{ip_window}", conf.reports_per_ip, ip_expiry, "address"))
    return tuple(limits)


def channel_test_limit(channel_key: str, now: datetime) -> Limit:
    window, expiry = _window(now, TEST_WINDOW)
    return Limit(f"RATE#test#{channel_key}#{window}", TESTS_PER_CHANNEL, expiry, "channel")
