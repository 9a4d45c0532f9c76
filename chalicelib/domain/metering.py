"""What a firm used in a month, and what its plan allows (pure: no AWS).

Every counter, and when it moves (all per firm and calendar month, UTC):

| counter          | moves when                                                          | written with          |
| ---------------- | ------------------------------------------------------------------- | --------------------- |
| reports          | a ticket is created (resident form, desk intake, API)               | the ticket's transaction |
| staff_events     | staff record a lifecycle event on a ticket                          | the event's transaction |
| msg_<channel>    | the outbox delivers a message (email, sms, webhook, ...)            | the delivery's write  |
| sms_segments     | ... and an SMS, by the segments its text costs (domain/sms.py)      | the delivery's write  |
| sms_held         | an SMS is held because the month's SMS allowance is used up         | the hold's write      |
| photos           | a resident's photo is accepted                                      | the photo's transaction |
| photo_bytes      | ... by its size in bytes                                            | the photo's transaction |
| api_requests     | an authenticated API call (approximate, see store/metering.py)      | the next metering write of that firm |

Plans are declared here, once. A plan's limits:

| limit          | free   | standard | what reaching it does                                            |
| -------------- | ------ | -------- | ---------------------------------------------------------------- |
| staff_seats    | 5      | 50       | inviting one more person is refused (an admin action)            |
| properties     | 3      | 100      | adding one more property is refused (an admin action)            |
| sms_per_month  | 200    | 5000     | further SMS of the month are held (recorded as held, never sent) |
| photo_bytes    | 1 GiB  | 50 GiB   | the admins are told; residents' photos are still accepted        |

A resident's report is never refused because of a plan: the report, its photos and its
e-mails go through; only SMS may be held. Reaching a limit sends the firm's admins one
e-mail per limit and month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from .fields import Choice, Shape

COUNTERS = ("reports", "staff_events", "msg_email", "msg_sms", "msg_webhook", "sms_segments", "sms_held",
            "photos", "photo_bytes", "api_requests")
LIMITS = ("staff_seats", "properties", "sms_per_month", "photo_bytes")
GIB = 1024 ** 3


@dataclass(frozen=True)
class Plan:
    name: str
    staff_seats: int
    properties: int
    sms_per_month: int
    photo_bytes: int

    def limits(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in LIMITS}


PLANS = {
    "free": Plan("free", staff_seats=5, properties=3, sms_per_month=200, photo_bytes=1 * GIB),
    "standard": Plan("standard", staff_seats=50, properties=100, sms_per_month=5000, photo_bytes=50 * GIB),
}
# A firm with no plan recorded (every firm from before plans existed) is on this one.
DEFAULT_PLAN = "standard"


# The operator's request to move a firm (PUT /ops/firms/{tenant_id}/plan).
PLAN_CHANGE = Shape(fields={"plan": Choice(options=tuple(PLANS), description="the plan to put the firm on")})


def plan_of(name: str | None) -> Plan:
    """The plan by its name; an unknown or missing name is the default plan."""
    return PLANS.get(name or "", PLANS[DEFAULT_PLAN])


def month_of(moment: datetime) -> str:
    """The usage month of a moment, in UTC: ``M2026-12`` (the same form as the scores' months)."""
    utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return f"M{utc.year:04d}-{utc.month:02d}"


def previous_month(month: str) -> str:
    year, number = int(month[1:5]), int(month[6:8])
    return f"M{year - 1:04d}-12" if number == 1 else f"M{year:04d}-{number - 1:02d}"


def channel_counter(channel: str) -> str:
    """The counter of a delivered message's channel: ``msg_sms``; a channel we do not list
    (a bot webhook's own name) counts as a webhook."""
    name = (channel or "").lower()
    return f"msg_{name}" if f"msg_{name}" in COUNTERS else "msg_webhook"


def delivered(channel: str, segments: int = 0) -> dict[str, int]:
    """The counters a delivered message adds."""
    counts = {channel_counter(channel): 1}
    if channel_counter(channel) == "msg_sms":
        counts["sms_segments"] = max(1, segments)
    return counts


def ticket_event(event, after) -> dict[str, int]:
    """The counters a ticket event adds (``event``: domain.tickets.Event, ``after``: the ticket
    with it): a staff member's event is a staff event; a photo added counts with its bytes."""
    counts: dict[str, int] = {}
    if event.actor.kind == "staff":
        counts["staff_events"] = 1
    if event.type == "photo_added":
        photo = next((p for p in after.photos if p.get("id") == (event.data or {}).get("photo")), {})
        counts["photos"] = 1
        counts["photo_bytes"] = int(photo.get("bytes") or 0)
    return counts


def sms_allowed(plan: Plan, sms_this_month: int) -> bool:
    """May one more SMS go this month? (Counted in messages, not segments: a firm's
    allowance is what it can predict.)"""
    return sms_this_month < plan.sms_per_month


def room_for(plan: Plan, limit: str, in_use: int, adding: int = 1) -> bool:
    """Is there room under ``limit`` for ``adding`` more when ``in_use`` are taken?"""
    return in_use + adding <= plan.limits()[limit]


def usage_view(plan: Plan, this_month: str, this: dict[str, int], last_month: str, last: dict[str, int],
               in_use: dict[str, int]) -> dict:
    """What GET /api/usage answers: each counter for this month and last, the plan's limits
    with what is in use against each."""
    def month(key: str, counts: dict[str, int]) -> dict:
        return {"month": key, "counters": {name: int(counts.get(name, 0)) for name in COUNTERS}}

    used = {"staff_seats": in_use.get("staff_seats", 0), "properties": in_use.get("properties", 0),
            "sms_per_month": int(this.get("msg_sms", 0)), "photo_bytes": in_use.get("photo_bytes", 0)}
    return {"plan": plan.name, "this_month": month(this_month, this), "last_month": month(last_month, last),
            "limits": {name: {"limit": plan.limits()[name], "used": used[name],
                              "reached": used[name] >= plan.limits()[name]} for name in LIMITS}}
