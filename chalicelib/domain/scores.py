"""Scores: satisfaction and service, kept as counters that only ever get added to.

Pure rules, no AWS. A score for a period and a slice (the whole firm, a property, a
building, a category, a staff member) is computed from one flat dict of integer counters,
and every counter is a sum over records (tickets and their survey answers). So a change
to a ticket is stored by adding ``contributions(after) - contributions(before)``: a
re-categorisation, a reassignment or a reopen moves the counts from one slice or period
to another, and DynamoDB can apply it with ``ADD`` (no read, no lost update).

Periods are keyed in the firm's time zone: ``W2026-47`` (ISO week), ``M2026-11``,
``Q2026-4``. A contribution key is ``(period, by, value)``, e.g. ``("M2026-11",
"category", "plumbing")``; its value is a dict of counters:

========================  ===================================================================
tickets, repeat           at creation: one per ticket; the same unit reported the same
                          category within 30 days before it (every report, merged or not)
fr_n, fr_met, fr_hp.<g>   at the first response: count, on time (``<= first_response_due``),
                          histogram of minutes since creation, its buckets packed six to a
                          counter (see "timing histogram")
resolved, res_met,        at the first resolution (not for a ticket closed as duplicate,
res_hp.<g>, reopened,     withdrawn or spam without being resolved): count, on time
ftf_ops, followed_up      (against the resolution due as it stood then: ``first_resolution_due``;
                          a later reopen never changes it), histogram
                          of minutes since creation, ever reopened, fixed first time (at most
                          one visit, never reopened), followed up within 48 h of it
csat_n, csat_pos,         at a survey answer: ratings 1-5, of them 4-5, their sum and sum of
rating_sum, rating_sq     squares
nps_n, nps_pro, nps_det   0-10 answers, promoters (9-10), detractors (0-6)
ftf_said_n, ftf_said_yes  "was it fixed on the first visit?" answered, and yes
call_n, call_met          when a follow-up call (回访) a low answer asked for is logged: count,
                          and made by its promised time (``domain/follow_ups.py``); a call
                          still owed is judged only once it is made
sq.<d>.p_n/p_sum/p_sq     SERVQUAL dimension ``d``: perception, expectation and gap P - E
sq.<d>.e_n/e_sum/e_sq     (gap only for answers with both), each as count, sum, sum of
sq.<d>.g_n/g_sum/g_sq     squares, in the survey's scale points (a campaign's full form: the sum
                          of the dimension's items, see ``campaigns.py``)
ms.<key>.n, ms.<key>.met  at a milestone's first completion (domain/clock.py; ``<key>`` is the
                          milestone's key in the ticket's standard): count, and done by its due
                          as it stood then
idx_n, idx_sum, idx_sq    the answer's satisfaction index 0-100 in *hundredths of a point*
                          (rounded), so sums stay integers: ``idx_sum / 100 / idx_n`` is
                          the mean index
========================  ===================================================================

A report merged into an incident behind another report (its lead) adds no ``fr_*``,
``res_*``, ``reopened``, ``ftf_ops`` or ``followed_up``: the incident's service counts
once, through its lead. Its ``tickets`` and its reporter's survey answer still count
(``domain/incidents.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .errors import InvalidInput

if TYPE_CHECKING:
    from .tickets import Ticket

Key = tuple[str, str, str]  # (period, by, value)
Counters = dict[str, int]
Contributions = dict[Key, Counters]

DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
FOLLOW_UP_WITHIN = timedelta(hours=48)
Z95 = 1.959963984540054  # standard normal 0.975 quantile

# --- periods -------------------------------------------------------------------------

KINDS = {"W": "week", "M": "month", "Q": "quarter"}
FIRST_YEAR, LAST_YEAR = 1970, 9998


@dataclass(frozen=True)
class Period:
    """A calendar week (ISO), month or quarter of the firm's local calendar."""
    kind: str  # "week" | "month" | "quarter"
    year: int
    number: int  # ISO week 1-53, month 1-12, quarter 1-4

    @property
    def key(self) -> str:
        if self.kind == "week":
            return f"W{self.year}-{self.number:02d}"
        if self.kind == "month":
            return f"M{self.year}-{self.number:02d}"
        return f"Q{self.year}-{self.number}"

    @property
    def first_day(self) -> date:
        if self.kind == "week":
            return date.fromisocalendar(self.year, self.number, 1)
        month = self.number if self.kind == "month" else 3 * self.number - 2
        return date(self.year, month, 1)

    def shift(self, steps: int) -> Period:
        """The period ``steps`` later (earlier when negative)."""
        if self.kind == "week":
            year, week, _ = (self.first_day + timedelta(weeks=steps)).isocalendar()
            return Period("week", year, week)
        per_year = 12 if self.kind == "month" else 4
        index = self.year * per_year + self.number - 1 + steps
        return Period(self.kind, index // per_year, index % per_year + 1)


def period_keys(at: datetime, time_zone: str) -> dict[str, str]:
    """The week, month and quarter ``at`` falls in, on the firm's local calendar."""
    if at.tzinfo is None:
        raise ValueError("period_keys needs an aware datetime")
    local = at.astimezone(ZoneInfo(time_zone)).date()
    iso_year, iso_week, _ = local.isocalendar()
    return {"week": Period("week", iso_year, iso_week).key,
            "month": Period("month", local.year, local.month).key,
            "quarter": Period("quarter", local.year, (local.month - 1) // 3 + 1).key}


def parse_period(text: str) -> Period:
    """``W2026-47`` | ``M2026-11`` | ``Q2026-4``; anything else raises InvalidInput({"period": ...})."""
    shape = "must be a week like W2026-47, a month like M2026-11 or a quarter like Q2026-4"
    if not isinstance(text, str) or len(text) not in (7, 8) or text[0] not in KINDS or text[5:6] != "-":
        raise InvalidInput("That is not a period.", {"period": shape})
    year_text, number_text = text[1:5], text[6:]
    expected_digits = 1 if text[0] == "Q" else 2
    if not (year_text.isdigit() and number_text.isdigit() and year_text.isascii() and number_text.isascii()
            and len(number_text) == expected_digits):
        raise InvalidInput("That is not a period.", {"period": shape})
    kind, year, number = KINDS[text[0]], int(year_text), int(number_text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("That period is out of range.", {"period": f"year must be {FIRST_YEAR}-{LAST_YEAR}"})
    last = {"week": _weeks_in(year), "month": 12, "quarter": 4}[kind]
    if not 1 <= number <= last:
        raise InvalidInput("That period does not exist.", {"period": f"{kind} must be 1-{last} in {year}"})
    return Period(kind, year, number)


def _weeks_in(iso_year: int) -> int:
    return date(iso_year, 12, 28).isocalendar()[1]  # 28 December is always in the last ISO week


def previous_periods(key: str, n: int) -> list[str]:
    """The ``n`` periods ending with ``key``, oldest first (a 12-period trend: ``n=12``)."""
    if n < 0:
        raise ValueError("n must not be negative")
    period = parse_period(key)
    return [period.shift(-steps).key for steps in range(n - 1, -1, -1)]


def last_closed(now: datetime, time_zone: str) -> dict[str, str]:
    """The latest month and quarter that have ended by ``now`` in the firm's zone:
    ``{"month": "M2026-10", "quarter": "Q2026-3"}`` on any day of November 2026."""
    current = period_keys(now, time_zone)
    return {kind: previous_periods(current[kind], 2)[0] for kind in ("month", "quarter")}


def period_bounds(key: str, time_zone: str) -> tuple[datetime, datetime]:
    """The period as a half-open UTC span [start, end): local midnight to the next period's."""
    period = parse_period(key)
    zone = ZoneInfo(time_zone)

    def utc_midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(timezone.utc)

    return utc_midnight(period.first_day), utc_midnight(period.shift(1).first_day)


def after_joining(key: str, joined: datetime, time_zone: str) -> bool:
    """Whether the period has any time after the firm joined (it ends after ``joined``):
    the month a firm signs up in counts, the months before it do not."""
    return period_bounds(key, time_zone)[1] > joined


def opening_month(now: datetime, time_zone: str, joined: datetime) -> str:
    """The month a dashboard opens on: the last complete one, or, for a firm that joined
    this month (no complete month of its own yet), this month."""
    closed = last_closed(now, time_zone)["month"]
    return closed if after_joining(closed, joined, time_zone) else period_keys(now, time_zone)["month"]


FINALISE_AT = (1, 0)  # closed periods are frozen into reviews at 01:00 local time each night


def next_finalisation(now: datetime, time_zone: str) -> datetime:
    """The next 01:00 in the firm's zone strictly after ``now``, in UTC."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    candidate = datetime(local.year, local.month, local.day, *FINALISE_AT, tzinfo=zone)
    if candidate <= local:
        following = local.date() + timedelta(days=1)
        candidate = datetime(following.year, following.month, following.day, *FINALISE_AT, tzinfo=zone)
    return candidate.astimezone(timezone.utc)


# --- slices --------------------------------------------------------------------------

def slices(ticket: Ticket) -> list[tuple[str, str]]:
    """Where a ticket counts: the firm, its property, building, category and (once
    assigned) staff member."""
    found = [("all", "all"), ("property", ticket.property_id), ("building", ticket.building_id),
             ("category", ticket.category)]
    if ticket.assignee:
        found.append(("staff", ticket.assignee))
    return found


# --- timing histogram ----------------------------------------------------------------

GAMMA = 1.1
RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1)  # about 4.8 %


def bucket(minutes: float) -> int:
    """Log bucket of a duration: 0 under a minute, else ``i`` with ``GAMMA**(i-1) <= m < GAMMA**i``."""
    if not minutes >= 1:  # also NaN and negative (clock skew)
        return 0
    return int(math.floor(math.log(minutes) / math.log(GAMMA))) + 1


def bucket_value(index: int) -> float:
    """The value standing for a bucket: within ``RELATIVE_ERROR`` of anything in it (0.5 for bucket 0)."""
    if index <= 0:
        return 0.5
    return 2 * GAMMA ** index / (GAMMA + 1)


def _value_at_rank(counts: Mapping[int, int], rank: int) -> float:
    seen = 0
    for index in sorted(counts):
        seen += counts[index]
        if seen >= rank:
            return bucket_value(index)
    return bucket_value(max(counts))


def percentile(counts: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0 <= q <= 1) by nearest rank, ``ceil(q*n)``-th smallest, as its
    bucket's value: within ``RELATIVE_ERROR`` of the exact one. None when empty."""
    n = sum(counts.values())
    if n <= 0:
        return None
    return _value_at_rank(counts, max(1, math.ceil(q * n)))


# Buckets are stored packed, BUCKETS_PER_COUNTER to a counter of BUCKET_DIGITS decimal
# digits each: bucket ``b`` of ``fr_hp`` adds ``10**(6 * (b % 6))`` to the counter
# ``fr_hp.<b // 6>`` (``hp``: histogram, packed; the older one-bucket counters ``fr_h.<b>``
# are never read as packed). Packing is linear (the packed sum of counts is the sum of the
# packed counts), so packed counters add and subtract like every other counter and
# DynamoDB's ADD still applies them without a read; a read gets a histogram in a sixth of
# the attributes (each attribute costs on every read: in the item's size and in parsing the
# answer). A DynamoDB number keeps 38 digits; 36 are used. One bucket holds up to 999,999
# tickets of one period and slice; past that it would carry into the next bucket, which
# ``histogram`` notices (the buckets no longer add up to the count) and answers with no
# buckets rather than wrong ones.
BUCKET_DIGITS = 6
BUCKETS_PER_COUNTER = 6
FIRST_RESPONSE = "fr_hp"  # the two timing histograms' counter prefixes
RESOLUTION = "res_hp"


def timed(prefix: str, minutes: float) -> Counters:
    """What one duration adds to histogram ``prefix``: one counter, packed."""
    group, place = divmod(bucket(minutes), BUCKETS_PER_COUNTER)
    return {f"{prefix}.{group}": 10 ** (BUCKET_DIGITS * place)}


def histogram(counters: Mapping[str, int], prefix: str, count: int) -> dict[int, int]:
    """The buckets of one histogram (``FIRST_RESPONSE`` or ``RESOLUTION``) out of a counters dict,
    ``{bucket: count}``; empty unless they add up to ``count`` (the durations recorded)."""
    start, base = prefix + ".", 10 ** BUCKET_DIGITS
    found: dict[int, int] = {}
    for name, packed in counters.items():
        if not name.startswith(start):
            continue
        index = int(name[len(start):]) * BUCKETS_PER_COUNTER
        while packed > 0:
            packed, tally = divmod(packed, base)
            if tally:
                found[index] = tally
            index += 1
    return found if sum(found.values()) == count else {}


# --- contributions -------------------------------------------------------------------

def add(a: Mapping, b: Mapping) -> dict:
    """Sum two contribution dicts (nested ``{key: {counter: int}}``) or two flat counter
    dicts; zeros and empty entries are dropped."""
    result: dict = {}
    for name in list(a) + [name for name in b if name not in a]:
        x, y = a.get(name), b.get(name)
        if isinstance(x, Mapping) or isinstance(y, Mapping):
            merged = add(x or {}, y or {})
            if merged:
                result[name] = merged
        else:
            total = (x or 0) + (y or 0)
            if total:
                result[name] = total
    return result


def subtract(a: Mapping, b: Mapping) -> dict:
    """``a - b`` for contribution or counter dicts; zeros dropped."""
    return add(a, _negated(b))


def _negated(a: Mapping) -> dict:
    return {name: _negated(value) if isinstance(value, Mapping) else -value for name, value in a.items()}


def _put(out: Contributions, at: datetime, where: Sequence[tuple[str, str]], time_zone: str, counters: Counters
         ) -> None:
    counters = {name: value for name, value in counters.items() if value}
    if not counters:
        return
    for period in period_keys(at, time_zone).values():
        for by, value in where:
            out[(period, by, value)] = add(out.get((period, by, value), {}), counters)


def _minutes(since: datetime, until: datetime) -> float:
    return (until - since).total_seconds() / 60


def counts_as_resolved(ticket: Ticket) -> bool:
    """Resolved once, and not then closed as duplicate, withdrawn or spam: a ticket closed
    while unresolved has no ``resolved_at`` (a reopen clears it, a resolve sets it)."""
    if ticket.first_resolved_at is None:
        return False
    return not (ticket.status == "closed" and ticket.resolved_at is None)


def ticket_contributions(ticket: Ticket, time_zone: str, *, responses: Iterable[SurveyResponse] = ()) -> Contributions:
    """What one ticket adds to the counters, by period and slice (see the module's table).

    ``responses`` are its survey answers: passing them keeps them in the ticket's slices,
    so a reassignment moves them with the ticket. A missing due date counts as not met."""
    out: Contributions = {}
    where = slices(ticket)
    _put(out, ticket.created_at, where, time_zone, {"tickets": 1, "repeat": int(bool(ticket.repeat))})
    # a report merged behind an incident's lead: the lead counts the service once (domain/incidents.py)
    service = not ticket.follows_incident
    if service and ticket.first_response_at is not None:
        due = ticket.first_response_due
        _put(out, ticket.first_response_at, where, time_zone, {
            "fr_n": 1,
            "fr_met": int(due is not None and ticket.first_response_at <= due),
            **timed(FIRST_RESPONSE, _minutes(ticket.created_at, ticket.first_response_at)),
        })
    if service and counts_as_resolved(ticket):
        resolved = ticket.first_resolved_at
        followed = ticket.followed_up_at
        _put(out, resolved, where, time_zone, {
            "resolved": 1,
            "res_met": int(ticket.resolution_met is True),  # judged at the first resolution (domain/clock.py)
            **timed(RESOLUTION, _minutes(ticket.created_at, resolved)),
            "reopened": int(ticket.reopen_count > 0),
            "ftf_ops": int(ticket.visits <= 1 and ticket.reopen_count == 0),
            "followed_up": int(followed is not None and resolved <= followed <= resolved + FOLLOW_UP_WITHIN),
        })
    if service:  # each milestone once, at its first completion, judged as the clock judges it
        for milestone in ticket.milestone_states(ticket.updated_at):
            if milestone.done_at is not None and milestone.state in ("met", "met_late"):
                _put(out, milestone.done_at, where, time_zone, {f"ms.{milestone.key}.n": 1,
                                                                f"ms.{milestone.key}.met": int(milestone.state == "met")})
    call = (ticket.survey or {}).get("call") or {}
    if call.get("done_at"):  # every reporter is owed their own call, merged or not
        done_at = datetime.fromisoformat(call["done_at"].replace("Z", "+00:00"))
        _put(out, done_at, where, time_zone, {"call_n": 1, "call_met": int(call.get("on_time") is True)})
    for response in responses:
        out = add(out, response_contributions(response, where, time_zone))
    return out


def ticket_change(before: Ticket | None, after: Ticket | None, time_zone: str, *,
                  responses_before: Iterable[SurveyResponse] = (),
                  responses_after: Iterable[SurveyResponse] = ()) -> Contributions:
    """What to ADD to the stored counters when a ticket goes from ``before`` to ``after``
    (None for a ticket not yet there, or deleted)."""
    old = ticket_contributions(before, time_zone, responses=responses_before) if before is not None else {}
    new = ticket_contributions(after, time_zone, responses=responses_after) if after is not None else {}
    return subtract(new, old)


# --- survey answers ------------------------------------------------------------------

@dataclass(frozen=True)
class SurveyResponse:
    """One resident's answer to the after-resolution survey.

    ``servqual`` maps a dimension to ``{"p": perception, "e": expectation or None}`` on
    ``scale`` (min, max); ``weights`` are the firm's importance points by dimension
    (summing to 100) when the answer was given, None for equal weights."""
    at: datetime
    rating: int | None = None  # 1-5
    nps: int | None = None  # 0-10
    fixed_first_visit: bool | None = None
    servqual: dict = field(default_factory=dict)
    scale: tuple[int, int] = (1, 5)
    weights: dict | None = None

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        low, high = self.scale if isinstance(self.scale, tuple) and len(self.scale) == 2 else (None, None)
        if not (_is_int(low) and _is_int(high) and low < high):
            problems["scale"] = "must be two whole numbers, the lower first"
        if self.rating is not None and not (_is_int(self.rating) and 1 <= self.rating <= 5):
            problems["rating"] = "must be a whole number 1-5"
        if self.nps is not None and not (_is_int(self.nps) and 0 <= self.nps <= 10):
            problems["nps"] = "must be a whole number 0-10"
        if self.fixed_first_visit is not None and not isinstance(self.fixed_first_visit, bool):
            problems["fixed_first_visit"] = "must be true or false"
        for dimension, item in self.servqual.items():
            if dimension not in DIMENSIONS or not isinstance(item, Mapping):
                problems[f"servqual.{dimension}"] = ("must be {'p': ..., 'e': ...} for one of: "
                                                     + ", ".join(DIMENSIONS))
                continue
            for part in ("p", "e"):
                answer = item.get(part)
                if (answer is None and part == "e") or ("scale" in problems):
                    continue
                if not (_is_int(answer) and low <= answer <= high):
                    problems[f"servqual.{dimension}.{part}"] = f"must be a whole number {low}-{high}"
        if self.weights is not None:
            if any(d not in DIMENSIONS or not _is_int(w) or w < 0 for d, w in self.weights.items()):
                problems["weights"] = "must give whole, non-negative points to known dimensions"
            elif sum(self.weights.values()) != 100:
                problems["weights"] = "must add up to 100"
        if problems:
            raise InvalidInput("Some survey answers need attention.", problems)

    def index(self) -> float | None:
        """The answer's satisfaction index 0-100: the weighted mean over answered dimensions
        of ``(p - min) / (max - min) * 100`` (equal weights without ``weights``; when the
        answered dimensions weigh nothing, as if none were answered), else the rating
        rescaled on 1-5, else None."""
        low, high = self.scale
        answered = {d: (item["p"] - low) / (high - low) * 100 for d, item in self.servqual.items()}
        weights = {d: 1 if self.weights is None else self.weights.get(d, 0) for d in answered}
        total = sum(weights.values())
        if answered and total > 0:
            return sum(weights[d] * score for d, score in answered.items()) / total
        if self.rating is not None:
            return (self.rating - 1) / 4 * 100
        return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _moments(prefix: str, value: int) -> Counters:
    return {f"{prefix}n": 1, f"{prefix}sum": value, f"{prefix}sq": value * value}


def response_contributions(response: SurveyResponse, where: Iterable[tuple[str, str]], time_zone: str
                           ) -> Contributions:
    """What one survey answer adds, at its own periods, to the given slices (the ticket's)."""
    counters: Counters = {}
    if response.rating is not None:
        counters |= {"csat_n": 1, "csat_pos": int(response.rating >= 4)}
        counters |= {"rating_sum": response.rating, "rating_sq": response.rating ** 2}
    if response.nps is not None:
        counters |= {"nps_n": 1, "nps_pro": int(response.nps >= 9), "nps_det": int(response.nps <= 6)}
    if response.fixed_first_visit is not None:
        counters |= {"ftf_said_n": 1, "ftf_said_yes": int(response.fixed_first_visit)}
    for dimension, item in response.servqual.items():
        p, e = item["p"], item.get("e")
        counters |= _moments(f"sq.{dimension}.p_", p)
        if e is not None:
            counters |= _moments(f"sq.{dimension}.e_", e) | _moments(f"sq.{dimension}.g_", p - e)
    index = response.index()
    if index is not None:
        counters |= _moments("idx_", round(index * 100))
    out: Contributions = {}
    _put(out, response.at, list(where), time_zone, counters)
    return out


# --- scores --------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    """A score with its n and 95 % interval; ``too_few`` below the firm's minimum n (the
    value is still given so the caller decides whether to show it), and for a mean of a
    single answer (no interval). ``value`` is None only when n is 0."""
    value: float | None
    n: int
    low: float | None
    high: float | None
    too_few: bool
    unit: str  # "%" | "points" | "minutes" | "tickets"

    def as_dict(self) -> dict:
        return asdict(self)


def wilson(successes: int, n: int) -> tuple[float, float] | None:
    """Wilson 95 % interval for a proportion, as fractions:
    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``."""
    if n <= 0:
        return None
    p, z2 = successes / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(max(0.0, p * (1 - p)) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _share(successes: int, n: int, min_n: int) -> Score:
    """A proportion in %, with its Wilson interval."""
    interval = wilson(successes, n)
    if interval is None:
        return Score(None, 0, None, None, True, "%")
    return Score(100 * successes / n, n, 100 * interval[0], 100 * interval[1], n < min_n, "%")


share = _share  # the same proportion for other measures (domain/tsm.py)


def _regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) by its continued fraction (modified Lentz)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):  # the fraction converges fast on this side only
        return 1.0 - _regularized_beta(b, a, 1 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 10_000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return front * result / a


def _t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0 under Student's t with ``df`` degrees of freedom."""
    return 0.5 * _regularized_beta(df / 2, 0.5, df / (df + t * t))


@lru_cache(maxsize=512)
def t_quantile(p: float, df: int) -> float:
    """Student's t quantile for 0.5 <= p < 1, by bisection on the upper tail (an
    inverse of the regularized incomplete beta)."""
    if not 0.5 <= p < 1 or df < 1:
        raise ValueError("t_quantile needs 0.5 <= p < 1 and df >= 1")
    tail = 1 - p
    low, high = 0.0, 1.0
    while _t_upper_tail(high, df) > tail:
        low, high = high, high * 2
    for _ in range(200):
        middle = (low + high) / 2
        if _t_upper_tail(middle, df) > tail:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


def _spread(n: int, total: int, squares: int, scale: float, items: int = 1) -> tuple[float, float]:
    """Mean and sample variance of values stored as integers ``value * scale`` (n >= 2), or
    as the sum of ``items`` answers (a questionnaire's dimension: the value is their mean);
    the variance is formed exactly in integers, then divided once by ``n(n-1)·items²``."""
    return (total / (n * items) / scale,
            max(0, n * squares - total * total) / (n * (n - 1) * items * items) / (scale * scale))


def _mean_of(counters: Mapping[str, int], prefix: str, min_n: int, unit: str = "points", scale: float = 1,
             bounds: tuple[float, float] | None = None, items: int = 1) -> Score:
    """Mean of ``<prefix>sum / <prefix>n`` with a Student t 95 % interval
    ``mean ± t(0.975, n-1) · s / sqrt(n)`` (none for n < 2), clipped to ``bounds``."""
    n, total, squares = (counters.get(f"{prefix}{part}", 0) for part in ("n", "sum", "sq"))
    if n <= 0:
        return Score(None, 0, None, None, True, unit)
    if n < 2:
        return Score(total / (n * items) / scale, n, None, None, True, unit)
    mean, variance = _spread(n, total, squares, scale, items)
    half = t_quantile(0.975, n - 1) * math.sqrt(variance / n)
    low, high = mean - half, mean + half
    if bounds:
        low, high = max(bounds[0], low), min(bounds[1], high)
    return Score(mean, n, low, high, n < min_n, unit)


def nps(promoters: int, detractors: int, n: int, min_n: int = 5) -> Score:
    """NPS = (promoters - detractors) / n × 100, with the adjusted-Wald 95 % interval of
    Sauro & Rocks (DESIGN: "add 3 to n, 0.75 to promoters and to detractors"): n' = n + 3,
    p' = (promoters + 3/4) / n', d' = (detractors + 3/4) / n', interval
    ``100 · ((p' - d') ± z · sqrt((p' + d' - (p' - d')²) / n'))`` clipped to ±100. So 7
    promoters of 7 answers score 100 with a lower bound of about 33."""
    if n <= 0:
        return Score(None, 0, None, None, True, "points")
    adjusted_n = n + 3
    pro, det = (promoters + 0.75) / adjusted_n, (detractors + 0.75) / adjusted_n
    centre = pro - det
    half = Z95 * math.sqrt(max(0.0, pro + det - centre * centre) / adjusted_n)
    return Score(100 * (promoters - detractors) / n, n, max(-100.0, 100 * (centre - half)),
                 min(100.0, 100 * (centre + half)), n < min_n, "points")


def _percentile_score(counts: Mapping[int, int], q: float, min_n: int) -> Score:
    """A percentile of minutes, with the distribution-free 95 % interval of order
    statistics: ranks ``n·q ∓ z·sqrt(n·q·(1-q))`` (floor / ceil, kept within 1..n)."""
    n = sum(counts.values())
    if n <= 0:
        return Score(None, 0, None, None, True, "minutes")
    spread = Z95 * math.sqrt(n * q * (1 - q))
    low_rank = min(n, max(1, math.floor(n * q - spread)))
    high_rank = min(n, max(1, math.ceil(n * q + spread)))
    return Score(percentile(counts, q), n, _value_at_rank(counts, low_rank), _value_at_rank(counts, high_rank),
                 n < min_n, "minutes")


def _weighted_gap(counters: Mapping[str, int], weights: Mapping[str, int] | None, min_n: int,
                  items: Mapping[str, int] | None = None) -> Score:
    """Σ w_d · ḡ_d / Σ w_d over the dimensions with gaps (equal weights if none given).

    The interval is conservative, ``± t(0.975, n-1) · Σ (w_d / Σw) · s_d / sqrt(n_d)``:
    the standard error of a weighted sum is at most the weighted sum of the standard
    errors (reached when dimensions are perfectly correlated, and the same residents
    answer them all). n is that of the least-answered dimension."""
    parts = []  # (weight, n, mean, standard error)
    for dimension in DIMENSIONS:
        prefix = f"sq.{dimension}.g_"
        n, total, squares = (counters.get(f"{prefix}{part}", 0) for part in ("n", "sum", "sq"))
        weight = 1 if weights is None else weights.get(dimension, 0)
        k = (items or {}).get(dimension, 1)
        if n > 0 and weight > 0:
            mean, variance = _spread(n, total, squares, 1, k) if n > 1 else (total / (n * k), math.nan)
            parts.append((weight, n, mean, math.sqrt(variance / n)))
    if not parts:
        return Score(None, 0, None, None, True, "points")
    weight_total = sum(part[0] for part in parts)
    value = sum(weight * mean for weight, _, mean, _ in parts) / weight_total
    n = min(part[1] for part in parts)
    if n < 2:
        return Score(value, n, None, None, True, "points")
    half = t_quantile(0.975, n - 1) * sum(weight / weight_total * se for weight, _, _, se in parts)
    return Score(value, n, value - half, value + half, n < min_n, "points")


def scores(counters: Mapping[str, int], *, min_n: int = 5, total_tickets: int | None = None,
           weights: Mapping[str, int] | None = None, items: Mapping[str, int] | None = None) -> dict[str, Score]:
    """Every score of one period and slice from its counters.

    Proportions are in % with Wilson intervals; means have Student t intervals; NPS has
    the adjusted-Wald interval (see ``nps``); p50/p90 are minutes from the histograms
    (within about 5 %). ``volume`` is a count (never too few, 0 is a value); ``share`` is
    the slice's tickets out of ``total_tickets`` and is only there when that is given.
    ``weights`` are the firm's SERVQUAL importance points for the weighted gap; ``items``, per
    dimension, how many questionnaire items each answer's SERVQUAL counters sum (a campaign's
    full form), 1 if not given."""
    get = counters.get
    responded = histogram(counters, FIRST_RESPONSE, get("fr_n", 0))  # each read once
    fixed = histogram(counters, RESOLUTION, get("resolved", 0))
    result: dict[str, Score] = {
        "csat": _share(get("csat_pos", 0), get("csat_n", 0), min_n),
        "nps": nps(get("nps_pro", 0), get("nps_det", 0), get("nps_n", 0), min_n),
        "satisfaction_index": _mean_of(counters, "idx_", min_n, scale=100, bounds=(0.0, 100.0)),
        "sla_first_response": _share(get("fr_met", 0), get("fr_n", 0), min_n),
        "sla_resolution": _share(get("res_met", 0), get("resolved", 0), min_n),
        "first_response_p50": _percentile_score(responded, 0.5, min_n),
        "first_response_p90": _percentile_score(responded, 0.9, min_n),
        "resolution_p50": _percentile_score(fixed, 0.5, min_n),
        "resolution_p90": _percentile_score(fixed, 0.9, min_n),
        "first_time_fix_ops": _share(get("ftf_ops", 0), get("resolved", 0), min_n),
        "first_time_fix_said": _share(get("ftf_said_yes", 0), get("ftf_said_n", 0), min_n),
        "reopen_rate": _share(get("reopened", 0), get("resolved", 0), min_n),
        "repeat_rate": _share(get("repeat", 0), get("tickets", 0), min_n),
        "follow_up_rate": _share(get("followed_up", 0), get("resolved", 0), min_n),
        "follow_up_calls_on_time": _share(get("call_met", 0), get("call_n", 0), min_n),
        "volume": Score(float(get("tickets", 0)), get("tickets", 0), None, None, False, "tickets"),
    }
    if total_tickets is not None:
        result["share"] = _share(get("tickets", 0), total_tickets, min_n)
    # on-time share per milestone (only the milestones the period's tickets completed)
    for key in sorted({name[3:-2] for name in counters if name.startswith("ms.") and name.endswith(".n")}):
        result[f"milestone.{key}"] = _share(get(f"ms.{key}.met", 0), get(f"ms.{key}.n", 0), min_n)
    for dimension in DIMENSIONS:
        for part, name in (("p", "p"), ("e", "e"), ("g", "gap")):
            result[f"servqual.{dimension}.{name}"] = _mean_of(counters, f"sq.{dimension}.{part}_", min_n,
                                                              items=(items or {}).get(dimension, 1))
    result["servqual.weighted_gap"] = _weighted_gap(counters, weights, min_n, items)
    return result


# --- what a reader may ask for -----------------------------------------------------------

from .fields import Choice, Shape, Text  # noqa: E402 (kept next to its only use)

BY = ("all", "property", "building", "category", "staff")
QUERY = Shape(fields={
    "period": Text(required=False, max_len=10, pattern=r"[WMQ]\d{4}-\d{1,2}",
                   pattern_reason="must look like M2026-11 (month), Q2026-4 (quarter) or W2026-47 (ISO week)",
                   description="default: this month in the firm's time zone"),
    "by": Choice(options=BY, required=False, default="all"),
    "value": Text(required=False, max_len=64, description="the slice for a trend (with by); default: all"),
    "periods": Text(required=False, max_len=2, pattern=r"[1-9]|1[0-9]|2[0-4]", pattern_reason="must be 1 to 24",
                    description="how many periods a trend shows (default 12)"),
})

__all__ = ["QUERY", "BY", "next_finalisation", "last_closed", "Period", "period_keys", "parse_period", "previous_periods", "period_bounds", "slices", "bucket",
           "bucket_value", "timed", "FIRST_RESPONSE", "RESOLUTION", "percentile", "histogram", "add", "subtract", "counts_as_resolved",
           "ticket_contributions", "ticket_change", "SurveyResponse", "response_contributions", "Score", "wilson",
           "nps", "share", "t_quantile", "scores", "DIMENSIONS", "GAMMA", "RELATIVE_ERROR"]
