"""The UK Tenant Satisfaction Measures return, for a reporting year (April - March): the
figures as JSON and as CSV. Admins only; the console's page is ``console/tsm.py``."""

from __future__ import annotations


from chalice import Blueprint, Response

from .http import Call, Later, endpoint, lazy
from .scores import csv_download

service = lazy("chalicelib.services.tsm")
rules = lazy("chalicelib.domain.tsm")
QUERY = Later(lambda: rules.QUERY)

bp = Blueprint(__name__)


@endpoint(bp, "/api/tsm/return", "GET", admin=True,
          summary="The Tenant Satisfaction Measures return for a reporting year (1 April - 31 March): TP01-TP12 "
                  "with n and 95 % intervals, RP02, CH01, CH02, and the measures PropDesk does not hold",
          tags=["scores"], query=QUERY, responses={200: "the return", 422: "not a reporting year"})
def tsm_return(call: Call) -> dict:
    return service.annual_return(call.who, call.query)


@endpoint(bp, "/api/exports/tsm.csv", "GET", admin=True,
          summary="The Tenant Satisfaction Measures return as CSV (UTF-8 with BOM, for Excel)",
          tags=["scores"], query=QUERY, responses={200: "the return as CSV", 422: "not a reporting year"},
          produces=["text/csv"])
def tsm_csv(call: Call) -> Response:
    return csv_download(*service.return_csv(call.who, call.query))
