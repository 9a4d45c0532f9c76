"""Structured logs, metrics and traces (Powertools), with the tenant bound once per request.

Log lines carry ids, routes, statuses and field *names* — never a resident's phone,
e-mail or description. Metrics are CloudWatch EMF lines; the tenant id rides along as
metadata (searchable in Logs Insights) rather than as a dimension, because every
dimension value is a billed custom metric.

Every request's log lines carry API Gateway's request id, the ``request_id`` of its access log
line (infra/stack.py, ``ACCESS_LOG_FORMAT``): one request can be followed from the gateway
through the app. Traces (X-Ray, through Powertools' Tracer) are made only in a traced Lambda:
``tracer()`` imports the X-Ray SDK on the first traced call, never at ``import app`` (the cold
start), and patches botocore, so every DynamoDB (and other AWS) call is a subsegment;
``subsegment()`` adds our own, e.g. each outbound channel call.
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
_pending: ContextVar[list[tuple[str, float, MetricUnit, str | None]] | None] = ContextVar(
    "propdesk_metrics_pending", default=None)

_tracer = None
_tracer_lock = threading.Lock()


def tracing_wanted() -> bool:
    """In Lambda (where active tracing gives each invocation a segment), unless
    POWERTOOLS_TRACE_DISABLED says otherwise. Locally and in tests: never."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in ("1", "true", "yes")
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and not disabled


def tracer():
    """Powertools' Tracer, made on first use in a traced Lambda (botocore patched: AWS calls,
    DynamoDB's included, become subsegments); None where nothing is traced."""
    global _tracer
    if _tracer is None and tracing_wanted():
        with _tracer_lock:
            if _tracer is None:
                from aws_lambda_powertools import Tracer
                _tracer = Tracer(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "propdesk"),
                                 patch_modules=("botocore",))
    return _tracer


@contextmanager
def subsegment(name: str, **annotations: str) -> Iterator[None]:
    """Time the block as an X-Ray subsegment ``name`` with searchable ``annotations`` (ids and
    names only, never personal data); nothing at all where nothing is traced."""
    traced = tracer()
    if traced is None:
        yield
        return
    with traced.provider.in_subsegment(name) as segment:
        for key, value in annotations.items():
            if value:
                segment.put_annotation(key, value)
        yield


class _Metrics:
    """Counts kept per request (a ContextVar) and written as one EMF line at its end, under a
    lock: Powertools' metric buffer is shared by the whole process."""

    def __init__(self) -> None:
        self._metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "PropDesk"),
                                service=os.environ.get("POWERTOOLS_SERVICE_NAME", "propdesk"))
        self._lock = threading.Lock()

    def count(self, name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count) -> None:
        pending = _pending.get()
        if pending is None:
            pending = []
            _pending.set(pending)
        pending.append((name, value, unit, _tenant.get()))

    def seconds(self, name: str, value: float) -> None:
        """A duration or an age, e.g. the sweep's lag."""
        self.count(name, value, MetricUnit.Seconds)

    def flush_if_any(self) -> None:
        pending = _pending.get()
        if not pending:
            return
        _pending.set(None)
        tenant_id = next((tenant for *_, tenant in reversed(pending) if tenant), None)
        with self._lock:
            for name, value, unit, _ in pending:
                self._metrics.add_metric(name=name, unit=unit, value=value)
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
        with subsegment("request", route=route, tenant_id=tenant_id or "", request_id=request_id):
            yield
    finally:
        logger.thread_safe_remove_keys(REQUEST_KEYS)
        if saved:
            logger.thread_safe_append_keys(**saved)
        _tenant.reset(token)
