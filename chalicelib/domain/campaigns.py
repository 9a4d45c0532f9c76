"""Satisfaction campaigns: a periodic SERVQUAL survey of chosen properties.

Pure rules, no AWS. A campaign asks every household of its properties, between its open and
close dates (in the firm's zone), a SERVQUAL questionnaire: the short form (one statement per
dimension) or the full 22 items of Parasuraman, Zeithaml & Berry (1988, revised 1991),
adapted to property service. Each item has a perception P (this firm) and, if the campaign
asks, an expectation E (an excellent property firm), both on a 1-7 scale; a household may
also share 100 importance points among the five dimensions. One response per unit.

The answers are counted with the same counters as the after-resolution survey (see
``scores.py``), under the campaign's own key (``C<campaign id>``) instead of a calendar
period, by property and building, so results are one Query like any period. A household's
dimension score is the mean of that dimension's items, every item being required; to keep
the counters whole numbers (DynamoDB ``ADD``), a dimension's counters hold the household's
*sum* of its items and the square of that sum, and the reader divides by the dimension's
number of items (``Campaign.items_per_dimension``, from the campaign's form). The short form
is the case of one item per dimension, so its counters are unchanged.

A third form, ``tsm``, is the UK regulator's tenant perception survey (TP01-TP12, see
``tsm.py``): no SERVQUAL items; its answers are counted per question and option under the
campaign's key and, for the annual return, under the reporting year of the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .errors import InvalidInput
from .fields import Boolean, Choice, Date, ListOf, Shape, Text, whole_number
from . import tsm
from .scores import DIMENSIONS, Counters, Key
from .surveys import SERVQUAL_ITEMS

SCALE = (1, 7)
FORMS = ("short", "full", "tsm")


@dataclass(frozen=True)
class Item:
    """One statement of a questionnaire: its form fields are ``p_<key>`` and ``e_<key>``."""
    key: str  # the dimension in the short form, the item's number 1-22 in the full one
    number: int
    dimension: str
    statement: str  # English; the msgid of its zh-CN text in the pages' catalogue


# The five dimensions as residents read them (English msgids; zh-CN in the pages' catalogue).
DIMENSION_HEADINGS = {
    "tangibles": "Facilities and appearance",
    "reliability": "Keeping promises",
    "responsiveness": "Quick to help",
    "assurance": "Competence and trust",
    "empathy": "Care for each household",
}

# The 22 SERVQUAL items, in their original order, said of a property firm and its estate.
FULL_STATEMENTS = {
    "tangibles": (  # 1-4
        "The firm's equipment and tools are up to date",
        "The estate's facilities are well kept",
        "Staff are neatly dressed and wear their name badges",
        "Notices, bills and other materials are clear and tidy",
    ),
    "reliability": (  # 5-9
        "When the firm promises to do something by a certain time, it does so",
        "When residents have a problem, the firm shows a sincere interest in solving it",
        "Repairs and services are done right the first time",
        "Services such as cleaning and patrols happen at the times the firm promises",
        "The firm's records and fee bills are free of errors",
    ),
    "responsiveness": (  # 10-13
        "Staff tell residents exactly when work will be done",
        "Staff serve residents promptly",
        "Staff are always willing to help residents",
        "Staff are never too busy to respond to residents' requests",
    ),
    "assurance": (  # 14-17
        "The way staff behave gives residents confidence",
        "Residents feel safe in the estate and in their dealings with the firm",
        "Staff are always courteous to residents",
        "Staff have the knowledge to answer residents' questions",
    ),
    "empathy": (  # 18-22
        "The firm gives each household individual attention",
        "The service centre's opening hours suit residents",
        "Staff give residents personal attention",
        "The firm has residents' best interests at heart",
        "Staff understand residents' specific needs",
    ),
}


def _full() -> tuple[Item, ...]:
    items: list[Item] = []
    for dimension in DIMENSIONS:
        for statement in FULL_STATEMENTS[dimension]:
            number = len(items) + 1
            items.append(Item(str(number), number, dimension, statement))
    return tuple(items)


QUESTIONNAIRES: dict[str, tuple[Item, ...]] = {
    "short": tuple(Item(d, i + 1, d, SERVQUAL_ITEMS[d]) for i, d in enumerate(DIMENSIONS)),
    "full": _full(),
}


def _check_dates(data: dict, problems: dict[str, str], path: str) -> None:
    opens, closes = data.get("opens_on"), data.get("closes_on")  # dates: fields.Date read them
    if isinstance(opens, date) and isinstance(closes, date) and closes < opens:
        problems["closes_on"] = "must be on or after opens_on"


CREATE = Shape(fields={
    "name": Text(max_len=120, description="what residents see, e.g. 2026 Q4 satisfaction survey"),
    "property_ids": ListOf(item=Text(max_len=26), min_items=1, max_items=50,
                           description="the properties whose households are asked"),
    "form": Choice(options=FORMS, required=False, default="short",
                   description="short: one statement per SERVQUAL dimension; full: the 22-item SERVQUAL "
                               "questionnaire (tangibles 1-4, reliability 5-9, responsiveness 10-13, "
                               "assurance 14-17, empathy 18-22); tsm: the UK regulator's tenant perception "
                               "survey TP01-TP12 (Tenant Satisfaction Measures), its answers feed the annual return"),
    "expectations": Boolean(required=False, default=False,
                            description="also ask what an excellent firm would do (SERVQUAL E)"),
    "importance": Boolean(required=False, default=True,
                          description="ask each household to share 100 points among the five dimensions"),
    "opens_on": Date(description="first day residents can answer (in the firm's zone), e.g. 2026-12-01"),
    "closes_on": Date(description="last day residents can answer, e.g. 2026-12-31"),
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
    form: str = "short"  # short | full

    @property
    def key(self) -> str:
        """Its counters' key, in place of a period."""
        return f"C{self.id}"

    @property
    def is_tsm(self) -> bool:
        return self.form == "tsm"

    @property
    def items(self) -> tuple[Item, ...]:
        return QUESTIONNAIRES.get(self.form, ())

    @property
    def items_per_dimension(self) -> dict[str, int]:
        """How many items each dimension's counters sum (all 1 in the short form)."""
        return {d: sum(1 for item in self.items if item.dimension == d) for d in DIMENSIONS}

    def state(self, now: datetime, time_zone: str) -> str:
        today = now.astimezone(ZoneInfo(time_zone)).date()
        return "not_yet" if today < self.opens_on else "closed" if today > self.closes_on else "open"


def parse_response(form: dict, campaign: Campaign) -> dict:
    """A household's answers. Every item's perception is required; its expectation too when
    the campaign asks them; importance points, if given, are whole numbers adding up to 100.

    Returns ``{"servqual": {dimension: {"p": sum, "e": sum or None}}, "weights": ...}``: per
    dimension the sum of its items' answers (the answer itself in the short form)."""
    problems: dict[str, str] = {}
    sums: dict[str, dict[str, int]] = {d: {"p": 0, "e": 0} for d in DIMENSIONS}
    for item in campaign.items:  # expectation first, as the page asks it
        e = whole_number(form.get(f"e_{item.key}"), *SCALE, f"e_{item.key}", problems, campaign.expectations)
        p = whole_number(form.get(f"p_{item.key}"), *SCALE, f"p_{item.key}", problems, True)
        sums[item.dimension]["p"] += p or 0
        sums[item.dimension]["e"] += e or 0
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
    servqual = {d: {"p": sums[d]["p"], "e": sums[d]["e"] if campaign.expectations else None} for d in DIMENSIONS}
    return {"servqual": servqual, "weights": weights}


def _moments(prefix: str, value: int) -> Counters:
    return {f"{prefix}n": 1, f"{prefix}sum": value, f"{prefix}sq": value * value}


def index(campaign: Campaign, servqual: dict, weights: dict | None) -> float:
    """The household's satisfaction index 0-100: over the dimensions, weighted by its own
    importance points (equal weights without them, or when they give the answered ones
    nothing), the dimension's mean perception rescaled, ``(mean - 1) / 6 * 100``. Formed as
    ``(sum - k) / (6k)`` with ``k`` items so the short form (k = 1) is bit for bit the
    after-resolution survey's ``SurveyResponse.index``."""
    low, high = SCALE
    k = campaign.items_per_dimension
    scored = {d: (item["p"] - low * k[d]) / (k[d] * (high - low)) * 100 for d, item in servqual.items()}
    weight = {d: 1 if weights is None else weights.get(d, 0) for d in scored}
    if sum(weight.values()) <= 0:
        weight = {d: 1 for d in scored}
    return sum(weight[d] * score for d, score in scored.items()) / sum(weight.values())


def household_counters(campaign: Campaign, answer: dict) -> Counters:
    """What one household's answer adds to each of its slices (zeros left out): per dimension
    count, sum and square of the sum of P, of E and of the gap P - E (whole numbers: sums of
    items), the index in hundredths of a point, and the importance points it gave."""
    counters: Counters = {}
    for dimension, item in answer["servqual"].items():
        p, e = item["p"], item.get("e")
        counters |= _moments(f"sq.{dimension}.p_", p)
        if e is not None:
            counters |= _moments(f"sq.{dimension}.e_", e) | _moments(f"sq.{dimension}.g_", p - e)
    if answer["servqual"]:
        counters |= _moments("idx_", round(index(campaign, answer["servqual"], answer["weights"]) * 100))
    importance = {f"w.{d}": points for d, points in (answer["weights"] or {}).items()}
    if importance:
        importance["w_n"] = 1
    return {name: value for name, value in (counters | importance).items() if value}


def contributions(campaign: Campaign, answer: dict, property_id: str, building_id: str) -> dict[Key, Counters]:
    """What one household's answer adds to the campaign's counters (firm, property, building)."""
    counters = household_counters(campaign, answer)
    return _where(campaign, counters, property_id, building_id)


def _where(campaign: Campaign, counters: Counters, property_id: str, building_id: str) -> dict[Key, Counters]:
    where = [("all", "all"), ("property", property_id), ("building", building_id)]
    return {(campaign.key, by, value): dict(counters) for by, value in where}


def tsm_contributions(campaign: Campaign, answer: dict, property_id: str, building_id: str, at: datetime,
                      time_zone: str) -> dict[Key, Counters]:
    """What one household's TP survey answer (``tsm.parse_answer``) adds: the campaign's own
    counters and its reporting year's (``(F<year>, "tsm", "all")``, read by the return)."""
    counters = tsm.answer_counters(answer)
    year = (tsm.year_key(tsm.financial_year(at, time_zone)), "tsm", "all")
    return {**_where(campaign, counters, property_id, building_id), year: dict(counters)}


def mean_importance(counters: dict) -> dict | None:
    """The households' average importance points per dimension (the weights of the gap)."""
    n = counters.get("w_n", 0)
    if not n:
        return None
    return {d: counters.get(f"w.{d}", 0) / n for d in DIMENSIONS}


__all__ = ["CREATE", "FORMS", "QUESTIONNAIRES", "DIMENSION_HEADINGS", "Item", "Campaign", "parse_response",
           "index", "household_counters", "contributions", "tsm_contributions", "mean_importance", "SCALE"]
