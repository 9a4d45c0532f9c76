"""The standards editor's form: a standards document shown as form fields, the fields read
back into a document, a validator's path matched to the field it is about, and the
document as YAML (download) and from YAML (pasted).

No rule lives here: a document built from the form is checked whole by
``domain.standards.check_document`` (through ``firm.replace_standards``), exactly like one
sent to the API or applied with the CLI. This module only moves text between boxes and a
document, and keeps every part of the document the form does not show (names, categories,
``pause_on_wait``, publishing, weights the admin did not touch...).

Field names are the document's own paths (``targets.water_leak.*.first_response``,
``calendar.hours.mon``, ``escalation.level1.notify[0].channel``), so the validator's path
for a problem is, nearly always, the name of the box to show it beside.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from ..domain.standards import SURVEY_DEFAULTS, TARGET_FIELDS, WEEKDAYS

LEVELS = ("level1", "level2")
SURVEY_FLAGS = ("nps", "servqual", "fixed_question")
DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
EMPTY_RECIPIENT_ROWS = 2  # blank rows under each level's recipients, to add one without script
ADDRESS_CHANNELS = ("email", "sms")  # these take ``to``; the robots and webhooks take ``url``
# Boxes grouped under one heading: a problem with the whole group is shown there.
GROUPS = ("standards", "calendar", "calendar.hours", "targets", "escalation", "escalation.level1",
          "escalation.level2", "survey", "survey.weights", "messages")

_SPLIT_RANGES = re.compile(r"[,;，；\n]+")
_SPLIT_DATES = re.compile(r"[,，;；\s]+")


def _text(raw: Any) -> str:
    """One posted value as stripped text (the first one when a name came twice)."""
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    return str(raw if raw is not None else "").strip()


def _checked(raw: Any) -> bool:
    """A checkbox after its hidden ``false`` companion: checked when ``true`` came too."""
    return "true" in (raw if isinstance(raw, list) else [raw])


def _keys(document: dict, kind: str) -> list[str]:
    return [e["key"] for e in document.get(kind) or [] if isinstance(e, dict) and isinstance(e.get("key"), str)]


def axes(document: dict) -> tuple[list[str], list[str]]:
    """The targets table's rows and columns: '*' (the fallback) first, then the document's keys."""
    return ["*", *_keys(document, "categories")], ["*", *_keys(document, "priorities")]


def target_name(category: str, priority: str, what: str) -> str:
    return f"targets.{category}.{priority}.{what}"


def recipient_name(level: str, i: int, what: str) -> str:
    return f"escalation.{level}.notify[{i}].{what}"


# --- document → boxes ------------------------------------------------------------------------

def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and not 0 < value < 1:
        return str(int(value))
    return "" if value is None else str(value)


def _percent(share: Any) -> str:
    """A stored share (0.8) as the percentage people type (80)."""
    if isinstance(share, bool) or not isinstance(share, (int, float, Decimal)):
        return _number(share)
    return f"{round(float(share) * 100, 4):g}"


def _share(text: str) -> Any:
    """A typed percentage (80, 80 %, 82.5) as the stored share (0.8); anything else as typed,
    for the validator to refuse (its reason is then told in percent: ``FORM_REASONS``)."""
    number = text.rstrip("%％ ").replace(",", ".")
    try:
        value = float(number)
    except ValueError:
        return text
    if not math.isfinite(value) or 0 < value < 1:  # 0.8 is the old share typed out of habit, not 0.8 %
        return text
    return round(value / 100, 6)


# The validator speaks of the document; a box that shows a value differently says it its way.
FORM_REASONS = {"escalation.warn_at": "must be a percentage of at least 1 and below 100, e.g. 80",
                "calendar.time_zone": "choose a time zone from the list",
                "calendar.country": "choose a country or region from the list"}


def values_from_document(document: dict) -> dict[str, Any]:
    """Every box's text (checkboxes: True/False) for a saved document."""
    values: dict[str, Any] = {}
    targets = document.get("targets") if isinstance(document.get("targets"), dict) else {}
    categories, priorities = axes(document)
    for cat in categories:
        row = targets.get(cat) if isinstance(targets.get(cat), dict) else {}
        for pri in priorities:
            cell = row.get(pri) if isinstance(row.get(pri), dict) else {}
            for what in TARGET_FIELDS:
                values[target_name(cat, pri, what)] = _number(cell.get(what))
    calendar = document.get("calendar") if isinstance(document.get("calendar"), dict) else {}
    values["calendar.time_zone"] = _number(calendar.get("time_zone"))
    values["calendar.country"] = _number(calendar.get("country"))
    hours = calendar.get("hours") if isinstance(calendar.get("hours"), dict) else {}
    for day in WEEKDAYS:
        ranges = hours.get(day)
        values[f"calendar.hours.{day}"] = ", ".join(map(str, ranges)) if isinstance(ranges, list) else _number(ranges)
    for kind in ("holidays", "workdays"):
        values[f"calendar.{kind}"] = "\n".join(str(d) for d in calendar.get(kind) or [])
    escalation = document.get("escalation") if isinstance(document.get("escalation"), dict) else {}
    values["escalation.warn_at"] = _percent(escalation.get("warn_at"))
    for level in LEVELS:
        spec = escalation.get(level) if isinstance(escalation.get(level), dict) else {}
        if level == "level2":
            values["escalation.level2.after"] = _number(spec.get("after"))
        notify = spec.get("notify") if isinstance(spec.get("notify"), list) else []
        for i, entry in enumerate(notify + [{}] * EMPTY_RECIPIENT_ROWS):
            entry = entry if isinstance(entry, dict) else {}
            values[recipient_name(level, i, "channel")] = _number(entry.get("channel"))
            values[recipient_name(level, i, "address")] = _number(entry.get("to") or entry.get("url"))
            values[recipient_name(level, i, "secret")] = ""  # write-only: never shown back (saved_secrets)
    survey = document.get("survey") if isinstance(document.get("survey"), dict) else {}
    values["survey.after_resolution"] = _number(survey.get("after_resolution"))
    values["survey.min_n"] = _number(survey.get("min_n"))
    for flag in SURVEY_FLAGS:
        values[f"survey.{flag}"] = bool(survey.get(flag, SURVEY_DEFAULTS[flag]))
    weights = survey.get("weights") if isinstance(survey.get("weights"), dict) else {}
    for dim in DIMENSIONS:
        values[f"survey.weights.{dim}"] = _number(weights.get(dim))
    values.update(_messages_values(document))
    return values


def inherited_targets(values: Mapping[str, Any], categories: list[str], priorities: list[str]) -> dict[str, str]:
    """{target box: the text it uses when left blank}: the category's "any priority" row, then
    the priority's row under "all categories", then the default (as ``Standards.targets``
    reads them). A box with nothing to fall back on is left out."""
    found: dict[str, str] = {}
    for cat in categories:
        for pri in priorities:
            chain = [c for c in ((cat, "*"), ("*", pri), ("*", "*")) if c != (cat, pri)]
            for what in TARGET_FIELDS:
                for c, p in dict.fromkeys(chain):
                    text = str(values.get(target_name(c, p, what)) or "").strip()
                    if text:
                        found[target_name(cat, pri, what)] = text
                        break
    return found


def _messages_values(document: dict) -> dict[str, Any]:
    """Residents' messages: quiet hours as in force (the default when unset; blank when off)."""
    from ..domain.notices import quiet_hours_of
    section = document.get("messages") if isinstance(document.get("messages"), dict) else {}
    quiet = quiet_hours_of(section) or {"from": "", "to": ""}
    return {"messages.quiet_hours.from": _number(quiet["from"]), "messages.quiet_hours.to": _number(quiet["to"]),
            "messages.sms_signature": _number(section.get("sms_signature"))}


def _messages_from_form(doc: dict, form: Mapping[str, Any]) -> None:
    """Both quiet-hour boxes blank turns quiet hours off; a blank signature uses the firm's name."""
    names = ("messages.quiet_hours.from", "messages.quiet_hours.to", "messages.sms_signature")
    if not any(name in form for name in names):
        return
    shown = _messages_values(doc)
    if all(_text(form[name]) == str(shown[name] or "") for name in names if name in form):
        return  # as saved (the defaults included): the document stays as it was
    section = _section(doc, "messages")
    start, end = _text(form.get(names[0])), _text(form.get(names[1]))
    if names[0] in form or names[1] in form:
        section["quiet_hours"] = {"from": start, "to": end} if (start or end) else False
    if names[2] in form:
        signature = _text(form.get(names[2]))
        if signature:
            section["sms_signature"] = signature
        else:
            section.pop("sms_signature", None)


def values_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """The boxes as typed (kept when the page comes back with errors or a conflict)."""
    values: dict[str, Any] = {}
    for name, raw in form.items():
        if name in (f"survey.{flag}" for flag in SURVEY_FLAGS):
            values[name] = _checked(raw)
        else:
            values[name] = raw[-1] if isinstance(raw, list) and raw else str(raw)
    return values


def _chain(document: dict) -> dict[str, list]:
    """{level: its recipients as saved}."""
    escalation = document.get("escalation") if isinstance(document.get("escalation"), dict) else {}
    found = {}
    for level in LEVELS:
        spec = escalation.get(level) if isinstance(escalation.get(level), dict) else {}
        found[level] = spec.get("notify") if isinstance(spec.get("notify"), list) else []
    return found


def firm_channels(document: dict) -> list[tuple[str, dict]]:
    """The robots and webhooks the firm's chain already uses, once each, as ("channel:level1:0",
    the entry): picked for another row, the entry is copied whole (its secret too, never shown)."""
    found, seen = [], set()
    for level, entries in _chain(document).items():
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or entry.get("channel") in ADDRESS_CHANNELS or not entry.get("url"):
                continue
            if (entry.get("channel"), entry["url"]) not in seen:
                seen.add((entry.get("channel"), entry["url"]))
                found.append((f"channel:{level}:{i}", entry))
    return found


def _picked(pick: str, originals: dict[str, list]) -> dict:
    """The recipient a row's "choose" select names: ``staff:<e-mail>`` (a colleague, by e-mail)
    or ``channel:<level>:<i>`` (a copy of a saved robot or webhook). Anything else is kept as a
    channel for the validator to refuse beside the row."""
    kind, _, rest = pick.partition(":")
    if kind == "staff" and rest:
        return {"channel": "email", "to": rest}
    if kind == "channel":
        level, _, index = rest.partition(":")
        entries = originals.get(level) or []
        if index.isdigit() and int(index) < len(entries) and isinstance(entries[int(index)], dict):
            return copy.deepcopy(entries[int(index)])
    return {"channel": pick}


def saved_secrets(document: dict) -> set[str]:
    """The secret boxes whose recipient has a secret saved: the page says so, masked, and an
    empty box keeps it (secrets are write-only in the editor)."""
    return set(secrets_of(document))


def secrets_of(document: dict) -> dict[str, str]:
    """Each saved secret by its box (for the audit log to tell that one changed, never what
    it is; the page never shows them)."""
    escalation = document.get("escalation") if isinstance(document.get("escalation"), dict) else {}
    found: dict[str, str] = {}
    for level in LEVELS:
        spec = escalation.get(level) if isinstance(escalation.get(level), dict) else {}
        notify = spec.get("notify") if isinstance(spec.get("notify"), list) else []
        found.update({recipient_name(level, i, "secret"): str(entry["secret"]) for i, entry in enumerate(notify)
                      if isinstance(entry, dict) and entry.get("secret")})
    return found


def recipient_rows(values: Mapping[str, Any], level: str) -> int:
    """How many recipient rows a level shows: every row the values have (saved + blank)."""
    rows = 0
    while recipient_name(level, rows, "channel") in values:
        rows += 1
    return rows


# --- boxes → document ------------------------------------------------------------------------

@dataclass
class Built:
    """A document read from the form, and where its list entries came from: a recipient
    left blank shifts the ones after it, a date sits on some line of its text box."""
    document: dict
    renamed: dict[str, str] = field(default_factory=dict)  # document path prefix → field prefix
    lines: dict[str, int] = field(default_factory=dict)    # document path of a list item → line


def _scalar(text: str, kind: type) -> Any:
    """A number when the text is one; else the text as typed, for the validator to refuse."""
    try:
        return kind(text)
    except ValueError:
        return text


def document_from_form(base: dict, form: Mapping[str, Any]) -> Built:
    """``base`` (the saved document) with every box the form carried put in; a box the form
    does not carry leaves its part of the document as it was."""
    doc = copy.deepcopy(base)
    built = Built(doc)
    _targets_from_form(doc, form)
    _calendar_from_form(doc, form, built)
    _escalation_from_form(doc, form, built)
    _survey_from_form(doc, form)
    _messages_from_form(doc, form)
    return built


def _section(doc: dict, key: str) -> dict:
    if not isinstance(doc.get(key), dict):
        doc[key] = {}
    return doc[key]


def _targets_from_form(doc: dict, form: Mapping[str, Any]) -> None:
    if not any(name.startswith("targets.") for name in form):
        return
    targets = _section(doc, "targets")
    categories, priorities = axes(doc)
    for cat in categories:
        row = dict(targets.get(cat)) if isinstance(targets.get(cat), dict) else {}
        for pri in priorities:
            cell = dict(row.get(pri)) if isinstance(row.get(pri), dict) else {}
            for what in TARGET_FIELDS:
                name = target_name(cat, pri, what)
                if name in form:
                    text = _text(form[name])
                    if text:
                        cell[what] = text
                    else:
                        cell.pop(what, None)
            if cell or (cat, pri) == ("*", "*"):  # the default stays, so "is required" names its box
                row[pri] = cell
            else:
                row.pop(pri, None)
        if row or cat == "*":
            targets[cat] = row
        else:
            targets.pop(cat, None)


def _calendar_from_form(doc: dict, form: Mapping[str, Any], built: Built) -> None:
    if not any(name.startswith("calendar.") for name in form):
        return
    calendar = _section(doc, "calendar")
    if "calendar.time_zone" in form:
        calendar["time_zone"] = _text(form["calendar.time_zone"])
    if "calendar.country" in form:
        country = _text(form["calendar.country"])
        if country:
            calendar["country"] = country
        else:
            calendar.pop("country", None)
    if any(f"calendar.hours.{day}" in form for day in WEEKDAYS):
        hours = dict(calendar.get("hours")) if isinstance(calendar.get("hours"), dict) else {}
        for day in WEEKDAYS:
            name = f"calendar.hours.{day}"
            if name not in form:
                continue
            ranges = [r.strip() for r in _SPLIT_RANGES.split(_text(form[name])) if r.strip()]
            if ranges:
                hours[day] = ranges
            else:
                hours.pop(day, None)
        calendar["hours"] = {day: hours[day] for day in WEEKDAYS if day in hours} | \
                            {k: v for k, v in hours.items() if k not in WEEKDAYS}
    for kind in ("holidays", "workdays"):
        name = f"calendar.{kind}"
        if name not in form:
            continue
        dates = []
        for line_no, line in enumerate(_text(form[name]).splitlines(), start=1):
            for value in _SPLIT_DATES.split(line):
                if value:
                    built.lines[f"{name}[{len(dates)}]"] = line_no
                    dates.append(value)
        if dates:
            calendar[kind] = dates
        else:
            calendar.pop(kind, None)


def _escalation_from_form(doc: dict, form: Mapping[str, Any], built: Built) -> None:
    if not any(name.startswith("escalation.") for name in form):
        return
    had = isinstance(doc.get("escalation"), dict)
    escalation = _section(doc, "escalation")
    originals = {level: copy.deepcopy(entries) for level, entries in _chain(doc).items()}
    if "escalation.warn_at" in form:
        text = _text(form["escalation.warn_at"])
        if text:
            escalation["warn_at"] = _share(text)
        else:
            escalation.pop("warn_at", None)
    for level in LEVELS:
        existed = isinstance(escalation.get(level), dict)
        spec = dict(escalation[level]) if existed else {}
        if level == "level2" and "escalation.level2.after" in form:
            after = _text(form["escalation.level2.after"])
            if after:
                spec["after"] = after
            else:
                spec.pop("after", None)
        saved = spec.get("notify") if isinstance(spec.get("notify"), list) else []
        rows = recipient_rows(form, level)
        if rows:
            notify = []
            for i in range(rows):
                pick = _text(form.get(recipient_name(level, i, "pick"), ""))
                if pick:  # a colleague or one of the firm's channels, chosen from the list
                    built.renamed[f"escalation.{level}.notify[{len(notify)}]"] = f"escalation.{level}.notify[{i}]"
                    notify.append(_picked(pick, originals))
                    continue
                channel, address, secret = (_text(form.get(recipient_name(level, i, what), ""))
                                            for what in ("channel", "address", "secret"))
                if not (channel or address or secret):
                    continue  # a blank row: no recipient (or one taken off)
                entry = {k: v for k, v in (saved[i] if i < len(saved) and isinstance(saved[i], dict) else {}).items()
                         if k not in ("channel", "to", "url", "secret")}
                entry["channel"] = channel
                entry["to" if channel in ADDRESS_CHANNELS else "url"] = address
                before = saved[i] if i < len(saved) and isinstance(saved[i], dict) else {}
                if secret:
                    entry["secret"] = secret
                elif before.get("secret") and before.get("channel") == channel:
                    # an empty box keeps the saved secret (read masked: firm.replace_standards puts
                    # it back); "remove" takes it off (null: a missing one would be kept too)
                    forget = _checked(form.get(recipient_name(level, i, "forget")))
                    entry["secret"] = None if forget else before["secret"]
                built.renamed[f"escalation.{level}.notify[{len(notify)}]"] = f"escalation.{level}.notify[{i}]"
                notify.append(entry)
            spec["notify"] = notify
        keep = existed or spec.get("notify") or spec.get("after")
        if level == "level2" and not spec.get("notify") and not spec.get("after"):
            keep = False  # an empty second level would need an "after" for nothing
        if keep:
            escalation[level] = spec
        else:
            escalation.pop(level, None)
    if not escalation and not had:
        doc.pop("escalation", None)


def _survey_from_form(doc: dict, form: Mapping[str, Any]) -> None:
    if not any(name.startswith("survey.") for name in form):
        return
    had = isinstance(doc.get("survey"), dict)
    survey = _section(doc, "survey")
    for key, kind in (("after_resolution", str), ("min_n", int)):
        name = f"survey.{key}"
        if name in form:
            text = _text(form[name])
            if text:
                survey[key] = _scalar(text, kind)
            else:
                survey.pop(key, None)
    for flag in SURVEY_FLAGS:
        name = f"survey.{flag}"
        if name in form:
            on = _checked(form[name])
            if flag in survey or on != SURVEY_DEFAULTS[flag]:
                survey[flag] = on
    if any(f"survey.weights.{dim}" in form for dim in DIMENSIONS):
        weights = dict(survey["weights"]) if isinstance(survey.get("weights"), dict) else {}
        for dim in DIMENSIONS:
            name = f"survey.weights.{dim}"
            if name in form:
                text = _text(form[name])
                if text:
                    weights[dim] = _scalar(text, int)
                else:
                    weights.pop(dim, None)
        if weights:
            survey["weights"] = weights
        else:
            survey.pop("weights", None)
    if not survey and not had:
        doc.pop("survey", None)


def same(a: Any, b: Any) -> bool:
    """Two documents the same once stored (JSON types, key order aside)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


# --- a validator's path → the box it is about ---------------------------------------------------

_LAST_SEGMENT = re.compile(r"(?:\.[^.\[\]]*|\[\d+\])$")


def _parent(path: str) -> str:
    match = _LAST_SEGMENT.search(path)
    return path[: match.start()] if match else ""


_CHANNEL_BOX = re.compile(r"escalation\.level[12]\.notify\[\d+\]\.channel")  # a select: its choices, not keys


def place_problems(problems: Mapping[str, Any], built: Built, names: set[str]) -> dict[str, list[tuple[str, str]]]:
    """{box or group name: [(the document path, the reason)]}: each problem at the box it is
    about, else at the nearest group ("standards" at the very least)."""
    anchors = set(names) | set(GROUPS)
    placed: dict[str, list[tuple[str, str]]] = {}
    for path, reason in problems.items():
        path = str(path)
        spot = path
        for doc_prefix, field_prefix in sorted(built.renamed.items(), key=lambda kv: -len(kv[0])):
            if spot == doc_prefix or spot.startswith(doc_prefix + "."):
                spot = field_prefix + spot[len(doc_prefix):]
                break
        spot = re.sub(r"(notify\[\d+\])\.(to|url)$", r"\1.address", spot)
        while spot and spot not in anchors:
            spot = _parent(spot)
        if _CHANNEL_BOX.fullmatch(path):
            reason = "choose a channel from the list"
        placed.setdefault(spot or "standards", []).append((path, FORM_REASONS.get(path, str(reason))))
    return placed


# --- YAML ----------------------------------------------------------------------------------------

_ORDER = ("name", "description", "calendar", "priorities", "categories", "targets", "escalation", "survey",
          "messages")
_CALENDAR_ORDER = ("time_zone", "country", "hours", "holidays", "workdays")
_ENTRY_ORDER = ("key", "emergency", "name", "help")
_ESCALATION_ORDER = ("warn_at", "level1", "level2")
_SURVEY_ORDER = tuple(SURVEY_DEFAULTS)


def _ordered(mapping: Any, order: tuple[str, ...]) -> Any:
    if not isinstance(mapping, dict):
        return mapping
    return {**{k: mapping[k] for k in order if k in mapping}, **{k: v for k, v in mapping.items() if k not in order}}


def readable(document: dict) -> dict:
    """The document in the order people write it (the store keeps no key order)."""
    doc = _ordered(document, _ORDER)
    if isinstance(doc.get("calendar"), dict):
        calendar = _ordered(doc["calendar"], _CALENDAR_ORDER)
        if "hours" in calendar:
            calendar["hours"] = _ordered(calendar["hours"], WEEKDAYS)
        doc["calendar"] = calendar
    for kind in ("priorities", "categories"):
        if isinstance(doc.get(kind), list):
            doc[kind] = [_ordered(e, _ENTRY_ORDER) for e in doc[kind]]
    if isinstance(doc.get("targets"), dict):
        categories, priorities = axes(doc)
        targets = _ordered(doc["targets"], tuple(categories))
        doc["targets"] = {cat: {pri: _ordered(cell, (*TARGET_FIELDS, "pause_on_wait"))
                                for pri, cell in _ordered(row, tuple(priorities)).items()}
                          if isinstance(row, dict) else row for cat, row in targets.items()}
    if isinstance(doc.get("escalation"), dict):
        doc["escalation"] = _ordered(doc["escalation"], _ESCALATION_ORDER)
    if isinstance(doc.get("survey"), dict):
        doc["survey"] = _ordered(doc["survey"], _SURVEY_ORDER)
    return doc


def to_yaml(document: dict, *, heading: str = "") -> str:
    """The document as YAML the CLI and the upload page read back (short lists and maps on
    one line, like the templates under tenants/)."""
    import yaml
    text = yaml.safe_dump(readable(document), allow_unicode=True, sort_keys=False, default_flow_style=None,
                          width=100)
    lines = "".join(f"# {line}\n" if line else "#\n" for line in heading.splitlines())
    return lines + text


@dataclass
class Pasted:
    document: Any = None
    lines: dict[str, int] = field(default_factory=dict)  # document path → line (as the CLI indexes it)
    error: str | None = None  # "line N: what YAML could not read"
    error_line: int = 1

    def line_of(self, path: str) -> int:
        from .standards_file import Loaded
        return Loaded("", self.document, self.lines).line_of(path)


def from_yaml(text: str) -> Pasted:
    """Pasted YAML read the way the CLI reads a file (``cli.read_standards_text``): one
    document, a line for every path, and the line of what could not be read."""
    from .standards_file import read_standards_text
    loaded = read_standards_text(text.lstrip("\ufeff"), "")
    return Pasted(loaded.document, loaded.lines, loaded.problem, loaded.error_line or 1)
