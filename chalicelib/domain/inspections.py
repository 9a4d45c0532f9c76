"""Monthly quality inspections (月度品质检查): pure rules, no AWS.

A **checklist** belongs to one property: areas (环境卫生, 绿化, 公共设施, 服务态度 …), each
with items, every name in both languages::

    {"areas": [{"key": "sanitation", "name": {"zh-CN": "环境卫生", "en": "Cleanliness"},
                "items": [{"key": "lobby_floor", "name": {"zh-CN": "大堂地面洁净", "en": "Lobby floor clean"}}]}]}

**Scoring is pass / fail** per item, chosen over a 0–N score because it is what a
walk-round with a phone records reliably, it needs no scale calibration between
inspectors, and it sums exactly: "92 of 100 items passed" is a count, not a mean.

An **inspection** is that checklist completed for a property and a month (one per
property and month; a later save replaces it under a version guard)::

    {"property_id": "…", "month": "M2026-11",
     "results": {"lobby_floor": {"passed": false, "note": "stains by the lift", "photos": [], "ticket_id": "…"}}}

Photos of a failure (at most three an item, checked like a resident's: ``domain/photos.py``)
and the item's ticket are attached by their own steps and kept while the item still fails.

Every item of the checklist must have a result; a failed item needs a note (what is
wrong); a passed item may have one. Unknown items are refused.

**Counters** (added to the firm's score counters, ``domain/scores.py``, in the month and
quarter of the inspection, for the whole firm and for the property):

========================  ===================================================================
insp_done                 inspections recorded
insp_n, insp_pass         items inspected, of them passed
insp.<area>.n / .pass     the same per area key (areas keep their key across properties,
                          so "communal facilities" sums over the firm)
========================  ===================================================================

A changed inspection is stored by adding ``contributions(after) - contributions(before)``,
as a ticket's changes are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from .errors import InvalidInput
from .fields import clean_text
from .scores import parse_period

LANGUAGES = ("zh-CN", "en")
KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_AREAS = 20
MAX_ITEMS_PER_AREA = 50
MAX_NAME = 120
MAX_NOTE = 1000
MAX_PHOTOS_PER_ITEM = 3

# The seeds' four areas (seed 004), a starting checklist an admin edits.
STARTER = {"areas": [
    {"key": "sanitation", "name": {"zh-CN": "环境卫生", "en": "Cleanliness"}, "items": [
        {"key": "lobby_clean", "name": {"zh-CN": "大堂及电梯厅洁净", "en": "Lobby and lift halls clean"}},
        {"key": "bins_emptied", "name": {"zh-CN": "垃圾桶按时清运", "en": "Bins emptied on time"}}]},
    {"key": "greening", "name": {"zh-CN": "绿化", "en": "Landscaping"}, "items": [
        {"key": "lawns_kept", "name": {"zh-CN": "草坪修剪整齐", "en": "Lawns trimmed"}}]},
    {"key": "facilities", "name": {"zh-CN": "公共设施", "en": "Communal facilities"}, "items": [
        {"key": "lights_work", "name": {"zh-CN": "公共照明完好", "en": "Communal lights working"}},
        {"key": "lifts_work", "name": {"zh-CN": "电梯运行正常", "en": "Lifts working"}}]},
    {"key": "service", "name": {"zh-CN": "服务态度", "en": "Staff conduct"}, "items": [
        {"key": "desk_staffed", "name": {"zh-CN": "服务台有人值守且礼貌", "en": "Service desk staffed and courteous"}}]},
]}


@dataclass(frozen=True)
class Item:
    key: str
    area: str
    name: dict


def _names(value: Any, at: str, problems: dict[str, str]) -> dict:
    names = value if isinstance(value, dict) else {}
    kept = {}
    for lang in LANGUAGES:
        text = names.get(lang)
        text = clean_text(text).strip() if isinstance(text, str) else None
        if not text:
            problems[f"{at}.name.{lang}"] = "write the name in this language"
        elif len(text) > MAX_NAME:
            problems[f"{at}.name.{lang}"] = f"must be at most {MAX_NAME} characters"
        else:
            kept[lang] = text
    return kept


def _key(value: Any, at: str, seen: set, problems: dict[str, str]) -> str:
    if not isinstance(value, str) or not KEY.fullmatch(value):
        problems[f"{at}.key"] = "must be 1-40 lower-case letters, digits or _, starting with a letter"
        return ""
    if value in seen:
        problems[f"{at}.key"] = "is used twice"
    seen.add(value)
    return value


def check_checklist(document: Any) -> dict:
    """The checklist as saved, or InvalidInput naming each problem by its place
    (``areas[1].items[0].name.en``). Nothing is saved unless all of it is right."""
    if not isinstance(document, dict) or not isinstance(document.get("areas"), list):
        raise InvalidInput("The checklist needs a list of areas.", {"areas": "must be a list"})
    areas = document["areas"]
    if not areas:
        raise InvalidInput("The checklist needs at least one area.", {"areas": "must have at least one area"})
    if len(areas) > MAX_AREAS:
        raise InvalidInput("Too many areas.", {"areas": f"must be at most {MAX_AREAS}"})
    problems: dict[str, str] = {}
    area_keys: set = set()
    item_keys: set = set()  # unique over the checklist: a result names its item alone
    kept = []
    for i, area in enumerate(areas):
        at = f"areas[{i}]"
        if not isinstance(area, dict):
            problems[at] = "must be a mapping"
            continue
        key, name = _key(area.get("key"), at, area_keys, problems), _names(area.get("name"), at, problems)
        items = area.get("items")
        if not isinstance(items, list) or not items:
            problems[f"{at}.items"] = "must be a list of at least one item"
            items = []
        elif len(items) > MAX_ITEMS_PER_AREA:
            problems[f"{at}.items"] = f"must be at most {MAX_ITEMS_PER_AREA}"
            items = []
        kept_items = []
        for j, item in enumerate(items):
            item_at = f"{at}.items[{j}]"
            if not isinstance(item, dict):
                problems[item_at] = "must be a mapping"
                continue
            kept_items.append({"key": _key(item.get("key"), item_at, item_keys, problems),
                               "name": _names(item.get("name"), item_at, problems)})
        kept.append({"key": key, "name": name, "items": kept_items})
    if problems:
        raise InvalidInput("Some parts of the checklist need attention; nothing was saved.", problems)
    return {"areas": kept}


def items_of(checklist: dict) -> list[Item]:
    return [Item(item["key"], area["key"], item["name"]) for area in checklist["areas"] for item in area["items"]]


def check_month(value: Any) -> str:
    """A month key such as ``M2026-11`` (InvalidInput on ``month`` otherwise)."""
    try:
        period = parse_period(value)
    except InvalidInput:
        period = None
    if period is None or period.kind != "month":
        raise InvalidInput("That is not a month.", {"month": "must be a month like M2026-11"})
    return period.key


def check_results(checklist: dict, results: Any) -> dict:
    """Every item's result, as saved: ``{item key: {"passed", "note", "photos"}}``; or
    InvalidInput naming ``results.<item>.<field>`` and why."""
    if not isinstance(results, dict):
        raise InvalidInput("The inspection needs its results.", {"results": "must be a mapping of item to result"})
    problems: dict[str, str] = {}
    known = {item.key for item in items_of(checklist)}
    for key in results:
        if key not in known:
            problems[f"results.{str(key)[:60]}"] = "is not an item of this property's checklist"
    kept = {}
    for item in items_of(checklist):
        at = f"results.{item.key}"
        result = results.get(item.key)
        if result is None:
            problems[at] = "needs a result: passed or failed"
            continue
        if not isinstance(result, dict):
            problems[at] = "must be a mapping"
            continue
        passed = result.get("passed")
        if not isinstance(passed, bool):
            problems[f"{at}.passed"] = "must be true or false"
        note = result.get("note")
        note = "" if note is None else clean_text(note, multiline=True).strip() if isinstance(note, str) else None
        if note is None:
            problems[f"{at}.note"] = "must be text"
        elif len(note) > MAX_NOTE:
            problems[f"{at}.note"] = f"must be at most {MAX_NOTE} characters"
        elif passed is False and not note:
            problems[f"{at}.note"] = "say what is wrong with a failed item"
        # photos and the ticket are attached by their own steps (checked uploads, a real
        # ticket), never taken from a client's results
        kept[item.key] = {"passed": passed is True, "note": note or "", "photos": []}
    if problems:
        raise InvalidInput("Some results need attention; nothing was saved.", problems)
    return kept


# --- roll-up ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Tally:
    passed: int
    total: int

    @property
    def share(self) -> float | None:
        """Passed share 0-1, or None when nothing was inspected."""
        return self.passed / self.total if self.total else None

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.passed + other.passed, self.total + other.total)


def by_area(checklist: dict, results: dict) -> dict[str, Tally]:
    """Passed and inspected items per area key, in the checklist's order."""
    found: dict[str, Tally] = {area["key"]: Tally(0, 0) for area in checklist["areas"]}
    for item in items_of(checklist):
        result = results.get(item.key)
        if result is not None:
            found[item.area] += Tally(1 if result["passed"] else 0, 1)
    return found


def overall(tallies: dict[str, Tally]) -> Tally:
    return sum(tallies.values(), Tally(0, 0))


def contributions(property_id: str, month: str, area_tallies: dict[str, Tally]) -> dict:
    """Score counter contributions of one inspection: ``{(period, by, value): counters}``
    for the month and its quarter, the whole firm and the property."""
    period = parse_period(month)
    quarter = f"Q{period.year}-{(period.number - 1) // 3 + 1}"
    total = overall(area_tallies)
    counters = {"insp_done": 1, "insp_n": total.total, "insp_pass": total.passed}
    for area, tally in area_tallies.items():
        counters[f"insp.{area}.n"] = tally.total
        counters[f"insp.{area}.pass"] = tally.passed
    return {(p, by, value): dict(counters) for p in (month, quarter)
            for by, value in (("all", "all"), ("property", property_id))}


def difference(after: dict, before: dict) -> dict:
    """``after - before`` per key and counter, zeros left out."""
    found: dict = {}
    for key in set(after) | set(before):
        a, b = after.get(key, {}), before.get(key, {})
        delta = {name: a.get(name, 0) - b.get(name, 0) for name in set(a) | set(b)}
        delta = {name: n for name, n in delta.items() if n}
        if delta:
            found[key] = delta
    return found


def from_counters(counters: dict[str, int]) -> tuple[Tally, dict[str, Tally]]:
    """The overall and per-area tallies read back from a slice's score counters."""
    areas: dict[str, Tally] = {}
    for name, value in counters.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "insp" and parts[2] in ("n", "pass"):
            tally = areas.get(parts[1], Tally(0, 0))
            areas[parts[1]] = Tally(tally.passed + (value if parts[2] == "pass" else 0),
                                    tally.total + (value if parts[2] == "n" else 0))
    return Tally(counters.get("insp_pass", 0), counters.get("insp_n", 0)), areas


def summary(counters: dict, names: dict[str, dict] | None = None) -> dict | None:
    """A slice's inspection figures from its score counters (no read): items passed of
    inspected, overall and per area; None when the slice had no inspection."""
    total, areas = from_counters(counters)
    if not total.total:
        return None
    return {"inspections": counters.get("insp_done", 0), "passed": total.passed, "items": total.total,
            "areas": [{"key": key, "name": (names or {}).get(key) or {}, "passed": t.passed, "items": t.total}
                      for key, t in sorted(areas.items())]}


# English msgids; zh-CN in chalicelib/web/i18n/zh_CN/LC_MESSAGES/messages.po (the public pages' catalogue)
ALL_WORDS = "Monthly inspections: %(passed)d of %(items)d items passed"
AREA_WORDS = "%(area)s: %(passed)d of %(items)d items passed"


def scorecard_lines(review: dict | None, lang: str, gettext: Callable[[str], str], *, publish: bool) -> list[str]:
    """The published scorecard's inspection sentences for a frozen monthly review
    (``services/rollups.review`` keeps this module's ``summary`` on it as ``inspections``):
    "Monthly inspections: 92 of 100 items passed", then one per area ("Communal facilities:
    30 of 32 items passed"), in ``lang`` through ``gettext``. Empty when the firm does not
    publish them (``survey.publish_inspections``) or no inspection was done that month."""
    found = (review or {}).get("inspections")
    if not publish or not found:
        return []
    lines = [gettext(ALL_WORDS) % {"passed": found["passed"], "items": found["items"]}]
    for area in found.get("areas") or []:
        names = area.get("name") or {}
        name = names.get(lang) or names.get("en") or names.get("zh-CN")
        if name:
            lines.append(gettext(AREA_WORDS) % {"area": name, "passed": area["passed"], "items": area["items"]})
    return lines


def failed_items(checklist: dict, results: dict) -> list[Item]:
    return [item for item in items_of(checklist) if item.key in results and not results[item.key]["passed"]]


def area_names(checklist: dict) -> dict[str, dict]:
    return {area["key"]: area["name"] for area in checklist["areas"]}


__all__ = ["check_checklist", "check_results", "check_month", "items_of", "by_area", "overall", "contributions",
           "difference", "from_counters", "summary", "scorecard_lines", "failed_items", "area_names", "Tally", "Item", "STARTER"]
