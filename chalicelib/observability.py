"""Structured logs and metrics (Powertools), with the tenant bound once per request.

Log lines carry ids, routes, statuses and field *names* — never a resident's phone,
e-mail or description. Metrics are CloudWatch EMF lines; the tenant id rides along as
metadata (searchable in Logs Insights) rather than as a dimension, because every
dimension value is a billed custom metric.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "propdesk"))

REQUEST_KEYS = ("request_id", "tenant_id", "route")
# Per request, not per process: the local server answers requests on many threads at once
# (and Lambda may one day too), and a log line naming another request's tenant is a privacy
# bug. Powertools' thread-safe keys live in a ContextVar; so do the metrics' tenant and
# pending counts.
_tenant: ContextVar[str | None] = ContextVar("propdesk_metrics_tenant", default=None)
_pending: ContextVar[list[tuple[str, int, str | None]] | None] = ContextVar("propdesk_metrics_pending", default=None)


class _Metrics:
    """Counts kept per request (a ContextVar) and written as one EMF line at its end, under a
    lock: Powertools' metric buffer is shared by the whole process."""

    def __init__(self) -> None:
        self._metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "PropDesk"),
                                service=os.environ.get("POWERTOOLS_SERVICE_NAME", "propdesk"))
        self._lock = threading.Lock()

    def count(self, name: str, value: int = 1) -> None:
        pending = _pending.get()
        if pending is None:
            pending = []
            _pending.set(pending)
        pending.append((name, value, _tenant.get()))

    def flush_if_any(self) -> None:
        pending = _pending.get()
        if not pending:
            return
        _pending.set(None)
        tenant_id = next((tenant for _, _, tenant in reversed(pending) if tenant), None)
        with self._lock:
            for name, value, _ in pending:
                self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
            if tenant_id:
                self._metrics.add_metadata(key="tenant_id", value=tenant_id)
            self._metrics.flush_metrics()


metrics = _Metrics()


@contextmanager
def request_scope(*, request_id: str, tenant_id: str | None, route: str) -> Iterator[None]:
    """Bind the request's id, tenant and route to every log line (and metric) written inside,
    in this request's context only."""
    before = logger.thread_safe_get_current_keys()
    saved = {key: before[key] for key in REQUEST_KEYS if key in before}
    logger.thread_safe_append_keys(request_id=request_id, tenant_id=tenant_id, route=route)
    token = _tenant.set(tenant_id)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(REQUEST_KEYS)
        if saved:
            logger.thread_safe_append_keys(**saved)
        _tenant.reset(token)
