"""Questions of the result-analysis screen, answered from MLflow as pandas DataFrames.

Everything is read through an explicit `MlflowClient` (search_runs, artifacts), never from MLflow's
tables directly, so it works the same on a SQLite store and on a tracking server. The caller (the
workbench's service layer) has already decided that the user may read the project.

- `agent_executions`: one row per execution of an agent (`EXECUTION_COLUMNS`, then one column per
  step metric, named `step/<step>/<metric>`), newest first.
- `execution_steps`: one row per step of one execution (`STEP_COLUMNS`), in the agent's order.
- `call_records`: one row per model call across a project's executions (`CALL_RECORD_COLUMNS`);
  a run without a calls table yet adds none, and one whose table cannot be read raises
  `ArtifactUnreadable` saying which run and why.
- `model_comparison`: one row per model across a project's executions (`MODEL_COLUMNS`).
- `output_diff`: a unified text diff of two executions' outputs, step by step.

Missing figures are NaN, never 0: a model without a known price has no cost, and a provider that
does not report reasoning or cached tokens has none recorded.
"""

from __future__ import annotations

import difflib
import json
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Run, ViewType

from tracking import keys
from tracking.mapping import CALL_COLUMNS, CALLS_ARTIFACT
from tracking.store import find_project_experiment

EXECUTION_COLUMNS: tuple[str, ...] = (
    "execution_id",
    "run_id",
    "agent_id",
    "agent_name",
    "user",
    "status",  # COMPLETED | FAILED | CANCELLED | RUNNING
    "start_time",  # pandas Timestamp, UTC
    "end_time",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cached_input_tokens",
    "cost_usd",
    "retries",
    "calls",
    "failed_calls",
    "cached_calls",
    "steps_completed",
    "steps_failed",
    "steps_skipped",
)

STEP_COLUMNS: tuple[str, ...] = (
    "step_id",
    "kind",  # prompt | compare | feedback_loop
    "status",  # finished | failed | skipped | running
    "models",  # list of "provider:model"
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cached_input_tokens",
    "cost_usd",
    "retries",
    "calls",
    "rounds",  # feedback loops only
    "error",
    "error_type",
    "skip_reason",
    "skip_cause",  # dependency_failed | cancelled
)

CALL_RECORD_COLUMNS: tuple[str, ...] = (
    "execution_id",
    "run_id",
    "agent_id",
    "agent_name",
    "start_time",
    *CALL_COLUMNS,
)

MODEL_COLUMNS: tuple[str, ...] = (
    "model",  # "provider:model"
    "provider",
    "executions",  # executions that called the model
    "calls",
    "failed_calls",
    "success_rate",  # share of calls without an error, 0..1
    "latency_p50_ms",
    "latency_p95_ms",
    "ttft_p50_ms",  # time to first token, streamed calls only
    "input_tokens",  # all prompt tokens, cached ones included
    "cached_input_tokens",  # prompt tokens the provider served from its cache
    "uncached_input_tokens",
    "output_tokens",  # all completion tokens, reasoning ones included
    "reasoning_tokens",  # completion tokens spent on hidden reasoning
    "cost_usd",  # sum over priced calls
    "priced_calls",  # calls with a known cost; fewer than `calls` means cost is partial
    "cost_per_call_usd",  # mean over priced calls
    "cached_calls",  # answered from the workbench's response cache
    "retries",
)

_STEP_METRICS = (
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cached_input_tokens",
    "cost_usd",
    "retries",
    "calls",
    "rounds",
)


class RunNotFound(LookupError):
    """The execution has no MLflow run (not recorded yet, or not in this project)."""


class ArtifactUnreadable(RuntimeError):
    """A run's artifact exists but could not be read (the artifact store, or the way to it)."""


def agent_executions(
    client: MlflowClient, *, project_id: str, agent_id: str, max_results: int = 5000
) -> pd.DataFrame:
    """One row per execution of the agent, newest first; metrics and per-step metrics as columns."""
    runs = list(_project_runs(client, project_id, agent_id=agent_id, limit=max_results))
    rows = []
    for run in runs:
        row = _execution_row(run)
        row.update({k: v for k, v in run.data.metrics.items() if k.startswith("step/")})
        rows.append(row)
    step_columns = sorted({k for row in rows for k in row if k.startswith("step/")})
    frame = pd.DataFrame(rows, columns=[*EXECUTION_COLUMNS, *step_columns])
    return frame.sort_values("start_time", ascending=False, ignore_index=True)


def execution_steps(client: MlflowClient, *, project_id: str, execution_id: str) -> pd.DataFrame:
    """One row per step of the execution, in the agent's order."""
    run = find_execution_run(client, project_id=project_id, execution_id=execution_id)
    tags, metrics = run.data.tags, run.data.metrics
    rows = []
    for step_id in _step_ids(run):
        row: dict[str, Any] = {
            "step_id": step_id,
            "kind": tags.get(keys.step_key(step_id, "kind")),
            "status": tags.get(keys.step_key(step_id, "status"), "pending"),
            "models": _split_models(tags.get(keys.step_key(step_id, "models"))),
            "error": tags.get(keys.step_key(step_id, "error")),
            "error_type": tags.get(keys.step_key(step_id, "error_type")),
            "skip_reason": tags.get(keys.step_key(step_id, "skip_reason")),
            "skip_cause": tags.get(keys.step_key(step_id, "skip_cause")),
        }
        for name in _STEP_METRICS:
            row[name] = metrics.get(keys.step_key(step_id, name))
        rows.append(row)
    return pd.DataFrame(rows, columns=list(STEP_COLUMNS))


def call_records(
    client: MlflowClient,
    *,
    project_id: str,
    agent_id: str | None = None,
    max_results: int = 5000,
) -> pd.DataFrame:
    """One row per model call of the project's (or one agent's) finished executions."""
    runs = [
        run
        for run in _project_runs(client, project_id, agent_id=agent_id, limit=max_results)
        if keys.EXECUTION_ID_TAG in run.data.tags and run.info.status != "RUNNING"
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        tables = list(pool.map(lambda run: _calls_of(client, run), runs))
    frames = [t for t in tables if not t.empty]
    if not frames:
        return pd.DataFrame(columns=list(CALL_RECORD_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(CALL_RECORD_COLUMNS)]


def model_comparison(
    client: MlflowClient, *, project_id: str, agent_id: str | None = None
) -> pd.DataFrame:
    """Per model across the project's executions: volume, reliability, latency, tokens, cost."""
    return compare_models(call_records(client, project_id=project_id, agent_id=agent_id))


def compare_models(calls: pd.DataFrame) -> pd.DataFrame:
    """`model_comparison` over a `call_records` frame (e.g. one filtered by date or agent)."""
    if calls.empty:
        return pd.DataFrame(columns=list(MODEL_COLUMNS))
    rows = []
    for model, group in calls.groupby("model", sort=True):
        latency = pd.to_numeric(group["latency_ms"], errors="coerce").dropna()
        ttft = pd.to_numeric(group["ttft_ms"], errors="coerce").dropna()
        cost = pd.to_numeric(group["cost_usd"], errors="coerce").dropna()
        failed = int((~group["ok"].astype(bool)).sum())
        input_tokens = _total(group["input_tokens"])
        cached = _total(group["cached_input_tokens"])
        rows.append(
            {
                "model": model,
                "provider": group["provider"].iloc[0],
                "executions": group["execution_id"].nunique(),
                "calls": len(group),
                "failed_calls": failed,
                "success_rate": (len(group) - failed) / len(group),
                "latency_p50_ms": latency.quantile(0.5) if len(latency) else float("nan"),
                "latency_p95_ms": latency.quantile(0.95) if len(latency) else float("nan"),
                "ttft_p50_ms": ttft.quantile(0.5) if len(ttft) else float("nan"),
                "input_tokens": input_tokens,
                "cached_input_tokens": cached,
                "uncached_input_tokens": input_tokens - (0 if pd.isna(cached) else cached),
                "output_tokens": _total(group["output_tokens"]),
                "reasoning_tokens": _total(group["reasoning_tokens"]),
                "cost_usd": cost.sum() if len(cost) else float("nan"),
                "priced_calls": len(cost),
                "cost_per_call_usd": cost.mean() if len(cost) else float("nan"),
                "cached_calls": int(group["cached"].astype(bool).sum()),
                "retries": int(pd.to_numeric(group["retries"], errors="coerce").fillna(0).sum()),
            }
        )
    return pd.DataFrame(rows, columns=list(MODEL_COLUMNS))


def step_outputs(client: MlflowClient, *, project_id: str, execution_id: str) -> dict[str, str]:
    """Each step's output as text, in the agent's order; a compare step lists each model's."""
    run = find_execution_run(client, project_id=project_id, execution_id=execution_id)
    available = {
        info.path
        for folder in client.list_artifacts(run.info.run_id, "steps")
        if folder.is_dir
        for info in client.list_artifacts(run.info.run_id, folder.path)
    }
    outputs: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="workbench-outputs-") as scratch:
        for step_id in _step_ids(run):
            folder = keys.step_artifact_dir(step_id)
            for name in ("output.txt", "output.json"):
                path = f"{folder}/{name}"
                if path not in available:
                    continue
                local = client.download_artifacts(run.info.run_id, path, scratch)
                text = Path(local).read_text(encoding="utf-8")
                outputs[step_id] = text if name == "output.txt" else _readable(json.loads(text))
    return outputs


def output_diff(
    client: MlflowClient,
    *,
    project_id: str,
    execution_a: str,
    execution_b: str,
    context_lines: int = 3,
) -> str:
    """A unified diff of two executions' outputs, one section per step."""
    return diff_step_outputs(
        step_outputs(client, project_id=project_id, execution_id=execution_a),
        step_outputs(client, project_id=project_id, execution_id=execution_b),
        label_a=execution_a[:8],
        label_b=execution_b[:8],
        context_lines=context_lines,
    )


def diff_step_outputs(
    outputs_a: Mapping[str, str],
    outputs_b: Mapping[str, str],
    *,
    label_a: str = "a",
    label_b: str = "b",
    context_lines: int = 3,
) -> str:
    """Step by step: a unified diff where outputs differ, a note where they agree or are missing."""
    steps = list(dict.fromkeys([*outputs_a, *outputs_b]))
    sections = []
    for step in steps:
        header = f"=== step {step} ==="
        if step not in outputs_b:
            sections.append(f"{header}\nonly in {label_a}")
            continue
        if step not in outputs_a:
            sections.append(f"{header}\nonly in {label_b}")
            continue
        a, b = outputs_a[step], outputs_b[step]
        if a == b:
            sections.append(f"{header}\nsame output")
            continue
        lines = difflib.unified_diff(
            a.splitlines(),
            b.splitlines(),
            fromfile=f"{label_a}/{step}",
            tofile=f"{label_b}/{step}",
            n=context_lines,
            lineterm="",
        )
        sections.append(header + "\n" + "\n".join(lines))
    return "\n\n".join(sections) + ("\n" if sections else "")


def find_execution_run(client: MlflowClient, *, project_id: str, execution_id: str) -> Run:
    """The run of an execution in the project's experiment; `RunNotFound` otherwise."""
    if not keys.is_id(execution_id):
        raise RunNotFound(f"execution_id {execution_id!r} is not an id")
    experiment = find_project_experiment(client, project_id)
    if experiment is not None:
        runs = client.search_runs(
            [experiment.experiment_id],
            filter_string=f"tags.`{keys.EXECUTION_ID_TAG}` = '{execution_id}'",
            run_view_type=ViewType.ACTIVE_ONLY,
            max_results=1,
        )
        if runs:
            return runs[0]
    raise RunNotFound(f"execution {execution_id} has no MLflow run in project {project_id}")


def _project_runs(
    client: MlflowClient, project_id: str, *, agent_id: str | None, limit: int
) -> Iterator[Run]:
    experiment = find_project_experiment(client, project_id)
    if experiment is None:
        return
    filters = []
    if agent_id is not None:
        if not keys.is_id(agent_id):
            raise ValueError(f"agent_id {agent_id!r} is not an id")
        filters.append(f"tags.`{keys.AGENT_ID_TAG}` = '{agent_id}'")
    token, seen = None, 0
    while seen < limit:
        page = client.search_runs(
            [experiment.experiment_id],
            filter_string=" and ".join(filters),
            run_view_type=ViewType.ACTIVE_ONLY,
            max_results=min(1000, limit - seen),
            order_by=["attributes.start_time DESC"],
            page_token=token,
        )
        yield from page
        seen += len(page)
        token = page.token
        if not token:
            return


def _execution_row(run: Run) -> dict[str, Any]:
    tags, metrics = run.data.tags, run.data.metrics
    row: dict[str, Any] = {
        "execution_id": tags.get(keys.EXECUTION_ID_TAG),
        "run_id": run.info.run_id,
        "agent_id": tags.get(keys.AGENT_ID_TAG),
        "agent_name": tags.get("workbench.agent"),
        "user": tags.get("workbench.user"),
        "status": tags.get("workbench.status"),
        "start_time": _timestamp(run.info.start_time),
        "end_time": _timestamp(run.info.end_time),
    }
    for name in EXECUTION_COLUMNS[8:]:
        row[name] = metrics.get(name)
    return row


def _calls_of(client: MlflowClient, run: Run) -> pd.DataFrame:
    """The run's model calls; empty when the run has no calls table (yet).

    Raises `ArtifactUnreadable` when the table is there but cannot be read, rather than
    answering as if the run had made no calls.
    """
    with tempfile.TemporaryDirectory(prefix="workbench-calls-") as scratch:
        try:
            local = client.download_artifacts(run.info.run_id, CALLS_ARTIFACT, scratch)
            table = json.loads(Path(local).read_text(encoding="utf-8"))
        except Exception as e:
            if not _has_artifact(client, run, CALLS_ARTIFACT, e):
                return pd.DataFrame()  # written before the execution finished: none yet
            execution = run.data.tags.get(keys.EXECUTION_ID_TAG, "?")
            raise ArtifactUnreadable(
                f"could not read {CALLS_ARTIFACT} of execution {execution} (MLflow run "
                f"{run.info.run_id}) from {run.info.artifact_uri}: {type(e).__name__}: "
                f"{_first_line(e)}"
            ) from e
    frame = pd.DataFrame(table["data"], columns=table["columns"])
    execution_row = _execution_row(run)
    for column in ("execution_id", "run_id", "agent_id", "agent_name", "start_time"):
        frame[column] = execution_row[column]
    return frame


def _has_artifact(client: MlflowClient, run: Run, name: str, failure: Exception) -> bool:
    """Whether the run lists artifact `name` (asked after reading it failed with `failure`)."""
    try:
        listed = client.list_artifacts(run.info.run_id)
    except Exception as e:  # the store itself cannot be reached: that is the error to report
        raise ArtifactUnreadable(
            f"could not read the artifacts of MLflow run {run.info.run_id} from "
            f"{run.info.artifact_uri}: {type(e).__name__}: {_first_line(e)}"
        ) from failure
    return any(item.path == name for item in listed)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else "no details"


def _step_ids(run: Run) -> list[str]:
    tags = run.data.tags
    try:
        ordered = json.loads(tags.get("workbench.step_ids", "[]"))
    except json.JSONDecodeError:  # cut short on a very large agent
        ordered = []
    seen = {key.split("/")[1] for key in tags if key.startswith("step/") and key.count("/") == 2}
    known = {keys.segment(step) for step in ordered}
    return ordered + sorted(seen - known)


def _split_models(text: str | None) -> list[str]:
    return [m for m in (text or "").split(", ") if m]


def _readable(output: Any) -> str:
    if isinstance(output, Mapping):
        return "\n\n".join(f"[{model}]\n{text}" for model, text in output.items())
    return json.dumps(output, ensure_ascii=False, indent=2)


def _timestamp(millis: int | None) -> pd.Timestamp | None:
    return pd.Timestamp(millis, unit="ms", tz="UTC") if millis else None


def _total(column: pd.Series) -> float:
    values = pd.to_numeric(column, errors="coerce").dropna()
    return float(values.sum()) if len(values) else float("nan")
