"""Reserved concurrency of the functions, sized from the cost model (bench/cost.py), without CDK.

The cost model's firm (``bench.cost.PROFILE``: ~5,000 API requests a month) times the firms one
deployment serves (``FIRMS_SHARING``) is the month's traffic. Assume it all falls in working
hours (``WORKING_SECONDS_PER_MONTH``) and that the busiest minute is ``PEAK_FACTOR`` times that
mean: the peak rate. Each request holds a function for at most ``WORST_REQUEST_SECONDS`` (a
cold start: warm requests take the model's 60 ms), so the peak needs ``peak rate x that``
instances at once. That is the API handler's (and the authorizer's, which runs before each
request the gateway has not cached) reserved concurrency: a ceiling on a runaway loop or a
flood of reports, with the model's own peak inside it.

The scheduled jobs get 1: the minute sweep and the hourly rollup never run beside themselves,
even before their conditional writes would make a second copy harmless. A run still going when
the next one fires makes the next one throttle (its ``Throttles`` alarm) and, after its event
age, land on the failure queue.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.cost import FIRMS_SHARING, PROFILE  # noqa: E402

WORKING_SECONDS_PER_MONTH = 22 * 10 * 3600  # 22 working days of 10 hours
PEAK_FACTOR = 10  # the busiest minute against the working-hours mean
WORST_REQUEST_SECONDS = 1.0  # a cold start (import app + first call), against ~60 ms warm
SCHEDULED_CONCURRENCY = 1


def api_requests_per_month() -> float:
    """The whole deployment's API requests in a month: the model's firm times the firms."""
    return sum(times for _, times in PROFILE.values()) * FIRMS_SHARING


def api_peak_per_second() -> float:
    return api_requests_per_month() / WORKING_SECONDS_PER_MONTH * PEAK_FACTOR


def api_concurrency() -> int:
    """Reserved concurrency of each function API Gateway calls (handler, authorizer)."""
    return math.ceil(api_peak_per_second() * WORST_REQUEST_SECONDS)
