"""The UK Tenant Satisfaction Measures (TSM) return: the regulator's 22 measures, the 12
tenant perception questions TP01-TP12 and what PropDesk can compute of the rest.

Pure rules, no AWS. Source: Regulator of Social Housing, *Tenant Satisfaction Measures:
Technical Requirements* (September 2022, updated 2 April 2024 for the Housing Ombudsman's
2024 Complaint Handling Code), https://www.gov.uk/government/publications/tenant-satisfaction-measures-technical-requirements
— section "Tenant perception measures" for the questions, their answer options and which
of them offer "don't know / not applicable"; section "TSMs generated from management
information" for RP02, CH01 and CH02. The questions below keep the regulator's wording,
``%(landlord)s`` standing for the landlord's name.

Year: the regulator's reporting year is the financial year, 1 April to 31 March. ``F2026``
is 1 April 2026 to 31 March 2027 in the firm's own time zone (for an English landlord,
Europe/London).

How each measure is computed:

- TP01-TP12: satisfied share = (very + fairly satisfied) / everyone who gave one of the five
  scale answers; for TP08 (an agreement question) strongly agree + agree. "Don't know / not
  applicable" is offered only where the regulator allows it (TP06, TP07, TP08, TP11, TP12)
  and is then excluded from the base. TP02/TP03 are asked only of those who had a repair in
  the last 12 months, TP09 of those who complained, TP10 of those with communal areas. Each
  with n and its Wilson 95 % interval (the interval every PropDesk proportion carries).
- RP02: repairs completed in the year within the landlord's target (the ticket's resolution
  promise met, as judged once at its first resolution), emergency (urgency ``emergency``)
  and non-emergency apart. A repair is any ticket not a complaint and not antisocial
  behaviour (``NOT_REPAIRS``).
- CH01: stage 1 and stage 2 complaints received in the year per 1,000 homes (homes: the
  units of the firm's register). A complaint is counted by its category key
  (``complaint_stage1`` / ``complaint_stage2``); a complaint escalated to stage 2 as its own
  stage-2 report counts once at each stage.
- CH02: stage 1 and stage 2 complaints answered in the year within the Code's timescales
  (the complaint's resolution promise met), as a share of those answered.

Counters (one item per firm and year, ``(F<year>, "tsm", "all")`` in the score partition,
ADDed in the same transaction as the change, like every score counter):

=====================  ===============================================================
rp_em_n, rp_em_met     emergency repairs completed (at first resolution), within target
rp_ne_n, rp_ne_met     non-emergency repairs completed, within target
ch1_n, ch2_n           stage 1 / stage 2 complaints received (at creation)
ch1_ans, ch1_met       stage 1 complaints answered (first resolution), within timescale
ch2_ans, ch2_met       the same for stage 2
tp_n                   TSM survey households that answered (in the year of their answer)
tp.<code>.<option>     answers of that option to TP<code> (``tp.TP01.very_satisfied``)
=====================  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .errors import InvalidInput
from .scores import Contributions, Counters, Score, add, share, subtract

if TYPE_CHECKING:
    from .tickets import Ticket

# --- the questions --------------------------------------------------------------------

SATISFIED = ("very_satisfied", "fairly_satisfied", "neither", "fairly_dissatisfied", "very_dissatisfied")
AGREE = ("strongly_agree", "agree", "neither_agree", "disagree", "strongly_disagree")
DONT_KNOW = "dont_know"

# What each option says (English msgids; zh-CN in messages.po and console_tsm.po).
OPTION_LABELS = {
    "very_satisfied": "Very satisfied", "fairly_satisfied": "Fairly satisfied",
    "neither": "Neither satisfied nor dissatisfied", "fairly_dissatisfied": "Fairly dissatisfied",
    "very_dissatisfied": "Very dissatisfied",
    "strongly_agree": "Strongly agree", "agree": "Agree", "neither_agree": "Neither agree nor disagree",
    "disagree": "Disagree", "strongly_disagree": "Strongly disagree",
    DONT_KNOW: "Not applicable / don't know",
}

# The filter questions that decide who is asked TP02/TP03, TP09 and TP10.
FILTERS = {
    "had_repair": "Has %(landlord)s carried out a repair to your home in the last 12 months?",
    "made_complaint": "Have you made a complaint to %(landlord)s in the last 12 months?",
    "has_communal": "Do you live in a building with communal areas, either inside or outside, "
                    "that %(landlord)s is responsible for maintaining?",
}
YES_NO = ("yes", "no")


@dataclass(frozen=True)
class Question:
    code: str  # TP01 ... TP12
    measure: str  # what the measure is called in the return (English msgid)
    text: str  # the regulator's question (English msgid, with %(landlord)s)
    scale: tuple[str, ...]  # SATISFIED or AGREE
    dont_know: bool  # "not applicable / don't know" offered, and excluded from the base
    asked_if: str | None = None  # a FILTERS key answered "yes", or always

    @property
    def field(self) -> str:
        return self.code.lower()

    @property
    def options(self) -> tuple[str, ...]:
        return self.scale + ((DONT_KNOW,) if self.dont_know else ())

    @property
    def positive(self) -> tuple[str, ...]:
        return self.scale[:2]


QUESTIONS: tuple[Question, ...] = (
    Question("TP01", "Overall satisfaction",
             "Taking everything into account, how satisfied or dissatisfied are you with the service provided "
             "by %(landlord)s?", SATISFIED, False),
    Question("TP02", "Satisfaction with repairs",
             "How satisfied or dissatisfied are you with the overall repairs service from %(landlord)s over "
             "the last 12 months?", SATISFIED, False, "had_repair"),
    Question("TP03", "Satisfaction with time taken to complete most recent repair",
             "How satisfied or dissatisfied are you with the time taken to complete your most recent repair "
             "after you reported it?", SATISFIED, False, "had_repair"),
    Question("TP04", "Satisfaction that the home is well maintained",
             "How satisfied or dissatisfied are you that %(landlord)s provides a home that is well maintained?",
             SATISFIED, False),
    Question("TP05", "Satisfaction that the home is safe",
             "Thinking about the condition of the property or building you live in, how satisfied or "
             "dissatisfied are you that %(landlord)s provides a home that is safe?", SATISFIED, False),
    Question("TP06", "Satisfaction that the landlord listens to tenant views and acts upon them",
             "How satisfied or dissatisfied are you that %(landlord)s listens to your views and acts upon them?",
             SATISFIED, True),
    Question("TP07", "Satisfaction that the landlord keeps tenants informed about things that matter to them",
             "How satisfied or dissatisfied are you that %(landlord)s keeps you informed about things that "
             "matter to you?", SATISFIED, True),
    Question("TP08", "Agreement that the landlord treats tenants fairly and with respect",
             "To what extent do you agree or disagree with the following: \u201c%(landlord)s treats me fairly "
             "and with respect\u201d?", AGREE, True),
    Question("TP09", "Satisfaction with the landlord\u2019s approach to handling complaints",
             "How satisfied or dissatisfied are you with %(landlord)s\u2019s approach to complaints handling?",
             SATISFIED, False, "made_complaint"),
    Question("TP10", "Satisfaction that the landlord keeps communal areas clean and well maintained",
             "How satisfied or dissatisfied are you that %(landlord)s keeps these communal areas clean and "
             "well maintained?", SATISFIED, False, "has_communal"),
    Question("TP11", "Satisfaction that the landlord makes a positive contribution to neighbourhoods",
             "How satisfied or dissatisfied are you that %(landlord)s makes a positive contribution to your "
             "neighbourhood?", SATISFIED, True),
    Question("TP12", "Satisfaction with the landlord\u2019s approach to handling anti-social behaviour",
             "How satisfied or dissatisfied are you with %(landlord)s\u2019s approach to handling anti-social "
             "behaviour?", SATISFIED, True),
)
BY_CODE = {q.code: q for q in QUESTIONS}

# The measures PropDesk does not hold (from the landlord's compliance and stock records),
# listed in the return as "not held" rather than left out.
NOT_HELD = (
    ("BS01", "Gas safety checks"),
    ("BS02", "Fire safety checks"),
    ("BS03", "Asbestos safety checks"),
    ("BS04", "Water safety checks"),
    ("BS05", "Lift safety checks"),
    ("RP01", "Homes that do not meet the Decent Homes Standard"),
    ("NM01", "Anti-social behaviour cases relative to the size of the landlord"),
)

# --- a household's answer -------------------------------------------------------------------


def parse_answer(form: dict) -> dict:
    """One household's answers from a form: ``{"filters": {key: yes|no}, "answers": {code:
    option}}``. Every question the household is asked must be answered (a filter answered
    "no" skips its questions); a skipped question's answer is ignored. Field names are the
    filter keys and ``tp01`` ... ``tp12``; InvalidInput names each one with its reason."""
    problems: dict[str, str] = {}
    filters: dict[str, str] = {}
    for key in FILTERS:
        value = form.get(key)
        if value in YES_NO:
            filters[key] = value
        else:
            problems[key] = "must be yes or no" if value not in (None, "") else "is required"
    answers: dict[str, str] = {}
    for question in QUESTIONS:
        if question.asked_if is not None and filters.get(question.asked_if) != "yes":
            continue
        value = form.get(question.field)
        if value in question.options:
            answers[question.code] = value
        elif value in (None, ""):
            problems[question.field] = "is required"
        else:
            problems[question.field] = "must be one of: " + ", ".join(question.options)
    if problems:
        raise InvalidInput("Some answers need attention.", problems)
    return {"filters": filters, "answers": answers}


def answer_counters(answer: dict) -> Counters:
    """What one household's answer adds: ``tp_n`` and one count per question answered."""
    return {"tp_n": 1, **{f"tp.{code}.{option}": 1 for code, option in answer["answers"].items()}}


# --- the year -------------------------------------------------------------------------------

FIRST_YEAR, LAST_YEAR = 2000, 2100


def financial_year(at: datetime, time_zone: str) -> int:
    """The regulator's reporting year ``at`` falls in (1 April - 31 March, firm's zone): 2026
    for any day from 1 April 2026 to 31 March 2027."""
    local = at.astimezone(ZoneInfo(time_zone)).date()
    return local.year if local.month >= 4 else local.year - 1


def year_key(year: int) -> str:
    return f"F{year}"


def year_bounds(year: int) -> tuple[date, date]:
    """First and last day of the reporting year."""
    return date(year, 4, 1), date(year + 1, 3, 31)


def parse_year(text: object) -> int:
    """A reporting year as asked for (``2026`` for 2026/27); InvalidInput({"year": ...}) else."""
    shape = f"must be the year the reporting year starts in (April), {FIRST_YEAR}-{LAST_YEAR}, e.g. 2026 for 2026/27"
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) != 4:
        raise InvalidInput("That is not a reporting year.", {"year": shape})
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("That reporting year is out of range.", {"year": shape})
    return year


def year_label(year: int) -> str:
    """2026/27, as the regulator writes a reporting year."""
    return f"{year}/{(year + 1) % 100:02d}"


# --- what tickets add ----------------------------------------------------------------------

COMPLAINT_STAGES = {"complaint_stage1": 1, "complaint_stage2": 2}
NOT_REPAIRS = frozenset(COMPLAINT_STAGES) | {"antisocial"}
EMERGENCY = "emergency"  # the urgency key of an emergency repair


def is_repair(category: str) -> bool:
    return category not in NOT_REPAIRS


def ticket_contributions(ticket: Ticket, time_zone: str) -> Contributions:
    """What one ticket adds to the TSM counters of the years it touches."""
    from .scores import counts_as_resolved  # the same "was it resolved" as every score
    out: Contributions = {}

    def put(at: datetime, counters: Counters) -> None:
        key = (year_key(financial_year(at, time_zone)), "tsm", "all")
        out[key] = add(out.get(key, {}), counters)

    stage = COMPLAINT_STAGES.get(ticket.category)
    resolved = counts_as_resolved(ticket)
    met = int(ticket.resolution_met is True)
    if stage is not None:
        put(ticket.created_at, {f"ch{stage}_n": 1})
        if resolved:
            put(ticket.first_resolved_at, {f"ch{stage}_ans": 1, f"ch{stage}_met": met})
    elif is_repair(ticket.category) and resolved:
        kind = "em" if ticket.urgency == EMERGENCY else "ne"
        put(ticket.first_resolved_at, {f"rp_{kind}_n": 1, f"rp_{kind}_met": met})
    return {key: counters for key, counters in out.items() if counters}


def ticket_change(before: Ticket | None, after: Ticket | None, time_zone: str) -> Contributions:
    """What to ADD when a ticket goes from ``before`` to ``after`` (a re-categorised ticket
    moves from complaints to repairs, a reopen never undoes its first resolution)."""
    old = ticket_contributions(before, time_zone) if before is not None else {}
    new = ticket_contributions(after, time_zone) if after is not None else {}
    return subtract(new, old)


# --- the measures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Perception:
    code: str
    score: Score  # satisfied share of the base (n = the base)
    satisfied: int
    dont_know: int  # answered "not applicable / don't know" (outside the base)
    counts: dict  # option -> answers


def perception(counters: Counters, question: Question, min_n: int = 1) -> Perception:
    counts = {option: counters.get(f"tp.{question.code}.{option}", 0) for option in question.options}
    base = sum(counts[option] for option in question.scale)
    satisfied = sum(counts[option] for option in question.positive)
    return Perception(question.code, share(satisfied, base, min_n), satisfied, counts.get(DONT_KNOW, 0), counts)


def per_thousand(count: int, homes: int) -> float | None:
    return None if homes <= 0 else count * 1000 / homes


def measures(counters: Counters, homes: int, min_n: int = 1) -> dict:
    """The year's return from its counters and the number of homes: ``{"TP01": Perception,
    ..., "RP02": {"emergency": Score, "non_emergency": Score}, "CH01": {...}, "CH02": {...},
    "respondents": int}``."""
    get = counters.get
    result: dict = {q.code: perception(counters, q, min_n) for q in QUESTIONS}
    result["respondents"] = get("tp_n", 0)
    result["RP02"] = {"emergency": share(get("rp_em_met", 0), get("rp_em_n", 0), min_n),
                      "non_emergency": share(get("rp_ne_met", 0), get("rp_ne_n", 0), min_n)}
    result["CH01"] = {f"stage{s}": {"count": get(f"ch{s}_n", 0), "per_1000": per_thousand(get(f"ch{s}_n", 0), homes)}
                      for s in (1, 2)}
    result["CH01"]["homes"] = homes
    result["CH02"] = {f"stage{s}": share(get(f"ch{s}_met", 0), get(f"ch{s}_ans", 0), min_n) for s in (1, 2)}
    return result


__all__ = ["QUERY", "QUESTIONS", "BY_CODE", "Question", "FILTERS", "OPTION_LABELS", "SATISFIED", "AGREE", "DONT_KNOW",
           "NOT_HELD", "parse_answer", "answer_counters", "financial_year", "year_key", "year_bounds",
           "parse_year", "year_label", "ticket_contributions", "ticket_change", "is_repair",
           "perception", "Perception", "per_thousand", "measures"]


# --- what a reader may ask for -------------------------------------------------------------

from .fields import Shape, Text  # noqa: E402 (kept next to its only use)

QUERY = Shape(fields={
    "year": Text(max_len=4, pattern=r"[0-9]{4}", pattern_reason="must be a year like 2026 (for 2026/27)",
                 description="the reporting year, by the year it starts in: 2026 is 1 April 2026 - 31 March 2027"),
})
