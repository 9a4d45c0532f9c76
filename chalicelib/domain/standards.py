"""Service standards: the categories, priorities and targets a firm promises.

For now the standards document is stored as the template gave it; this module reads
the parts tickets need (the category and priority lists, the promised durations).
Durations count calendar time until the SLA engine adds business calendars: a
"7 working days" target is read as 7 × 24 h, which errs on the generous side for
the resident's promise shown in the queue ordering, and is marked ``business``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .errors import InvalidInput

LOCALES = ("zh-CN", "en")

_DURATION = re.compile(
    r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>m|min|minutes?|h|hours?|d|days?|wd|working days?|business days?)\s*$"
)


@dataclass(frozen=True)
class Duration:
    amount: timedelta
    business: bool
    text: str


def parse_duration(text: Any) -> Duration:
    """'30m', '24h', '7d', '7 working days' → Duration; raises ValueError otherwise."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a duration like 30m, 24h, 7d or '7 working days'")
    n = float(match["n"])
    unit = match["unit"]
    if unit.startswith("m"):
        amount = timedelta(minutes=n)
    elif unit.startswith("h"):
        amount = timedelta(hours=n)
    else:
        amount = timedelta(days=n)
    business = unit in ("wd",) or unit.startswith(("working", "business"))
    if amount <= timedelta(0):
        raise ValueError(f"'{text}' must be longer than zero")
    return Duration(amount, business, str(text).strip())


@dataclass(frozen=True)
class Targets:
    first_response: Duration
    resolution: Duration


@dataclass(frozen=True)
class Standards:
    document: dict

    @property
    def categories(self) -> list[str]:
        return [c["key"] for c in self.document.get("categories", [])]

    @property
    def priorities(self) -> list[str]:
        return [p["key"] for p in self.document.get("priorities", [])]

    def is_emergency(self, category: str) -> bool:
        return any(c["key"] == category and c.get("emergency") for c in self.document.get("categories", []))

    def targets(self, category: str, priority: str) -> Targets:
        table = self.document.get("targets", {})
        found: dict[str, Any] = {}
        for cat_key, pri_key in (("*", "*"), ("*", priority), (category, "*"), (category, priority)):
            found.update(table.get(cat_key, {}).get(pri_key, {}) or {})
        return Targets(parse_duration(found["first_response"]), parse_duration(found["resolution"]))


def check_document(document: Any) -> Standards:
    """The checks a stored standards document must pass before any ticket relies on it."""
    problems: dict[str, str] = {}
    if not isinstance(document, dict):
        raise InvalidInput("The standards document must be a mapping.", {"standards": "must be a mapping"})
    for kind in ("categories", "priorities"):
        entries = document.get(kind)
        if not isinstance(entries, list) or not entries:
            problems[kind] = "needs at least one entry"
            continue
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            key = entry.get("key") if isinstance(entry, dict) else None
            if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key):
                problems[f"{kind}[{i}].key"] = "must be lower-case letters, digits or _ (max 40)"
            elif key in seen:
                problems[f"{kind}[{i}].key"] = f"'{key}' appears twice"
            else:
                seen.add(key)
            names = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(names, dict) or not all(isinstance(names.get(loc), str) for loc in LOCALES):
                problems[f"{kind}[{i}].name"] = "needs a name in zh-CN and en"
    targets = document.get("targets")
    if not isinstance(targets, dict) or not isinstance(targets.get("*", {}).get("*"), dict):
        problems["targets.*.*"] = "a default target (category * and priority *) is required"
    else:
        for cat_key, by_priority in targets.items():
            for pri_key, target in (by_priority or {}).items():
                for name, value in (target or {}).items():
                    try:
                        parse_duration(value)
                    except ValueError as exc:
                        problems[f"targets.{cat_key}.{pri_key}.{name}"] = str(exc)
        default = targets.get("*", {}).get("*", {})
        for name in ("first_response", "resolution"):
            if name not in default:
                problems[f"targets.*.*.{name}"] = "is required"
    if problems:
        raise InvalidInput("The service standards are not valid.", problems)
    return Standards(document)
