"""Scores as people read them, the same on every page: the console's dashboard and reviews,
and the residents' published scorecard (so a firm never sees NPS +19 inside and 18.8 outside).

A score arrives as the services give it (``{"value", "n", "low", "high", "too_few", "unit"}``);
``shown`` turns it into what a template prints: the value, its 95 % interval and n, or "too
few responses" with only n.
"""

from __future__ import annotations

from typing import Callable

from ..domain import scores as rules


def figure(value: float, unit: str, lang: str, key: str = "") -> str:
    """A score's value: 67%, +20 (NPS), 4.2 (points), 25 min / 2.5 h / 3.1 d (times), 12 (reports)."""
    if unit == "%":
        return f"{value:.0f}%"
    if unit == "minutes":
        zh = lang == "zh-CN"
        if value < 60:
            return f"{max(value, 1):.0f} 分钟" if zh else f"{max(value, 1):.0f} min"
        if value < 2880:
            return f"{value / 60:.1f} 小时" if zh else f"{value / 60:.1f} h"
        return f"{value / 1440:.1f} 天" if zh else f"{value / 1440:.1f} d"
    if unit == "tickets":
        return f"{value:.0f}"
    if key == "nps":
        return f"{value:+.0f}"
    return f"{value:.1f}"


def shown(score: dict | None, lang: str, key: str = "") -> dict:
    """One score for a template: value, interval and n, or too_few (below the firm's
    minimum n, or nothing measured): then no value is shown, only n. A count of reports is
    never too few."""
    score = score or {"value": None, "n": 0, "low": None, "high": None, "too_few": True, "unit": ""}
    value, unit = score.get("value"), score.get("unit") or ""
    too_few = value is None or (bool(score.get("too_few")) and unit != "tickets")
    out: dict = {"n": score.get("n") or 0, "too_few": too_few, "value": "", "interval": "", "count": unit == "tickets"}
    if not too_few:
        out["value"] = figure(value, unit, lang, key)
        if score.get("low") is not None and score.get("high") is not None:
            out["interval"] = f"{figure(score['low'], unit, lang, key)} – {figure(score['high'], unit, lang, key)}"
    return out


def day(value, lang: str) -> str:
    """A date as the page's language writes it: 1 Oct 2026 / 2026年10月1日."""
    from babel.dates import format_skeleton

    from . import BABEL_LOCALE
    return format_skeleton("yMMMd", value, locale=BABEL_LOCALE[lang])


def period_title(key: str, lang: str, t: Callable[[str], str]) -> str:
    """November 2026 / 2026年11月; Q4 2026; Week 47, 2026 (from Nov 16). ``t`` is the page's
    own gettext (the msgids are in both the residents' and the console's catalogues)."""
    from babel.dates import format_skeleton

    from . import BABEL_LOCALE
    period = rules.parse_period(key)
    if period.kind == "month":
        return format_skeleton("yMMMM", period.first_day, locale=BABEL_LOCALE[lang])
    if period.kind == "quarter":
        return t("Q%(quarter)s %(year)s") % {"quarter": period.number, "year": period.year}
    return t("Week %(week)s, %(year)s (from %(day)s)") % {
        "week": period.number, "year": period.year,
        "day": format_skeleton("MMMd", period.first_day, locale=BABEL_LOCALE[lang])}


# --- durations and shares as sentences (the published scorecard) --------------------------------

def duration_words(text: str | None, lang: str) -> str:
    """A promise's duration as people say it: 2 hours / 2 小时, 10 working days / 10 个工作日,
    4 business hours / 4 个工作小时, 1 day / 1 天 (from the standards' ``2h``, ``10 working days``)."""
    from ..domain.standards import parse_duration
    if not text:
        return "—"
    try:
        duration = parse_duration(text)
    except ValueError:
        return "—"
    zh = lang == "zh-CN"
    if duration.kind == "working_days":
        n = duration.days
        return f"{n} 个工作日" if zh else f"{n} working day{'s' if n != 1 else ''}"
    minutes = duration.amount.total_seconds() / 60
    if duration.kind == "business_hours":
        n = _tidy(minutes / 60)
        return f"{n} 个工作小时" if zh else f"{n} business hour{'s' if n != '1' else ''}"
    if minutes % 1440 == 0 and minutes >= 2880:  # 2 days and more; 24 hours stays 24 hours
        size, zh_unit, en_unit = 1440, "天", "day"
    elif minutes % 60 == 0 or minutes > 120:
        size, zh_unit, en_unit = 60, "小时", "hour"
    else:
        size, zh_unit, en_unit = 1, "分钟", "minute"
    n = _tidy(minutes / size)
    return f"{n} {zh_unit}" if zh else f"{n} {en_unit}{'s' if n != '1' else ''}"


def _tidy(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def in_ten(successes: int, n: int) -> tuple[str, int]:
    """How a share reads in words: ``("none"|"all"|"one_yes"|"one_no"|"exact"|"under"|"over"|"ten",
    k)``. Under 10 answers the exact count ("exact", successes); else "about k in 10" rounded
    half up, never "0 in 10" for some or "10 in 10" for not all."""
    if n == 1:
        return ("one_yes" if successes else "one_no"), successes
    if successes == 0:
        return "none", 0
    if successes == n:
        return "all", n
    if n < 10:
        return "exact", successes
    tenths = int(10 * successes / n + 0.5)
    if tenths == 0:
        return "under", 1
    if tenths == 10:
        return "over", 9
    return "ten", tenths
