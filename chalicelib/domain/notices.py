"""Telling residents about their report: which steps they hear of, on which channel, when.

Pure rules, no AWS, no clock. The texts themselves are in ``messages.py`` (kind
``resident_update``); this module decides everything around them:

- **which channel**: what the resident chose on the form (``sms``, ``email``, ``none``), or
  by default SMS when they gave a phone, else e-mail when they gave an address;
- **which steps**: :func:`step_of` turns a timeline event into the public step a resident
  hears of (received, acknowledged, assigned, visit booked / moved / cancelled, a public
  reply, waiting on you, resolved, reopened, closed without a fix), or None;
- **coalescing**: steps that follow each other within :data:`HOLD` go out as one message.
  The ticket keeps ``notice = {"seq", "open_until", "stopped"}``: while ``open_until`` lies
  ahead, a new step joins message ``seq`` (still pending in the outbox), otherwise it opens
  message ``seq + 1``. The ticket's version guard orders these; the outbox entry's own
  condition (still pending) and revision (checked when the sweep claims it) keep each step
  in exactly one delivered message;
- **quiet hours**: :func:`deliver_at` defers a message that would arrive in the firm's quiet
  hours to their end (never drops it); emergencies go at once;
- **SMS length**: :func:`segments` counts the parts an SMS is billed and split into.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

CHOICES = ("sms", "email", "none")
STEP_KINDS = ("received", "acknowledged", "assigned", "visit_booked", "visit_moved", "visit_cancelled", "reply",
              "waiting", "resolved", "reopened", "closed")
HOLD = timedelta(minutes=2)  # a step waits this long for the next one before it is sent
DEFAULT_QUIET_HOURS = {"from": "21:00", "to": "08:00"}
SIGNATURE_MAX = 10


# --- the channel ---------------------------------------------------------------------------

def choice_of(contact: dict) -> str:
    """What the resident chose, or what their details allow: SMS, then e-mail, else none."""
    chosen = (contact or {}).get("notify")
    if chosen in CHOICES:
        return chosen
    if (contact or {}).get("phone"):
        return "sms"
    return "email" if (contact or {}).get("email") else "none"


def channel_for(contact: dict, notice: dict | None = None) -> dict | None:
    """The one channel a resident hears on: ``{"channel": "sms", "to": ...}``, or None
    (chose none, stopped messages, or gave no way to reach them)."""
    if (notice or {}).get("stopped"):
        return None
    choice = choice_of(contact)
    to = (contact or {}).get("phone" if choice == "sms" else "email")
    if choice == "none" or not to:
        return None
    return {"channel": choice, "to": to}


def contact_problems(contact: dict) -> dict[str, str]:
    """A channel chosen without the detail it needs (checked with the form)."""
    chosen = (contact or {}).get("notify")
    if chosen == "sms" and not contact.get("phone"):
        return {"phone": "is needed for messages by SMS"}
    if chosen == "email" and not contact.get("email"):
        return {"email": "is needed for messages by e-mail"}
    return {}


# --- which steps -------------------------------------------------------------------------------

def step_of(before: Any, after: Any, event: Any) -> dict | None:
    """The public step a timeline event is for the resident, with the facts its message
    needs (never a code that must be named: ``closed`` keeps its reason key, named by the
    message), or None when the resident is not told (internal notes, their own acts)."""
    kind = None
    facts: dict[str, Any] = {}
    data = event.data or {}
    staff = event.actor.kind != "resident"
    if event.type == "received":
        kind = "received"
    elif not event.public or not staff:
        return None
    elif event.type == "acknowledged":
        kind = "acknowledged"
    elif event.type == "assigned":
        kind, facts = "assigned", {"name": data.get("assignee_name") or ""}
        if not facts["name"]:
            return None
    elif event.type == "scheduled":
        moved = before is not None and before.visit_at is not None and before.visit_at > event.at
        kind = "visit_moved" if moved else "visit_booked"
        facts = {"visit_at": data.get("at"), "visit_until": data.get("until")}
    elif event.type == "visit_cancelled":
        kind, facts = "visit_cancelled", {"visit_at": data.get("at"), "visit_until": data.get("until")}
    elif event.type == "comment" and data.get("visibility") == "public":
        kind, facts = "reply", {"body": data.get("body") or ""}
    elif event.type == "waiting":
        kind, facts = "waiting", {"question": data.get("question") or ""}
    elif event.type == "resolved":
        kind, facts = "resolved", {"note": data.get("note") or ""}
    elif event.type == "reopened":
        kind = "reopened"
    elif event.type == "closed" and data.get("reason") not in (None, "resolved"):
        kind, facts = "closed", {"reason": data["reason"], "note": data.get("note") or ""}
    if kind is None:
        return None
    stamp = event.at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return {"kind": kind, "at": stamp, **{k: v for k, v in facts.items() if v}}


def merge(steps: list[dict]) -> list[dict]:
    """The steps one message tells, in order: a visit booked and then moved within the hold
    is told as booked for the new time; booked and cancelled within it is not told at all."""
    out: list[dict] = []
    for step in steps:
        visit = step["kind"].startswith("visit_")
        earlier = next((i for i in range(len(out) - 1, -1, -1) if out[i]["kind"].startswith("visit_")), None)
        if visit and earlier is not None:
            first = out[earlier]
            if first["kind"] == "visit_booked" and step["kind"] == "visit_cancelled":
                out.pop(earlier)
                continue
            kind = "visit_booked" if first["kind"] == "visit_booked" else step["kind"]
            out[earlier] = {**step, "kind": kind}
            continue
        if out and out[-1] == step:
            continue
        out.append(step)
    return out


# --- coalescing --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Plan:
    """What a step does to the outbox: join the pending message ``seq`` or open it."""
    seq: int
    join: bool
    deliver_at: datetime
    notice: dict  # the ticket's notice state after this step


def plan(notice: dict | None, now: datetime, deliver_at_time: datetime) -> Plan:
    """Join the message still being held, or open the next one (held until
    ``deliver_at_time``: HOLD from now, or the end of quiet hours)."""
    notice = dict(notice or {})
    seq = int(notice.get("seq") or 0)
    open_until = _moment(notice.get("open_until"))
    if seq and open_until is not None and now < open_until:
        return Plan(seq, True, open_until, notice)
    until = deliver_at_time
    notice.update(seq=seq + 1, open_until=_iso(until))
    return Plan(seq + 1, False, until, notice)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


# --- quiet hours -------------------------------------------------------------------------------

def _clock(text: str) -> time:
    hours, minutes = str(text).split(":")
    return time(int(hours), int(minutes))


def quiet_hours_of(settings: dict | None) -> dict | None:
    """The firm's quiet hours (``messages.quiet_hours``): the default when unset, None
    when the firm turned them off (``false``)."""
    value = (settings or {}).get("quiet_hours", DEFAULT_QUIET_HOURS)
    if not value:
        return None
    return {"from": value.get("from", DEFAULT_QUIET_HOURS["from"]), "to": value.get("to", DEFAULT_QUIET_HOURS["to"])}


def quiet_end(moment: datetime, time_zone: str, quiet: dict | None) -> datetime | None:
    """When the quiet hours that ``moment`` falls in end (in the firm's zone, across DST
    changes); None when it is not in quiet hours. ``from`` is inside them, ``to`` is not."""
    if not quiet:
        return None
    start, end = _clock(quiet["from"]), _clock(quiet["to"])
    if start == end:
        return None
    zone = ZoneInfo(time_zone or "UTC")
    local = moment.astimezone(zone)
    now = local.time().replace(tzinfo=None)
    wraps = start > end  # 21:00-08:00 spans midnight
    inside = (now >= start or now < end) if wraps else (start <= now < end)
    if not inside:
        return None
    day = local.date() + (timedelta(days=1) if wraps and now >= start else timedelta())
    # A wall time in a DST gap does not exist: fold=0 reads it with the earlier offset,
    # which lands just after the gap, the first moment the clock shows a later time.
    return datetime.combine(day, end, tzinfo=zone).astimezone(timezone.utc)


def deliver_at(moment: datetime, time_zone: str, quiet: dict | None, *, urgent: bool) -> datetime:
    """When a message due at ``moment`` may go: at once for emergencies, otherwise after
    the firm's quiet hours."""
    if urgent:
        return moment
    return quiet_end(moment, time_zone, quiet) or moment


# --- firm settings -----------------------------------------------------------------------------

def signature_of(settings: dict | None, firm_name: str) -> str:
    """The SMS signature: the firm's own short setting, else its name cut to fit."""
    own = str((settings or {}).get("sms_signature") or "").strip()
    return (own or " ".join(str(firm_name or "").split()))[:SIGNATURE_MAX]


# --- stop and resume ---------------------------------------------------------------------------

def stopped(notice: dict | None) -> bool:
    return bool((notice or {}).get("stopped"))


def with_stopped(notice: dict | None, value: bool) -> dict:
    found = dict(notice or {})
    found["stopped"] = value
    return found
