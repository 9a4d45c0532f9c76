"""Score routes: a period's scores by slice, one slice's trend, CSV exports."""

from __future__ import annotations

from chalice import Blueprint, Response

from .http import SECURITY_HEADERS, Call, Later, endpoint, lazy

service = lazy("chalicelib.services.scores")
exports = lazy("chalicelib.services.exports")
rules = lazy("chalicelib.domain.scores")
QUERY = Later(lambda: rules.QUERY)

bp = Blueprint(__name__)


@endpoint(bp, "/api/scores", "GET", summary="Every score of a period, for the firm and by slice (one query)",
          tags=["scores"], query=QUERY,
          responses={200: "firm-wide scores and one entry per slice; each score has n, a 95 % interval and "
                          "too_few below the firm's minimum n", 422: "bad period or slice"})
def period_scores(call: Call) -> dict:
    return service.period_scores(call.who, call.query)


@endpoint(bp, "/api/scores/trend", "GET", summary="One slice's scores over the last periods (default 12)",
          tags=["scores"], query=QUERY, responses={200: "oldest period first", 403: "a colleague's numbers (staff)"})
def trend(call: Call) -> dict:
    return service.trend(call.who, call.query)


def csv_download(name: str, text: str) -> Response:
    """A CSV file as a download (the console's export pages answer with it too)."""
    return Response(body=text, status_code=200, headers={
        **SECURITY_HEADERS, "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


@endpoint(bp, "/api/exports/scores.csv", "GET", summary="A period's scores as CSV (UTF-8 with BOM, for Excel)",
          tags=["scores"], query=QUERY, responses={200: "the scores as CSV"}, produces=["text/csv"])
def scores_csv(call: Call) -> Response:
    return csv_download(*exports.scores_csv(call.who, call.query))


@endpoint(bp, "/api/exports/tickets.csv", "GET",
          summary="Open tickets and those finished in a period, as CSV (UTF-8 with BOM; times with the firm's offset)",
          tags=["scores"], query=QUERY, responses={200: "the tickets as CSV"}, produces=["text/csv"])
def tickets_csv(call: Call) -> Response:
    return csv_download(*exports.tickets_csv(call.who, call.query))


@endpoint(bp, "/api/reports/{period}", "GET",
          summary="A finalised period's review (月检查 / 季度评估): the scores as they stood when the period closed, "
                  "by property and building, hotspots, promises next to results",
          tags=["scores"], responses={200: "the stored review", 404: "not finalised (yet), or no such period",
                                       422: "not a period like M2026-11, Q2026-4 or W2026-48"})
def period_report(call: Call, period: str) -> dict:
    return service.report(call.who, period)
