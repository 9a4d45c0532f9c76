"""Satisfaction campaigns: a periodic SERVQUAL survey of chosen properties.

Pure rules, no AWS. A campaign asks every household of its properties, between its open and
close dates (in the firm's zone), the short SERVQUAL form: one statement per dimension,
perception (and, if the campaign asks, expectation) on a 1-7 scale, and optionally the
household's importance points per dimension (summing to 100). One response per unit. The
answers are counted with the same counters as the after-resolution survey, under the
campaign's own key (``C<campaign id>``) instead of a calendar period, by property and
building, so results are one Query like any period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .errors import InvalidInput
from .fields import Boolean, ListOf, Shape, Text, whole_number
from .scores import DIMENSIONS, SurveyResponse, response_contributions

SCALE = (1, 7)
DATE = r"\d{4}-\d{2}-\d{2}"


def _check_dates(data: dict, problems: dict[str, str], path: str) -> None:
    try:
        opens, closes = date.fromisoformat(data["opens_on"]), date.fromisoformat(data["closes_on"])
    except (KeyError, TypeError, ValueError):
        return  # the fields themselves say what is wrong
    if closes < opens:
        problems["closes_on"] = "must be on or after opens_on"


CREATE = Shape(fields={
    "name": Text(max_len=120, description="what residents see, e.g. 2026 Q4 satisfaction survey"),
    "property_ids": ListOf(item=Text(max_len=26), min_items=1, max_items=50,
                           description="the properties whose households are asked"),
    "expectations": Boolean(required=False, default=False,
                            description="also ask what an excellent firm would do (SERVQUAL E)"),
    "importance": Boolean(required=False, default=True,
                          description="ask each household to share 100 points among the five dimensions"),
    "opens_on": Text(max_len=10, pattern=DATE, pattern_reason="must be a date like 2026-12-01"),
    "closes_on": Text(max_len=10, pattern=DATE, pattern_reason="must be a date like 2026-12-31"),
}, check=_check_dates)


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    property_ids: tuple[str, ...]
    expectations: bool
    importance: bool
    opens_on: date
    closes_on: date

    @property
    def key(self) -> str:
        """Its counters' key, in place of a period."""
        return f"C{self.id}"

    def state(self, now: datetime, time_zone: str) -> str:
        today = now.astimezone(ZoneInfo(time_zone)).date()
        return "not_yet" if today < self.opens_on else "closed" if today > self.closes_on else "open"


def parse_response(form: dict, campaign: Campaign) -> dict:
    """A household's answers. Every perception is required; expectations when the campaign
    asks them; importance points, if given, are whole numbers adding up to 100."""
    problems: dict[str, str] = {}
    servqual: dict[str, dict] = {}
    for dimension in DIMENSIONS:
        p = whole_number(form.get(f"p_{dimension}"), *SCALE, f"p_{dimension}", problems, True)
        e = whole_number(form.get(f"e_{dimension}"), *SCALE, f"e_{dimension}", problems, campaign.expectations)
        if p is not None:
            servqual[dimension] = {"p": p, "e": e if campaign.expectations else None}
    weights = None
    if campaign.importance:
        points = {d: whole_number(form.get(f"w_{d}"), 0, 100, f"w_{d}", problems, False) for d in DIMENSIONS}
        given = {d: w for d, w in points.items() if w is not None}
        if given and not any(f"w_{d}" in problems for d in DIMENSIONS):
            if len(given) != len(DIMENSIONS) or sum(given.values()) != 100:
                problems["w_tangibles"] = f"the five numbers must add up to 100 (they add up to {sum(given.values())})"
            else:
                weights = given
    if problems:
        raise InvalidInput("Some answers need attention.", problems)
    return {"servqual": servqual, "weights": weights}


def contributions(campaign: Campaign, answer: dict, property_id: str, building_id: str, now: datetime,
                  time_zone: str) -> dict:
    """What one household's answer adds to the campaign's counters (firm, property, building)."""
    response = SurveyResponse(at=now, servqual=answer["servqual"], scale=SCALE, weights=answer["weights"])
    where = [("all", "all"), ("property", property_id), ("building", building_id)]
    month = {key: counters for key, counters in response_contributions(response, where, time_zone).items()
             if key[0].startswith("M")}  # the same counters under each period: keep one, re-keyed
    importance = {f"w.{d}": points for d, points in (answer["weights"] or {}).items()}
    if importance:
        importance["w_n"] = 1
    return {(campaign.key, by, value): {**counters, **importance} for (_, by, value), counters in month.items()}


def mean_importance(counters: dict) -> dict | None:
    """The households' average importance points per dimension (the weights of the gap)."""
    n = counters.get("w_n", 0)
    if not n:
        return None
    return {d: counters.get(f"w.{d}", 0) / n for d in DIMENSIONS}


__all__ = ["CREATE", "Campaign", "parse_response", "contributions", "mean_importance", "SCALE"]
