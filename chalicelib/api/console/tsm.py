"""The console's Tenant Satisfaction Measures return (admins): a reporting year's figures
(1 April - 31 March, as the Regulator of Social Housing counts them) and its CSV.

Every number comes from ``services/tsm.annual_return`` (three round trips: the year's and the
year before's counters with the firm's settings, the count of homes, the firm's campaigns);
this module only lays it out. A year that is not one answers the page again, 422, with the
reason beside the box.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from chalice import Blueprint, Response

from ...domain.errors import InvalidInput
from ..http import lazy
from ..scores import csv_download
from .session import Page, console_page

service = lazy("chalicelib.services.tsm")
tsm = lazy("chalicelib.domain.tsm")
scores = lazy("chalicelib.services.scores")
figures = lazy("chalicelib.web.figures")

bp = Blueprint(__name__)

# What the page says for each reason a year is refused (English msgids; console_tsm.po).
YEAR_ERROR = "Enter the year the reporting year starts in, such as 2026 for April 2026 to March 2027"
YEARS_SHOWN = 5


def _this_year(page: Page) -> int:
    settings = scores.firm_settings(page.who.tenant_id)  # kept a minute per process
    return tsm.financial_year(datetime.now(timezone.utc), settings["time_zone"])


def _date(page: Page, iso: str) -> str:
    return figures.day(datetime.fromisoformat(iso).date(), page.lang)


def _shown(page: Page, row: dict) -> dict:
    """A row as the page prints it: the figure, its interval and n, last year's figure."""
    if row["unit"] != "%":  # CH01: a rate per 1,000 homes, with the count behind it
        rate = "—" if row["value"] is None else f"{row['value']:.1f}"
        before = "—" if row["previous"] is None else f"{row['previous']:.1f}"
        return {"value": rate, "interval": "", "n": row["n"], "too_few": False, "count": False, "before": before}
    score = figures.shown({k: row[k] for k in ("value", "n", "low", "high", "too_few", "unit")}, page.lang)
    before = "—" if row["previous"] is None else figures.figure(row["previous"], "%", page.lang)
    return {**score, "before": before}


def _context(page: Page, answer: dict) -> dict:
    t = page.t
    perception = [{"code": r["code"], "name": t(r["measure"]), "shown": _shown(page, r),
                   "dont_know": r.get("dont_know", 0)} for r in answer["rows"] if r["code"].startswith("TP")]
    management = [{"code": r["code"], "name": t(r["measure"]), "part": t(service.PARTS[r["part"]]),
                   "shown": _shown(page, r), "count": r["unit"] != "%"}
                  for r in answer["rows"] if r["held"] and not r["code"].startswith("TP")]
    not_held = [{"code": r["code"], "name": t(r["measure"])} for r in answer["rows"] if not r["held"]]
    surveys = [{"name": s["name"], "from": _date(page, s["opens_on"]), "to": _date(page, s["closes_on"])}
               for s in answer["surveys"]]
    return {"answer": answer, "perception": perception, "management": management, "not_held": not_held,
            "surveys": surveys, "span": t("%(from)s to %(to)s") % {"from": _date(page, answer["from"]),
                                                                   "to": _date(page, answer["to"])},
            "codes": page.lang == "en"}  # the regulator's codes are English letters: left off Chinese pages


def _years(page: Page, newest: int) -> list[tuple[str, str]]:
    return [(str(y), tsm.year_label(y)) for y in range(newest, newest - YEARS_SHOWN, -1)]


def _refused(page: Page) -> Response:
    """The page again, 422, with what a year must be beside the box."""
    return page.render("console/tsm.html", 422, title=page.t("Tenant Satisfaction Measures return"),
                       errors={"year": page.t(YEAR_ERROR)}, year=page.query.get("year") or "",
                       years=_years(page, _this_year(page)))


@console_page(bp, "/console/tsm", admin=True)
def tsm_return(page: Page) -> Response:
    if "year" not in page.query:
        return page.redirect("/console/tsm?" + urlencode({"year": _this_year(page)}))
    try:
        answer = service.annual_return(page.who, {"year": page.query["year"]})
    except InvalidInput:
        return _refused(page)
    return page.render("console/tsm.html", title=page.t("Tenant Satisfaction Measures return"), errors={},
                       year=str(answer["year"]), years=_years(page, _this_year(page)), **_context(page, answer))


@console_page(bp, "/console/exports/tsm.csv", admin=True)
def tsm_csv(page: Page) -> Response:
    try:
        return page.answer(csv_download(*service.return_csv(page.who, {"year": page.query.get("year")})))
    except InvalidInput:
        return _refused(page)
