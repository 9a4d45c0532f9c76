"""Input shapes: one declaration validates a request body and documents it in OpenAPI.

A ``Shape`` names its fields; ``Shape.parse(data)`` returns clean values or raises
``InvalidInput`` naming *every* bad field by its path (``entry.windows[0].from``)
with the reason. ``Shape.schema()`` gives the JSON Schema for ``/openapi.json``.
Pure Python, no AWS: the domain layer and the API share it.

It is also the one place where text becomes a value: dates, date-times, times of day and
time zones are parsed here into real ``date``/``datetime``/``time``/``ZoneInfo`` values
(impossible ones refused with a reason), booleans are JSON booleans only, and free text
loses the control and formatting characters that could hide or reorder what staff read
(``clean_text``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from .errors import InvalidInput

MISSING = object()


class Problem(Exception):
    """A reason a single value is wrong (the caller knows the field's path)."""


@dataclass
class Field:
    required: bool = True
    description: str = ""
    default: Any = None

    def parse(self, value: Any, path: str, problems: dict[str, str]) -> Any:
        try:
            return self.clean(value, path, problems)
        except Problem as problem:
            problems[path] = str(problem)
            return None

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> Any:
        raise NotImplementedError

    def schema(self) -> dict:
        raise NotImplementedError

    def _doc(self, schema: dict) -> dict:
        if self.description:
            schema["description"] = self.description
        return schema


# --- text as people type it -----------------------------------------------------------------

# Characters kept although they are formatting characters: the zero-width joiner builds emoji
# (👩‍🔧) and the tags of a subdivision flag (🏴 + tags + cancel tag) are part of that flag.
ZWJ = "\u200d"
_FLAG_TAGS = re.compile("\U0001F3F4[\U000E0020-\U000E007E]{1,30}\U000E007F")


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Text as a person typed it, without the characters that hide or reorder what staff read.

    Dropped: control characters (Unicode Cc) except, in multi-line text, line feed and tab;
    format characters (Cf: bidi embeddings, overrides and isolates U+202A-202E and
    U+2066-2069, the marks U+200E/200F and U+061C, zero-width spaces, BOM, soft hyphens...)
    except the zero-width joiner and a subdivision flag's tags; lone surrogates (not text).
    Line breaks (CR LF, CR, U+2028/2029) become a line feed in multi-line text and a space
    elsewhere, as do tabs. Letters of every script, emoji and variation selectors stay."""
    kept: list[str] = []
    start = 0
    for flag in _FLAG_TAGS.finditer(text):
        kept.append(_clean_run(text[start:flag.start()], multiline))
        kept.append(flag.group())
        start = flag.end()
    kept.append(_clean_run(text[start:], multiline))
    return "".join(kept)


def _clean_run(text: str, multiline: bool) -> str:
    text = text.replace("\r\n", "\n")
    out = []
    for ch in text:
        if ch in "\n\r\u2028\u2029\t":
            out.append(("\t" if ch == "\t" else "\n") if multiline else " ")
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or (category == "Cf" and ch != ZWJ):
            continue
        out.append(ch)
    return "".join(out)


@dataclass
class Text(Field):
    min_len: int = 1
    max_len: int = 200
    pattern: str | None = None
    pattern_reason: str = "has characters that are not allowed"
    lower: bool = False
    multiline: bool = False  # keeps line feeds and tabs (descriptions, notes, comments)

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> str:
        if not isinstance(value, str):
            raise Problem("must be text")
        if "\x00" in value:
            raise Problem("must not contain NUL characters")
        value = clean_text(value, multiline=self.multiline).strip()
        if self.lower:
            value = value.lower()
        if len(value) < self.min_len:
            raise Problem("is required" if self.min_len == 1 else f"must be at least {self.min_len} characters")
        if len(value) > self.max_len:
            raise Problem(f"must be at most {self.max_len} characters")
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise Problem(self.pattern_reason)
        return value

    def schema(self) -> dict:
        schema: dict = {"type": "string", "minLength": self.min_len, "maxLength": self.max_len}
        if self.pattern:
            schema["pattern"] = f"^{self.pattern}$"
        return self._doc(schema)


EMAIL_PATTERN = r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}"
PHONE_PATTERN = r"\+?[0-9][0-9 \-]{5,22}"


def Email(**kwargs: Any) -> Text:
    return Text(max_len=254, pattern=EMAIL_PATTERN, pattern_reason="must be an e-mail address like name@example.com",
                lower=True, **kwargs)


@dataclass
class Phone(Text):
    max_len: int = 24
    pattern: str | None = PHONE_PATTERN
    pattern_reason: str = "must be a phone number of 6 to 20 digits, optionally starting with +"

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> str:
        text = super().clean(value, path, problems)
        digits = re.sub(r"[ \-]", "", text)
        if not 6 <= len(digits.lstrip("+")) <= 20:
            raise Problem(self.pattern_reason)
        return digits


@dataclass
class Choice(Field):
    options: Iterable[str] | Callable[[], Iterable[str]] = ()

    def allowed(self) -> list[str]:
        options = self.options() if callable(self.options) else self.options
        return list(options)

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> str:
        allowed = self.allowed()
        if not isinstance(value, str) or value not in allowed:
            raise Problem("must be one of: " + ", ".join(allowed))
        return value

    def schema(self) -> dict:
        schema: dict = {"type": "string"}
        if not callable(self.options):
            schema["enum"] = list(self.options)
        return self._doc(schema)


@dataclass
class Boolean(Field):
    def clean(self, value: Any, path: str, problems: dict[str, str]) -> bool:
        # JSON's true and false only: forms turn their own values into booleans before this
        # (the resident form's yes/no radio, the console's checkbox), so "yes", "0" or 1 here
        # is a client that means something we cannot guess.
        if isinstance(value, bool):
            return value
        raise Problem("must be true or false (a JSON boolean)")

    def schema(self) -> dict:
        return self._doc({"type": "boolean"})


@dataclass
class Integer(Field):
    minimum: int = 0
    maximum: int = 2**31

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> int:
        if isinstance(value, bool):
            raise Problem("must be a whole number")
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,12}", value.strip()):
            value = int(value)
        if not isinstance(value, int):
            raise Problem("must be a whole number")
        if not self.minimum <= value <= self.maximum:
            raise Problem(f"must be between {self.minimum} and {self.maximum}")
        return value

    def schema(self) -> dict:
        return self._doc({"type": "integer", "minimum": self.minimum, "maximum": self.maximum})


@dataclass
class ListOf(Field):
    item: Field = field(default_factory=lambda: Text())
    min_items: int = 0
    max_items: int = 20

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> list:
        if not isinstance(value, list):
            raise Problem("must be a list")
        if len(value) < self.min_items:
            raise Problem(f"needs at least {self.min_items} item(s)")
        if len(value) > self.max_items:
            raise Problem(f"must have at most {self.max_items} items")
        return [self.item.parse(v, f"{path}[{i}]", problems) for i, v in enumerate(value)]

    def schema(self) -> dict:
        return self._doc({"type": "array", "items": self.item.schema(),
                          "minItems": self.min_items, "maxItems": self.max_items})


@dataclass
class Shape(Field):
    """A JSON object with named fields; unknown names are refused (typos surface early)."""

    fields: dict[str, Field] = field(default_factory=dict)
    check: Callable[[dict, dict[str, str], str], None] | None = None

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> dict:
        if not isinstance(value, dict):
            raise Problem("must be an object")
        prefix = f"{path}." if path else ""
        result: dict = {}
        for name in value:
            if name not in self.fields:
                problems[f"{prefix}{name}"] = "is not a recognised field"
        for name, spec in self.fields.items():
            raw = value.get(name, MISSING)
            if raw is MISSING or raw is None or (isinstance(raw, str) and not raw.strip() and not spec.required):
                if spec.required:
                    problems[f"{prefix}{name}"] = "is required"
                else:
                    result[name] = spec.default
                continue
            result[name] = spec.parse(raw, f"{prefix}{name}", problems)
        if self.check and not any(key == path or key.startswith(prefix) for key in problems):
            self.check(result, problems, prefix)
        return result

    def parse_body(self, data: Any, message: str = "Some fields need attention.") -> dict:
        """Validate a whole request body; raise InvalidInput listing every problem."""
        problems: dict[str, str] = {}
        if not isinstance(data, dict):
            raise InvalidInput("The request body must be a JSON object.", {"body": "must be an object"})
        result = self.clean(data, "", problems)
        if problems:
            raise InvalidInput(message, problems)
        return result

    def schema(self) -> dict:
        return self._doc({
            "type": "object",
            "additionalProperties": False,
            "properties": {name: spec.schema() for name, spec in self.fields.items()},
            "required": [name for name, spec in self.fields.items() if spec.required],
        })


@dataclass
class AnyObject(Field):
    """A free-form JSON object validated elsewhere (e.g. a whole standards document)."""

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> dict:
        if not isinstance(value, dict):
            raise Problem("must be an object")
        return value

    def schema(self) -> dict:
        return self._doc({"type": "object"})


def whole_number(value: Any, low: int, high: int, name: str, problems: dict[str, str], required: bool) -> int | None:
    """A form's whole number in [low, high] (text or int); records the reason under ``name``."""
    text = value.strip() if isinstance(value, str) else "" if value is None else str(value)
    if not text:
        if required:
            problems[name] = "is required"
        return None
    if not re.fullmatch(r"[0-9]{1,9}", text) or not low <= int(text) <= high:  # not isdigit: "²" is a digit
        problems[name] = f"must be a whole number {low}-{high}"
        return None
    return int(text)


# --- dates, times and time zones --------------------------------------------------------------
#
# Every date, date-time, time of day and time zone that arrives as text is read here, and only
# here: the parsers return real ``date`` / ``datetime`` / ``time`` / ``ZoneInfo`` values (or
# raise ``Problem`` with a reason a person can act on), so no service calls ``fromisoformat``
# on text it has not checked. Years outside YEARS are refused: no firm means them, and date
# arithmetic near year 1 or 9999 overflows.

YEARS = (2000, 2100)
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"  # ASCII digits only: \d takes ２ and ٢ too
TIME_PATTERN = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
OFFSET_PATTERN = r"Z|[+-][0-9]{2}:[0-9]{2}"
MAX_OFFSET = timedelta(hours=14)  # the widest offset any zone has ever used (UTC+14, Kiribati)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?")
_DATETIME = re.compile(rf"({DATE_PATTERN})T({TIME_PATTERN})({OFFSET_PATTERN})?")


def parse_date(value: Any, years: tuple[int, int] = YEARS) -> date:
    """``2026-10-01`` (a ``date`` passes as it is) → date; Problem for anything else: another
    format, a day the month does not have (2026-02-30), a year outside ``years``."""
    if isinstance(value, datetime):
        raise Problem("must be a date like 2026-10-01, without a time")
    if isinstance(value, date):
        day = value
    else:
        match = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
        if not match:
            raise Problem("must be a date like 2026-10-01")
        year, month, day_of_month = (int(g) for g in match.groups())
        if not years[0] <= year <= years[1]:
            raise Problem(_years_reason(years))
        try:
            day = date(year, month, day_of_month)
        except ValueError:  # month 13, 2026-02-30, 2026-04-31
            raise Problem(NO_SUCH_DATE) from None
    if not years[0] <= day.year <= years[1]:
        raise Problem(_years_reason(years))
    return day


# Fixed texts (the console translates a reason by its English text): no values inside.
NO_SUCH_DATE = "must be a date that exists, like 2026-10-01 (not 2026-02-30 or 2026-13-01)"


def _years_reason(years: tuple[int, int]) -> str:
    return f"must be a date in the years {years[0]}-{years[1]}"


def parse_time_of_day(value: Any, *, end_of_day: bool = False) -> time:
    """``09:30`` (or ``09:30:15``) → time; Problem for 25:00, 10:61 and anything not a time.
    With ``end_of_day`` a range's end may be ``24:00``, returned as ``time(0)``."""
    match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise Problem("must be a time like 09:30")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    micro = int((match[4] or "0").ljust(6, "0"))
    if end_of_day and hour == 24 and minute == second == micro == 0:
        return time(0)
    if hour > 23 or minute > 59 or second > 59:
        raise Problem(f"{value.strip()} is not a time of day (00:00 to 23:59)")
    return time(hour, minute, second, micro)


def parse_offset(value: str) -> timezone:
    """``+08:00`` / ``Z`` → a fixed offset; Problem beyond ±14:00 or with minutes over 59."""
    if value == "Z":
        return timezone.utc
    match = re.fullmatch(r"([+-])([0-9]{2}):([0-9]{2})", value)
    if not match:
        raise Problem("must end with an offset like +08:00 or Z")
    hours, minutes = int(match[2]), int(match[3])
    offset = timedelta(hours=hours, minutes=minutes)
    if minutes > 59 or offset > MAX_OFFSET:
        raise Problem(f"has an offset {value} that no place uses (offsets run from -12:00 to +14:00)")
    return timezone(-offset if match[1] == "-" else offset)


def parse_datetime(value: Any, *, zone: ZoneInfo | None = None, years: tuple[int, int] = YEARS) -> datetime:
    """``2026-11-28T09:30:00+08:00`` → an aware datetime. Without ``zone`` the offset (or Z)
    is required; with it, a local wall time without an offset is read in that zone (a form's
    ``datetime-local``). Every part is checked: month, day, hour, minute, second, offset, year."""
    match = _DATETIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise Problem("must be a date and time with its offset, e.g. 2026-11-28T09:30:00+08:00"
                      if zone is None else "must be a date and time like 2026-11-28T09:30")
    day = parse_date(match[1], years)
    clock = parse_time_of_day(match[2])
    if match[3] is None:
        if zone is None:
            raise Problem("needs its offset from UTC, e.g. 2026-11-28T09:30:00+08:00")
        tz: Any = zone
    else:
        tz = parse_offset(match[3])
    return datetime.combine(day, clock, tzinfo=tz)


@lru_cache(maxsize=1)
def iana_zones() -> frozenset[str]:
    """The names of the IANA time zone database (as the ``tzdata`` package ships it, so the
    answer does not depend on the machine's /usr/share/zoneinfo, which also holds files like
    ``localtime`` and ``posixrules`` that are not zones), less ``Factory`` (no zone at all)."""
    try:
        from importlib import resources
        names = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    except (ImportError, OSError):  # pragma: no cover - tzdata is a dependency
        import zoneinfo
        names = [n for n in zoneinfo.available_timezones() if n not in ("localtime", "posixrules")]
    return frozenset(names) - {"Factory"}


def parse_zone(value: Any) -> ZoneInfo:
    """An IANA zone name (``Asia/Shanghai``, ``Europe/London``, ``UTC``) → ZoneInfo; Problem
    for anything else, ``localtime``, file paths and fixed offsets like GMT+8 included."""
    if not isinstance(value, str) or value.strip() not in iana_zones():
        raise Problem("must be an IANA time zone such as Asia/Shanghai or Europe/London")
    return ZoneInfo(value.strip())


@dataclass
class Date(Field):
    """A calendar date ``YYYY-MM-DD`` → ``date``."""
    years: tuple[int, int] = YEARS

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> date:
        return parse_date(value, self.years)

    def schema(self) -> dict:
        return self._doc({"type": "string", "format": "date", "pattern": f"^{DATE_PATTERN}$",
                          "minLength": 10, "maxLength": 10})


@dataclass
class DateTime(Field):
    """A date and time with its offset (RFC 3339) → an aware ``datetime``."""
    years: tuple[int, int] = YEARS

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> datetime:
        if isinstance(value, str) and len(value) > 40:
            raise Problem("must be a date and time with its offset, e.g. 2026-11-28T09:30:00+08:00")
        return parse_datetime(value, years=self.years)

    def schema(self) -> dict:
        return self._doc({"type": "string", "format": "date-time", "maxLength": 40,
                          "pattern": rf"^{DATE_PATTERN}T{TIME_PATTERN}({OFFSET_PATTERN})$"})


@dataclass
class TimeOfDay(Field):
    """A time of day ``HH:MM`` → ``time``."""

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> time:
        return parse_time_of_day(value)

    def schema(self) -> dict:
        return self._doc({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"})


@dataclass
class TimeZone(Field):
    """An IANA time zone name → ``ZoneInfo`` (``.key`` is the name to store)."""

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> ZoneInfo:
        return parse_zone(value)

    def schema(self) -> dict:
        return self._doc({"type": "string", "maxLength": 64, "description": "an IANA time zone, e.g. Asia/Shanghai"})
