"""Structured logs and metrics (Powertools), with the tenant bound once per request.

Log lines carry ids, routes, statuses and field *names* — never a resident's phone,
e-mail or description. Metrics are CloudWatch EMF lines; the tenant id rides along as
metadata (searchable in Logs Insights) rather than as a dimension, because every
dimension value is a billed custom metric.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "propdesk"))


class _Metrics:
    def __init__(self) -> None:
        self._metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "PropDesk"),
                                service=os.environ.get("POWERTOOLS_SERVICE_NAME", "propdesk"))
        self._pending = False
        self._tenant_id: str | None = None

    def count(self, name: str, value: int = 1) -> None:
        self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        if self._tenant_id:
            self._metrics.add_metadata(key="tenant_id", value=self._tenant_id)
        self._pending = True

    def flush_if_any(self) -> None:
        if self._pending:
            self._metrics.flush_metrics()
            self._pending = False


metrics = _Metrics()


@contextmanager
def request_scope(*, request_id: str, tenant_id: str | None, route: str) -> Iterator[None]:
    logger.append_keys(request_id=request_id, tenant_id=tenant_id, route=route)
    metrics._tenant_id = tenant_id
    try:
        yield
    finally:
        logger.remove_keys(["request_id", "tenant_id", "route"])
        metrics._tenant_id = None
