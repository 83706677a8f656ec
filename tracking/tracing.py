"""An execution as an MLflow trace, linked to its run: the agent, its steps, each model call.

The trace is built from the events the writer already has, after the execution ends, instead of
from LangChain callbacks (`mlflow.langchain.autolog`). Autolog traces whatever LangChain does in
the process to the *global* tracking URI and experiment, with no notion of which execution a call
belongs to; the engine runs calls inside Dask tasks, on worker threads or in other processes, where
no MLflow run is active, so the calls could not be linked to the execution's run, and a Dask
worker on another machine would need MLflow credentials. Built here instead, a trace costs nothing
on the execution's critical path, works offline and on any Dask cluster, is rebuilt the same by a
backfill (its ids derive from the execution id, so writing it twice keeps one trace), and carries
the same redaction as the run.

What a user sees (the run's and the experiment's "Traces" tab): one trace per execution named
after the agent, with the inputs as request and the outputs as response; under it a span per
step (kind, models, output or error) and under each step a CHAT_MODEL span per call, showing the
system and user messages, the answer, token usage (input, output, cached) and status.
LangChain-internal spans (prompt formatting, output parsing) are not shown; call timings are
placed from the step's start and each call's latency (a compare step's calls side by side).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import Span, SpanType, TraceInfo, TraceLocation, TraceState
from mlflow.tracing.client import TracingClient
from mlflow.tracing.constant import SpanAttributeKey, TraceMetadataKey, TraceTagKey

from agents.events import (
    CallRecord,
    Event,
    ExecutionFinished,
    ExecutionStarted,
    StepFailed,
    StepFinished,
    StepStarted,
)
from tracking.context import ExecutionContext
from tracking.mapping import Redactor, kinds_in_spec
from tracking.store import OpenRun

log = logging.getLogger(__name__)

_TRACE_NAMESPACE = uuid.UUID("6f1c2b7e-93a4-4c55-8f0e-2d7b1a9e4c10")
_STATUS_OK = "STATUS_CODE_OK"
_STATUS_ERROR = "STATUS_CODE_ERROR"


def trace_id_for(execution_id: str) -> str:
    """The MLflow trace id of an execution: the same every time it is written."""
    return "tr-" + _otel_trace_id(execution_id).hex()


def _otel_trace_id(execution_id: str) -> bytes:
    return uuid.uuid5(_TRACE_NAMESPACE, execution_id).bytes


def _span_id(execution_id: str, *path: object) -> bytes:
    digest = hashlib.sha256("/".join([execution_id, *map(str, path)]).encode()).digest()
    return digest[:8]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _ns(at: float) -> int:
    return int(at * 1_000_000_000)


class _TraceBuilder:
    def __init__(self, context: ExecutionContext, redact: Redactor | None) -> None:
        self.context = context
        self.redact = redact or (lambda text: text)
        self.trace_id = trace_id_for(context.execution_id)
        self._otel_trace = _b64(_otel_trace_id(context.execution_id))
        self.spans: list[dict[str, Any]] = []

    def json(self, value: Any) -> str:
        return self.redact(json.dumps(value, ensure_ascii=False, default=str))

    def span(
        self,
        span_id: bytes,
        parent: bytes | None,
        name: str,
        span_type: str,
        start_ns: int,
        end_ns: int,
        *,
        inputs: Any,
        outputs: Any,
        error: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        encoded = {
            SpanAttributeKey.REQUEST_ID: json.dumps(self.trace_id),
            SpanAttributeKey.SPAN_TYPE: json.dumps(span_type),
            SpanAttributeKey.INPUTS: self.json(inputs),
            SpanAttributeKey.OUTPUTS: self.json(outputs),
        }
        for key, value in (attributes or {}).items():
            encoded[key] = self.json(value)
        self.spans.append(
            {
                "trace_id": self._otel_trace,
                "span_id": _b64(span_id),
                "parent_span_id": _b64(parent) if parent else None,
                "name": name,
                "start_time_unix_nano": start_ns,
                "end_time_unix_nano": max(end_ns, start_ns),
                "events": [],
                "status": {
                    "code": _STATUS_ERROR if error else _STATUS_OK,
                    "message": self.redact(error or ""),
                },
                "attributes": encoded,
            }
        )


def _call_span(
    builder: _TraceBuilder,
    parent: bytes,
    step_id: str,
    position: int,
    call: CallRecord,
    start_ns: int,
) -> int:
    end_ns = start_ns + int((call.latency_ms or 0) * 1_000_000)
    messages = []
    if call.system_prompt:
        messages.append({"role": "system", "content": call.system_prompt})
    messages.append({"role": "user", "content": call.user_prompt})
    usage: dict[str, int] = {}
    if call.input_tokens is not None:
        usage["input_tokens"] = call.input_tokens
    if call.output_tokens is not None:
        usage["output_tokens"] = call.output_tokens
    if usage:
        usage["total_tokens"] = sum(usage.values())
    if call.cached_input_tokens is not None:
        usage["cache_read_input_tokens"] = call.cached_input_tokens
    attributes: dict[str, Any] = {
        SpanAttributeKey.MODEL: call.model.split(":", 1)[-1],
        SpanAttributeKey.MODEL_PROVIDER: call.model.split(":", 1)[0],
        "workbench.role": call.role,
        "workbench.retries": call.retries,
        "workbench.cached": call.cached,
    }
    if usage:
        attributes[SpanAttributeKey.CHAT_USAGE] = usage
    if call.round is not None:
        attributes["workbench.round"] = call.round
    if call.verdict is not None:
        attributes["workbench.verdict"] = call.verdict
    if call.reasoning_tokens is not None:
        attributes["workbench.reasoning_tokens"] = call.reasoning_tokens
    # The engine's price wins; an explicit (possibly empty) cost also stops MLflow from pricing
    # the call itself, which fetches a model catalog over the network.
    attributes[SpanAttributeKey.LLM_COST] = (
        {"total_cost": call.cost_usd} if call.cost_usd is not None else {}
    )
    name = f"{call.model} · {call.role}" + (f" · round {call.round}" if call.round else "")
    builder.span(
        _span_id(builder.context.execution_id, step_id, position),
        parent,
        name,
        SpanType.CHAT_MODEL,
        start_ns,
        end_ns,
        inputs={"messages": messages},
        outputs=call.output,
        error=call.error,
        attributes=attributes,
    )
    return end_ns


def build_trace(
    context: ExecutionContext,
    experiment_id: str,
    run_id: str,
    events: Sequence[Event],
    *,
    redact: Redactor | None = None,
) -> tuple[TraceInfo, list[Span]]:
    """The trace of a finished execution: its info and its spans, ready to log."""
    builder = _TraceBuilder(context, redact)
    execution_id = context.execution_id
    root = _span_id(execution_id, "execution")
    started = next((e for e in events if isinstance(e, ExecutionStarted)), events[0])
    finished = next(e for e in events if isinstance(e, ExecutionFinished))
    step_started = {e.step_id: e for e in events if isinstance(e, StepStarted)}
    declared = kinds_in_spec(context.spec)
    usage = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    for event in events:
        if not isinstance(event, StepFinished | StepFailed):
            continue
        began = step_started.get(event.step_id)
        start_ns = _ns(began.at) if began else _ns(event.at) - int(event.latency_ms * 1_000_000)
        step_span = _span_id(execution_id, event.step_id)
        kind = began.kind if began else declared.get(event.step_id, "prompt")
        cursor = start_ns
        for position, call in enumerate(event.calls, start=1):
            end = _call_span(builder, step_span, event.step_id, position, call, cursor)
            if kind != "compare":  # a compare step's calls run side by side
                cursor = end
            usage["input_tokens"] += call.input_tokens or 0
            usage["output_tokens"] += call.output_tokens or 0
        builder.span(
            step_span,
            root,
            event.step_id,
            SpanType.CHAIN,
            start_ns,
            _ns(event.at),
            inputs={"kind": kind, "models": list(began.models) if began else []},
            outputs=event.output,
            error=event.error if isinstance(event, StepFailed) else None,
        )
    usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
    failed = finished.status != "COMPLETED"
    builder.span(
        root,
        None,
        context.agent_name,
        SpanType.AGENT,
        _ns(started.at),
        _ns(finished.at),
        inputs=dict(context.inputs),
        outputs=finished.outputs,
        error=(finished.error or finished.status) if failed else None,
        attributes={"workbench.execution_id": execution_id},
    )
    info = TraceInfo(
        trace_id=builder.trace_id,
        trace_location=TraceLocation.from_experiment_id(experiment_id),
        request_time=int(started.at * 1000),
        execution_duration=max(0, int((finished.at - started.at) * 1000)),
        state=TraceState.ERROR if failed else TraceState.OK,
        request_preview=builder.json(dict(context.inputs))[:1000],
        response_preview=builder.json(finished.outputs)[:1000],
        trace_metadata={
            TraceMetadataKey.SOURCE_RUN: run_id,
            TraceMetadataKey.TOKEN_USAGE: json.dumps(usage),
            TraceMetadataKey.TRACE_USER: context.user_name,
        },
        tags={
            TraceTagKey.TRACE_NAME: context.agent_name,
            "workbench.execution_id": execution_id,
            "workbench.agent_id": context.agent_id,
        },
    )
    return info, [Span.from_dict(span) for span in builder.spans]


def write_trace(
    client: MlflowClient,
    run: OpenRun,
    context: ExecutionContext,
    events: Sequence[Event],
    *,
    redact: Redactor | None = None,
) -> str | None:
    """Log the execution's trace into the run's experiment; returns its id, None if unsupported."""
    info, spans = build_trace(context, run.experiment_id, run.run_id, events, redact=redact)
    tracing = TracingClient(client.tracking_uri)
    try:
        tracing.log_spans(run.experiment_id, spans)
    except NotImplementedError:
        # A file store or a tracking server older than MLflow 3.4 takes no spans.
        log.info("tracking store %s keeps no trace spans; trace skipped", client.tracking_uri)
        return None
    tracing.start_trace(info)
    return info.trace_id
