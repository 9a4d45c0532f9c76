"""Finding a ticket from what a caller at the desk says: its number, the unit, or the last
four digits of the phone the report gave. Pure rules, no AWS; the store keeps one index key
per way (``store/search.py``), so each search is one key lookup, never a scan.

What is *not* searchable, on purpose: words of the description, residents' names and
e-mail addresses, and phone numbers other than by their last four digits (see the README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidInput
from .registry import unit_key
from .tickets import UNIT_PATTERN

WAYS = ("number", "unit", "phone")


@dataclass(frozen=True)
class Search:
    way: str  # "number" | "unit" | "phone"
    key: str  # the number as digits, the unit key, or four digits


def phone_last4(phone: str | None) -> str | None:
    """The last four digits of a phone number as typed ('+86 138 0013 8000' → '8000')."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-4:] if len(digits) >= 4 else None


def parse(way: str, text: str) -> Search:
    """What was typed, read the way chosen. Raises InvalidInput naming ``q`` or ``by``."""
    text = (text or "").strip()
    if way not in WAYS:
        raise InvalidInput("Choose how to search.", {"by": "must be one of: " + ", ".join(WAYS)})
    if way == "number":
        digits = text.lstrip("#").strip()
        if not re.fullmatch(r"[0-9]{1,9}", digits):
            raise InvalidInput("Type a ticket number.", {"q": "must be a ticket number, like 1024"})
        return Search("number", str(int(digits)))
    if way == "unit":
        if not re.fullmatch(UNIT_PATTERN, text):
            raise InvalidInput("Type a unit.", {"q": "must be a unit code, like 1203"})
        return Search("unit", unit_key(text))
    if not re.fullmatch(r"[0-9]{4}", text):
        raise InvalidInput("Type four digits.", {"q": "must be the last 4 digits of a phone number"})
    return Search("phone", text)


__all__ = ["Search", "WAYS", "parse", "phone_last4"]
