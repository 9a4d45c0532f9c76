"""Input shapes: one declaration validates a request body and documents it in OpenAPI.

A ``Shape`` names its fields; ``Shape.parse(data)`` returns clean values or raises
``InvalidInput`` naming *every* bad field by its path (``entry.windows[0].from``)
with the reason. ``Shape.schema()`` gives the JSON Schema for ``/openapi.json``.
Pure Python, no AWS: the domain layer and the API share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

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


@dataclass
class Text(Field):
    min_len: int = 1
    max_len: int = 200
    pattern: str | None = None
    pattern_reason: str = "has characters that are not allowed"
    lower: bool = False

    def clean(self, value: Any, path: str, problems: dict[str, str]) -> str:
        if not isinstance(value, str):
            raise Problem("must be text")
        value = value.strip()
        if self.lower:
            value = value.lower()
        if len(value) < self.min_len:
            raise Problem("is required" if self.min_len == 1 else f"must be at least {self.min_len} characters")
        if len(value) > self.max_len:
            raise Problem(f"must be at most {self.max_len} characters")
        if "\x00" in value:
            raise Problem("must not contain NUL characters")
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
        if isinstance(value, bool):
            return value
        if value in ("true", "on", "yes", "1"):
            return True
        if value in ("false", "off", "no", "0"):
            return False
        raise Problem("must be true or false")

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
    if not text.isdigit() or not low <= int(text) <= high:
        problems[name] = f"must be a whole number {low}-{high}"
        return None
    return int(text)
