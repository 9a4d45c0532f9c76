"""Service standards: what a firm promises, and the checks a standards document must pass.

A document (YAML in tenants/, JSON through the API) has:

    calendar:   time_zone, optional country (public holidays and make-up days from a
                library), hours per weekday (several intervals a day), extra holidays/workdays
    priorities: [{key, name: {zh-CN, en}}]
    categories: [{key, name, help?, emergency?, escalates_to?}]   emergency categories run 24/7;
                escalates_to: the category a resident may take an answered one to (stage 1 → 2)
    targets:    {category|*: {priority|*: {first_response, resolution, update_every?,
                 attend?, pause_on_wait?, milestones?}}}  '*' is the fallback on either axis
    escalation: {warn_at: 0.8, level1: {notify: [...]}, level2: {after: 4h, notify: [...]}}
    survey:     {after_resolution: 24h, min_n: 5}

A target may add an ordered chain of ``milestones`` (Awaab's Law: investigate, then a written
summary and safety work; 接单 / 到场 / 完工 / 回访), each::

    {key, name: {zh-CN, en}, within: <duration>, after: report | <an earlier milestone's key>,
     done_by: <what completes it>, public?: true}

``done_by`` is either a step of the lifecycle (``first_response``: the first public staff act;
``scheduled``: a visit booked; ``resolved``; ``followed_up``: the follow-up call) or a staff
action ``milestone`` of that kind (``on_site``, ``investigation_done``, ...: MILESTONE_KINDS).
A target without milestones keeps only first response and resolution, as before; the more
specific target's list replaces the fallback's whole (lists are not merged).

Durations read as people write them: ``30m``, ``24h``, ``7d`` are calendar time;
``4 business hours`` counts open hours of the calendar; ``7 working days`` means the same
clock time on the 7th following working day. No duration may exceed 366 days (of calendar
time, of business hours, or working days): no firm means more, and a stored document that
somehow holds more is read as 366 days, so a deadline can always be computed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from .errors import InvalidInput
from .fields import Problem, clean_text, parse_date, parse_zone

LOCALES = ("zh-CN", "en")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TARGET_FIELDS = ("first_response", "resolution", "update_every", "attend")
# What completes a milestone: a lifecycle step, or the staff action "milestone" of a kind.
LIFECYCLE_DONE_BY = ("first_response", "scheduled", "resolved", "followed_up")
MILESTONE_KINDS = ("on_site", "investigation_done", "summary_sent", "safety_work_done", "made_safe",
                   "preventive_work_started", "work_done")
DONE_BY = LIFECYCLE_DONE_BY + MILESTONE_KINDS
MAX_MILESTONES = 10
CHANNELS = ("email", "sms", "wecom", "dingtalk", "slack", "webhook")
SUPPORTED_COUNTRIES = ("CN", "GB", "HK", "SG", "US")

_DURATION = re.compile(
    r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>m|min|mins|minutes?|h|hrs?|hours?|d|days?"
    r"|bh|business hours?|working hours?|wd|working days?|business days?)\s*$")
MAX_DAYS = 366
MAX_DURATION = timedelta(days=MAX_DAYS)
_TOO_LONG = f"must be at most {MAX_DAYS} days (or {MAX_DAYS} working days, {MAX_DAYS * 24} business hours)"


@dataclass(frozen=True)
class Duration:
    kind: str  # "calendar" | "business_hours" | "working_days"
    amount: timedelta  # for working_days: days × 24 h (used only for ordering and display)
    days: int
    text: str

    @property
    def business(self) -> bool:
        return self.kind != "calendar"


def parse_duration(text: Any, *, strict: bool = False) -> Duration:
    """'30m', '24h', '7d', '4 business hours', '7 working days' → Duration; ValueError otherwise.

    More than 366 days (MAX_DAYS: of calendar time, business hours or working days) is
    refused when ``strict`` (checking a document before it is saved) and read as 366 days
    otherwise (a stored document, whatever it holds, still gives computable deadlines)."""
    raw = str(text).strip()
    if raw.startswith("-"):
        raise ValueError("must be longer than zero")
    match = _DURATION.match(raw)
    if not match:
        raise ValueError(f"'{raw[:40]}' is not a duration like 30m, 24h, 7d, '4 business hours' or '7 working days'")
    n, unit = float(match["n"]), match["unit"]
    if n <= 0:
        raise ValueError("must be longer than zero")
    if unit in ("wd",) or unit.startswith(("working day", "business day")):
        n = _cap(n, MAX_DAYS, strict)
        if n != int(n):
            raise ValueError("working days must be a whole number")
        days = int(n)
        return Duration("working_days", timedelta(days=days), days, raw)
    per_unit = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
    kind = "calendar"
    if unit == "bh" or unit.startswith(("business hour", "working hour")):
        kind, step = "business_hours", timedelta(hours=1)
    else:
        step = per_unit[unit[0]]
    n = _cap(n, MAX_DURATION / step, strict)  # business hours: at most 366 × 24 of them
    return Duration(kind, min(step * n, MAX_DURATION), 0, raw)


def _cap(n: float, most: float, strict: bool) -> float:
    if n > most:
        if strict:
            raise ValueError(_TOO_LONG)
        return most
    return n


@dataclass(frozen=True)
class Milestone:
    """One step of a chain: due ``within`` after the report or after an earlier milestone's
    completion (``after``), completed by ``done_by``; ``public`` ones show on the tracking page."""
    key: str
    name: dict  # {"zh-CN": ..., "en": ...}
    within: Duration
    after: str  # "report" | an earlier milestone's key
    done_by: str
    public: bool = True

    def as_dict(self) -> dict:
        return {"key": self.key, "name": dict(self.name), "within": self.within.text, "after": self.after,
                "done_by": self.done_by, "public": self.public}

    @classmethod
    def from_dict(cls, data: dict) -> "Milestone":
        return cls(str(data["key"]), dict(data.get("name") or {}), parse_duration(data["within"]),
                   str(data.get("after") or "report"), str(data["done_by"]), bool(data.get("public", True)))


@dataclass(frozen=True)
class Targets:
    first_response: Duration
    resolution: Duration
    update_every: Duration | None = None
    pause_on_wait: bool = True
    emergency: bool = False
    milestones: tuple[Milestone, ...] = ()

    def as_dict(self) -> dict:
        """What a ticket keeps of its targets, chosen when it is created (``milestones`` only
        when the target has some, so a ticket without keeps exactly the old shape)."""
        kept = {"first_response": self.first_response.text, "resolution": self.resolution.text,
                "update_every": self.update_every.text if self.update_every else None,
                "pause_on_wait": self.pause_on_wait, "emergency": self.emergency}
        if self.milestones:
            kept["milestones"] = [m.as_dict() for m in self.milestones]
        return kept

    @classmethod
    def from_dict(cls, data: dict) -> "Targets":
        return cls(parse_duration(data["first_response"]), parse_duration(data["resolution"]),
                   parse_duration(data["update_every"]) if data.get("update_every") else None,
                   bool(data.get("pause_on_wait", True)), bool(data.get("emergency", False)),
                   tuple(Milestone.from_dict(m) for m in data.get("milestones") or []))


@dataclass(frozen=True)
class Standards:
    document: dict

    @property
    def categories(self) -> list[str]:
        return [c["key"] for c in self.document.get("categories", [])]

    @property
    def priorities(self) -> list[str]:
        return [p["key"] for p in self.document.get("priorities", [])]

    def escalates_to(self, category: str) -> str | None:
        """The category a resident may take this one to when its answer did not settle it
        (a complaint's stage 1 to stage 2), or None."""
        return next((c.get("escalates_to") for c in self.document.get("categories", []) if c["key"] == category),
                    None)

    def is_emergency(self, category: str) -> bool:
        return any(c["key"] == category and c.get("emergency") for c in self.document.get("categories", []))

    def targets(self, category: str, priority: str) -> Targets:
        table = self.document.get("targets", {})
        found: dict[str, Any] = {}
        for cat_key, pri_key in (("*", "*"), ("*", priority), (category, "*"), (category, priority)):
            found.update((table.get(cat_key) or {}).get(pri_key) or {})
        return Targets(parse_duration(found["first_response"]), parse_duration(found["resolution"]),
                       parse_duration(found["update_every"]) if found.get("update_every") else None,
                       bool(found.get("pause_on_wait", True)), self.is_emergency(category),
                       tuple(Milestone.from_dict(m) for m in found.get("milestones") or []))

    @property
    def escalation(self) -> dict:
        return self.document.get("escalation") or {}

    @property
    def warn_at(self) -> float | None:
        value = self.escalation.get("warn_at")
        return float(value) if value is not None else None

    def calendar(self, around: datetime):
        """The business calendar, with holidays for the years around ``around``."""
        return calendar_for(self.document.get("calendar") or {}, around.year)


def calendar_for(calendar_doc: dict, year: int):
    import json
    return _calendar(json.dumps(calendar_doc, sort_keys=True, default=str), year)


@lru_cache(maxsize=256)
def _calendar(calendar_json: str, year: int):
    import json

    from .calendar import calendar_from_document
    return calendar_from_document(json.loads(calendar_json), range(year - 1, year + 3))


# No deadline is ever later than this: far beyond any start a ticket can have (its creation,
# in 2000-2100) plus 366 days of open time, and far enough below datetime.max that the steps
# added after a deadline (an escalation's "after", a survey's delay) never overflow.
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


def deadline(calendar_doc: dict, start: datetime, duration: Duration, *, emergency: bool) -> datetime:
    """When a promise of ``duration`` made at ``start`` falls due. Emergencies run 24/7.

    Never raises for a stored document: a calendar that cannot place the deadline (no open
    time for years; refused when a document is checked) counts the duration as calendar
    time instead, and no deadline is later than LATEST."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise TypeError(f"a deadline is counted from an aware instant, not naive {start.isoformat()}")
    try:
        return min(_business_deadline(calendar_doc, start, duration, emergency=emergency), LATEST)
    except (OverflowError, ValueError):
        return _later(start, duration.amount)


def _business_deadline(calendar_doc: dict, start: datetime, duration: Duration, *, emergency: bool) -> datetime:
    if duration.kind == "calendar":
        return start + duration.amount
    from . import calendar as business
    cal = calendar_for(calendar_doc, start.year)
    if emergency:
        cal = replace(cal, always_open=True)
    if duration.kind == "business_hours":
        return business.add(cal, start, duration.amount)
    return business.add_working_days(cal, start, duration.days)


def _later(moment: datetime, amount: timedelta) -> datetime:
    try:
        return min(moment + amount, LATEST)
    except OverflowError:
        return LATEST


def shift(calendar_doc: dict, due: datetime, duration: Duration, paused_from: datetime, paused_to: datetime,
          *, emergency: bool) -> datetime:
    """Move a deadline by the time a clock stood still: calendar time for calendar targets,
    open time of the calendar for business targets (calendar time if the calendar cannot
    place it, as in ``deadline``). Never later than LATEST."""
    if paused_to <= paused_from:
        return due
    if duration.kind == "calendar" or emergency:
        return _later(due, paused_to - paused_from)
    from . import calendar as business
    try:
        cal = calendar_for(calendar_doc, paused_from.year)
        return min(business.add(cal, due, business.between(cal, paused_from, paused_to)), LATEST)
    except (OverflowError, ValueError):
        return _later(due, paused_to - paused_from)


def normalize(document: Any) -> Any:
    """Plain JSON types only (YAML gives dates for 2026-10-01): what the store and API carry."""
    import json
    return json.loads(json.dumps(document, default=str))


# --- validation ----------------------------------------------------------------------------

HIDDEN_CHARACTERS = "must not contain control or text-direction characters (they can hide or reorder text)"
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
_PHONE = re.compile(r"\+?[0-9][0-9 \-]{5,22}")


def check_document(document: Any) -> Standards:
    """Every check a standards document must pass before anything is saved; all problems
    at once, each under its path (``targets.water_leak.urgent.first_response``)."""
    problems: dict[str, str] = {}
    if not isinstance(document, dict):
        raise InvalidInput("The standards document must be a mapping.", {"standards": "must be a mapping"})
    known = {"name", "description", "calendar", "priorities", "categories", "targets", "escalation", "survey"}
    known.add("messages")  # residents' messages: quiet hours, SMS signature
    for key in document:
        if key not in known:
            problems[str(key)] = "is not a recognised section"
    for key in ("name", "description"):
        if isinstance(document.get(key), str) and clean_text(document[key], multiline=True) != document[key]:
            problems[key] = HIDDEN_CHARACTERS
    keys = {kind: _check_entries(document, kind, problems) for kind in ("categories", "priorities")}
    _check_escalates_to(document.get("categories"), keys["categories"], problems)
    _check_calendar(document.get("calendar"), problems)
    _check_targets(document.get("targets"), keys["categories"], keys["priorities"], problems)
    _check_escalation(document.get("escalation"), problems)
    _check_survey(document.get("survey"), problems)
    _check_messages(document.get("messages"), problems)
    if not problems:
        _check_reachable(document, problems)
    if problems:
        raise InvalidInput(f"The service standards have {len(problems)} problem(s); nothing was saved.", problems)
    return Standards(document)


def _check_entries(document: dict, kind: str, problems: dict[str, str]) -> set[str]:
    entries = document.get(kind)
    seen: set[str] = set()
    if not isinstance(entries, list) or not entries:
        problems[kind] = "needs at least one entry"
        return seen
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems[f"{kind}[{i}]"] = "must be a mapping with key and name"
            continue
        key = entry.get("key")
        if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key):
            problems[f"{kind}[{i}].key"] = "must be lower-case letters, digits or _ (max 40), starting with a letter"
        elif key in seen:
            problems[f"{kind}[{i}].key"] = f"'{key}' appears twice"
        else:
            seen.add(key)
        names = entry.get("name")
        if not isinstance(names, dict) or not all(isinstance(names.get(loc), str) and names[loc].strip()
                                                  for loc in LOCALES):
            problems[f"{kind}[{i}].name"] = "needs a name in zh-CN and en"
        for part in ("name", "help"):
            texts = entry.get(part)
            for loc, text in (texts.items() if isinstance(texts, dict) else [("", texts)]):
                if isinstance(text, str) and clean_text(text) != text:
                    problems[f"{kind}[{i}].{part}{'.' + str(loc) if loc else ''}"] = HIDDEN_CHARACTERS
        if "emergency" in entry and not isinstance(entry["emergency"], bool):
            problems[f"{kind}[{i}].emergency"] = "must be true or false"
    return seen


def _check_escalates_to(categories: Any, keys: set[str], problems: dict[str, str]) -> None:
    """``escalates_to``: another category's key (a complaint's next stage)."""
    for i, entry in enumerate(categories if isinstance(categories, list) else []):
        if not isinstance(entry, dict) or "escalates_to" not in entry:
            continue
        to = entry["escalates_to"]
        if not isinstance(to, str) or to not in keys:
            problems[f"categories[{i}].escalates_to"] = "must be another category's key (one of: " + \
                ", ".join(sorted(keys)) + ")"
        elif to == entry.get("key"):
            problems[f"categories[{i}].escalates_to"] = "must be another category, not this one"


def _check_calendar(calendar: Any, problems: dict[str, str]) -> None:
    if not isinstance(calendar, dict):
        problems["calendar"] = "is required: time_zone and hours"
        return
    try:
        parse_zone(calendar.get("time_zone"))
    except Problem as problem:
        problems["calendar.time_zone"] = str(problem)
    country = calendar.get("country")
    if country is not None and country not in SUPPORTED_COUNTRIES:
        problems["calendar.country"] = "must be one of: " + ", ".join(SUPPORTED_COUNTRIES)
    hours = calendar.get("hours")
    if not isinstance(hours, dict) or not hours:
        problems["calendar.hours"] = "give opening hours for at least one weekday, e.g. mon: ['09:00-17:30']"
    else:
        from .calendar import parse_hours
        for day, intervals in hours.items():
            if day not in WEEKDAYS:
                problems[f"calendar.hours.{day}"] = "must be a weekday: " + ", ".join(WEEKDAYS)
                continue
            if intervals in (None, []):
                continue
            if not isinstance(intervals, list):
                problems[f"calendar.hours.{day}"] = "must be a list like ['08:30-12:00', '13:30-18:00']"
                continue
            try:
                parse_hours(intervals)
            except ValueError as exc:
                problems[f"calendar.hours.{day}"] = str(exc)
    for kind in ("holidays", "workdays"):
        listed = calendar.get(kind) or []
        if not isinstance(listed, list):
            problems[f"calendar.{kind}"] = "must be a list of dates like 2026-10-01"
            continue
        for i, value in enumerate(listed):
            try:
                parse_date(value)
            except Problem as problem:
                problems[f"calendar.{kind}[{i}]"] = str(problem)
    if not any(key.startswith("calendar") for key in problems):
        # What only the whole calendar can tell: a date both a holiday and a workday, a
        # subdivision the holiday library does not know, no open time at all.
        from .calendar import calendar_from_document
        try:
            calendar_from_document(calendar, [datetime.now().year])
        except ValueError as exc:
            problems["calendar"] = str(exc)


def _check_targets(targets: Any, categories: set[str], priorities: set[str], problems: dict[str, str]) -> None:
    if not isinstance(targets, dict) or not isinstance((targets.get("*") or {}).get("*"), dict):
        problems["targets.*.*"] = "a default target (category * and priority *) is required"
        return
    for cat_key, by_priority in targets.items():
        path = f"targets.{cat_key}"
        if cat_key != "*" and categories and cat_key not in categories:
            problems[path] = "is not a category key (one of: " + ", ".join(sorted(categories)) + ")"
            continue
        if not isinstance(by_priority, dict):
            problems[path] = "must map priorities to targets"
            continue
        for pri_key, target in by_priority.items():
            tpath = f"{path}.{pri_key}"
            if pri_key != "*" and priorities and pri_key not in priorities:
                problems[tpath] = "is not a priority key (one of: " + ", ".join(sorted(priorities)) + ")"
                continue
            if not isinstance(target, dict):
                problems[tpath] = "must be a mapping like {first_response: 24h, resolution: 7 working days}"
                continue
            for name, value in target.items():
                if name == "milestones":
                    _check_milestones(value, f"{tpath}.milestones", problems)
                    continue
                if name == "pause_on_wait":
                    if not isinstance(value, bool):
                        problems[f"{tpath}.{name}"] = "must be true or false"
                    continue
                if name not in TARGET_FIELDS:
                    problems[f"{tpath}.{name}"] = "is not a target (one of: " + ", ".join(TARGET_FIELDS) + \
                                                  ", pause_on_wait, milestones)"
                    continue
                try:
                    parse_duration(value, strict=True)
                except ValueError as exc:
                    problems[f"{tpath}.{name}"] = str(exc)
    default = targets["*"]["*"]
    for name in ("first_response", "resolution"):
        if name not in default:
            problems[f"targets.*.*.{name}"] = "is required"


def _check_milestones(milestones: Any, path: str, problems: dict[str, str]) -> None:
    """An ordered chain: unique keys, names in both languages, a duration, a start that is the
    report or an *earlier* milestone, and something that completes it."""
    if not isinstance(milestones, list):
        problems[path] = "must be a list of milestones like {key, name, within, after, done_by}"
        return
    if len(milestones) > MAX_MILESTONES:
        problems[path] = f"at most {MAX_MILESTONES} milestones per target"
        return
    seen: list[str] = []
    for i, entry in enumerate(milestones):
        mpath = f"{path}[{i}]"
        if not isinstance(entry, dict):
            problems[mpath] = "must be a mapping like {key, name, within, after, done_by}"
            continue
        for field_name in entry:
            if field_name not in ("key", "name", "within", "after", "done_by", "public"):
                problems[f"{mpath}.{field_name}"] = "is not a milestone field (key, name, within, after, done_by, public)"
        key = entry.get("key")
        if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key):
            problems[f"{mpath}.key"] = "must be lower-case letters, digits or _ (max 40), starting with a letter"
        elif key in seen:
            problems[f"{mpath}.key"] = f"'{key}' appears twice"
        elif key == "report":
            problems[f"{mpath}.key"] = "'report' names the report itself; choose another key"
        names = entry.get("name")
        if not isinstance(names, dict) or not all(isinstance(names.get(loc), str) and names[loc].strip()
                                                  and len(names[loc]) <= 80 for loc in LOCALES):
            problems[f"{mpath}.name"] = "needs a name in zh-CN and en (at most 80 characters each)"
        elif any(clean_text(names[loc]) != names[loc] for loc in LOCALES):
            problems[f"{mpath}.name"] = HIDDEN_CHARACTERS
        try:
            parse_duration(entry.get("within"), strict=True)
        except ValueError as exc:
            problems[f"{mpath}.within"] = str(exc) if entry.get("within") is not None else \
                "is required: a duration like 24h or 10 working days"
        after = entry.get("after", "report")
        if after != "report" and after not in seen:
            problems[f"{mpath}.after"] = "must be 'report' or the key of an earlier milestone" + \
                (" (one of: " + ", ".join(seen) + ")" if seen else "")
        if entry.get("done_by") not in DONE_BY:
            problems[f"{mpath}.done_by"] = "must be one of: " + ", ".join(DONE_BY)
        if "public" in entry and not isinstance(entry["public"], bool):
            problems[f"{mpath}.public"] = "must be true or false"
        if isinstance(key, str) and key not in seen:
            seen.append(key)


def _check_reachable(document: dict, problems: dict[str, str]) -> None:
    """A business-time target its calendar cannot place from today (a firm open an hour a
    week cannot promise 8,000 business hours): refused here rather than guessed later."""
    standards, start = Standards(document), datetime.now(timezone.utc)
    for cat_key, by_priority in document["targets"].items():
        if standards.is_emergency(cat_key):
            continue  # 24/7: always reachable
        for pri_key, target in by_priority.items():
            durations = [(name, target[name]) for name in TARGET_FIELDS if name in target]
            durations += [(f"milestones[{i}].within", m["within"]) for i, m in enumerate(target.get("milestones") or [])]
            for name, text in durations:
                duration = parse_duration(text, strict=True)
                if not duration.business:
                    continue
                try:
                    _business_deadline(document["calendar"], start, duration, emergency=False)
                except (ValueError, OverflowError):
                    problems[f"targets.{cat_key}.{pri_key}.{name}"] = \
                        "is more open time than the calendar's hours give in many years; shorten it or add hours"


def _check_escalation(escalation: Any, problems: dict[str, str]) -> None:
    if escalation is None:
        return
    if not isinstance(escalation, dict):
        problems["escalation"] = "must be a mapping with warn_at, level1, level2"
        return
    warn = escalation.get("warn_at")
    if warn is not None and (isinstance(warn, bool) or not isinstance(warn, (int, float)) or not 0 < warn < 1):
        problems["escalation.warn_at"] = "must be a share between 0 and 1, e.g. 0.8"
    for level in ("level1", "level2"):
        spec = escalation.get(level)
        if spec is None:
            continue
        if not isinstance(spec, dict):
            problems[f"escalation.{level}"] = "must be a mapping with notify (and after, for level2)"
            continue
        if level == "level2":
            try:
                parse_duration(spec.get("after"), strict=True)
            except ValueError as exc:
                problems["escalation.level2.after"] = str(exc) if spec.get("after") else "is required (e.g. 4h)"
        notify = spec.get("notify", [])
        if not isinstance(notify, list):
            problems[f"escalation.{level}.notify"] = "must be a list of recipients"
            continue
        for i, entry in enumerate(notify):
            for field, reason in channel_problems(entry).items():
                problems[f"escalation.{level}.notify[{i}]{'.' + field if field else ''}"] = reason


def channel_problems(entry: Any) -> dict[str, str]:
    """Why a recipient entry of an escalation chain cannot be used ({} when fine)."""
    if not isinstance(entry, dict):
        return {"": "must be a mapping like {channel: email, to: ops@example.com}"}
    channel = entry.get("channel")
    if channel not in CHANNELS:
        return {"channel": "must be one of: " + ", ".join(CHANNELS)}
    if channel == "email":
        if not isinstance(entry.get("to"), str) or not _EMAIL.fullmatch(entry["to"]):
            return {"to": "must be an e-mail address"}
    elif channel == "sms":
        if not isinstance(entry.get("to"), str) or not _PHONE.fullmatch(entry["to"]):
            return {"to": "must be a phone number like +8613800138000"}
    else:
        url = entry.get("url")
        local = isinstance(url, str) and re.match(r"http://(127\.0\.0\.1|localhost)(:\d+)?/", url)
        if not isinstance(url, str) or not (url.startswith("https://") or local):
            return {"url": "must be an https:// address"}
        if channel == "dingtalk" and entry.get("secret") is not None and not str(entry["secret"]).startswith("SEC"):
            return {"secret": "must be the robot's signing secret (starts with SEC)"}
    return {}


def _check_survey(survey: Any, problems: dict[str, str]) -> None:
    if survey is None:
        return
    if not isinstance(survey, dict):
        problems["survey"] = "must be a mapping"
        return
    if "after_resolution" in survey:
        try:
            parse_duration(survey["after_resolution"], strict=True)
        except ValueError as exc:
            problems["survey.after_resolution"] = str(exc)
    min_n = survey.get("min_n")
    if min_n is not None and (isinstance(min_n, bool) or not isinstance(min_n, int) or not 1 <= min_n <= 1000):
        problems["survey.min_n"] = "must be a whole number from 1 to 1000"
    days = survey.get("follow_up_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 30):
        problems["survey.follow_up_days"] = "must be a whole number of working days from 1 to 30"
    known = {"after_resolution", "min_n", "nps", "servqual", "fixed_question", "weights", "publish",
             "publish_properties", "follow_up_days", "publish_inspections"}
    for key in survey:
        if key not in known:
            problems[f"survey.{key}"] = "is not a survey setting (" + ", ".join(sorted(known)) + ")"
    for flag in ("nps", "servqual", "fixed_question", "publish", "publish_inspections"):
        if flag in survey and not isinstance(survey[flag], bool):
            problems[f"survey.{flag}"] = "must be true or false"
    chosen = survey.get("publish_properties")
    if chosen is not None and (not isinstance(chosen, list) or not all(isinstance(p, str) and p for p in chosen)):
        problems["survey.publish_properties"] = "must be a list of property ids"
    weights = survey.get("weights")
    if weights is not None:
        dims = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
        if not isinstance(weights, dict) or set(weights) - set(dims):
            problems["survey.weights"] = "must give points to: " + ", ".join(dims)
        elif any(isinstance(w, bool) or not isinstance(w, int) or w < 0 for w in weights.values()):
            problems["survey.weights"] = "must be whole, non-negative points"
        elif sum(weights.values()) != 100:
            problems["survey.weights"] = f"must add up to 100 (they add up to {sum(weights.values())})"


def _check_messages(section: Any, problems: dict[str, str]) -> None:
    """``messages: {quiet_hours: {from: "21:00", to: "08:00"} | false, sms_signature: 绿苑物业}``"""
    if section is None:
        return
    if not isinstance(section, dict):
        problems["messages"] = "must be a mapping with quiet_hours and sms_signature"
        return
    for key in section:
        if key not in ("quiet_hours", "sms_signature"):
            problems[f"messages.{key}"] = "is not a message setting (quiet_hours, sms_signature)"
    quiet = section.get("quiet_hours")
    if quiet not in (None, False):
        if not isinstance(quiet, dict):
            problems["messages.quiet_hours"] = "must be {from: '21:00', to: '08:00'} or false"
        else:
            for end in ("from", "to"):
                if not isinstance(quiet.get(end), str) or not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]",
                                                                           quiet[end]):
                    problems[f"messages.quiet_hours.{end}"] = "must be a time like 21:00"
            if not any(k.startswith("messages.quiet_hours.") for k in problems) and quiet["from"] == quiet["to"]:
                problems["messages.quiet_hours.to"] = "must differ from 'from' (or turn quiet hours off)"
    signature = section.get("sms_signature")
    if signature is not None and (not isinstance(signature, str) or not 2 <= len(signature.strip()) <= 10
                                  or any(ch in signature for ch in "【】[]\n")):
        problems["messages.sms_signature"] = "must be 2 to 10 characters, without brackets"


SURVEY_DEFAULTS = {"after_resolution": "24h", "min_n": 5, "nps": False, "servqual": False, "fixed_question": True,
                   "weights": None, "publish": False, "publish_properties": [],
                   "publish_inspections": False}  # the monthly inspections' line on the scorecard


def survey_settings(document: dict) -> dict:
    """The survey section with its defaults filled in: when to ask, what to ask, the
    minimum n below which a score says "too few responses", and whether to publish."""
    return {**SURVEY_DEFAULTS, **((document or {}).get("survey") or {})}


def changes(before: Any, after: Any, path: str = "") -> list[str]:
    """What changed between two documents, path by path, as a person would read it."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before:
                found.append(f"{sub}: added")
            elif key not in after:
                found.append(f"{sub}: removed")
            else:
                found += changes(before[key], after[key], sub)
        return found
    if isinstance(before, list) and isinstance(after, list) and all(isinstance(x, dict) and "key" in x
                                                                    for x in before + after):
        old = {x["key"]: x for x in before}
        new = {x["key"]: x for x in after}
        found = []
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}"
            if key not in new:
                found.append(f"{sub}: removed")
            elif key not in old:
                found.append(f"{sub}: added")
            else:
                found += changes(old[key], new[key], sub)
        return found
    if before != after:
        return [f"{path}: {_short(before)} → {_short(after)}"]
    return []


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
