"""Prometheus metrics of the workbench: API requests per route, executions per final status.

`workbench.extensions.monitoring` serves them; the base handler and the runner record them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from agents import events

API_REQUESTS = Counter(
    "workbench_api_requests",
    "REST API requests, by route template, method and status",
    ["route", "method", "status"],
)
API_LATENCY = Histogram(
    "workbench_api_request_duration_seconds",
    "REST API request latency, by route template and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EXECUTIONS = Counter(
    "workbench_executions",
    "Finished executions, by final status",
    ["status"],
)
EXECUTION_DURATION = Histogram(
    "workbench_execution_duration_seconds",
    "Time from submission to the final status, by final status",
    ["status"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
)
PROVIDER_CALLS = Counter(
    "workbench_provider_calls",
    "Model calls made for executions, by provider and outcome (ok, error, rate_limited)",
    ["provider", "outcome"],
)
EXECUTIONS_RUNNING = Gauge(
    "workbench_executions_in_progress", "Executions submitted and not finished yet"
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    API_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    API_LATENCY.labels(route=route, method=method).observe(seconds)


def observe_execution(status: str, seconds: float) -> None:
    EXECUTIONS.labels(status=status).inc()
    EXECUTION_DURATION.labels(status=status).observe(seconds)


def observe_event(event: events.Event) -> None:
    """Count each model call of an execution (`CallFinished`) by provider and outcome."""
    if not isinstance(event, events.CallFinished) or event.call is None:
        return
    call = event.call
    provider = call.model.split(":", 1)[0] or "unknown"
    if call.error is None:
        outcome = "ok"
    elif "429" in call.error or "rate" in call.error.lower():
        outcome = "rate_limited"
    else:
        outcome = "error"
    PROVIDER_CALLS.labels(provider=provider, outcome=outcome).inc()
