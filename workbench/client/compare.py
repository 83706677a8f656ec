"""One prompt across several models: the answers side by side, with latency, tokens and cost.

`compare_models(execution)` reads the calls of a `compare` step (one call per model) from one
execution or several runs of the same agent, and gives a `ModelComparison`: a DataFrame with one
row per model, shown in JupyterLab as the answers side by side, and `plot()` for a bar chart of
any metric.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench.client.frames import calls_frame
from workbench.client.models import Execution

COMPARISON_COLUMNS: tuple[str, ...] = (
    "model",
    "output",  # the answer in the first execution given
    "error",
    "calls",
    "failed_calls",
    "latency_ms",  # mean over calls
    "ttft_ms",  # mean over streamed calls
    "input_tokens",  # sums over calls
    "output_tokens",
    "cost_usd",  # NaN when no call had a known price
)


@dataclass(frozen=True)
class ModelComparison:
    title: str
    prompt: str | None
    frame: pd.DataFrame  # COMPARISON_COLUMNS, one row per model in the spec's order

    def plot(self, metric: str = "latency_ms", ax: Any = None) -> Any:
        """A horizontal bar chart of `metric` per model (matplotlib axes)."""
        if metric not in self.frame.columns:
            known = ", ".join(
                c for c in COMPARISON_COLUMNS if c not in ("model", "output", "error")
            )
            raise ValueError(f"metric {metric!r} is not a column (columns: {known})")
        return self.frame.plot.barh(
            x="model", y=metric, ax=ax, legend=False, title=f"{self.title}: {metric}"
        )

    def __repr__(self) -> str:
        return f"ModelComparison({self.title!r}, models={list(self.frame['model'])!r})"

    def _repr_html_(self) -> str:
        from workbench.client import display

        return display.comparison_html(self)


def compare_models(
    executions: Execution | Sequence[Execution], *, step_id: str | None = None
) -> ModelComparison:
    """The models of a compare step (the first one, unless `step_id` names it), side by side."""
    runs = [executions] if isinstance(executions, Execution) else list(executions)
    if not runs:
        raise ValueError("executions: give at least one execution")
    step_id = step_id or _first_compare_step(runs[0])
    calls = calls_frame(runs, step_id=step_id)
    if calls.empty:
        raise ValueError(
            f"step_id: step {step_id!r} has no model calls in these executions (has it run yet?)"
        )
    rows = []
    for model, group in calls.groupby("model", sort=False):
        answered = group[group["error"].isna()]
        first_output = answered["output"].dropna()
        errors = group["error"].dropna()
        rows.append(
            {
                "model": model,
                "output": first_output.iloc[0] if len(first_output) else None,
                "error": errors.iloc[0] if len(errors) else None,
                "calls": len(group),
                "failed_calls": int(group["error"].notna().sum()),
                "latency_ms": group["latency_ms"].mean(),
                "ttft_ms": group["ttft_ms"].mean(),
                "input_tokens": group["input_tokens"].sum(min_count=1),
                "output_tokens": group["output_tokens"].sum(min_count=1),
                "cost_usd": group["cost_usd"].sum(min_count=1),
            }
        )
    frame = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    first = runs[0]
    prompt = _prompt_of(first, step_id)
    count = f" over {len(runs)} executions" if len(runs) > 1 else ""
    title = f"{first.agent_name or 'execution'} · {step_id}{count}"
    return ModelComparison(title=title, prompt=prompt, frame=frame)


def _first_compare_step(execution: Execution) -> str:
    for step in execution.steps:
        if step.kind == "compare":
            return step.step_id
    steps = ", ".join(f"{s.step_id} ({s.kind})" for s in execution.steps) or "none"
    raise ValueError(f"step_id: this execution has no compare step; name one (steps: {steps})")


def _prompt_of(execution: Execution, step_id: str) -> str | None:
    for call in execution.step(step_id).calls:
        if call.get("user_prompt"):
            return str(call["user_prompt"])
    return None
