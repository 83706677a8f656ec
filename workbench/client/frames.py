"""Executions as pandas DataFrames: one row per execution, per step, or per model call.

Missing figures are NaN (a model without a known price has no cost), never 0. Columns are
fixed, so an empty list gives an empty frame with the same columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from workbench.client.models import Execution

EXECUTION_COLUMNS: tuple[str, ...] = (
    "execution_id",
    "number",
    "agent",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "error",
)

STEP_COLUMNS: tuple[str, ...] = (
    "step_id",
    "kind",
    "status",
    "models",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "retries",
    "output",
    "error",
)

CALL_COLUMNS: tuple[str, ...] = (
    "execution_id",
    "number",
    "step_id",
    "model",
    "role",
    "round",
    "latency_ms",
    "ttft_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "retries",
    "cached",
    "verdict",
    "error",
    "output",
)

_NUMERIC = ("latency_ms", "ttft_ms", "input_tokens", "output_tokens", "cost_usd")


def _frame(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(columns))
    for column in _NUMERIC:
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def executions_frame(executions: Iterable[Execution]) -> pd.DataFrame:
    """One row per execution (`EXECUTION_COLUMNS`, then `input.<name>` per input)."""
    rows = []
    input_names: dict[str, None] = {}
    for execution in executions:
        row: dict[str, Any] = {
            "execution_id": execution.id,
            "number": execution.number,
            "agent": execution.agent_name,
            "status": execution.status,
            "created_at": execution.created_at,
            "started_at": execution.started_at,
            "finished_at": execution.finished_at,
            "latency_ms": execution.latency_ms,
            "input_tokens": execution.input_tokens,
            "output_tokens": execution.output_tokens,
            "cost_usd": execution.cost_usd,
            "error": execution.error,
        }
        for name, value in execution.inputs.items():
            input_names.setdefault(name)
            row[f"input.{name}"] = value
        rows.append(row)
    return _frame(rows, [*EXECUTION_COLUMNS, *(f"input.{n}" for n in input_names)])


def steps_frame(execution: Execution) -> pd.DataFrame:
    """One row per step of `execution`, in queue order, indexed by step id."""
    rows = [
        {
            "step_id": step.step_id,
            "kind": step.kind,
            "status": step.status,
            "models": ", ".join(step.models),
            "latency_ms": step.latency_ms,
            "input_tokens": step.input_tokens,
            "output_tokens": step.output_tokens,
            "cost_usd": step.cost_usd,
            "retries": step.retries,
            "output": step.output,
            "error": step.error,
        }
        for step in execution.steps
    ]
    return _frame(rows, STEP_COLUMNS).set_index("step_id")


def calls_frame(executions: Iterable[Execution], *, step_id: str | None = None) -> pd.DataFrame:
    """One row per model call of the executions' steps (only `step_id`'s, when given)."""
    rows = []
    for execution in executions:
        for step in execution.steps:
            if step_id is not None and step.step_id != step_id:
                continue
            for call in step.calls:
                rows.append(
                    {
                        "execution_id": execution.id,
                        "number": execution.number,
                        "step_id": step.step_id,
                        **{c: call.get(c) for c in CALL_COLUMNS[3:]},
                    }
                )
    return _frame(rows, CALL_COLUMNS)
