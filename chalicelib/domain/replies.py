"""Canned replies (标准话术): the firm's standard words for a step of a ticket, kept by
admins in both languages, per category (or for every category), with placeholders filled
in when staff choose one. Pure rules, no AWS.

A reply::

    {"key": "r1", "category": "repairs" | "*", "step": "comment" | "wait" | "resolve",
     "text": {"zh-CN": "…{resident}…", "en": "…{resident}…"}}

Placeholders: ``{resident}`` (the resident's name, else "resident" / "住户"), ``{visit}``
(the booked visit in the firm's zone, else "to be arranged" / "待定"), ``{technician}``
(the assignee's name, else "our staff" / "工作人员"), ``{number}`` (the ticket number).
Any other ``{…}`` is refused when saved, so a filled reply never shows a brace.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import InvalidInput

STEPS = ("comment", "wait", "resolve")
LANGUAGES = ("zh-CN", "en")
PLACEHOLDERS = ("resident", "visit", "technician", "number")
MAX_REPLIES = 200
MAX_TEXT = 2000
FALLBACKS = {"zh-CN": {"resident": "住户", "visit": "待定", "technician": "工作人员"},
             "en": {"resident": "resident", "visit": "to be arranged", "technician": "our staff"}}
_BRACES = re.compile(r"\{([^{}]*)\}")


def check(replies: Any, categories: list[str]) -> list[dict]:
    """The replies as saved, or InvalidInput naming each problem by its place
    (``replies[2].text.en``)."""
    problems: dict[str, str] = {}
    if not isinstance(replies, list):
        raise InvalidInput("The replies must be a list.", {"replies": "must be a list"})
    if len(replies) > MAX_REPLIES:
        raise InvalidInput("Too many replies.", {"replies": f"must be at most {MAX_REPLIES}"})
    kept = []
    for i, reply in enumerate(replies):
        at = f"replies[{i}]"
        if not isinstance(reply, dict):
            problems[at] = "must be a mapping"
            continue
        if reply.get("category") != "*" and reply.get("category") not in categories:
            problems[f"{at}.category"] = "must be one of the firm's categories, or * for every category"
        if reply.get("step") not in STEPS:
            problems[f"{at}.step"] = "must be one of: " + ", ".join(STEPS)
        text = reply.get("text") if isinstance(reply.get("text"), dict) else {}
        for lang in LANGUAGES:
            words = text.get(lang)
            if not isinstance(words, str) or not words.strip():
                problems[f"{at}.text.{lang}"] = "write the reply in this language"
            elif len(words) > MAX_TEXT:
                problems[f"{at}.text.{lang}"] = f"must be at most {MAX_TEXT} characters"
            else:
                unknown = [p for p in _BRACES.findall(words) if p not in PLACEHOLDERS]
                if unknown or words.count("{") != words.count("}"):
                    problems[f"{at}.text.{lang}"] = "placeholders must be one of: " + ", ".join(
                        "{" + p + "}" for p in PLACEHOLDERS)
        kept.append({"key": str(reply.get("key") or f"r{i + 1}"), "category": reply.get("category"),
                     "step": reply.get("step"),
                     "text": {lang: (text.get(lang) or "").strip() for lang in LANGUAGES}})
    if problems:
        raise InvalidInput("Some replies need attention; nothing was saved.", problems)
    return kept


def for_step(replies: list[dict], category: str, step: str) -> list[dict]:
    """The replies staff may choose for this ticket's category at this step (the category's
    own first, then those for every category)."""
    own = [r for r in replies if r.get("step") == step and r.get("category") == category]
    return own + [r for r in replies if r.get("step") == step and r.get("category") == "*"]


def fill(text: str, lang: str, *, resident: str | None = None, visit_time: str | None = None,
         technician: str | None = None, number: int | None = None) -> str:
    """The reply with its placeholders filled in, in ``lang``'s words where a value is missing."""
    fallback = FALLBACKS.get(lang, FALLBACKS["en"])
    values = {"resident": resident or fallback["resident"], "visit": visit_time or fallback["visit"],
              "technician": technician or fallback["technician"], "number": str(number) if number else ""}
    return _BRACES.sub(lambda m: values.get(m.group(1), m.group(0)), text)


__all__ = ["check", "for_step", "fill", "STEPS", "LANGUAGES", "PLACEHOLDERS"]
