"""How one execution becomes one MLflow run: engine events in, params/tags/metrics/artifacts out.

Pure: no MLflow calls here, so the same mapping serves the live writer (event by event) and the
backfill (a whole execution at once), and replaying the same events gives the same writes. Metric
timestamps come from the events, never from the clock, which makes a replay idempotent: MLflow
drops a metric identical to one it already holds.

Layout of a run (one run per execution, no child runs; see `tracking/__init__.py` for why):

- tags: `workbench.execution_id`, `.project_id`, `.project`, `.owner`, `.agent_id`, `.agent`,
  `.user`, `.status`, `.error`, `.step_ids`; `mlflow.user`; per step `step/<id>/kind`,
  `step/<id>/models`, `step/<id>/status`, `step/<id>/error`, `step/<id>/error_type`,
  `step/<id>/skip_reason`, `step/<id>/skip_cause` (`dependency_failed` or `cancelled`).
- params: the agent spec's settings flattened (`spec.<path>`), the inputs (`input.<name>`);
  settings whose name looks like a credential are left out, long values cut to 500 characters.
- metrics, per execution: `latency_ms`, `input_tokens`, `output_tokens`, `reasoning_tokens`,
  `cached_input_tokens`, `cost_usd`, `retries`, `calls`, `failed_calls`, `cached_calls`,
  `steps_completed`, `steps_failed`, `steps_skipped`; per step the same family under
  `step/<id>/...` plus `step/<id>/rounds` for feedback loops. A value the provider did not report
  (tokens, cost of an unpriced model) is left out, never written as 0.
- artifacts: `agent_spec.json`, `inputs.json`, `steps/<id>/output.txt` (or `.json` for a compare
  step's {model: output}; a failed step's too, when it produced something before failing),
  `steps/<id>/transcript.txt` (every call's prompts, output or error),
  `steps/<id>/error.txt`, `result.json` (status, error, outputs) and `calls.json`, one row per model
  call in MLflow's table format (columns `CALL_COLUMNS`), which the analysis functions read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlflow.entities import Metric

from agents.events import (
    CallRecord,
    Event,
    ExecutionFinished,
    ExecutionStarted,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
)
from tracking import keys
from tracking.context import ExecutionContext

# Events that change the run; the rest (queued, tokens, retrying, per-call) are summarised by the
# step's final event and never need to reach the writer.
TRACKED_EVENTS: tuple[type[Event], ...] = (
    ExecutionStarted,
    StepStarted,
    StepFinished,
    StepFailed,
    StepSkipped,
    ExecutionFinished,
)

CALLS_ARTIFACT = "calls.json"
RESULT_ARTIFACT = "result.json"
SPEC_ARTIFACT = "agent_spec.json"
INPUTS_ARTIFACT = "inputs.json"
# MLflow's UI lists the artifacts named in this tag as tables (what `MlflowClient.log_table` sets).
LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"

CALL_COLUMNS: tuple[str, ...] = (
    "step_id",
    "call",  # 1-based position of the call within its step
    "model",  # "provider:model"
    "provider",
    "role",
    "round",
    "ok",
    "error",
    "error_type",  # rate_limited, timeout, provider_error, auth, ... (see agents.events)
    "latency_ms",
    "ttft_ms",
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cached_input_tokens",
    "cost_usd",
    "retries",
    "cached",
    "verdict",
)

# MLflow run statuses for the engine's final statuses.
RUN_STATUS = {"COMPLETED": "FINISHED", "FAILED": "FAILED", "CANCELLED": "KILLED"}

Redactor = Callable[[str], str]


@dataclass
class RunWrites:
    """What to write into one MLflow run. `update` merges later writes over earlier ones."""

    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)  # run-relative path -> text
    status: str | None = None  # FINISHED / FAILED / KILLED once the execution has ended
    end_time_ms: int | None = None

    def update(self, other: RunWrites) -> None:
        self.params.update(other.params)
        self.tags.update(other.tags)
        self.metrics.extend(other.metrics)
        self.artifacts.update(other.artifacts)
        if other.status is not None:
            self.status = other.status
            self.end_time_ms = other.end_time_ms

    def __bool__(self) -> bool:
        return bool(
            self.params or self.tags or self.metrics or self.artifacts or self.status is not None
        )


def millis(at: float) -> int:
    return int(at * 1000)


def run_name(context: ExecutionContext) -> str:
    return f"{context.agent_name} · {context.execution_id[:8]}"


def _sum(values: Iterable[float | int | None]) -> float | int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def flatten_settings(prefix: str, value: Any) -> dict[str, str]:
    """Nested settings as flat `prefix.a.b` params, leaving out anything that looks secret.

    A list of mappings with an `id` (the substeps) is keyed by id, other lists of mappings by
    position; a list of plain values (a compare step's models) stays one JSON param.
    """
    flat: dict[str, str] = {}

    def visit(path: str, item: Any, skip: str | None = None) -> None:
        if isinstance(item, Mapping):
            for name, child in item.items():
                name = str(name)
                if name == skip or keys.looks_secret(name):
                    continue
                visit(f"{path}.{keys.segment(name)}", child)
        elif isinstance(item, list | tuple) and any(isinstance(c, Mapping) for c in item):
            for position, child in enumerate(item):
                child_id = child.get("id") if isinstance(child, Mapping) else None
                if child_id:  # the id is in the key already
                    visit(f"{path}.{keys.segment(str(child_id))}", child, skip="id")
                else:
                    visit(f"{path}.{position}", child)
        else:
            text = item if isinstance(item, str) else json.dumps(item, default=str)
            flat[keys.bounded_key(path)] = keys.truncate(text, keys.MAX_PARAM_VALUE_LENGTH)

    visit(prefix, value)
    return flat


def call_row(step_id: str, position: int, call: CallRecord) -> list[Any]:
    provider = call.model.split(":", 1)[0] if ":" in call.model else call.model
    values = {
        "step_id": step_id,
        "call": position,
        "model": call.model,
        "provider": provider,
        "role": call.role,
        "round": call.round,
        "ok": call.error is None,
        "error": call.error,
        "error_type": call.error_type,
        "latency_ms": call.latency_ms,
        "ttft_ms": call.ttft_ms,
        "input_tokens": call.input_tokens,
        "output_tokens": call.output_tokens,
        "reasoning_tokens": call.reasoning_tokens,
        "cached_input_tokens": call.cached_input_tokens,
        "cost_usd": call.cost_usd,
        "retries": call.retries,
        "cached": call.cached,
        "verdict": call.verdict,
    }
    return [values[column] for column in CALL_COLUMNS]


def transcript(calls: Iterable[CallRecord]) -> str:
    """Every call of a step as readable text: model, role, prompts, then output or error."""
    parts: list[str] = []
    for position, call in enumerate(calls, start=1):
        heading = [f"call {position}", call.model, call.role]
        if call.round is not None:
            heading.append(f"round {call.round}")
        figures = []
        if call.latency_ms is not None:
            figures.append(f"latency {call.latency_ms:.0f} ms")
        if call.input_tokens is not None or call.output_tokens is not None:
            figures.append(f"tokens {call.input_tokens} in / {call.output_tokens} out")
        if call.cost_usd is not None:
            figures.append(f"cost ${call.cost_usd:.6f}")
        if call.retries:
            figures.append(f"retries {call.retries}")
        if call.cached:
            figures.append("from cache")
        lines = [" · ".join(heading)]
        if figures:
            lines.append(" · ".join(figures))
        if call.system_prompt:
            lines += ["", "[system]", call.system_prompt]
        lines += ["", "[user]", call.user_prompt]
        if call.output is not None:
            lines += ["", "[output]", call.output]
        if call.error is not None:
            lines += ["", "[error]", call.error]
        if call.verdict is not None:
            lines += ["", f"[verdict] {call.verdict}"]
        parts.append("\n".join(lines))
    return ("\n\n" + "=" * 72 + "\n\n").join(parts) + "\n"


@dataclass
class _StepTotals:
    status: str
    retries: int
    calls: tuple[CallRecord, ...]


class RunMapper:
    """Turns one execution's events into `RunWrites`, one event at a time.

    `opening()` gives what is known before any event (context params, tags, spec); `apply(event)`
    gives what that event adds. Every string leaving the mapper has passed through `redact`.
    """

    def __init__(self, context: ExecutionContext, *, redact: Redactor | None = None) -> None:
        self.context = context
        self._redact = redact or (lambda text: text)
        # Step kinds come with `StepStarted`; a backfill rebuilt from stored rows may have none,
        # so the spec's own kinds stand in until then.
        self._kinds: dict[str, str] = kinds_in_spec(context.spec)
        self._steps: dict[str, _StepTotals] = {}

    def opening(self) -> RunWrites:
        context = self.context
        writes = RunWrites(
            tags={
                keys.EXECUTION_ID_TAG: context.execution_id,
                keys.PROJECT_ID_TAG: context.project_id,
                "workbench.project": context.project_name,
                "workbench.owner": context.owner_name,
                keys.AGENT_ID_TAG: context.agent_id,
                "workbench.agent": context.agent_name,
                "workbench.user": context.user_name,
                "workbench.status": "RUNNING",
                "mlflow.user": context.user_name,
            },
            params={
                **flatten_settings("spec", dict(context.spec)),
                **flatten_settings("input", dict(context.inputs)),
            },
            artifacts={
                SPEC_ARTIFACT: _json(_without_secrets(context.spec)),
                INPUTS_ARTIFACT: _json(_without_secrets(context.inputs)),
            },
        )
        return self._clean(writes)

    def apply(self, event: Event) -> RunWrites:
        if isinstance(event, ExecutionStarted):
            writes = self._started(event)
        elif isinstance(event, StepStarted):
            writes = self._step_started(event)
        elif isinstance(event, StepFinished | StepFailed):
            writes = self._step_ended(event)
        elif isinstance(event, StepSkipped):
            writes = self._step_skipped(event)
        elif isinstance(event, ExecutionFinished):
            writes = self._finished(event)
        else:
            return RunWrites()
        return self._clean(writes)

    def _started(self, event: ExecutionStarted) -> RunWrites:
        return RunWrites(
            tags={
                "workbench.step_ids": keys.truncate(
                    json.dumps(list(event.step_ids)), keys.MAX_TAG_VALUE_LENGTH
                )
            }
        )

    def _step_started(self, event: StepStarted) -> RunWrites:
        self._kinds[event.step_id] = event.kind
        return RunWrites(
            tags={
                keys.step_key(event.step_id, "kind"): event.kind,
                keys.step_key(event.step_id, "models"): ", ".join(event.models),
                keys.step_key(event.step_id, "status"): "running",
            }
        )

    def _step_ended(self, event: StepFinished | StepFailed) -> RunWrites:
        step, calls = event.step_id, event.calls
        failed = isinstance(event, StepFailed)
        self._steps[step] = _StepTotals("failed" if failed else "finished", event.retries, calls)
        at = millis(event.at)
        figures: dict[str, float | int | None] = {
            "latency_ms": event.latency_ms,
            "reasoning_tokens": _sum(c.reasoning_tokens for c in calls),
            "cached_input_tokens": _sum(c.cached_input_tokens for c in calls),
            "retries": event.retries,
            "calls": len(calls),
        }
        if isinstance(event, StepFinished):
            figures["input_tokens"] = event.input_tokens
            figures["output_tokens"] = event.output_tokens
            figures["cost_usd"] = event.cost_usd
        else:
            figures["input_tokens"] = _sum(c.input_tokens for c in calls)
            figures["output_tokens"] = _sum(c.output_tokens for c in calls)
            figures["cost_usd"] = _sum(c.cost_usd for c in calls)
        kind = self._kinds.get(step, "prompt")
        if kind == "feedback_loop":
            figures["rounds"] = max((c.round or 0 for c in calls), default=0)
        writes = RunWrites(
            tags={
                keys.step_key(step, "status"): self._steps[step].status,
                keys.step_key(step, "kind"): kind,
            },
            metrics=[
                Metric(keys.step_key(step, name), float(value), at, 0)
                for name, value in figures.items()
                if value is not None
            ],
        )
        folder = keys.step_artifact_dir(step)
        if calls:
            writes.artifacts[f"{folder}/transcript.txt"] = transcript(calls)
        # A failed step keeps what it produced before failing (a compare step's answers so far).
        if isinstance(event.output, str):
            writes.artifacts[f"{folder}/output.txt"] = event.output
        elif event.output is not None:
            writes.artifacts[f"{folder}/output.json"] = _json(event.output)
        if isinstance(event, StepFailed):
            writes.tags[keys.step_key(step, "error")] = keys.truncate(
                event.error, keys.MAX_TAG_VALUE_LENGTH
            )
            writes.tags[keys.step_key(step, "error_type")] = event.error_type
            writes.artifacts[f"{folder}/error.txt"] = event.error + "\n"
        return writes

    def _step_skipped(self, event: StepSkipped) -> RunWrites:
        self._steps[event.step_id] = _StepTotals("skipped", 0, ())
        return RunWrites(
            tags={
                keys.step_key(event.step_id, "status"): "skipped",
                keys.step_key(event.step_id, "skip_reason"): keys.truncate(
                    event.reason, keys.MAX_TAG_VALUE_LENGTH
                ),
                keys.step_key(event.step_id, "skip_cause"): event.cause,
            }
        )

    def _finished(self, event: ExecutionFinished) -> RunWrites:
        steps = self._steps.values()
        calls = [call for step in steps for call in step.calls]
        rows = [
            call_row(step_id, position, call)
            for step_id, step in self._steps.items()
            for position, call in enumerate(step.calls, start=1)
        ]
        figures: dict[str, float | int | None] = {
            "latency_ms": event.latency_ms,
            "input_tokens": event.input_tokens,
            "output_tokens": event.output_tokens,
            "reasoning_tokens": _sum(c.reasoning_tokens for c in calls),
            "cached_input_tokens": _sum(c.cached_input_tokens for c in calls),
            "cost_usd": event.cost_usd,
            "retries": sum(step.retries for step in steps),
            "calls": len(calls),
            "failed_calls": sum(1 for c in calls if c.error is not None),
            "cached_calls": sum(1 for c in calls if c.cached),
            "steps_completed": sum(1 for s in steps if s.status == "finished"),
            "steps_failed": sum(1 for s in steps if s.status == "failed"),
            "steps_skipped": sum(1 for s in steps if s.status == "skipped"),
        }
        at = millis(event.at)
        writes = RunWrites(
            tags={
                "workbench.status": event.status,
                LOGGED_ARTIFACTS_TAG: json.dumps([{"path": CALLS_ARTIFACT, "type": "table"}]),
            },
            metrics=[
                Metric(name, float(value), at, 0)
                for name, value in figures.items()
                if value is not None
            ],
            artifacts={
                RESULT_ARTIFACT: _json(
                    {"status": event.status, "error": event.error, "outputs": event.outputs}
                ),
                CALLS_ARTIFACT: json.dumps(
                    {"columns": list(CALL_COLUMNS), "data": rows}, ensure_ascii=False
                ),
            },
            status=RUN_STATUS.get(event.status, "FAILED"),
            end_time_ms=at,
        )
        if event.error:
            writes.tags["workbench.error"] = keys.truncate(event.error, keys.MAX_TAG_VALUE_LENGTH)
        return writes

    def _clean(self, writes: RunWrites) -> RunWrites:
        redact = self._redact
        writes.params = {key: redact(value) for key, value in writes.params.items()}
        writes.tags = {key: redact(value) for key, value in writes.tags.items()}
        writes.artifacts = {path: redact(text) for path, text in writes.artifacts.items()}
        return writes


def kinds_in_spec(spec: Mapping[str, Any]) -> dict[str, str]:
    """Step id -> kind (`prompt`, `compare`, `feedback_loop`) as the agent spec declares them."""
    substeps = spec.get("substeps")
    if not isinstance(substeps, list):
        return {}
    return {
        str(step["id"]): str(step.get("kind", "prompt"))
        for step in substeps
        if isinstance(step, Mapping) and step.get("id")
    }


def _without_secrets(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            str(k): _without_secrets(v) for k, v in value.items() if not keys.looks_secret(str(k))
        }
    if isinstance(value, list | tuple):
        return [_without_secrets(v) for v in value]
    return value


def map_execution(
    context: ExecutionContext, events: Iterable[Event], *, redact: Redactor | None = None
) -> RunWrites:
    """Everything a finished (or interrupted) execution writes, in one `RunWrites`."""
    mapper = RunMapper(context, redact=redact)
    writes = mapper.opening()
    for event in events:
        writes.update(mapper.apply(event))
    return writes


def redactor(secrets: Iterable[str]) -> Redactor | None:
    """A function replacing each of `secrets` (plaintext keys) with `[redacted]`, or None."""
    values = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    if not values:
        return None

    def redact(text: str) -> str:
        for value in values:
            if value in text:
                text = text.replace(value, "[redacted]")
        return text

    return redact
