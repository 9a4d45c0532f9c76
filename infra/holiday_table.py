"""Writes ``chalicelib/domain/holidays.json``: the public holidays and make-up working days of
each country a standards document may name, for 2015-2045, as ``domain/calendar`` computes
them from the ``holidays`` library (its own block-holiday and default-subdivision rules
included). Requests then read 8 kB of JSON instead of importing the library (~200 ms with its
250 countries at a cold start).

A generated file, never edited: ``python -m infra.holiday_table`` after upgrading the library
(the PRC's make-up days come with each year's State Council notice); ``tests/unit/
test_calendar.py`` fails while the two disagree.

Format: ``{country: {year: ["MMDD MMDD ...", "MMDD ..."]}}`` (closed days, make-up days).
"""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.domain import calendar

PATH = Path(calendar.__file__).with_name("holidays.json")


def table() -> dict:
    return {code: {str(year): [" ".join(sorted(d.strftime("%m%d") for d in days))
                               for days in calendar._country_days(code, (year,))]
                   for year in range(calendar.TABLE_YEARS[0], calendar.TABLE_YEARS[1] + 1)}
            for code in calendar.SUPPORTED}


def write() -> None:
    PATH.write_text(json.dumps(table(), separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
